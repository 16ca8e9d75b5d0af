"""App-key credentials: the authorizer of the LP client (and of V2's Orchestrator and LP mTLS clients).

An app key is a secret. Its value decides how requests are authorized:

* an app installation ``{"client_id", "client_secret"}`` (OAuth 2.0, the live platform's only scheme since
  LivePerson's OAuth 1.0 app keys reached end of life on 2026-05-31) → a Sentinel client-credentials token,
  cached with the Toolbelt's tokens and fetched once however many callers ask, renewed 60 s before expiry;
* an API key ``{"consumerKey", "consumerSecret", "token", "tokenSecret"}`` (OAuth 1.0a, legacy) → every attempt is
  signed by a :class:`~lp_toolbelt.transport.middlewares.SigningMiddleware` (one signer per key).

The default app key is V2's system secret ``LIVEPERSON_DEFAULT_APP_KEY``, else V1's ``lp-faas-default-app-key``.
After a 401 the secret is re-read bypassing the cache and a fresh token fetched (never the old one), once.

Example::

    auth = tb.app_keys.authorizer(None)             # the default app key
    resp = await tb.transport.send(request, auth=auth)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from aiohttp import ClientMiddlewareType

from .. import _constants as C
from .._singleflight import SingleFlightCache
from ..auth.oauth1 import OAuth1Credentials, OAuth1Signer
from ..auth.oauth2 import OAuth2Credentials, parse_token_response, token_request
from ..config import ToolbeltConfig
from ..errors import AuthenticationError, ErrorCodes, NotFoundError, ToolbeltError
from ..telemetry import note_cache
from ..transport.auth import HeaderCredential
from ..transport.middlewares import SigningMiddleware
from ..transport.request import Request
from ..transport.send import Transport
from .csds import CsdsClient
from .secrets import SecretClient

__all__ = ["LP_CLIENT_AUTH", "AppKeyAuthorizer", "AppKeyClient", "AppKeys", "AuthCodes", "parse_credentials"]

SENTINEL_SERVICE: Final = "sentinel"
_log = logging.getLogger("lp_toolbelt.auth")


@dataclass(frozen=True, slots=True)
class AuthCodes:
    """The error codes of one component's app-key failures; ``oauth1``: API keys are accepted (the LP client's)."""

    component: str
    wrong_format: str
    get_failure: str
    auth_failed: str
    oauth1: bool = True


LP_CLIENT_AUTH: Final = AuthCodes(
    "LpClient",
    ErrorCodes.LP_CLIENT_CREDENTIALS_WRONG_FORMAT,
    ErrorCodes.LP_CLIENT_GET_CREDENTIALS_FAILURE,
    ErrorCodes.LP_CLIENT_AUTH_FAILED,
)

_OAUTH1_FIELDS: Final = ("consumerKey", "consumerSecret", "token", "tokenSecret")


def parse_credentials(value: Any, codes: AuthCodes = LP_CLIENT_AUTH) -> OAuth1Credentials | OAuth2Credentials:
    """Credentials from a secret value (pure); ``codes.wrong_format`` for other shapes."""
    if isinstance(value, Mapping):
        if codes.oauth1 and all(isinstance(value.get(k), str) and value.get(k) for k in _OAUTH1_FIELDS):
            return OAuth1Credentials(
                consumer_key=value["consumerKey"],
                consumer_secret=value["consumerSecret"],
                token=value["token"],
                token_secret=value["tokenSecret"],
            )
        if all(isinstance(value.get(k), str) and value.get(k) for k in ("client_id", "client_secret")):
            return OAuth2Credentials(client_id=value["client_id"], client_secret=value["client_secret"])
    shapes = "{client_id, client_secret} (app installation)"
    if codes.oauth1:
        shapes = "{consumerKey, consumerSecret, token, tokenSecret} (API key) or " + shapes
    raise ToolbeltError(codes.component, codes.wrong_format, f"the app key secret must hold {shapes}")


class AppKeys:
    """The app-key credentials of one Toolbelt: one authorizer per (secret, component), one OAuth1 signer per API
    key, and the Sentinel tokens (``tokens``, shared through Redis when configured)."""

    def __init__(
        self,
        transport: Transport,
        config: ToolbeltConfig,
        csds: CsdsClient,
        secrets: SecretClient,
        tokens: SingleFlightCache[tuple[str, str], str],
    ) -> None:
        self.transport = transport
        self.config = config
        self.csds = csds
        self.secrets = secrets
        self.tokens = tokens
        self._signers: dict[OAuth1Credentials, SigningMiddleware] = {}
        self._authorizers: dict[tuple[str | None, AuthCodes, tuple[str, ...]], AppKeyAuthorizer] = {}

    def authorizer(
        self,
        secret_name: str | None = None,
        codes: AuthCodes = LP_CLIENT_AUTH,
        *,
        defaults: tuple[str, ...] = C.DEFAULT_APP_KEY_SECRETS,
    ) -> AppKeyAuthorizer:
        """The authorizer of app key ``secret_name`` for ``codes.component``; ``None``: the first of ``defaults``
        that exists (V2's ``LIVEPERSON_DEFAULT_APP_KEY``, then V1's ``lp-faas-default-app-key``, unless a client
        names its own order)."""
        key = (secret_name, codes, defaults)
        found = self._authorizers.get(key)
        if found is None:
            found = self._authorizers[key] = AppKeyAuthorizer(self, secret_name, codes, defaults)
        return found

    def signer(self, credentials: OAuth1Credentials) -> SigningMiddleware:
        """The signing middleware of an API key (built once per key)."""
        found = self._signers.get(credentials)
        if found is None:
            found = self._signers[credentials] = SigningMiddleware(OAuth1Signer(credentials))
        return found

    async def fetch_token(self, credentials: OAuth2Credentials, codes: AuthCodes) -> tuple[str, float]:
        """``(authorization header value, seconds to keep it)`` from Sentinel for an app installation."""
        account = self.config.require_account(codes.component)
        sentinel = await self.csds.resolve(SENTINEL_SERVICE)
        _log.debug("%s: fetching a Sentinel token (app installation)", codes.component)
        resp = await self.transport.send(
            token_request(self.config.scheme, sentinel, account, credentials),
            component=codes.component,
            service=SENTINEL_SERVICE,
        )
        if not resp.ok:
            raise AuthenticationError(
                codes.component,
                codes.auth_failed,
                f"Sentinel refused the client credentials ({resp.status})",
                status=resp.status,
            )
        try:
            return parse_token_response(resp.json())
        except (ValueError, ToolbeltError) as err:
            raise AuthenticationError(
                codes.component, codes.auth_failed, "Sentinel answered without a usable token", status=resp.status
            ) from err

    def __repr__(self) -> str:
        return f"AppKeys(authorizers={len(self._authorizers)})"


class AppKeyAuthorizer:
    """Authorizes requests with one app key secret (an :class:`~lp_toolbelt.transport.auth.Authorizer`).

    While the secret's cached value is the one the credential came from (``secrets.peek(name) is value``) and its
    token is fresh, :meth:`authorize` does no I/O and no parsing. A re-read or updated secret is a new object, so
    the check fails and the slow path reads and parses it again.
    """

    __slots__ = ("_codes", "_credential", "_defaults", "_keys", "_name", "_resolved", "_token_key", "_value")

    def __init__(
        self,
        keys: AppKeys,
        secret_name: str | None,
        codes: AuthCodes,
        defaults: tuple[str, ...] = C.DEFAULT_APP_KEY_SECRETS,
    ) -> None:
        self._keys = keys
        self._name = secret_name
        self._codes = codes
        self._defaults = defaults
        self._resolved: str | None = None  # the secret the credential came from
        self._value: object = None  # its cached value object
        self._token_key: tuple[str, str] | None = None  # OAuth2: the token cache key
        self._credential: ClientMiddlewareType | None = None

    async def authorize(self, request: Request) -> Request:
        return request.with_auth(await self.credential())

    async def reauthorize(self, sent: Request) -> Request | None:
        # The key may have been rotated: re-read the secret (no cache), renew the token, try once more.
        return sent.with_auth(await self._load(refresh=True))

    async def credential(self) -> ClientMiddlewareType:
        """The current credential (a signer or a bearer header), loading it when needed."""
        name, credential = self._resolved, self._credential
        if name is not None and credential is not None and self._keys.secrets.peek(name) is self._value:
            token_key = self._token_key
            if token_key is None:
                return credential  # OAuth1: the signer signs every attempt
            header = self._keys.tokens.peek(token_key)
            if header is not None and isinstance(credential, HeaderCredential) and credential.matches(header):
                note_cache("token", True)
                return credential
        return await self._load(refresh=False)

    async def _load(self, *, refresh: bool) -> ClientMiddlewareType:
        keys, codes = self._keys, self._codes
        name, value = await self._read(refresh)
        cached = keys.secrets.peek(name)  # the object value was copied from (no await in between)
        creds = parse_credentials(value, codes)
        credential: ClientMiddlewareType
        if isinstance(creds, OAuth1Credentials):
            credential, token_key = keys.signer(creds), None
        else:
            token_key = (name, creds.client_id)
            if refresh:
                _log.info("%s: renewing the token of app key %r (401)", codes.component, name)
                keys.tokens.invalidate(token_key)
            note_cache("token", keys.tokens.peek(token_key) is not None)
            header = await keys.tokens.get(token_key, lambda: keys.fetch_token(creds, codes))
            credential = HeaderCredential("Authorization", header)
        if cached is not None and cached is keys.secrets.peek(name):
            self._resolved, self._value, self._token_key, self._credential = name, cached, token_key, credential
        return credential

    async def _read(self, refresh: bool) -> tuple[str, Any]:
        """``(secret name, value)``: the named secret, or the first default app key that exists."""
        names = (self._name,) if self._name is not None else self._defaults
        for index, name in enumerate(names):
            try:
                entry = await self._keys.secrets.read_secret(name, use_cache=not refresh)
            except NotFoundError as err:
                if index + 1 < len(names):
                    _log.debug(
                        "%s: no app key secret %r; falling back to %r", self._codes.component, name, names[index + 1]
                    )
                    continue  # the first default is absent: the next one
                raise self._get_failure(names, err) from err
            except ToolbeltError as err:
                raise self._get_failure((name,), err) from err
            return name, entry.value
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_failure(self, names: tuple[str, ...], err: ToolbeltError) -> ToolbeltError:
        which = " nor ".join(repr(n) for n in names)
        prefix = "neither " if len(names) > 1 else ""
        return ToolbeltError(
            self._codes.component,
            self._codes.get_failure,
            f"could not read app key secret {prefix}{which}: {err.message}",
        )

    def __repr__(self) -> str:
        return f"AppKeyAuthorizer(secret={self._name or 'default'!r}, component={self._codes.component!r})"


class AppKeyClient:
    """Base of a client that calls a LivePerson service (found by CSDS) with the Sentinel token of an app key: V2's
    Orchestrator and LP mTLS client. It keeps the transport, the config, CSDS and the authorizer of the app key
    ``app_key_secret_name`` (``None``: the first of the subclass's ``DEFAULT_APP_KEYS`` that exists), for its
    ``AUTH`` codes."""

    AUTH: ClassVar[AuthCodes]
    DEFAULT_APP_KEYS: ClassVar[tuple[str, ...]] = C.DEFAULT_APP_KEY_SECRETS

    def __init__(
        self,
        transport: Transport,
        config: ToolbeltConfig,
        csds: CsdsClient,
        app_keys: AppKeys,
        *,
        app_key_secret_name: str | None = None,
    ) -> None:
        self._transport = transport
        self._config = config
        self._csds = csds
        self._auth = app_keys.authorizer(app_key_secret_name, self.AUTH, defaults=self.DEFAULT_APP_KEYS)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._auth!r})"
