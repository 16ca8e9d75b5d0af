"""aiohttp client middlewares: request identity (X-Request-Id, User-Agent) and OAuth1 request signing.

Middlewares run inside aiohttp for every attempt and every redirect hop, on the final URL (query included): that is
where a signature must be computed, and where a fresh request id belongs. The transport's sender puts
:func:`identity_middleware` first on every request (also through a borrowed session); the LP client's authorizer
attaches a :class:`SigningMiddleware` as the credential of API-key (OAuth 1.0a) requests. (aioresponses bypasses
middlewares, so these are tested against a real loopback server.)

The id a request went out with is left in :data:`SENT_REQUEST_ID` (the middleware runs in the sending task), so the
transport can name it in its logs and attempt spans.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from typing import Final, Protocol

from aiohttp import ClientHandlerType, ClientMiddlewareType, ClientRequest, ClientResponse
from yarl import URL

__all__ = [
    "REQUEST_ID_HEADER",
    "SENT_REQUEST_ID",
    "RequestSigner",
    "SigningMiddleware",
    "identity_middleware",
    "request_id_middleware",
    "signing_middleware",
]

REQUEST_ID_HEADER = "X-Request-Id"
AUTHORIZATION_HEADER = "Authorization"

SENT_REQUEST_ID: Final[ContextVar[str | None]] = ContextVar("lp_toolbelt_sent_request_id", default=None)
"""The ``X-Request-Id`` of the request this task sent last (set by the identity middleware, on every attempt)."""


async def request_id_middleware(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
    """Add ``X-Request-Id: <uuid4>`` unless the caller (or a borrowed session) set one; record it in
    :data:`SENT_REQUEST_ID`."""
    request_id = req.headers.get(REQUEST_ID_HEADER)
    if request_id is None:
        request_id = req.headers[REQUEST_ID_HEADER] = str(uuid.uuid4())
    SENT_REQUEST_ID.set(request_id)
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
            request_id = req.headers[REQUEST_ID_HEADER] = str(uuid.uuid4())
        SENT_REQUEST_ID.set(request_id)
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
