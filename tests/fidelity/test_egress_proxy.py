"""Issue 11.2 against an independent fake: the egress proxy.

In V1 all outbound traffic left through the FaaS proxy named by ``HTTPS_PROXY`` (CONNECT tunnels for https), and
``HTTP_PROXY`` for plain http (absolute-form requests). The fake forward proxy records what it is asked and
forwards to the fake LivePerson; ``NO_PROXY`` hosts go direct; the allowlist is still decided on the *target*
host, so a refused target never reaches the proxy; the proxy's credentials appear in no repr and no error.
"""

from __future__ import annotations

import base64
import contextlib
import traceback
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from lp_toolbelt import (
    ConfigurationError,
    ForbiddenHostError,
    HttpStatusError,
    LpServices,
    RateLimitedError,
    Toolbelt,
    ToolbeltConfig,
    ToolbeltError,
)
from tests.fidelity.fakes import ACCOUNT, CSDS_HOST, SERVICES, FakeProxy, World, self_signed

PROXY_PASSWORD = "s3cr3t-proxy-pw"


def _clear_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


@contextlib.asynccontextmanager
async def _https_through_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **fields: Any
) -> AsyncIterator[tuple[World, FakeProxy, Toolbelt]]:
    """The fake LivePerson over TLS, reached only through ``HTTPS_PROXY`` (CONNECT tunnels), by a Toolbelt whose
    borrowed session trusts the fake's certificate (skipped without ``openssl``)."""
    _clear_proxy_env(monkeypatch)
    try:
        server_tls, client_tls = self_signed(tmp_path, [CSDS_HOST, *sorted(set(SERVICES.values()))])
    except RuntimeError as err:
        pytest.skip(f"no certificate for the fake TLS server: {err}")
    async with World(tls=server_tls) as world, FakeProxy(upstream=world.server.port) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        async with (
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_tls)) as session,
            world.toolbelt(session=session, scheme="https", trust_env=True, **fields) as tb,
        ):
            yield world, proxy, tb


