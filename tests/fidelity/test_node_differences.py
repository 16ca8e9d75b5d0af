"""The README's "Differences from the Node toolbelt", pinned: one test per entry, named after it
(``test_<entry title as a name>``, more than one when an entry says more than one thing), against the independent
fakes of ``tests/fidelity/fakes.py``. The first test checks that every entry has its test and every test its entry.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from lp_toolbelt import (
    ConfigurationError,
    ErrorCodes,
    ForbiddenHostError,
    HttpResponse,
    HttpStatusError,
    InvalidArgumentError,
    Invocation,
    LpServices,
    NotFoundError,
    RateLimitedError,
    ReplaceFilesError,
    SecretEntry,
    Toolbelt,
    ToolbeltConfig,
    ToolbeltError,
    TransportError,
)
from lp_toolbelt.clients.secrets import SecretClient
from tests.fidelity.fakes import (
    ABSENT_EXPIRY,
    ACCOUNT,
    CSDS_HOST,
    FUNCTION_UUID,
    OAUTH1_API_KEY,
    OAUTH2_APP_KEY,
    SERVICES,
    FakeServer,
    Seen,
    World,
    oauth1_api,
    reply,
    self_signed,
)
from tests.integration._readme import section
from tests.tls import Pki, tls_server
from tests.unit.fakes import CountingLimiter

TITLE = re.compile(r"^\* \*\*(?P<title>[^*]+?)\.\*\*", re.MULTILINE)
SWIFT = SERVICES["swift"]
SWIFT_CREDENTIALS = {"username": "swift-user", "password": "swift-key"}


NOT_ENTRIES = {
    "test_every_difference_in_the_readme_has_a_pinning_test_and_every_test_an_entry",
    "test_the_rotation_idiom_of_the_migration_table",
}


def _test_name(title: str) -> str:
    return "test_" + re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


def test_every_difference_in_the_readme_has_a_pinning_test_and_every_test_an_entry() -> None:
    titles = TITLE.findall(section("Differences from the Node toolbelt"))
    assert len(titles) >= 20
    tests = [
        name
        for name, f in vars(sys.modules[__name__]).items()
        if name.startswith("test_") and inspect.isfunction(f) and name not in NOT_ENTRIES
    ]
    for title in titles:
        assert any(t == _test_name(title) or t.startswith(_test_name(title) + "_") for t in tests), title
    for test in tests:
        assert any(test == _test_name(t) or test.startswith(_test_name(t) + "_") for t in titles), test


def _conversation(*messages: str | tuple[str, str]) -> dict[str, Any]:
    """A Messaging Interactions record: a text, or ``(caption, relativePath)`` for a hosted file."""
    records = []
    for seq, message in enumerate(messages):
        if isinstance(message, str):
            data: dict[str, Any] = {"msg": {"text": message}}
            kind = "TEXT_PLAIN"
        else:
            data, kind = {"file": {"caption": message[0], "relativePath": message[1]}}, "HOSTED_FILE"
        records.append(
            {"type": kind, "messageData": data, "seq": seq, "timeL": 1_700_000_000_000 + seq, "sentBy": "Consumer"}
        )
    return {"conversationHistoryRecords": [{"info": {"conversationId": "conv-1"}, "messageRecords": records}]}


# ------------------------------------------------------------------------------------------------ keywords
async def test_literal_keywords() -> None:
    conv = _conversation("I love C++ and Rust", "costs $5.00? yes", "axb", "REFUND please", "Straße")
    async with Toolbelt(ToolbeltConfig(secrets_file=None)) as tb:
        hits = tb.conversation_util().scan_conversation_for_keywords(conv, ["c++", "$5.00?", "a.b", "refund", "ss"])
    assert [(h.tag, h.message) for h in hits] == [
        ("keywordRef:c++", "I love C++ and Rust"),  # Node: new RegExp("c++") throws
        ("keywordRef:$5.00?", "costs $5.00? yes"),
        ("keywordRef:refund", "REFUND please"),  # "a.b" is not a pattern: "axb" does not match; "ß" is not "ss"
    ]


async def test_literal_keywords_follow_javascripts_case_rule() -> None:
    # In JavaScript (non-Unicode i flag) a non-ASCII character never matches an ASCII one: the Kelvin sign is not k,
    # ſ is not s, ı is not i; Python's re.IGNORECASE matches all three.
    conv = _conversation("kelvin", "sun", "in")
    async with Toolbelt(ToolbeltConfig(secrets_file=None)) as tb:
        hits = tb.conversation_util().scan_conversation_for_keywords(conv, ["\u212aelvin", "\u017fun", "\u0131n"])
    assert hits == []


# ------------------------------------------------------------------------------------------------ secrets
async def test_the_16384_rule() -> None:
    async with Toolbelt(ToolbeltConfig(secrets_file=None, secrets={"crm-token": "old"})) as tb:
        secrets = tb.secret_client()
        fits = "x" * (16384 - 2)  # JSON.stringify adds the two quotes
        assert (await secrets.update_secret(SecretEntry(key="crm-token", value=fits))).value == fits
        emoji = "😀" * 8191  # 2 UTF-16 code units each: 16382 + 2 quotes = 16384
        assert (await secrets.update_secret(SecretEntry(key="crm-token", value=emoji))).value == emoji
        for too_much in ("x" * 16383, "😀" * 8192, {"a": float("nan")}, 2**53, "é" * 16383):
            with pytest.raises(InvalidArgumentError) as info:
                await secrets.update_secret(SecretEntry(key="crm-token", value=too_much))
            assert info.value.code == ErrorCodes.SECRET_INVALID_FORMAT
        with pytest.raises(InvalidArgumentError):
            await secrets.update_secret(SecretEntry(key="crm token!", value="v"))
        assert (await secrets.read_secret("crm-token", use_cache=False)).value == emoji


async def _rotate(secrets: SecretClient, entry: SecretEntry, token: str) -> SecretEntry:
    return await secrets.update_secret(entry.model_copy(update={"value": token}))


async def test_the_rotation_idiom_of_the_migration_table() -> None:
    line = 'await secrets.update_secret(entry.model_copy(update={"value": token}))'
    assert line in inspect.getsource(_rotate)  # this file is type-checked with mypy --strict
    assert f"`{line}`" in section("Migrating from the Node toolbelt")
    async with Toolbelt(ToolbeltConfig(secrets_file=None, secrets={"crm-token": "old"})) as tb:
        entry = await tb.secret_client().read_secret("crm-token")
        stored = await _rotate(tb.secret_client(), entry, "new-token")
        assert (stored.key, stored.value) == ("crm-token", "new-token")
        assert (await tb.secret_client().read_secret("crm-token", use_cache=False)).value == "new-token"
    assert entry.value == "old"  # the entry read first is unchanged (frozen)


async def test_not_found_vs_op_failed(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"secrets": [{"key": "crm-token", "value": "t"}], "whitelist": []}))
    async with Toolbelt(ToolbeltConfig(secrets_file=settings)) as tb:
        with pytest.raises(NotFoundError) as missing:
            await tb.secret_client().read_secret("no-such-secret")
        settings.write_text('{"secrets": [')  # the store breaks
        with pytest.raises(ToolbeltError) as broken:
            await tb.secret_client().read_secret("crm-token")
    assert missing.value.code == ErrorCodes.SECRET_NOT_FOUND
    assert broken.value.code == ErrorCodes.SECRET_OP_FAILED


def test_secrets_file_errors(tmp_path: Path) -> None:
    missing = tmp_path / "functions" / "settings.json"
    with pytest.raises(ConfigurationError) as info:
        Toolbelt(ToolbeltConfig(secrets_file=missing))
    assert str(missing) in info.value.message


# ------------------------------------------------------------------------------------------------ GDPR
def _swift(world: World, refuse: str | None = None) -> None:
    async def auth(seen: Seen) -> web.StreamResponse:
        ok = (seen.headers.get("X-Auth-User"), seen.headers.get("X-Auth-Key")) == ("swift-user", "swift-key")
        return web.Response(status=200, headers={"x-auth-token": "swift-token"}) if ok else web.Response(status=401)

    async def put(seen: Seen) -> web.StreamResponse:
        if seen.headers.get("x-auth-token") != "swift-token":
            return web.Response(status=401)
        return web.Response(status=500 if seen.path == refuse else 201)

    world.route("GET", "/auth/v1.0", auth, host=SWIFT)
    world.route("PUT", re.compile("/v1/AUTH_.*"), put, host=SWIFT)


async def test_gdpr_files_deduplicated() -> None:
    conv = _conversation(("a", "/v1/AUTH_x/a.png"), ("again", "/v1/AUTH_x/a.png"), ("b", "/v1/AUTH_x/b.jpg"))
    async with World() as world, world.toolbelt() as tb:
        _swift(world)
        replaced = await tb.gdpr_util().replace_conversation_files(conv, SWIFT_CREDENTIALS)
    assert replaced == ["/v1/AUTH_x/a.png", "/v1/AUTH_x/b.jpg"]
    assert sorted(s.path for s in world.server.seen(host=SWIFT, method="PUT")) == replaced


async def test_gdpr_partial_failures() -> None:
    paths = [f"/v1/AUTH_x/{n}.png" for n in range(5)]
    conv = _conversation(*((f"file {n}", p) for n, p in enumerate(paths)))
    async with World() as world, world.toolbelt() as tb:
        _swift(world, refuse=paths[1])
        with pytest.raises(ReplaceFilesError) as info:
            await tb.gdpr_util().replace_conversation_files(conv, SWIFT_CREDENTIALS)
    assert info.value.code == ErrorCodes.GDPR_REPLACE_FILE_FAILED
    assert (info.value.replaced, info.value.failed) == ([p for p in paths if p != paths[1]], [paths[1]])
    assert len(world.server.seen(host=SWIFT, method="PUT")) == 5  # every file was tried


# ------------------------------------------------------------------------------------------------ headers
async def test_v1_only_headers() -> None:
    async with World() as world, world.toolbelt(function_uuid=FUNCTION_UUID) as tb:
        await tb.http_client().get(f"http://{SERVICES['msgHist']}/ping")
        await tb.lp_client()(LpServices.MSG_HIST, "/ping")
    assert world.server.requests
    assert all("LP-URL" not in s.headers for s in world.server.requests)


async def test_user_agent_on_every_request() -> None:
    context = SERVICES["mavenContext"]
    async with World() as world, world.toolbelt(function_uuid=FUNCTION_UUID, allowlist=(context,)) as tb:
        world.route("GET", f"/v1/account/{ACCOUNT}", reply(200, []), host=context)
        await tb.http_client().get(f"http://{SERVICES['msgHist']}/ping", headers={"User-Agent": "caller/1.0"})
        await tb.context_service_client("maven-key").get_list_of_namespaces()
    assert {s.headers["User-Agent"] for s in world.server.requests} == {f"LP-Lambda-{FUNCTION_UUID}"}
    assert {s.host for s in world.server.requests} == {CSDS_HOST, SERVICES["msgHist"], context}


async def test_request_ids() -> None:
    async with World() as world, world.toolbelt() as tb:
        await tb.lp_client()(LpServices.MSG_HIST, "/ping")
        await tb.http_client().get(f"http://{SERVICES['msgHist']}/ping", headers={"X-Request-Id": "my-trace-1"})
    ids = [s.headers.get("X-Request-Id", "") for s in world.server.requests]
    assert [s.host for s in world.server.requests] == [CSDS_HOST, SERVICES["sentinel"], *[SERVICES["msgHist"]] * 2]
    assert [uuid.UUID(i).version for i in ids[:3]] == [4, 4, 4]
    assert len(set(ids[:3])) == 3
    assert ids[3] == "my-trace-1"


# ------------------------------------------------------------------------------------------------ authorization
async def test_oauth_2_0_preferred_oauth_1_0_fallback() -> None:
    both = {"LIVEPERSON_DEFAULT_APP_KEY": OAUTH2_APP_KEY, "lp-faas-default-app-key": OAUTH1_API_KEY}
    api = SERVICES["accountConfigReadOnly"]
    async with World() as world:
        world.route("GET", "/signed", oauth1_api(OAUTH1_API_KEY["consumerSecret"], OAUTH1_API_KEY["tokenSecret"]))
        async with world.toolbelt(secrets=both) as tb:
            await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, "/ping")
        async with world.toolbelt(secrets={"lp-faas-default-app-key": OAUTH1_API_KEY}) as tb:
            signed = await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, "/signed")
    assert signed.status == 200
    schemes = [s.headers["Authorization"].split(" ")[0] for s in world.server.seen(host=api)]
    assert schemes == ["Bearer", "OAuth"]


@pytest.mark.parametrize("expires_in", [ABSENT_EXPIRY, 3600.0], ids=["absent", "a number"])
async def test_sentinel_expiry_fallback(expires_in: Any) -> None:
    async with World() as world, world.toolbelt() as tb:
        world.sentinel.expires_in = expires_in
        for _ in range(3):
            assert (await tb.lp_client()(LpServices.MSG_HIST, "/ping")).status == 200
    assert world.sentinel.issued == ["at-1"]


async def test_401_retry_with_the_new_token() -> None:
    async def api(seen: Seen) -> web.StreamResponse:
        return web.Response(status=401 if seen.headers.get("Authorization") == "Bearer at-1" else 200)

    async with World() as world, world.toolbelt() as tb:
        world.route("GET", "/revoked", api)
        resp = await tb.lp_client()(LpServices.MSG_HIST, "/revoked")
    assert resp.status == 200
    assert [s.headers["Authorization"] for s in world.server.seen(path="/revoked")] == ["Bearer at-1", "Bearer at-2"]


# ------------------------------------------------------------------------------------------------ transport
class _Flaky:
    """Answers ``statuses`` in turn, then 200."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)

    async def __call__(self, seen: Seen) -> web.StreamResponse:
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


