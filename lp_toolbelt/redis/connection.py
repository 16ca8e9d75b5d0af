"""The Redis connection helper and health tracking shared by the Redis limiter and caches.

Fail fast: short timeouts, no client-side retries; while Redis is unavailable the callers fall back to in-process
state, warn once per outage and probe again every ``REDIS_RETRY_INTERVAL`` seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from .. import _constants as C
from ..telemetry import watch_fallback

__all__ = ["REDIS_UNAVAILABLE", "RedisHealth", "connect_redis", "logger"]

logger = logging.getLogger("lp_toolbelt.redis")

#: The errors that mean "Redis is unavailable" (the fallback takes over; everything else propagates).
REDIS_UNAVAILABLE: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)


def connect_redis(
    url: str,
    *,
    socket_timeout: float = C.REDIS_SOCKET_TIMEOUT,
    connect_timeout: float = C.REDIS_CONNECT_TIMEOUT,
) -> Redis:
    """A ``redis.asyncio.Redis`` client for ``url`` that fails fast: short timeouts, no client-side retries.

    (redis-py retries a failed command up to 10 times by default; here the fallback takes over instead.)

    Example::

        client = connect_redis("redis://127.0.0.1:6379/0")
    """
    return Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=connect_timeout,
        retry=Retry(NoBackoff(), 0),
    )


class RedisHealth:
    """Tracks whether Redis answers: warn once per outage, probe again after ``retry_interval``, log recovery.

    Example::

        health = RedisHealth("rate limiter")
        if health.should_try():
            ...  # call Redis; then health.ok() or health.failed(err, "falling back to ...")
    """

    __slots__ = ("__weakref__", "_clock", "_down", "_probing", "_retry_at", "outages", "retry_interval", "what")

    def __init__(
        self,
        what: str,
        *,
        retry_interval: float = C.REDIS_RETRY_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what = what
        self.retry_interval = retry_interval
        self.outages = 0  # how many times Redis was found unavailable (observability and tests)
        self._clock = clock
        self._down = False
        self._retry_at = 0.0
        self._probing = False
        watch_fallback(self)  # the lp_toolbelt.redis.fallback gauge reports `down`

    @property
    def down(self) -> bool:
        """True while Redis is considered unavailable."""
        return self._down

    def should_try(self) -> bool:
        """Whether to call Redis now: always while it is up; one probe per ``retry_interval`` while down."""
        if not self._down:
            return True
        if self._probing or self._clock() < self._retry_at:
            return False
        self._probing = True
        return True

    def ok(self) -> None:
        """Redis answered."""
        self._probing = False
        if self._down:
            self._down = False
            logger.info("Redis is available again: the %s shares state through it again", self.what)

    def settle(self) -> None:
        """End a probe that neither succeeded nor failed (its caller was cancelled): the next call may probe."""
        self._probing = False

    def failed(self, err: BaseException, consequence: str) -> None:
        """Redis did not answer: log once per outage (the error type only: a message may hold the URL)."""
        self._probing = False
        self._retry_at = self._clock() + self.retry_interval
        if not self._down:
            self._down = True
            self.outages += 1
            logger.warning("Redis is unavailable for the %s (%s): %s", self.what, type(err).__name__, consequence)
