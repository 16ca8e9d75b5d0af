"""Rate limiters. One instance is shared by every client of a Toolbelt (CSDS and token calls included).

The in-process limiter *paces* rather than bursts: requests start at most every ``1/rate`` seconds, so any
1-second window sees at most ``rate + 1`` starts (counting both edges) — what the FaaS proxy's cap requires.
(A plain ``AsyncLimiter(rate, 1)`` would allow a burst of ``rate`` plus the drip: up to ~2× in one window.)
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from aiolimiter import AsyncLimiter

__all__ = ["LocalRateLimiter", "RateLimiter", "make_limiter"]


@runtime_checkable
class RateLimiter(Protocol):
    """Anything that can make a caller wait for its turn. ``acquire`` must be cancellation-safe."""

    async def acquire(self) -> None: ...

    async def aclose(self) -> None: ...


class LocalRateLimiter:
    """In-process pacing limiter on aiolimiter: a bucket of size 1 draining ``rate`` times per second.

    Example::

        limiter = LocalRateLimiter(20.0)
        await limiter.acquire()   # returns when this request may start
    """

    __slots__ = ("_limiter", "rate")

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0")
        self.rate = rate
        self._limiter = AsyncLimiter(1, 1.0 / rate)

    async def acquire(self) -> None:
        await self._limiter.acquire()

    async def aclose(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"LocalRateLimiter(rate={self.rate})"


def make_limiter(rate: float, backend: str = "local", **options: object) -> RateLimiter:
    """The limiter a config asks for. ``backend="local"``: in-process pacing (the default)."""
    if backend == "local":
        return LocalRateLimiter(rate)
    raise ValueError(f"unknown rate limit backend {backend!r}")
