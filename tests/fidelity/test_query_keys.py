"""Issue 11.4 against an independent fake: repeated query keys go out as ``k=1&k=2``, in order, through the HTTP
client and the LP client (OAuth 2.0 and OAuth 1.0a), and the OAuth 1.0a signature covers every one of them: the
fake verifies it with oauthlib over the URL it received, as LivePerson does."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from multidict import MultiDict

from lp_toolbelt import LpServices
from tests.fidelity.fakes import OAUTH1_API_KEY, SERVICES, Seen, World, oauth1_api, oauth1_valid

HOST = SERVICES["msgHist"]
PAIRS = [("k", "1"), ("k", "2"), ("q", "a b/ä+"), ("k", "3")]
PARAMS: list[tuple[str, Any]] = [
    ("multidict", MultiDict(PAIRS)),
    ("pairs", PAIRS),
    ("list values", {"k": ["1", "2", "3"], "q": "a b/ä+"}),
]
# The order a mapping with list values can express: each key's values together, keys in insertion order.
EXPECTED = {
    "multidict": PAIRS,
    "pairs": PAIRS,
    "list values": [("k", "1"), ("k", "2"), ("k", "3"), ("q", "a b/ä+")],
}


def _received(seen: Seen) -> list[tuple[str, str]]:
    return parse_qsl(seen.query, keep_blank_values=True)


async def test_repeated_keys_go_out_in_order_in_the_raw_query() -> None:
    async with World() as world, world.toolbelt() as tb:
        await tb.http_client().get(f"http://{HOST}/ping", params=MultiDict([("k", "1"), ("k", "2")]))
        await tb.http_client().get(f"http://{HOST}/ping", params={"k": ["1", "2"]})
    assert [s.query for s in world.server.seen(host=HOST)] == ["k=1&k=2", "k=1&k=2"]


@pytest.mark.parametrize(("kind", "params"), PARAMS, ids=[k for k, _ in PARAMS])
async def test_http_client(kind: str, params: Any) -> None:
    async with World() as world, world.toolbelt() as tb:
        resp = await tb.http_client().get(f"http://{HOST}/ping", params=params)
    assert resp.status == 200
    (seen,) = world.server.seen(host=HOST)
    assert _received(seen) == EXPECTED[kind]


@pytest.mark.parametrize(("kind", "params"), PARAMS, ids=[k for k, _ in PARAMS])
async def test_lp_client_oauth2(kind: str, params: Any) -> None:
    async with World() as world, world.toolbelt() as tb:
        resp = await tb.lp_client()(LpServices.MSG_HIST, "/ping?v=2", params=params)
    assert resp.status == 200
    (seen,) = world.server.seen(host=HOST)
    assert _received(seen) == [("v", "2"), *EXPECTED[kind]]  # the path's own query first
    assert seen.headers["Authorization"] == "Bearer at-1"


@pytest.mark.parametrize(("kind", "params"), PARAMS, ids=[k for k, _ in PARAMS])
async def test_lp_client_oauth1_signature_covers_every_repeated_key(kind: str, params: Any) -> None:
    secrets = {"lp-faas-default-app-key": OAUTH1_API_KEY}
    async with World() as world, world.toolbelt(secrets=secrets) as tb:
        world.route("*", "/signed", oauth1_api(OAUTH1_API_KEY["consumerSecret"], OAUTH1_API_KEY["tokenSecret"]))
        resp = await tb.lp_client()(LpServices.MSG_HIST, "/signed?v=2", method="POST", params=params, json={"a": 1})
    assert resp.status == 200  # the fake verified the signature over the query it received
    (seen,) = world.server.seen(host=HOST)
    assert _received(seen) == [("v", "2"), *EXPECTED[kind]]
    # The check is not blind: the same signature fails over the query with the repeated keys collapsed.
    collapsed = urlencode(dict(parse_qsl(seen.query)))
    assert not oauth1_valid(dataclasses.replace(seen, query=collapsed), "cs-1", "ts-1")
    assert not oauth1_valid(seen, "cs-1", "wrong-token-secret")
