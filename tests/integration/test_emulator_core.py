"""The emulator core over real loopback HTTP: CSDS, Sentinel, LP auth, the proxy (403/429), faults, the log."""

from __future__ import annotations

import asyncio
import io
import json
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from oauthlib.oauth1 import Client
from yarl import URL

from lp_toolbelt._constants import PROXY_FORBIDDEN_MESSAGE
from lp_toolbelt.auth.oauth1 import OAuth1Credentials, OAuth1Signer
from lp_toolbelt.emulator import (
    ALLOWLIST_SERVICES,
    INFRA_SERVICES,
    SERVICE_NAMES,
    Emulator,
    EmulatorState,
    RecordedRequest,
)
from lp_toolbelt.emulator.__main__ import serve
from lp_toolbelt.enums import LpServices
from lp_toolbelt.transport.limiter import LocalRateLimiter

ACCOUNT = "12345678"
APP_KEY = "lp-faas-default-app-key"
OAUTH2_APP = "lp-faas-oauth2-app"


# ---------------------------------------------------------------------------------------------- fixtures/helpers
@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """An emulator without a rate cap (tests of the cap build their own)."""
    async with Emulator(rate_limit=None) as emulator:
        yield emulator


@pytest.fixture
async def client_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def csds_url(emu: Emulator, account: str = ACCOUNT) -> URL:
    return (emu.base_url / "api/account" / account / "service/baseURI.json").with_query(version="1.0")


def skills_url(emu: Emulator) -> URL:
    return (emu.base_url / "api/account" / ACCOUNT / "configuration/le-users/skills").with_query(
        v="1", select="id,name"
    )


def token_url(emu: Emulator, account: str = ACCOUNT) -> URL:
    return (emu.base_url / "sentinel/api/v2/account" / account / "app/token").with_query(v="2.0")


def api_key(emu: Emulator) -> OAuth1Credentials:
    value = emu.state.secrets[APP_KEY]
    return OAuth1Credentials(value["consumerKey"], value["consumerSecret"], value["token"], value["tokenSecret"])


def oauthlib_header(emu: Emulator, method: str, url: URL) -> str:
    c = api_key(emu)
    client = Client(
        c.consumer_key,
        client_secret=c.consumer_secret,
        resource_owner_key=c.token,
        resource_owner_secret=c.token_secret,
        signature_method="HMAC-SHA1",
    )
    _, headers, _ = client.sign(str(url), http_method=method)
    return headers["Authorization"]


def signer_header(emu: Emulator, method: str, url: URL) -> str:
    return OAuth1Signer(api_key(emu)).authorization(method, url)


async def get_token(emu: Emulator, session: aiohttp.ClientSession) -> str:
    app = emu.state.secrets[OAUTH2_APP]
    form = {"client_id": app["client_id"], "client_secret": app["client_secret"], "grant_type": "client_credentials"}
    async with session.post(token_url(emu), data=form) as resp:
        assert resp.status == 200
        body = await resp.json()
    token: str = body["access_token"]
    return token


async def status_of(session: aiohttp.ClientSession, url: URL, **kwargs: Any) -> int:
    async with session.get(url, **kwargs) as resp:
        await resp.read()
        return resp.status


# ---------------------------------------------------------------------------------------------- CSDS
async def test_csds_answer_shape(emu: Emulator, client_session: aiohttp.ClientSession) -> None:
    async with client_session.get(csds_url(emu)) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/json"
        body = await resp.json()
    entries = body["baseURIs"]
    services = {entry["service"]: entry for entry in entries}
    assert set(services) >= {s.value for s in LpServices} | {"msgHist", "smt", "swift", "mavenContext", "sentinel"}
    assert set(services) == set(SERVICE_NAMES)
    for entry in entries:
        assert set(entry) == {"service", "account", "baseURI"}
        assert entry["account"] == ACCOUNT
        assert "://" not in entry["baseURI"]
    # One server, two Host names: the default-allowlist services (and the infrastructure) on 127.0.0.1, the
    # others (mavenContext, auditLog) on localhost, which the proxy refuses unless the whitelist names it.
    assert emu.host == f"127.0.0.1:{emu.port}"
    for name in ALLOWLIST_SERVICES | INFRA_SERVICES:
        assert services[name]["baseURI"] == emu.host
    for name in set(SERVICE_NAMES) - ALLOWLIST_SERVICES - INFRA_SERVICES:
        assert services[name]["baseURI"] == f"localhost:{emu.port}"
    assert {"mavenContext", "auditLog"} <= set(SERVICE_NAMES) - ALLOWLIST_SERVICES - INFRA_SERVICES


