"""The emulator's proxy applies LivePerson's allowlist rule, which is defined by CSDS service, not by host.

Checked with a raw aiohttp client against the contract's text (liveperson-surface.md, "Environment a function runs
in"): a host is allowed when CSDS returns it *for the account* for one of the default services, or for the
toolbelt's own infrastructure (CSDS itself, ``sentinel``, ``mtlsGateway``), or when an entry of the account's
whitelist (``host``, ``host:port``, ``*.domain``) names it. Anything else, the Context Session Store's hosts
included, gets ``403`` with the proxy's text.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from yarl import URL

from lp_toolbelt.emulator import Emulator

# The contract's lists, written out from its text (not imported from the library), shared with the fidelity fakes.
from tests.fidelity.fakes import DEFAULT_SERVICES
from tests.fidelity.fakes import INFRA_SERVICES as INFRASTRUCTURE

ACCOUNT = "12345678"
FORBIDDEN_BODY = "You do not have access to the page or resource you are trying to reach"
# Hosts as a live CSDS answers them for an account in the va data centre: none of them is a fixed wildcard entry.
LIVE_HOSTS = {
    **{name: f"va.{name.lower()}.liveperson.net" for name in DEFAULT_SERVICES},
    "leDataReporting": "va.data.liveperson.net",
    "sentinel": "va.sentinel.liveperson.net",
    "mtlsGateway": "va.mtls-gateway.liveperson.net",
    "mavenContext": "z1.context.liveperson.net",
    "auditLog": "va.auditlog.liveperson.net",
}


@pytest.fixture
def session(raw_session: aiohttp.ClientSession) -> aiohttp.ClientSession:
    return raw_session


def bare(whitelist: list[str] | None = None) -> Emulator:
    """An emulator with no secrets and the given whitelist (none by default)."""
    return Emulator({"secrets": {}, "whitelist": whitelist or []}, rate_limit=None)


async def csds_answer(session: aiohttp.ClientSession, emu: Emulator) -> dict[str, str]:
    url = (emu.base_url / "api/account" / ACCOUNT / "service/baseURI.json").with_query(version="1.0")
    async with session.get(url) as resp:
        assert resp.status == 200
        body: dict[str, Any] = await resp.json()
    return {entry["service"]: entry["baseURI"] for entry in body["baseURIs"]}


async def answer(session: aiohttp.ClientSession, emu: Emulator, host: str) -> tuple[int, str]:
    """Status and text of a CSDS lookup sent to the emulator with ``Host: host`` (the proxy decides on it)."""
    url = (emu.base_url / "api/account" / ACCOUNT / "service/baseURI.json").with_query(version="1.0")
    async with session.get(url, headers={"Host": host}) as resp:
        return resp.status, await resp.text()


async def test_every_default_service_and_the_infrastructure_is_answered_on_an_allowed_host(
    session: aiohttp.ClientSession,
) -> None:
    async with bare() as emu:
        services = await csds_answer(session, emu)
        assert set(DEFAULT_SERVICES) | set(INFRASTRUCTURE) | {"mavenContext", "auditLog"} <= set(services)
        for name in (*DEFAULT_SERVICES, *INFRASTRUCTURE):
            status, _ = await answer(session, emu, services[name])
            assert status == 200, name


@pytest.mark.parametrize("service", ["mavenContext", "auditLog"])
async def test_a_service_outside_the_default_list_is_refused_with_the_proxy_body(
    session: aiohttp.ClientSession, service: str
) -> None:
    async with bare() as emu:
        host = (await csds_answer(session, emu))[service]
        assert host != emu.host  # the same server under another name: localhost:PORT
        assert URL(f"http://{host}").port == emu.port
        assert await answer(session, emu, host) == (403, FORBIDDEN_BODY)
        (*_, record) = emu.state.requests
        assert (record.host, record.forbidden, record.status) == (host, True, 403)


async def test_the_rule_follows_the_csds_answer_not_a_list_of_domains(session: aiohttp.ClientSession) -> None:
    async with bare() as emu:
        emu.state.services.update(LIVE_HOSTS)
        assert (await answer(session, emu, emu.host))[0] == 200  # CSDS itself, though no service points there now
        for name in (*DEFAULT_SERVICES, *INFRASTRUCTURE):
            assert (await answer(session, emu, LIVE_HOSTS[name]))[0] == 200, name
        for host in (LIVE_HOSTS["mavenContext"], LIVE_HOSTS["auditLog"], "z2.context.liveperson.net"):
            assert await answer(session, emu, host) == (403, FORBIDDEN_BODY)
        # Hosts a fixed wildcard list would let through, but CSDS does not name for this account.
        for host in ("api.liveperson.net", "lo.msghist.liveperson.net", "va.ac.liveperson.net", "evil.example.com"):
            assert await answer(session, emu, host) == (403, FORBIDDEN_BODY), host
        # The answer is read on every request: a service moved elsewhere takes its allowance along.
        emu.state.services["msgHist"] = "lo.msghist.liveperson.net"
        assert (await answer(session, emu, "lo.msghist.liveperson.net"))[0] == 200
        assert await answer(session, emu, LIVE_HOSTS["msgHist"]) == (403, FORBIDDEN_BODY)


async def test_ports_count_for_a_service_served_on_a_port(session: aiohttp.ClientSession) -> None:
    async with bare() as emu:
        assert await answer(session, emu, "127.0.0.1:1") == (403, FORBIDDEN_BODY)
        assert await answer(session, emu, "127.0.0.1") == (403, FORBIDDEN_BODY)


@pytest.mark.parametrize(
    ("entry", "allowed", "refused"),
    [
        ("crm.example.com", ["crm.example.com", "crm.example.com:8443"], ["www.crm.example.com", "example.com"]),
        ("crm.example.com:8443", ["crm.example.com:8443"], ["crm.example.com", "crm.example.com:443"]),
        ("*.example.org", ["a.example.org", "A.Example.Org"], ["example.org", "a.example.org.evil.net"]),
        ("localhost", ["localhost:{port}"], ["127.0.0.2:{port}"]),
    ],
)
async def test_whitelist_entries_add_to_the_default(
    session: aiohttp.ClientSession, entry: str, allowed: list[str], refused: list[str]
) -> None:
    async with bare([entry]) as emu:
        for host in allowed:
            assert (await answer(session, emu, host.format(port=emu.port)))[0] == 200, host
        for host in refused:
            assert await answer(session, emu, host.format(port=emu.port)) == (403, FORBIDDEN_BODY), host


async def test_a_refused_context_call_never_reaches_the_store(session: aiohttp.ClientSession) -> None:
    async with bare() as emu:
        host = (await csds_answer(session, emu))["mavenContext"]
        url = URL(f"http://{host}/v1/account/{ACCOUNT}")
        headers = {"maven-api-key": "emulator-maven-api-key"}
        async with session.post(url, json={"name": "orders"}, headers=headers) as resp:
            assert (resp.status, await resp.text()) == (403, FORBIDDEN_BODY)
        assert emu.state.context_namespaces == {}
        emu.state.whitelist.append(host)  # whitelisted live, as a user adds the zone host
        async with session.post(url, json={"name": "orders"}, headers=headers) as resp:
            assert resp.status == 204
        assert list(emu.state.context_namespaces) == ["orders"]


async def test_the_demo_seed_whitelists_the_context_stand_in(session: aiohttp.ClientSession) -> None:
    async with Emulator(rate_limit=None) as emu:
        host = (await csds_answer(session, emu))["mavenContext"]
        assert (await answer(session, emu, host))[0] == 200
        assert await answer(session, emu, "evil.example.com") == (403, FORBIDDEN_BODY)
