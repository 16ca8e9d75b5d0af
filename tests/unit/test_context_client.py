"""Context Session Store client: pure request builders and parsers, argument checks, and the attempt policy
(driven through aioresponses with a fake clock: no middleware is involved, the API key is a plain header)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from lp_toolbelt import ErrorCodes, Namespace, Toolbelt, ToolbeltConfig, ToolbeltError
from lp_toolbelt._constants import CONTEXT_BUILTIN_NAMESPACES, DEFAULT_ALLOWLIST
from lp_toolbelt.clients.context import ContextServiceClient
from lp_toolbelt.clients.context_wire import (
    API_KEY_HEADER,
    ApiKeyMiddleware,
    context_base_url,
    context_status_error,
    create_namespace_request,
    delete_namespace_request,
    delete_property_request,
    delete_session_request,
    get_properties_request,
    get_property_request,
    list_namespaces_request,
    list_sessions_request,
    parse_namespaces,
    parse_properties,
    parse_property_value,
    parse_session_ids,
    patch_properties_request,
    path_segment,
)
from lp_toolbelt.errors import (
    AuthenticationError,
    HttpStatusError,
    InvalidArgumentError,
    NotFoundError,
    RequestTimeoutError,
    ResponseFormatError,
    TransportError,
)
from tests.fixtures import FIXTURES as SHARED_FIXTURES
from tests.unit.fakes import CountingLimiter, FakeClock

FIXTURES = SHARED_FIXTURES / "context_session_store_examples.json"
HOST = "z1.context.liveperson.net"
ACC = "12345678"
KEY = "sekret-maven-key-0123456789"
BASE = URL(f"https://{HOST}")
ROOT = f"https://{HOST}/v1/account/{ACC}"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURES.read_text(encoding="utf-8"))[name]
    return data


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def tb(clock: FakeClock) -> AsyncIterator[Toolbelt]:
    config = ToolbeltConfig(
        account_id=ACC,
        context_domain=HOST,
        allowlist=(*DEFAULT_ALLOWLIST, HOST),
        secrets_file=None,
        retry_backoff_base=0.5,
        retry_backoff_cap=8.0,
    )
    async with Toolbelt(config, limiter=CountingLimiter(), clock=clock, sleep=clock.sleep, rand=lambda: 1.0) as t:
        yield t


@pytest.fixture
def ctx(tb: Toolbelt) -> ContextServiceClient:
    return tb.context_service_client(KEY)


def calls(m: aioresponses) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, str(url), call.kwargs) for (method, url), items in m.requests.items() for call in items]


def assert_no_key(err: BaseException) -> None:
    seen: BaseException | None = err
    while seen is not None:
        assert KEY not in str(seen)
        assert KEY not in repr(seen)
        if isinstance(seen, ToolbeltError):
            assert KEY not in json.dumps(seen.details, default=str)
        seen = seen.__cause__


# --------------------------------------------------------------------------------------------------- pure parts
@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("orders", "orders"),
        ("../admin", "..%2Fadmin"),
        ("a?b=c", "a%3Fb%3Dc"),
        ("x#frag", "x%23frag"),
        ("100%", "100%25"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("a b", "a%20b"),
    ],
)
def test_path_segment_encodes_everything_that_changes_the_target(raw: str, encoded: str) -> None:
    assert path_segment(raw) == encoded


def test_request_builders_follow_the_wire_contract() -> None:
    create = create_namespace_request(BASE, ACC, "orders", 3600)
    assert (create.method, str(create.url), create.json) == ("POST", ROOT + "?ttlSecond=3600", {"name": "orders"})
    assert str(create_namespace_request(BASE, ACC, "orders", None).url) == ROOT
    assert KEY not in repr(create)

    expected = [
        (delete_namespace_request(BASE, ACC, "orders"), "DELETE", "/orders"),
        (list_namespaces_request(BASE, ACC), "GET", ""),
        (patch_properties_request(BASE, ACC, "orders", "s1", {"a": 1}), "PATCH", "/orders/s1/properties"),
        (get_properties_request(BASE, ACC, "orders", "s1"), "GET", "/orders/s1/properties"),
        (get_property_request(BASE, ACC, "orders", "s1", "a"), "GET", "/orders/s1/properties/a"),
        (delete_property_request(BASE, ACC, "orders", "s1", "a"), "DELETE", "/orders/s1/properties/a"),
        (delete_session_request(BASE, ACC, "orders", "s1"), "DELETE", "/orders/s1/properties/"),
        (list_sessions_request(BASE, ACC, "orders"), "GET", "/orders/session-ids"),
    ]
    for request, method, suffix in expected:
        assert request.method == method
        assert request.url.raw_path == f"/v1/account/{ACC}{suffix}"
        assert request.headers is not None
        assert API_KEY_HEADER not in request.headers  # the middleware adds it
    patch = patch_properties_request(BASE, ACC, "orders", "s1", {"a": 1})
    assert patch.json == {"a": 1}


def test_hostile_names_stay_inside_their_segment() -> None:
    request = get_property_request(BASE, ACC, "../../x", "s?id=1", "p#/../q")
    assert request.url.host == HOST
    assert request.url.raw_path == f"/v1/account/{ACC}/..%2F..%2Fx/s%3Fid%3D1/properties/p%23%2F..%2Fq"
    assert request.url.query_string == ""
    assert request.url.fragment == ""
    dots = get_properties_request(BASE, ACC, "..", ".")
    assert dots.url.raw_path == f"/v1/account/{ACC}/%2E%2E/%2E/properties"


def test_base_url_rejects_a_bad_host() -> None:
    assert str(context_base_url("http", "127.0.0.1:8080")) == "http://127.0.0.1:8080"
    with pytest.raises(InvalidArgumentError) as info:
        context_base_url("https", "bad host/with path")
    assert info.value.code == ErrorCodes.CONTEXT_PARAMETER_INVALID


def test_parse_namespaces_from_documented_payloads() -> None:
    listed = parse_namespaces(json.dumps(fixture("list_namespaces")["response"]).encode())
    assert [ns.name for ns in listed] == ["myCoolNamespace", "myTestNamepsace"]
    assert listed[0].created_at == datetime(2019, 8, 2, 19, 41, 52, 17000, tzinfo=UTC)
    assert listed[0].ttl_second is None
    ttls = parse_namespaces(json.dumps(fixture("list_namespace_ttls")["response"]).encode())
    assert ttls[0].ttl_second == 100
    assert ttls[0].model_dump(by_alias=True)["ttlSecond"] == 100


def test_namespace_model_keeps_unknown_fields_and_accepts_snake_case() -> None:
    ns = Namespace.model_validate_json(b'{"name": "n", "createdAt": "2021-02-26T02:46:38.220Z", "extra": 1}')
    assert ns.model_dump()["extra"] == 1
    same = Namespace(name="n", created_at=ns.created_at)
    assert same.created_at == ns.created_at


@pytest.mark.parametrize("body", [b"{}", b'[{"name": 1}]', b'[{"createdAt": "2021-01-01T00:00:00Z"}]', b"nope"])
def test_parse_namespaces_rejects_other_shapes(body: bytes) -> None:
    with pytest.raises(ResponseFormatError) as info:
        parse_namespaces(body)
    assert info.value.code == ErrorCodes.CONTEXT_UNKNOWN


def test_parse_properties_and_values() -> None:
    assert parse_properties(json.dumps(fixture("get_session_properties")["response"]).encode()) == {
        "myProperty1": ["value1", "value2", "value3"]
    }
    assert parse_properties(b"") == {}
    with pytest.raises(ResponseFormatError):
        parse_properties(b"[1, 2]")
    with pytest.raises(ResponseFormatError):
        parse_properties(b"not json")
    assert parse_property_value('["value1", "value2", "value3"]') == ["value1", "value2", "value3"]
    assert parse_property_value("myValue1") == "myValue1"  # the service answers string properties as bare text
    assert parse_property_value("42") == 42
    assert parse_property_value('{"d": 1000}') == {"d": 1000}
    assert parse_property_value("") == ""


def test_parse_session_ids() -> None:
    body = json.dumps(fixture("list_session_ids")["response"]).encode()
    assert parse_session_ids(body) == ["__default__", "mySessionId"]
    with pytest.raises(ResponseFormatError):
        parse_session_ids(b'{"ids": []}')


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (403, ErrorCodes.CONTEXT_AUTHORIZATION_INVALID, AuthenticationError),
        (404, ErrorCodes.CONTEXT_DATA_DOES_NOT_EXIST, NotFoundError),
        (500, ErrorCodes.CONTEXT_INTERNAL_SERVER_ERROR, HttpStatusError),
        (503, ErrorCodes.CONTEXT_INTERNAL_SERVER_ERROR, HttpStatusError),
        (400, ErrorCodes.CONTEXT_UNKNOWN, HttpStatusError),
        (401, ErrorCodes.CONTEXT_UNKNOWN, HttpStatusError),
        (502, ErrorCodes.CONTEXT_UNKNOWN, HttpStatusError),
        (409, ErrorCodes.CONTEXT_UNKNOWN, HttpStatusError),
    ],
)
def test_status_mapping(status: int, code: str, kind: type[ToolbeltError]) -> None:
    err = context_status_error(status, "get property")
    assert isinstance(err, kind)
    assert (err.code, err.status, err.component) == (code, status, "ContextServiceClient")


# --------------------------------------------------------------------------------------------------- arguments
async def _refused(coro: Any) -> InvalidArgumentError:
    with aioresponses() as m:
        with pytest.raises(InvalidArgumentError) as info:
            await coro
        assert not m.requests
    assert info.value.code == ErrorCodes.CONTEXT_PARAMETER_INVALID
    assert isinstance(info.value, ValueError)
    return info.value


@pytest.mark.parametrize("name", sorted(CONTEXT_BUILTIN_NAMESPACES))
async def test_builtin_namespaces_cannot_be_created_or_deleted(ctx: ContextServiceClient, name: str) -> None:
    await _refused(ctx.create_namespace(name))
    await _refused(ctx.delete_namespace(name))


@pytest.mark.parametrize("ttl", [0, -1, True, 1.5, "10"])
async def test_bad_ttl_refused(ctx: ContextServiceClient, ttl: Any) -> None:
    await _refused(ctx.create_namespace("orders", ttl=ttl))


@pytest.mark.parametrize("namespace", ["", "   ", None, 5])
async def test_empty_namespace_refused_everywhere(ctx: ContextServiceClient, namespace: Any) -> None:
    await _refused(ctx.create_namespace(namespace))
    await _refused(ctx.delete_namespace(namespace))
    await _refused(ctx.set_properties_in_namespace(namespace, {"a": 1}))
    await _refused(ctx.update_properties_in_namespace(namespace, {"a": 1}))
    await _refused(ctx.get_all_properties_in_session(namespace))
    await _refused(ctx.get_selected_properties_in_session(namespace, ["a"]))
    await _refused(ctx.get_property_in_session(namespace, "a"))
    await _refused(ctx.delete_property_in_session(namespace, "a"))
    await _refused(ctx.delete_session(namespace, "s"))
    await _refused(ctx.get_list_of_sessions(namespace))


async def test_other_bad_arguments_refused(ctx: ContextServiceClient) -> None:
    await _refused(ctx.get_property_in_session("orders", ""))
    await _refused(ctx.delete_property_in_session("orders", ""))
    await _refused(ctx.get_all_properties_in_session("orders", session_id=""))
    await _refused(ctx.delete_session("orders", ""))
    await _refused(ctx.delete_session("orders", None))  # type: ignore[arg-type]
    await _refused(ctx.set_properties_in_namespace("orders", ["a"]))  # type: ignore[arg-type]
    await _refused(ctx.set_properties_in_namespace("orders", {"": 1}))
    await _refused(ctx.set_properties_in_namespace("orders", {"a": object()}))
    await _refused(ctx.set_properties_in_namespace("orders", {"a": float("nan")}))
    await _refused(ctx.get_selected_properties_in_session("orders", "abc"))
    await _refused(ctx.get_selected_properties_in_session("orders", ["a", ""]))


@pytest.mark.parametrize("key", ["", "  ", None, "with\nnewline"])
def test_bad_api_key_refused_without_echoing_it(tb: Toolbelt, key: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        tb.context_service_client(key)
    assert info.value.code == ErrorCodes.CONTEXT_PARAMETER_INVALID
    if key:
        assert key not in str(info.value)


def test_repr_hides_the_key(ctx: ContextServiceClient) -> None:
    assert KEY not in repr(ctx)
    assert HOST in repr(ctx)
    assert KEY not in repr(ApiKeyMiddleware(KEY))


async def test_api_key_middleware_sets_the_header_on_every_attempt() -> None:
    seen: list[str] = []

    async def handler(req: Any) -> Any:
        seen.append(req.headers[API_KEY_HEADER])
        return "response"

    middleware = ApiKeyMiddleware(KEY)
    for _ in range(2):
        req = SimpleNamespace(headers={API_KEY_HEADER: "stale"})
        result: Any = await middleware(req, handler)  # type: ignore[arg-type]
        assert result == "response"
    assert seen == [KEY, KEY]


async def test_no_names_means_no_request(ctx: ContextServiceClient) -> None:
    with aioresponses() as m:
        assert await ctx.get_selected_properties_in_session("orders", []) == {}
        assert not m.requests


# --------------------------------------------------------------------------------------------------- operations
async def test_create_namespace_posts_then_lists(ctx: ContextServiceClient) -> None:
    with aioresponses() as m:
        m.post(f"{ROOT}?ttlSecond=60", status=204)
        m.get(
            ROOT,
            payload=[
                {"name": "other", "createdAt": "2021-02-26T02:46:38.220Z"},
                {"name": "orders", "createdAt": "2021-02-26T02:46:38.220Z", "ttlSecond": 60},
            ],
        )
        ns = await ctx.create_namespace("orders", ttl=60)
        sent = calls(m)
    assert ns == Namespace(
        name="orders", created_at=datetime(2021, 2, 26, 2, 46, 38, 220000, tzinfo=UTC), ttl_second=60
    )
    assert [(method, url) for method, url, _ in sent] == [("POST", f"{ROOT}?ttlSecond=60"), ("GET", ROOT)]
    assert sent[0][2]["json"] == {"name": "orders"}


async def test_create_namespace_missing_from_the_list(ctx: ContextServiceClient) -> None:
    with aioresponses() as m:
        m.post(ROOT, status=204)
        m.get(ROOT, payload=[])
        with pytest.raises(ResponseFormatError) as info:
            await ctx.create_namespace("orders")
    assert info.value.code == ErrorCodes.CONTEXT_UNKNOWN


async def test_set_properties_defaults_to_the_default_session(ctx: ContextServiceClient) -> None:
    url = f"{ROOT}/orders/__default__/properties"
    with aioresponses() as m:
        m.patch(url, status=204)
        m.get(url, payload={"a": 1, "b": [2]})
        assert await ctx.set_properties_in_namespace("orders", {"a": 1, "b": [2]}) == {"a": 1, "b": [2]}
        sent = calls(m)
    assert [(method, u) for method, u, _ in sent] == [("PATCH", url), ("GET", url)]
    assert sent[0][2]["json"] == {"a": 1, "b": [2]}


async def test_get_selected_skips_missing_and_bounds_concurrency(tb: Toolbelt) -> None:
    ctx = ContextServiceClient(tb.transport, tb.config, tb.csds_client(), KEY, concurrency=2)
    in_flight = 0
    peak = 0

    async def slow(url: URL, **kwargs: Any) -> CallbackResult:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(5):
            await asyncio.sleep(0)
        in_flight -= 1
        name = url.path.rsplit("/", 1)[1]
        if name.startswith("missing"):
            return CallbackResult(status=404, payload={"error": "no"})
        return CallbackResult(status=200, body=json.dumps({"v": name}), content_type="text/plain")

    names = ["a", "missing1", "b", "c", "missing2", "d", "a"]
    with aioresponses() as m:
        for name in dict.fromkeys(names):
            m.get(f"{ROOT}/orders/s1/properties/{name}", callback=slow)
        result = await ctx.get_selected_properties_in_session("orders", names, "s1")
        requested = len(calls(m))
    assert result == {"a": {"v": "a"}, "b": {"v": "b"}, "c": {"v": "c"}, "d": {"v": "d"}}
    assert list(result) == ["a", "b", "c", "d"]
    assert requested == 6  # duplicates fetched once
    assert peak == 2


async def test_get_selected_fails_on_other_errors(ctx: ContextServiceClient) -> None:
    with aioresponses() as m:
        m.get(f"{ROOT}/orders/s1/properties/a", status=200, body="1")
        m.get(f"{ROOT}/orders/s1/properties/b", status=403)
        with pytest.raises(AuthenticationError) as info:
            await ctx.get_selected_properties_in_session("orders", ["a", "b"], "s1")
    assert info.value.code == ErrorCodes.CONTEXT_AUTHORIZATION_INVALID


# --------------------------------------------------------------------------------------------------- attempt policy
async def test_network_errors_get_three_attempts_then_succeed(ctx: ContextServiceClient, clock: FakeClock) -> None:
    url = f"{ROOT}/orders/s1/properties/a"
    with aioresponses() as m:
        m.get(url, exception=aiohttp.ServerDisconnectedError())
        m.get(url, exception=aiohttp.ClientOSError(104, "Connection reset by peer"))
        m.get(url, status=200, body='"ok"')
        assert await ctx.get_property_in_session("orders", "a", "s1") == "ok"
        assert len(calls(m)) == 3
    assert clock.sleeps == [0.5, 1.0]  # full-jitter backoff at rand()=1.0


@pytest.mark.parametrize(
    "error",
    [
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientConnectorError(
            aiohttp.client_reqrep.ConnectionKey("h", 1, True, True, None, None, None), OSError(111, "refused")
        ),
    ],
)
async def test_network_errors_stop_after_exactly_three_attempts(ctx: ContextServiceClient, error: Exception) -> None:
    # A non-idempotent PATCH too: the spec's 3 attempts, and nothing added underneath by the transport's retries.
    url = f"{ROOT}/orders/s1/properties"
    with aioresponses() as m:
        m.patch(url, exception=error, repeat=True)
        with pytest.raises(TransportError) as info:
            await ctx.set_properties_in_namespace("orders", {"a": 1}, "s1")
        assert len(calls(m)) == 3
    assert info.value.code == ErrorCodes.CONTEXT_UNKNOWN
    assert "3 attempt" in info.value.message
    assert_no_key(info.value)


async def test_tls_failures_are_not_retried(ctx: ContextServiceClient) -> None:
    url = f"{ROOT}/orders/session-ids"
    key = aiohttp.client_reqrep.ConnectionKey(HOST, 443, True, True, None, None, None)
    with aioresponses() as m:
        m.get(url, exception=aiohttp.ClientConnectorSSLError(key, OSError(1, "bad handshake")), repeat=True)
        with pytest.raises(TransportError) as info:
            await ctx.get_list_of_sessions("orders")
        assert len(calls(m)) == 1
    assert info.value.code == ErrorCodes.CONTEXT_UNKNOWN


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (500, ErrorCodes.CONTEXT_INTERNAL_SERVER_ERROR),
        (503, ErrorCodes.CONTEXT_INTERNAL_SERVER_ERROR),
        (502, ErrorCodes.CONTEXT_UNKNOWN),
        (429, ErrorCodes.CONTEXT_UNKNOWN),
        (404, ErrorCodes.CONTEXT_DATA_DOES_NOT_EXIST),
        (403, ErrorCodes.CONTEXT_AUTHORIZATION_INVALID),
    ],
)
async def test_http_answers_are_never_retried(ctx: ContextServiceClient, status: int, code: str) -> None:
    url = f"{ROOT}/orders/s1/properties"
    with aioresponses() as m:
        m.get(url, status=status, body="{}", headers={"Retry-After": "0"}, repeat=True)
        with pytest.raises(ToolbeltError) as info:
            await ctx.get_all_properties_in_session("orders", "s1")
        assert len(calls(m)) == 1
    assert (info.value.code, info.value.status) == (code, status)
    assert_no_key(info.value)


async def test_deadline_covers_the_attempts(ctx: ContextServiceClient, clock: FakeClock) -> None:
    url = f"{ROOT}/orders/s1/properties/a"

    def slow_failure(url: URL, **kwargs: Any) -> CallbackResult:
        clock.now += 9.8  # the first attempt used most of the 10 s deadline, then the connection dropped
        raise aiohttp.ServerDisconnectedError()

    with aioresponses() as m:
        m.get(url, callback=slow_failure, repeat=True)
        with pytest.raises(RequestTimeoutError) as info:
            await ctx.get_property_in_session("orders", "a", "s1")
        assert len(calls(m)) == 1  # the 0.5 s backoff would pass the deadline: no second attempt
    assert info.value.code == ErrorCodes.CONTEXT_RESPONSE_TIMEOUT
    assert isinstance(info.value, TimeoutError)
    assert "10s" in info.value.message


async def test_client_side_forbidden_host_maps_to_authorization_invalid(clock: FakeClock) -> None:
    config = ToolbeltConfig(account_id=ACC, context_domain="z2.context.liveperson.net", secrets_file=None)
    async with Toolbelt(config, limiter=CountingLimiter(), clock=clock, sleep=clock.sleep) as tb:
        tb.csds_cache.set(ACC, {"msgHist": "va.msghist.liveperson.net"}, 600)  # the account's CSDS answer, known
        with aioresponses() as m:
            with pytest.raises(ToolbeltError) as info:
                await tb.context_service_client(KEY).get_list_of_namespaces()
            assert not m.requests
    assert (info.value.code, info.value.status) == (ErrorCodes.CONTEXT_AUTHORIZATION_INVALID, 403)
    assert "whitelist" in info.value.message


async def test_account_is_required(clock: FakeClock) -> None:
    config = ToolbeltConfig(context_domain=HOST, allowlist=(HOST,), secrets_file=None)
    async with Toolbelt(config, limiter=CountingLimiter(), clock=clock, sleep=clock.sleep) as tb:
        with pytest.raises(ToolbeltError) as info:
            await tb.context_service_client(KEY).get_list_of_namespaces()
    assert info.value.code == ErrorCodes.CONFIG_INVALID


def test_client_settings_are_validated(tb: Toolbelt) -> None:
    with pytest.raises(InvalidArgumentError):
        ContextServiceClient(tb.transport, tb.config, tb.csds_client(), KEY, timeout=0)
    with pytest.raises(InvalidArgumentError):
        ContextServiceClient(tb.transport, tb.config, tb.csds_client(), KEY, max_attempts=0)
