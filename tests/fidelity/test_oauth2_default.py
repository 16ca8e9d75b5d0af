"""Issue 11.10 against an independent fake Sentinel and API: OAuth 2.0 is the live default.

The default app key is V2's ``LIVEPERSON_DEFAULT_APP_KEY`` ({client_id, client_secret}: a Sentinel token), else V1's
``lp-faas-default-app-key`` (OAuth 1.0a, legacy: the fake verifies the signature). A token is reused until 60 s
before ``expires_in``; an answer without a usable ``expires_in`` is still cached, ``OAUTH2_FALLBACK_TTL`` (60 s),
instead of being fetched again on every call.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from lp_toolbelt import LpServices
from tests.fidelity.fakes import (
    ABSENT_EXPIRY,
    ACCOUNT,
    OAUTH1_API_KEY,
    OAUTH2_APP_KEY,
    SERVICES,
    FakeClock,
    Seen,
    World,
    oauth1_api,
)

API = SERVICES["accountConfigReadOnly"]
PATH = f"/api/account/{ACCOUNT}/configuration/le-users/skills"
FALLBACK_TTL = 60.0  # the README's documented time


def _authorizations(world: World) -> list[str]:
    return [s.headers.get("Authorization", "") for s in world.server.seen(host=API)]


async def test_with_both_default_keys_the_oauth2_app_installation_is_used() -> None:
    secrets = {"LIVEPERSON_DEFAULT_APP_KEY": OAUTH2_APP_KEY, "lp-faas-default-app-key": OAUTH1_API_KEY}
    async with World() as world, world.toolbelt(secrets=secrets) as tb:
        resp = await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, "/ping")
    assert resp.status == 200
    (token_request,) = world.server.seen(host=SERVICES["sentinel"])
    assert token_request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert token_request.form() == {**OAUTH2_APP_KEY, "grant_type": "client_credentials"}
    assert token_request.query == "v=2.0"
    assert _authorizations(world) == ["Bearer at-1"]


async def test_with_only_the_v1_key_it_signs_with_oauth1() -> None:
    secrets = {"lp-faas-default-app-key": OAUTH1_API_KEY}
    async with World() as world, world.toolbelt(secrets=secrets) as tb:
        world.route("GET", PATH, oauth1_api(OAUTH1_API_KEY["consumerSecret"], OAUTH1_API_KEY["tokenSecret"]), host=API)
        resp = await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, PATH, params={"v": "2.0"})
    assert resp.status == 200  # the fake verified the signature
    assert world.server.seen(host=SERVICES["sentinel"]) == []
    assert _authorizations(world)[0].startswith('OAuth oauth_consumer_key="ck-1"')


@pytest.mark.parametrize("expires_in", [ABSENT_EXPIRY, "abc", None, "", "-5"], ids=repr)
async def test_a_token_without_a_usable_expiry_is_cached_for_the_fallback_time(expires_in: Any) -> None:
    clock = FakeClock()
    async with World() as world, world.toolbelt(clock=clock) as tb:
        world.sentinel.expires_in = expires_in
        lp = tb.lp_client()
        for _ in range(10):
            await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, "/ping")
        clock.now += FALLBACK_TTL - 1
        for _ in range(10):
            await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, "/ping")
        assert world.sentinel.issued == ["at-1"]
        clock.now += 2  # past the fallback time: fetched again, once
        for _ in range(10):
            await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, "/ping")
    assert world.sentinel.issued == ["at-1", "at-2"]
    assert _authorizations(world) == ["Bearer at-1"] * 20 + ["Bearer at-2"] * 10


async def test_a_token_is_reused_until_60_seconds_before_it_expires() -> None:
    clock = FakeClock()
    async with World() as world, world.toolbelt(clock=clock) as tb:
        world.sentinel.expires_in = "3600"  # Sentinel's expires_in is a string of seconds
        lp = tb.lp_client()
        await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, "/ping")
        clock.now += 3539
        await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, "/ping")
        assert world.sentinel.issued == ["at-1"]
        clock.now += 2
        await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, "/ping")
    assert world.sentinel.issued == ["at-1", "at-2"]


async def test_a_401_renews_the_token_and_retries_once_with_the_new_one() -> None:
    async def api(seen: Seen) -> web.StreamResponse:
        if seen.headers.get("Authorization") == "Bearer at-1":  # revoked
            return web.json_response({"error": "invalid token"}, status=401)
        return web.json_response([{"id": 1, "name": "sales"}])

    async with World() as world, world.toolbelt() as tb:
        world.route("GET", PATH, api, host=API)
        resp = await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, PATH)
    assert resp.json() == [{"id": 1, "name": "sales"}]
    assert _authorizations(world) == ["Bearer at-1", "Bearer at-2"]
    assert world.sentinel.issued == ["at-1", "at-2"]
