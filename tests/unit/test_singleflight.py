from __future__ import annotations

import asyncio

import pytest

from lp_toolbelt._singleflight import SingleFlightCache
from tests.unit.fakes import FakeClock


async def test_concurrent_cold_callers_share_one_fetch() -> None:
    cache: SingleFlightCache[str, int] = SingleFlightCache()
    release = asyncio.Event()
    calls = 0

    async def fetch() -> tuple[int, float]:
        nonlocal calls
        calls += 1
        await release.wait()
        return 42, 60.0

    waiters = [asyncio.create_task(cache.get("k", fetch)) for _ in range(1000)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiters) == [42] * 1000
    assert calls == 1
    assert cache.fetches == 1


async def test_ttl_expiry_and_invalidate() -> None:
    clock = FakeClock()
    cache: SingleFlightCache[str, int] = SingleFlightCache(clock)
    n = 0

    async def fetch() -> tuple[int, float]:
        nonlocal n
        n += 1
        return n, 10.0

    assert await cache.get("k", fetch) == 1
    clock.now += 9.9
    assert await cache.get("k", fetch) == 1
    clock.now += 0.2
    assert await cache.get("k", fetch) == 2
    cache.invalidate("k")
    assert cache.peek("k") is None
    assert await cache.get("k", fetch) == 3


async def test_failure_is_shared_and_not_cached() -> None:
    cache: SingleFlightCache[str, int] = SingleFlightCache()
    attempts = 0

    async def fetch() -> tuple[int, float]:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0)
        if attempts == 1:
            raise RuntimeError("boom")
        return 7, 5.0

    results = await asyncio.gather(*(cache.get("k", fetch) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert await cache.get("k", fetch) == 7
    assert attempts == 2


async def test_cancelled_caller_does_not_cancel_the_flight() -> None:
    cache: SingleFlightCache[str, int] = SingleFlightCache()
    release = asyncio.Event()

    async def fetch() -> tuple[int, float]:
        await release.wait()
        return 1, 5.0

    first = asyncio.create_task(cache.get("k", fetch))
    second = asyncio.create_task(cache.get("k", fetch))
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    release.set()
    assert await second == 1
    assert cache.fetches == 1
