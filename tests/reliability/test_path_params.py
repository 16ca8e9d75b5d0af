"""Path parameters cannot change the request target.

Every client argument that lands in a URL path (namespaces, session ids, property names, visitor ids, sObject names
and record ids, secret keys) is sent to the emulator with hostile values (``../``, ``?``, ``#``, ``%2F``, dot
segments ...). Each call is either refused before any request (InvalidArgumentError) or sends exactly the request a
benign value would — same number of path segments, same route, same query keys — with the value confined, intact,
to its own segment (or query parameter). The URLs are captured on the client side, as aiohttp sends them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import aiohttp
import pytest
from yarl import URL

from lp_toolbelt import Toolbelt, ToolbeltError
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.state import DEFAULT_CONTEXT_API_KEY, SALESFORCE_ACCESS_TOKEN
from lp_toolbelt.errors import InvalidArgumentError

HOSTILE = [
    "..",
    ".",
    "../x",
    "../../../../etc/passwd",
    "a/b",
    "a?b=c",
    "a#b",
    "?",
    "#",
    "%2e%2e",
    "..%2F",
    "a%2Fb",
    "a b",
    "ü/../ß",
    "a;b=c",
    "&sid=evil",
    "%00",
    "\\..\\",
]
BENIGN = "benign-7Q"


@dataclass(frozen=True)
class Site:
    """A client call with one argument that ends up in the URL (path segment or query value)."""

    name: str
    call: Callable[[Toolbelt, str], Awaitable[Any]]
    route: str | None  # the emulator route a benign value reaches (None: no request at all)
    in_query: str | None = None  # the query parameter carrying the value, when not a path segment
    benign: str = BENIGN


def _ctx(tb: Toolbelt) -> Any:
    return tb.context_service_client(DEFAULT_CONTEXT_API_KEY)


def _sdes() -> list[dict[str, Any]]:
    return [{"type": "ctmrinfo", "info": {"customerId": "c-1"}}]


def _sf(tb: Toolbelt) -> Any:
    login = f"http://{tb.config.csds_domain}"  # the emulator
    return tb.sf_client().connect_to_salesforce(
        login_url=login, access_token=SALESFORCE_ACCESS_TOKEN, instance_url=login
    )


SITES: tuple[Site, ...] = (
    Site("context.namespace", lambda tb, v: _ctx(tb).get_all_properties_in_session(v, "s1"), "context-properties"),
    Site("context.session_id", lambda tb, v: _ctx(tb).get_all_properties_in_session("ns1", v), "context-properties"),
    Site("context.property", lambda tb, v: _ctx(tb).get_property_in_session("ns1", v, "s1"), "context-property"),
    Site("context.del_property", lambda tb, v: _ctx(tb).delete_property_in_session("ns1", v, "s1"), "context-property"),
    Site("context.delete_session", lambda tb, v: _ctx(tb).delete_session("ns1", v), "context-properties"),
    Site("context.list_sessions", lambda tb, v: _ctx(tb).get_list_of_sessions(v), "context-session-ids"),
    Site("context.delete_namespace", lambda tb, v: _ctx(tb).delete_namespace(v), "context-namespace"),
    Site("sde.visitor_id", lambda tb, v: tb.sde_util().add_sdes(_sdes(), v, "session-1"), "smt"),
    Site("sde.session_id", lambda tb, v: tb.sde_util().add_sdes(_sdes(), "visitor-1", v), "smt", in_query="sid"),
    Site("salesforce.sobject", lambda tb, v: _sf(tb).sobject(v).describe(), "sf-describe", benign="Account"),
    Site(
        "salesforce.record_id",
        lambda tb, v: _sf(tb).sobject("Account").retrieve(v),
        "sf-record",
        benign="001000000000001AAA",
    ),
    Site("secrets.key", lambda tb, v: tb.secret_client().read_secret(v), None),
)
"""Every place a caller's value becomes part of a URL. One line per site."""


class Recorder:
    """The URLs aiohttp starts requests for (client-side trace)."""

    def __init__(self) -> None:
        self.urls: list[URL] = []
        self.trace = aiohttp.TraceConfig()
        self.trace.on_request_start.append(self._on_start)

    async def _on_start(self, _session: object, _ctx: object, params: aiohttp.TraceRequestStartParams) -> None:
        self.urls.append(params.url)


@pytest.fixture
async def env(emu: Emulator) -> AsyncIterator[tuple[Toolbelt, Recorder, Emulator]]:
    recorder = Recorder()
    async with (
        aiohttp.ClientSession(trace_configs=[recorder.trace]) as session,
        Toolbelt(emu.config(max_retries=0), session=session) as tb,
    ):
        await tb.csds_client().get_all()  # warm the CSDS cache: only the call's own requests are recorded
        yield tb, recorder, emu


async def _send(site: Site, tb: Toolbelt, recorder: Recorder, value: str) -> tuple[URL | None, BaseException | None]:
    recorder.urls.clear()
    try:
        await site.call(tb, value)
        error: BaseException | None = None
    except ToolbeltError as err:  # 404, 400 ... from the emulator: fine, the target is what is checked
        error = err
    urls = [u for u in recorder.urls if "/sentinel/" not in u.path]
    assert len(urls) <= 1, urls
    return (urls[0] if urls else None), error


def _route(emu: Emulator) -> list[str | None]:
    return [r.route for r in emu.state.requests if r.route not in ("csds", "sentinel")]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("site", SITES, ids=[s.name for s in SITES])
async def test_value_cannot_change_the_target(site: Site, value: str, env: tuple[Toolbelt, Recorder, Emulator]) -> None:
    tb, recorder, emu = env
    benign_url, _ = await _send(site, tb, recorder, site.benign)
    assert _route(emu) == ([site.route] if site.route else [])
    assert (benign_url is None) == (site.route is None)
    emu.state.clear_requests()
    url, error = await _send(site, tb, recorder, value)

    if url is None:  # refused before any request
        assert isinstance(error, InvalidArgumentError), error
        assert not _route(emu)
        return
    assert benign_url is not None
    assert (url.host, url.port) == (benign_url.host, benign_url.port)
    assert not url.raw_fragment
    assert _route(emu) == [site.route]
    if site.in_query is not None:
        assert url.raw_path == benign_url.raw_path
        assert sorted(url.query.keys()) == sorted(benign_url.query.keys())
        assert url.query[site.in_query] == value
        return
    sent, benign = url.raw_path.split("/"), benign_url.raw_path.split("/")
    assert len(sent) == len(benign), (url.raw_path, benign_url.raw_path)
    position = benign.index(site.benign)
    assert sent[:position] == benign[:position]
    assert sent[position + 1 :] == benign[position + 1 :]
    assert unquote(sent[position]) == value
    assert url.raw_query_string == benign_url.raw_query_string
