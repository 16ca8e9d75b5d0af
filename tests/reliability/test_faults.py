"""Every client × every fault mode, over real loopback HTTP against the emulator.

For each pair the call either succeeds through a correct retry (only when the request is retry-safe) or raises a
``ToolbeltError`` with the expected code and status — never a raw aiohttp/pydantic/json exception, never a hang
past its deadline. The emulator's request log proves what was (and was not) replayed: a non-idempotent write hit by
an ambiguous failure reaches the server exactly once. Every attempt passes through the shared rate limiter.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from lp_toolbelt import ErrorCodes, Toolbelt, ToolbeltConfig, ToolbeltError
from lp_toolbelt.emulator import Emulator

from .ops import OPS, SETUP, Op

MAX_RETRIES = 3
TIMEOUT = 5.0  # seconds per call (the fake sleep makes retries instant, so this is never reached)
STALL_TIMEOUT = 0.3  # the deadline of calls whose request stalls
SLACK = 1.5  # how far past its deadline a call may return before it counts as a hang


class RecordingSleep:
    """An instant sleep that records the delays the retry policy asked for."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


class CountingLimiter:
    """A limiter that lets everything through and counts acquisitions (one per attempt)."""

    def __init__(self) -> None:
        self.acquired = 0

    async def acquire(self) -> None:
        self.acquired += 1

    async def aclose(self) -> None:
        return None


async def settle(tb: Toolbelt) -> None:
    """Wait for the single-flight fetches (CSDS, tokens) still in flight to end."""
    for cache in (tb.csds_cache, tb.token_cache, tb.secret_cache):
        flights = list(cache._flights.values())
        await asyncio.gather(*flights, return_exceptions=True)


@dataclass(frozen=True)
class Expect:
    ok: bool
    failure: str | None = None  # a field of Codes
    status: int | None = None
    attempts: int = 1  # requests the route receives
    delays: Callable[[list[float]], bool] | None = None  # a check of the retry waits
    code: str | None = None  # overrides the op's code for this failure class


@dataclass(frozen=True)
class Scenario:
    id: str
    kind: str
    expect: Callable[[Op], Expect]
    times: int | None = 1
    options: dict[str, Any] = field(default_factory=dict)
    timeout: float = TIMEOUT


def _ok(op: Op, attempts: int = 1, delays: Callable[[list[float]], bool] | None = None) -> Expect:
    return Expect(ok=True, attempts=attempts + op.follow_ups, delays=delays)


def _status_error(op: Op, status: int, attempts: int = 1) -> Expect:
    return Expect(ok=False, failure="status", status=status, attempts=attempts, code=op.status_codes.get(status))


def _ambiguous(times: int | None) -> Callable[[Op], Expect]:
    """A dropped connection or cut body: retried only when the request is retry-safe."""

    def expect(op: Op) -> Expect:
        allowed = op.network_attempts or (MAX_RETRIES + 1 if op.retry_safe else 1)
        if times is None or times >= allowed:
            return Expect(ok=False, failure="network", attempts=allowed)
        return _ok(op, attempts=times + 1)

    return expect


def _retryable_status(times: int | None, status: int) -> Callable[[Op], Expect]:
    def expect(op: Op) -> Expect:
        retried = op.retry_safe if op.retries_status is None else op.retries_status
        if not retried:
            return _status_error(op, status)
        if times is None:
            return _status_error(op, status, attempts=MAX_RETRIES + 1)
        return _ok(op, attempts=times + 1)

    return expect


def _unauthorized(op: Op) -> Expect:
    return _ok(op, attempts=2) if op.renews_on_401 else _status_error(op, 401)


def _rate_limited(times: int | None, delays: Callable[[list[float]], bool] | None) -> Callable[[Op], Expect]:
    def expect(op: Op) -> Expect:
        if not op.retries_429:
            return Expect(ok=False, failure="rate_limited", status=429)
        if times is None:
            return Expect(ok=False, failure="rate_limited", status=429, attempts=MAX_RETRIES + 1)
        return _ok(op, attempts=times + 1, delays=delays)

    return expect