async def test_retries_and_backoff() -> None:
    host = f"http://{SERVICES['msgHist']}"
    async with World() as world, world.toolbelt(retry_backoff_base=0.0) as tb:
        http = tb.http_client()
        world.route("*", "/get-503", _Flaky(503, 502))
        world.route("*", "/post-503", _Flaky(503))
        world.route("*", "/post-429", _Flaky(429))
        world.route("*", "/always-429", _Flaky(*[429] * 10))
        assert (await http.get(f"{host}/get-503")).status == 200
        assert (await http.post(f"{host}/post-503", json={})).status == 503  # a POST is not replayed after a 5xx
        assert (await http.post(f"{host}/post-429", json={})).status == 200  # a 429 never reached the API
        with pytest.raises(RateLimitedError) as info:
            await http.get(f"{host}/always-429")
    counts = {p: len(world.server.seen(path=p)) for p in ("/get-503", "/post-503", "/post-429", "/always-429")}
    assert counts == {"/get-503": 3, "/post-503": 1, "/post-429": 2, "/always-429": 4}  # max_retries = 3
    assert info.value.status == 429


async def test_rate_cap_in_the_client() -> None:
    limiter = CountingLimiter()
    async with World() as world, world.toolbelt(limiter=limiter) as tb:
        await tb.lp_client()(LpServices.MSG_HIST, "/ping")
        await tb.http_client().get(f"http://{SERVICES['smt']}/ping")
    assert len(world.server.requests) == 4  # CSDS, Sentinel, two calls: each waited for the shared limiter
    assert limiter.acquired == 4


