"""The one send path: allowlist → authorization → limiter → sender, with redirects and retries.

Every client of a Toolbelt sends through one :class:`Transport`, so they share one ``aiohttp.ClientSession``, one
rate limiter, one allowlist and one retry engine. For each call, :meth:`Transport.send`:

1. refuses a host outside the allowlist (``ForbiddenHostError``, 403) before any connection;
2. attaches credentials through the call's :class:`~lp_toolbelt.transport.auth.Authorizer`, if any;
3. runs attempts: the shared limiter, then the :class:`~lp_toolbelt.transport.wire.Sender` (the one I/O seam);
   a redirect is followed when :func:`~lp_toolbelt.transport.request.redirect` says so and its target is allowed;
   an answer or a network failure is retried as the call's :class:`RetryPolicy` says;
4. on a 401, renews the credentials once and runs step 3 once more.

One deadline bounds it all. The clock, the sleep, the jitter source and the sender are injectable, so tests drive
retries with a fake clock and a fake sender instead of sleeping and patching aiohttp.

Observability (:mod:`lp_toolbelt.telemetry`): while an OpenTelemetry SDK is configured, each attempt is a child span
of the public call's (limiter wait, request id, status) and feeds the request metrics; ``traceparent`` goes only to
``trace_propagation`` hosts. Retries, credential renewals and refused hosts are logged on ``lp_toolbelt.transport``
at INFO/DEBUG, with the request id and the error code (never above: the caller gets those outcomes as exceptions).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable

import aiohttp

from .. import _constants as C
from ..errors import (
    ErrorCodes,
    ForbiddenHostError,
    InvalidArgumentError,
    RateLimitedError,
    RequestTimeoutError,
    TransportError,
)
from ..telemetry import active, inject_trace_context, refused_host
from ..telemetry.attempts import SendTelemetry
from .allowlist import Allowlist, ServiceAllowlist
from .auth import Authorizer
from .deadline import Deadline, DeadlineTimers
from .limiter import RateLimiter
from .middlewares import RequestIdSlot, identity_middleware, request_id_slot
from .proxy import EgressProxy
from .request import REDIRECT_STATUSES, Request, redirect
from .response import HttpResponse
from .retry import RetryPolicy, is_retry_safe, parse_retry_after
from .wire import AiohttpSender, NetworkFailure, Sender, UnsendableRequest, WireResponse

__all__ = ["Request", "Transport"]

_NO_TIMER = contextlib.nullcontext()  # reusable: the async with of a guarded send()
_UNREAD = RequestIdSlot(0)  # where no one reads the request id sent: nothing records into it
_log = logging.getLogger("lp_toolbelt.transport")


def _failure_code(err: NetworkFailure) -> str:
    """The dotted code a network failure ends with when it is not retried (see ``Transport._transport_error``)."""
    return ErrorCodes.HTTP_RESPONSE_TOO_LARGE if err.kind == "too-large" else ErrorCodes.HTTP_OP_FAILED


def _log_extra(component: str, request_id: str | None, code: str | None) -> dict[str, str | None]:
    return {"lp_component": component, "lp_request_id": request_id, "lp_error_code": code}


class Transport:
    """Owns (or borrows) the session and sends every request of one Toolbelt.

    Args:
        allowlist: the proxy allowlist (a plain :class:`Allowlist` applies as is).
        limiter: the shared rate limiter.
        retry: the default retry policy.
        timeout: default seconds for one call, all attempts and waits included.
        session: a borrowed session (not closed by :meth:`aclose`); ``None`` creates one lazily.
        user_agent: sent as ``User-Agent`` on every request (the function's identity).
        proxy: the egress proxy for the sessions this transport creates (and every request it sends).
        sender: the I/O seam (default: aiohttp on the shared session).
        trace_propagation: the hosts that receive the trace context (``traceparent``); ``None``: none.
        clock: monotonic seconds; sleep: awaitable sleep; rand: jitter in [0, 1); wall_clock: Unix time for
            HTTP-date ``Retry-After`` values.
    """

    def __init__(
        self,
        *,
        allowlist: Allowlist | ServiceAllowlist,
        limiter: RateLimiter,
        retry: RetryPolicy | None = None,
        timeout: float = C.DEFAULT_TIMEOUT,
        session: aiohttp.ClientSession | None = None,
        user_agent: str | None = None,
        proxy: EgressProxy | None = None,
        sender: Sender | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        wall_clock: Callable[[], float] = time.time,
        max_response_bytes: int = C.MAX_RESPONSE_BYTES,
        trace_propagation: Allowlist | None = None,
    ) -> None:
        self.allowlist = allowlist  # the setter wraps a plain Allowlist
        self.limiter = limiter
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self._session = session
        self._owns_session = session is None
        self.sender: Sender = sender or AiohttpSender(
            lambda: self.session,
            middlewares=(identity_middleware(user_agent),),
            proxy=proxy,
            max_response_bytes=max_response_bytes,
        )
        self._clock = clock
        self._sleep = sleep
        self._rand = rand
        self._wall_clock = wall_clock
        self._closed = False
        self._timers = DeadlineTimers()
        self.trace_propagation = trace_propagation

    # -- configuration ------------------------------------------------------------------------------------
    @property
    def allowlist(self) -> ServiceAllowlist:
        """The allowlist policy. Assigning a plain :class:`Allowlist` makes it the whole rule."""
        return self._allowlist

    @allowlist.setter
    def allowlist(self, value: Allowlist | ServiceAllowlist) -> None:
        self._allowlist = value if isinstance(value, ServiceAllowlist) else ServiceAllowlist(value)

    # -- session lifecycle -------------------------------------------------------------------------------
    @property
    def session(self) -> aiohttp.ClientSession:
        """The shared session, created on first use (inside the running loop)."""
        if self._closed:
            raise TransportError("Toolbelt", ErrorCodes.HTTP_OP_FAILED, "the toolbelt is closed")
        if self._session is None:
            # No aiohttp-level timeout: send() bounds every call (limiter wait, attempts, body) with its own deadline.
            self._session = aiohttp.ClientSession(raise_for_status=False, timeout=aiohttp.ClientTimeout())
            # aiohttp silently replays an idempotent request once when the connection drops; that hidden attempt
            # would skip the shared rate limiter, the backoff and the max_retries count. Retries are ours alone.
            self._session._retry_connection = False
        return self._session

    @property
    def clock(self) -> Callable[[], float]:
        """The injected monotonic clock."""
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

    async def check_allowed(self, request: Request, component: str) -> None:
        """Raise ForbiddenHostError (status 403, the proxy's message) unless ``request.url`` may leave the proxy."""
        if not await self._allowlist.resolve(request.url):
            raise self._forbidden(request, component)

    @staticmethod
    def _forbidden(request: Request, component: str) -> ForbiddenHostError:
        """The refusal of a host outside the allowlist (counted and logged: the caller gets it as an exception)."""
        refused_host(component)
        _log.info(
            "%s: refused host %r before any request (not on the allowlist) [%s]",
            component,
            request.url.host,
            ErrorCodes.HTTP_FORBIDDEN_HOST,
            extra=_log_extra(component, None, ErrorCodes.HTTP_FORBIDDEN_HOST),
        )
        return ForbiddenHostError(
            component,
            ErrorCodes.HTTP_FORBIDDEN_HOST,
            f"{C.PROXY_FORBIDDEN_MESSAGE} (host {request.url.host!r} is not on the allowlist)",
            status=403,
        )

    async def send(
        self,
        request: Request,
        *,
        component: str = "HTTPClient",
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        auth: Authorizer | None = None,
        attempt_timeout: float | None = None,
        guarded: bool = False,
        service: str | None = None,
    ) -> HttpResponse:
        """Send ``request`` and return the fully read response (any status).

        Raises ForbiddenHostError before connecting for a host outside the allowlist (every redirect hop is
        checked too), RateLimitedError when 429s outlast the retries, RequestTimeoutError past the deadline,
        TransportError for network failures that cannot (or can no longer) be retried.

        ``retry`` overrides the transport's policy for this call. ``auth`` attaches credentials and renews them once
        after a 401. ``attempt_timeout`` bounds each attempt (a timed-out attempt is a network failure the policy may
        retry). ``guarded=True``: the caller already runs this call under its own timeout (e.g. :meth:`deadline`)
        expiring no later than ``timeout`` from now, so no second timer is started; the deadline still bounds the
        retries, and on expiry the caller's timeout raises. ``service``: the CSDS service the host was found for
        (telemetry's ``lp.service``; default: the account's CSDS map says, when one service has that host).
        """
        if self._closed:
            raise TransportError(component, ErrorCodes.HTTP_OP_FAILED, "the toolbelt is closed")
        if not request.url.absolute:
            raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "the URL must be absolute")
        budget = self.timeout if timeout is None else timeout
        if budget <= 0:
            raise InvalidArgumentError(component, ErrorCodes.HTTP_INVALID_ARGUMENT, "timeout must be > 0")
        deadline = self._clock() + budget
        allowed = self._allowlist.allows(request.url)  # decided without I/O for every host seen before
        if not (allowed or (allowed is None and await self._allowlist.resolve(request.url))):
            raise self._forbidden(request, component)
        policy = self.retry if retry is None else retry
        tel = active()
        rec = None
        if tel is not None:
            rec = SendTelemetry(tel, component, service or self._allowlist.service_at(request.url))
        sent = request if auth is None else await auth.authorize(request)
        renewed = False  # the one renewal of the credentials after a 401
        retry_safe = is_retry_safe(request.method, request.retry_safe)
        # The request id sent is recorded only for someone who reads it: a span, or the retry and failure logs.
        slot = request_id_slot() if rec is not None or _log.isEnabledFor(logging.INFO) else _UNREAD
        request = sent
        attempt = 0
        redirects = 0
        # Attempts, redirects and retries in one loop (one coroutine frame per call: this is the hot path).
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise self._timeout_error(component, request, budget)
            try:
                async with _NO_TIMER if guarded else self._timers.scope(remaining):
                    slot.value = None
                    if rec is None:
                        await self.limiter.acquire()
                        if attempt_timeout is None:
                            wire = await self.sender(request)
                        else:
                            wire = await self._bounded_attempt(request, attempt_timeout)
                    else:
                        wire = await self._observed_attempt(rec, slot, request, attempt_timeout)
            except TimeoutError as err:
                raise self._timeout_error(component, request, budget) from err
            except UnsendableRequest as err:
                raise InvalidArgumentError(
                    component,
                    ErrorCodes.HTTP_INVALID_ARGUMENT,
                    f"the request to {request.url.host} could not be built: {err}",
                ) from err
            except NetworkFailure as err:
                cause = err.__cause__ or err
                request_id, code = slot.value, _failure_code(err)
                if attempt >= policy.max_retries or not policy.retryable_failure(
                    err, kind=err.kind, sent=err.sent, retry_safe=retry_safe
                ):
                    _log.debug(
                        "%s: %s %s failed (%s, request id %s), not retried [%s]",
                        component,
                        request.method,
                        request.url.host,
                        err.kind,
                        request_id,
                        code,
                        extra=_log_extra(component, request_id, code),
                    )
                    raise self._transport_error(component, request, err, attempt + 1) from cause
                delay = policy.delay(attempt, None, self._rand)
                if self._clock() + delay >= deadline:  # the next attempt could not finish in time
                    raise self._timeout_error(component, request, budget) from cause
                self._log_retry(component, request, attempt, delay, err.kind, request_id, code)
                if rec is not None:
                    rec.retrying(err.kind)
                await self._sleep(delay)
                attempt += 1
                continue

            status, headers = wire.status, wire.headers
            hop = redirect(request, status, headers.get("Location")) if status in REDIRECT_STATUSES else None
            if hop is not None:
                redirects += 1
                if redirects > C.MAX_REDIRECTS:
                    raise TransportError(
                        component, ErrorCodes.HTTP_OP_FAILED, f"too many redirects from {request.url.host}"
                    )
                await self.check_allowed(hop, component)
                request = hop
                continue

            if attempt < policy.max_retries and policy.retryable_status(status, retry_safe):
                retry_after = parse_retry_after(headers.get("Retry-After"), self._wall_clock())
                delay = policy.delay(attempt, retry_after, self._rand)
                if self._clock() + delay < deadline:
                    self._log_retry(component, request, attempt, delay, str(status), slot.value, None)
                    if rec is not None:
                        rec.retrying(str(status))
                    attempt += 1
                    await self._sleep(delay)
                    continue
            if status == 429:
                raise RateLimitedError(
                    component,
                    ErrorCodes.HTTP_RATE_LIMITED,
                    f"rate limited by the proxy (429) for {request.url.host} after {attempt + 1} attempt(s)",
                    status=429,
                )
            resp = HttpResponse(
                status,
                headers,
                wire.body,
                url=request.url,
                method=request.method,
                reason=wire.reason,
                component=component,
            )
            if status != 401 or auth is None or renewed:
                return resp
            renewed = True
            request_id = slot.value
            _log.info(
                "%s: %s answered 401 (request id %s); renewing the credentials and sending once more",
                component,
                request.url.host,
                request_id,
                extra=_log_extra(component, request_id, None),
            )
            again = await auth.reauthorize(sent)
            if again is None:
                _log.debug("%s: the credentials cannot be renewed; the 401 is the answer", component)
                return resp
            request, attempt, redirects = again, 0, 0

    async def _observed_attempt(
        self, rec: SendTelemetry, slot: RequestIdSlot, request: Request, attempt_timeout: float | None
    ) -> WireResponse:
        """One attempt with its span and metrics: the limiter's wait, then the sender."""
        clock = self._clock
        queued = clock()
        try:
            await self.limiter.acquire()
            now = clock()
            rec.waited(now - queued)
            rec.begin(request.method, request.url, now)
            sent = request
            hosts = self.trace_propagation
            if rec.span is not None and hosts is not None and hosts.allows(request.url):
                context = inject_trace_context(rec.span)
                sent = request._replace(headers={**context, **(request.headers or {})})
            wire = await self._attempt(sent, attempt_timeout)
        except NetworkFailure as err:
            rec.end(clock(), slot.value, None, _failure_code(err))
            raise
        except BaseException as err:
            rec.abandon(err)
            raise
        rec.end(clock(), slot.value, wire.status)
        return wire

    @staticmethod
    def _log_retry(
        component: str,
        request: Request,
        attempt: int,
        delay: float,
        reason: str,
        request_id: str | None,
        code: str | None,
    ) -> None:
        _log.info(
            "%s: %s %s %s (request id %s); retry %d in %.3fs%s",
            component,
            request.method,
            request.url.host,
            f"answered {reason}" if reason.isdigit() else f"failed ({reason})",
            request_id,
            attempt + 1,
            delay,
            f" [{code}]" if code else "",
            extra=_log_extra(component, request_id, code),
        )

    async def _attempt(self, request: Request, attempt_timeout: float | None) -> WireResponse:
        if attempt_timeout is None:
            return await self.sender(request)
        return await self._bounded_attempt(request, attempt_timeout)

    async def _bounded_attempt(self, request: Request, attempt_timeout: float) -> WireResponse:
        try:
            async with self._timers.scope(attempt_timeout):
                return await self.sender(request)
        except TimeoutError as err:
            raise NetworkFailure("timeout") from err

    @staticmethod
    def _timeout_error(component: str, request: Request, budget: float) -> RequestTimeoutError:
        return RequestTimeoutError(
            component, ErrorCodes.HTTP_TIMEOUT, f"request to {request.url.host} timed out after {budget:g}s"
        )

    @staticmethod
    def _transport_error(component: str, request: Request, err: NetworkFailure, attempts: int) -> TransportError:
        host = request.url.host
        if err.kind == "too-large":
            return TransportError(
                component, ErrorCodes.HTTP_RESPONSE_TOO_LARGE, f"response from {host} exceeds {err.limit} bytes"
            )
        cause = type(err.__cause__).__name__ if err.__cause__ is not None else err.kind
        tries = f" after {attempts} attempt(s)" if attempts > 1 else ""
        return TransportError(component, ErrorCodes.HTTP_OP_FAILED, f"request to {host} failed{tries}: {cause}")