def _bad_body(op: Op) -> Expect:
    return Expect(ok=False, failure="format", status=op.ok_status) if op.parses_body else _ok(op)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("latency", "latency", _ok, options={"delay": 0.1}),
    Scenario("stall", "stall", lambda op: Expect(ok=False, failure="timeout"), timeout=STALL_TIMEOUT),
    Scenario("reset-before-headers", "reset_before_headers", _ambiguous(1)),
    Scenario("reset-before-headers-processed", "reset_before_headers", _ambiguous(1), options={"process": True}),
    Scenario("reset-before-headers-always", "reset_before_headers", _ambiguous(None), times=None),
    Scenario("reset-after-headers", "reset_after_headers", _ambiguous(1)),
    Scenario("reset-after-headers-always", "reset_after_headers", _ambiguous(None), times=None),
    Scenario("truncated-body", "truncated_body", _ambiguous(2), times=2),
    Scenario("truncated-body-always", "truncated_body", _ambiguous(None), times=None),
    Scenario("503-burst", "status", _retryable_status(2, 503), times=2, options={"status": 503}),
    Scenario("503-always", "status", _retryable_status(None, 503), times=None, options={"status": 503}),
    Scenario("502-once", "status", _retryable_status(1, 502), options={"status": 502}),
    Scenario("500-not-retried", "status", lambda op: _status_error(op, 500)),
    Scenario("401-once", "status", _unauthorized, options={"status": 401}),
    Scenario(
        "429-retry-after-seconds",
        "rate_limited",
        _rate_limited(2, lambda d: d == [0.05, 0.05]),
        times=2,
        options={"retry_after": 0.05},
    ),
    Scenario(
        "429-retry-after-http-date",
        "rate_limited",
        _rate_limited(1, lambda d: len(d) == 1 and 0.9 < d[0] <= 2.05),
        options={"retry_after": 2, "http_date": True},
    ),
    Scenario("429-always", "rate_limited", _rate_limited(None, None), times=None, options={"retry_after": 0.01}),
    Scenario(
        "429-retry-after-past-deadline",
        "rate_limited",
        lambda op: Expect(ok=False, failure="rate_limited", status=429, delays=lambda d: d == []),
        options={"retry_after": 3600},
    ),
    Scenario("malformed-json", "malformed_json", _bad_body),
    Scenario("html-page", "wrong_content_type", _bad_body),
    Scenario(
        "wrong-content-type-json-body",
        "wrong_content_type",
        _ok,
        options={"keep_body": True, "content_type": "text/plain"},
    ),
    Scenario("oversized-declared", "oversized_body", lambda op: Expect(ok=False, failure="too_large")),
    Scenario(
        "oversized-chunked",
        "oversized_body",
        lambda op: Expect(ok=False, failure="too_large"),
        options={"chunked": True},
    ),
)

