"""Context Session Store client against the emulator: every operation over real loopback HTTP, TTL expiry,
hostile names, and the error paths (403, 404, 500/503, dropped connections retried, deadline exceeded)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from lp_toolbelt import ErrorCodes, Namespace, Toolbelt, ToolbeltError
from lp_toolbelt.clients.context import ContextServiceClient
from lp_toolbelt.emulator import Emulator, Fault, fault_kind
from lp_toolbelt.emulator.state import DEFAULT_CONTEXT_API_KEY, Handler
from lp_toolbelt.errors import (
    AuthenticationError,
    HttpStatusError,
    NotFoundError,
    RequestTimeoutError,
    TransportError,
)

KEY = DEFAULT_CONTEXT_API_KEY
DROP = "test-context-drop-connection"


@fault_kind(DROP)
async def _drop_connection(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Close the connection without answering (the client sees a network error)."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=500)


class Clock:
    """A movable wall clock for the emulated store's TTLs."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(rate_limit=None) as emulator:
        yield emulator


@pytest.fixture
async def tb(emu: Emulator) -> AsyncIterator[Toolbelt]:
    async with Toolbelt(emu.config(retry_backoff_base=0.01, retry_backoff_cap=0.05)) as toolbelt:
        yield toolbelt


@pytest.fixture
def ctx(tb: Toolbelt) -> ContextServiceClient:
    return tb.context_service_client(KEY)


def context_requests(emu: Emulator) -> list[Any]:
    return [r for r in emu.state.requests if (r.route or "").startswith("context-")]


def assert_no_key(err: BaseException, key: str = KEY) -> None:
    seen: BaseException | None = err
    while seen is not None:
        assert key not in str(seen)
        assert key not in repr(seen)
        if isinstance(seen, ToolbeltError):
            assert key not in json.dumps(seen.details, default=str)
        seen = seen.__cause__


# --------------------------------------------------------------------------------------------------- operations
async def test_namespace_lifecycle(emu: Emulator, ctx: ContextServiceClient) -> None:
    assert await ctx.get_list_of_namespaces() == []
    created = await ctx.create_namespace("orders", ttl=3600)
    assert isinstance(created, Namespace)
    assert (created.name, created.ttl_second) == ("orders", 3600)
    plain = await ctx.create_namespace("plain")
    assert plain.ttl_second is None
    listed = await ctx.get_list_of_namespaces()
    assert {ns.name: ns.ttl_second for ns in listed} == {"orders": 3600, "plain": None}
    assert all(ns.created_at.tzinfo is not None for ns in listed)
    await ctx.delete_namespace("plain")
    assert [ns.name for ns in await ctx.get_list_of_namespaces()] == ["orders"]
    assert emu.state.requests[0].route == "csds"  # the host came from CSDS mavenContext
    create = next(r for r in context_requests(emu) if r.method == "POST")
    assert create.query == "ttlSecond=3600"


async def test_properties_in_sessions(emu: Emulator, ctx: ContextServiceClient) -> None:
    await ctx.create_namespace("orders")
    after_set = await ctx.set_properties_in_namespace("orders", {"step": 1, "cart": ["sku-1"], "vip": True})
    assert after_set == {"step": 1, "cart": ["sku-1"], "vip": True}
    after_update = await ctx.update_properties_in_namespace("orders", {"step": 2, "note": {"a": None}})
    assert after_update == {"step": 2, "cart": ["sku-1"], "vip": True, "note": {"a": None}}
    assert await ctx.get_all_properties_in_session("orders") == after_update
    assert await ctx.get_all_properties_in_session("orders", "__default__") == after_update
    await ctx.set_properties_in_namespace("orders", {"step": 9}, session_id="conv-2")

    assert await ctx.get_property_in_session("orders", "cart") == ["sku-1"]
    assert await ctx.get_property_in_session("orders", "note") == {"a": None}
    assert await ctx.get_property_in_session("orders", "step", "conv-2") == 9
    selected = await ctx.get_selected_properties_in_session("orders", ["step", "missing", "vip", "note"])
    assert selected == {"step": 2, "vip": True, "note": {"a": None}}

    assert sorted(await ctx.get_list_of_sessions("orders")) == ["__default__", "conv-2"]
    await ctx.delete_property_in_session("orders", "cart")
    assert "cart" not in await ctx.get_all_properties_in_session("orders")
    await ctx.delete_session("orders", "conv-2")
    assert await ctx.get_list_of_sessions("orders") == ["__default__"]
    with pytest.raises(NotFoundError):
        await ctx.get_all_properties_in_session("orders", "conv-2")
    stored = emu.state.context_namespaces["orders"].sessions["__default__"].properties
    assert stored == {"step": 2, "vip": True, "note": {"a": None}}


