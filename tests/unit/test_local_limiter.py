"""LocalRateLimiter's schedule on a virtual clock: exact pacing, no drift from late wake-ups, at most rate + 1
starts in any 1 s window, no burst after idle time, cancelled waiters skipped, a new event loop starts afresh."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from lp_toolbelt.transport.limiter import LocalRateLimiter

RATE = 10.0
INTERVAL = 1 / RATE


class VirtualTime:
    """Replaces the running loop's clock; a driver task advances it by ``step`` per loop iteration."""

    def __init__(self, loop: asyncio.AbstractEventLoop, step: float) -> None:
        self.now = 1000.0
        self.step = step
        self.loop = loop

    def __call__(self) -> float:
        return self.now

    async def drive(self) -> None:
        while True:
            await asyncio.sleep(0)
            self.now += self.step


@pytest.fixture
async def vtime() -> AsyncIterator[VirtualTime]:
    loop = asyncio.get_running_loop()
    clock = VirtualTime(loop, step=INTERVAL / 50)
    real = loop.time
    loop.time = clock  # type: ignore[method-assign]
    driver = asyncio.ensure_future(clock.drive())
    try:
        yield clock
    finally:
        driver.cancel()
        with pytest.raises(asyncio.CancelledError):
            await driver
        loop.time = real  # type: ignore[method-assign]


async def grant_times(limiter: LocalRateLimiter, clock: VirtualTime, callers: int) -> list[float]:
    times: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        times.append(clock.now)

    await asyncio.gather(*(one() for _ in range(callers)))
    return times


def max_in_window(times: list[float], window: float = 1.0) -> int:
    best = start = 0
    for end, t in enumerate(times):
        while t - times[start] >= window - 1e-9:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_queued_callers_are_paced_on_schedule(vtime: VirtualTime) -> None:
    limiter = LocalRateLimiter(RATE)
    times = await grant_times(limiter, vtime, 41)
    start = times[0]
    # The first goes at once, the second half an interval later (the slack), then exactly one per interval.
    offsets = [round((t - start) / INTERVAL, 1) for t in times]
    assert offsets[:4] == [0.0, 0.5, 1.5, 2.5]
    assert offsets[-1] == pytest.approx(39.5, abs=0.05)
    assert max_in_window(times) <= RATE + 1


async def test_late_wakeups_within_the_slack_do_not_drift(vtime: VirtualTime) -> None:
    vtime.step = INTERVAL * 0.1  # every loop iteration (a grant takes a few) moves the clock 0.1 interval on
    limiter = LocalRateLimiter(RATE)
    times = await grant_times(limiter, vtime, 101)
    elapsed = times[-1] - times[0]
    assert elapsed <= 101 * INTERVAL  # a drifting limiter needs ~100 x 1.3 intervals (measured to the resumption)
    assert max_in_window(times) <= RATE + 1


async def test_no_burst_after_idle_time(vtime: VirtualTime) -> None:
    limiter = LocalRateLimiter(RATE)
    await grant_times(limiter, vtime, 3)
    vtime.now += 60.0  # a minute idle: no credit builds up
    times = await grant_times(limiter, vtime, 12)
    assert max_in_window(times) <= RATE + 1
    assert times[2] - times[0] >= 1.5 * INTERVAL - 1e-9


async def test_cancelled_waiters_give_their_turn_to_the_next(vtime: VirtualTime) -> None:
    limiter = LocalRateLimiter(RATE)
    await limiter.acquire()
    order: list[int] = []

    async def one(i: int) -> None:
        await limiter.acquire()
        order.append(i)

    tasks = [asyncio.ensure_future(one(i)) for i in range(6)]
    await asyncio.sleep(0)
    for i in (1, 2, 3):
        tasks[i].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert order == [0, 4, 5]
    assert [isinstance(r, asyncio.CancelledError) for r in results] == [False, True, True, True, False, False]


def test_reusable_on_a_new_event_loop_and_rejects_a_bad_rate() -> None:
    limiter = LocalRateLimiter(1000.0)

    async def burst() -> None:
        await asyncio.gather(*(limiter.acquire() for _ in range(5)))

    asyncio.run(burst())
    asyncio.run(burst())
    assert repr(limiter) == "LocalRateLimiter(rate=1000.0)"
    with pytest.raises(ValueError, match="rate"):
        LocalRateLimiter(0)
