"""aiohttp client middlewares: request identity (X-Request-Id, User-Agent) and OAuth1 request signing.

Middlewares run inside aiohttp for every attempt and every redirect hop, on the final URL (query included): that is
where a signature must be computed, and where a fresh request id belongs. The transport's sender puts
:func:`identity_middleware` first on every request (also through a borrowed session); the LP client's authorizer
attaches a :class:`SigningMiddleware` as the credential of API-key (OAuth 1.0a) requests. (aioresponses bypasses
middlewares, so these are tested against a real loopback server.)

The id a request went out with is left in the sending task's :class:`RequestIdSlot` (the middleware runs in that
task), so the transport can name it in its logs and attempt spans.
"""

from __future__ import annotations

import asyncio
import os
from contextvars import ContextVar
from typing import Final, Protocol

from aiohttp import ClientHandlerType, ClientMiddlewareType, ClientRequest, ClientResponse
from yarl import URL

__all__ = [
    "REQUEST_ID_HEADER",
    "RequestIdSlot",
    "RequestSigner",
    "SigningMiddleware",
    "identity_middleware",
    "new_request_id",
    "request_id_middleware",
    "request_id_slot",
    "signing_middleware",
]

REQUEST_ID_HEADER = "X-Request-Id"
AUTHORIZATION_HEADER = "Authorization"


class RequestIdSlot:
    """The ``X-Request-Id`` the owning task sent last (written by the identity middleware on every attempt)."""

    __slots__ = ("owner", "value")

    def __init__(self, owner: int) -> None:
        self.owner = owner
        self.value: str | None = None


_SLOT: Final[ContextVar[RequestIdSlot | None]] = ContextVar("lp_toolbelt_request_id_slot", default=None)


def request_id_slot() -> RequestIdSlot:
    """The current task's slot, made once per task (a child task inherits its parent's context, not its slot).

    One ``ContextVar.set`` per task, not per request: a context change per request would be an allocation each.
    """
    owner = id(asyncio.current_task())
    slot = _SLOT.get()
    if slot is None or slot.owner != owner:
        slot = RequestIdSlot(owner)
        _SLOT.set(slot)
    return slot


def _record(request_id: str) -> None:
    slot = _SLOT.get()
    if slot is not None:
        slot.value = request_id


def new_request_id() -> str:
    """A random (version 4) UUID in its text form, from 16 bytes of ``os.urandom`` (fork-safe, as ``uuid.uuid4``).

    The same value ``str(uuid.uuid4())`` gives, built without the ``UUID`` object: it is made for every attempt.

    >>> uuid.UUID(new_request_id()).version
    4
    """
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


_VARIANT: Final = "89ab"  # RFC 4122: the two high bits of the clock-seq byte are 10


async def request_id_middleware(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
    """Add ``X-Request-Id: <uuid4>`` unless the caller (or a borrowed session) set one; record it in the sending
    task's :class:`RequestIdSlot`."""
    request_id = req.headers.get(REQUEST_ID_HEADER)
    if request_id is None:
        request_id = req.headers[REQUEST_ID_HEADER] = new_request_id()
    _record(request_id)
    return await handler(req)


def identity_middleware(user_agent: str | None) -> ClientMiddlewareType:
    """The request-id middleware, which also sends ``User-Agent: user_agent`` when one is given.

    LivePerson's V1 toolbelt identified a function with ``User-Agent: LP-Lambda-<function uuid>`` on every request;
    set here, it holds for a borrowed session too (whose own default headers would otherwise win).
    """
    if user_agent is None:
        return request_id_middleware

    async def identity(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        request_id = req.headers.get(REQUEST_ID_HEADER)
        if request_id is None:
            request_id = req.headers[REQUEST_ID_HEADER] = new_request_id()
        _record(request_id)
        req.headers["User-Agent"] = user_agent
        return await handler(req)

    return identity


class RequestSigner(Protocol):
    """Computes an ``Authorization`` header value for a method and a final URL."""

    def authorization(self, method: str, url: URL) -> str: ...


def signing_middleware(signer: RequestSigner) -> SigningMiddleware:
    """A middleware that signs every request it sees with ``signer`` (fresh nonce/timestamp per attempt).

    Example::

        mw = signing_middleware(OAuth1Signer(credentials))
        await transport.send(Request("GET", url, auth=mw))
    """
    return SigningMiddleware(signer)


class SigningMiddleware:
    """Sets ``Authorization`` from a :class:`RequestSigner` on the URL aiohttp sends (built once per credentials)."""

    __slots__ = ("_signer",)

    def __init__(self, signer: RequestSigner) -> None:
        self._signer = signer

    async def __call__(self, req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        req.headers[AUTHORIZATION_HEADER] = self._signer.authorization(req.method, req.url)
        return await handler(req)

    def __repr__(self) -> str:
        return "<signing middleware>"
