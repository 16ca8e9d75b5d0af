"""Hostile URLs against the proxy allowlist (hypothesis).

Generated URLs mix userinfo, IP literals in decimal/hex/octal/IPv6 forms, trailing dots, mixed case, IDNA and
homoglyphs, ports and look-alike suffixes. The library's decision must equal a reference check written
independently (label by label) on the host aiohttp would actually contact (``URL.raw_host``), and a refused URL
must never open a connection.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from yarl import URL

from lp_toolbelt import ErrorCodes, Toolbelt, ToolbeltConfig, ToolbeltError
from lp_toolbelt._constants import DEFAULT_ALLOWLIST
from lp_toolbelt.clients.http import build_request
from lp_toolbelt.errors import ForbiddenHostError, InvalidArgumentError
from lp_toolbelt.transport.allowlist import Allowlist

ENTRIES: tuple[str, ...] = (
    *DEFAULT_ALLOWLIST,
    "my.crm.example.com",
    "assets.example.com",
    "*.example.org",
    "127.0.0.1:8080",
    "[::1]:9090",
    "xn--bcher-kva.example",  # bücher.example
    "*.api.test:8443",
)
ALLOW = Allowlist(ENTRIES)
# The account's CSDS answer: its default services' hosts join the allowlist (none of the refused URLs is one).
CSDS_ANSWER = {"msgHist": "va.msghist.liveperson.net", "sentinel": "va.sentinel.liveperson.net"}


# ------------------------------------------------------------------------------------------------ the reference
def _entry(text: str) -> tuple[bool, tuple[str, ...], int | None]:
    """(wildcard, labels, port) of an allowlist entry, parsed without the library's code."""
    wildcard = text.startswith("*.")
    text = text.removeprefix("*.")
    port: int | None = None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") else None
        return wildcard, (ipaddress.ip_address(host).compressed,), port
    if ":" in text:
        text, _, port_text = text.rpartition(":")
        port = int(port_text)
    return wildcard, tuple(text.lower().split(".")), port


REFERENCE = [_entry(e) for e in ENTRIES]


def reference_allows(url: URL) -> bool:
    """Allowed iff http(s) and the contacted host's labels equal an entry's (or extend a wildcard's)."""
    if url.scheme not in ("http", "https") or not url.raw_host:
        return False
    raw = url.raw_host.lower()
    if ":" in raw:  # an IPv6 literal: yarl already gives the compressed form
        labels: tuple[str, ...] = (raw,)
    else:
        if raw.endswith("."):
            raw = raw[:-1]
        labels = tuple(raw.split("."))
        if any(not label for label in labels):
            return False
    for wildcard, entry_labels, port in REFERENCE:
        if port is not None and url.port != port:
            continue
        if wildcard:
            n = len(entry_labels)
            if len(labels) > n and labels[-n:] == entry_labels:
                return True
        elif labels == entry_labels:
            return True
    return False


# ------------------------------------------------------------------------------------------------ strategies
_HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "s": "ſ", "i": "і"}  # Cyrillic, long s
_LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


def _entry_hosts() -> list[str]:
    hosts = []
    for e in ENTRIES:
        text = e.removeprefix("*.")
        if text.startswith("["):
            hosts.append(text[: text.index("]") + 1])
        else:
            hosts.append(text.rsplit(":", 1)[0] if text.count(":") == 1 else text)
    return hosts


ENTRY_HOSTS = _entry_hosts()


@st.composite
def hosts(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from(ENTRY_HOSTS))
    form = draw(
        st.sampled_from(
            ["as-is", "sub", "prefix", "suffix", "case", "dot", "homoglyph", "fullwidth", "ss", "ip", "random", "drop"]
        )
    )
    if form == "sub":
        return f"{draw(_LABEL)}.{base}"
    if form == "prefix":
        return f"{draw(_LABEL)}{base}"  # evilapi.liveperson.net
    if form == "suffix":
        return f"{base}.{draw(_LABEL)}.com"  # api.liveperson.net.evil.com
    if form == "case":
        return "".join(c.upper() if draw(st.booleans()) else c for c in base)
    if form == "dot":
        return base + draw(st.sampled_from([".", "..", ".%2e"]))
    if form == "homoglyph":
        candidates = [i for i, c in enumerate(base) if c in _HOMOGLYPHS]
        if not candidates:
            return base
        i = draw(st.sampled_from(candidates))
        return base[:i] + _HOMOGLYPHS[base[i]] + base[i + 1 :]
    if form == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) if c.isalpha() and draw(st.booleans()) else c for c in base)
    if form == "ss":
        return base.replace("ss", "ß")
    if form == "ip":
        return draw(
            st.sampled_from(
                [
                    "127.0.0.1",
                    "2130706433",  # decimal 127.0.0.1
                    "0x7f000001",  # hex
                    "0177.0.0.1",  # octal
                    "127.1",
                    "127.0.0.1.",
                    "[::1]",
                    "[0:0:0:0:0:0:0:1]",
                    "[::ffff:127.0.0.1]",
                    "[::ffff:7f00:1]",
                    "[::1%25lo]",
                    "[fe80::1]",
                ]
            )
        )
    if form == "random":
        return ".".join(draw(st.lists(_LABEL, min_size=1, max_size=4)))
    if form == "drop":
        return base[1:]
    return base


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTPS", "ftp", "ws", "file"]))
    userinfo = draw(
        st.sampled_from(
            [
                "",
                "user@",
                "user:pw@",
                "api.liveperson.net@",
                "api.liveperson.net:443@",
                "a@b@",
                "%40@",
                "my.crm.example.com:x@",
            ]
        )
    )
    host = draw(hosts())
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":9090", ":8443", ":1", ":65535"]))
    path = draw(
        st.sampled_from(["/", "/x", "/@api.liveperson.net", "?u=https://api.liveperson.net", "#@api.liveperson.net"])
    )
    return f"{scheme}://{userinfo}{host}{port}{path}"


