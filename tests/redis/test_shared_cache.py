"""SharedCache / SharedSingleFlightCache against a real redis-server, and the Toolbelt wired to them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from lp_toolbelt import Toolbelt
from lp_toolbelt._singleflight import SingleFlightCache
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.enums import LpServices
from tests.redis.conftest import RedisServer, free_port, require_redis_package

require_redis_package()

import redis.asyncio as aioredis  # noqa: E402

from lp_toolbelt.redis.cache import SharedCache, SharedSingleFlightCache  # noqa: E402
from lp_toolbelt.redis.limiter import RedisRateLimiter  # noqa: E402

pytestmark = pytest.mark.redis

ACCOUNT = "12345678"
OAUTH2_APP = "lp-faas-oauth2-app"
SKILLS = f"/api/account/{ACCOUNT}/configuration/le-users/skills"


class Fetcher:
    """A fetch that counts its calls, takes a little while, and returns ``(value, ttl)``."""

    def __init__(self, value: Any = "v", ttl: float = 60.0, delay: float = 0.05) -> None:
        self.value = value
        self.ttl = ttl
        self.delay = delay
        self.calls = 0

    async def __call__(self) -> tuple[Any, float]:
        self.calls += 1
        await asyncio.sleep(self.delay)
        return self.value, self.ttl


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def closing(*caches: SharedCache) -> None:
    for cache in caches:
        await cache.aclose()


# ------------------------------------------------------------------------------------------------ SharedCache
async def test_many_processes_make_one_fetch(redis_url: str) -> None:
    caches = [SharedCache(redis_url) for _ in range(8)]  # 8 clients, as 8 worker processes would have
    fetch = Fetcher(value={"svc": "host"}, ttl=30.0)
    try:
        results = await asyncio.gather(*(c.get_or_fetch("lp-toolbelt:t:csds", fetch) for c in caches))
    finally:
        await closing(*caches)
    assert fetch.calls == 1
    assert sum(c.fetches for c in caches) == 1
    for value, ttl in results:
        assert value == {"svc": "host"}
        assert 0 < ttl <= 30.0


async def test_the_value_is_stored_with_its_ttl(redis_url: str, raw: aioredis.Redis) -> None:
    cache = SharedCache(redis_url)
    try:
        await cache.get_or_fetch("k1", Fetcher(value=["a"], ttl=20.0))
        await cache.get_or_fetch("k0", Fetcher(value=["b"], ttl=0.0))  # ttl 0: not cached anywhere
        again = Fetcher(value=["other"])
        value, ttl = await cache.get_or_fetch("k1", again)
    finally:
        await cache.aclose()
    assert value == ["a"]
    assert again.calls == 0
    assert 0 < ttl <= 20.0
    assert 19_000 < await raw.pttl("k1") <= 20_000
    assert await raw.exists("k0") == 0
    assert await raw.exists("k1:lock") == 0  # released


async def test_a_failed_fetch_propagates_and_caches_nothing(redis_url: str, raw: aioredis.Redis) -> None:
    async def broken() -> tuple[str, float]:
        raise RuntimeError("upstream down")

    cache = SharedCache(redis_url)
    try:
        with pytest.raises(RuntimeError, match="upstream down"):
            await cache.get_or_fetch("k", broken)
        value, _ = await cache.get_or_fetch("k", Fetcher(value="ok"))
    finally:
        await cache.aclose()
    assert value == "ok"
    assert await raw.exists("k:lock") == 0


async def test_waiters_fetch_themselves_when_the_holder_vanishes(redis_url: str, raw: aioredis.Redis) -> None:
    await raw.set("k:lock", "someone-who-died", px=300)  # a lock whose holder never writes a value
    cache = SharedCache(redis_url, lock_ttl=1.0)
    fetch = Fetcher(value="mine")
    try:
        async with asyncio.timeout(10):
            value, _ = await cache.get_or_fetch("k", fetch)
    finally:
        await cache.aclose()
    assert value == "mine"
    assert fetch.calls == 1


async def test_a_stale_value_is_refetched_once(redis_url: str, raw: aioredis.Redis) -> None:
    a, b = SharedCache(redis_url), SharedCache(redis_url)
    await raw.set("tok", '"Bearer old"', px=60_000)
    fetch_a, fetch_b = Fetcher(value="Bearer new"), Fetcher(value="Bearer newer")
    try:
        value_a, _ = await a.get_or_fetch("tok", fetch_a, stale="Bearer old")  # a got a 401 with "old"
        value_b, _ = await b.get_or_fetch("tok", fetch_b, stale="Bearer old")  # so did b, a little later
    finally:
        await closing(a, b)
    assert (value_a, value_b) == ("Bearer new", "Bearer new")
    assert (fetch_a.calls, fetch_b.calls) == (1, 0)


async def test_undecodable_values_are_misses(redis_url: str, raw: aioredis.Redis) -> None:
    await raw.set("k", "not json{", px=60_000)

    def strict(value: object) -> str:
        if not isinstance(value, str):
            raise ValueError("not a str")
        return value

    cache = SharedCache(redis_url)
    try:
        value, _ = await cache.get_or_fetch("k", Fetcher(value="good"), decode=strict)
        await raw.set("k2", "[1, 2]", px=60_000)
        value2, _ = await cache.get_or_fetch("k2", Fetcher(value="fine"), decode=strict)
    finally:
        await cache.aclose()
    assert (value, value2) == ("good", "fine")


async def test_unreachable_redis_fetches_in_process(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="lp_toolbelt.redis")
    cache = SharedCache(f"redis://127.0.0.1:{free_port()}/0")
    fetch = Fetcher(value="local")
    try:
        async with asyncio.timeout(10):  # hang guard
            first = await cache.get_or_fetch("k", fetch)
            second = await cache.get_or_fetch("k", fetch)
    finally:
        await cache.aclose()
    assert first[0] == second[0] == "local"
    assert fetch.calls == 2  # no Redis: the in-process layer (SingleFlightCache) is what caches
    assert cache.health.down
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


async def test_the_cache_recovers_when_redis_returns(redis_factory: Callable[[], RedisServer]) -> None:
    server = redis_factory()
    cache = SharedCache(server.url, retry_interval=0.0)
    try:
        async with asyncio.timeout(20):
            await cache.get_or_fetch("k", Fetcher(value="one"))
            server.kill()
            value, _ = await cache.get_or_fetch("k", Fetcher(value="two"))
            assert value == "two"
            assert cache.health.down
            server.start()  # empty: the value is fetched and shared again
            value, _ = await cache.get_or_fetch("k", Fetcher(value="three"))
            assert not cache.health.down
            again = Fetcher(value="four")
            value_again, _ = await cache.get_or_fetch("k", again)
    finally:
        await cache.aclose()
    assert (value, value_again, again.calls) == ("three", "three", 0)


# ------------------------------------------------------------------------------------------------ in front of it
async def test_the_in_process_cache_stays_in_front(redis_url: str) -> None:
    shared = SharedCache(redis_url)
    cache: SharedSingleFlightCache[str, str] = SharedSingleFlightCache(shared, "acc:test")
    fetch = Fetcher(value="v", ttl=30.0)
    try:
        values = await asyncio.gather(*(cache.get("key", fetch) for _ in range(10)))
        await cache.get("key", fetch)
    finally:
        await shared.aclose()
    assert values == ["v"] * 10
    assert fetch.calls == 1
    assert shared.hits == 0  # the second get never reached Redis: the local entry answered
    assert cache.peek("key") == "v"


async def test_invalidate_skips_the_invalidated_value_in_redis(redis_url: str) -> None:
    shared_a, shared_b = SharedCache(redis_url), SharedCache(redis_url)
    a: SharedSingleFlightCache[tuple[str, str], str] = SharedSingleFlightCache(shared_a, "acc:token")
    b: SharedSingleFlightCache[tuple[str, str], str] = SharedSingleFlightCache(shared_b, "acc:token")
    key = ("secret", "client")
    try:
        first = Fetcher(value="Bearer 1")
        assert await a.get(key, first) == "Bearer 1"
        assert await b.get(key, Fetcher(value="unused")) == "Bearer 1"  # from Redis
        a.invalidate(key)  # "Bearer 1" got a 401
        second = Fetcher(value="Bearer 2")
        assert await a.get(key, second) == "Bearer 2"
        b.invalidate()  # b got the 401 too
        third = Fetcher(value="Bearer 3")
        assert await b.get(key, third) == "Bearer 2"  # a's fresh token, no fetch
    finally:
        await closing(shared_a, shared_b)
    assert (first.calls, second.calls, third.calls) == (1, 1, 0)


# ------------------------------------------------------------------------------------------------ the Toolbelt
async def test_toolbelts_share_csds_and_tokens_through_redis(redis_url: str) -> None:
    async with Emulator(rate_limit=None) as emu:
        config = emu.config(rate_limit_backend="redis", redis_url=redis_url, expected_workers=3)
        belts = [Toolbelt(config) for _ in range(3)]  # 3 Toolbelts, 3 Redis clients: as 3 processes
        try:
            assert all(isinstance(tb.limiter, RedisRateLimiter) for tb in belts)
            assert all(isinstance(tb.csds_cache, SharedSingleFlightCache) for tb in belts)
            responses = await asyncio.gather(
                *(
                    tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, SKILLS, app_key_secret_name=OAUTH2_APP)
                    for tb in belts
                    for _ in range(3)
                )
            )
            assert [r.status for r in responses] == [200] * 9
            assert emu.state.count("csds") == 1
            assert emu.state.count("sentinel") == 1
            # Tokens expire: every Toolbelt gets a 401, one fetch renews the token for all of them.
            emu.state.expire_tokens()
            for tb in belts:
                resp = await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, SKILLS, app_key_secret_name=OAUTH2_APP)
                assert resp.status == 200
            assert emu.state.count("sentinel") == 2
        finally:
            for tb in belts:
                await tb.aclose()


async def test_without_redis_the_toolbelt_keeps_its_in_process_caches() -> None:
    async with Emulator(rate_limit=None) as emu, Toolbelt(emu.config()) as tb:
        assert tb.shared_cache is None
        assert type(tb.csds_cache) is SingleFlightCache
        assert type(tb.token_cache) is SingleFlightCache
        assert (await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, SKILLS)).status == 200
