"""Keyword scan: Node semantics, literal keywords, and property tests against a naive reference of the spec."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lp_toolbelt import Conversation, ErrorCodes, KeywordScanResult, MessageRecord, ToolbeltError
from lp_toolbelt.errors import InvalidArgumentError
from lp_toolbelt.utils import keyword_scan
from lp_toolbelt.utils._keyword_regex import _build, safe_skip, tokenizer, trie_regex
from lp_toolbelt.utils.keyword_scan import KeywordMatcher, scan_conversation_for_keywords, scan_message_records
from tests.node_oracle import js_contains

DATA = Path(__file__).resolve().parents[2] / "lp_toolbelt" / "emulator" / "data" / "conversations"


def naive_scan(records: list[MessageRecord], keywords: list[str]) -> list[dict[str, Any]]:
    """The Node algorithm, keywords escaped: every keyword tried on every message, JavaScript's case rules."""
    out: list[dict[str, Any]] = []
    for keyword in keywords:
        for record in records:
            if record.type == "TEXT_PLAIN":
                msg = record.message_data.msg if record.message_data else None
                text = (msg.text if msg else None) or ""
            elif record.type == "HOSTED_FILE":
                file = record.message_data.file if record.message_data else None
                text = (file.caption if file else None) or ""
            else:
                continue
            if js_contains(text, keyword):
                out.append(
                    {
                        "message": text,
                        "sentTimestamp": record.time_l if record.time_l is not None else -1,
                        "sentBy": record.sent_by if record.sent_by is not None else "",
                        "tag": f"keywordRef:{keyword}",
                    }
                )
    return out


def text_record(text: str | None, time_l: int | None = 1, sent_by: str | None = "Consumer") -> MessageRecord:
    data: dict[str, Any] = {"type": "TEXT_PLAIN", "messageData": {"msg": {"text": text}}}
    if time_l is not None:
        data["timeL"] = time_l
    if sent_by is not None:
        data["sentBy"] = sent_by
    return MessageRecord.model_validate(data)


def file_record(caption: str | None, time_l: int = 1) -> MessageRecord:
    return MessageRecord.model_validate(
        {
            "type": "HOSTED_FILE",
            "messageData": {"file": {"caption": caption, "relativePath": "/v1/AUTH_x/f.png"}},
            "timeL": time_l,
            "sentBy": "Agent",
        }
    )


def conversation(records: list[MessageRecord]) -> Conversation:
    return Conversation.model_validate(
        {"conversationHistoryRecords": [{"messageRecords": [r.model_dump(by_alias=True) for r in records]}]}
    )


def dumps(hits: list[KeywordScanResult]) -> list[dict[str, Any]]:
    return [h.model_dump(by_alias=True) for h in hits]


# ------------------------------------------------------------------------------------------------ Node semantics
def test_fixture_conversation_scan_matches_node_shape() -> None:
    conv = Conversation.model_validate_json((DATA / "msghist_conversation_by_id.json").read_bytes())
    hits = scan_conversation_for_keywords(conv, ["hi there", "LOVE", "sale"])
    assert dumps(hits) == [
        {"message": "Hi there #4", "sentTimestamp": 1472483659564, "sentBy": "Consumer", "tag": "keywordRef:hi there"},
        {
            "message": "Hi there, dear consumer!",
            "sentTimestamp": 1472483659564,
            "sentBy": "Agent",
            "tag": "keywordRef:hi there",
        },
        {
            "message": "I love your service",
            "sentTimestamp": 1472483742568,
            "sentBy": "Consumer",
            "tag": "keywordRef:LOVE",
        },
    ]  # "sale" is only in the RICH_CONTENT message, which is not scanned


def test_keyword_major_then_transcript_order_one_item_per_pair() -> None:
    records = [text_record("b a", 1), text_record("a", 2), text_record("b", 3), text_record("A B", 4)]
    hits = scan_message_records(records, ["b", "a"])
    assert [(h.tag, h.sent_timestamp) for h in hits] == [
        ("keywordRef:b", 1),
        ("keywordRef:b", 3),
        ("keywordRef:b", 4),
        ("keywordRef:a", 1),
        ("keywordRef:a", 2),
        ("keywordRef:a", 4),
    ]


def test_repeated_occurrences_count_once_but_duplicate_keywords_twice() -> None:
    records = [text_record("refund refund REFUND")]
    assert len(scan_message_records(records, ["refund"])) == 1
    hits = scan_message_records(records, ["refund", "Refund", "refund"])
    assert [h.tag for h in hits] == ["keywordRef:refund", "keywordRef:Refund", "keywordRef:refund"]


