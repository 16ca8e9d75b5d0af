"""Issue 11.7 against an independent fake SMT: ``SDETypes`` are suggestions — any ``type`` the API accepts goes
through untouched — and ``add_sdes`` returns SMT's answer."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import web

from lp_toolbelt import ErrorCodes, HttpResponse, HttpStatusError, InvalidArgumentError, SDETypes
from tests.fidelity.fakes import ACCOUNT, SERVICES, Seen, World, reply

SMT = SERVICES["smt"]
PATH = f"/api/account/{ACCOUNT}/monitoring/visitors/visitor-1/visits/current/events"


async def smt(seen: Seen) -> web.StreamResponse:
    """The monitoring API: ``?v=1&sid=...``, a JSON list of objects with a string ``type`` (any type)."""
    query = dict(parse_qsl(seen.query))
    events = seen.json()
    if query.get("v") != "1" or not query.get("sid") or not isinstance(events, list):
        return web.json_response({"error": "bad request"}, status=400)
    if not all(isinstance(e, dict) and isinstance(e.get("type"), str) for e in events):
        return web.json_response({"error": "every event needs a type"}, status=400)
    return web.json_response({"visitorId": "visitor-1", "sessionId": query["sid"], "received": len(events)})


async def test_any_sde_type_goes_through_and_add_sdes_returns_the_smt_answer() -> None:
    sdes: list[dict[str, Any]] = [
        {"type": "myCompanyCustomType", "payload": {"tier": "gold"}},
        {"type": SDETypes.CART, "total": 11.7, "products": [{"product": {"name": "prod1"}, "quantity": 1}]},
    ]
    async with World() as world, world.toolbelt() as tb:
        world.route("PUT", PATH, smt, host=SMT)
        resp = await tb.sde_util().add_sdes(sdes, "visitor-1", "session-1")
    assert isinstance(resp, HttpResponse)
    assert resp.status == 200
    assert resp.json() == {"visitorId": "visitor-1", "sessionId": "session-1", "received": 2}
    (seen,) = world.server.seen(host=SMT)
    assert seen.json() == [
        {"type": "myCompanyCustomType", "payload": {"tier": "gold"}},
        {"type": "cart", "total": 11.7, "products": [{"product": {"name": "prod1"}, "quantity": 1}]},
    ]
    assert seen.query == "v=1&sid=session-1"


async def test_a_refusal_of_the_api_is_the_unexpected_response_error() -> None:
    async with World() as world, world.toolbelt() as tb:
        world.route("PUT", PATH, smt, host=SMT)
        with pytest.raises(InvalidArgumentError) as refused:
            await tb.sde_util().add_sdes([{"type": ""}], "visitor-1", "session-1")
        assert refused.value.code == ErrorCodes.SDES_GENERAL
        assert world.server.seen(host=SMT) == []  # structural validation: an empty type is refused before sending
        world.route("PUT", PATH, reply(422, {"error": "unknown type"}), host=SMT)
        with pytest.raises(HttpStatusError) as info:
            await tb.sde_util().add_sdes([{"type": "rejected-by-smt"}], "visitor-1", "session-1")
    assert (info.value.code, info.value.status) == (ErrorCodes.SDES_UNEXPECTED_RESPONSE, 422)
    assert "unknown type" in info.value.message
