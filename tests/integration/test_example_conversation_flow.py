"""examples/conversation_flow.py, run as a handler against the emulator (and as a script)."""

from __future__ import annotations

import runpy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from examples import conversation_flow
from lp_toolbelt import ErrorCodes, Toolbelt, ToolbeltError
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.routes.msghist import FIXTURE_CONVERSATION_ID, add_conversation
from lp_toolbelt.emulator.state import DEFAULT_SWIFT_KEY, DEFAULT_SWIFT_USER
from lp_toolbelt.utils.gdpr import DEFAULT_REPLACEMENT_FILE

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(rate_limit=None) as emulator:
        emulator.state.secrets[conversation_flow.DEFAULT_STORAGE_SECRET] = {
            "username": DEFAULT_SWIFT_USER,
            "password": DEFAULT_SWIFT_KEY,
        }
        yield emulator


async def invoke(emu: Emulator, payload: dict[str, Any]) -> dict[str, Any]:
    async with Toolbelt(emu.config()) as toolbelt:
        return await conversation_flow.handler(toolbelt, payload)


async def test_flow_scans_flags_and_replaces(emu: Emulator) -> None:
    conv_id = add_conversation(
        emu.state,
        [
            "I want to CANCEL my plan",
            "ok",
            {"caption": "screenshot"},
            "and a refund please",
            {"caption": "Refund form"},
        ],
        visitor_id="visitor-9",
    )
    result = await invoke(emu, {"conversationId": conv_id, "visitorId": "visitor-9", "sessionId": "s-9"})
    assert result["keywordsFound"] == ["refund", "cancel"]  # keyword order, as given in DEFAULT_KEYWORDS
    assert [(h["tag"], h["message"]) for h in result["hits"]] == [
        ("keywordRef:refund", "and a refund please"),
        ("keywordRef:refund", "Refund form"),
        ("keywordRef:cancel", "I want to CANCEL my plan"),
    ]
    assert result["sdeReported"] is True
    assert result["latestSde"]["sdeType"] == "SERVICE_ACTIVITY"
    assert result["latestSde"]["serviceActivity"]["serviceActivity"]["topic"] == "keywords: refund, cancel"
    assert len(emu.state.visitor_sdes["visitor-9"]) == 1
    assert len(result["replacedFiles"]) == 2
    for path in result["replacedFiles"]:
        assert emu.state.swift_files[path] == (DEFAULT_REPLACEMENT_FILE[0], "image/png")


async def test_no_keyword_no_sde_and_no_files_to_replace(emu: Emulator) -> None:
    result = await invoke(emu, {"conversationId": FIXTURE_CONVERSATION_ID, "keywords": ["warranty"]})
    assert result == {
        "conversationId": FIXTURE_CONVERSATION_ID,
        "hits": [],
        "keywordsFound": [],
        "sdeReported": False,
        "latestSde": None,
        "replacedFiles": [],
    }
    assert emu.state.count("smt") == 0
    assert emu.state.count("swift_auth") == 0


async def test_flow_errors(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="conversationId"):
        await invoke(emu, {})
    conv_id = add_conversation(emu.state, ["refund"])
    with pytest.raises(ValueError, match="visitorId"):
        await invoke(emu, {"conversationId": conv_id})
    with pytest.raises(ToolbeltError) as info:
        await invoke(emu, {"conversationId": "missing"})
    assert info.value.code == ErrorCodes.CONVERSATION_NOT_FOUND


def test_script_runs_against_its_own_emulator(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "conversation_flow.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert '"keywordsFound": [\n    "refund"\n  ]' in out
    assert '"replacedFiles": [' in out
