"""Caches shared through Redis: N worker processes make one CSDS fetch and one OAuth2 token fetch per TTL, not N.

Needs the extra ``lp-toolbelt[redis]``; the Toolbelt imports this module only when ``rate_limit_backend="redis"``.

Layers, nearest first: the in-process :class:`~lp_toolbelt._singleflight.SingleFlightCache` (one flight per key and
process), then Redis (a value written with its TTL, read back with the TTL it has left), then one fetch across all
processes, serialized by a short Redis lock (``SET NX PX``): the lock holder fetches and writes the value, the others
wait for it (sleeping 10 ms doubling to 200 ms between reads, bounded by the lock's TTL).

If Redis is unavailable the fetch runs in-process (a warning is logged once per outage) and Redis is tried again
after ``REDIS_RETRY_INTERVAL`` seconds. Values are JSON; an OAuth2 token is stored in Redis for as long as it is
used, so the Redis must be as private as the process memory (see docs/scaling.md).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from redis.asyncio import Redis

from .. import _constants as C
from .._singleflight import SingleFlightCache
from .connection import REDIS_UNAVAILABLE, RedisHealth, connect_redis

__all__ = ["NOTHING", "SharedCache", "SharedSingleFlightCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

NOTHING: Any = object()  # "no stale value": compares unequal to everything
_POLL_MIN = 0.01
_POLL_MAX = 0.2

# KEYS[1]: the lock. ARGV[1]: this holder's token. Deletes the lock only if this holder still owns it.
_UNLOCK_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class _Unavailable(Exception):
    """A Redis call failed (the cause is the Redis/OS error)."""


def _identity(value: Any) -> Any:
    return value


def _json_key(key: Hashable) -> str:
    return key if isinstance(key, str) else json.dumps(key, separators=(",", ":"), default=str)


class SharedCache:
    """Values with TTLs in Redis, fetched once across every process sharing the Redis.

    Args:
        url: the Redis URL; or pass ``client`` (borrowed: not closed by :meth:`aclose`).
        prefix: the key prefix (default ``lp-toolbelt``).
        lock_ttl: seconds a fetch lock lives; a waiter whose lock holder vanished fetches after it.

    Example::

        shared = SharedCache("redis://127.0.0.1:6379/0")
        value, ttl = await shared.get_or_fetch(shared.key("123", "csds"), fetch_domains)
        await shared.aclose()
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Redis | None = None,
        prefix: str = C.REDIS_KEY_PREFIX,
        lock_ttl: float = C.REDIS_LOCK_TTL,
        op_timeout: float = C.REDIS_SOCKET_TIMEOUT,
        retry_interval: float = C.REDIS_RETRY_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if (url is None) == (client is None):
            raise ValueError("pass exactly one of url and client")
        if lock_ttl <= 0:
            raise ValueError("lock_ttl must be > 0")
        self.prefix = prefix
        self.lock_ttl = lock_ttl
        self.health = RedisHealth("shared cache", retry_interval=retry_interval, clock=clock)
        self.fetches = 0  # fetches this process ran (with Redis up: on behalf of every process)
        self.hits = 0  # values found in Redis
        self._op_timeout = op_timeout
        self._clock = clock
        self._sleep = sleep
        self._owns_client = client is None
        self._client: Redis = client if client is not None else connect_redis(url or "", socket_timeout=op_timeout)
        self._unlock_script: Any = self._client.register_script(_UNLOCK_SCRIPT)

    def key(self, *parts: str) -> str:
        """``prefix:part:part...`` — the Redis key of a value."""
        return ":".join((self.prefix, *parts))

    # -- Redis operations (each one round trip; failures become _Unavailable) -----------------------------
    async def _call(self, op: Callable[[], Awaitable[Any]]) -> Any:
        try:
            async with asyncio.timeout(self._op_timeout):
                result = await op()
        except REDIS_UNAVAILABLE as err:
            raise _Unavailable(type(err).__name__) from err
        self.health.ok()
        return result

    async def load(self, key: str, decode: Callable[[Any], V] = _identity) -> tuple[V, float] | None:
        """``(value, seconds left)`` from Redis, or ``None`` (absent, expiring, undecodable). Raises on Redis errors.

        ``decode`` checks/converts the JSON value (ValueError/TypeError: treated as absent).
        """

        async def op() -> Any:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.get(key)
                pipe.pttl(key)
                return await pipe.execute()

        raw, pttl = await self._call(op)
        if raw is None or not isinstance(pttl, int) or pttl <= 0:
            return None
        try:
            return decode(json.loads(raw)), pttl / 1000
        except (ValueError, TypeError):
            return None

    async def store(self, key: str, value: Any, ttl: float) -> None:
        """Write ``value`` (JSON) with ``ttl`` seconds to live. Raises on Redis errors."""
        data = json.dumps(value, separators=(",", ":"))
        ttl_ms = max(1, int(ttl * 1000))
        await self._call(lambda: self._client.set(key, data, px=ttl_ms))

    async def delete(self, key: str) -> None:
        """Forget a value for every process. Raises on Redis errors."""
        await self._call(lambda: self._client.delete(key))

    async def _lock(self, key: str, token: str) -> bool:
        ttl_ms = max(1, int(self.lock_ttl * 1000))
        return bool(await self._call(lambda: self._client.set(f"{key}:lock", token, nx=True, px=ttl_ms)))

    async def _unlock(self, key: str, token: str) -> None:
        try:
            await self._call(lambda: self._unlock_script(keys=[f"{key}:lock"], args=[token]))
        except _Unavailable as err:
            self._down(err)  # the lock expires by itself

    def _down(self, err: _Unavailable) -> None:
        consequence = "CSDS domains and OAuth2 tokens are cached per process until it returns"
        self.health.failed(err.__cause__ or err, consequence)

    # -- the cache ------------------------------------------------------------------------------------------
    async def get_or_fetch(
        self,
        key: str,
        fetch: Callable[[], Awaitable[tuple[V, float]]],
        *,
        stale: Any = NOTHING,
        decode: Callable[[Any], V] = _identity,
    ) -> tuple[V, float]:
        """The value in Redis with its remaining TTL, or the result of the one fetch running across processes.

        ``fetch()`` returns ``(value, ttl)``; a value with ``ttl > 0`` is written to Redis. ``stale`` is a value
        known to be bad (e.g. a token that got a 401): Redis holding exactly it counts as a miss. Errors of
        ``fetch`` propagate (nothing is cached); Redis errors make it an in-process fetch.
        """
        if not self.health.should_try():
            return await self._fetch(fetch)
        token = secrets.token_hex(16)
        try:
            hit = await self._fresh(key, decode, stale)
            if hit is not None:
                return hit
            delay = _POLL_MIN
            while not await self._lock(key, token):
                # Another process is fetching: wait for its value (or for its lock to go: then fetch here).
                await self._sleep(delay)
                delay = min(delay * 2, _POLL_MAX)
                hit = await self._fresh(key, decode, stale)
                if hit is not None:
                    return hit
        except _Unavailable as err:
            self._down(err)
            return await self._fetch(fetch)
        finally:
            self.health.settle()
        try:
            try:
                hit = await self._fresh(key, decode, stale)  # written between our first read and our lock?
            except _Unavailable as err:
                self._down(err)
                hit = None
            if hit is not None:
                return hit
            value, ttl = await self._fetch(fetch)
            if ttl > 0:
                try:
                    await self.store(key, value, ttl)
                except _Unavailable as err:
                    self._down(err)
            return value, ttl
        finally:
            await self._unlock(key, token)

    async def _fresh(self, key: str, decode: Callable[[Any], V], stale: Any) -> tuple[V, float] | None:
        hit = await self.load(key, decode)
        if hit is None or hit[0] == stale:
            return None
        self.hits += 1
        return hit

    async def _fetch(self, fetch: Callable[[], Awaitable[tuple[V, float]]]) -> tuple[V, float]:
        self.fetches += 1
        return await fetch()

    async def aclose(self) -> None:
        """Close the Redis client if this cache created it."""
        if self._owns_client:
            await self._client.aclose()

    def __repr__(self) -> str:
        return f"SharedCache(prefix={self.prefix!r}, degraded={self.health.down})"


