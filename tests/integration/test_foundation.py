"""The foundation against the emulator: signing, tokens, 401 renewal, single-flight, limiter, allowlist."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from lp_toolbelt import ErrorCodes, LpServices, SecretEntry, Toolbelt, ToolbeltError
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.errors import ForbiddenHostError

SKILLS = "/api/account/{acc}/configuration/le-users/skills"


V1_KEY = "lp-faas-default-app-key"
V2_KEY = "LIVEPERSON_DEFAULT_APP_KEY"


def without_v2_key(emu: Emulator) -> dict[str, Any]:
    """The emulator's secrets less V2's default app key: V1's legacy API key is then the default."""
    secrets = dict(emu.config().secrets or {})
    del secrets[V2_KEY]
    return secrets


def skills_path(emu: Emulator) -> str:
    return SKILLS.format(acc=emu.state.account_id)


async def test_signed_oauth1_call_is_verified_by_the_server() -> None:
    async with Emulator() as emu, Toolbelt(emu.config()) as tb:
        resp = await tb.lp_client()(
            LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu), raise_for_status=True, app_key_secret_name=V1_KEY
        )
        assert resp.status == 200
        assert isinstance(resp.json(), list)
        signed = [r for r in emu.state.requests if r.route == "skills"]
        assert [r.auth_scheme for r in signed] == ["OAuth"]
        assert signed[0].status == 200


async def test_every_request_carries_a_fresh_uuid4_request_id() -> None:
    async with Emulator() as emu, Toolbelt(emu.config()) as tb:
        lp = tb.lp_client()
        for _ in range(3):
            await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu))
        ids = [r.request_id for r in emu.state.requests]
        assert len(ids) == 5  # CSDS + the Sentinel token (OAuth 2.0, the default app key) + 3 calls
        assert all(i is not None and uuid.UUID(i).version == 4 for i in ids)
        assert len(set(ids)) == 5


async def test_json_body_is_not_signed_and_query_is() -> None:
    async with Emulator() as emu, Toolbelt(emu.config()) as tb:
        resp = await tb.lp_client()(
            LpServices.ACCOUNT_CONFIG_READ_ONLY,
            f"/api/account/{emu.state.account_id}/echo?v=1&x=a%20b",
            method="POST",
            json={"hello": ["wörld", 1]},
            params={"extra": "yes"},
        )
        assert resp.status == 200
        assert resp.json() == {"hello": ["wörld", 1]}


async def test_wrong_key_is_refused_after_one_renewal() -> None:
    async with Emulator() as emu:
        cfg = emu.config()
        secrets = dict(cfg.secrets or {})
        del secrets[V2_KEY]  # no V2 default app key: V1's legacy API key is the default
        good = dict(secrets["lp-faas-default-app-key"])
        secrets["lp-faas-default-app-key"] = {**good, "consumerSecret": "wrong"}
        async with Toolbelt(cfg.model_copy(update={"secrets": secrets})) as tb:
            resp = await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu))
            assert resp.status == 401
            assert emu.state.count("skills") == 2  # the first try and one retry with the re-read secret
            with pytest.raises(ToolbeltError) as info:
                await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu), raise_for_status=True)
            assert info.value.status == 401
            assert "wrong" not in str(info.value)


async def test_rotated_key_is_re_read_on_401() -> None:
    async with Emulator() as emu, Toolbelt(emu.config(secrets=without_v2_key(emu))) as tb:
        lp = tb.lp_client()
        assert (await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu))).status == 200
        old = (await tb.secret_client().read_secret("lp-faas-default-app-key")).value
        rotated = {**old, "consumerSecret": "rotated-secret", "tokenSecret": "rotated-token-secret"}
        emu.state.secrets["lp-faas-default-app-key"] = rotated  # the platform rotated the key...
        await tb.secret_store.update("lp-faas-default-app-key", rotated)  # ...and the secret, behind the cache
        resp = await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu))
        assert resp.status == 200
        statuses = [r.status for r in emu.state.requests if r.route == "skills"]
        assert statuses == [200, 401, 200]


async def test_oauth2_token_single_flight_and_reuse() -> None:
    async with Emulator(rate_limit=None) as emu, Toolbelt(emu.config(rate_limit=10_000)) as tb:
        lp = tb.lp_client()

        async def call() -> int:
            resp = await lp(
                LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu), app_key_secret_name="lp-faas-oauth2-app"
            )
            return resp.status

        statuses = await asyncio.gather(*(call() for _ in range(200)))
        assert statuses == [200] * 200
        assert emu.state.count("sentinel") == 1
        assert emu.state.count("csds") == 1
        assert {r.auth_scheme for r in emu.state.requests if r.route == "skills"} == {"Bearer"}


