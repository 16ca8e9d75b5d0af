"""``OrchestratorClient.invoke``: both error strategies (sequential and parallel), the deadline and cancellation, with a
fake LivePerson behind the Sender seam and a fake clock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lp_toolbelt import (
    ErrorCodes,
    ErrorStrategy,
    HttpStatusError,
    Invocation,
    RequestTimeoutError,
    Toolbelt,
)
from lp_toolbelt.transport.request import Request
from lp_toolbelt.transport.wire import WireResponse
from tests.unit.fake_lp import FakeLivePerson, network, wire
from tests.unit.fakes import FakeClock

CONTINUE = ErrorStrategy.CONTINUE_ON_ERROR


# ------------------------------------------------------------------------------------------------ strategies
async def test_exit_on_error_raises_the_first_failure_and_starts_no_other(tb: Toolbelt, fake: FakeLivePerson) -> None:
    fake.script("b", (404, "no such function"))
    with pytest.raises(HttpStatusError) as info:
        await tb.orchestrator_client().invoke([Invocation(uuid="a"), Invocation(uuid="b"), Invocation(uuid="c")])
    assert info.value.details["uuid"] == "b"
    assert fake.sent_to("c") == []


async def test_continue_on_error_returns_every_failure_in_order(tb: Toolbelt, fake: FakeLivePerson) -> None:
    fake.script("a", (404, "missing"))
    fake.script("b", network("io"))
    results = await tb.orchestrator_client().invoke(
        [Invocation(uuid="a"), Invocation(uuid="b"), Invocation(uuid="c")], error_strategy=CONTINUE
    )
    assert [r.uuid for r in results] == ["a", "b", "c"]
    assert results[0].error is not None
    assert results[0].error.code == ErrorCodes.ORCHESTRATOR_STATUS_CODE_ERROR
    assert results[0].status_code == 404
    assert results[1].error is not None
    assert results[1].error.code == ErrorCodes.ORCHESTRATOR_GENERAL
    assert results[1].status_code is None
    assert results[1].body is None
    assert results[2].ok
    assert results[2].status_code == 200


async def test_the_strategy_may_be_given_by_its_value(tb: Toolbelt, fake: FakeLivePerson) -> None:
    fake.script("a", (404, "missing"))
    results = await tb.orchestrator_client().invoke(
        [Invocation(uuid="a")],
        error_strategy="ContinueOnError",  # type: ignore[arg-type]
    )
    assert not results[0].ok


async def test_parallel_invocations_are_in_flight_together_and_keep_the_order(
    tb: Toolbelt, fake: FakeLivePerson
) -> None:
    arrived = {"a": asyncio.Event(), "b": asyncio.Event()}

    def answer_after_the_other(me: str, other: str) -> Any:
        async def step(request: Request) -> WireResponse:
            arrived[me].set()
            await arrived[other].wait()  # deadlocks unless both are in flight at once
            if me == "a":
                await asyncio.sleep(0.01)  # b finishes first
            return wire(200, me)

        return step

    fake.script("a", answer_after_the_other("a", "b"))
    fake.script("b", answer_after_the_other("b", "a"))
    async with asyncio.timeout(5):  # a guard against the deadlock, not a speed assertion
        results = await tb.orchestrator_client().invoke([Invocation(uuid="a"), Invocation(uuid="b")], parallel=True)
    assert [r.body for r in results] == ["a", "b"]


async def test_parallel_exit_on_error_cancels_the_rest_and_leaves_no_task(tb: Toolbelt, fake: FakeLivePerson) -> None:
    started = asyncio.Event()
    cancelled: list[str] = []

    async def slow(request: Request) -> WireResponse:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(request.url.path.split("/")[5])
            raise
        raise AssertionError("unreachable")

    async def fail_once_started(request: Request) -> WireResponse:
        await started.wait()
        return wire(404, "missing")

    fake.script("slow1", slow)
    fake.script("slow2", slow)
    fake.script("bad", fail_once_started)
    before = asyncio.all_tasks()
    with pytest.raises(HttpStatusError) as info:
        await tb.orchestrator_client().invoke(
            [Invocation(uuid="slow1"), Invocation(uuid="bad"), Invocation(uuid="slow2")], parallel=True
        )
    assert info.value.details["uuid"] == "bad"
    assert sorted(cancelled) == ["slow1", "slow2"]
    assert asyncio.all_tasks() == before


async def test_parallel_continue_on_error_waits_for_every_invocation(tb: Toolbelt, fake: FakeLivePerson) -> None:
    fake.script("a", (500, "down"))
    fake.script("c", network("connect"))
    results = await tb.orchestrator_client().invoke(
        [Invocation(uuid=u) for u in "abc"], parallel=True, error_strategy=CONTINUE
    )
    assert [r.ok for r in results] == [False, True, False]


# ------------------------------------------------------------------------------------------------ deadline
async def test_a_deadline_over_25_s_warns_and_25_s_bound_the_call(
    tb: Toolbelt, fake: FakeLivePerson, clock: FakeClock
) -> None:
    async def takes_24_seconds(request: Request) -> WireResponse:
        clock.now += 24.0
        return wire(500, "down")

    fake.script("a", takes_24_seconds)
    with pytest.warns(UserWarning, match="25s"), pytest.raises(HttpStatusError) as info:
        await tb.orchestrator_client().invoke([Invocation(uuid="a")], deadline=60.0)
    assert info.value.status == 500  # the last answer: no retry fits in what is left of the 25 s
    assert len(fake.sent_to("a")) == 2  # a third attempt would start at 48.2 s: past 25 s, within 60 s


async def test_a_timeout_too_long_for_the_deadline_is_replaced(
    tb: Toolbelt, fake: FakeLivePerson, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, Any]] = []
    send = tb.transport.send

    async def spy(request: Request, **kwargs: Any) -> Any:
        if "/lambdas/" in request.url.path:
            seen.append(kwargs)
        return await send(request, **kwargs)

    monkeypatch.setattr(tb.transport, "send", spy)
    with pytest.warns(UserWarning, match="timeout 6s"):
        await tb.orchestrator_client().invoke([Invocation(uuid="a"), Invocation(uuid="b")], deadline=10, timeout=6)
    assert [kw["attempt_timeout"] for kw in seen] == [5.0, 5.0]
    assert all(kw["timeout"] <= 10 for kw in seen)


async def test_invocations_after_the_deadline_are_timeouts_and_never_sent(
    tb: Toolbelt, fake: FakeLivePerson, clock: FakeClock
) -> None:
    async def slow_success(request: Request) -> WireResponse:
        clock.now += 11.0
        return wire(200, "ok")

    fake.script("a", slow_success)
    results = await tb.orchestrator_client().invoke(
        [Invocation(uuid="a"), Invocation(uuid="b")], deadline=10, timeout=5, error_strategy=CONTINUE
    )
    assert results[0].ok
    assert results[1].error is not None
    assert results[1].error.code == ErrorCodes.ORCHESTRATOR_TIMEOUT
    assert fake.sent_to("b") == []


async def test_parallel_invocations_that_hang_time_out_each(tb: Toolbelt, fake: FakeLivePerson) -> None:
    async def hang(request: Request) -> WireResponse:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    fake.script("a", hang)
    fake.script("b", hang)
    results = await tb.orchestrator_client().invoke(
        [Invocation(uuid="a", retries=1), Invocation(uuid="b", retries=1)],
        deadline=0.1,
        parallel=True,
        error_strategy=CONTINUE,
    )
    assert [r.error.code if r.error else None for r in results] == [ErrorCodes.ORCHESTRATOR_TIMEOUT] * 2


async def test_the_deadline_ends_an_invocation_stuck_before_its_request(tb: Toolbelt, fake: FakeLivePerson) -> None:
    """The deadline bounds the whole call, CSDS and the token included, not only the gateway's attempts."""
    stuck = asyncio.Event()

    async def never_resolve(*args: Any, **kwargs: Any) -> str:
        await stuck.wait()
        raise AssertionError("unreachable")

    tb.csds_client().get = never_resolve  # type: ignore[method-assign]
    with pytest.raises(RequestTimeoutError) as info:
        await tb.orchestrator_client().invoke([Invocation(uuid="a")], deadline=0.05)
    assert info.value.code == ErrorCodes.ORCHESTRATOR_TIMEOUT
    assert fake.sent == []


# ------------------------------------------------------------------------------------------------ cancellation
@pytest.mark.parametrize("parallel", [False, True])
async def test_cancelling_the_call_mid_orchestration_leaves_no_task_behind(
    tb: Toolbelt, fake: FakeLivePerson, parallel: bool
) -> None:
    expected = ["a", "b"] if parallel else ["a"]
    arrived: list[str] = []
    all_in_flight = asyncio.Event()
    cancelled: list[str] = []

    async def hang(request: Request) -> WireResponse:
        uuid = request.url.path.split("/")[5]
        arrived.append(uuid)
        if len(arrived) == len(expected):
            all_in_flight.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(uuid)
            raise
        raise AssertionError("unreachable")

    fake.script("a", hang)
    fake.script("b", hang)
    before = asyncio.all_tasks()
    task = asyncio.create_task(
        tb.orchestrator_client().invoke([Invocation(uuid="a"), Invocation(uuid="b")], parallel=parallel)
    )
    await all_in_flight.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert asyncio.all_tasks() == before
    assert sorted(cancelled) == expected
    assert sorted(arrived) == expected  # sequentially, b never started
