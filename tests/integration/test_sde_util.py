"""SDEUtil against the emulator: SDEs reported through SMT show up in the visitor's conversation afterwards, as
unauthenticated SDEs (``unAuthSdes``, ``isAuthenticated: false``), as LivePerson lists them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lp_toolbelt import ErrorCodes, SDETypes, Toolbelt
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.routes.msghist import FIXTURE_CONVERSATION_ID, add_conversation
from lp_toolbelt.errors import AuthenticationError, HttpStatusError, InvalidArgumentError, RequestTimeoutError
from tests.fixtures import FIXTURES

FIXTURE_VISITOR = "f92c9890-2c95-428b-8a32-083528620d31"  # the fixture's consumer participant
ENGAGEMENT_ATTRIBUTES: list[dict[str, Any]] = json.loads(
    (FIXTURES / "engagement_attributes_examples.json").read_text(encoding="utf-8")
)


async def test_added_sdes_show_up_in_the_visitors_conversation(emu: Emulator, tb: Toolbelt) -> None:
    sde = tb.sde_util()
    await sde.add_sdes(ENGAGEMENT_ATTRIBUTES, FIXTURE_VISITOR, "session-1")
    conv = await tb.conversation_util().get_conversation_by_id(FIXTURE_CONVERSATION_ID)
    sdes = sde.get_sdes_from_conv(conv)
    assert [e.sde_type for e in sdes.sdes.events] == ["CUSTOMER_INFO", "PERSONAL_INFO"]  # the fixture's, untouched
    events = sdes.un_auth_sdes.events
    assert len(events) == len(ENGAGEMENT_ATTRIBUTES)  # ours, reported through SMT: unauthenticated
    assert all(e.is_authenticated is False for e in events)
    stamps = [e.timestamp for e in events]
    assert None not in stamps
    assert stamps == sorted(stamps)  # type: ignore[type-var]
    assert events[-1].sde_type == "SEARCH_CONTENT"  # the last one reported is the most recent
    assert events[-1].search_content is not None
    assert events[-1].search_content["keywords"] == ENGAGEMENT_ATTRIBUTES[-1]["keywords"]
    smt = [r for r in emu.state.requests if r.route == "smt"]
    assert len(smt) == 1
    assert smt[0].method == "PUT"
    assert smt[0].query == "v=1&sid=session-1"
    assert smt[0].auth_scheme == "Bearer"  # the default app key is V2's (OAuth 2.0)


async def test_typed_event_payloads_after_the_round_trip(emu: Emulator, tb: Toolbelt) -> None:
    conv_id = add_conversation(emu.state, ["hi"], visitor_id="visitor-7")
    sde = tb.sde_util()
    await sde.add_sdes(
        [{"type": SDETypes.CUSTOMER_INFO, "info": {"customerId": "138766AC", "ctype": "vip"}}], "visitor-7", "s"
    )
    await sde.add_sdes([{"type": "lead", "lead": {"topic": "upgrade", "value": 200}}], "visitor-7", "s")
    conv = await tb.conversation_util().get_conversation_by_id(conv_id)
    both = sde.get_sdes_from_conv(conv)
    assert both.sdes.events == []
    events = both.un_auth_sdes.events
    assert [e.sde_type for e in events] == ["CUSTOMER_INFO", "LEAD"]
    assert events[0].data == {
        "customerInfo": {"customerId": "138766AC", "ctype": "vip"},
        "serverTimeStamp": events[0].server_time_stamp,
        "isAuthenticated": False,
    }
    assert events[1].lead is not None
    assert events[1].lead["lead"] == {"topic": "upgrade", "value": 200}
    other = add_conversation(emu.state, ["hi"], visitor_id="someone-else")
    conv = await tb.conversation_util().get_conversation_by_id(other)
    assert sde.get_sdes_from_conv(conv).un_auth_sdes.events == []  # SDEs belong to their visitor only


async def test_visitor_ids_are_one_path_segment(emu: Emulator, tb: Toolbelt) -> None:
    visitor = "../../configuration/x?y=1#frag"
    await tb.sde_util().add_sdes([{"type": "cart", "total": 1}], visitor, "s")
    assert list(emu.state.visitor_sdes) == [visitor]
    (smt,) = [r for r in emu.state.requests if r.route == "smt"]
    assert smt.query == "v=1&sid=s"


@pytest.mark.parametrize(("sdes", "visitor"), [([], "v"), ([{"type": ""}], "v"), ([{"type": "cart"}], "..")])
async def test_bad_arguments_fail_before_any_request(emu: Emulator, tb: Toolbelt, sdes: Any, visitor: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        await tb.sde_util().add_sdes(sdes, visitor, "s")
    assert info.value.code == ErrorCodes.SDES_GENERAL
    assert emu.state.requests == []


async def test_non_2xx_raises_with_status_and_a_short_excerpt(emu: Emulator, tb: Toolbelt) -> None:
    emu.state.faults.add("smt", "status", status=500, body="SMT is down: " + "x" * 1000)
    with pytest.raises(HttpStatusError) as info:
        await tb.sde_util().add_sdes([{"type": "cart", "total": 1}], "v", "s")
    err = info.value
    assert err.code == ErrorCodes.SDES_UNEXPECTED_RESPONSE
    assert err.status == 500
    assert err.details["body"].startswith("SMT is down: xxx")
    assert len(err.details["body"]) <= 201
    assert "Status Code: 500" in err.message
    assert len(str(err)) < 400
    assert emu.state.visitor_sdes == {}


async def test_emulator_smt_route_checks_session_and_body(emu: Emulator, tb: Toolbelt) -> None:
    path = f"/api/account/{emu.state.account_id}/monitoring/visitors/v/visits/current/events"
    lp = tb.lp_client()
    no_sid = await lp("smt", path, method="PUT", params={"v": "1"}, json=[{"type": "cart"}])
    bad_type = await lp("smt", path, method="PUT", params={"v": "1", "sid": "s"}, json=[{"type": "bogus"}])
    empty = await lp("smt", path, method="PUT", params={"v": "1", "sid": "s"}, json=[])
    assert [no_sid.status, bad_type.status, empty.status] == [400, 400, 400]
    assert emu.state.visitor_sdes == {}


async def test_refused_credentials(emu: Emulator) -> None:
    secrets = json.loads(json.dumps(emu.config().secrets))
    secrets["lp-faas-default-app-key"]["tokenSecret"] = "wrong"
    del secrets["LIVEPERSON_DEFAULT_APP_KEY"]  # no V2 default app key: V1's legacy API key is the default
    async with Toolbelt(emu.config(secrets=secrets)) as tb:
        with pytest.raises(AuthenticationError) as info:
            await tb.sde_util().add_sdes([{"type": "cart"}], "v", "s")
    assert info.value.status == 401
    assert info.value.code == ErrorCodes.SDES_UNEXPECTED_RESPONSE
    assert "wrong" not in str(info.value)


async def test_slow_smt_gets_the_longer_sde_deadline(emu: Emulator) -> None:
    # The Toolbelt's default deadline is 0.3 s here; the SMT answer takes 0.6 s: the SDE util waits (60 s budget).
    emu.state.faults.add("smt", "latency", delay=0.6)
    async with Toolbelt(emu.config(timeout=0.3)) as tb:
        await tb.sde_util().add_sdes([{"type": "cart", "total": 3}], "slow-visitor", "s")
        assert len(emu.state.visitor_sdes["slow-visitor"]) == 1
        emu.state.faults.add("smt", "stall", seconds=5)
        with pytest.raises(RequestTimeoutError):
            await tb.sde_util(timeout=0.3).add_sdes([{"type": "cart"}], "slow-visitor", "s")
