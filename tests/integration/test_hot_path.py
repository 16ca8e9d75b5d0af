"""The per-request shortcuts of the hot path keep the behaviour: signing per attempt on the URL sent, one timer per
LP call, the parsed app key reused only while the cached secret is the same object, request ids per attempt."""

from __future__ import annotations

import uuid

import pytest

from lp_toolbelt import LpServices, SecretEntry, Toolbelt
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.errors import ErrorCodes, ForbiddenHostError, RequestTimeoutError
from lp_toolbelt.transport.allowlist import Allowlist

ROTATED = {
    "consumerKey": "rotated-consumer-key",
    "consumerSecret": "rotated/consumer+secret",
    "token": "rotated-token",
    "tokenSecret": "rotated=token&secret",
}


def skills_path(emu: Emulator) -> str:
    return f"/api/account/{emu.state.account_id}/configuration/le-users/skills"


async def test_each_attempt_is_signed_afresh_on_the_url_with_its_params() -> None:
    async with Emulator(rate_limit=None) as emu, Toolbelt(emu.config(retry_backoff_base=0.0)) as tb:
        emu.state.faults.add("skills", "status", status=503)  # the first attempt fails, the retry must re-sign
        resp = await tb.lp_client()(
            LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu) + "?v=1&x=a%20b", params={"extra": "y z"}
        )
        assert resp.status == 200
        skills = [r for r in emu.state.requests if r.route == "skills"]
        assert [r.status for r in skills] == [503, 200]
        assert skills[1].query == "v=1&x=a%20b&extra=y+z"
        # A fresh request id per attempt, each a uuid4.
        ids = [r.request_id for r in skills]
        assert len(set(ids)) == 2
        assert all(i is not None and uuid.UUID(i).version == 4 for i in ids)


async def test_an_updated_app_key_is_used_at_once_and_the_old_one_no_more() -> None:
    async with Emulator(rate_limit=None) as emu, Toolbelt(emu.config()) as tb:
        lp = tb.lp_client()
        assert (await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu))).status == 200
        assert (await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu))).status == 200  # the fast path
        emu.state.secrets["lp-faas-default-app-key"] = dict(ROTATED)  # the server knows only the new key now
        await tb.secret_client().update_secret(SecretEntry(key="lp-faas-default-app-key", value=dict(ROTATED)))
        emu.state.clear_requests()
        assert (await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu))).status == 200
        assert [r.status for r in emu.state.requests if r.route == "skills"] == [200]  # no 401 round trip


async def test_a_rotated_key_still_recovers_through_one_401() -> None:
    async with Emulator(rate_limit=None) as emu:
        secrets = dict(emu.config().secrets or {})
        del secrets["LIVEPERSON_DEFAULT_APP_KEY"]  # no V2 default app key: V1's legacy API key is the default
        async with Toolbelt(emu.config(secrets=secrets)) as tb:
            lp = tb.lp_client()
            assert (await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu))).status == 200
            # Rotated at the source only: the cached secret is stale, the server answers 401 once, the re-read fixes it.
            emu.state.secrets["lp-faas-default-app-key"] = dict(ROTATED)
            await tb.secret_store.update("lp-faas-default-app-key", dict(ROTATED))
            emu.state.clear_requests()
            assert (await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu))).status == 200
            assert [r.status for r in emu.state.requests if r.route == "skills"] == [401, 200]
            emu.state.clear_requests()
            assert (await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu))).status == 200
            assert [r.status for r in emu.state.requests if r.route == "skills"] == [200]


async def test_oauth2_calls_reuse_the_token_and_follow_its_renewal() -> None:
    async with Emulator(rate_limit=None) as emu, Toolbelt(emu.config()) as tb:
        lp = tb.lp_client()
        for _ in range(3):
            resp = await lp(
                LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu), app_key_secret_name="lp-faas-oauth2-app"
            )
            assert resp.status == 200
        assert emu.state.count("sentinel") == 1
        emu.state.expire_tokens()  # the server refuses the token: 401, a new token, success
        resp = await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu), app_key_secret_name="lp-faas-oauth2-app")
        assert resp.status == 200
        assert emu.state.count("sentinel") == 2
        emu.state.clear_requests()
        resp = await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu), app_key_secret_name="lp-faas-oauth2-app")
        assert [r.status for r in emu.state.requests if r.route == "skills"] == [200]  # the renewed token is kept
        assert emu.state.count("sentinel") == 0


async def test_the_lp_call_timeout_still_fires_with_a_single_timer() -> None:
    async with Emulator(rate_limit=None) as emu, Toolbelt(emu.config()) as tb:
        lp = tb.lp_client()
        await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu))  # warm caches
        emu.state.faults.add("skills", "latency", delay=2.0)
        with pytest.raises(RequestTimeoutError) as info:
            await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu), timeout=0.2)
        assert info.value.code == ErrorCodes.HTTP_TIMEOUT


async def test_the_allowlist_decision_cache_follows_a_replaced_allowlist() -> None:
    async with Emulator(rate_limit=None) as emu, Toolbelt(emu.config()) as tb:
        http = tb.http_client()
        url = emu.base_url / "api/account" / emu.state.account_id / "service/baseURI.json"
        assert (await http.get(url)).status == 200
        tb.transport.allowlist = Allowlist(["api.liveperson.net"])
        with pytest.raises(ForbiddenHostError):
            await http.get(url)
