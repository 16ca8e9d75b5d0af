"""Single-flight TTL cache: any number of concurrent cold callers share one fetch.

Used by CSDS (600 s), OAuth2 tokens (until 60 s before expiry) and Salesforce token refreshes. The fetch runs in
its own task, so a caller that is cancelled does not cancel the fetch the others wait for; a failed fetch is not
cached, and every waiter of that flight gets its error.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["SingleFlightCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(slots=True)
class _Entry(Generic[V]):
    value: V
    expires_at: float


class SingleFlightCache(Generic[K, V]):
    """A per-key cache whose misses are fetched once, however many callers ask at the same time.

    ``fetch`` returns ``(value, ttl_seconds)``.

    Example::

        cache: SingleFlightCache[str, dict[str, str]] = SingleFlightCache()
        domains = await cache.get("acc", fetch_domains)
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[K, _Entry[V]] = {}
        self._flights: dict[K, asyncio.Task[tuple[V, float]]] = {}
        self.fetches = 0  # how many fetches ran (observability and tests)

    def peek(self, key: K) -> V | None:
        """The cached value if still fresh, without fetching."""
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at > self._clock():
            return entry.value
        return None

    def invalidate(self, key: K | None = None) -> None:
        """Forget one key (or everything)."""
        if key is None:
            self._entries.clear()
        else:
            self._entries.pop(key, None)

    def set(self, key: K, value: V, ttl: float) -> None:
        self._entries[key] = _Entry(value, self._clock() + ttl)

    async def get(self, key: K, fetch: Callable[[], Awaitable[tuple[V, float]]]) -> V:
        """The fresh cached value, or the result of the one fetch in flight for ``key``."""
        entry = self._entries.get(key)
        if entry is not None and entry.expires_at > self._clock():
            return entry.value
        task = self._flights.get(key)
        if task is None:
            task = asyncio.ensure_future(self._run(key, fetch))
            task.add_done_callback(_consume)
            self._flights[key] = task
        value, _ = await asyncio.shield(task)
        return value

    async def _run(self, key: K, fetch: Callable[[], Awaitable[tuple[V, float]]]) -> tuple[V, float]:
        try:
            self.fetches += 1
            value, ttl = await fetch()
            if ttl > 0:
                self._entries[key] = _Entry(value, self._clock() + ttl)
            return value, ttl
        finally:
            self._flights.pop(key, None)

    async def aclose(self) -> None:
        """Cancel fetches still in flight (used when the Toolbelt closes)."""
        flights = list(self._flights.values())
        for task in flights:
            task.cancel()
        for task in flights:
            # closing: the waiters see their own error
            with contextlib.suppress(BaseException):
                await task


def _consume(task: asyncio.Task[object]) -> None:
    # Mark the exception retrieved: when every waiter was cancelled, nobody else reads it.
    if not task.cancelled():
        task.exception()
