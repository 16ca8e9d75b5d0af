"""The Context Session Store and Salesforce examples, run as handlers against the emulator."""

from __future__ import annotations

import runpy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from examples import context_state, salesforce_query
from lp_toolbelt import Toolbelt
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.state import (
    DEFAULT_CONTEXT_API_KEY,
    SALESFORCE_ACCESS_TOKEN,
    SALESFORCE_CLIENT_ID,
    SALESFORCE_REFRESH_TOKEN,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(rate_limit=None) as emulator:
        emulator.state.secrets[context_state.DEFAULT_KEY_SECRET] = DEFAULT_CONTEXT_API_KEY
        emulator.state.secrets[salesforce_query.DEFAULT_CREDENTIALS_SECRET] = {
            "loginUrl": str(emulator.salesforce_login_url),
            "instanceUrl": str(emulator.base_url),
            "accessToken": SALESFORCE_ACCESS_TOKEN,
            "refreshToken": SALESFORCE_REFRESH_TOKEN,
            "clientId": SALESFORCE_CLIENT_ID,
        }
        yield emulator


async def invoke(emu: Emulator, handler: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """One function invocation: a fresh Toolbelt, as each run of a function gets."""
    async with Toolbelt(emu.config()) as toolbelt:
        result: dict[str, Any] = await handler(toolbelt, payload)
    return result


# --------------------------------------------------------------------------------------------------- context
async def test_state_survives_between_two_invocations(emu: Emulator) -> None:
    first = await invoke(emu, context_state.handler, {"conversationId": "conv-1", "message": "hello"})
    assert (first["visit"], first["previousMessage"]) == (1, None)
    second = await invoke(emu, context_state.handler, {"conversationId": "conv-1", "message": "42"})
    assert (second["visit"], second["previousMessage"]) == (2, "hello")
    third = await invoke(emu, context_state.handler, {"conversationId": "conv-1"})
    assert (third["visit"], third["previousMessage"]) == (3, "42")  # stays a string
    other = await invoke(emu, context_state.handler, {"conversationId": "conv-2"})
    assert other["visit"] == 1  # sessions are separate

    namespace = emu.state.context_namespaces[context_state.NAMESPACE]
    assert namespace.ttl_second == context_state.TTL_SECONDS
    assert sorted(namespace.sessions) == ["conv-1", "conv-2"]
    creates = [r for r in emu.state.requests if r.route == "context-namespaces" and r.method == "POST"]
    assert len(creates) == 1  # created by the first invocation only


async def test_context_example_needs_a_conversation_id(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="conversationId"):
        await invoke(emu, context_state.handler, {})


# --------------------------------------------------------------------------------------------------- salesforce
async def test_salesforce_list_with_paging_and_refresh(emu: Emulator) -> None:
    emu.state.salesforce.page_size = 2
    emu.state.salesforce.expire_access_tokens()
    result = await invoke(emu, salesforce_query.handler, {"limit": 4})
    assert result["count"] == 4
    assert [a["name"] for a in result["accounts"]] == ["Acme Corporation", "Globex", "Initech", "Umbrella Health"]
    assert result["tokenRefreshed"] is True
    assert emu.state.count("sf-query-more") == 1


async def test_salesforce_one_account(emu: Emulator) -> None:
    result = await invoke(emu, salesforce_query.handler, {"accountId": "001000000000003AAA"})
    assert result == {
        "count": 1,
        "accounts": [{"id": "001000000000003AAA", "name": "Initech", "industry": "Technology"}],
        "tokenRefreshed": False,
    }


@pytest.mark.parametrize("payload", [{"accountId": "001' OR Name != '"}, {"limit": 0}, {"limit": "5"}])
async def test_salesforce_example_checks_its_payload(emu: Emulator, payload: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="payload"):
        await invoke(emu, salesforce_query.handler, payload)
    assert emu.state.count("sf-query") == 0


# --------------------------------------------------------------------------------------------------- as scripts
@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("context_state.py", ['"visit": 1', '"visit": 2', '"previousMessage": "I need help with my order"']),
        ("salesforce_query.py", ['"count": 5', '"tokenRefreshed": true', '"name": "Acme Corporation"']),
    ],
)
def test_scripts_run_against_the_emulator(script: str, expected: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    out = capsys.readouterr().out
    for text in expected:
        assert text in out
