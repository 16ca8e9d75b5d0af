"""Load: 10,000 requests through one Toolbelt at a high cap against the emulator.

Zero lost or duplicated requests (the emulator's log holds each request exactly once, with its own X-Request-Id),
memory flat (tracemalloc: what is still allocated after the run, once the emulator's own request log is dropped,
stays within a small bound) and no file-descriptor growth (``/proc/self/fd``).
"""

from __future__ import annotations

import asyncio
import gc
import os
import tracemalloc
from collections import Counter

import pytest

from lp_toolbelt import LpServices, Toolbelt
from lp_toolbelt.emulator import Emulator

REQUESTS = 10_000
WARM_UP = 1_000
WORKERS = 64
MEMORY_BOUND = 1_500_000  # bytes still allocated after 10,000 requests (a leak of ~150 B per request trips it)
FD_BOUND = 8


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def run(tb: Toolbelt, emu: Emulator, start: int, count: int) -> list[int]:
    """``count`` GETs, ``WORKERS`` at a time, each tagged ``n=<i>``; returns the statuses."""
    http = tb.http_client()
    csds = tb.csds_client()
    base = emu.base_url / "api/account" / emu.state.account_id / "service/baseURI.json"
    statuses: list[int] = []
    numbers = iter(range(start, start + count))

    async def worker() -> None:
        for n in numbers:
            if n % 500 == 0:  # the cached CSDS path and the LP client share the run
                assert await csds.get(LpServices.MSG_HIST) == emu.host
            resp = await http.get(base.with_query(version="1.0", n=str(n)))
            resp.json()
            statuses.append(resp.status)

    await asyncio.gather(*(worker() for _ in range(WORKERS)))
    return statuses


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
async def test_10000_requests_none_lost_or_duplicated_memory_and_fds_flat() -> None:
    async with Emulator(rate_limit=None) as emu, Toolbelt(emu.config(rate_limit=100_000.0)) as tb:
        assert await run(tb, emu, -WARM_UP, WARM_UP) == [200] * WARM_UP  # pools, caches and the loop warmed up
        emu.state.clear_requests()
        gc.collect()
        fds_before = open_fds()
        tracemalloc.start(1)
        try:
            baseline = tracemalloc.get_traced_memory()[0]
            statuses = await run(tb, emu, 0, REQUESTS)

            # Nothing lost, nothing duplicated: each tagged request reached the emulator exactly once.
            assert statuses == [200] * REQUESTS
            tags = Counter(r.query for r in emu.state.requests if r.route == "csds")
            assert len(tags) == REQUESTS
            assert set(tags.values()) == {1}
            assert tags.keys() == {f"version=1.0&n={n}" for n in range(REQUESTS)}
            ids = [r.request_id for r in emu.state.requests]
            assert None not in ids
            assert len(set(ids)) == len(ids) == REQUESTS  # one fresh X-Request-Id per request

            emu.state.clear_requests()  # the emulator's log is test data, not the library's memory
            del tags, ids, statuses
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - baseline
        finally:
            tracemalloc.stop()
        fds_after = open_fds()
    assert grown < MEMORY_BOUND, f"{grown} bytes still allocated after {REQUESTS} requests"
    assert fds_after - fds_before <= FD_BOUND, (fds_before, fds_after)
