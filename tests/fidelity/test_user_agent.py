"""Issue 11.5 against an independent fake: with the function's id configured, every request — CSDS, Sentinel, the
LP APIs, the HTTP client, SMT, the Context Session Store — carries ``User-Agent: LP-Lambda-<function uuid>``, also
through a borrowed session that has a default User-Agent of its own."""

from __future__ import annotations

from typing import Any

import pytest

from lp_toolbelt import LpServices, Toolbelt, ToolbeltConfig
from tests.fidelity.fakes import ACCOUNT, FUNCTION_UUID, OAUTH2_APP_KEY, SERVICES, World, reply

OWN_AGENT = "my-service/2.0 (aiohttp)"


async def _every_kind_of_request(world: World, tb: Toolbelt) -> None:
    world.route("PUT", f"/api/account/{ACCOUNT}/monitoring/visitors/v1/visits/current/events", reply(200, {}))
    world.route("GET", f"/v1/account/{ACCOUNT}", reply(200, []), host=SERVICES["mavenContext"])
    await tb.lp_client()(LpServices.MSG_HIST, "/ping")  # CSDS, Sentinel, the API
    await tb.http_client().get(f"http://{SERVICES['smt']}/ping", headers={"User-Agent": "caller/1.0"})
    await tb.sde_util().add_sdes([{"type": "ctmrinfo", "info": {"ctype": "vip"}}], "v1", "s1")
    await tb.context_service_client("maven-key").get_list_of_namespaces()


@pytest.mark.parametrize(
    "env",
    [{"LAMBDA_UUID": FUNCTION_UUID}, {"X_LIVEPERSON_FUNCTION_UUID": FUNCTION_UUID}, None],
    ids=["LAMBDA_UUID", "X_LIVEPERSON_FUNCTION_UUID", "function_uuid="],
)
async def test_every_request_carries_lp_lambda_through_a_borrowed_session(env: dict[str, str] | None) -> None:
    fields: dict[str, Any] = {
        "secrets_file": None,
        "secrets": {"LIVEPERSON_DEFAULT_APP_KEY": OAUTH2_APP_KEY},
        "trust_env": False,
        "allowlist": (SERVICES["mavenContext"],),  # Context hosts are not on the default allowlist
    }
    if env is None:
        config = ToolbeltConfig(account_id=ACCOUNT, scheme="http", function_uuid=FUNCTION_UUID, **fields)
    else:
        config = ToolbeltConfig.from_env({"BRAND_ID": ACCOUNT, "LP_TOOLBELT_SCHEME": "http", **env}, **fields)
    async with World() as world, world.session(headers={"User-Agent": OWN_AGENT}) as session:
        async with world.toolbelt(session=session, config=config) as tb:
            await _every_kind_of_request(world, tb)
        routes = {(s.host, s.method, s.path.split("/")[1]) for s in world.server.requests}
        assert len(routes) == 6, routes  # CSDS, Sentinel, msgHist, the HTTP client, SMT, Context
        assert {s.headers.get("User-Agent") for s in world.server.requests} == {f"LP-Lambda-{FUNCTION_UUID}"}
        # The borrowed session is the user's: its own requests keep its own User-Agent.
        async with session.get(f"http://{SERVICES['msgHist']}/ping") as resp:
            assert resp.status == 200
        assert world.server.requests[-1].headers["User-Agent"] == OWN_AGENT


async def test_without_a_function_id_no_lp_lambda_agent_is_invented() -> None:
    async with (
        World() as world,
        world.session(headers={"User-Agent": OWN_AGENT}) as session,
        world.toolbelt(session=session, allowlist=(SERVICES["mavenContext"],)) as tb,
    ):
        await _every_kind_of_request(world, tb)
    agents = {s.headers.get("User-Agent") for s in world.server.requests}
    assert agents == {OWN_AGENT, "caller/1.0"}