_FAULT_PARAMS = ("status", "body", "headers", "content_type", "delay")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
async def test_fault(op: Op, scenario: Scenario, emu: Emulator) -> None:
    expect = scenario.expect(op)
    sleep = RecordingSleep()
    limiter = CountingLimiter()
    config = emu.config(timeout=scenario.timeout, max_retries=MAX_RETRIES)
    async with Toolbelt(config, sleep=sleep, limiter=limiter) as tb:
        if op.name in SETUP:
            await SETUP[op.name](tb, emu)
            emu.state.clear_requests()
            limiter.acquired = 0
        named = {k: v for k, v in scenario.options.items() if k in _FAULT_PARAMS}
        extra = {k: v for k, v in scenario.options.items() if k not in _FAULT_PARAMS}
        emu.state.faults.add(op.route, scenario.kind, times=scenario.times, **named, **extra)

        started = time.monotonic()
        outcome: Any = None
        error: BaseException | None = None
        try:
            async with asyncio.timeout(scenario.timeout + SLACK):
                outcome = await op.run(tb, emu)
        except TimeoutError as err:
            if not isinstance(err, ToolbeltError):
                pytest.fail(f"{op.name}: the call hung past its {scenario.timeout}s deadline")
            error = err
        except Exception as err:
            error = err
        elapsed = time.monotonic() - started
        emu.state.faults.clear()

        assert elapsed <= scenario.timeout + SLACK
        if expect.ok:
            assert error is None, f"expected success, got {error!r}"
            assert outcome is not None
        else:
            assert isinstance(error, ToolbeltError), f"not a ToolbeltError: {error!r}"
            assert expect.failure is not None
            assert error.code == (expect.code or getattr(op.codes, expect.failure)), repr(error)
            assert error.status == expect.status, repr(error)
        assert emu.state.count(op.route) == expect.attempts, [(r.route, r.status) for r in emu.state.requests]
        assert limiter.acquired == len(emu.state.requests), "an attempt bypassed the rate limiter"
        if expect.delays is not None:
            assert expect.delays(sleep.delays), sleep.delays

        # Whatever happened, the Toolbelt still works (once a shared CSDS/token fetch the failed call left
        # running has ended under its own deadline).
        await settle(tb)
        emu.state.clear_requests()
        assert await op.run(tb, emu) is not None


@pytest.mark.parametrize("op", [op for op in OPS if not op.retry_safe], ids=lambda op: op.name)
async def test_ambiguous_write_is_sent_once_even_with_a_generous_policy(op: Op, emu: Emulator) -> None:
    """A write the server may have processed is never replayed, whatever max_retries says."""
    async with Toolbelt(emu.config(max_retries=10), sleep=RecordingSleep()) as tb:
        emu.state.faults.add(op.route, "reset_before_headers", times=None, process=True)
        with pytest.raises(ToolbeltError) as info:
            await op.run(tb, emu)
        assert info.value.code == op.codes.network
        assert emu.state.count(op.route) == 1
        emu.state.faults.clear()


def test_every_op_meets_every_scenario() -> None:
    """The matrix is complete: adding an op (one line in ops.OPS) puts it through every fault mode."""
    assert {op.name for op in OPS} >= {"http-get", "http-post", "csds", "lp-oauth1-get", "lp-oauth2-token"}
    assert len({op.name for op in OPS}) == len(OPS)
    kinds = {s.kind for s in SCENARIOS}
    assert kinds >= {
        "latency",
        "stall",
        "reset_before_headers",
        "reset_after_headers",
        "status",
        "rate_limited",
        "malformed_json",
        "truncated_body",
        "wrong_content_type",
        "oversized_body",
    }


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nobody listens there any more


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH"])
async def test_connection_refused_is_retried_for_every_method(method: str) -> None:
    """Nothing was sent, so even a write may be sent again."""
    port = _closed_port()
    limiter = CountingLimiter()
    config = ToolbeltConfig(allowlist=(f"127.0.0.1:{port}",), secrets={}, secrets_file=None, max_retries=MAX_RETRIES)
    async with Toolbelt(config, sleep=RecordingSleep(), limiter=limiter) as tb:
        with pytest.raises(ToolbeltError) as info:
            await tb.http_client().request(method, f"http://127.0.0.1:{port}/x", json={"a": 1})
    assert info.value.code == ErrorCodes.HTTP_OP_FAILED
    assert limiter.acquired == MAX_RETRIES + 1


async def test_tls_failure_is_not_retried(emu: Emulator) -> None:
    """https to a plain-HTTP port: a TLS failure is not a network blip, it is not retried."""
    limiter = CountingLimiter()
    async with Toolbelt(emu.config(max_retries=MAX_RETRIES), sleep=RecordingSleep(), limiter=limiter) as tb:
        with pytest.raises(ToolbeltError) as info:
            await tb.http_client().get(f"https://{emu.host}/x")
    assert info.value.code == ErrorCodes.HTTP_OP_FAILED
    assert limiter.acquired == 1