async def test_csds_unknown_account(emu: Emulator, client_session: aiohttp.ClientSession) -> None:
    async with client_session.get(csds_url(emu, "999")) as resp:
        assert resp.status == 404
        assert resp.content_type == "application/json"
        assert "error" in await resp.json()


async def test_services_set_before_start_are_kept_and_restart_follows_the_port() -> None:
    emulator = Emulator(rate_limit=None)
    emulator.state.services["msgHist"] = "va.msghist.liveperson.net"
    async with emulator:
        first = emulator.host
        assert emulator.state.services["msgHist"] == "va.msghist.liveperson.net"
        assert emulator.state.services["smt"] == first
    async with emulator:
        assert emulator.state.services["smt"] == emulator.host
        assert emulator.state.services["mavenContext"] == f"localhost:{emulator.port}"
        assert emulator.state.services["msgHist"] == "va.msghist.liveperson.net"


# ---------------------------------------------------------------------------------------------- Sentinel / Bearer
async def test_sentinel_token_flow(emu: Emulator, client_session: aiohttp.ClientSession) -> None:
    app = emu.state.secrets[OAUTH2_APP]
    form = {"client_id": app["client_id"], "client_secret": app["client_secret"], "grant_type": "client_credentials"}
    async with client_session.post(token_url(emu), data=form) as resp:
        assert resp.status == 200
        body = await resp.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == "3600"  # a string, as LivePerson sends it
    assert body["access_token"] in emu.state.tokens

    headers = {"Authorization": f"{body['token_type']} {body['access_token']}"}
    async with client_session.get(skills_url(emu), headers=headers) as resp:
        assert resp.status == 200
        skills = await resp.json()
    assert skills == emu.state.skills
    assert skills
    assert all(isinstance(s["id"], int) and isinstance(s["name"], str) for s in skills)
    assert [r.auth_scheme for r in emu.state.requests] == [None, "Bearer"]


async def test_sentinel_ttl_is_configurable(emu: Emulator, client_session: aiohttp.ClientSession) -> None:
    emu.state.token_ttl = 120
    app = emu.state.secrets[OAUTH2_APP]
    form = {"client_id": app["client_id"], "client_secret": app["client_secret"], "grant_type": "client_credentials"}
    async with client_session.post(token_url(emu), data=form) as resp:
        assert (await resp.json())["expires_in"] == "120"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"client_id": "someone-else"}, "invalid_client"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"client_secret": None}, "invalid_client"),
    ],
)
async def test_sentinel_refuses_bad_credentials(
    emu: Emulator, client_session: aiohttp.ClientSession, change: dict[str, str | None], error: str
) -> None:
    app = emu.state.secrets[OAUTH2_APP]
    form: dict[str, str | None] = {
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "grant_type": "client_credentials",
    }
    form.update(change)
    data = {k: v for k, v in form.items() if v is not None}
    async with client_session.post(token_url(emu), data=data) as resp:
        assert resp.status == 401
        assert resp.content_type == "application/json"
        text = await resp.text()
    assert json.loads(text) == {"error": error}
    assert app["client_secret"] not in text
    assert not emu.state.tokens


async def test_sentinel_unknown_account(emu: Emulator, client_session: aiohttp.ClientSession) -> None:
    async with client_session.post(token_url(emu, "999"), data={"grant_type": "client_credentials"}) as resp:
        assert resp.status == 404


async def test_expired_bearer_token_is_refused(emu: Emulator, client_session: aiohttp.ClientSession) -> None:
    token = await get_token(emu, client_session)
    headers = {"Authorization": f"Bearer {token}"}
    assert await status_of(client_session, skills_url(emu), headers=headers) == 200
    emu.state.expire_tokens()
    async with client_session.get(skills_url(emu), headers=headers) as resp:
        assert resp.status == 401
        assert resp.content_type == "application/json"
        text = await resp.text()
    assert "error" in json.loads(text)
    assert token not in text
    fresh = await get_token(emu, client_session)
    assert await status_of(client_session, skills_url(emu), headers={"Authorization": f"Bearer {fresh}"}) == 200


