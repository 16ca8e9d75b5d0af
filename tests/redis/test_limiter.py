"""RedisRateLimiter against a real redis-server: GCRA slots shared by account, fallback, recovery, no hang."""

from __future__ import annotations

import asyncio
import itertools
import logging
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from lp_toolbelt import Toolbelt, ToolbeltConfig
from lp_toolbelt.errors import ConfigurationError
from lp_toolbelt.toolbelt import make_limiter
from lp_toolbelt.transport.limiter import LocalRateLimiter
from tests.redis.conftest import RedisServer, free_port, require_redis_package

require_redis_package()

from lp_toolbelt.redis.connection import RedisHealth  # noqa: E402
from lp_toolbelt.redis.limiter import RedisRateLimiter  # noqa: E402

pytestmark = pytest.mark.redis


class Waits:
    """A fake sleep recording what the limiter asked to wait (no real sleeping)."""

    def __init__(self) -> None:
        self.values: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.values.append(seconds)


def limiter(url: str, rate: float = 10.0, account: str = "acc", **kw: Any) -> RedisRateLimiter:
    return RedisRateLimiter(rate, url=url, account=account, **kw)


# ------------------------------------------------------------------------------------------------ the algorithm
async def test_slots_are_one_interval_apart(redis_url: str) -> None:
    waits = Waits()
    lim = limiter(redis_url, rate=10.0, sleep=waits)  # interval 100 ms
    try:
        for _ in range(6):
            await lim.acquire()
    finally:
        await lim.aclose()
    # The first starts at once; each later one waits for its slot: ~k * 100 ms minus the (tiny) time elapsed.
    assert len(waits.values) == 5
    for k, wait in enumerate(waits.values, start=1):
        assert k * 0.1 - 0.05 < wait <= k * 0.1 + 1e-6
    assert all(b > a for a, b in itertools.pairwise(waits.values))
    assert lim.fallback_acquisitions == 0
    assert not lim.degraded


async def test_two_limiters_on_one_account_share_the_slots(redis_url: str) -> None:
    waits_a, waits_b = Waits(), Waits()
    a = limiter(redis_url, rate=10.0, sleep=waits_a)
    b = limiter(redis_url, rate=10.0, sleep=waits_b)  # another client: as another process would
    try:
        await a.acquire()  # slot 0
        await b.acquire()  # slot 1 (~100 ms)
        await a.acquire()  # slot 2 (~200 ms)
        await b.acquire()  # slot 3 (~300 ms)
    finally:
        await a.aclose()
        await b.aclose()
    assert len(waits_a.values) == 1
    assert len(waits_b.values) == 2
    assert 0.05 < waits_b.values[0] <= 0.1 + 1e-6
    assert 0.15 < waits_a.values[0] <= 0.2 + 1e-6
    assert 0.25 < waits_b.values[1] <= 0.3 + 1e-6


async def test_accounts_have_separate_caps(redis_url: str) -> None:
    waits = Waits()
    a = limiter(redis_url, account="one", sleep=waits)
    b = limiter(redis_url, account="two", sleep=waits)
    try:
        await a.acquire()
        await b.acquire()  # another account: its first request starts at once
    finally:
        await a.aclose()
        await b.aclose()
    assert waits.values == []
    assert a.key != b.key
    assert "one" in a.key


async def test_the_key_expires_once_idle(redis_url: str) -> None:
    import redis.asyncio as aioredis

    lim = limiter(redis_url, rate=2.0, sleep=Waits())
    client = aioredis.Redis.from_url(redis_url)
    try:
        await lim.acquire()
        ttl_ms = await client.pttl(lim.key)
    finally:
        await lim.aclose()
        await client.aclose()
    assert 0 < ttl_ms <= 1500 + 10  # one interval (500 ms) + 1 s of slack: no key left behind


async def test_concurrent_acquisitions_all_get_distinct_slots(redis_url: str) -> None:
    waits = Waits()
    lim = limiter(redis_url, rate=100.0, sleep=waits)
    try:
        await asyncio.gather(*(lim.acquire() for _ in range(20)))
    finally:
        await lim.aclose()
    slots = sorted(waits.values)
    assert len(slots) == 19  # one started at once
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert all(gap > 0.005 for gap in gaps)  # 10 ms apart, minus the time between two calls