async def test_allowlist_before_connecting() -> None:
    async with World() as world, world.toolbelt() as tb:
        with pytest.raises(ForbiddenHostError) as info:
            await tb.http_client().get(f"http://{SERVICES['auditLog']}/ping")
    assert info.value.status == 403
    assert "You do not have access to the page or resource you are trying to reach" in info.value.message
    assert SERVICES["auditLog"] not in world.resolver.asked


async def test_tls_verified(tmp_path: Path) -> None:
    try:
        server_tls, _ = self_signed(tmp_path, ["secure.partner.test"])
    except RuntimeError as err:
        pytest.skip(f"no certificate for the fake TLS server: {err}")
    async with World() as world, FakeServer(tls=server_tls) as secure:
        world.resolver.names["secure.partner.test"] = secure.port
        async with world.toolbelt(allowlist=("secure.partner.test",)) as tb:
            with pytest.raises(TransportError) as info:
                await tb.http_client().get("https://secure.partner.test/ping")
    assert "Certificate" in info.value.message
    assert "attempt" not in info.value.message  # not retried
    assert secure.requests == []


async def test_http_answers() -> None:
    async with World() as world, world.toolbelt() as tb:
        world.route("GET", "/missing", reply(404, {"error": "not found"}))
        resp = await tb.http_client().get(f"http://{SERVICES['msgHist']}/missing")
        assert (resp.status, resp.json()) == (404, {"error": "not found"})
        with pytest.raises(HttpStatusError) as info:
            await tb.http_client().get(f"http://{SERVICES['msgHist']}/missing", raise_for_status=True)
    assert (info.value.code, info.value.status) == (ErrorCodes.HTTP_STATUS, 404)


