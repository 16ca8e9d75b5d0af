"""ConversationUtil against the emulator: the msgHist search round trip, its request contract and error paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lp_toolbelt import Conversation, ConversationContentTypes, ErrorCodes, Toolbelt, ToolbeltError
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.routes.msghist import (
    FIXTURE_CONVERSATION_ID,
    SDES_EXAMPLE_CONVERSATION_ID,
    add_conversation,
)
from lp_toolbelt.errors import (
    AuthenticationError,
    HttpStatusError,
    InvalidArgumentError,
    NotFoundError,
    ResponseFormatError,
)

DATA = Path(__file__).resolve().parents[2] / "lp_toolbelt" / "emulator" / "data" / "conversations"
APP_KEY = "lp-faas-default-app-key"


def fixture_record(name: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((DATA / name).read_text())["conversationHistoryRecords"][0]
    return record


async def test_fixture_conversation_round_trips_through_the_emulator(emu: Emulator, tb: Toolbelt) -> None:
    conv = await tb.conversation_util().get_conversation_by_id(FIXTURE_CONVERSATION_ID)
    assert isinstance(conv, Conversation)
    assert conv.metadata is not None
    assert conv.metadata.count == 1
    record = conv.model_dump(by_alias=True, mode="json")["conversationHistoryRecords"][0]
    assert record == fixture_record("msghist_conversation_by_id.json")
    searches = [r for r in emu.state.requests if r.route == "msghist"]
    assert len(searches) == 1
    assert searches[0].method == "POST"
    assert searches[0].query == "v=2&source=FaaS_Toolbelt"
    assert searches[0].auth_scheme == "Bearer"  # the default app key is V2's (OAuth 2.0)


async def test_v2_returns_unauthenticated_sdes(tb: Toolbelt) -> None:
    conv = await tb.conversation_util().get_conversation_by_id(SDES_EXAMPLE_CONVERSATION_ID)
    record = conv.first_record
    assert record is not None
    assert record.un_auth_sdes is not None  # the emulator drops them unless v=2, as the API does
    assert len(record.un_auth_sdes.events) == 10
    expected = fixture_record("msghist_sdes_example.json")
    expected["info"]["conversationId"] = SDES_EXAMPLE_CONVERSATION_ID
    assert conv.model_dump(by_alias=True, mode="json")["conversationHistoryRecords"][0] == expected


async def test_content_to_retrieve_selects_the_parts(tb: Toolbelt) -> None:
    util = tb.conversation_util()
    conv = await util.get_conversation_by_id(
        SDES_EXAMPLE_CONVERSATION_ID, [ConversationContentTypes.SDES, ConversationContentTypes.UNAUTH_SDES]
    )
    record = conv.first_record
    assert record is not None
    assert set(record.model_dump(by_alias=True)) == {"info", "sdes", "unAuthSdes"}
    assert record.message_records is None
    with pytest.raises(ToolbeltError) as info:  # nothing to scan: Node's "provide conversation with records"
        util.scan_conversation_for_keywords(conv, ["hi"])
    assert info.value.code == ErrorCodes.CONVERSATION_GENERAL

    conv = await util.get_conversation_by_id(FIXTURE_CONVERSATION_ID, [ConversationContentTypes.MESSAGE_RECORDS])
    assert conv.first_record is not None
    assert set(conv.first_record.model_dump(by_alias=True)) == {"info", "messageRecords"}
    assert [h.message for h in util.scan_conversation_for_keywords(conv, ["THERE"])] == [
        "Hi there #4",
        "Hi there, dear consumer!",
    ]


async def test_generated_conversation_scan_covers_text_and_file_captions(emu: Emulator, tb: Toolbelt) -> None:
    conv_id = add_conversation(
        emu.state,
        ["Hello, I need a REFUND", "Sure. Which order?", {"caption": "refund receipt"}, "c++ is not an order?"],
    )
    util = tb.conversation_util()
    conv = await util.get_conversation_by_id(conv_id)
    hits = [h.model_dump(by_alias=True) for h in util.scan_conversation_for_keywords(conv, ["refund", "?", "c++"])]
    assert [(h["tag"], h["message"], h["sentBy"]) for h in hits] == [
        ("keywordRef:refund", "Hello, I need a REFUND", "Consumer"),
        ("keywordRef:refund", "refund receipt", "Consumer"),
        ("keywordRef:?", "Sure. Which order?", "Agent"),
        ("keywordRef:?", "c++ is not an order?", "Agent"),
        ("keywordRef:c++", "c++ is not an order?", "Agent"),
    ]
    assert [h["sentTimestamp"] for h in hits[:2]] == [1_700_000_000_000, 1_700_000_002_000]


async def test_unknown_conversation_is_not_found(tb: Toolbelt) -> None:
    with pytest.raises(NotFoundError) as info:
        await tb.conversation_util().get_conversation_by_id("no-such-conversation")
    assert info.value.code == ErrorCodes.CONVERSATION_NOT_FOUND
    assert info.value.component == "ConversationUtil"


async def test_empty_record_list_is_not_found_even_with_metadata(emu: Emulator, tb: Toolbelt) -> None:
    emu.state.faults.add(
        "msghist", "status", status=200, body={"_metadata": {"count": 0}, "conversationHistoryRecords": []}
    )
    with pytest.raises(NotFoundError):
        await tb.conversation_util().get_conversation_by_id(FIXTURE_CONVERSATION_ID)


async def test_server_error_is_an_unexpected_response_with_status(emu: Emulator, tb: Toolbelt) -> None:
    emu.state.faults.add("msghist", "status", status=500, body={"error": "msgHist exploded"})
    with pytest.raises(HttpStatusError) as info:
        await tb.conversation_util().get_conversation_by_id(FIXTURE_CONVERSATION_ID)
    assert info.value.code == ErrorCodes.CONVERSATION_UNEXPECTED_RESPONSE
    assert info.value.status == 500
    assert "msgHist exploded" in info.value.message
    assert emu.state.count("msghist") == 1  # a 500 is an answer, not retried


@pytest.mark.parametrize(
    ("kind", "body"),
    [("malformed_json", None), ("status", "<html>maintenance</html>"), ("status", {"unexpected": True})],
)
async def test_bad_bodies_are_unexpected_responses(emu: Emulator, tb: Toolbelt, kind: str, body: Any) -> None:
    options: dict[str, Any] = {"status": 200} if kind == "status" else {}
    emu.state.faults.add("msghist", kind, body=body, **options)
    with pytest.raises(ResponseFormatError) as info:
        await tb.conversation_util().get_conversation_by_id(FIXTURE_CONVERSATION_ID)
    assert info.value.code == ErrorCodes.CONVERSATION_UNEXPECTED_RESPONSE
    assert info.value.status == 200


async def test_search_is_retried_after_a_connection_reset(emu: Emulator, tb: Toolbelt) -> None:
    emu.state.faults.add("msghist", "reset_before_headers")
    conv = await tb.conversation_util().get_conversation_by_id(FIXTURE_CONVERSATION_ID)
    assert conv.first_record is not None
    assert emu.state.count("msghist") == 2  # the POST is read-only, so it is replayed like a GET


async def test_refused_credentials_are_an_authentication_error(emu: Emulator) -> None:
    secrets = json.loads(json.dumps(emu.config().secrets))
    secrets[APP_KEY]["consumerSecret"] = "wrong"
    del secrets["LIVEPERSON_DEFAULT_APP_KEY"]  # no V2 default app key: V1's legacy API key is the default
    async with Toolbelt(emu.config(secrets=secrets)) as tb:
        with pytest.raises(AuthenticationError) as info:
            await tb.conversation_util().get_conversation_by_id(FIXTURE_CONVERSATION_ID)
    assert info.value.status == 401
    assert info.value.code == ErrorCodes.CONVERSATION_UNEXPECTED_RESPONSE
    assert emu.state.count("msghist") == 2  # the LP client re-reads the key and retries once


async def test_oauth2_app_installation_works_too(emu: Emulator) -> None:
    async with Toolbelt(emu.config()) as tb:
        conv = await tb.conversation_util().get_conversation_by_id(
            FIXTURE_CONVERSATION_ID, app_key_secret_name="lp-faas-oauth2-app"
        )
    assert conv.first_record is not None
    assert [r.auth_scheme for r in emu.state.requests if r.route == "msghist"] == ["Bearer"]


@pytest.mark.parametrize(("conversation_id", "content"), [("", None), ("c", ["bogus"]), ("c", "sdes")])
async def test_bad_arguments_fail_before_any_request(
    emu: Emulator, tb: Toolbelt, conversation_id: str, content: Any
) -> None:
    with pytest.raises(InvalidArgumentError):
        await tb.conversation_util().get_conversation_by_id(conversation_id, content)
    assert emu.state.requests == []