# ---------------------------------------------------------------------------------------------- OAuth 1 over the wire
@pytest.mark.parametrize("sign", [signer_header, oauthlib_header], ids=["OAuth1Signer", "oauthlib.Client"])
async def test_oauth1_signed_request_passes_and_replay_fails(
    emu: Emulator, client_session: aiohttp.ClientSession, sign: Any
) -> None:
    url = skills_url(emu)
    header = sign(emu, "GET", url)
    async with client_session.get(url, headers={"Authorization": header}) as resp:
        assert resp.status == 200
        assert await resp.json() == emu.state.skills
    async with client_session.get(url, headers={"Authorization": header}) as resp:
        assert resp.status == 401
        assert "nonce" in (await resp.json())["error"]


@pytest.mark.parametrize("sign", [signer_header, oauthlib_header], ids=["OAuth1Signer", "oauthlib.Client"])
async def test_oauth1_wrong_secret_over_the_wire(
    emu: Emulator, client_session: aiohttp.ClientSession, sign: Any
) -> None:
    url = skills_url(emu)
    header = sign(emu, "GET", url)
    emu.state.secrets[APP_KEY]["tokenSecret"] = "rotated"
    async with client_session.get(url, headers={"Authorization": header}) as resp:
        assert resp.status == 401
    # A client that re-reads the rotated secret signs correctly again.
    async with client_session.get(url, headers={"Authorization": sign(emu, "GET", url)}) as resp:
        assert resp.status == 200


async def test_tampered_query_over_the_wire(emu: Emulator, client_session: aiohttp.ClientSession) -> None:
    url = skills_url(emu)
    header = signer_header(emu, "GET", url)
    assert await status_of(client_session, url.update_query(v="2"), headers={"Authorization": header}) == 401


async def test_echo_body_is_not_signed(emu: Emulator, client_session: aiohttp.ClientSession) -> None:
    url = emu.base_url / "api/account" / ACCOUNT / "echo"
    payload = {"conversationId": "abc", "contentToRetrieve": ["messageRecords", "sdes"], "n": 1}
    for sign in (signer_header, oauthlib_header):
        headers = {"Authorization": sign(emu, "POST", url)}
        async with client_session.post(url, json=payload, headers=headers) as resp:
            assert resp.status == 200
            assert await resp.json() == payload


async def test_lp_routes_require_auth(emu: Emulator, client_session: aiohttp.ClientSession) -> None:
    assert await status_of(client_session, skills_url(emu)) == 401
    async with client_session.post(emu.base_url / "api/account" / ACCOUNT / "echo", json={}) as resp:
        assert resp.status == 401
        assert resp.content_type == "application/json"


# ---------------------------------------------------------------------------------------------- proxy: allowlist
@pytest.mark.parametrize(
    "host",
    ["evil.example.com", "example.org", "api.liveperson.net.evil.com", "evilliveperson.net", "127.0.0.1:1"],
)
async def test_proxy_forbids_hosts_outside_the_allowlist(
    emu: Emulator, client_session: aiohttp.ClientSession, host: str
) -> None:
    async with client_session.get(csds_url(emu), headers={"Host": host}) as resp:
        assert resp.status == 403
        assert resp.content_type == "text/plain"
        assert await resp.text() == PROXY_FORBIDDEN_MESSAGE
    (record,) = emu.state.requests
    assert record.forbidden
    assert record.host == host
    assert record.status == 403


async def test_proxy_forbidden_request_never_reaches_the_route(
    emu: Emulator, client_session: aiohttp.ClientSession
) -> None:
    app = emu.state.secrets[OAUTH2_APP]
    form = {"client_id": app["client_id"], "client_secret": app["client_secret"], "grant_type": "client_credentials"}
    async with client_session.post(token_url(emu), data=form, headers={"Host": "evil.example.com"}) as resp:
        assert resp.status == 403
    assert not emu.state.tokens


@pytest.mark.parametrize(
    "host",
    [
        "my.crm.example.com",  # seeded whitelist
        "deep.sub.example.org",  # seeded *.example.org
        "localhost:{port}",  # seeded "localhost" (the stand-in for a whitelisted Context zone host)
        "127.0.0.1:{port}",  # CSDS and the default services
    ],
)
async def test_proxy_allows_allowlisted_hosts(emu: Emulator, client_session: aiohttp.ClientSession, host: str) -> None:
    header = host.format(port=emu.port)
    assert await status_of(client_session, csds_url(emu), headers={"Host": header}) == 200


async def test_proxy_reads_the_whitelist_on_every_request(emu: Emulator, client_session: aiohttp.ClientSession) -> None:
    headers = {"Host": "late.example.net"}
    assert await status_of(client_session, csds_url(emu), headers=headers) == 403
    emu.state.whitelist.append("late.example.net")
    assert await status_of(client_session, csds_url(emu), headers=headers) == 200


