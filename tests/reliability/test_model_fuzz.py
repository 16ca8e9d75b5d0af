"""Random JSON where the library expects LivePerson payloads (hypothesis).

Every parse path — a server answer reaching a client over HTTP (the emulator answers with the generated body), a
conversation handed to the pure utilities, a secret's value — either yields a valid result or raises a
``ToolbeltError``: never a raw pydantic ``ValidationError``, ``json`` / ``KeyError`` / ``TypeError`` ...
Bodies are random JSON, real payloads with one node replaced or removed, and arbitrary bytes.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lp_toolbelt import Conversation, Toolbelt, ToolbeltConfig, ToolbeltError
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.utils.gdpr import collect_file_paths
from lp_toolbelt.utils.keyword_scan import scan_conversation_for_keywords
from lp_toolbelt.utils.sde import SDEUtil

from .ops import context_client, conversation_get, csds_get, http_get, lp_oauth2_get, salesforce, sf_query

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=16,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, template: Any) -> Any:
    """``template`` with one node replaced by random JSON, or removed."""
    doc = copy.deepcopy(template)
    path = draw(st.sampled_from(_paths(doc)))
    if not path:
        return draw(JSON)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON)
    return doc


def bodies(template: Any) -> st.SearchStrategy[bytes]:
    as_json = st.one_of(JSON, mutated(template), mutated(template)).map(lambda v: json.dumps(v).encode())
    cut = st.integers(min_value=0, max_value=40).map(lambda n: json.dumps(template).encode()[:n])
    return st.one_of(as_json, st.binary(max_size=48), cut)


CONVERSATION: dict[str, Any] = json.loads(
    resources.files("lp_toolbelt.emulator")
    .joinpath("data", "conversations", "msghist_conversation_by_id.json")
    .read_text(encoding="utf-8")
)


@dataclass(frozen=True)
class Target:
    """A client call whose answer (from ``route``) is replaced by the generated body."""

    name: str
    route: str
    call: Callable[[Toolbelt, Emulator], Awaitable[Any]]
    template: Any


async def _context_namespaces(tb: Toolbelt, emu: Emulator) -> Any:
    return await context_client(tb, emu).get_list_of_namespaces()


async def _context_sessions(tb: Toolbelt, emu: Emulator) -> Any:
    return await context_client(tb, emu).get_list_of_sessions("custom")


async def _context_property(tb: Toolbelt, emu: Emulator) -> Any:
    return await context_client(tb, emu).get_property_in_session("custom", "p", "s-1")


async def _context_properties(tb: Toolbelt, emu: Emulator) -> Any:
    return await context_client(tb, emu).get_all_properties_in_session("custom", "s-1")


async def _sf_query_all(tb: Toolbelt, emu: Emulator) -> Any:
    return [record async for record in salesforce(tb, emu).query_all("SELECT Id FROM Account")]


async def _sf_retrieve(tb: Toolbelt, emu: Emulator) -> Any:
    return await salesforce(tb, emu).sobject("Account").retrieve("001000000000001AAA")


async def _sf_refresh(tb: Toolbelt, emu: Emulator) -> Any:
    emu.state.salesforce.expire_access_tokens()
    return await sf_query(tb, emu)


TARGETS: tuple[Target, ...] = (
    Target("http-json", "csds", http_get, {"baseURIs": []}),
    Target("csds", "csds", csds_get, {"baseURIs": [{"service": "msgHist", "account": "1", "baseURI": "h"}]}),
    Target("oauth2-token", "sentinel", lp_oauth2_get, {"access_token": "t", "token_type": "Bearer", "expires_in": "9"}),
    Target("conversation", "msghist", conversation_get, CONVERSATION),
    Target("context-namespaces", "context-namespaces", _context_namespaces, [{"name": "n", "createdAt": "x"}]),
    Target("context-sessions", "context-session-ids", _context_sessions, ["s-1", "s-2"]),
    Target("context-property", "context-property", _context_property, {"a": [1, 2]}),
    Target("context-properties", "context-properties", _context_properties, {"a": 1, "b": {"c": None}}),
    Target("sf-query", "sf-query", _sf_query_all, {"totalSize": 1, "done": True, "records": [{"Id": "1"}]}),
    Target("sf-retrieve", "sf-record", _sf_retrieve, {"Id": "001000000000001AAA", "Name": "Acme"}),
    Target("sf-refresh", "sf-token", _sf_refresh, {"access_token": "a", "instance_url": "http://127.0.0.1:1"}),
)


@pytest.fixture
async def fuzz_emu() -> AsyncIterator[Emulator]:
    async with Emulator(rate_limit=None) as emulator:
        yield emulator


async def _answer_with(emu: Emulator, target: Target, body: bytes, status: int) -> Any:
    fault = emu.state.faults.add(target.route, "status", status=status, body=body, content_type="application/json")
    try:
        async with Toolbelt(emu.config(max_retries=0, timeout=5.0)) as tb:
            try:
                result = await target.call(tb, emu)
            except ToolbeltError as err:
                result = err
        assert fault.applied == 1  # the generated answer was served
        return result
    finally:
        emu.state.faults.clear()
        emu.state.salesforce.access_tokens.clear()
        emu.state.salesforce.access_tokens.update(type(emu.state.salesforce).seeded().access_tokens)


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_server_answers_become_results_or_toolbelt_errors(
    target: Target, fuzz_emu: Emulator, data: st.DataObject
) -> None:
    body = data.draw(bodies(target.template), label="body")
    status = data.draw(st.sampled_from([200, 200, 200, 201, 400, 404, 500]), label="status")
    # Anything but a result or a ToolbeltError escapes _answer_with and fails the example.
    await _answer_with(fuzz_emu, target, body, status)


def test_the_real_payloads_parse() -> None:
    """The templates are valid: mutations start from payloads the library accepts."""
    conv = Conversation.model_validate(CONVERSATION)
    assert conv.first_record is not None
    assert collect_file_paths(CONVERSATION) == []


CONVERSATION_INPUT = st.one_of(JSON, mutated(CONVERSATION), mutated({"conversationHistoryRecords": [{}]}))


@settings(max_examples=300, deadline=None)
@given(CONVERSATION_INPUT)
def test_pure_utilities_take_any_json(value: Any) -> None:
    """The pure utilities accept a conversation as raw JSON: any value gives a result or a ToolbeltError."""
    for call in (
        lambda: collect_file_paths(value),
        lambda: scan_conversation_for_keywords(value, ["refund"]),
        lambda: _sde_util().get_sdes_from_conv(value),
    ):
        with contextlib.suppress(ToolbeltError):
            call()


def _sde_util() -> SDEUtil:
    return Toolbelt(ToolbeltConfig(account_id="1", secrets={}, secrets_file=None)).sde_util()  # no I/O: pure use


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(JSON)
async def test_secret_values_round_trip(value: Any) -> None:
    """Any JSON value stored as a secret reads back equal; a string holding JSON comes back parsed, as Node's
    ``JSON.parse`` does (which knows no NaN/Infinity)."""
    async with Toolbelt(ToolbeltConfig(account_id="1", secrets={"k": value}, secrets_file=None)) as tb:
        entry = await tb.secret_client().read_secret("k")
    expected = value
    if isinstance(value, str):
        try:
            expected = json.loads(value, parse_constant=_refuse)
        except ValueError:
            expected = value
    assert entry.value == expected


def _refuse(constant: str) -> Any:
    raise ValueError(constant)