# ------------------------------------------------------------------------------------------------ properties
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(urls())
@example("https://api.liveperson.net@evil.com/")
@example("https://aßets.example.com/")  # IDNA 2003 says assets.example.com; the resolver gets xn--aets-vna...
@example("http://2130706433:8080/")
@example("http://[::ffff:127.0.0.1]:8080/")
@example("https://API.LIVEPERSON.NET./")
@example("https://evilliveperson.net/")
@example("https://msghist.liveperson.net/")
@example("https://bücher.example/")
def test_allowlist_matches_reference(text: str) -> None:
    try:
        url = URL(text)
    except ValueError:
        # Unparseable: the client refuses it as a bad argument, before any request.
        with pytest.raises(InvalidArgumentError):
            build_request("GET", text)
        return
    assert ALLOW.allows(url) == reference_allows(url), (text, url.raw_host, url.port)


@given(st.sampled_from([h for h in ENTRY_HOSTS if not h.startswith("[")]), st.sampled_from(["", "x.", "deep.sub."]))
def test_userinfo_never_decides(allowed_host: str, sub: str) -> None:
    """Whatever the userinfo says, the decision is the one for the real host."""
    url = URL(f"https://{sub}{allowed_host}@evil.example.net/")
    assert url.raw_host == "evil.example.net"
    assert not ALLOW.allows(url)


def test_reference_is_not_trivial() -> None:
    """The reference check itself allows and refuses the expected things (so agreement means something)."""
    assert reference_allows(URL("https://va.msghist.liveperson.net/x"))
    assert reference_allows(URL("http://[::1]:9090/"))
    assert reference_allows(URL("http://127.0.0.1:8080/"))
    assert not reference_allows(URL("http://127.0.0.1:8081/"))
    assert not reference_allows(URL("https://msghist.liveperson.net/"))
    assert not reference_allows(URL("https://aßets.example.com/"))


# ------------------------------------------------------------------------------------------------ no connection
class _Connections:
    """Counts requests aiohttp starts on a session (trace hook)."""

    def __init__(self) -> None:
        self.started = 0
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_start.append(self._on_start)

    async def _on_start(self, *_: object) -> None:
        self.started += 1


REFUSED = [
    "https://api.liveperson.net@evil.com/",
    "https://aßets.example.com/",
    "http://2130706433:8080/",
    "http://0x7f000001:8080/",
    "http://[::ffff:127.0.0.1]:8080/",
    "https://api.liveperson.net.evil.com/",
    "https://evilliveperson.net/",
    "https://аpi.liveperson.net/",  # Cyrillic а
    "http://127.0.0.1:8081/",
]


def _refused() -> Iterator[str]:
    for text in REFUSED:
        assert not reference_allows(URL(text)), text
        yield text


@pytest.mark.parametrize("text", list(_refused()))
async def test_refused_url_opens_no_connection(text: str) -> None:
    counter = _Connections()
    async with aiohttp.ClientSession(trace_configs=[counter.trace]) as session:
        config = ToolbeltConfig(account_id="1", allowlist=ENTRIES, secrets={}, secrets_file=None)
        async with Toolbelt(config, session=session) as tb:
            tb.csds_cache.set("1", CSDS_ANSWER, 600)  # the account's services: decided without I/O
            with pytest.raises(ToolbeltError) as info:
                await tb.http_client().get(text)
    assert isinstance(info.value, ForbiddenHostError)
    assert info.value.status == 403
    assert info.value.code == ErrorCodes.HTTP_FORBIDDEN_HOST
    assert counter.started == 0
