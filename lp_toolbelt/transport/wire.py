"""The transport's one I/O seam: send one prepared :class:`Request`, get its status, headers and body back.

:class:`Sender` is the whole interface between the pure send loop and the network: one call, one attempt, no
redirects followed, no retries. :class:`AiohttpSender` is the real one (the shared ``aiohttp.ClientSession``, the
transport's middlewares, the egress proxy, the response size cap). A test replaces it with any async callable to
drive retries, redirects and authorization without patching aiohttp::

    async def sender(request: Request) -> WireResponse:
        return WireResponse(503, CIMultiDictProxy(CIMultiDict()), b"", None)

    transport = Transport(allowlist=..., limiter=..., sender=sender)

Failures cross the seam as two exception types only: :class:`NetworkFailure` (no answer; ``kind`` says what went
wrong and whether the request may have arrived) and :class:`UnsendableRequest` (the request could not be built).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NamedTuple, Protocol

import aiohttp
from aiohttp import ClientMiddlewareType
from multidict import CIMultiDict, CIMultiDictProxy

from .. import _constants as C
from .proxy import EgressProxy
from .request import ABSENT, Request

__all__ = ["AiohttpSender", "FailureKind", "NetworkFailure", "Sender", "UnsendableRequest", "WireResponse"]

FailureKind = Literal["connect", "io", "timeout", "tls", "too-large"]


class WireResponse(NamedTuple):
    """One HTTP answer, body fully read."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    reason: str | None


class NetworkFailure(Exception):
    """No HTTP answer. ``kind``: ``connect`` (the connection could not be opened: nothing was sent), ``io`` (reset,
    dropped, truncated), ``timeout`` (the per-attempt timeout passed), ``tls`` (handshake or certificate), or
    ``too-large`` (the answer exceeds ``limit`` bytes). The aiohttp/OS error is the ``__cause__``."""

    def __init__(self, kind: FailureKind, *, limit: int | None = None) -> None:
        super().__init__(kind)
        self.kind: FailureKind = kind
        self.limit = limit

    @property
    def sent(self) -> bool:
        """Whether the request may have reached the server (only a failed connect proves it did not)."""
        return self.kind != "connect"


class UnsendableRequest(Exception):
    """The request cannot be sent as built (a body that does not serialize, an invalid URL or header)."""


class Sender(Protocol):
    """Sends one request once: the transport's whole I/O interface."""

    async def __call__(self, request: Request) -> WireResponse: ...


class _TooLarge(aiohttp.ClientPayloadError):
    pass


class AiohttpSender:
    """The real sender: ``session().request(...)`` with ``middlewares`` first, then the request's own, then its
    credential; redirects are left to the caller; the body is read up to ``max_response_bytes``. The egress proxy's
    own answer to the CONNECT of an https request (403, 429...) is returned as the answer, with an empty body."""

    __slots__ = ("_max_bytes", "_middlewares", "_proxy", "_session")

    def __init__(
        self,
        session: Callable[[], aiohttp.ClientSession],
        *,
        middlewares: tuple[ClientMiddlewareType, ...] = (),
        proxy: EgressProxy | None = None,
        max_response_bytes: int = C.MAX_RESPONSE_BYTES,
    ) -> None:
        self._session = session
        self._middlewares = middlewares
        self._proxy = proxy
        self._max_bytes = max_response_bytes

    async def __call__(self, request: Request) -> WireResponse:
        kwargs: dict[str, Any] = {}
        if request.json is not ABSENT:
            kwargs["json"] = request.json
        elif request.data is not None:
            kwargs["data"] = request.data
        if request.tls is not None:
            kwargs["ssl"] = request.tls  # the mTLS client's context (client certificate, CA): per request, one session
        if self._proxy is not None:
            proxy = self._proxy.for_url(request.url)
            if proxy is not None:
                kwargs["proxy"] = proxy
        middlewares = self._middlewares
        if request.middlewares:
            middlewares += request.middlewares
        if request.auth is not None:
            middlewares = (*middlewares, request.auth)
        try:
            async with self._session().request(
                request.method,
                request.url,
                headers=request.headers,
                allow_redirects=False,
                middlewares=middlewares,
                **kwargs,
            ) as resp:
                body = await self._read(resp)
                return WireResponse(resp.status, resp.headers, body, resp.reason)
        except TimeoutError:
            raise  # a deadline of the caller's, not a network failure
        except _TooLarge as err:
            raise NetworkFailure("too-large", limit=self._max_bytes) from err
        except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as err:
            raise NetworkFailure("tls") from err
        except aiohttp.ServerFingerprintMismatch as err:
            raise NetworkFailure("tls") from err
        except aiohttp.ClientConnectorError as err:
            raise NetworkFailure("connect") from err
        except aiohttp.InvalidURL as err:
            raise UnsendableRequest("invalid URL") from err
        except aiohttp.ClientHttpProxyError as err:
            # The egress proxy answered the CONNECT of an https request itself (403: host refused, 429: rate cap):
            # that is the request's answer, as the proxy's answer to a plain-http request is. Nothing was sent.
            return WireResponse(err.status, CIMultiDictProxy(CIMultiDict(err.headers or {})), b"", err.message or None)
        except (aiohttp.ClientError, OSError) as err:
            raise NetworkFailure("io") from err
        except (TypeError, ValueError) as err:
            raise UnsendableRequest(type(err).__name__) from err

    async def _read(self, resp: aiohttp.ClientResponse) -> bytes:
        limit = self._max_bytes
        length = resp.content_length
        if length is not None and length <= limit:
            return await resp.read()
        if length is not None:
            raise _TooLarge(f"response exceeds {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(65536):
            size += len(chunk)
            if size > limit:
                raise _TooLarge(f"response exceeds {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def __repr__(self) -> str:
        return "AiohttpSender()"
