"""SDE util (pure parts), conversation search building/parsing, GDPR pure helpers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from lp_toolbelt import (
    Conversation,
    ConversationContentTypes,
    ConversationSDEs,
    ErrorCodes,
    SDEEvent,
    SDETypes,
    Toolbelt,
    ToolbeltConfig,
)
from lp_toolbelt.errors import (
    AuthenticationError,
    HttpStatusError,
    InvalidArgumentError,
    NotFoundError,
    ResponseFormatError,
)
from lp_toolbelt.transport.auth import HeaderCredential
from lp_toolbelt.transport.response import HttpResponse
from lp_toolbelt.utils.conversation import build_conversation_search, parse_conversation_response
from lp_toolbelt.utils.gdpr import (
    DEFAULT_REPLACEMENT_FILE,
    collect_file_paths,
    parse_swift_auth,
    swift_auth_request,
    swift_put_request,
)
from lp_toolbelt.utils.sde import build_add_sdes_request, sort_events, validate_sdes
from tests.fixtures import FIXTURES

DATA = Path(__file__).resolve().parents[2] / "lp_toolbelt" / "emulator" / "data" / "conversations"


def sde_util() -> Any:
    return Toolbelt(ToolbeltConfig(account_id="123", secrets={})).sde_util()


def response(status: int, body: bytes, headers: dict[str, str] | None = None) -> HttpResponse:
    return HttpResponse(
        status, CIMultiDictProxy(CIMultiDict(headers or {})), body, url=URL("http://h/x"), method="POST"
    )


# ------------------------------------------------------------------------------------------------ SDE validation
def test_documented_engagement_attribute_examples_validate() -> None:
    examples = json.loads((FIXTURES / "engagement_attributes_examples.json").read_text())
    assert validate_sdes(examples) == examples
    assert {sde["type"] for sde in examples} <= {t.value for t in SDETypes}


def test_enum_types_are_sent_as_their_wire_value() -> None:
    assert validate_sdes([{"type": SDETypes.CUSTOMER_INFO, "info": {"ctype": "vip"}}]) == [
        {"type": "ctmrinfo", "info": {"ctype": "vip"}}
    ]


def test_types_outside_sdetypes_go_through() -> None:
    # SDETypes are suggestions (the seed: "use the SDETypes for suggestions"): the API judges the type.
    assert validate_sdes([{"type": "cartStatus", "cart": {"total": 1}}]) == [
        {"type": "cartStatus", "cart": {"total": 1}}
    ]


@pytest.mark.parametrize(
    "sdes",
    [
        [],
        (),
        "ctmrinfo",
        {"type": "ctmrinfo"},
        [{"info": {}}],
        [{"type": 3}],
        [{"type": ""}],
        ["ctmrinfo"],
        [{"type": "lead", "lead": {"value": float("nan")}}],
        [{"type": "lead", "lead": {"when": object()}}],
        None,
    ],
)
def test_bad_sde_lists_are_refused(sdes: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        validate_sdes(sdes)
    assert info.value.code == ErrorCodes.SDES_GENERAL


def test_add_sdes_request_path_query_and_body() -> None:
    request = build_add_sdes_request("123", [{"type": "cart", "total": 1}], "visitor 1/../?x", "sess#1")
    assert request.path == "/api/account/123/monitoring/visitors/visitor%201%2F..%2F%3Fx/visits/current/events"
    assert request.params == {"v": "1", "sid": "sess#1"}
    assert request.body == [{"type": "cart", "total": 1}]
    assert "sdes=1" in repr(request)


@pytest.mark.parametrize(("visitor", "session"), [("", "s"), (".", "s"), ("..", "s"), (None, "s"), ("v", ""), ("v", 1)])
def test_bad_ids_are_refused(visitor: Any, session: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        build_add_sdes_request("123", [{"type": "cart"}], visitor, session)
    assert info.value.code == ErrorCodes.SDES_GENERAL


# ---------------------------------------------------------------------------------- SDEs from a conversation
def event(ts: Any, kind: str = "LEAD") -> SDEEvent:
    return SDEEvent.model_validate({"sdeType": kind, "serverTimeStamp": ts})


def test_sort_is_numeric_stable_and_puts_unknown_times_first() -> None:
    events = [event("1000", "A"), event(999, "B"), event(None, "C"), event("1000", "D"), event("9", "E")]
    assert [e.sde_type for e in sort_events(events)] == ["C", "E", "B", "A", "D"]  # "9" < "999" < "1000" numerically


def test_get_sdes_from_the_documented_example_sorted_and_typed() -> None:
    conv = Conversation.model_validate_json((DATA / "msghist_sdes_example.json").read_bytes())
    sdes = sde_util().get_sdes_from_conv(conv)
    assert isinstance(sdes, ConversationSDEs)
    assert [e.sde_type for e in sdes.sdes.events] == ["CUSTOMER_INFO", "PERSONAL_INFO"]
    stamps = [e.timestamp for e in sdes.un_auth_sdes.events]
    assert len(stamps) == 10
    assert stamps == sorted(stamps)  # type: ignore[type-var]
    dumped = sdes.model_dump(by_alias=True)
    assert set(dumped) == {"sdes", "unAuthSdes"}
    assert dumped["unAuthSdes"]["events"][0]["sdeType"] == "CART_STATUS"


def test_missing_parts_give_empty_lists() -> None:
    conv = {"conversationHistoryRecords": [{"info": {"conversationId": "c"}}]}
    sdes = sde_util().get_sdes_from_conv(conv)
    assert sdes.model_dump(by_alias=True) == {"sdes": {"events": []}, "unAuthSdes": {"events": []}}
    only_unauth = {
        "conversationHistoryRecords": [{"unAuthSdes": {"events": [{"serverTimeStamp": 2}, {"serverTimeStamp": 1}]}}]
    }
    sdes = sde_util().get_sdes_from_conv(only_unauth)
    assert sdes.sdes.events == []
    assert [e.timestamp for e in sdes.un_auth_sdes.events] == [1, 2]


@pytest.mark.parametrize("conv", [{"conversationHistoryRecords": []}, {"nope": 1}, None, 5])
def test_get_sdes_without_records_is_a_general_error(conv: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        sde_util().get_sdes_from_conv(conv)
    assert info.value.code == ErrorCodes.SDES_GENERAL


# ------------------------------------------------------------------------------------------------ conversation search
def test_search_body_omits_content_to_retrieve_when_not_given_or_empty() -> None:
    options: list[list[ConversationContentTypes] | None] = [None, []]
    for content in options:
        search = build_conversation_search("123", "conv-1", content)
        assert search.body == {"conversationId": "conv-1"}
    assert search.path == "/messaging_history/api/account/123/conversations/conversation/search"
    assert search.params == {"v": "2", "source": "FaaS_Toolbelt"}


def test_search_body_lists_content_types_as_wire_values_once() -> None:
    search = build_conversation_search(
        "a/b",
        "conv-1",
        [ConversationContentTypes.MESSAGE_RECORDS, "sdes", ConversationContentTypes.UNAUTH_SDES, "sdes"],
    )
    assert search.body == {"conversationId": "conv-1", "contentToRetrieve": ["messageRecords", "sdes", "unAuthSdes"]}
    assert search.path.startswith("/messaging_history/api/account/a%2Fb/")


@pytest.mark.parametrize(
    ("conversation_id", "content"),
    [("", None), ("  ", None), (None, None), (5, None), ("c", "sdes"), ("c", ["messageRecord"]), ("c", [1])],
)
def test_bad_search_arguments_are_refused(conversation_id: Any, content: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        build_conversation_search("123", conversation_id, content)
    assert info.value.code == ErrorCodes.CONVERSATION_GENERAL


def test_parse_search_answers() -> None:
    raw = (DATA / "msghist_conversation_by_id.json").read_bytes()
    assert parse_conversation_response(response(200, raw), "c").first_record is not None
    with pytest.raises(NotFoundError) as not_found:
        parse_conversation_response(
            response(200, b'{"_metadata": {"count": 0}, "conversationHistoryRecords": []}'), "c1"
        )
    assert not_found.value.code == ErrorCodes.CONVERSATION_NOT_FOUND
    assert "c1" in not_found.value.message
    for body in (b"<html>", b"[]", b"null", b'{"conversationHistoryRecords": {}}', b""):
        with pytest.raises(ResponseFormatError) as bad:
            parse_conversation_response(response(200, body), "c")
        assert bad.value.code == ErrorCodes.CONVERSATION_UNEXPECTED_RESPONSE
    with pytest.raises(HttpStatusError) as failed:
        parse_conversation_response(response(500, b'{"error": "boom"}'), "c")
    assert (failed.value.code, failed.value.status) == (ErrorCodes.CONVERSATION_UNEXPECTED_RESPONSE, 500)
    assert "boom" in failed.value.message
    with pytest.raises(AuthenticationError):
        parse_conversation_response(response(401, b""), "c")


# ------------------------------------------------------------------------------------------------ GDPR pure helpers
def test_default_replacement_is_a_one_pixel_png() -> None:
    body, content_type = DEFAULT_REPLACEMENT_FILE
    assert content_type == "image/png"
    assert body.startswith(b"\x89PNG\r\n\x1a\n")
    assert body[16:24] == (1).to_bytes(4, "big") * 2  # IHDR width, height


def test_collect_file_paths_first_record_hosted_files_once_in_order() -> None:
    def msg(kind: str, path: str | None) -> dict[str, Any]:
        return {"type": kind, "messageData": {"file": {"relativePath": path}} if path else {"msg": {"text": "t"}}}

    conv = {
        "conversationHistoryRecords": [
            {
                "messageRecords": [
                    msg("HOSTED_FILE", "/b"),
                    msg("TEXT_PLAIN", None),
                    msg("HOSTED_FILE", "/a"),
                    msg("HOSTED_FILE", "/b"),
                    msg("HOSTED_FILE", None),
                    msg("RICH_CONTENT", "/c"),
                ]
            },
            {"messageRecords": [msg("HOSTED_FILE", "/other-record")]},
        ]
    }
    assert collect_file_paths(conv) == ["/b", "/a"]
    assert collect_file_paths(conv, lambda p: p != "/b") == ["/a"]
    assert collect_file_paths({"conversationHistoryRecords": []}) == []
    with pytest.raises(InvalidArgumentError):
        collect_file_paths({"conversationHistoryRecords": [{"messageRecords": []}]})

    def boom(path: str) -> bool:
        raise RuntimeError(path)

    with pytest.raises(InvalidArgumentError) as info:
        collect_file_paths(conv, boom)
    assert info.value.code == ErrorCodes.GDPR_GENERAL


def test_swift_requests_keep_credentials_out_of_reprs() -> None:
    auth = swift_auth_request("https", "va.objectstorage.liveperson.net", {"username": "u", "password": "p@ss-SECRET"})
    assert str(auth.url) == "https://va.objectstorage.liveperson.net/auth/v1.0"
    assert auth.headers == {"X-Auth-User": "u", "X-Auth-Key": "p@ss-SECRET"}
    assert "p@ss-SECRET" not in repr(auth)
    put = swift_put_request("https", "h", "/v1/AUTH_a/x?y#z.png", b"b", "image/png")
    assert put.url.raw_path == "/v1/AUTH_a/x%3Fy%23z.png"
    assert put.url.query_string == ""
    assert put.headers == {"content-type": "image/png"}  # the x-auth-token credential is the run's authorizer's
    token = HeaderCredential("x-auth-token", "TOKEN-SECRET")
    assert "TOKEN-SECRET" not in repr(put.with_auth(token))


def test_parse_swift_auth() -> None:
    assert parse_swift_auth(response(200, b"", {"X-Auth-Token": "tk"})) == "tk"
    for resp in (response(401, b"Unauthorized"), response(200, b""), response(204, b"", {"x-auth-token": " "})):
        with pytest.raises(AuthenticationError) as info:
            parse_swift_auth(resp)
        assert info.value.code == ErrorCodes.GDPR_AUTH_FAILED
