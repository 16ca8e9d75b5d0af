"""The Redis-backed rate limiter: one account's cap shared by every process that uses the same Redis.

Needs the extra ``lp-toolbelt[redis]`` (``redis>=5``); this module is imported only when the config selects
``rate_limit_backend="redis"``, so ``import lp_toolbelt`` never imports ``redis``.

Algorithm: GCRA in its *virtual scheduling* form, run atomically by a Lua script on the Redis server, one round
trip per acquisition. The key holds the account's "theoretical arrival time" (TAT, in microseconds of the Redis
server's clock, so the workers' clocks never matter). Each call reserves the slot ``max(now, TAT)``, moves the TAT
one emission interval (``1/rate``) later and returns how long the caller must wait for its slot; the caller sleeps
that long client-side (no polling). Slots are never closer than ``1/rate``: any 1-second window sees at most
``rate + 1`` starts across all processes, as with the in-process pacing limiter.

Failure policy: when Redis cannot be reached (refused, reset, slower than ``REDIS_SOCKET_TIMEOUT``) the call does
not hang: it is paced by an in-process fallback at ``rate / expected_workers``, a warning is logged once per outage,
and Redis is probed again every ``REDIS_RETRY_INTERVAL`` seconds; the first answer ends the fallback.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from .. import _constants as C
from ..transport.limiter import LocalRateLimiter
from .connection import REDIS_UNAVAILABLE, RedisHealth, connect_redis

__all__ = ["RedisRateLimiter", "rate_key"]

# KEYS[1]: the account's TAT key. ARGV[1]: emission interval in microseconds.
# Returns the microseconds the caller waits before its request may start (0: now).
_GCRA_SCRIPT = """
local interval = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then
  tat = now
end
local new_tat = tat + interval
local ttl_ms = math.floor((new_tat - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl_ms)
return tat - now
"""


def rate_key(account: str | None, prefix: str = C.REDIS_KEY_PREFIX) -> str:
    """The Redis key holding an account's shared rate state (``None``: the account-less key)."""
    return f"{prefix}:{account or '_'}:rate"


class RedisRateLimiter:
    """A rate cap shared through Redis by every process using the same Redis URL and account.

    Args:
        rate: the account's cap in requests per second (across all processes).
        url: the Redis URL (``redis://``, ``rediss://`` or ``unix://``); or pass ``client``.
        client: a ``redis.asyncio.Redis`` to borrow (not closed by :meth:`aclose`).
        account: the account the cap belongs to (the Redis key).
        expected_workers: how many processes share the cap; while Redis is unavailable each process paces
            itself at ``rate / expected_workers``.

    Example::

        limiter = RedisRateLimiter(20.0, url="redis://127.0.0.1:6379/0", account="12345678", expected_workers=8)
        await limiter.acquire()   # returns when this request may start, counted against the shared cap
        await limiter.aclose()
    """

    def __init__(
        self,
        rate: float,
        *,
        url: str | None = None,
        client: Redis | None = None,
        account: str | None = None,
        expected_workers: int = 1,
        prefix: str = C.REDIS_KEY_PREFIX,
        op_timeout: float = C.REDIS_SOCKET_TIMEOUT,
        retry_interval: float = C.REDIS_RETRY_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be > 0")
        if expected_workers < 1:
            raise ValueError("expected_workers must be >= 1")
        if (url is None) == (client is None):
            raise ValueError("pass exactly one of url and client")
        self.rate = rate
        self.account = account
        self.expected_workers = expected_workers
        self.key = rate_key(account, prefix)
        self.fallback = LocalRateLimiter(rate / expected_workers)
        self.health = RedisHealth("rate limiter", retry_interval=retry_interval, clock=clock)
        self.fallback_acquisitions = 0  # acquisitions the fallback paced (observability and tests)
        self._interval_us = max(1, round(1_000_000 / rate))
        self._op_timeout = op_timeout
        self._sleep = sleep
        self._clock = clock
        self._reserved_until = 0.0  # (clock) the start of the latest slot reserved in Redis
        self._lock = asyncio.Lock()
        self._owns_client = client is None
        self._client: Redis = client if client is not None else connect_redis(url or "", socket_timeout=op_timeout)
        self._script: Any = self._client.register_script(_GCRA_SCRIPT)

    @property
    def degraded(self) -> bool:
        """True while the in-process fallback paces the requests (Redis unavailable)."""
        return self.health.down

    async def acquire(self) -> None:
        """Wait for this process's next slot under the shared cap (or the fallback's, Redis being down)."""
        wait = await self._reserve()
        if wait is None:
            self.fallback_acquisitions += 1
            # Slots this process reserved before Redis went away still start on time: begin after them, so the
            # switch adds no burst on top of them.
            backlog = self._reserved_until - self._clock()
            if backlog > 0:
                await self._sleep(backlog)
            await self.fallback.acquire()
        elif wait > 0:
            self._reserved_until = max(self._reserved_until, self._clock() + wait)
            await self._sleep(wait)

    async def _reserve(self) -> float | None:
        """Seconds until the slot reserved in Redis, or None when Redis is unavailable (use the fallback)."""
        # One reservation in flight per process: one connection, and slots handed out in call order.
        async with self._lock:
            if not self.health.should_try():
                return None
            try:
                async with asyncio.timeout(self._op_timeout):
                    wait_us = await self._script(keys=[self.key], args=[self._interval_us])
            except REDIS_UNAVAILABLE as err:
                self.health.failed(
                    err,
                    f"pacing in-process at {self.fallback.rate:g} req/s (rate_limit / expected_workers) until it "
                    "returns",
                )
                return None
            finally:
                self.health.settle()
            self.health.ok()
            return int(wait_us) / 1_000_000

    async def aclose(self) -> None:
        """Close the Redis client if this limiter created it."""
        await self.fallback.aclose()
        if self._owns_client:
            await self._client.aclose()

    def __repr__(self) -> str:
        return (
            f"RedisRateLimiter(rate={self.rate}, account={self.account!r}, "
            f"expected_workers={self.expected_workers}, degraded={self.degraded})"
        )