# ------------------------------------------------------------------------------------------------ utils
async def test_conversation_search_parameters() -> None:
    path = f"/messaging_history/api/account/{ACCOUNT}/conversations/conversation/search"
    async with World() as world, world.toolbelt() as tb:
        world.route("POST", path, reply(200, _conversation("hello")), host=SERVICES["msgHist"])
        conv = await tb.conversation_util().get_conversation_by_id("conv-1")
    assert conv.first_record is not None
    (search,) = world.server.seen(path=path)
    assert search.query == "v=2&source=FaaS_Toolbelt"
    assert search.json() == {"conversationId": "conv-1"}


async def test_sde_return_value() -> None:
    events = f"/api/account/{ACCOUNT}/monitoring/visitors/v1/visits/current/events"
    async with World() as world, world.toolbelt() as tb:
        world.route("PUT", events, reply(200, {"accepted": 1}), host=SERVICES["smt"])
        resp = await tb.sde_util().add_sdes([{"type": "anyType"}], "v1", "s1")
        with pytest.raises(InvalidArgumentError):
            await tb.sde_util().add_sdes([{"type": 3}], "v1", "s1")
        sdes = tb.sde_util().get_sdes_from_conv(_conversation("no SDEs in this record"))
    assert isinstance(resp, HttpResponse)
    assert resp.json() == {"accepted": 1}
    assert len(world.server.seen(path=events)) == 1
    assert (sdes.sdes.events, sdes.un_auth_sdes.events) == ([], [])


