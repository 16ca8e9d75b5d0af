"""The one send path: allowlist → limiter → middlewares → aiohttp → fully read HttpResponse, with retries.

Every client of a Toolbelt sends through one :class:`Transport`, so they share one ``aiohttp.ClientSession``,
one rate limiter and one retry policy. The clock, the sleep and the jitter source are injectable, so tests
drive retries with a fake clock instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import ClientMiddlewareType
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .. import _constants as C
from ..errors import (
    ErrorCodes,
    ForbiddenHostError,
    InvalidArgumentError,
    RateLimitedError,
    RequestTimeoutError,
    TransportError,
)
from .allowlist import Allowlist
from .deadline import Deadline, DeadlineTimers
from .limiter import RateLimiter
from .middlewares import request_id_middleware
from .response import HttpResponse
from .retry import RetryPolicy, is_retry_safe, parse_retry_after

__all__ = ["Request", "Transport"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MISSING: Any = object()
NO_JSON: Any = _MISSING  # ``Request.json`` when the request has no JSON body
_NO_TIMER = contextlib.nullcontext()  # reusable: the async with of a guarded send()


@dataclass(frozen=True, slots=True)
class Request:
    """A request as a value (built by pure functions in the clients, sent by :meth:`Transport.send`).

    ``retry_safe`` overrides the method-based idempotency rule (``None``: decide by method). ``middlewares`` run
    inside aiohttp after the transport's request-id middleware, on every attempt and redirect hop (e.g. the LP
    client's OAuth1 signing middleware). ``repr()`` leaves out headers and bodies: they carry credentials
    (bearer tokens, token-request forms).
    """

    method: str
    url: URL
    params: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = field(default=None, repr=False)
    json: Any = field(default=_MISSING, repr=False)
    data: Any = field(default=None, repr=False)
    retry_safe: bool | None = None
    middlewares: tuple[ClientMiddlewareType, ...] = field(default=())

    @property
    def has_json(self) -> bool:
        return self.json is not _MISSING


class Transport:
    """Owns (or borrows) the session and sends every request of one Toolbelt.

    Args:
        allowlist: the compiled proxy allowlist.
        limiter: the shared rate limiter.
        retry: the retry policy.
        timeout: default seconds for one call, all attempts and waits included.
        session: a borrowed session (not closed by :meth:`aclose`); ``None`` creates one lazily.
        clock: monotonic seconds (default ``time.monotonic``); sleep: awaitable sleep; rand: jitter in [0, 1);
        wall_clock: Unix time for HTTP-date Retry-After values.
    """

    def __init__(
        self,
        *,
        allowlist: Allowlist,
        limiter: RateLimiter,
        retry: RetryPolicy | None = None,
        timeout: float = C.DEFAULT_TIMEOUT,
        session: aiohttp.ClientSession | None = None,
        user_agent: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        wall_clock: Callable[[], float] = time.time,
        max_response_bytes: int = C.MAX_RESPONSE_BYTES,
    ) -> None:
        self.allowlist = allowlist
        self.limiter = limiter
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self._session = session
        self._owns_session = session is None
        self._user_agent = user_agent
        self._clock = clock
        self._sleep = sleep
        self._rand = rand
        self._wall_clock = wall_clock
        self._max_response_bytes = max_response_bytes
        self._closed = False
        self._allowed: tuple[Allowlist, dict[tuple[str, str | None, int | None], bool]] = (allowlist, {})
        self._timers = DeadlineTimers()

    # -- session lifecycle -------------------------------------------------------------------------------
    @property
    def session(self) -> aiohttp.ClientSession:
        """The shared session, created on first use (inside the running loop)."""
        if self._closed:
            raise TransportError("Toolbelt", ErrorCodes.HTTP_OP_FAILED, "the toolbelt is closed")
        if self._session is None:
            headers = {"User-Agent": self._user_agent} if self._user_agent else None
            # No aiohttp-level timeout: send() bounds every call (limiter wait, attempts, body) with its own deadline,
            # so aiohttp's default 5-minute timer would only cost a second timer per request.
            self._session = aiohttp.ClientSession(
                headers=headers, raise_for_status=False, timeout=aiohttp.ClientTimeout()
            )
            # aiohttp silently replays an idempotent request once when the connection drops; that hidden attempt
            # would skip the shared rate limiter, the backoff and the max_retries count. Retries are ours alone.
            self._session._retry_connection = False
        return self._session

    @property
    def clock(self) -> Callable[[], float]:
        """The injected monotonic clock (clients with their own deadline loops share it)."""
        return self._clock

    @property
    def sleep(self) -> Callable[[float], Awaitable[None]]:
        """The injected sleep."""
        return self._sleep

    @property
    def rand(self) -> Callable[[], float]:
        """The injected jitter source, uniform in [0, 1)."""
        return self._rand

    @property
    def closed(self) -> bool:
        return self._closed

    async def aclose(self) -> None:
        """Close the session if this transport created it. Idempotent."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session and not session.closed:
            await session.close()
        await self.limiter.aclose()

    # -- sending -----------------------------------------------------------------------------------------
    def deadline(self, delay: float) -> Deadline:
        """``asyncio.timeout(delay)`` on this transport's shared coarse timers (see :mod:`.deadline`): raises
        ``TimeoutError`` past ``delay`` seconds (at most one 5-50 ms slot late), for one timer per request."""
        return self._timers.scope(delay)

    def check_allowed(self, url: URL, component: str) -> None:
        """Raise ForbiddenHostError (status 403, the proxy's message) unless ``url`` may leave the proxy."""
        # The decision depends only on (scheme, host, port): remembered per allowlist (a few hosts per toolbelt).
        key = (url.scheme, url.raw_host, url.port)
        cache = self._allowed
        if cache[0] is not self.allowlist:
            cache = self._allowed = (self.allowlist, {})
        allowed = cache[1].get(key)
        if allowed is None:
            allowed = self.allowlist.allows(url)
            if len(cache[1]) >= 1024:
                cache[1].clear()
            cache[1][key] = allowed
        if not allowed:
            raise ForbiddenHostError(
                component,
                ErrorCodes.HTTP_FORBIDDEN_HOST,
                f"{C.PROXY_FORBIDDEN_MESSAGE} (host {url.host!r} is not on the allowlist)",
                status=403,
            )

    async def send(
        self,
        request: Request,
        *,
        component: str = "HTTPClient",
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        guarded: bool = False,
    ) -> HttpResponse:
        """Send ``request`` and return the fully read response (any status).

        Raises ForbiddenHostError before connecting for a host outside the allowlist (every redirect hop is
        checked too), RateLimitedError when 429s outlast the retries, RequestTimeoutError past the deadline,
        TransportError for network failures that cannot (or can no longer) be retried. ``retry`` overrides the
        transport's policy for this call (e.g. ``RetryPolicy(max_retries=0)`` for a client with its own loop).
        ``guarded=True``: the caller already runs this call under its own timeout (e.g. :meth:`deadline`) expiring
        no later than ``timeout`` from now (the LP client bounds its whole call), so no second timer is started;
        the deadline still bounds the retries, and on expiry the caller's timeout raises.
        """
        url = request.url
        if self._closed:
            raise TransportError(component, ErrorCodes.HTTP_OP_FAILED, "the toolbelt is closed")
        if not url.absolute:
            raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "the URL must be absolute")
        self.check_allowed(url, component)
        budget = self.timeout if timeout is None else timeout
        if budget <= 0:
            raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "timeout must be > 0")
        deadline = self._clock() + budget
        retry_safe = is_retry_safe(request.method, request.retry_safe)
        method = request.method.upper()
        params = request.params
        json_body = request.json
        data = request.data
        headers = request.headers
        middlewares = (request_id_middleware, *request.middlewares)
        policy = self.retry if retry is None else retry
        attempt = 0
        redirects = 0
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise self._timeout_error(component, url, budget)
            try:
                async with _NO_TIMER if guarded else self._timers.scope(remaining):
                    await self.limiter.acquire()
                    status, resp_headers, body, reason = await self._attempt(
                        method, url, params, headers, json_body, data, middlewares
                    )
            except TimeoutError as err:
                raise self._timeout_error(component, url, budget) from err
            except _TooLarge as err:
                raise self._transport_error(component, url, err) from err
            except aiohttp.ClientConnectorError as err:
                # Nothing was sent: safe to retry for any method (but not a TLS failure).
                if isinstance(err, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
                    raise self._transport_error(component, url, err) from err
                await self._before_retry(policy, component, url, attempt, deadline, err)
                attempt += 1
                continue
            except (aiohttp.ClientError, OSError) as err:
                if isinstance(err, aiohttp.InvalidURL):
                    raise InvalidArgumentError(
                        component, ErrorCodes.HTTP_INVALID_ARGUMENT, f"invalid URL for host {url.host!r}"
                    ) from err
                if not retry_safe:
                    raise self._transport_error(component, url, err) from err
                await self._before_retry(policy, component, url, attempt, deadline, err)
                attempt += 1
                continue
            except (TypeError, ValueError) as err:
                # aiohttp could not build the request (a body that does not serialize, a bad header): nothing left.
                raise InvalidArgumentError(
                    component,
                    ErrorCodes.HTTP_INVALID_ARGUMENT,
                    f"the request to {url.host} could not be built: {type(err).__name__}",
                ) from err

            if status in _REDIRECTS and "Location" in resp_headers:
                redirects += 1
                if redirects > C.MAX_REDIRECTS:
                    raise TransportError(
                        component, ErrorCodes.HTTP_OP_FAILED, f"too many redirects from {request.url.host}"
                    )
                target = url.join(URL(resp_headers["Location"]))
                self.check_allowed(target, component)
                if (target.scheme, target.raw_host, target.port) != (url.scheme, url.raw_host, url.port):
                    # Another origin: credentials stay behind (as browsers, aiohttp and requests do) — the
                    # request's own middlewares (signing, API keys) and any credential headers.
                    middlewares = (request_id_middleware,)
                    headers = _without_credentials(headers)
                url = target
                params = None
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method, json_body, data = ("HEAD" if method == "HEAD" else "GET"), _MISSING, None
                continue

            if attempt < policy.max_retries and policy.retryable_status(status, retry_safe):
                retry_after = parse_retry_after(resp_headers.get("Retry-After"), self._wall_clock())
                delay = policy.delay(attempt, retry_after, self._rand)
                if self._clock() + delay < deadline:
                    attempt += 1
                    await self._sleep(delay)
                    continue
            if status == 429:
                raise RateLimitedError(
                    component,
                    ErrorCodes.HTTP_RATE_LIMITED,
                    f"rate limited by the proxy (429) for {url.host} after {attempt + 1} attempt(s)",
                    status=429,
                )
            return HttpResponse(status, resp_headers, body, url=url, method=method, reason=reason, component=component)

    async def _attempt(
        self,
        method: str,
        url: URL,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        json_body: Any,
        data: Any,
        middlewares: Sequence[ClientMiddlewareType],
    ) -> tuple[int, CIMultiDictProxy[str], bytes, str | None]:
        kwargs: dict[str, Any] = {}
        if json_body is not _MISSING:
            kwargs["json"] = json_body
        elif data is not None:
            kwargs["data"] = data
        session = self.session
        async with session.request(
            method,
            url,
            params=params,
            headers=headers,
            allow_redirects=False,
            middlewares=middlewares,
            **kwargs,
        ) as resp:
            body = await self._read_body(resp)
            return resp.status, resp.headers, body, resp.reason

    async def _read_body(self, resp: aiohttp.ClientResponse) -> bytes:
        limit = self._max_response_bytes
        length = resp.content_length
        if length is not None and length <= limit:
            return await resp.read()
        if length is not None:
            raise _TooLarge(limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(65536):
            size += len(chunk)
            if size > limit:
                raise _TooLarge(limit)
            chunks.append(chunk)
        return b"".join(chunks)

    async def _before_retry(
        self,
        policy: RetryPolicy,
        component: str,
        url: URL,
        attempt: int,
        deadline: float,
        err: BaseException,
    ) -> None:
        if attempt >= policy.max_retries:
            raise self._transport_error(component, url, err) from err
        delay = policy.delay(attempt, None, self._rand)
        if self._clock() + delay >= deadline:
            raise self._transport_error(component, url, err) from err
        await self._sleep(delay)

    @staticmethod
    def _timeout_error(component: str, url: URL, budget: float) -> RequestTimeoutError:
        return RequestTimeoutError(
            component, ErrorCodes.HTTP_TIMEOUT, f"request to {url.host} timed out after {budget:g}s"
        )

    @staticmethod
    def _transport_error(component: str, url: URL, err: BaseException) -> TransportError:
        if isinstance(err, _TooLarge):
            return TransportError(
                component,
                ErrorCodes.HTTP_RESPONSE_TOO_LARGE,
                f"response from {url.host} exceeds {err.limit} bytes",
            )
        return TransportError(
            component,
            ErrorCodes.HTTP_OP_FAILED,
            f"request to {url.host} failed: {type(err).__name__}",
        )


class _TooLarge(aiohttp.ClientPayloadError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"response exceeds {limit} bytes")
        self.limit = limit


def merge_headers(*parts: Mapping[str, str] | None) -> CIMultiDict[str]:
    """Merge header mappings left to right (later wins), case-insensitively."""
    out: CIMultiDict[str] = CIMultiDict()
    for part in parts:
        if part:
            for key, value in part.items():
                out[key] = value
    return out


_CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-auth-token", "x-auth-user", "x-auth-key", "maven-api-key"}
)


def _without_credentials(headers: Mapping[str, str] | None) -> Mapping[str, str] | None:
    """``headers`` less the ones that carry credentials (for a redirect to another origin)."""
    if not headers:
        return headers
    return {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
