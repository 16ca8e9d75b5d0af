"""Telemetry without a server: URL redaction, the send path's attempt spans driven by a fake sender and a fake clock,
the Redis fallback gauge, the console line format, and the cost profile without OpenTelemetry."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from opentelemetry.trace import SpanKind, StatusCode
from yarl import URL

from lp_toolbelt.errors import ErrorCodes, TransportError
from lp_toolbelt.telemetry import active, error_type, redacted_url, status_class, traced
from lp_toolbelt.telemetry.console import format_span
from lp_toolbelt.transport.allowlist import Allowlist
from lp_toolbelt.transport.request import Request
from lp_toolbelt.transport.retry import RetryPolicy
from lp_toolbelt.transport.send import Transport
from lp_toolbelt.transport.wire import NetworkFailure, WireResponse
from tests._otel import Otel, otel_sdk
from tests.unit.fakes import FakeClock

HEADERS: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict())


@pytest.fixture
def otel() -> Iterator[Otel]:
    with otel_sdk() as rig:
        yield rig


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.example.com/a", "https://api.example.com/a"),
        ("https://user:pw@api.example.com/a?x=1#f", "https://api.example.com/a?x=REDACTED"),
        ("http://127.0.0.1:8080/p?a=1&a=2&b", "http://127.0.0.1:8080/p?a=REDACTED&a=REDACTED&b=REDACTED"),
        ("https://[::1]:9/x?k=%2F", "https://[::1]:9/x?k=REDACTED"),
        ("https://h.example/x%20y?q=SELECT%20Id", "https://h.example/x%20y?q=REDACTED"),
    ],
)
def test_redacted_url(url: str, expected: str) -> None:
    assert redacted_url(URL(url)) == expected


def test_status_class_and_error_type() -> None:
    assert [status_class(s) for s in (200, 302, 404, 503, None)] == ["2xx", "3xx", "4xx", "5xx", "error"]
    assert error_type(TransportError("X", ErrorCodes.HTTP_OP_FAILED, "m")) == ErrorCodes.HTTP_OP_FAILED
    assert error_type(KeyError("k")) == "KeyError"
    assert error_type(NetworkFailure("io")) == "lp_toolbelt.transport.wire.NetworkFailure"


class SlowLimiter:
    """Each acquisition advances the fake clock: a limiter wait the span must report exactly."""

    def __init__(self, clock: FakeClock, wait: float) -> None:
        self.clock, self.wait = clock, wait

    async def acquire(self) -> None:
        self.clock.now += self.wait

    async def aclose(self) -> None:
        return None


async def test_attempt_spans_from_a_fake_sender(otel: Otel) -> None:
    clock = FakeClock()
    answers: list[WireResponse | NetworkFailure] = [
        NetworkFailure("io"),
        WireResponse(503, HEADERS, b"", None),
        WireResponse(200, HEADERS, b"{}", "OK"),
    ]

    async def sender(request: Request) -> WireResponse:
        clock.now += 0.25  # each attempt takes 250 ms
        answer = answers.pop(0)
        if isinstance(answer, NetworkFailure):
            raise answer
        return answer

    transport = Transport(
        allowlist=Allowlist(["api.example.com"]),
        limiter=SlowLimiter(clock, 0.5),
        retry=RetryPolicy(max_retries=3, backoff_base=0.0),
        clock=clock,
        sleep=clock.sleep,
        sender=sender,
    )
    resp = await transport.send(Request("GET", URL("https://api.example.com/x?secret=1")), component="Test")
    await transport.aclose()
    assert resp.status == 200

    spans = sorted(otel.spans(), key=lambda s: s.start_time or 0)
    assert [s.name for s in spans] == ["GET", "GET", "GET"]
    assert all(s.kind is SpanKind.CLIENT for s in spans)
    failed, unavailable, ok = (dict(s.attributes or {}) for s in spans)
    assert failed["error.type"] == ErrorCodes.HTTP_OP_FAILED
    assert "http.response.status_code" not in failed
    assert unavailable["http.response.status_code"] == 503
    assert unavailable["http.request.resend_count"] == 1
    assert ok["http.request.resend_count"] == 2
    assert ok["url.full"] == "https://api.example.com/x?secret=REDACTED"
    assert [a["lp.limiter.wait_s"] for a in (failed, unavailable, ok)] == [0.5, 0.5, 0.5]
    assert "lp.request_id" not in ok  # a fake sender runs no middleware: no id was sent
    assert [s.status.status_code for s in spans] == [StatusCode.ERROR, StatusCode.ERROR, StatusCode.UNSET]

    assert otel.total("lp_toolbelt.retries", **{"lp.retry.reason": "io"}) == 1
    assert otel.total("lp_toolbelt.retries", **{"lp.retry.reason": "503"}) == 1
    assert otel.total("lp_toolbelt.limiter.wait", **{"lp.component": "Test"}) == 3
    durations = [p.sum for labels, p in otel.points("http.client.request.duration")]
    assert sum(durations) == pytest.approx(0.75)  # 3 attempts x 250 ms on the fake clock, limiter excluded


async def test_traced_names_records_errors_and_skips_nested_same_component(otel: Otel) -> None:
    class Client:
        @traced("demo", lambda self, what: f"op-{what}")
        async def outer(self, what: str) -> str:
            return await self.inner()

        @traced("demo")
        async def inner(self) -> str:
            return "done"

        @traced("demo")
        async def fails(self) -> None:
            raise TransportError("Demo", ErrorCodes.HTTP_OP_FAILED, "boom")

    client = Client()
    assert await client.outer("x") == "done"
    with pytest.raises(TransportError):
        await client.fails()
    assert [s.name for s in otel.spans()] == ["demo op-x", "demo fails"]
    failed = otel.one("demo fails")
    assert failed.status.status_code is StatusCode.ERROR
    assert (failed.attributes or {})["error.type"] == ErrorCodes.HTTP_OP_FAILED
    assert failed.events == ()  # no exception text exported
    assert otel.total("lp_toolbelt.call.duration", **{"lp.operation": "fails"}) == 1


def test_redis_fallback_gauge(otel: Otel) -> None:
    pytest.importorskip("redis")
    from lp_toolbelt.redis.connection import RedisHealth

    clock = FakeClock()
    health = RedisHealth("rate limiter", clock=clock)
    assert otel.total("lp_toolbelt.redis.fallback", **{"lp.redis.use": "rate limiter"}) == 0
    health.failed(ConnectionError("down"), "pacing in-process")
    active()  # the instruments exist once telemetry is active
    assert otel.total("lp_toolbelt.redis.fallback", **{"lp.redis.use": "rate limiter"}) == 1
    health.ok()
    assert otel.total("lp_toolbelt.redis.fallback", **{"lp.redis.use": "rate limiter"}) == 0


async def test_console_line_format(otel: Otel) -> None:
    class Client:
        @traced("demo")
        async def call(self) -> None:
            return None

    await Client().call()
    line = format_span(otel.one("demo call"))
    assert line.startswith("[otel] demo call ")
    assert " UNSET trace=" in line
    assert line.endswith("\n")


def test_without_opentelemetry_methods_are_not_wrapped() -> None:
    """The API not importable: one import check, then the clients' methods are the plain functions."""
    code = (
        "import sys; sys.modules['opentelemetry'] = None\n"
        "import lp_toolbelt.telemetry as t\n"
        "from lp_toolbelt.clients.http import HttpClient\n"
        "from lp_toolbelt.clients.lp import LpClient\n"
        "assert t.AVAILABLE is False and t.active() is None\n"
        "assert not hasattr(HttpClient.request, '__wrapped__') and not hasattr(LpClient.__call__, '__wrapped__')\n"
        "assert not any(m.startswith('opentelemetry') for m in sys.modules if sys.modules[m] is not None)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_off_switch() -> None:
    code = "import lp_toolbelt.telemetry as t; assert t.AVAILABLE is False"
    env = {"LP_TOOLBELT_OTEL": "off", "PATH": ""}
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, env=env)


def test_import_loads_no_opentelemetry() -> None:
    """``import lp_toolbelt`` leaves OpenTelemetry unimported until a Toolbelt sends."""
    code = "import sys, lp_toolbelt; assert not [m for m in sys.modules if m.startswith('opentelemetry.')], 1"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
