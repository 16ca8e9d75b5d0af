"""Issue 11.3 against an independent fake Context Session Store, written from the contract's table.

Deleting what is already gone is documented as no error: the service may answer 404 (or 204), and the client
returns normally either way; other statuses keep their errors. Creating a namespace that exists returns it (the
service refuses the duplicate, the list has it). ``CONTEXT_SERVICE_ENVIRONMENT`` picks the zone host.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from lp_toolbelt import (
    ErrorCodes,
    ForbiddenHostError,
    Namespace,
    NotFoundError,
    ToolbeltConfig,
    ToolbeltError,
)
from tests.fidelity.fakes import ACCOUNT, OAUTH2_APP_KEY, SERVICES, Seen, World, reply

API_KEY = "maven-api-key-1"
HOST = SERVICES["mavenContext"]
CREATED_AT = "2019-08-02T19:41:52.017Z"
ZONES = {"z1": "z1.context.liveperson.net", "z2": "z2.context.liveperson.net", "z3": "z3.context.liveperson.net"}


@dataclass
class ContextStore:
    """The Context Session Store of one account: ``maven-api-key`` required (403 otherwise); deleting what does not
    exist answers ``missing_status``; creating an existing namespace answers ``duplicate_status``."""

    missing_status: int = 404
    duplicate_status: int = 400
    namespaces: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def install(self, world: World, host: str = HOST) -> None:
        base = f"/v1/account/{ACCOUNT}"
        world.route("*", base, self.account, host=host)
        for pattern in (rf"{base}/[^/]+", rf"{base}/[^/]+/[^/]+/properties/?", rf"{base}/[^/]+/[^/]+/properties/.+"):
            world.route("*", _compiled(pattern), self.namespace, host=host)

    async def account(self, seen: Seen) -> web.StreamResponse:
        if seen.headers.get("maven-api-key") != API_KEY:
            return web.Response(status=403)
        if seen.method == "GET":
            return web.json_response(list(self.namespaces.values()))
        name = seen.json()["name"]
        if name in self.namespaces:
            return web.json_response({"message": f"namespace {name} already exists"}, status=self.duplicate_status)
        entry: dict[str, Any] = {"name": name, "createdAt": CREATED_AT}
        if "ttlSecond=" in seen.query:
            entry["ttlSecond"] = int(seen.query.split("ttlSecond=")[1])
        self.namespaces[name] = entry
        return web.Response(status=204)

    async def namespace(self, seen: Seen) -> web.StreamResponse:
        if seen.headers.get("maven-api-key") != API_KEY:
            return web.Response(status=403)
        parts = seen.path.split("/")[4:]  # ns, [sid, "properties", [name]]
        ns = parts[0]
        if len(parts) == 1:  # DELETE /v1/account/{acc}/{ns}
            return self._deleted(self.namespaces.pop(ns, None) is not None)
        sid, prop = parts[1], (parts[3] if len(parts) > 3 else "")
        props = self.sessions.get((ns, sid))
        if seen.method == "PATCH":
            self.sessions.setdefault((ns, sid), {}).update(seen.json())
            return web.Response(status=204)
        if seen.method == "GET" and not prop:
            return web.json_response(props) if props is not None else web.Response(status=404)
        if seen.method == "DELETE" and not prop:
            return self._deleted(self.sessions.pop((ns, sid), None) is not None)
        if seen.method == "DELETE":
            return self._deleted(props is not None and props.pop(prop, None) is not None)
        if seen.method == "GET" and props is not None and prop in props:
            return web.Response(text=json.dumps(props[prop]))
        return web.Response(status=404)

    def _deleted(self, existed: bool) -> web.StreamResponse:
        return web.Response(status=204 if existed else self.missing_status)


def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _config(**fields: Any) -> dict[str, Any]:
    return {"allowlist": (HOST, *ZONES.values()), **fields}


@pytest.mark.parametrize("missing_status", [404, 204])
async def test_deleting_what_is_already_gone_returns_normally(missing_status: int) -> None:
    store = ContextStore(missing_status=missing_status)
    store.namespaces["orders"] = {"name": "orders", "createdAt": CREATED_AT}
    store.sessions[("orders", "conv-1")] = {"step": 2}
    async with World() as world, world.toolbelt(**_config()) as tb:
        store.install(world)
        ctx = tb.context_service_client(API_KEY)
        await ctx.delete_property_in_session("orders", "no-such-property", "conv-1")  # returns normally
        await ctx.delete_session("orders", "no-such-session")
        await ctx.delete_namespace("no-such-namespace")
        # ...and deleting what exists, twice: the second time it is gone.
        for _ in range(2):
            await ctx.delete_property_in_session("orders", "step", "conv-1")
            await ctx.delete_session("orders", "conv-1")
            await ctx.delete_namespace("orders")
    deletes = [(s.path, s.headers["maven-api-key"]) for s in world.server.seen(host=HOST, method="DELETE")]
    assert len(deletes) == 9  # every delete was sent and answered
    assert deletes[1][0] == f"/v1/account/{ACCOUNT}/orders/no-such-session/properties/"
    assert store.namespaces == {}
    assert store.sessions == {}


async def test_reading_what_does_not_exist_is_still_not_found() -> None:
    store = ContextStore()
    async with World() as world, world.toolbelt(**_config()) as tb:
        store.install(world)
        with pytest.raises(NotFoundError) as info:
            await tb.context_service_client(API_KEY).get_property_in_session("orders", "step", "conv-1")
    assert info.value.code == ErrorCodes.CONTEXT_DATA_DOES_NOT_EXIST
    assert info.value.status == 404


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (403, ErrorCodes.CONTEXT_AUTHORIZATION_INVALID),
        (500, ErrorCodes.CONTEXT_INTERNAL_SERVER_ERROR),
        (503, ErrorCodes.CONTEXT_INTERNAL_SERVER_ERROR),
        (400, ErrorCodes.CONTEXT_UNKNOWN),
        (409, ErrorCodes.CONTEXT_UNKNOWN),
    ],
)
@pytest.mark.parametrize("operation", ["namespace", "session", "property"])
async def test_other_answers_to_a_delete_keep_their_errors(status: int, code: str, operation: str) -> None:
    async with World() as world, world.toolbelt(**_config()) as tb:
        world.route("DELETE", _compiled(f"/v1/account/{ACCOUNT}/.*"), reply(status, {"message": "no"}), host=HOST)
        ctx = tb.context_service_client(API_KEY)
        deletes = {
            "namespace": lambda: ctx.delete_namespace("orders"),
            "session": lambda: ctx.delete_session("orders", "conv-1"),
            "property": lambda: ctx.delete_property_in_session("orders", "step", "conv-1"),
        }
        with pytest.raises(ToolbeltError) as info:
            await deletes[operation]()
    assert (info.value.code, info.value.status) == (code, status)
    assert len(world.server.seen(host=HOST, method="DELETE")) == 1  # an answer is never retried


@pytest.mark.parametrize("duplicate_status", [400, 409])
async def test_creating_an_existing_namespace_returns_it(duplicate_status: int) -> None:
    store = ContextStore(duplicate_status=duplicate_status)
    store.namespaces["orders"] = {"name": "orders", "createdAt": CREATED_AT, "ttlSecond": 3600}
    async with World() as world, world.toolbelt(**_config()) as tb:
        store.install(world)
        ns = await tb.context_service_client(API_KEY).create_namespace("orders", ttl=60)
    assert ns == Namespace.model_validate({"name": "orders", "createdAt": CREATED_AT, "ttlSecond": 3600})
    assert store.namespaces["orders"]["ttlSecond"] == 3600  # neither recreated nor changed
    assert [s.method for s in world.server.seen(host=HOST)] == ["POST", "GET"]


async def test_creating_a_new_namespace_returns_it_from_the_list() -> None:
    store = ContextStore()
    async with World() as world, world.toolbelt(**_config()) as tb:
        store.install(world)
        ns = await tb.context_service_client(API_KEY).create_namespace("orders", ttl=60)
    assert (ns.name, ns.ttl_second) == ("orders", 60)
    post = world.server.seen(host=HOST, method="POST")[0]
    assert (post.query, post.json()) == ("ttlSecond=60", {"name": "orders"})


async def test_a_refused_create_of_a_namespace_that_is_not_listed_keeps_its_error() -> None:
    async with World() as world, world.toolbelt(**_config()) as tb:
        ContextStore().install(world)
        world.route("POST", f"/v1/account/{ACCOUNT}", reply(400, {"message": "invalid name"}), host=HOST)
        with pytest.raises(ToolbeltError) as info:
            await tb.context_service_client(API_KEY).create_namespace("bad name")
    assert (info.value.code, info.value.status) == (ErrorCodes.CONTEXT_UNKNOWN, 400)


@pytest.mark.parametrize("zone", sorted(ZONES))
async def test_context_service_environment_selects_the_zone_host(zone: str) -> None:
    store = ContextStore()
    env = {"BRAND_ID": ACCOUNT, "LP_TOOLBELT_SCHEME": "http", "CONTEXT_SERVICE_ENVIRONMENT": zone}
    config = ToolbeltConfig.from_env(
        env,
        secrets_file=None,
        secrets={"LIVEPERSON_DEFAULT_APP_KEY": OAUTH2_APP_KEY},
        trust_env=False,
        allowlist=(ZONES[zone],),
    )
    assert config.context_domain == ZONES[zone]
    async with World(extra_hosts=tuple(ZONES.values())) as world, world.toolbelt(config=config) as tb:
        store.install(world, ZONES[zone])
        props = await tb.context_service_client(API_KEY).set_properties_in_namespace("orders", {"step": 2})
    assert props == {"step": 2}
    assert {s.host for s in world.server.requests} == {ZONES[zone]}  # no CSDS 'mavenContext' lookup either
    assert world.server.requests[0].path == f"/v1/account/{ACCOUNT}/orders/__default__/properties"


async def test_a_zone_host_that_is_not_whitelisted_is_refused() -> None:
    config = ToolbeltConfig.from_env(
        {"BRAND_ID": ACCOUNT, "LP_TOOLBELT_SCHEME": "http", "CONTEXT_SERVICE_ENVIRONMENT": "z2"},
        secrets_file=None,
        trust_env=False,
    )
    async with World(extra_hosts=tuple(ZONES.values())) as world, world.toolbelt(config=config) as tb:
        with pytest.raises(ForbiddenHostError) as info:
            await tb.context_service_client(API_KEY).get_list_of_namespaces()
    assert info.value.status == 403
    assert world.server.seen(host=ZONES["z2"]) == []
