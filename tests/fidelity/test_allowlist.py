"""Issue 11.1 against an independent fake: the FaaS proxy's default allowlist is defined by CSDS service.

The fake CSDS answers a realistic per-account map (``va.`` hosts, written from the contract, see ``fakes.SERVICES``);
the hosts resolve to one loopback server through the user's own session. The hosts CSDS gives the account for the
default services, Sentinel and CSDS itself are reached; a host of any other CSDS service is refused with 403 before
any connection (the fake never sees it, and it is not even resolved).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from lp_toolbelt import ErrorCodes, ForbiddenHostError, LpServices
from tests.fidelity.fakes import (
    CSDS_HOST,
    DEFAULT_SERVICES,
    INFRA_SERVICES,
    OTHER_SERVICES,
    SERVICES,
    FakeClock,
    World,
)

PROXY_403 = "You do not have access to the page or resource you are trying to reach"


async def test_hosts_of_the_default_services_sentinel_and_csds_are_reached() -> None:
    async with World() as world, world.toolbelt() as tb:
        http = tb.http_client()
        for service in (*DEFAULT_SERVICES, *INFRA_SERVICES):
            resp = await http.get(f"http://{SERVICES[service]}/ping")
            assert resp.status == 200, service
        assert (await http.get(f"http://{CSDS_HOST}/ping")).status == 200
        # The LP client's OAuth 2.0 path: a token from va.sentinel.liveperson.net, then the API host.
        resp = await tb.lp_client()(LpServices.LE_DATA_REPORTING, "/ping")
        assert resp.status == 200
    reached = {seen.host for seen in world.server.seen(path="/ping")}
    assert reached == {SERVICES[s] for s in (*DEFAULT_SERVICES, *INFRA_SERVICES)} | {CSDS_HOST}
    assert world.sentinel.issued == ["at-1"]
    assert world.server.seen(host="va.data.liveperson.net")[-1].headers["Authorization"] == "Bearer at-1"
    assert len(world.csds_requests()) == 1


@pytest.mark.parametrize("service", OTHER_SERVICES)
async def test_a_host_of_another_csds_service_is_refused_before_any_connection(service: str) -> None:
    host = SERVICES[service]
    async with World() as world, world.toolbelt() as tb:
        with pytest.raises(ForbiddenHostError) as info:
            await tb.http_client().get(f"http://{host}/ping")
    assert info.value.status == 403
    assert info.value.code == ErrorCodes.HTTP_FORBIDDEN_HOST
    assert PROXY_403 in info.value.message
    assert world.server.seen(host=host) == []
    assert host not in world.resolver.asked  # not even resolved


async def test_the_lp_client_is_refused_a_non_default_service_without_fetching_a_token() -> None:
    async with World() as world, world.toolbelt() as tb:
        with pytest.raises(ForbiddenHostError) as info:
            await tb.lp_client()(LpServices.AUDITLOG, f"/api/account/{tb.config.account_id}/audit")
    assert info.value.status == 403
    assert world.server.seen(host=SERVICES["auditLog"]) == []
    assert world.sentinel.issued == []  # no credential is fetched for a request that cannot leave


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example.com/ping",
        "http://va.msghist.liveperson.net.evil.example.com/ping",
        "http://evil.example.com@va.auditlog.liveperson.net/ping",
        "http://liveperson.net/ping",
    ],
)
async def test_hosts_outside_the_account_map_are_refused(url: str) -> None:
    async with World(extra_hosts=("evil.example.com", "liveperson.net")) as world, world.toolbelt() as tb:
        with pytest.raises(ForbiddenHostError):
            await tb.http_client().get(url)
    assert world.server.seen(path="/ping") == []


async def test_whitelist_and_allowlist_entries_add_to_the_default(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"secrets": [], "whitelist": ["crm.example.com", "*.example.org"]}))
    extra = ("crm.example.com", "eu.example.org", "example.org", "partner.test", "other.test")
    async with (
        World(extra_hosts=extra) as world,
        world.toolbelt(secrets_file=settings, allowlist=("partner.test",)) as tb,
    ):
        http = tb.http_client()
        for host in ("crm.example.com", "eu.example.org", "partner.test", SERVICES["msgHist"]):
            assert (await http.get(f"http://{host}/ping")).status == 200, host
        for host in ("example.org", "other.test", SERVICES["auditLog"]):
            with pytest.raises(ForbiddenHostError):
                await http.get(f"http://{host}/ping")
    assert {s.host for s in world.server.seen(path="/ping")} == {
        "crm.example.com",
        "eu.example.org",
        "partner.test",
        SERVICES["msgHist"],
    }


async def test_enforce_allowlist_false_lets_any_host_through_without_asking_csds() -> None:
    async with World(extra_hosts=("anywhere.example.net",)) as world, world.toolbelt(enforce_allowlist=False) as tb:
        for host in (SERVICES["auditLog"], SERVICES["mavenContext"], "anywhere.example.net"):
            assert (await tb.http_client().get(f"http://{host}/ping")).status == 200
    assert world.csds_requests() == []


async def test_no_csds_io_for_hosts_already_decided_until_the_csds_cache_expires() -> None:
    clock = FakeClock()
    async with (
        World(extra_hosts=("partner.test",)) as world,
        world.toolbelt(allowlist=("partner.test",), clock=clock) as tb,
    ):
        http = tb.http_client()
        await http.get("http://partner.test/ping")  # an allowlist= entry: decided without CSDS
        assert world.csds_requests() == []
        await http.get(f"http://{SERVICES['msgHist']}/ping")
        assert len(world.csds_requests()) == 1
        for _ in range(5):
            for service in ("msgHist", "smt", "sentinel"):
                await http.get(f"http://{SERVICES[service]}/ping")
            with pytest.raises(ForbiddenHostError):
                await http.get(f"http://{SERVICES['auditLog']}/ping")
        assert len(world.csds_requests()) == 1
        clock.now += 601  # the CSDS cache (600 s) expired: the next decision that needs the map fetches it again
        await http.get(f"http://{SERVICES['swift']}/ping")
        assert len(world.csds_requests()) == 2


async def test_a_hundred_concurrent_first_calls_fetch_csds_once() -> None:
    async with World(csds_delay=0.05) as world, world.toolbelt() as tb:
        http = tb.http_client()
        allowed = [http.get(f"http://{SERVICES['msgHist']}/ping") for _ in range(60)]
        refused = [http.get(f"http://{SERVICES['auditLog']}/ping") for _ in range(40)]
        results = await asyncio.gather(*allowed, *refused, return_exceptions=True)
    assert [getattr(r, "status", None) for r in results[:60]] == [200] * 60
    assert all(isinstance(r, ForbiddenHostError) for r in results[60:])
    assert len(world.csds_requests()) == 1
    assert world.server.seen(host=SERVICES["auditLog"]) == []
