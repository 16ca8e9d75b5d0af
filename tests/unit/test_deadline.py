"""DeadlineTimers: asyncio.timeout's semantics with shared coarse timers (never early, cancellations kept apart)."""

from __future__ import annotations

import asyncio

import pytest

from lp_toolbelt.transport.deadline import DeadlineTimers


async def test_expires_with_timeout_error_and_never_early() -> None:
    timers = DeadlineTimers()
    loop = asyncio.get_running_loop()
    start = loop.time()
    scope = timers.scope(0.05)

    async def body() -> None:
        async with scope:
            await asyncio.sleep(10)

    with pytest.raises(TimeoutError):
        await body()
    assert loop.time() >= start + 0.05
    assert scope.expired
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_a_body_that_finishes_in_time_is_left_alone_even_after_its_slot_fires() -> None:
    timers = DeadlineTimers()
    scope = timers.scope(0.01)
    async with scope:
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)  # the shared slot timer fires now: it must not cancel this task
    assert not scope.expired
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_scopes_share_slot_timers() -> None:
    timers = DeadlineTimers()
    loop = asyncio.get_running_loop()
    before = len(loop._scheduled)  # type: ignore[attr-defined]
    for _ in range(50):
        async with timers.scope(30):
            pass
    assert len(loop._scheduled) - before <= 2  # type: ignore[attr-defined]


async def test_an_outside_cancellation_is_not_turned_into_a_timeout() -> None:
    timers = DeadlineTimers()

    async def body() -> None:
        async with timers.scope(10):
            await asyncio.sleep(10)

    task = asyncio.ensure_future(body())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_cancellation_racing_the_expiry_wins() -> None:
    timers = DeadlineTimers()

    async def body() -> None:
        async with timers.scope(0.01):
            try:
                await asyncio.sleep(10)
            finally:
                asyncio.current_task().cancel()  # type: ignore[union-attr]  # another cancel arrives meanwhile
                await asyncio.sleep(0)

    with pytest.raises(asyncio.CancelledError):
        await asyncio.ensure_future(body())


async def test_nested_scopes_each_own_their_expiry() -> None:
    timers = DeadlineTimers()
    inner_timed_out = False
    async with timers.scope(10):
        try:
            async with timers.scope(0.01):
                await asyncio.sleep(10)
        except TimeoutError:
            inner_timed_out = True
        await asyncio.sleep(0)  # the outer scope is intact
    assert inner_timed_out

    outer, inner = timers.scope(0.01), timers.scope(10)

    async def both() -> None:
        async with outer, inner:
            await asyncio.sleep(10)

    with pytest.raises(TimeoutError):
        await both()
    assert outer.expired
    assert not inner.expired


async def test_same_semantics_as_asyncio_timeout_when_nested_inside_it() -> None:
    timers = DeadlineTimers()

    async def ours_inside() -> None:
        async with asyncio.timeout(0.01), timers.scope(10):
            await asyncio.sleep(10)

    async def ours_outside() -> None:
        async with timers.scope(0.01), asyncio.timeout(10):
            await asyncio.sleep(10)

    with pytest.raises(TimeoutError):
        await ours_inside()
    with pytest.raises(TimeoutError):
        await ours_outside()


async def test_a_past_deadline_cancels_at_the_first_await() -> None:
    timers = DeadlineTimers()
    reached = []

    async def body() -> None:
        async with timers.scope(0):
            reached.append(True)
            await asyncio.sleep(1)

    with pytest.raises(TimeoutError):
        await body()
    assert reached == [True]


async def test_single_use_and_only_inside_a_task() -> None:
    timers = DeadlineTimers()
    scope = timers.scope(1)
    async with scope:
        pass
    with pytest.raises(RuntimeError):
        async with scope:
            pass
    assert "Deadline" in repr(scope)
    assert "DeadlineTimers" in repr(timers)


def test_a_new_event_loop_gets_fresh_timers() -> None:
    timers = DeadlineTimers()

    async def once() -> bool:
        try:
            async with timers.scope(0.01):
                await asyncio.sleep(1)
        except TimeoutError:
            return True
        return False

    assert asyncio.run(once())
    assert asyncio.run(once())
