"""LP mTLS client (Functions V2's ``LPMtlsClient``): call a partner API through LivePerson's mTLS gateway, which
presents the client certificate LivePerson holds for that URL (certificates and URL mappings are configured in
LivePerson, not in the function).

Wire::

    {GET|POST} https://{CSDS mtlsGateway}/mtls/account/{acc}
    LP-forward-url: <target URL>          LP-service-name: FAAS          LP-stop-if-certificate-not-found: true
    Authorization: {token_type} {access_token}   (a Sentinel token of the app key)          X-Request-Id: <uuid4>
    LP-authorization-override: <the caller's own Authorization, for the target>
    <the caller's other headers>          Content-Type: application/json   (with json=)

Gateway outcomes (:func:`gateway_outcome`, pure): an answer with ``lp-message-from-transport`` means the target
failed or answered an error → ``mtls.remote-threw`` (``details["body"]``: the target's body); ``www-authenticate`` →
the gateway refused the token → ``mtls.invalid-request`` (an ``AuthenticationError``, after one renewal of the
token); ``400`` → no certificate mapping for that URL → ``mtls.missing-conf``; past the deadline →
``mtls.request-timeout``; no answer → ``mtls.general-issue``; the app key → ``lp-mtls.credentials-wrong-format`` /
``lp-mtls.get-credentials-failure`` (Sentinel refusing it: ``mtls.general-issue``). Any other answer is returned.
A 3xx is the gateway's answer, never followed past the gateway. Retries as the HTTP client's (429; 502/503/504 and
network failures for GET).

The app key: ``app_key_secret_name``, else ``LIVEPERSON_DEFAULT_APP_KEY`` (OAuth 2.0). After a 401 the secret is
re-read and a *fresh* token fetched before the one retry (LivePerson's Node LP client retried with the old token).

Example::

    lp_mtls = tb.lp_mtls_client()
    resp = await lp_mtls.post("https://api.partner.example/orders", json={"id": 42},
                              headers={"Authorization": "Bearer <partner token>"})
    order = resp.json()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypedDict, Unpack

from yarl import URL

from .. import _constants as C
from ..errors import (
    AuthenticationError,
    ErrorCodes,
    HttpStatusError,
    InvalidArgumentError,
    RequestTimeoutError,
    StatusErrors,
    ToolbeltError,
    TransportError,
)
from ..telemetry import instrument
from ..transport.request import Params, Request, check_body, check_headers, normalize_params, validate_timeout
from ..transport.request import validate_url as _validate_url
from ..transport.response import HttpResponse
from .app_keys import AppKeyClient, AuthCodes
from .mtls import mtls_transport_error

__all__ = [
    "COMPONENT",
    "LP_MTLS_AUTH",
    "GatewayOptions",
    "LpMtlsClient",
    "gateway_headers",
    "gateway_outcome",
    "gateway_request",
]

COMPONENT: Final = "LpMtlsClient"
LP_MTLS_AUTH: Final = AuthCodes(
    COMPONENT,
    ErrorCodes.LP_MTLS_CREDENTIALS_WRONG_FORMAT,
    ErrorCodes.LP_MTLS_GET_CREDENTIALS_FAILURE,
    ErrorCodes.MTLS_GENERAL_ISSUE,  # Sentinel refused the app key: V2 has no lp-mtls code of its own for it
    oauth1=False,
)
FORWARD_URL: Final = "LP-forward-url"
AUTHORIZATION_OVERRIDE: Final = "LP-authorization-override"
TRANSPORT_MESSAGE: Final = "lp-message-from-transport"
_RESERVED: Final = frozenset(
    name.lower()
    for name in (FORWARD_URL, AUTHORIZATION_OVERRIDE, "LP-service-name", "LP-stop-if-certificate-not-found")
)
REMOTE_ERRORS: Final = StatusErrors(COMPONENT, ErrorCodes.MTLS_REMOTE_THREW)
GATEWAY_ERRORS: Final = StatusErrors(
    COMPONENT,
    ErrorCodes.MTLS_INVALID_REQUEST,
    cls=AuthenticationError,
    by_status={400: (ErrorCodes.MTLS_MISSING_CONF, HttpStatusError)},
)


class GatewayOptions(TypedDict, total=False):
    """Keyword arguments of :meth:`LpMtlsClient.get` / :meth:`LpMtlsClient.post`: the target's query ``params``, the
    caller's ``headers``, a ``json`` or ``data`` body, and ``timeout`` (seconds; default: the config's)."""

    params: Params | None
    headers: Mapping[str, str] | None
    json: Any
    data: Any
    timeout: float | None


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(COMPONENT, ErrorCodes.HTTP_INVALID_ARGUMENT, message)


def gateway_headers(target: URL, headers: Mapping[str, str] | None, *, json: bool) -> dict[str, str]:
    """The gateway request's headers for ``target`` (pure): the gateway's own, the caller's ``Authorization`` as
    ``LP-authorization-override``, the caller's others as given. A caller header named like one of the gateway's
    is refused (InvalidArgumentError)."""
    out = {
        FORWARD_URL: str(target),
        "LP-service-name": C.MTLS_GATEWAY_SERVICE_NAME,
        "LP-stop-if-certificate-not-found": "true",
    }
    if json:
        out["Content-Type"] = "application/json"
    for name, value in (check_headers(headers, COMPONENT) or {}).items():
        lowered = name.lower()
        if lowered == "authorization":
            out[AUTHORIZATION_OVERRIDE] = value
        elif lowered in _RESERVED:
            raise _invalid(f"the header {name!r} is the gateway's: set by the client")
        else:
            out[name] = value
    return out


def gateway_request(
    scheme: str, host: str, account: str, method: str, headers: Mapping[str, str], json: Any, data: Any
) -> Request:
    """The request to the gateway (pure); a 3xx answer is final (``follow_redirects=False``)."""
    url = URL.build(scheme=scheme, authority=host, path=f"/mtls/account/{account}")
    return Request(method, url, headers, json, data, follow_redirects=False)


def gateway_outcome(resp: HttpResponse, target: URL) -> HttpResponse:
    """The gateway's answer for a call to ``target``, or the error it means (pure; see the module docstring)."""
    message = resp.headers.get(TRANSPORT_MESSAGE)
    if message is not None:
        raise REMOTE_ERRORS.error(
            resp.status,
            f"the target failed: {message} (status {resp.status})",
            details={"status": resp.status, "body": resp.text(), "message": message},
        )
    challenge = resp.headers.get("WWW-Authenticate")
    if challenge is not None:
        raise GATEWAY_ERRORS.error(resp.status, f"the mTLS gateway refused the token ({challenge})")
    if resp.status == 400:
        raise GATEWAY_ERRORS.error(
            400, f"no mTLS certificate mapping for {target.host}{target.path}: configure one in LivePerson"
        )
    return resp


