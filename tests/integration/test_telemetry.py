"""Traces, metrics and logs of real calls against the emulator, read from the SDK's in-memory exporter and reader.

Each public call is one span ``"<component> <operation>"``; each attempt on the wire a ``CLIENT`` child span with
the HTTP semantic conventions' attributes. :data:`PUBLIC_CALLS` is the table of calls and the span trees they must
produce: a new client (V2's ``orchestrator invoke``) is one entry.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from lp_toolbelt import ErrorCodes, ForbiddenHostError, Invocation, LpServices, Toolbelt
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.routes.lp_api import ROUTE_SKILLS
from lp_toolbelt.emulator.routes.msghist import FIXTURE_CONVERSATION_ID
from lp_toolbelt.emulator.seed import DEMO_FUNCTION_UUID
from tests._otel import Otel, otel_sdk

OAUTH2_APP = "lp-faas-oauth2-app"


@pytest.fixture
def otel() -> Iterator[Otel]:
    with otel_sdk() as rig:
        yield rig


def skills_path(emu: Emulator) -> str:
    return f"/api/account/{emu.state.account_id}/configuration/le-users/skills"


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def wire(otel: Otel, parent: ReadableSpan, service: str | None = None) -> list[ReadableSpan]:
    """The attempt spans right under ``parent`` (to ``service`` only, when given)."""
    return [
        s
        for s in otel.children(parent)
        if s.kind is SpanKind.CLIENT and (service is None or attrs(s).get("lp.service") == service)
    ]


# ------------------------------------------------------------------------------------------------ an LP call
async def test_lp_call_span_tree_attributes_and_cache_hits(emu: Emulator, otel: Otel) -> None:
    async with Toolbelt(emu.config()) as tb:
        lp = tb.lp_client()
        first = await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu), app_key_secret_name=OAUTH2_APP)
        second = await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu), app_key_secret_name=OAUTH2_APP)
    assert first.status == second.status == 200

    calls = otel.named("lp_client accountConfigReadOnly")
    assert len(calls) == 2
    cold, warm = sorted(calls, key=lambda s: s.start_time or 0)
    assert cold.kind is SpanKind.INTERNAL
    assert cold.parent is None
    assert attrs(cold)["lp.component"] == "lp_client"
    assert attrs(cold)["lp.csds.cache_hit"] is False
    assert attrs(cold)["lp.token.cache_hit"] is False
    assert attrs(warm)["lp.csds.cache_hit"] is True
    assert attrs(warm)["lp.token.cache_hit"] is True
    assert cold.status.status_code is StatusCode.UNSET

    # Cold: CSDS, the secret read, the Sentinel token, then the API call; warm: the API call alone.
    assert [s.name for s in otel.children(cold)] == ["GET", "secret_client read_secret", "POST", "GET"]
    csds, _, token, api = otel.children(cold)
    assert attrs(csds)["lp.component"] == "CSDSClient"
    assert "lp.service" not in attrs(csds)
    assert attrs(token)["lp.service"] == "sentinel"
    assert attrs(token)["url.full"].endswith("/app/token?v=REDACTED")
    assert [s.name for s in otel.children(warm)] == ["GET"]

    recorded = {r.request_id for r in emu.state.requests if r.route == ROUTE_SKILLS}
    for span in (api, otel.children(warm)[0]):
        a = attrs(span)
        assert span.kind is SpanKind.CLIENT
        assert a["http.request.method"] == "GET"
        assert a["server.address"] == "127.0.0.1"
        assert a["server.port"] == emu.port
        assert a["url.full"] == f"http://{emu.host}{skills_path(emu)}"
        assert a["http.response.status_code"] == 200
        assert a["lp.service"] == "accountConfigReadOnly"
        assert a["lp.request_id"] in recorded  # the X-Request-Id the server received
        assert a["lp.limiter.wait_s"] >= 0
        assert "http.request.resend_count" not in a
        assert "error.type" not in a
    assert attrs(api)["lp.request_id"] != attrs(otel.children(warm)[0])["lp.request_id"]

    assert otel.total("http.client.request.duration", **{"lp.service": "accountConfigReadOnly"}) == 2
    assert otel.total("http.client.request.duration", **{"lp.status_class": "2xx", "lp.component": "LpClient"}) == 3
    assert otel.total("lp_toolbelt.cache.hits", **{"lp.cache": "csds"}) >= 1
    assert otel.total("lp_toolbelt.cache.misses", **{"lp.cache": "token"}) == 1
    assert otel.total("lp_toolbelt.cache.hits", **{"lp.cache": "token"}) == 1
    assert otel.total("lp_toolbelt.limiter.wait", **{"lp.component": "LpClient"}) == 3
    assert otel.total("lp_toolbelt.call.duration", **{"lp.operation": "accountConfigReadOnly"}) == 2


# ------------------------------------------------------------------------------------------------ a retried call
async def test_retried_call_attempt_spans_metrics_and_logs(
    emu: Emulator, otel: Otel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="lp_toolbelt")
    async with Toolbelt(emu.config(retry_backoff_base=0.0)) as tb:
        await tb.csds_client().domains()  # warm: only the retried call below
        otel.exporter.clear()
        emu.state.faults.add(ROUTE_SKILLS, "status", status=503, times=1)
        resp = await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu))
    assert resp.status == 200

    call = otel.one("lp_client accountConfigReadOnly")
    first, second = wire(otel, call, "accountConfigReadOnly")
    assert attrs(first)["http.response.status_code"] == 503
    assert attrs(first)["error.type"] == "503"
    assert first.status.status_code is StatusCode.ERROR
    assert "http.request.resend_count" not in attrs(first)
    assert attrs(second)["http.response.status_code"] == 200
    assert attrs(second)["http.request.resend_count"] == 1
    assert second.status.status_code is StatusCode.UNSET
    assert call.status.status_code is StatusCode.UNSET  # the call succeeded
    assert otel.total("lp_toolbelt.retries", **{"lp.retry.reason": "503", "lp.service": "accountConfigReadOnly"}) == 1
    assert otel.total("http.client.request.duration", **{"lp.status_class": "5xx"}) == 1

    retry_logs = [r for r in caplog.records if r.name == "lp_toolbelt.transport" and "retry 1" in r.getMessage()]
    assert len(retry_logs) == 1
    assert retry_logs[0].levelno == logging.INFO
    assert getattr(retry_logs[0], "lp_request_id", None) == attrs(first)["lp.request_id"]
    assert attrs(first)["lp.request_id"] in retry_logs[0].getMessage()


async def test_failed_call_sets_error_status_and_code(
    emu: Emulator, otel: Otel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="lp_toolbelt")
    async with Toolbelt(emu.config(retry_backoff_base=0.0, max_retries=1)) as tb:
        emu.state.faults.add(ROUTE_SKILLS, "rate_limited", retry_after=0, times=None)
        with pytest.raises(Exception) as info:
            await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu))
    assert getattr(info.value, "code", None) == ErrorCodes.HTTP_RATE_LIMITED
    call = otel.one("lp_client accountConfigReadOnly")
    assert call.status.status_code is StatusCode.ERROR
    assert attrs(call)["error.type"] == ErrorCodes.HTTP_RATE_LIMITED
    assert [attrs(s)["http.response.status_code"] for s in wire(otel, call, "accountConfigReadOnly")] == [429, 429]
    assert otel.total("lp_toolbelt.rate_limited", **{"lp.service": "accountConfigReadOnly"}) == 2
    assert otel.total("lp_toolbelt.call.duration", **{"error.type": ErrorCodes.HTTP_RATE_LIMITED}) == 1
    assert not [r for r in caplog.records if r.name.startswith("lp_toolbelt") and r.levelno >= logging.WARNING]


# ------------------------------------------------------------------------------------------------ a refused host
async def test_refused_host_span_metric_and_log(emu: Emulator, otel: Otel, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="lp_toolbelt")
    async with Toolbelt(emu.config()) as tb:
        with pytest.raises(ForbiddenHostError):
            await tb.http_client().get("https://third-party.example.com/x?token=abc")
    call = otel.one("http_client GET")
    assert call.status.status_code is StatusCode.ERROR
    assert attrs(call)["error.type"] == ErrorCodes.HTTP_FORBIDDEN_HOST
    # The allowlist needed the account's CSDS map (one CSDS GET); nothing went to the refused host.
    assert [attrs(s)["lp.component"] for s in wire(otel, call)] == ["CSDSClient"]
    assert all(attrs(s).get("server.address") != "third-party.example.com" for s in otel.spans())
    assert otel.total("lp_toolbelt.refused_hosts", **{"lp.component": "HTTPClient"}) == 1
    refused = [r for r in caplog.records if "refused host" in r.getMessage()]
    assert len(refused) == 1
    assert refused[0].levelno == logging.INFO
    assert getattr(refused[0], "lp_error_code", None) == ErrorCodes.HTTP_FORBIDDEN_HOST
    assert not [r for r in caplog.records if r.name.startswith("lp_toolbelt") and r.levelno >= logging.WARNING]


# ------------------------------------------------------------------------------------------------ every public call
@dataclass(frozen=True)
class PublicCall:
    """One public call and the span tree it makes: the root span's name, the names of the spans under it (in start
    order, ``...`` = anything), and the CSDS services of the attempts anywhere below it."""

    id: str
    run: Callable[[Toolbelt, Emulator], Awaitable[Any]]
    root: str
    services: frozenset[str]
    children: tuple[str, ...] | None = None


async def _conversation(tb: Toolbelt, emu: Emulator) -> Any:
    return await tb.conversation_util().get_conversation_by_id(FIXTURE_CONVERSATION_ID)


async def _sdes(tb: Toolbelt, emu: Emulator) -> Any:
    return await tb.sde_util().add_sdes([{"type": "ctmrinfo", "info": {"ctype": "vip"}}], "visitor-1", "session-1")


async def _context(tb: Toolbelt, emu: Emulator) -> Any:
    key = emu.state.secrets["context-service-api-key"]
    ctx = tb.context_service_client(key if isinstance(key, str) else key["apiKey"])
    await ctx.set_properties_in_namespace("custom", {"a": 1}, session_id="s-1")
    return await ctx.get_property_in_session("custom", "a", "s-1")


async def _invoke(tb: Toolbelt, emu: Emulator) -> Any:
    [result] = await tb.orchestrator_client().invoke([Invocation(uuid=DEMO_FUNCTION_UUID, payload={"a": 1})])
    assert result.status_code == 200
    return result


PUBLIC_CALLS = [
    PublicCall(
        "conversation",
        _conversation,
        "conversation_util get_conversation_by_id",
        frozenset({"msgHist", "sentinel"}),
        ("lp_client msgHist",),
    ),
    PublicCall("sdes", _sdes, "sde_util add_sdes", frozenset({"smt", "sentinel"}), ("lp_client smt",)),
    PublicCall("csds", lambda tb, emu: tb.csds_client().get("msgHist"), "csds get", frozenset(), ("GET",)),
    PublicCall(
        "secret",
        lambda tb, emu: tb.secret_client().read_secret("demo-secret"),
        "secret_client read_secret",
        frozenset(),
        (),
    ),
    PublicCall(
        "http",
        lambda tb, emu: tb.http_client().get(
            str(emu.base_url / "api/account" / emu.state.account_id / "service/baseURI.json") + "?version=1.0"
        ),
        "http_client GET",
        frozenset(),
        ("GET",),
    ),
    PublicCall("orchestrator", _invoke, "orchestrator invoke", frozenset({"faasGW", "sentinel"}), None),
]


@pytest.mark.parametrize("call", PUBLIC_CALLS, ids=[c.id for c in PUBLIC_CALLS])
async def test_public_call_span_trees(call: PublicCall, emu: Emulator, otel: Otel) -> None:
    async with Toolbelt(emu.config()) as tb:
        await call.run(tb, emu)
    root = otel.one(call.root)
    assert root.parent is None
    assert root.kind is SpanKind.INTERNAL
    assert root.status.status_code is StatusCode.UNSET
    if call.children is not None:
        assert [s.name for s in otel.children(root) if s.name in call.children or s.kind is SpanKind.INTERNAL] == list(
            call.children
        ) or [s.name for s in otel.children(root)] == list(call.children)
    below = [s for s in otel.spans() if s.context is not None and s.context.trace_id == root.context.trace_id]
    assert {attrs(s)["lp.service"] for s in below if "lp.service" in attrs(s)} == call.services
    for attempt in (s for s in below if s.kind is SpanKind.CLIENT):
        a = attrs(attempt)
        assert {"http.request.method", "server.address", "server.port", "url.full"} <= a.keys()
        assert "lp.request_id" in a
        assert "http.response.status_code" in a
        assert "?" not in a["url.full"] or all(v.endswith("=REDACTED") for v in a["url.full"].split("?")[1].split("&"))


async def test_context_client_spans(emu: Emulator, otel: Otel) -> None:
    async with Toolbelt(emu.config()) as tb:
        await _context(tb, emu)
    assert otel.named("context_service set_properties_in_namespace")
    get = otel.one("context_service get_property_in_session")
    assert [s.name for s in wire(otel, get)] == ["GET"]


async def test_nested_same_component_call_opens_no_second_span(emu: Emulator, otel: Otel) -> None:
    async with Toolbelt(emu.config()) as tb:
        con = tb.sf_client().connect_to_salesforce(
            login_url=str(emu.salesforce_login_url),
            access_token=next(iter(emu.state.salesforce.access_tokens)),
            instance_url=str(emu.base_url),
        )
        await con.query("SELECT Id FROM Account")
    query = otel.one("sf_client query")
    assert otel.named("sf_client request") == []  # query → request: one span for the one public call
    (attempt,) = wire(otel, query)
    assert attrs(attempt)["url.full"].endswith("/query?q=REDACTED")  # the SOQL never reaches a span


# ------------------------------------------------------------------------------------------------ propagation
@pytest.fixture
async def echo_headers() -> AsyncIterator[tuple[str, list[Mapping[str, str]]]]:
    seen: list[Mapping[str, str]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.copy())
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/x", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("opted_in", [False, True])
async def test_traceparent_only_to_opted_in_hosts(
    opted_in: bool, emu: Emulator, otel: Otel, echo_headers: tuple[str, list[Mapping[str, str]]]
) -> None:
    host, seen = echo_headers
    hosts = (host,) if opted_in else ()
    async with Toolbelt(emu.config(allowlist=(host,), trace_propagation_hosts=hosts)) as tb:
        await tb.http_client().get(f"http://{host}/x")
        await tb.csds_client().domains()  # the emulator is never opted in here
    (attempt,) = wire(otel, otel.one("http_client GET"))
    if opted_in:
        ctx = attempt.context
        assert ctx is not None
        assert seen[0]["traceparent"].startswith(f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-")
    else:
        assert "traceparent" not in seen[0]
    assert all(r.request_id for r in emu.state.requests)
    assert seen[0]["X-Request-Id"] == attrs(attempt)["lp.request_id"]


async def test_no_sdk_no_spans(emu: Emulator) -> None:
    """Without configured providers, nothing is recorded and the send path runs without telemetry."""
    from lp_toolbelt.telemetry import active

    assert active() is None
    async with Toolbelt(emu.config()) as tb:
        resp = await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu))
    assert resp.status == 200
