"""The emulator as a newcomer's local LivePerson: its demo seed points Salesforce at the emulator itself
(``${EMULATOR_URL}``), and the Toolbelts of ``invoke --local``, the pytest plugin and ``lp-toolbelt emulator``
let requests to the emulator through under both its names."""

from __future__ import annotations

import asyncio
import io
import json
import shlex
import types
from pathlib import Path
from typing import Any

import pytest

from lp_toolbelt import ErrorCodes, ForbiddenHostError, Toolbelt, ToolbeltConfig
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.__main__ import serve
from lp_toolbelt.emulator.app import EMULATOR_URL, resolve_emulator_url
from lp_toolbelt.emulator.state import SALESFORCE_ACCESS_TOKEN, SALESFORCE_REFRESH_TOKEN
from lp_toolbelt.local import emulator_toolbelt, local_toolbelt
from tests.integration import _readme


def readme_handler(name: str) -> Any:
    module = types.ModuleType(f"readme_{name}")
    exec(compile(_readme.handler_snippets()[name], f"README.md:{name}.py", "exec"), module.__dict__)
    return module.handler


def test_resolve_emulator_url_replaces_the_placeholder_everywhere() -> None:
    seed: dict[str, Any] = {"a": [EMULATOR_URL, {"b": f"{EMULATOR_URL}/x"}], "n": 1, "s": "plain"}
    resolved = resolve_emulator_url(seed, "http://127.0.0.1:9")
    assert resolved == {"a": ["http://127.0.0.1:9", {"b": "http://127.0.0.1:9/x"}], "n": 1, "s": "plain"}
    assert seed["a"][0] == EMULATOR_URL  # pure: the input is untouched


async def test_the_demo_seed_points_salesforce_at_the_running_emulator() -> None:
    async with Emulator(rate_limit=None) as emu:
        assert emu.state.secrets["salesforce-credentials"] == {
            "loginUrl": str(emu.base_url),
            "instanceUrl": str(emu.base_url),
            "clientId": "emulator-sf-connected-app",
            "accessToken": SALESFORCE_ACCESS_TOKEN,
            "refreshToken": SALESFORCE_REFRESH_TOKEN,
        }
        assert EMULATOR_URL not in json.dumps(emu.state.secrets)
        assert emu.own_hosts == (emu.host, f"localhost:{emu.port}")


async def test_the_local_toolbelt_lets_the_emulator_through_under_localhost_too() -> None:
    async with local_toolbelt(rate_limit=None) as (emu, tb):
        url = f"http://localhost:{emu.port}/api/account/{emu.state.account_id}/service/baseURI.json"
        resp = await tb.http_client().get(url, params={"version": "1.0"}, raise_for_status=True)
        assert resp.json()["baseURIs"]
        # A loginUrl naming the emulator as localhost, as a newcomer writes it: the Salesforce snippet runs.
        emu.state.secrets["salesforce-credentials"]["loginUrl"] = f"http://localhost:{emu.port}"
        result = await readme_handler("salesforce")(tb, {})
        assert result["totalSize"] == 2
        # A config without the emulator's names (no whitelist) does not: the wall it was.
        async with Toolbelt(emu.config(allowlist=())) as plain:
            with pytest.raises(ForbiddenHostError) as info:
                await plain.http_client().get(url)
            assert info.value.code == ErrorCodes.HTTP_FORBIDDEN_HOST


async def test_an_explicit_allowlist_is_kept() -> None:
    async with Emulator(rate_limit=None) as emu, emulator_toolbelt(emu, allowlist=(emu.host,)) as tb:
        assert tb.config.allowlist == (emu.host,)


async def test_the_standalone_emulator_hands_the_toolbelt_a_resolved_seed(tmp_path: Path) -> None:
    """``lp-toolbelt emulator`` without --settings: the exported env, used by ``invoke --live``, runs the README's
    Salesforce snippet against it (the private seed copy has the real loginUrl, the allowlist both names)."""
    out = io.StringIO()
    stop = asyncio.Event()
    emu = Emulator(port=0, rate_limit=None)
    settings = tmp_path / "settings.json"
    task = asyncio.create_task(serve(emu, settings_file=settings, out=out, stop=stop, write_seed=True))
    try:
        for _ in range(1000):  # polls the printed lines (serve has no "ready" event); 10 s at most
            if "LP_TOOLBELT_SECRETS_FILE" in out.getvalue():
                break
            await asyncio.sleep(0.01)
        env: dict[str, str] = {}
        for line in out.getvalue().splitlines():
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").partition("=")
                env[name] = shlex.split(value)[0]
        assert env["LP_TOOLBELT_SECRETS_FILE"] == str(settings.resolve())
        assert set(env["LP_TOOLBELT_ALLOWLIST"].split(",")) == {emu.host, f"localhost:{emu.port}"}
        seeded = {item["key"]: item["value"] for item in json.loads(settings.read_text())["secrets"]}
        assert seeded["salesforce-credentials"]["loginUrl"] == str(emu.base_url)
        async with Toolbelt(ToolbeltConfig.from_env(env)) as tb:
            result = await readme_handler("salesforce")(tb, {})
        assert result["all"] == len(emu.state.salesforce.records["Account"])
    finally:
        stop.set()
        await task
