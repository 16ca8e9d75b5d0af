"""aiohttp client middlewares: request ids and request signing.

Middlewares run inside aiohttp for every attempt and every redirect hop, on the final URL (query included):
that is where a signature must be computed. (aioresponses bypasses middlewares, so these are tested against a
real server — the emulator.)
"""

from __future__ import annotations

import uuid
from typing import Protocol

from aiohttp import ClientHandlerType, ClientRequest, ClientResponse
from yarl import URL

__all__ = ["RequestSigner", "request_id_middleware", "signing_middleware"]

REQUEST_ID_HEADER = "X-Request-Id"


async def request_id_middleware(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
    """Add ``X-Request-Id: <uuid4>`` unless the caller set one."""
    if REQUEST_ID_HEADER not in req.headers:
        req.headers[REQUEST_ID_HEADER] = str(uuid.uuid4())
    return await handler(req)


class RequestSigner(Protocol):
    """Computes an ``Authorization`` header value for a method and a final URL."""

    def authorization(self, method: str, url: URL) -> str: ...


def signing_middleware(signer: RequestSigner) -> _SigningMiddleware:
    """A middleware that signs every request it sees with ``signer`` (fresh nonce/timestamp per attempt)."""
    return _SigningMiddleware(signer)


class _SigningMiddleware:
    __slots__ = ("_signer",)

    def __init__(self, signer: RequestSigner) -> None:
        self._signer = signer

    async def __call__(self, req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        req.headers["Authorization"] = self._signer.authorization(req.method, req.url)
        return await handler(req)

    def __repr__(self) -> str:
        return "<signing middleware>"
