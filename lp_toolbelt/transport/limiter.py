"""Rate limiters. One instance is shared by every client of a Toolbelt (CSDS and token calls included).

The in-process limiter *paces* rather than bursts: requests start at most every ``1/rate`` seconds, so any
1-second window sees at most ``rate + 1`` starts (counting both edges) — what the FaaS proxy's cap requires.
(A plain ``AsyncLimiter(rate, 1)`` would allow a burst of ``rate`` plus the drip: up to ~2× in one window.)
The Redis-backed limiter that shares the cap between processes is in :mod:`lp_toolbelt.redis`; the Toolbelt picks
one with :func:`lp_toolbelt.toolbelt.make_limiter`.
"""

from __future__ import annotations

import asyncio
from typing import Protocol, runtime_checkable

from aiolimiter import AsyncLimiter

__all__ = ["LocalRateLimiter", "RateLimiter"]


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