# ------------------------------------------------------------------------------------------------ make_limiter
async def test_make_limiter_selects_the_backend(redis_url: str) -> None:
    local = make_limiter(5.0)
    assert isinstance(local, LocalRateLimiter)
    shared = make_limiter(5.0, "redis", redis_url=redis_url, account="a", expected_workers=5)
    try:
        assert isinstance(shared, RedisRateLimiter)
        assert shared.fallback.rate == pytest.approx(1.0)
        assert "redis://" not in repr(shared)
    finally:
        await shared.aclose()


def test_make_limiter_redis_needs_a_url() -> None:
    with pytest.raises(ConfigurationError, match="redis_url"):
        make_limiter(5.0, "redis")
    with pytest.raises(ConfigurationError, match="not a valid Redis URL") as info:
        make_limiter(5.0, "redis", redis_url="http://user:hunter2@example.com")
    assert "hunter2" not in str(info.value)
    with pytest.raises(ValueError, match="unknown rate limit backend"):
        make_limiter(5.0, "memcached")
    with pytest.raises(ConfigurationError, match="redis_url"):
        Toolbelt(ToolbeltConfig(account_id="1", rate_limit_backend="redis", secrets={}))


def test_importing_lp_toolbelt_does_not_import_redis() -> None:
    code = "import sys, lp_toolbelt, lp_toolbelt.redis; print('redis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------------------------------ failure policy
async def test_unreachable_redis_falls_back_at_the_divided_rate(caplog: pytest.LogCaptureFixture) -> None:
    lim = limiter(f"redis://127.0.0.1:{free_port()}/0", rate=40.0, expected_workers=4)
    caplog.set_level(logging.WARNING, logger="lp_toolbelt.redis")
    try:
        async with asyncio.timeout(10):  # a hang guard, not a timing assertion
            for _ in range(3):
                await lim.acquire()
    finally:
        await lim.aclose()
    assert lim.degraded
    assert lim.fallback.rate == pytest.approx(10.0)
    assert lim.fallback_acquisitions == 3
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once per outage, not per call
    assert "10 req/s" in warnings[0].getMessage()
    assert lim.health.outages == 1


async def test_a_redis_that_never_answers_does_not_hang() -> None:
    async def black_hole(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)  # accept, never answer
        writer.close()

    server = await asyncio.start_server(black_hole, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    lim = limiter(f"redis://127.0.0.1:{port}/0", rate=50.0, op_timeout=0.2)
    try:
        async with asyncio.timeout(10):  # hang guard
            await lim.acquire()
    finally:
        await lim.aclose()
        server.close()
        await server.wait_closed()
    assert lim.degraded
    assert lim.fallback_acquisitions == 1


async def test_killed_redis_falls_back_then_recovers(
    redis_factory: Callable[[], RedisServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = redis_factory()
    caplog.set_level(logging.INFO, logger="lp_toolbelt.redis")
    waits = Waits()
    lim = limiter(server.url, rate=50.0, expected_workers=2, retry_interval=0.0, sleep=waits)
    try:
        async with asyncio.timeout(20):
            await lim.acquire()
            assert not lim.degraded
            server.kill()
            await lim.acquire()  # the connection is gone: fallback, no hang, no error
            assert lim.degraded
            assert lim.fallback_acquisitions == 1
            server.start()  # same port
            await lim.acquire()  # the probe finds it: back on the shared cap
            assert not lim.degraded
            assert lim.fallback_acquisitions == 1
    finally:
        await lim.aclose()
    messages = [r.getMessage() for r in caplog.records]
    assert sum("unavailable" in m for m in messages) == 1
    assert sum("available again" in m for m in messages) == 1


# ------------------------------------------------------------------------------------------------ RedisHealth
def test_health_probes_once_per_interval() -> None:
    now = [0.0]
    health = RedisHealth("x", retry_interval=1.0, clock=lambda: now[0])
    assert health.should_try()
    health.failed(OSError(), "falling back")
    assert health.down
    assert not health.should_try()  # within the interval
    now[0] = 1.5
    assert health.should_try()  # the one probe
    assert not health.should_try()  # a second caller while the probe runs
    health.settle()  # the probe was cancelled
    assert health.should_try()
    health.ok()
    assert not health.down
    assert health.should_try()
    assert health.outages == 1