# ---------------------------------------------------------------------------------------------- proxy: rate cap
async def test_proxy_429_under_a_burst_of_twice_the_cap(client_session: aiohttp.ClientSession) -> None:
    cap = 10
    async with Emulator(rate_limit=cap) as emu:

        async def one() -> tuple[int, str | None, str]:
            async with client_session.get(csds_url(emu)) as resp:
                return resp.status, resp.headers.get("Retry-After"), await resp.text()

        results = await asyncio.gather(*(one() for _ in range(2 * cap)))
        limited = [r for r in results if r[0] == 429]
        passed = [r for r in results if r[0] == 200]
        assert len(passed) + len(limited) == 2 * cap
        assert cap <= len(passed) <= cap + 2  # capacity + the jitter tolerance + refill during the burst
        assert len(limited) >= cap - 2
        assert all(r[1] == "1" and r[2] == "Too Many Requests" for r in limited)
        assert sum(r.rate_limited for r in emu.state.requests) == len(limited)
        assert all(r.status == 429 for r in emu.state.requests if r.rate_limited)

        # The bucket refills: after a second the client may send again.
        await asyncio.sleep(1.05)
        assert await status_of(client_session, csds_url(emu)) == 200


async def test_proxy_never_429_when_paced_at_the_cap(client_session: aiohttp.ClientSession) -> None:
    # A client pacing at the cap (the library's limiter: one start every 1/cap s) keeps the proxy's bucket full
    # enough to absorb scheduling jitter on a loaded machine.
    cap = 20
    limiter = LocalRateLimiter(cap)
    async with Emulator(rate_limit=cap) as emu:

        async def one() -> int:
            await limiter.acquire()
            return await status_of(client_session, csds_url(emu))

        statuses = await asyncio.gather(*(one() for _ in range(2 * cap + 10)))
        assert statuses == [200] * len(statuses)
        assert not any(r.rate_limited for r in emu.state.requests)


async def test_no_cap_means_no_429(emu: Emulator, client_session: aiohttp.ClientSession) -> None:
    statuses = await asyncio.gather(*(status_of(client_session, csds_url(emu)) for _ in range(60)))
    assert set(statuses) == {200}


# ---------------------------------------------------------------------------------------------- faults
async def test_status_fault_applies_times_then_stops(emu: Emulator, client_session: aiohttp.ClientSession) -> None:
    emu.state.faults.add("csds", "status", status=503, times=2, headers={"Retry-After": "0"})
    seen = []
    for _ in range(3):
        async with client_session.get(csds_url(emu)) as resp:
            seen.append((resp.status, resp.headers.get("Retry-After"), resp.content_type))
            body = await resp.json()
    assert seen[:2] == [(503, "0", "application/json")] * 2
    assert seen[2] == (200, None, "application/json")
    assert "baseURIs" in body
    assert len(emu.state.faults) == 0
    assert [r.fault for r in emu.state.requests] == ["status", "status", None]
    assert [r.status for r in emu.state.requests] == [503, 503, 200]


async def test_status_fault_body_and_route_isolation(emu: Emulator, client_session: aiohttp.ClientSession) -> None:
    emu.state.faults.add("skills", "status", status=502, body="bad gateway")
    assert await status_of(client_session, csds_url(emu)) == 200  # other routes untouched
    async with client_session.get(skills_url(emu)) as resp:
        assert resp.status == 502
        assert resp.content_type == "text/plain"
        assert await resp.text() == "bad gateway"
    assert await status_of(client_session, skills_url(emu)) == 401  # back to the real route (no auth sent)


async def test_latency_fault(emu: Emulator, client_session: aiohttp.ClientSession) -> None:
    emu.state.faults.add("csds", "latency", delay=0.3)
    started = time.monotonic()
    assert await status_of(client_session, csds_url(emu)) == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    assert await status_of(client_session, csds_url(emu)) == 200
    assert time.monotonic() - started < 0.3


async def test_wildcard_fault_until_cleared(emu: Emulator, client_session: aiohttp.ClientSession) -> None:
    fault = emu.state.faults.add("*", "status", status=500, times=None, body={"oops": True})
    for url in (csds_url(emu), skills_url(emu), csds_url(emu)):
        async with client_session.get(url) as resp:
            assert resp.status == 500
            assert await resp.json() == {"oops": True}
    assert fault.applied == 3
    emu.state.faults.clear()
    assert await status_of(client_session, csds_url(emu)) == 200