def test_hosted_file_caption_counts_and_other_types_do_not() -> None:
    rich = MessageRecord.model_validate(
        {"type": "RICH_CONTENT", "messageData": {"msg": {"text": "refund"}}, "timeL": 9, "sentBy": "Agent"}
    )
    records = [file_record("Refund receipt", 5), rich, file_record(None, 6), text_record(None, 7)]
    hits = scan_message_records(records, ["refund"])
    assert dumps(hits) == [
        {"message": "Refund receipt", "sentTimestamp": 5, "sentBy": "Agent", "tag": "keywordRef:refund"}
    ]


@pytest.mark.parametrize("keyword", ["c++", "?", "(", ".*", "a|b", "[x]", "\\d", "^", "$", "{2}"])
def test_keywords_are_literal_text(keyword: str) -> None:
    records = [text_record(f"I use {keyword} daily"), text_record("plain words only 12")]
    hits = scan_message_records(records, [keyword])
    assert [h.message for h in hits] == [f"I use {keyword} daily"]


def test_empty_keyword_matches_every_scanned_message_like_an_empty_regexp() -> None:
    records = [text_record("x"), text_record(""), file_record(None)]
    assert len(scan_message_records(records, [""])) == 3


def test_missing_time_and_sender_use_documented_placeholders() -> None:
    hit = scan_message_records([text_record("x", time_l=None, sent_by=None)], ["x"])[0]
    assert (hit.sent_timestamp, hit.sent_by) == (-1, "")


def test_raw_mapping_is_accepted() -> None:
    payload = {
        "conversationHistoryRecords": [
            {
                "messageRecords": [
                    {"type": "TEXT_PLAIN", "messageData": {"msg": {"text": "Yo"}}, "timeL": 3, "sentBy": "Agent"}
                ]
            }
        ]
    }
    assert [h.sent_timestamp for h in scan_conversation_for_keywords(payload, ["yo"])] == [3]


def test_empty_message_list_gives_no_hits_as_in_node() -> None:
    assert scan_conversation_for_keywords(conversation([]), ["x"]) == []


