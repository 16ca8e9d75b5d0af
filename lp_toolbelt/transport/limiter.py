"""Rate limiters. One instance is shared by every client of a Toolbelt (CSDS and token calls included).

The in-process limiter *paces* rather than bursts: requests start at most every ``1/rate`` seconds, so any
1-second window sees at most ``rate + 1`` starts (counting both edges) — what the FaaS proxy's cap requires.
(A plain ``AsyncLimiter(rate, 1)`` would allow a burst of ``rate`` plus the drip: up to ~2× in one window.)
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol, runtime_checkable

from ..errors import ConfigurationError, ErrorCodes

__all__ = ["LocalRateLimiter", "RateLimiter", "make_limiter"]


@runtime_checkable
class RateLimiter(Protocol):
    """Anything that can make a caller wait for its turn. ``acquire`` must be cancellation-safe."""

    async def acquire(self) -> None: ...

    async def aclose(self) -> None: ...


class LocalRateLimiter:
    """In-process pacing limiter: starts are spaced ``1/rate`` apart, on a schedule that does not drift.

    It keeps a theoretical start time ``tat`` (GCRA): a caller may start at ``now >= tat - slack``, and then
    ``tat = max(tat, now) + 1/rate``. Waiters queue in FIFO order behind one timer, armed at ``tat - slack``. The
    ``slack`` (half an interval) absorbs event-loop wake-up lateness, so under load the schedule does not drift and
    the achieved rate is the cap (a plain bucket of size 1 loses every late wake-up: ~10 % below a 200/s cap). Any
    window of 1 s still sees at most ``rate + 1`` starts: start ``j + m`` is never before start ``j`` +
    ``m/rate - slack``. After idle time nothing accumulates (no burst beyond one start half an interval early).
    A waiter cancelled in the queue gives its turn to the next one.

    Example::

        limiter = LocalRateLimiter(20.0)
        await limiter.acquire()   # returns when this request may start
    """

    __slots__ = ("_handle", "_interval", "_loop", "_slack", "_tat", "_waiters", "rate")

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0")
        self.rate = rate
        self._interval = 1.0 / rate
        self._slack = self._interval / 2
        self._tat = float("-inf")
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # first use, or reused on a new event loop: forget the old loop's waiters
            self._loop, self._waiters, self._handle = loop, deque(), None
        if not self._waiters:
            now = loop.time()
            if now >= self._tat - self._slack:  # the fast path: free, nobody queued
                self._tat = max(self._tat, now) + self._interval
                return
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        if self._handle is None:
            self._arm(loop)
        await waiter  # granted by _wake (which already advanced the schedule); a cancelled waiter is skipped

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        self._handle = loop.call_at(self._tat - self._slack, self._wake)

    def _wake(self) -> None:
        self._handle = None
        loop, waiters = self._loop, self._waiters
        if loop is None:
            return
        now = loop.time()
        while waiters:
            if waiters[0].done():  # cancelled while queued
                waiters.popleft()
                continue
            if now < self._tat - self._slack:
                self._arm(loop)
                return
            waiters.popleft().set_result(None)
            self._tat = max(self._tat, now) + self._interval

    async def aclose(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"LocalRateLimiter(rate={self.rate})"


def make_limiter(rate: float, backend: str = "local", **options: object) -> RateLimiter:
    """The limiter a config asks for.

    ``backend="local"``: in-process pacing (the default; options are ignored). ``backend="redis"``: the cap shared
    through Redis by every process of the account (extra ``lp-toolbelt[redis]``); options ``redis_url`` (required),
    ``account`` and ``expected_workers`` (the fallback paces at ``rate / expected_workers`` while Redis is down).

    Example::

        limiter = make_limiter(20.0)
        shared = make_limiter(20.0, "redis", redis_url="redis://127.0.0.1:6379/0", account="123", expected_workers=8)
    """
    if backend == "local":
        return LocalRateLimiter(rate)
    if backend == "redis":
        url = options.get("redis_url")
        if not isinstance(url, str) or not url:
            raise ConfigurationError(
                "Toolbelt",
                ErrorCodes.CONFIG_INVALID,
                "rate_limit_backend='redis' needs redis_url (or LP_TOOLBELT_REDIS_URL)",
            )
        account = options.get("account")
        workers = options.get("expected_workers", 1)
        if account is not None and not isinstance(account, str):
            raise ValueError("account must be a string")
        if not isinstance(workers, int):
            raise ValueError("expected_workers must be an int")
        try:
            from .redis_limiter import RedisRateLimiter  # the optional extra, imported on demand
        except ImportError as err:
            raise ConfigurationError(
                "Toolbelt",
                ErrorCodes.CONFIG_INVALID,
                "rate_limit_backend='redis' needs the redis extra: pip install 'lp-toolbelt[redis]'",
            ) from err
        try:
            return RedisRateLimiter(rate, url=url, account=account, expected_workers=workers)
        except ValueError as err:  # a malformed URL (the message never repeats it: it may hold a password)
            raise ConfigurationError(
                "Toolbelt", ErrorCodes.CONFIG_INVALID, "redis_url is not a valid Redis URL"
            ) from err
    raise ValueError(f"unknown rate limit backend {backend!r}")