async def test_context_session_store() -> None:
    context = SERVICES["mavenContext"]
    async with World() as world, world.toolbelt(allowlist=(context,), retry_backoff_base=0.0) as tb:
        world.route("DELETE", re.compile(f"/v1/account/{ACCOUNT}/.*"), reply(404), host=context)
        ctx = tb.context_service_client("maven-key")
        await ctx.delete_namespace("a/b?c")  # 404: already gone, no error
        with pytest.raises(InvalidArgumentError) as empty:
            await ctx.delete_namespace("")
        (delete,) = world.server.seen(host=context)
        assert (delete.raw_path, delete.query) == (f"/v1/account/{ACCOUNT}/a%2Fb%3Fc", "")  # one segment, encoded
        assert delete.headers["maven-api-key"] == "maven-key"
    assert empty.value.code == ErrorCodes.CONTEXT_PARAMETER_INVALID
    async with World() as world:
        world.resolver.names[context] = 1  # nothing listens there: connection refused
        async with world.toolbelt(allowlist=(context,), retry_backoff_base=0.0) as tb:
            with pytest.raises(TransportError) as refused:
                await tb.context_service_client("maven-key").get_list_of_namespaces()
    assert refused.value.code == ErrorCodes.CONTEXT_UNKNOWN
    assert "after 3 attempt(s)" in refused.value.message


