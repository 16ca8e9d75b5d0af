"""LP client: authenticated calls to LivePerson APIs — CSDS discovery + OAuth 1.0a or OAuth 2 credentials.

The credentials come from a secret (default ``lp-faas-default-app-key``; per call ``app_key_secret_name``):

* an API key ``{"consumerKey", "consumerSecret", "token", "tokenSecret"}`` → every request is signed with
  OAuth 1.0a HMAC-SHA1 inside an aiohttp client middleware (on the final URL, fresh nonce per attempt);
* an app installation ``{"client_id", "client_secret"}`` → a Sentinel client-credentials token, cached and
  fetched once however many callers ask, renewed 60 s before expiry.

On 401 the secret is re-read bypassing the cache, the signer/token renewed, and the request retried once.

Example::

    lp = tb.lp_client()
    resp = await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, f"/api/account/{acc}/configuration/le-users/skills")
    skills = resp.json()
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import _constants as C
from .._singleflight import SingleFlightCache
from ..auth.oauth1 import OAuth1Credentials, OAuth1Signer
from ..auth.oauth2 import OAuth2Credentials, parse_token_response, token_request
from ..config import ToolbeltConfig
from ..enums import LpServices
from ..errors import (
    AuthenticationError,
    ErrorCodes,
    InvalidArgumentError,
    RequestTimeoutError,
    ToolbeltError,
)
from ..transport.middlewares import signing_middleware
from ..transport.response import HttpResponse
from ..transport.send import Request, Transport
from .csds import CsdsClient
from .http import build_request
from .secrets import SecretClient

__all__ = ["LpClient", "parse_credentials"]

COMPONENT = "LpClient"
SENTINEL_SERVICE = "sentinel"


def parse_credentials(value: Any) -> OAuth1Credentials | OAuth2Credentials:
    """Credentials from a secret value (pure); ``lp-client.credentials-wrong-format`` for other shapes."""
    if isinstance(value, Mapping):
        oauth1 = ("consumerKey", "consumerSecret", "token", "tokenSecret")
        if all(isinstance(value.get(k), str) and value.get(k) for k in oauth1):
            return OAuth1Credentials(
                consumer_key=value["consumerKey"],
                consumer_secret=value["consumerSecret"],
                token=value["token"],
                token_secret=value["tokenSecret"],
            )
        if all(isinstance(value.get(k), str) and value.get(k) for k in ("client_id", "client_secret")):
            return OAuth2Credentials(client_id=value["client_id"], client_secret=value["client_secret"])
    raise ToolbeltError(
        COMPONENT,
        ErrorCodes.LP_CLIENT_CREDENTIALS_WRONG_FORMAT,
        "the app key secret must hold {consumerKey, consumerSecret, token, tokenSecret} (API key) "
        "or {client_id, client_secret} (app installation)",
    )


@dataclass(frozen=True, slots=True)
class _Auth:
    """How to authorize one request: a signing middleware (OAuth1) or a fixed header (OAuth2)."""

    middlewares: tuple[Any, ...] = ()
    header: str | None = None


class LpClient:
    """Calls a LivePerson API by CSDS service name and path, authorized with the app key secret."""

    def __init__(
        self,
        transport: Transport,
        config: ToolbeltConfig,
        csds: CsdsClient,
        secrets: SecretClient,
        signers: dict[OAuth1Credentials, _Auth],
        tokens: SingleFlightCache[tuple[str, str], str],
    ) -> None:
        self._transport = transport
        self._config = config
        self._csds = csds
        self._secrets = secrets
        self._signers = signers
        self._tokens = tokens

    async def __call__(
        self,
        service: LpServices | str,
        path: str,
        *,
        method: str = "GET",
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        app_key_secret_name: str | None = None,
        raise_for_status: bool = False,
        timeout: float | None = None,
        retry_safe: bool | None = None,
    ) -> HttpResponse:
        """Send ``method`` to ``https://{CSDS(service)}{path}`` with the app key's authorization.

        ``path`` starts with ``/`` and may carry a query string. Returns the fully read response; with
        ``raise_for_status=True`` a non-2xx answer raises HttpStatusError. ``retry_safe=True`` lets a
        read-only POST be retried after a network failure. ``timeout`` (default: the config's) bounds the
        whole call: CSDS lookup, token fetch, the request and its 401 retry.
        """
        budget = self._transport.timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(budget):
                return await self._call(
                    service,
                    path,
                    method,
                    params,
                    headers,
                    json,
                    data,
                    app_key_secret_name,
                    raise_for_status,
                    timeout,
                    retry_safe,
                )
        except TimeoutError as err:
            if isinstance(err, ToolbeltError):
                raise
            raise RequestTimeoutError(
                COMPONENT, ErrorCodes.HTTP_TIMEOUT, f"call to {str(service)!r} timed out after {budget:g}s"
            ) from err

    async def _call(
        self,
        service: LpServices | str,
        path: str,
        method: str,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        json: Any,
        data: Any,
        app_key_secret_name: str | None,
        raise_for_status: bool,
        timeout: float | None,
        retry_safe: bool | None,
    ) -> HttpResponse:
        if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
            raise InvalidArgumentError(
                COMPONENT,
                ErrorCodes.HTTP_INVALID_ARGUMENT,
                "path must be a string starting with a single '/'",
            )
        host = await self._csds.get(str(service))
        base = build_request(
            method,
            f"{self._config.scheme}://{host}{path}",
            params=params,
            headers=headers,
            json=json,
            data=data,
            component=COMPONENT,
        )
        secret_name = app_key_secret_name or C.DEFAULT_APP_KEY_SECRET
        auth = await self._authorization(secret_name, refresh=False)
        resp = await self._send(base, auth, retry_safe, timeout)
        if resp.status == 401:
            # The key may have been rotated: re-read the secret (no cache), renew, try once more.
            auth = await self._authorization(secret_name, refresh=True)
            resp = await self._send(base, auth, retry_safe, timeout)
        if raise_for_status:
            resp.raise_for_status()
        return resp

    async def _send(self, base: Request, auth: _Auth, retry_safe: bool | None, timeout: float | None) -> HttpResponse:
        headers = dict(base.headers or {})
        if auth.header is not None:
            headers["Authorization"] = auth.header
        request = Request(
            base.method,
            base.url,
            params=base.params,
            headers=headers,
            json=base.json,
            data=base.data,
            retry_safe=retry_safe,
            middlewares=auth.middlewares,
        )
        return await self._transport.send(request, component=COMPONENT, timeout=timeout)

    async def _authorization(self, secret_name: str, *, refresh: bool) -> _Auth:
        try:
            entry = await self._secrets.read_secret(secret_name, use_cache=not refresh)
        except ToolbeltError as err:
            raise ToolbeltError(
                COMPONENT,
                ErrorCodes.LP_CLIENT_GET_CREDENTIALS_FAILURE,
                f"could not read app key secret {secret_name!r}: {err.message}",
            ) from err
        creds = parse_credentials(entry.value)
        if isinstance(creds, OAuth1Credentials):
            auth = self._signers.get(creds)
            if auth is None:
                auth = _Auth(middlewares=(signing_middleware(OAuth1Signer(creds)),))
                self._signers[creds] = auth
            return auth
        key = (secret_name, creds.client_id)
        if refresh:
            self._tokens.invalidate(key)
        header = await self._tokens.get(key, lambda: self._fetch_token(creds))
        return _Auth(header=header)

    async def _fetch_token(self, creds: OAuth2Credentials) -> tuple[str, float]:
        account = self._config.require_account(COMPONENT)
        sentinel = await self._csds.get(SENTINEL_SERVICE)
        request = token_request(self._config.scheme, sentinel, account, creds)
        resp = await self._transport.send(request, component=COMPONENT)
        if not resp.ok:
            raise AuthenticationError(
                COMPONENT,
                ErrorCodes.LP_CLIENT_AUTH_FAILED,
                f"Sentinel refused the client credentials ({resp.status})",
                status=resp.status,
            )
        try:
            return parse_token_response(resp.json())
        except (ValueError, ToolbeltError) as err:
            raise AuthenticationError(
                COMPONENT,
                ErrorCodes.LP_CLIENT_AUTH_FAILED,
                "Sentinel answered without a usable token",
                status=resp.status,
            ) from err

    def __repr__(self) -> str:
        return "LpClient()"