async def test_http_requests_leave_through_http_proxy_in_absolute_form(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_proxy_env(monkeypatch)
    async with World() as world, FakeProxy(upstream=world.server.port) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        async with world.toolbelt(trust_env=True) as tb:
            resp = await tb.lp_client()(LpServices.MSG_HIST, "/ping", params={"v": "2"})
    assert resp.status == 200
    targets = [(s.method, s.target) for s in proxy.seen]
    assert targets == [
        ("GET", f"http://{CSDS_HOST}/api/account/{ACCOUNT}/service/baseURI.json?version=1.0"),
        ("POST", f"http://{SERVICES['sentinel']}/sentinel/api/v2/account/{ACCOUNT}/app/token?v=2.0"),
        ("GET", f"http://{SERVICES['msgHist']}/ping?v=2"),
    ]
    assert world.resolver.asked == []  # the client never looked the targets up: the proxy did the rest
    assert [s.host for s in world.server.requests] == [CSDS_HOST, SERVICES["sentinel"], SERVICES["msgHist"]]


async def test_the_session_a_toolbelt_creates_leaves_through_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_proxy_env(monkeypatch)
    async with FakeProxy() as proxy:  # answers itself: no host name below resolves anywhere
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        config = ToolbeltConfig(account_id=ACCOUNT, secrets_file=None, allowlist=("crm.partner.test",))
        async with Toolbelt(config) as tb:
            resp = await tb.http_client().post("http://crm.partner.test/items?k=1&k=2", json={"a": 1})
    assert resp.json() == {"via": "fake-proxy", "target": "http://crm.partner.test/items?k=1&k=2"}
    assert [(s.method, s.target) for s in proxy.seen] == [("POST", "http://crm.partner.test/items?k=1&k=2")]


async def test_https_requests_tunnel_through_https_proxy_with_connect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _https_through_proxy(tmp_path, monkeypatch) as (world, proxy, tb):
        resp = await tb.lp_client()(LpServices.SMT, "/ping")
    assert resp.status == 200
    assert {(s.method, s.target) for s in proxy.seen} == {
        ("CONNECT", f"{CSDS_HOST}:443"),
        ("CONNECT", f"{SERVICES['sentinel']}:443"),
        ("CONNECT", f"{SERVICES['smt']}:443"),
    }
    assert [s.host for s in world.server.requests] == [CSDS_HOST, SERVICES["sentinel"], SERVICES["smt"]]


async def test_the_proxys_refusal_of_a_tunnel_is_its_answer_as_for_plain_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """The FaaS proxy refuses an https host at CONNECT (it cannot see inside the tunnel): 403 is an answer, as the 403
    it gives a plain-http request is, not a network failure to retry."""
    _clear_proxy_env(monkeypatch)
    async with FakeProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        config = ToolbeltConfig(account_id=ACCOUNT, secrets_file=None, allowlist=("crm.partner.test",))
        async with Toolbelt(config) as tb:
            resp = await tb.http_client().get("https://crm.partner.test/items")
            assert resp.status == 403
            with pytest.raises(HttpStatusError) as info:
                await tb.http_client().get("https://crm.partner.test/items", raise_for_status=True)
    assert info.value.status == 403
    assert [s.method for s in proxy.seen] == ["CONNECT", "CONNECT"]  # once per call: an answer is not retried


async def test_the_proxys_rate_cap_on_a_tunnel_is_retried_for_any_method(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The FaaS proxy's 429 arrives on the CONNECT of an https request: nothing was sent, so it is retried for any
    method, and a 429 that outlasts the retries is a RateLimitedError."""
    async with _https_through_proxy(tmp_path, monkeypatch, retry_backoff_base=0.0) as (world, proxy, tb):
        await tb.http_client().get(f"https://{SERVICES['msgHist']}/ping")  # CSDS and a first tunnel
        proxy.connect_statuses = [429, 429]
        resp = await tb.http_client().post(f"https://{SERVICES['smt']}/ping", json={"a": 1})
        assert resp.status == 200
        proxy.connect_statuses = [429] * 10
        with pytest.raises(RateLimitedError) as info:
            await tb.http_client().post(f"https://{SERVICES['rtbf']}/ping", json={"a": 1})
    assert info.value.status == 429
    smt = [s for s in proxy.seen if s.target == f"{SERVICES['smt']}:443"]
    assert len(smt) == 3
    assert len(world.server.seen(host=SERVICES["smt"])) == 1  # sent once, when the tunnel opened
    assert len([s for s in proxy.seen if s.target == f"{SERVICES['rtbf']}:443"]) == 4  # max_retries = 3


async def test_no_proxy_hosts_go_direct(monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_proxy_env(monkeypatch)
    async with World(extra_hosts=("api.partner.test",)) as world, FakeProxy(upstream=world.server.port) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", f"{CSDS_HOST},va.msghist.liveperson.net,.partner.test")
        async with world.toolbelt(trust_env=True, allowlist=("api.partner.test",)) as tb:
            http = tb.http_client()
            for host in (SERVICES["msgHist"], "api.partner.test", SERVICES["smt"]):
                assert (await http.get(f"http://{host}/ping")).status == 200
    assert [s.target for s in proxy.seen] == [f"http://{SERVICES['smt']}/ping"]
    assert sorted(set(world.resolver.asked)) == sorted({CSDS_HOST, SERVICES["msgHist"], "api.partner.test"})


async def test_the_proxy_setting_wins_and_trust_env_false_ignores_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _clear_proxy_env(monkeypatch)
    async with (
        World() as world,
        FakeProxy(upstream=world.server.port) as configured,
        FakeProxy(upstream=world.server.port) as from_env,
    ):
        monkeypatch.setenv("HTTP_PROXY", from_env.url)
        async with world.toolbelt(proxy=configured.url) as tb:
            await tb.http_client().get(f"http://{SERVICES['msgHist']}/ping")
        assert len(configured.seen) == 2  # CSDS (for the allowlist), then the request
        assert from_env.seen == []
        async with world.toolbelt(trust_env=False) as tb:
            await tb.http_client().get(f"http://{SERVICES['msgHist']}/ping")
        assert from_env.seen == []
        async with world.toolbelt(trust_env=True) as tb:
            await tb.http_client().get(f"http://{SERVICES['msgHist']}/ping")
        assert [s.target for s in from_env.seen][-1] == f"http://{SERVICES['msgHist']}/ping"


async def test_the_allowlist_is_decided_on_the_target_and_a_refused_target_never_reaches_the_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _clear_proxy_env(monkeypatch)
    async with World() as world, FakeProxy(upstream=world.server.port) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        async with world.toolbelt(trust_env=True) as tb:
            for url in (f"http://{SERVICES['auditLog']}/ping", "https://evil.example.com/ping"):
                with pytest.raises(ForbiddenHostError) as info:
                    await tb.http_client().get(url)
                assert info.value.status == 403
    # Only CSDS went out (the account's map decides the target); neither refused target was asked for.
    assert [s.target for s in proxy.seen] == [
        f"http://{CSDS_HOST}/api/account/{ACCOUNT}/service/baseURI.json?version=1.0"
    ]


async def test_proxy_credentials_are_sent_to_the_proxy_and_appear_in_no_repr_or_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _clear_proxy_env(monkeypatch)
    expected = "Basic " + base64.b64encode(f"egress:{PROXY_PASSWORD}".encode()).decode()
    shown: list[str] = []
    async with World() as world, FakeProxy(upstream=world.server.port, auth=expected) as proxy:
        proxy_url = f"http://egress:{PROXY_PASSWORD}@127.0.0.1:{proxy.port}"
        monkeypatch.setenv("HTTPS_PROXY", proxy_url)
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        async with world.toolbelt(trust_env=True) as tb:
            resp = await tb.http_client().get(f"http://{SERVICES['msgHist']}/ping")
            assert resp.status == 200
            shown += [repr(tb), repr(tb.config), str(tb.config), repr(tb.transport.sender), repr(tb.transport)]
            with pytest.raises(ForbiddenHostError) as refused:
                await tb.http_client().get(f"http://{SERVICES['auditLog']}/ping")
            shown += _error_texts(refused.value)
        async with world.toolbelt(proxy=proxy_url) as tb:
            shown += [repr(tb.config), str(tb.config)]
    assert all(s.headers.get("proxy-authorization") == expected for s in proxy.seen)
    # The proxy is gone: the failure names no credential either.
    async with World() as world, world.toolbelt(trust_env=True, max_retries=0) as tb:
        with pytest.raises(ToolbeltError) as failed:
            await tb.http_client().get(f"http://{SERVICES['msgHist']}/ping")
        shown += _error_texts(failed.value)
    for text in shown:
        assert PROXY_PASSWORD not in text


@pytest.mark.parametrize(
    "proxy", [f"ftp://egress:{PROXY_PASSWORD}@proxy.internal:21", f"http://egress:{PROXY_PASSWORD}@"]
)
def test_a_bad_proxy_url_is_a_configuration_error_without_its_credentials(proxy: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Toolbelt(ToolbeltConfig(account_id=ACCOUNT, secrets_file=None, proxy=proxy))
    for text in _error_texts(info.value):
        assert PROXY_PASSWORD not in text


def _error_texts(err: ToolbeltError) -> list[str]:
    return [str(err), repr(err), "".join(traceback.format_exception(err))]