@instrument("lp_mtls_client", "get", "post")
class LpMtlsClient(AppKeyClient):
    """Calls a target through LivePerson's mTLS gateway (see the module docstring).

    Example::

        resp = await tb.lp_mtls_client().get("https://api.partner.example/status", timeout=5)
    """

    AUTH = LP_MTLS_AUTH
    DEFAULT_APP_KEYS = C.LP_MTLS_APP_KEY_SECRETS

    async def get(self, url: str | URL, **options: Unpack[GatewayOptions]) -> HttpResponse:
        """``GET url`` through the gateway; returns the target's answer (gateway failures raise)."""
        return await self._request("GET", url, **options)

    async def post(self, url: str | URL, **options: Unpack[GatewayOptions]) -> HttpResponse:
        """``POST url`` through the gateway (``json=`` a JSON body, or ``data=`` bytes/text/form); returns the
        target's answer (gateway failures raise)."""
        return await self._request("POST", url, **options)

    async def _request(self, method: str, url: str | URL, **options: Unpack[GatewayOptions]) -> HttpResponse:
        # Every argument is checked before any I/O (CSDS, secret, token).
        params, headers = options.get("params"), options.get("headers")
        json, data, timeout = options.get("json"), options.get("data"), options.get("timeout")
        target = _validate_url(url, COMPONENT)
        query = normalize_params(params, COMPONENT)
        target = target.extend_query(query) if query else target
        body, form = check_body(json, data, COMPONENT)
        hdrs = gateway_headers(target, headers, json=json is not None)
        timeout = validate_timeout(timeout, COMPONENT)
        account = self._config.require_account(COMPONENT)
        budget = self._transport.timeout if timeout is None else timeout
        try:
            async with self._transport.deadline(budget):
                host = await self._csds.get(C.MTLS_GATEWAY_SERVICE)
                request = gateway_request(self._config.scheme, host, account, method, hdrs, body, form)
                resp = await self._transport.send(
                    request,
                    component=COMPONENT,
                    timeout=budget,
                    auth=self._auth,
                    guarded=True,
                    service=C.MTLS_GATEWAY_SERVICE,
                )
        except TransportError as err:
            mapped = mtls_transport_error(err, COMPONENT)
            if mapped is err:
                raise
            raise mapped from err
        except TimeoutError as err:
            if isinstance(err, ToolbeltError):
                raise
            raise RequestTimeoutError(
                COMPONENT, ErrorCodes.MTLS_REQUEST_TIMEOUT, f"the mTLS gateway call timed out after {budget:g}s"
            ) from err
        return gateway_outcome(resp, target)