async def test_string_values_come_back_decoded_when_they_parse(ctx: ContextServiceClient) -> None:
    # The service answers a string property as bare text: "hello" stays a string, "42" is read back as 42.
    await ctx.create_namespace("quirks")
    await ctx.set_properties_in_namespace("quirks", {"text": "hello", "digits": "42", "json": '{"a": 1}'})
    assert await ctx.get_property_in_session("quirks", "text") == "hello"
    assert await ctx.get_property_in_session("quirks", "digits") == 42
    assert await ctx.get_property_in_session("quirks", "json") == {"a": 1}
    assert await ctx.get_all_properties_in_session("quirks") == {"text": "hello", "digits": "42", "json": '{"a": 1}'}


async def test_hostile_names_cannot_change_the_target(emu: Emulator, ctx: ContextServiceClient) -> None:
    namespace = "../x?y=1#z"
    session = "a/../../b%2F"
    prop = "p/../../../v1/account"
    await ctx.create_namespace(namespace)
    await ctx.set_properties_in_namespace(namespace, {prop: "v", "..": 2}, session_id=session)
    assert await ctx.get_property_in_session(namespace, prop, session) == "v"
    assert await ctx.get_property_in_session(namespace, "..", session) == 2
    assert await ctx.get_list_of_sessions(namespace) == [session]
    await ctx.delete_property_in_session(namespace, prop, session)
    await ctx.delete_session(namespace, session)
    await ctx.delete_namespace(namespace)
    assert emu.state.context_namespaces == {}
    routes = [r.route for r in context_requests(emu)]
    assert None not in routes
    assert routes == [
        "context-namespaces",  # create
        "context-namespaces",  # list after create
        "context-properties",  # patch
        "context-properties",  # get all after patch
        "context-property",
        "context-property",
        "context-session-ids",
        "context-property",  # delete property
        "context-properties",  # delete session
        "context-namespace",
    ]


async def test_ttl_expiry(emu: Emulator, ctx: ContextServiceClient) -> None:
    clock = Clock()
    emu.state.context_clock = clock
    await ctx.create_namespace("short", ttl=60)
    await ctx.set_properties_in_namespace("short", {"a": 1}, "s1")
    clock.now += 30
    await ctx.set_properties_in_namespace("short", {"b": 2}, "s2")
    clock.now += 31  # s1 written 61 s ago, s2 31 s ago
    assert await ctx.get_list_of_sessions("short") == ["s2"]
    with pytest.raises(NotFoundError) as info:
        await ctx.get_property_in_session("short", "a", "s1")
    assert info.value.code == ErrorCodes.CONTEXT_DATA_DOES_NOT_EXIST
    assert await ctx.get_selected_properties_in_session("short", ["a"], "s1") == {}
    assert await ctx.get_all_properties_in_session("short", "s2") == {"b": 2}
    clock.now += 30
    assert await ctx.get_list_of_sessions("short") == []
    assert [ns.name for ns in await ctx.get_list_of_namespaces()] == ["short"]  # the namespace itself stays


async def test_builtin_namespaces_hold_data_but_are_not_listed(ctx: ContextServiceClient) -> None:
    await ctx.set_properties_in_namespace("faas", {"x": 1}, "s")
    assert await ctx.get_property_in_session("faas", "x", "s") == 1
    assert await ctx.get_list_of_namespaces() == []


async def test_context_domain_override_skips_csds(emu: Emulator) -> None:
    async with Toolbelt(emu.config(context_domain=emu.host)) as tb:
        await tb.context_service_client(KEY).create_namespace("direct")
    assert emu.state.count("csds") == 0
    assert "direct" in emu.state.context_namespaces


async def test_the_key_travels_in_the_maven_api_key_header(emu: Emulator, ctx: ContextServiceClient) -> None:
    emu.state.context_api_keys = {"another-key"}
    with pytest.raises(AuthenticationError):
        await ctx.get_list_of_namespaces()
    emu.state.context_api_keys = {KEY}
    assert await ctx.get_list_of_namespaces() == []


