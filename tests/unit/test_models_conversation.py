"""Conversation / SDE models: every fixture validates, dumps back to the wire JSON, and round-trips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from lp_toolbelt import Conversation, ConversationSDEs, KeywordScanResult, MessageRecord, SDEEvent
from lp_toolbelt.models.conversation import ConversationRecord
from lp_toolbelt.models.sde import SDEList, parse_timestamp
from tests.fixtures import FIXTURES

CONVERSATION_FIXTURES = ["msghist_conversation_by_id.json", "msghist_sdes_example.json"]
PACKAGED = Path(__file__).resolve().parents[2] / "lp_toolbelt" / "emulator" / "data" / "conversations"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize("name", CONVERSATION_FIXTURES)
def test_fixture_validates_and_dumps_back_to_the_same_json(name: str) -> None:
    raw = load(name)
    conv = Conversation.model_validate_json(raw)
    assert conv.model_dump(by_alias=True, mode="json") == json.loads(raw)
    assert json.loads(conv.model_dump_json(by_alias=True)) == json.loads(raw)


@pytest.mark.parametrize("name", CONVERSATION_FIXTURES)
def test_fixture_round_trips_dump_validate_equal(name: str) -> None:
    conv = Conversation.model_validate_json(load(name))
    by_alias = Conversation.model_validate(conv.model_dump(by_alias=True))
    by_name = Conversation.model_validate(conv.model_dump())
    assert by_alias == conv
    assert by_name == conv
    assert Conversation.model_validate_json(conv.model_dump_json(by_alias=True)) == conv


@pytest.mark.parametrize("name", CONVERSATION_FIXTURES)
def test_documented_fields_are_typed_not_left_as_extras(name: str) -> None:
    conv = Conversation.model_validate_json(load(name))
    record = conv.first_record
    assert record is not None
    assert record.model_extra == {}
    assert record.info is not None
    assert record.info.model_extra == {}
    assert record.info.conversation_id == "e5c58e49-e4a5-40a8-8a18-d6580d1d5630"
    assert record.info.alerted_mcs == 1  # the wire spells it alertedMCS
    assert record.campaign is not None
    assert record.campaign.lob_id == 2389848512
    messages = record.message_records or []
    assert [m.type for m in messages] == ["TEXT_PLAIN", "TEXT_PLAIN", "TEXT_PLAIN", "RICH_CONTENT"]
    assert messages[0].message_data is not None
    assert messages[0].message_data.msg is not None
    assert messages[0].message_data.msg.text == "Hi there #4"
    assert messages[0].time_l == 1472483659564
    assert messages[0].sent_by == "Consumer"
    assert messages[3].message_data is not None
    assert messages[3].message_data.rich_content is not None
    assert isinstance(messages[3].message_data.rich_content.content, str)
    assert record.consumers[0].first_name == "Visitor"  # the docs' singular consumerParticipant
    assert record.message_score is not None
    assert record.message_score[0].mcs == 0
    assert record.sdes is not None
    assert record.sdes.events[0].sde_type == "CUSTOMER_INFO"
    assert record.sdes.events[0].server_time_stamp == "1497871291351"  # kept as sent (a string)
    assert record.sdes.events[0].timestamp == 1497871291351
    assert record.sdes.events[0].data == {
        "serverTimeStamp": "1497871291351",
        "customerInfo": {"customerId": "12345678", "companyBranch": "dummyCompanyBranch"},
    }


def test_unauth_sdes_example_keeps_nulls_and_types_events() -> None:
    record = Conversation.model_validate_json(load("msghist_sdes_example.json")).first_record
    assert record is not None
    assert record.un_auth_sdes is not None
    types = [e.sde_type for e in record.un_auth_sdes.events]
    assert types[:2] == ["CART_STATUS", "MARKETING_CAMPAIGN_INFO"]
    assert all(e.is_authenticated is False for e in record.un_auth_sdes.events)
    visitor_error = next(e for e in record.un_auth_sdes.events if e.sde_type == "VISITOR_ERROR")
    assert visitor_error.visitor_error is not None
    assert visitor_error.visitor_error["visitorError"]["level"] is None
    dumped = record.model_dump(by_alias=True)
    assert dumped["unAuthSdes"]["events"][8]["purchase"]["cart"]["total"] is None  # explicit null kept


def test_packaged_seed_copies_are_the_fixtures() -> None:
    for name in CONVERSATION_FIXTURES:
        assert json.loads((PACKAGED / name).read_bytes()) == json.loads(load(name))


def test_unknown_fields_are_kept_at_every_level() -> None:
    payload: dict[str, Any] = {
        "_metadata": {"count": 1, "futureMeta": [1]},
        "conversationHistoryRecords": [
            {
                "info": {"conversationId": "c1", "newInfoField": {"x": 1}},
                "messageRecords": [
                    {
                        "type": "HOSTED_FILE",
                        "messageData": {"file": {"relativePath": "/v1/AUTH_a/f.png", "caption": "c", "preview": "x"}},
                        "timeL": 5,
                        "brandNewField": True,
                    }
                ],
                "intents": [{"id": "i1"}],
            }
        ],
    }
    conv = Conversation.model_validate(payload)
    record = conv.first_record
    assert record is not None
    assert record.model_extra == {"intents": [{"id": "i1"}]}
    message = (record.message_records or [])[0]
    assert message.model_extra == {"brandNewField": True}
    assert message.relative_path == "/v1/AUTH_a/f.png"
    assert message.text == "c"
    assert conv.model_dump(by_alias=True) == payload


def test_snake_case_names_and_camel_case_aliases_both_populate() -> None:
    by_name = MessageRecord(type="TEXT_PLAIN", message_data={"msg": {"text": "hi"}}, time_l=7, sent_by="Agent")  # type: ignore[arg-type]
    by_alias = MessageRecord.model_validate(
        {"type": "TEXT_PLAIN", "messageData": {"msg": {"text": "hi"}}, "timeL": 7, "sentBy": "Agent"}
    )
    assert by_name == by_alias
    assert by_name.model_dump(by_alias=True) == {
        "type": "TEXT_PLAIN",
        "messageData": {"msg": {"text": "hi"}},
        "timeL": 7,
        "sentBy": "Agent",
    }
    assert by_name.model_dump() == {
        "type": "TEXT_PLAIN",
        "message_data": {"msg": {"text": "hi"}},
        "time_l": 7,
        "sent_by": "Agent",
    }


def test_explicit_none_is_kept_but_absent_fields_are_not_dumped() -> None:
    record = MessageRecord.model_validate({"type": "TEXT_PLAIN", "sentBy": None})
    assert record.model_dump(by_alias=True) == {"type": "TEXT_PLAIN", "sentBy": None}
    assert "timeL" not in record.model_dump(by_alias=True)


def test_message_text_by_type() -> None:
    def rec(kind: str, data: dict[str, Any] | None) -> MessageRecord:
        return MessageRecord.model_validate({"type": kind, "messageData": data})

    assert rec("TEXT_PLAIN", {"msg": {"text": "a"}}).text == "a"
    assert rec("TEXT_PLAIN", {}).text == ""
    assert rec("TEXT_PLAIN", None).text == ""
    assert rec("HOSTED_FILE", {"file": {"caption": "cap", "relativePath": "/p"}}).text == "cap"
    assert rec("HOSTED_FILE", {"file": {"relativePath": "/p"}}).text == ""
    assert rec("RICH_CONTENT", {"msg": {"text": "x"}}).text is None
    assert rec("TEXT_PLAIN", {"file": {"relativePath": "/p"}}).relative_path is None


def test_conversation_requires_history_records_and_rejects_wrong_types() -> None:
    with pytest.raises(ValidationError):
        Conversation.model_validate({"_metadata": {}})
    with pytest.raises(ValidationError):
        Conversation.model_validate({"conversationHistoryRecords": [{"messageRecords": "nope"}]})
    with pytest.raises(ValidationError):
        Conversation.model_validate({"conversationHistoryRecords": [{"messageRecords": [{"timeL": "soon"}]}]})
    assert Conversation.model_validate({"conversationHistoryRecords": []}).first_record is None


def test_ids_keep_the_type_they_were_sent_with() -> None:
    record = ConversationRecord.model_validate(
        {"info": {"latestAgentId": "3677470410", "latestSkillId": -1}, "messageRecords": [{"seq": "3", "dialogId": 9}]}
    )
    assert record.info is not None
    assert record.info.latest_agent_id == "3677470410"
    assert record.info.latest_skill_id == -1
    message = (record.message_records or [])[0]
    assert message.seq == "3"
    assert message.dialog_id == 9


def test_keyword_scan_result_node_shape_and_frozen() -> None:
    hit = KeywordScanResult(message="m", sent_timestamp=3, sent_by="Consumer", tag="keywordRef:m")
    assert hit.model_dump(by_alias=True) == {
        "message": "m",
        "sentTimestamp": 3,
        "sentBy": "Consumer",
        "tag": "keywordRef:m",
    }
    assert KeywordScanResult.model_validate(hit.model_dump(by_alias=True)) == hit
    with pytest.raises(ValidationError):
        hit.tag = "x"  # type: ignore[misc]


def test_conversation_sdes_defaults_and_node_shape() -> None:
    empty = ConversationSDEs()
    assert empty.model_dump(by_alias=True) == {"sdes": {"events": []}, "unAuthSdes": {"events": []}}
    event = SDEEvent.model_validate({"sdeType": "LEAD", "serverTimeStamp": 5, "lead": {"lead": {"topic": "t"}}})
    sdes = ConversationSDEs(sdes=SDEList(events=[event]))
    assert ConversationSDEs.model_validate(sdes.model_dump(by_alias=True)) == sdes
    assert event.data == {"lead": {"topic": "t"}}
    assert SDEEvent(sde_type="UNKNOWN").data is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, 5),
        ("1497871291351", 1497871291351),
        (" 7 ", 7),
        ("1.5e3", 1500),
        (2.9, 2),
        ("x", None),
        (None, None),
        (True, None),
        (float("nan"), None),
        ("inf", None),
        ({}, None),
    ],
)
def test_parse_timestamp(value: Any, expected: int | None) -> None:
    assert parse_timestamp(value) == expected
