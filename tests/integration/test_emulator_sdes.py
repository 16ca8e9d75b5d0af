"""SDEs reported through the SMT monitoring API, read back through the Messaging Interactions API, with a raw
aiohttp client and an OAuth 2.0 token of the demo seed's ``LIVEPERSON_DEFAULT_APP_KEY``.

From the contract (liveperson-surface.md, "SDE Util"): SDEs reported this way are unauthenticated, listed under
``unAuthSdes`` (``isAuthenticated: false``, returned with ``v=2`` only), not immediately; never under ``sdes``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.routes.msghist import add_conversation

VISITOR = "visitor-42"


@pytest.fixture
async def session(emu: Emulator) -> AsyncIterator[aiohttp.ClientSession]:
    """A session carrying a Sentinel token of ``LIVEPERSON_DEFAULT_APP_KEY`` (V2's OAuth 2.0 default app key)."""
    app = emu.state.secrets["LIVEPERSON_DEFAULT_APP_KEY"]
    form = {"client_id": app["client_id"], "client_secret": app["client_secret"], "grant_type": "client_credentials"}
    host = emu.state.services["sentinel"]
    url = f"http://{host}/sentinel/api/v2/account/{emu.state.account_id}/app/token?v=2.0"
    async with aiohttp.ClientSession() as client:
        async with client.post(url, data=form) as resp:
            assert resp.status == 200
            token = await resp.json()
        assert isinstance(token["expires_in"], str)
        client.headers["Authorization"] = f"{token['token_type']} {token['access_token']}"
        yield client


async def report(emu: Emulator, session: aiohttp.ClientSession, sdes: list[dict[str, Any]]) -> None:
    host = emu.state.services["smt"]
    path = f"/api/account/{emu.state.account_id}/monitoring/visitors/{VISITOR}/visits/current/events"
    async with session.put(f"http://{host}{path}", params={"v": "1", "sid": "s-1"}, json=sdes) as resp:
        assert resp.status == 200


async def record(emu: Emulator, session: aiohttp.ClientSession, conversation_id: str, v: str) -> dict[str, Any]:
    host = emu.state.services["msgHist"]
    path = f"/messaging_history/api/account/{emu.state.account_id}/conversations/conversation/search"
    params = {"v": v, "source": "FaaS_Toolbelt"}
    async with session.post(f"http://{host}{path}", params=params, json={"conversationId": conversation_id}) as resp:
        assert resp.status == 200
        body = await resp.json()
    (found,) = body["conversationHistoryRecords"]
    result: dict[str, Any] = found
    return result


async def test_smt_sdes_are_listed_as_unauthenticated(emu: Emulator, session: aiohttp.ClientSession) -> None:
    conversation_id = add_conversation(emu.state, ["hello"], visitor_id=VISITOR)
    await report(emu, session, [{"type": "ctmrinfo", "info": {"customerId": "c-1"}}, {"type": "cart", "total": 3}])
    found = await record(emu, session, conversation_id, v="2")
    assert found["sdes"] == {"events": []}
    events = found["unAuthSdes"]["events"]
    assert [e["sdeType"] for e in events] == ["CUSTOMER_INFO", "CART_STATUS"]
    assert all(e["isAuthenticated"] is False for e in events)
    assert events[0]["customerInfo"]["customerInfo"] == {"customerId": "c-1"}
    assert events[0]["customerInfo"]["isAuthenticated"] is False  # as the documentation's example marks it
    assert events[1]["cartStatus"]["total"] == 3
    assert events[0]["serverTimeStamp"] < events[1]["serverTimeStamp"]


async def test_v1_has_no_unauthenticated_sdes(emu: Emulator, session: aiohttp.ClientSession) -> None:
    conversation_id = add_conversation(emu.state, ["hello"], visitor_id=VISITOR)
    await report(emu, session, [{"type": "cart", "total": 3}])
    found = await record(emu, session, conversation_id, v="1")
    assert "unAuthSdes" not in found
    assert found["sdes"] == {"events": []}


async def test_not_in_real_time(emu: Emulator, session: aiohttp.ClientSession) -> None:
    conversation_id = add_conversation(emu.state, ["hello"], visitor_id=VISITOR)
    emu.state.sde_delay = 30.0  # LivePerson: calls can take over 30 s to show
    await report(emu, session, [{"type": "cart", "total": 3}])
    assert (await record(emu, session, conversation_id, v="2"))["unAuthSdes"] == {"events": []}
    assert len(emu.state.visitor_sdes[VISITOR]) == 1  # received, not yet listed
    emu.state.sde_delay = 0.0
    assert len((await record(emu, session, conversation_id, v="2"))["unAuthSdes"]["events"]) == 1
