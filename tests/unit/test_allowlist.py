from __future__ import annotations

import pytest
from yarl import URL

from lp_toolbelt._constants import DEFAULT_ALLOWLIST
from lp_toolbelt.transport.allowlist import Allowlist, normalize_host

ALLOW = Allowlist((*DEFAULT_ALLOWLIST, "my.crm.example.com", "127.0.0.1:8080", "*.example.org"))


@pytest.mark.parametrize(
    "url",
    [
        "https://api.liveperson.net/x",
        "https://va.msghist.liveperson.net/messaging_history/api",
        "https://a.b.msghist.liveperson.net/",
        "https://API.LivePerson.NET/x",
        "https://api.liveperson.net./x",
        "http://127.0.0.1:8080/x",
        "https://my.crm.example.com:8443/x",
        "https://deep.sub.example.org/x",
    ],
)
def test_allowed(url: str) -> None:
    assert ALLOW.allows(URL(url))


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.com/",
        "https://api.liveperson.net@evil.com/",
        "https://user:pw@evil.com/api.liveperson.net",
        "https://evil.com/?https://api.liveperson.net",
        "https://api.liveperson.net.evil.com/",
        "https://evilliveperson.net/",
        "https://msghist.liveperson.net/",  # a wildcard does not match its own domain
        "https://xmsghist.liveperson.net/",
        "https://example.org/",
        "http://127.0.0.1:8081/x",
        "http://127.0.0.1/x",
        "ftp://api.liveperson.net/",
        "/relative/path",
    ],
)
def test_refused(url: str) -> None:
    assert not ALLOW.allows(URL(url))


def test_port_specific_wildcard() -> None:
    allow = Allowlist(["*.local.test:9000"])
    assert allow.allows(URL("http://a.local.test:9000/"))
    assert not allow.allows(URL("http://a.local.test:9001/"))


def test_idna_and_normalize() -> None:
    allow = Allowlist(["bücher.example"])
    assert allow.allows(URL("https://xn--bcher-kva.example/"))
    assert allow.allows(URL("https://BÜCHER.example/"))
    assert normalize_host("Example.COM.") == "example.com"
    assert normalize_host("a..b") == ""


def test_entries_and_invalid_entries_ignored() -> None:
    allow = Allowlist(["", "host:notaport", "*.Ok.Example", "x.test:81"])
    assert allow.entries == ("*.ok.example", "x.test:81")