@pytest.mark.parametrize(
    "conv",
    [
        None,
        Conversation.model_validate({"conversationHistoryRecords": []}),
        Conversation.model_validate({"conversationHistoryRecords": [{"info": {"conversationId": "c"}}]}),
        {"conversationHistoryRecords": "nope"},
        "not a conversation",
    ],
)
def test_no_conversation_or_no_message_records_is_a_general_error(conv: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        scan_conversation_for_keywords(conv, ["x"])
    assert info.value.code == ErrorCodes.CONVERSATION_GENERAL
    assert isinstance(info.value, ToolbeltError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("keywords", [[], (), "refund", [1], ["ok", None]])
def test_bad_keyword_lists_are_refused(keywords: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        scan_conversation_for_keywords(conversation([text_record("refund")]), keywords)
    assert info.value.code == ErrorCodes.CONVERSATION_GENERAL


# ------------------------------------------------------------------------------------------------ the matcher
def test_overlapping_and_nested_keywords_are_all_found() -> None:
    matcher = KeywordMatcher(["abc", "bcd", "ab", "abcd", "c", "xyz"])
    assert matcher.find(["abcd", "zabz", "xy"]) == [[0], [0], [0, 1], [0], [0], []]


def test_trie_regex_factors_prefixes_and_escapes() -> None:
    source = trie_regex(["refund", "ref", "cancel", "credit", "c++"])
    assert source == r"(?:c(?:\+\+|ancel|redit)|ref(?:und)?)"
    assert re.fullmatch(source, "c++")
    assert not re.fullmatch(source, "cc")


def test_safe_skip_stops_where_another_keyword_could_start() -> None:
    root = _build(["ABCD", "CDX", "ZZ", "Q"])
    assert safe_skip("ABCD", root) == 2  # "CD..." could be CDX
    assert safe_skip("CDX", root) == 3  # nothing starts with D, DX or X
    assert safe_skip("ZZ", root) == 1  # "Z..." could be ZZ again
    assert safe_skip("Q", root) == 1


def test_tokenizer_reports_the_longest_keyword_at_every_start_and_the_separators() -> None:
    source = tokenizer(["AB", "BC", "ABCD", "CDX", "ZZ"], "\x00")
    assert re.findall(source, "XABCDX\x00ZZZ\x00BC", re.DOTALL) == [
        "ABCD",
        "BC",
        "CDX",
        "\x00",
        "ZZ",
        "ZZ",
        "\x00",
        "BC",
    ]


def test_tokenizer_jumps_over_a_whole_keyword_only_when_nothing_can_run_on_past_it() -> None:
    source = tokenizer(["ABC", "CDE", "XY"], "\x00")
    assert "C(?![D])" in source  # ABC whole, unless a D follows (CDE would start inside it)
    assert re.findall(source, "ABC ABCDE XY ABCD", re.DOTALL) == ["ABC", "ABC", "CDE", "XY", "ABC"]


# ------------------------------------------------------------------------------------------------ property test
SPECIAL = "aAbBcC +?(.*\\|İıiIſsSΣσςKkµΜßẞ\x00\n\ue000"
texts = st.text(alphabet=st.sampled_from(SPECIAL), max_size=30) | st.text(max_size=30)
records = st.lists(
    st.tuples(st.sampled_from(["TEXT_PLAIN", "HOSTED_FILE", "RICH_CONTENT", "TEXT_PLAIN"]), texts | st.none()),
    max_size=25,
)


@st.composite
def transcript_and_keywords(draw: st.DrawFn) -> tuple[list[MessageRecord], list[str]]:
    raw = draw(records)
    built: list[MessageRecord] = []
    for i, (kind, text) in enumerate(raw):
        key = "msg" if kind != "HOSTED_FILE" else "file"
        field = "text" if key == "msg" else "caption"
        built.append(
            MessageRecord.model_validate(
                {
                    "type": kind,
                    "messageData": {key: {field: text}},
                    "timeL": i,
                    "sentBy": "Agent" if i % 2 else "Consumer",
                }
            )
        )
    # keywords: some cut out of the messages (case flipped), some random
    pool = [t for _, t in raw if t]
    cut = (
        st.sampled_from(pool).flatmap(
            lambda t: st.tuples(st.integers(0, len(t)), st.integers(0, 6), st.booleans()).map(
                lambda a: t[a[0] : a[0] + a[1]].swapcase() if a[2] else t[a[0] : a[0] + a[1]]
            )
        )
        if pool
        else st.just("x")
    )
    keywords = draw(st.lists(cut | texts, min_size=1, max_size=12))
    return built, keywords


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transcript_and_keywords())
def test_scan_equals_naive_reference(case: tuple[list[MessageRecord], list[str]]) -> None:
    built, keywords = case
    assert dumps(scan_message_records(built, keywords)) == naive_scan(built, keywords)


@settings(max_examples=200, deadline=None)
@given(st.lists(texts, max_size=15), st.lists(texts, min_size=1, max_size=10))
def test_matcher_equals_per_keyword_reference(messages: list[str], keywords: list[str]) -> None:
    expected = [[i for i, m in enumerate(messages) if js_contains(m, k)] for k in keywords]
    assert KeywordMatcher(keywords).find(messages) == expected


# Overlaps everywhere: a two-letter alphabet makes keywords prefixes, suffixes and infixes of each other, which is
# where the tokenizer's skips could hide an occurrence.
overlapping = st.text(alphabet="abAB", max_size=40)


# The scan switches, chunk by chunk, between searching position by position and tokenizing the chunk in one
# findall (see KeywordMatcher._keys): tiny chunks and forced modes run both paths, and every switch, on small inputs.
CHUNKINGS = [
    pytest.param(1 << 16, 1 / 32, id="default"),
    pytest.param(1, -1.0, id="one-text-chunks-tokenized"),
    pytest.param(5, -1.0, id="small-chunks-tokenized"),
    pytest.param(3, 2.0, id="small-chunks-searched"),
    pytest.param(2, 0.05, id="small-chunks-switching"),
]


@pytest.mark.parametrize(("chunk", "dense"), CHUNKINGS)
@settings(max_examples=150, deadline=None)
@given(st.lists(overlapping, max_size=8), st.lists(st.text(alphabet="abAB", min_size=1, max_size=6), min_size=1))
def test_matcher_finds_every_overlapping_occurrence(
    chunk: int, dense: float, messages: list[str], keywords: list[str]
) -> None:
    expected = [[i for i, m in enumerate(messages) if js_contains(m, k)] for k in keywords]
    with patch.object(keyword_scan, "_CHUNK", chunk), patch.object(keyword_scan, "_DENSE", dense):
        assert KeywordMatcher(keywords).find(messages) == expected


@pytest.mark.parametrize(("chunk", "dense"), CHUNKINGS)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transcript_and_keywords())
def test_scan_equals_naive_reference_in_every_chunking(
    chunk: int, dense: float, case: tuple[list[MessageRecord], list[str]]
) -> None:
    built, keywords = case
    with patch.object(keyword_scan, "_CHUNK", chunk), patch.object(keyword_scan, "_DENSE", dense):
        assert dumps(scan_message_records(built, keywords)) == naive_scan(built, keywords)
