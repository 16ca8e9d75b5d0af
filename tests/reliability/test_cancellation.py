"""Cancelling calls mid-flight (``asyncio.timeout``, ``task.cancel()``) and closing the Toolbelt under load.

The caller's cancellation is never swallowed or turned into a ToolbeltError; afterwards the Toolbelt still works,
its shared fetches are intact, its rate limiter still paces, and (conftest) nothing is left pending or open.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from lp_toolbelt import LpServices, Toolbelt, ToolbeltError
from lp_toolbelt.emulator import Emulator

from .ops import lp_oauth1_get, lp_oauth2_get


async def arrived(emu: Emulator, route: str, count: int = 1, limit: float = 5.0) -> None:
    """Wait until the emulator has seen ``count`` requests for ``route``."""
    async with asyncio.timeout(limit):
        while emu.state.count(route) < count:  # noqa: ASYNC110 - the request log is plain data, no event
            await asyncio.sleep(0.005)


async def test_asyncio_timeout_cancels_the_call_and_the_toolbelt_still_works(emu: Emulator) -> None:
    async with Toolbelt(emu.config()) as tb:
        emu.state.faults.add("skills", "latency", delay=2.0)
        with pytest.raises(TimeoutError) as info:
            async with asyncio.timeout(0.2):
                await lp_oauth1_get(tb, emu)
        assert not isinstance(info.value, ToolbeltError)  # the caller's own timeout, not ours
        assert await lp_oauth1_get(tb, emu) == emu.state.skills


@pytest.mark.parametrize(("route", "shared"), [("csds", True), ("sentinel", True), ("skills", False)])
async def test_task_cancel_mid_request_propagates(route: str, shared: bool, emu: Emulator) -> None:
    async with Toolbelt(emu.config()) as tb:
        emu.state.faults.add(route, "latency", delay=0.3)
        task = asyncio.create_task(lp_oauth2_get(tb, emu))
        await arrived(emu, route)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled()
        # A CSDS/token fetch is shared through the single-flight cache: cancelling its first caller does not cancel
        # it, the next caller gets its result. A plain request is simply sent again.
        assert await lp_oauth2_get(tb, emu) == emu.state.skills
        assert emu.state.count(route) == (1 if shared else 2)


async def test_cancel_during_body_read(emu: Emulator) -> None:
    async with Toolbelt(emu.config()) as tb:
        emu.state.faults.add("skills", "oversized_body", chunked=True, times=None)
        outcomes: list[BaseException] = []
        for delay in (0.0, 0.005, 0.02, 0.05):
            task = asyncio.create_task(lp_oauth1_get(tb, emu))
            await asyncio.sleep(delay)
            task.cancel()
            outcomes += await asyncio.gather(task, return_exceptions=True)
        # Cancelled, or finished before the cancel landed (the 64 MiB cap was hit).
        for outcome in outcomes:
            too_large = isinstance(outcome, ToolbeltError) and outcome.code.endswith("response-too-large")
            assert isinstance(outcome, asyncio.CancelledError) or too_large, outcome
        emu.state.faults.clear()
        assert await lp_oauth1_get(tb, emu) == emu.state.skills


async def test_cancelled_callers_do_not_cancel_the_shared_csds_fetch(emu: Emulator) -> None:
    async with Toolbelt(emu.config()) as tb:
        emu.state.faults.add("csds", "latency", delay=0.3)
        csds = tb.csds_client()
        tasks = [asyncio.create_task(csds.get(LpServices.MSG_HIST)) for _ in range(10)]
        await arrived(emu, "csds")
        for task in tasks[1:]:
            task.cancel()
        assert await tasks[0] == emu.host
        for task in tasks[1:]:
            with pytest.raises(asyncio.CancelledError):
                await task
        assert emu.state.count("csds") == 1
        assert await csds.get(LpServices.MSG_HIST) == emu.host  # cached
        assert emu.state.count("csds") == 1


async def test_limiter_still_paces_after_cancelled_waiters() -> None:
    rate = 10.0
    async with Emulator(rate_limit=None) as emu, Toolbelt(emu.config(rate_limit=rate)) as tb:
        url = str((emu.base_url / "api/account" / emu.state.account_id / "service/baseURI.json").with_query(v="1"))
        http = tb.http_client()
        # 30 callers queue in the limiter (3 s of budget); cancel them all while most are still waiting.
        waiting = [asyncio.create_task(http.get(url)) for _ in range(30)]
        await asyncio.sleep(0.25)
        for task in waiting:
            task.cancel()
        results = await asyncio.gather(*waiting, return_exceptions=True)
        assert sum(isinstance(r, asyncio.CancelledError) for r in results) >= 20
        assert all(isinstance(r, asyncio.CancelledError) or getattr(r, "status", 0) == 200 for r in results)

        # The limiter is neither stuck nor leaking capacity: the next 8 requests go through, paced at the rate.
        emu.state.clear_requests()
        started = time.monotonic()
        async with asyncio.timeout(5):
            answers = await asyncio.gather(*(http.get(url) for _ in range(8)))
        assert [a.status for a in answers] == [200] * 8
        elapsed = time.monotonic() - started
        assert elapsed >= (8 - 2) / rate  # paced: at most one start per 1/rate (one may start at once)
        assert emu.state.max_in_window(1.0) <= rate + 1


async def test_closing_the_toolbelt_ends_calls_in_flight_with_toolbelt_errors(emu: Emulator) -> None:
    tb = Toolbelt(emu.config())
    async with tb:
        await tb.csds_client().get_all()
        emu.state.faults.add("skills", "stall", times=None, seconds=30)
        tasks = [asyncio.create_task(lp_oauth1_get(tb, emu)) for _ in range(5)]
        await arrived(emu, "skills", 5)
    results: list[Any] = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, ToolbeltError) for r in results), results
    assert tb.closed
    with pytest.raises(ToolbeltError):
        await lp_oauth1_get(tb, emu)
