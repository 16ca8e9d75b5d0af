"""LP client: authenticated calls to LivePerson APIs — CSDS discovery + the app key's credentials.

The host is CSDS's for the service; the credentials come from an app key secret (default: V2's
``LIVEPERSON_DEFAULT_APP_KEY``, else V1's ``lp-faas-default-app-key``; per call ``app_key_secret_name``). An app
installation ``{client_id, client_secret}`` (OAuth 2.0) gets a cached Sentinel token; a legacy API key (OAuth 1.0a)
signs every attempt (see :mod:`lp_toolbelt.clients.app_keys`). On 401 the secret is re-read bypassing the cache, the
token renewed, and the request retried once.

Example::

    lp = tb.lp_client()
    resp = await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, f"/api/account/{acc}/configuration/le-users/skills")
    skills = resp.json()
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..config import ToolbeltConfig
from ..enums import LpServices
from ..errors import ErrorCodes, InvalidArgumentError, RequestTimeoutError, StatusErrors, ToolbeltError
from ..telemetry import traced
from ..transport.request import (
    Params,
    Request,
    check_body,
    check_headers,
    normalize_params,
    validate_method,
    validate_timeout,
    validate_url,
)
from ..transport.response import HttpResponse
from ..transport.send import Transport
from .app_keys import AppKeys, parse_credentials
from .csds import CsdsClient

__all__ = ["LP_STATUS_ERRORS", "LpCall", "LpClient", "parse_credentials"]

COMPONENT = "LpClient"
LP_STATUS_ERRORS = StatusErrors(COMPONENT, ErrorCodes.HTTP_STATUS)
"""``raise_for_status=True``: a non-2xx answer is an HttpStatusError (``http-client.unexpected-status``)."""


@dataclass(frozen=True, slots=True)
class LpCall:
    """A LivePerson API call as a value (pure): the ``path``, its query ``params`` and the JSON ``body``, for the CSDS
    ``service`` with ``method`` (``retry_safe``: see :meth:`LpClient.__call__`); the utils build one and send it with
    :meth:`LpClient.send`."""

    path: str
    params: dict[str, str]
    body: Any
    service: str = ""
    method: str = "GET"
    retry_safe: bool | None = None


def _check_path(path: object) -> str:
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
        raise InvalidArgumentError(
            COMPONENT, ErrorCodes.HTTP_INVALID_ARGUMENT, "path must be a string starting with a single '/'"
        )
    return path


class LpClient:
    """Calls a LivePerson API by CSDS service name and path, authorized with an app key secret.

    Example::

        resp = await tb.lp_client()(LpServices.MSG_HIST, path, method="POST", json=body)
    """

    def __init__(self, transport: Transport, config: ToolbeltConfig, csds: CsdsClient, app_keys: AppKeys) -> None:
        self._transport = transport
        self._config = config
        self._csds = csds
        self._app_keys = app_keys

    @traced("lp_client", lambda self, service, *args, **kwargs: str(service))
    async def __call__(
        self,
        service: LpServices | str,
        path: str,
        *,
        method: str = "GET",
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        app_key_secret_name: str | None = None,
        raise_for_status: bool = False,
        timeout: float | None = None,
        retry_safe: bool | None = None,
    ) -> HttpResponse:
        """Send ``method`` to ``https://{CSDS(service)}{path}`` with the app key's authorization.

        ``path`` starts with ``/`` and may carry a query string; ``params`` are appended to it (every value of a
        repeated name, in order). Returns the fully read response; with ``raise_for_status=True`` a non-2xx answer
        raises HttpStatusError. ``retry_safe=True`` lets a read-only POST be retried after a network failure.
        ``timeout`` (default: the config's) bounds the whole call: CSDS lookup, token fetch, the request and its
        401 retry.
        """
        # Every argument is checked before any I/O (CSDS, secret, token); the request is built once.
        timeout = validate_timeout(timeout, COMPONENT)
        if not isinstance(service, str) or not service:
            raise InvalidArgumentError(
                COMPONENT, ErrorCodes.HTTP_INVALID_ARGUMENT, "service must be an LpServices value or a CSDS name"
            )
        path = _check_path(path)
        verb = validate_method(method, COMPONENT)
        query = normalize_params(params, COMPONENT)
        hdrs = check_headers(headers, COMPONENT)
        body, form = check_body(json, data, COMPONENT)
        auth = self._app_keys.authorizer(app_key_secret_name)
        budget = self._transport.timeout if timeout is None else timeout
        try:
            async with self._transport.deadline(budget):
                host = await self._csds.resolve(str(service))
                url = validate_url(f"{self._config.scheme}://{host}{path}", COMPONENT)
                request = Request(verb, url.extend_query(query) if query else url, hdrs, body, form, retry_safe)
                # Guarded: this call's one timer bounds everything, a tighter one than send() would start.
                resp = await self._transport.send(
                    request, component=COMPONENT, timeout=timeout, auth=auth, guarded=True, service=str(service)
                )
        except TimeoutError as err:
            if isinstance(err, ToolbeltError):
                raise
            raise RequestTimeoutError(
                COMPONENT, ErrorCodes.HTTP_TIMEOUT, f"call to {str(service)!r} timed out after {budget:g}s"
            ) from err
        if raise_for_status and not resp.ok:
            raise LP_STATUS_ERRORS.error(resp.status, resp.status_line())
        return resp

    async def send(
        self, call: LpCall, *, app_key_secret_name: str | None = None, timeout: float | None = None
    ) -> HttpResponse:
        """Send a call the utils built (see :class:`LpCall`)."""
        return await self(
            call.service,
            call.path,
            method=call.method,
            params=call.params,
            json=call.body,
            app_key_secret_name=app_key_secret_name,
            timeout=timeout,
            retry_safe=call.retry_safe,
        )

    def __repr__(self) -> str:
        return "LpClient()"
