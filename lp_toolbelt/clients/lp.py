"""LP client: authenticated calls to LivePerson APIs — CSDS discovery + OAuth 1.0a or OAuth 2 credentials.

The credentials come from a secret (default ``lp-faas-default-app-key``; per call ``app_key_secret_name``):

* an API key ``{"consumerKey", "consumerSecret", "token", "tokenSecret"}`` → every request is signed with
  OAuth 1.0a HMAC-SHA1 by the transport on every attempt (on the final URL, fresh nonce per attempt);
* an app installation ``{"client_id", "client_secret"}`` → a Sentinel client-credentials token, cached and
  fetched once however many callers ask, renewed 60 s before expiry.

On 401 the secret is re-read bypassing the cache, the signer/token renewed, and the request retried once.

Example::

    lp = tb.lp_client()
    resp = await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, f"/api/account/{acc}/configuration/le-users/skills")
    skills = resp.json()
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientMiddlewareType
from yarl import URL

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
from .http import make_request, validate_method, validate_options, validate_timeout, validate_url
from .secrets import SecretClient

__all__ = ["LpAuthCache", "LpClient", "parse_credentials"]

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
    """How to authorize one request: a signing middleware (OAuth1: signs every attempt and redirect hop inside
    aiohttp, on the URL it sends) or a fixed ``Authorization`` header (OAuth2)."""

    middlewares: tuple[ClientMiddlewareType, ...] = ()
    header: str | None = None


def _authorized(
    verb: str,
    url: URL,
    params: Mapping[str, str] | None,
    headers: Mapping[str, str] | None,
    json: Any,
    data: Any,
    retry_safe: bool | None,
    auth: _Auth,
) -> Request:
    """The request with its authorization: a signing middleware (OAuth1) or an ``Authorization`` header (OAuth2)."""
    if auth.header is not None:
        headers = {**headers, "Authorization": auth.header} if headers else {"Authorization": auth.header}
    return make_request(verb, url, params, headers, json, data, retry_safe=retry_safe, middlewares=auth.middlewares)


class LpAuthCache:
    """The LP client's authorizations, shared by every LpClient of one Toolbelt.

    ``by_credentials``: one signer per API key. ``by_secret``: per secret name, the cached secret value (the very
    object in the secret cache) with the credentials parsed from it and their authorization — so a call whose
    secret is still cached neither copies nor re-parses it: it checks ``secrets.peek(name) is value`` and goes.
    A re-read or updated secret is a new object, so the check fails and the slow path runs again.
    """

    __slots__ = ("by_credentials", "by_secret")

    def __init__(self, by_credentials: dict[OAuth1Credentials, _Auth] | None = None) -> None:
        self.by_credentials: dict[OAuth1Credentials, _Auth] = {} if by_credentials is None else by_credentials
        self.by_secret: dict[str, tuple[object, OAuth1Credentials | OAuth2Credentials, _Auth]] = {}


class LpClient:
    """Calls a LivePerson API by CSDS service name and path, authorized with the app key secret."""

    def __init__(
        self,
        transport: Transport,
        config: ToolbeltConfig,
        csds: CsdsClient,
        secrets: SecretClient,
        signers: LpAuthCache | dict[OAuth1Credentials, _Auth],
        tokens: SingleFlightCache[tuple[str, str], str],
    ) -> None:
        self._transport = transport
        self._config = config
        self._csds = csds
        self._secrets = secrets
        self._auth = signers if isinstance(signers, LpAuthCache) else LpAuthCache(signers)
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
        timeout = validate_timeout(timeout, COMPONENT)
        if not isinstance(service, str) or not service:
            raise InvalidArgumentError(
                COMPONENT, ErrorCodes.HTTP_INVALID_ARGUMENT, "service must be an LpServices value or a CSDS name"
            )
        budget = self._transport.timeout if timeout is None else timeout
        try:
            async with self._transport.deadline(budget):
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
        # Every argument is checked before any I/O (CSDS, secret, token); the request is built once, authorized.
        verb = validate_method(method, COMPONENT)
        str_params = validate_options(params, headers, json, data, COMPONENT)
        host = await self._csds.get(str(service))
        url = validate_url(f"{self._config.scheme}://{host}{path}", COMPONENT)
        secret_name = app_key_secret_name or C.DEFAULT_APP_KEY_SECRET
        auth = await self._authorization(secret_name, refresh=False)
        # Guarded: __call__ bounds the whole call with one timer, a tighter one than send() would start.
        send = self._transport.send
        request = _authorized(verb, url, str_params, headers, json, data, retry_safe, auth)
        resp = await send(request, component=COMPONENT, timeout=timeout, guarded=True)
        if resp.status == 401:
            # The key may have been rotated: re-read the secret (no cache), renew, try once more.
            auth = await self._authorization(secret_name, refresh=True)
            request = _authorized(verb, url, str_params, headers, json, data, retry_safe, auth)
            resp = await send(request, component=COMPONENT, timeout=timeout, guarded=True)
        if raise_for_status:
            resp.raise_for_status()
        return resp

    async def _authorization(self, secret_name: str, *, refresh: bool) -> _Auth:
        if not refresh:
            known = self._auth.by_secret.get(secret_name)
            if known is not None and known[0] is self._secrets.peek(secret_name):
                # The secret is cached and unchanged since its credentials were parsed: no copy, no parsing.
                creds, auth = known[1], known[2]
                if isinstance(creds, OAuth1Credentials):
                    return auth
                return await self._bearer(secret_name, creds, auth, refresh=False)
        try:
            entry = await self._secrets.read_secret(secret_name, use_cache=not refresh)
        except ToolbeltError as err:
            raise ToolbeltError(
                COMPONENT,
                ErrorCodes.LP_CLIENT_GET_CREDENTIALS_FAILURE,
                f"could not read app key secret {secret_name!r}: {err.message}",
            ) from err
        creds = parse_credentials(entry.value)
        cached = self._secrets.peek(secret_name)  # the object entry.value was copied from (no await in between)
        if isinstance(creds, OAuth1Credentials):
            signer = self._auth.by_credentials.get(creds)
            if signer is None:
                signer = _Auth(middlewares=(signing_middleware(OAuth1Signer(creds)),))
                self._auth.by_credentials[creds] = signer
            if cached is not None:
                self._auth.by_secret[secret_name] = (cached, creds, signer)
            return signer
        bearer = await self._bearer(secret_name, creds, None, refresh=refresh)
        if cached is not None and cached is self._secrets.peek(secret_name):
            self._auth.by_secret[secret_name] = (cached, creds, bearer)
        return bearer

    async def _bearer(self, secret_name: str, creds: OAuth2Credentials, last: _Auth | None, *, refresh: bool) -> _Auth:
        """The OAuth2 authorization: the cached token (one fetch however many ask), ``last`` if it is unchanged."""
        key = (secret_name, creds.client_id)
        if refresh:
            self._tokens.invalidate(key)
        header = await self._tokens.get(key, lambda: self._fetch_token(creds))
        if last is not None and last.header == header:
            return last
        auth = _Auth(header=header)
        if last is not None:
            known = self._auth.by_secret.get(secret_name)
            if known is not None and known[2] is last:
                self._auth.by_secret[secret_name] = (known[0], creds, auth)
        return auth

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