async def test_expired_token_is_renewed_once_and_retried() -> None:
    async with Emulator() as emu, Toolbelt(emu.config()) as tb:
        lp = tb.lp_client()
        kw = {"app_key_secret_name": "lp-faas-oauth2-app"}
        assert (await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu), **kw)).status == 200  # type: ignore[arg-type]
        emu.state.expire_tokens()
        assert (await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu), **kw)).status == 200  # type: ignore[arg-type]
        assert emu.state.count("sentinel") == 2
        assert [r.status for r in emu.state.requests if r.route == "skills"] == [200, 401, 200]


async def test_missing_or_malformed_app_key_secret() -> None:
    async with Emulator() as emu, Toolbelt(emu.config()) as tb:
        lp = tb.lp_client()
        with pytest.raises(ToolbeltError) as missing:
            await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu), app_key_secret_name="absent")
        assert missing.value.code == ErrorCodes.LP_CLIENT_GET_CREDENTIALS_FAILURE
        with pytest.raises(ToolbeltError) as wrong:
            await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu), app_key_secret_name="demo-secret")
        assert wrong.value.code == ErrorCodes.LP_CLIENT_CREDENTIALS_WRONG_FORMAT
        with pytest.raises(ToolbeltError) as no_service:
            await lp("noSuchService", "/x")
        assert no_service.value.code == ErrorCodes.CSDS_DOMAIN_NOT_FOUND
        with pytest.raises(ValueError):
            await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, "no-leading-slash")


async def test_csds_single_flight_under_concurrency() -> None:
    async with Emulator(rate_limit=None) as emu, Toolbelt(emu.config(rate_limit=10_000)) as tb:
        hosts = await asyncio.gather(*(tb.csds_client().get("msgHist") for _ in range(500)))
        assert set(hosts) == {emu.host}
        assert emu.state.count("csds") == 1


async def test_limiter_paces_all_clients_under_the_cap() -> None:
    cap = 40.0
    async with Emulator(rate_limit=cap) as emu, Toolbelt(emu.config(rate_limit=cap)) as tb:
        lp, http = tb.lp_client(), tb.http_client()
        url = f"http://{emu.host}/api/account/{emu.state.account_id}/service/baseURI.json?version=1.0"

        async def one(i: int) -> int:
            if i % 2:
                return (await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, skills_path(emu))).status
            return (await http.get(url)).status

        statuses = await asyncio.gather(*(one(i) for i in range(100)))
        assert statuses == [200] * 100
        assert emu.state.max_in_window(1.0) <= cap + 1
        assert not any(r.rate_limited for r in emu.state.requests)


async def test_unpaced_burst_gets_429_from_the_emulator_proxy() -> None:
    async with Emulator(rate_limit=20) as emu, aiohttp.ClientSession() as raw:
        url = f"{emu.base_url}/api/account/{emu.state.account_id}/service/baseURI.json?version=1.0"

        async def hit() -> int:
            async with raw.get(url) as r:
                return r.status

        statuses = await asyncio.gather(*(hit() for _ in range(60)))
        assert 429 in statuses


async def test_allowlist_refusal_opens_no_connection() -> None:
    created = 0

    async def on_create(session: object, ctx: SimpleNamespace, params: object) -> None:
        nonlocal created
        created += 1

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_start.append(on_create)
    async with Emulator() as emu, aiohttp.ClientSession(trace_configs=[trace]) as session:
        async with Toolbelt(emu.config(), session=session) as tb:
            # The default allowlist is the account's CSDS answer (by service): deciding needs it once.
            await tb.csds_client().get_all()
            assert created == 1
            emu.state.clear_requests()
            for url in (
                "https://evil.example/",
                f"http://{emu.host}@evil.example/",
                "http://127.0.0.1.evil.example/",
                "http://127.0.0.1:1/",
            ):
                with pytest.raises(ForbiddenHostError) as info:
                    await tb.http_client().get(url)
                assert info.value.status == 403
            assert created == 1  # no connection for a refused host
            assert emu.state.requests == []
            await tb.http_client().get(f"{emu.base_url}/api/account/{emu.state.account_id}/service/baseURI.json")
            assert created == 1  # the CSDS connection, reused
        assert not session.closed  # borrowed: not closed by the Toolbelt


async def test_owned_session_closed_on_exit() -> None:
    async with Emulator() as emu:
        tb = Toolbelt(emu.config())
        async with tb:
            session = tb.transport.session
        assert session.closed
        assert tb.closed
        with pytest.raises(ToolbeltError):
            await tb.csds_client().get("msgHist")


async def test_secrets_file_and_whitelist(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        '{"secrets": [{"key": "crm", "value": "{\\"token\\": \\"abc\\"}"}], "whitelist": ["crm.example.com"]}'
    )
    async with Emulator() as emu:
        cfg = emu.config(secrets=None, secrets_file=path)
        async with Toolbelt(cfg) as tb:
            assert (await tb.secret_client().read_secret("crm")).value == {"token": "abc"}
            await tb.secret_client().update_secret(SecretEntry(key="crm", value={"token": "new"}))
            assert re.search(r'"token": "new"', path.read_text())
            assert tb.allowlist.allows(__import__("yarl").URL("https://crm.example.com/x"))