async def test_salesforce_without_jsforce() -> None:
    async with Toolbelt(ToolbeltConfig(secrets_file=None)) as tb:
        sf = tb.sf_client()
        con = sf.connect_to_salesforce(
            login_url="https://login.salesforce.com", instance_url="https://acme.my.salesforce.com", access_token="at"
        )
        accounts = con.sobject("Account")
        assert all(callable(getattr(accounts, m)) for m in ("create", "retrieve", "update", "delete", "describe"))
        assert not hasattr(accounts, "destroy")
        with pytest.raises(InvalidArgumentError) as info:
            sf.connect_to_salesforce(login_url="https://login.salesforce.com", access_token="at", refresh_token="rt")
    assert info.value.code == ErrorCodes.SALESFORCE_INVALID_ARGUMENT


# ------------------------------------------------------------------------------------------------ Functions V2
async def test_the_orchestrator_s_externalsystem() -> None:
    path = f"/api/account/{ACCOUNT}/lambdas/{FUNCTION_UUID}/invoke"
    async with World() as world, world.toolbelt() as tb:
        world.route("POST", path, reply(200, {"ok": True}), host=SERVICES["faasGW"])
        [result] = await tb.orchestrator_client().invoke([Invocation(uuid=FUNCTION_UUID)], json=True)
    [seen] = world.server.seen(host=SERVICES["faasGW"], path=path)
    assert seen.query == f"v=1&externalSystem={FUNCTION_UUID}_{ACCOUNT}"
    assert result.body == {"ok": True}


async def test_gateway_token_renewed_once() -> None:
    refused = {"Bearer at-1"}

    async def gateway(seen: Seen) -> web.StreamResponse:
        if seen.headers.get("Authorization") in refused:
            return web.Response(status=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return web.json_response({"ok": True})

    path = f"/mtls/account/{ACCOUNT}"
    async with World() as world, world.toolbelt() as tb:
        world.route("POST", path, gateway, host=SERVICES["mtlsGateway"])
        resp = await tb.lp_mtls_client().post("https://partner.example/orders", json={})
        assert resp.status == 200
        refused.update({"Bearer at-2", "Bearer at-3"})
        with pytest.raises(HttpStatusError) as info:
            await tb.lp_mtls_client().post("https://partner.example/orders", json={})
    assert info.value.code == ErrorCodes.MTLS_INVALID_REQUEST
    tokens = [s.headers["Authorization"] for s in world.server.seen(path=path)]
    assert tokens == ["Bearer at-1", "Bearer at-2", "Bearer at-2", "Bearer at-3"]  # each refusal: one fresh token


async def test_gateway_redirects_stay_answers() -> None:
    path = f"/mtls/account/{ACCOUNT}"
    elsewhere = f"http://{SERVICES['msgHist']}/ping"
    async with World() as world, world.toolbelt() as tb:
        world.route("GET", path, reply(302, headers={"Location": elsewhere}), host=SERVICES["mtlsGateway"])
        resp = await tb.lp_mtls_client().get("https://partner.example/orders")
    assert resp.status == 302
    assert world.server.seen(host=SERVICES["msgHist"]) == []


async def test_no_allowselfsigned() -> None:
    assert "allow_self_signed" not in inspect.signature(Toolbelt.mtls_client).parameters
    pki = Pki()
    async with (
        tls_server(pki.server_context()) as partner,
        Toolbelt(ToolbeltConfig(allowlist=("localhost",), secrets_file=None)) as tb,
    ):
        with pytest.raises(TransportError) as info:
            await tb.mtls_client(cert=pki.cert_pem, key=pki.key_pem).get(partner)  # the check stays on
        trusted = tb.mtls_client(cert=pki.cert_pem, key=pki.key_pem, ca=pki.ca_pem)
        assert (await trusted.get(partner)).status == 200
    assert info.value.code == ErrorCodes.MTLS_GENERAL_ISSUE