def test_fault_registry_validates() -> None:
    state = EmulatorState()
    with pytest.raises(ValueError, match="unknown fault kind"):
        state.faults.add("csds", "no-such-kind")
    with pytest.raises(ValueError, match="times"):
        state.faults.add("csds", "status", times=0)
    first = state.faults.add("csds", "status", status=503)
    second = state.faults.add("csds", "latency", delay=0.1)
    state.faults.add("skills", "status")
    assert state.faults.take("csds") is first
    assert state.faults.take("csds") is second
    assert state.faults.take("csds") is None
    state.faults.clear("skills")
    assert state.faults.active == []


# ---------------------------------------------------------------------------------------------- request log
async def test_request_log(emu: Emulator, client_session: aiohttp.ClientSession) -> None:
    url = skills_url(emu)
    authorization = signer_header(emu, "GET", url)
    headers = {"Authorization": authorization, "X-Request-Id": "req-1"}
    assert await status_of(client_session, url, headers=headers) == 200
    assert await status_of(client_session, csds_url(emu), headers={"X-Request-Id": "req-2"}) == 200
    assert await status_of(client_session, emu.base_url / "no/such/path") == 404

    skills, csds, missing = emu.state.requests
    assert (skills.method, skills.route, skills.request_id, skills.auth_scheme, skills.status) == (
        "GET",
        "skills",
        "req-1",
        "OAuth",
        200,
    )
    assert skills.path == f"/api/account/{ACCOUNT}/configuration/le-users/skills"
    assert skills.query == "v=1&select=id,name"
    assert skills.host == emu.host
    assert (csds.route, csds.request_id, csds.auth_scheme, csds.query) == ("csds", "req-2", None, "version=1.0")
    assert (missing.route, missing.status) == (None, 404)
    assert not any(r.forbidden or r.rate_limited for r in emu.state.requests)

    # Authorization values are never stored.
    c = api_key(emu)
    dumped = repr(emu.state.requests)
    for secret in (authorization, c.consumer_key, c.token, c.consumer_secret, c.token_secret):
        assert secret not in dumped

    assert emu.state.count("skills") == 1
    assert emu.state.count("csds") == 1
    assert emu.state.count("sentinel") == 0
    times = emu.state.arrival_times()
    assert len(times) == 3
    assert times == sorted(times)
    assert emu.state.arrival_times("csds") == [csds.time]
    assert emu.state.max_in_window(60.0) == 3
    emu.state.clear_requests()
    assert emu.state.requests == []


def _record(t: float, route: str = "csds") -> RecordedRequest:
    return RecordedRequest(time=t, method="GET", host="h", path="/", query="", route=route, request_id=None)


def test_max_in_window() -> None:
    state = EmulatorState()
    assert state.max_in_window() == 0
    # Binary-exact times, so that the half-open window [t, t + w) is tested without rounding noise.
    state.requests.extend(_record(t) for t in (0.0, 0.25, 0.5, 1.0, 1.25, 1.375, 1.4375, 1.5, 2.5))
    state.requests.extend(_record(t, "skills") for t in (1.0625, 1.125))
    assert state.max_in_window(1.0, route="csds") == 5  # [0.5, 1.5) or [1.0, 2.0); 6 if the window were closed
    assert state.max_in_window(0.25, route="csds") == 3  # 1.25, 1.375, 1.4375
    assert state.max_in_window(1.0) == 7
    assert state.max_in_window(10.0) == 11
    assert state.max_in_window(1.0, route="skills") == 2
    assert state.max_in_window(1.0, route="nothing") == 0


# ---------------------------------------------------------------------------------------------- config & lifecycle
async def test_config_points_a_toolbelt_at_the_emulator(emu: Emulator) -> None:
    config = emu.config()
    assert config.account_id == ACCOUNT
    assert config.csds_domain == emu.host
    assert config.scheme == "http"
    # The seed's whitelist only: the default allowlist comes from CSDS (by service), as live.
    assert config.allowlist == ("my.crm.example.com", "*.example.org", "localhost")
    assert config.rate_limit == 1000.0  # the fixture's emulator has no cap
    assert config.secrets_file is None
    assert config.secrets == emu.state.secrets
    assert config.secrets is not emu.state.secrets
    assert config.secrets[APP_KEY] is not emu.state.secrets[APP_KEY]  # a deep copy
    assert emu.config(timeout=5.0, account_id="other").timeout == 5.0
    assert emu.config(account_id="other").account_id == "other"