# --------------------------------------------------------------------------------------------------- errors
async def test_wrong_api_key_is_authorization_invalid(tb: Toolbelt, emu: Emulator) -> None:
    wrong = "wrong-key-0123456789abcdef"
    with pytest.raises(AuthenticationError) as info:
        await tb.context_service_client(wrong).create_namespace("orders")
    assert (info.value.code, info.value.status) == (ErrorCodes.CONTEXT_AUTHORIZATION_INVALID, 403)
    assert_no_key(info.value, wrong)
    assert len(context_requests(emu)) == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda ctx: ctx.get_all_properties_in_session("nope"),
        lambda ctx: ctx.get_property_in_session("nope", "a"),
        lambda ctx: ctx.get_list_of_sessions("nope"),
        lambda ctx: ctx.set_properties_in_namespace("nope", {"a": 1}),
    ],
)
async def test_unknown_namespace_is_data_does_not_exist(ctx: ContextServiceClient, call: Any) -> None:
    with pytest.raises(NotFoundError) as info:
        await call(ctx)
    assert (info.value.code, info.value.status) == (ErrorCodes.CONTEXT_DATA_DOES_NOT_EXIST, 404)
    assert_no_key(info.value)


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (500, ErrorCodes.CONTEXT_INTERNAL_SERVER_ERROR),
        (503, ErrorCodes.CONTEXT_INTERNAL_SERVER_ERROR),
        (502, ErrorCodes.CONTEXT_UNKNOWN),
        (400, ErrorCodes.CONTEXT_UNKNOWN),
    ],
)
async def test_server_errors_are_mapped_and_not_retried(
    emu: Emulator, ctx: ContextServiceClient, status: int, code: str
) -> None:
    await ctx.create_namespace("orders")
    emu.state.faults.add("context-properties", "status", status=status, times=None)
    with pytest.raises(HttpStatusError) as info:
        await ctx.get_all_properties_in_session("orders")
    assert (info.value.code, info.value.status) == (code, status)
    assert emu.state.count("context-properties") == 1
    assert_no_key(info.value)


async def test_dropped_connections_are_retried_up_to_three_attempts(emu: Emulator, ctx: ContextServiceClient) -> None:
    await ctx.create_namespace("orders")
    emu.state.faults.add("context-properties", DROP, times=2)
    # a PATCH too: the spec retries every operation on network errors
    assert await ctx.set_properties_in_namespace("orders", {"a": 1}) == {"a": 1}
    patches = [r for r in context_requests(emu) if r.method == "PATCH"]
    assert len(patches) == 3
    assert [r.fault for r in patches] == [DROP, DROP, None]


async def test_a_third_dropped_connection_fails_with_unknown(
    emu: Emulator, tb: Toolbelt, ctx: ContextServiceClient
) -> None:
    await ctx.create_namespace("orders")
    # The transport switches off aiohttp's own silent replay of idempotent requests on dropped connections, so the
    # wire shows exactly the client's attempts.
    assert tb.transport.session._retry_connection is False
    emu.state.faults.add("context-property", DROP, times=None)
    with pytest.raises(TransportError) as info:
        await ctx.get_property_in_session("orders", "a")
    assert info.value.code == ErrorCodes.CONTEXT_UNKNOWN
    assert "3 attempt" in info.value.message
    assert emu.state.count("context-property") == 3
    assert_no_key(info.value)


async def test_deadline_exceeded_is_response_timeout(emu: Emulator, tb: Toolbelt) -> None:
    ctx = ContextServiceClient(tb.transport, tb.config, tb.csds_client(), KEY, timeout=0.2)
    await ctx.create_namespace("orders")
    emu.state.faults.add("context-properties", "latency", delay=2.0)
    with pytest.raises(RequestTimeoutError) as info:
        await ctx.get_all_properties_in_session("orders")
    assert info.value.code == ErrorCodes.CONTEXT_RESPONSE_TIMEOUT
    assert emu.state.count("context-properties") == 1  # a timeout is not retried
    assert_no_key(info.value)


async def test_default_deadline_is_ten_seconds(ctx: ContextServiceClient) -> None:
    assert ctx._timeout == 10.0
    assert ctx._max_attempts == 3
