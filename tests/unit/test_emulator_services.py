"""The emulator's CSDS service sets and its allowlist rule, as pure functions (no server)."""

from __future__ import annotations

import pytest
from yarl import URL

from lp_toolbelt.emulator.services import (
    ALLOWLIST_SERVICES,
    INFRA_SERVICES,
    SERVICE_NAMES,
    proxy_allowlist,
    service_host,
    unlisted_host,
)
from lp_toolbelt.enums import LpServices


def test_the_service_sets_are_the_contracts() -> None:
    assert len(ALLOWLIST_SERVICES) == 15
    assert "faasGW" in ALLOWLIST_SERVICES
    assert {"sentinel", "mtlsGateway"} == INFRA_SERVICES
    assert not ALLOWLIST_SERVICES & INFRA_SERVICES
    assert {"mavenContext", "auditLog"}.isdisjoint(ALLOWLIST_SERVICES | INFRA_SERVICES)
    assert {s.value for s in LpServices} | ALLOWLIST_SERVICES | INFRA_SERVICES | {"mavenContext"} == set(SERVICE_NAMES)
    assert len(SERVICE_NAMES) == len(set(SERVICE_NAMES))


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1:8088", "localhost:8088"),
        ("[::1]:8088", "localhost:8088"),
        ("va.msghist.liveperson.net", "localhost"),
        ("[::1]", "localhost"),
    ],
)
def test_unlisted_host_keeps_the_port(host: str, expected: str) -> None:
    assert unlisted_host(host) == expected


def test_service_host_splits_default_and_other_services() -> None:
    assert service_host("msgHist", "127.0.0.1:9") == "127.0.0.1:9"
    assert service_host("sentinel", "127.0.0.1:9") == "127.0.0.1:9"
    assert service_host("mavenContext", "127.0.0.1:9") == "localhost:9"
    assert service_host("auditLog", "127.0.0.1:9") == "localhost:9"
    assert service_host("someFutureService", "127.0.0.1:9") == "localhost:9"


def test_proxy_allowlist_is_built_from_the_csds_answer() -> None:
    services = {"msgHist": "va.msghist.liveperson.net", "mavenContext": "z1.context.liveperson.net"}
    allow = proxy_allowlist(services, "api.liveperson.net", ["*.example.org"])
    allowed = ["https://va.msghist.liveperson.net/x", "https://api.liveperson.net/", "https://a.example.org/"]
    refused = ["https://z1.context.liveperson.net/", "https://lo.msghist.liveperson.net/", "https://example.org/"]
    assert [allow.allows(URL(u)) for u in allowed] == [True] * 3
    assert [allow.allows(URL(u)) for u in refused] == [False] * 3
    assert not proxy_allowlist(services, None, []).allows(URL("https://api.liveperson.net/"))