async def test_config_rate_limit_follows_the_cap() -> None:
    async with Emulator(rate_limit=7.5) as emu:
        assert emu.config().rate_limit == 7.5


async def test_settings_from_path_and_mapping(tmp_path: Path, client_session: aiohttp.ClientSession) -> None:
    settings = {
        "secrets": [{"key": "k1", "value": {"client_id": "c", "client_secret": "s"}}],
        "whitelist": ["only.example.net"],
    }
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(settings))
    for source in (path, settings):
        async with Emulator(source, account_id="42", rate_limit=None) as emu:
            assert emu.state.secrets == {"k1": {"client_id": "c", "client_secret": "s"}}
            assert emu.state.whitelist == ["only.example.net"]
            assert emu.state.account_id == "42"
            assert await status_of(client_session, csds_url(emu, "42"), headers={"Host": "only.example.net"}) == 200
            assert await status_of(client_session, csds_url(emu, ACCOUNT)) == 404
    # The mapping given is not shared with the emulator.
    assert settings["secrets"][0]["value"] == {"client_id": "c", "client_secret": "s"}  # type: ignore[index]


def test_default_seed() -> None:
    state = EmulatorState.from_settings(None)
    assert set(state.secrets[APP_KEY]) == {"consumerKey", "consumerSecret", "token", "tokenSecret"}
    assert set(state.secrets[OAUTH2_APP]) == {"client_id", "client_secret"}
    assert set(state.secrets["LIVEPERSON_DEFAULT_APP_KEY"]) == {"client_id", "client_secret"}  # V2's OAuth 2.0 key
    assert "localhost" in state.whitelist
    assert state.secrets["demo-secret"] == {"greeting": "hello"}
    assert state.whitelist
    assert state.account_id == ACCOUNT
    assert state.rate_limit == 20.0


async def test_lifecycle_is_clean(client_session: aiohttp.ClientSession) -> None:
    emu = Emulator()
    assert not emu.running
    with pytest.raises(RuntimeError):
        _ = emu.port
    await emu.start()
    with pytest.raises(RuntimeError):
        await emu.start()
    url = csds_url(emu)
    assert await status_of(client_session, url) == 200
    await emu.stop()
    await emu.stop()  # twice is fine
    assert not emu.running
    with pytest.raises(aiohttp.ClientConnectionError):
        await status_of(client_session, url)
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_stop_with_a_request_in_flight() -> None:
    emu = Emulator(rate_limit=None, shutdown_timeout=0.2)
    await emu.start()
    emu.state.faults.add("csds", "latency", delay=5.0)
    async with aiohttp.ClientSession() as session:
        pending = asyncio.create_task(status_of(session, csds_url(emu)))
        for _ in range(500):
            if emu.state.requests:
                break
            await asyncio.sleep(0.01)
        assert emu.state.requests
        started = time.monotonic()
        await emu.stop()
        assert time.monotonic() - started < 3.0
        with pytest.raises(aiohttp.ClientError):
            await pending
    assert asyncio.all_tasks() == {asyncio.current_task()}


# ---------------------------------------------------------------------------------------------- command line
async def test_serve_prints_the_environment() -> None:
    out = io.StringIO()
    stop = asyncio.Event()
    emu = Emulator(port=0)
    task = asyncio.create_task(serve(emu, out=out, stop=stop))
    for _ in range(200):
        if "LP_TOOLBELT_SCHEME" in out.getvalue():
            break
        await asyncio.sleep(0.01)
    text = out.getvalue()
    assert f"export BRAND_ID={ACCOUNT}\n" in text
    assert f"export X_LIVEPERSON_CSDS_DOMAIN={emu.host}\n" in text
    assert "export LP_TOOLBELT_SCHEME=http\n" in text
    stop.set()
    await task
    assert not emu.running


async def test_module_entry_point_serves_until_terminated() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lp_toolbelt.emulator",
        "--port",
        "0",
        "--account",
        "777",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        domain = ""
        async with asyncio.timeout(20):
            while not domain:
                line = (await proc.stdout.readline()).decode()
                assert line, "the emulator exited early"
                if line.startswith("export X_LIVEPERSON_CSDS_DOMAIN="):
                    domain = line.strip().split("=", 1)[1]
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://{domain}/api/account/777/service/baseURI.json") as resp,
        ):
            assert resp.status == 200
            assert (await resp.json())["baseURIs"][0]["baseURI"] == domain
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            _, stderr = await proc.communicate()
    assert proc.returncode == 0, stderr.decode()
