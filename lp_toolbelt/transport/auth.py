"""The one authorization hook: attach credentials; on 401 refresh once and send once more.

``Transport.send(request, auth=authorizer)`` runs the hook for every client: it sends
``await authorizer.authorize(request)`` and, if the answer is ``401``, sends ``await authorizer.reauthorize(sent)``
once when that gives a request (``None``: the credentials cannot be renewed; the 401 is the answer). Both run
under the call's deadline.

A credential is an aiohttp client middleware kept in :attr:`Request.auth`, so it never sits in a header mapping
a repr, a log line or a traceback could show, and it is dropped on a redirect to another origin:

* OAuth 1.0a API keys: :class:`~lp_toolbelt.transport.middlewares.SigningMiddleware` (a signature per attempt);
* bearer tokens, API keys, Swift tokens, Salesforce tokens: :class:`HeaderCredential`.

Authorizers: the LP client's per app-key secret (``clients/lp_auth.py``), :class:`StaticAuthorizer` (an API key
that cannot be renewed: the Context Session Store), :class:`TokenAuthorizer` (a token fetched and renewed on 401,
one renewal however many requests were refused at once: Swift, Salesforce).

Example::

    auth = StaticAuthorizer(HeaderCredential("maven-api-key", api_key))
    resp = await transport.send(request, auth=auth)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import ClientHandlerType, ClientRequest, ClientResponse

from ..errors import ToolbeltError
from .request import Request

__all__ = ["Authorizer", "HeaderCredential", "StaticAuthorizer", "TokenAuthorizer"]


class Authorizer(Protocol):
    """Attaches credentials to a request, and renews them after a 401."""

    async def authorize(self, request: Request) -> Request:
        """``request`` with the current credentials (may fetch them)."""
        ...

    async def reauthorize(self, sent: Request) -> Request | None:
        """After ``sent`` was answered 401: the request with renewed credentials, or ``None`` to give up."""
        ...


class HeaderCredential:
    """An aiohttp client middleware that sets one header to a secret value; ``repr()`` shows the name only."""

    __slots__ = ("_name", "_value")

    def __init__(self, name: str, value: str) -> None:
        self._name = name
        self._value = value

    @property
    def header(self) -> str:
        """The header name."""
        return self._name

    def matches(self, value: str) -> bool:
        """Whether this credential sends ``value`` (without exposing it)."""
        return self._value == value

    async def __call__(self, req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        req.headers[self._name] = self._value
        return await handler(req)

    def __repr__(self) -> str:
        return f"<{self._name} credential>"


class StaticAuthorizer:
    """A credential that cannot be renewed (an API key): a 401 is the answer.

    Example::

        auth = StaticAuthorizer(HeaderCredential("maven-api-key", api_key))
    """

    __slots__ = ("_credential",)

    def __init__(self, credential: HeaderCredential) -> None:
        self._credential = credential

    async def authorize(self, request: Request) -> Request:
        return request.with_auth(self._credential)

    async def reauthorize(self, sent: Request) -> Request | None:
        return None

    def __repr__(self) -> str:
        return f"StaticAuthorizer({self._credential!r})"


class TokenAuthorizer:
    """A token in one header, fetched when first needed and renewed after a 401.

    One renewal serves every request refused with the same token (the others wait for it, then go with the new
    one). ``max_refreshes`` bounds the renewals (``None``: no bound; ``0``: never renew). A failed renewal raises,
    or, with ``keep_errors=True``, is kept in :attr:`refresh_error` and the 401 stands. ``rebase`` adapts a refused
    request to what the renewal learnt (e.g. Salesforce's new instance URL).

    ``credential`` makes the credential middleware of a token (e.g. ``lambda t: HeaderCredential("x-auth-token",
    t)``).

    Example::

        auth = TokenAuthorizer(swift_token, fetch_swift_token, max_refreshes=1, keep_errors=True)
        await auth.credential()            # the first token (errors raise)
    """

    def __init__(
        self,
        credential: Callable[[str], HeaderCredential],
        fetch: Callable[[], Awaitable[str]],
        *,
        token: str | None = None,
        max_refreshes: int | None = None,
        keep_errors: bool = False,
        rebase: Callable[[Request], Request] | None = None,
    ) -> None:
        self._make = credential
        self._fetch = fetch
        self._current = credential(token) if token is not None else None
        self._max_refreshes = max_refreshes
        self._keep_errors = keep_errors
        self._rebase = rebase
        self._lock = asyncio.Lock()
        self._attempts = 0
        self.refreshes = 0  # successful renewals
        self.refresh_error: ToolbeltError | None = None

    @property
    def current(self) -> HeaderCredential | None:
        """The credential in use (``None`` before the first fetch)."""
        return self._current

    async def credential(self) -> HeaderCredential:
        """The current credential, fetched once however many ask (fetch errors raise)."""
        current = self._current
        if current is not None:
            return current
        async with self._lock:
            if self._current is None:
                self._current = self._make(await self._fetch())
            return self._current

    async def renew(self, stale: HeaderCredential | None) -> HeaderCredential | None:
        """A credential to use instead of ``stale``: the one another caller renewed meanwhile, or a new one (one
        fetch however many callers saw ``stale`` refused); ``None`` when renewals are exhausted or (with
        ``keep_errors``) the renewal failed."""
        async with self._lock:
            current = self._current
            if current is not stale:
                return current  # renewed by another caller meanwhile
            if self._max_refreshes is not None and self._attempts >= self._max_refreshes:
                return None
            self._attempts += 1
            try:
                token = await self._fetch()
            except ToolbeltError as err:
                self.refresh_error = err
                if self._keep_errors:
                    return None
                raise
            self.refreshes += 1
            self._current = self._make(token)
            return self._current

    async def authorize(self, request: Request) -> Request:
        return request.with_auth(self._current or await self.credential())

    async def reauthorize(self, sent: Request) -> Request | None:
        stale = sent.auth if isinstance(sent.auth, HeaderCredential) else None
        fresh = await self.renew(stale)
        if fresh is None:
            return None
        request = sent if self._rebase is None else self._rebase(sent)
        return request.with_auth(fresh)

    def __repr__(self) -> str:
        return f"TokenAuthorizer({self._current!r}, refreshes={self.refreshes})"