class SharedSingleFlightCache(SingleFlightCache[K, V]):
    """A :class:`SingleFlightCache` whose misses consult a :class:`SharedCache` before fetching.

    Behaves as the in-process cache (one flight per key in this process, local TTL = the TTL left in Redis);
    ``invalidate`` also makes the next fetch of that key ignore the invalidated value if Redis still holds it.

    Example::

        cache: SharedSingleFlightCache[str, dict[str, str]] = SharedSingleFlightCache(shared, "123:csds")
        domains = await cache.get("123", fetch_domains)
    """

    def __init__(
        self,
        shared: SharedCache,
        namespace: str,
        *,
        key: Callable[[K], str] = _json_key,
        decode: Callable[[Any], V] = _identity,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(clock)
        self.shared = shared
        self.namespace = namespace
        self._key = key
        self._decode = decode
        self._stale: dict[K, V] = {}

    async def get(self, key: K, fetch: Callable[[], Awaitable[tuple[V, float]]]) -> V:
        async def through_redis() -> tuple[V, float]:
            result = await self.shared.get_or_fetch(
                self.shared.key(self.namespace, self._key(key)),
                fetch,
                stale=self._stale.get(key, NOTHING),
                decode=self._decode,
            )
            self._stale.pop(key, None)
            return result

        return await super().get(key, through_redis)

    def invalidate(self, key: K | None = None) -> None:
        keys = list(self._entries) if key is None else [key]
        for item in keys:
            value = self.peek(item)
            if value is not None:
                self._stale[item] = value
        super().invalidate(key)
