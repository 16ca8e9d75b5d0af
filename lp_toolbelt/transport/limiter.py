"""Rate limiters. One instance is shared by every client of a Toolbelt (CSDS and token calls included).

The in-process limiter *paces* rather than bursts: requests start at most every ``1/rate`` seconds, so any
1-second window sees at most ``rate + 1`` starts (counting both edges) — what the FaaS proxy's cap requires.
(A plain ``AsyncLimiter(rate, 1)`` would allow a burst of ``rate`` plus the drip: up to ~2× in one window.)
"""

from __future__ import annotations

import asyncio
from typing import Protocol, runtime_checkable

from aiolimiter import AsyncLimiter

from ..errors import ConfigurationError, ErrorCodes

__all__ = ["LocalRateLimiter", "RateLimiter", "make_limiter"]


@runtime_checkable
class RateLimiter(Protocol):
    """Anything that can make a caller wait for its turn. ``acquire`` must be cancellation-safe."""

    async def acquire(self) -> None: ...

    async def aclose(self) -> None: ...


class LocalRateLimiter:
    """In-process pacing limiter on aiolimiter: starts are spaced ``1/rate`` apart, without drift.

    It is an ``aiolimiter.AsyncLimiter`` whose bucket holds 1.5 requests and drains ``rate`` per second, each
    request filling it by 1: a caller may start once the level is down to 0.5, i.e. half an interval early at
    most. That half interval of slack absorbs event-loop wake-up lateness, so under load the schedule does not
    drift and the achieved rate is the cap (a bucket of size 1 loses every late wake-up: ~10 % below a 200/s
    cap). Any window of 1 s still sees at most ``rate + 1`` starts (n starts need ``n - 1.5`` intervals of
    draining), and after idle time nothing accumulates beyond that half interval. Cancelled waiters give their
    turn to the next one (aiolimiter skips them).

    Example::

        limiter = LocalRateLimiter(20.0)
        await limiter.acquire()   # returns when this request may start
    """

    __slots__ = ("_limiter", "_loop", "rate")

    _CAPACITY = 1.5  # requests: one, plus half an interval of slack

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0")
        self.rate = rate
        self._limiter: AsyncLimiter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        limiter = self._limiter
        if limiter is None or loop is not self._loop:
            # First use, or reused on a new event loop (asyncio.run per test/CLI call): a fresh bucket for it,
            # as aiolimiter wants one limiter per loop.
            limiter = self._limiter = AsyncLimiter(self._CAPACITY, self._CAPACITY / self.rate)
            self._loop = loop
        await limiter.acquire()

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
