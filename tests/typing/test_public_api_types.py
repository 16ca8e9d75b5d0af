"""The public API as a user's IDE sees it: every name of python-api.md, checked by mypy --strict (assert_type)
and run for real against the emulator, so both the types and the behaviour are pinned."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, assert_type

import pytest

import lp_toolbelt
from lp_toolbelt import (
    Conversation,
    ConversationContentTypes,
    ConversationSDEs,
    ErrorCodes,
    HttpResponse,
    InvalidArgumentError,
    KeywordScanResult,
    LpServices,
    MessageRecord,
    Namespace,
    NotFoundError,
    RequestTimeoutError,
    SDEEvent,
    SDETypes,
    SecretEntry,
    Toolbelt,
    ToolbeltConfig,
    ToolbeltError,
)
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.state import DEFAULT_CONTEXT_API_KEY, SALESFORCE_ACCESS_TOKEN

CONVERSATION_ID = "e5c58e49-e4a5-40a8-8a18-d6580d1d5630"


def test_all_names_exported() -> None:
    expected = {
        "Toolbelt",
        "ToolbeltConfig",
        "LpServices",
        "ConversationContentTypes",
        "SDETypes",
        "ToolbeltError",
        "ErrorCodes",
        "HttpResponse",
        "Conversation",
        "MessageRecord",
        "KeywordScanResult",
        "SDEEvent",
        "ConversationSDEs",
        "SecretEntry",
        "Namespace",
    }
    assert expected <= set(lp_toolbelt.__all__)
    assert LpServices.MSG_HIST.value == "msgHist"
    assert ConversationContentTypes.MESSAGE_RECORDS.value == "messageRecords"
    assert SDETypes.TRANSACTION.value == "purchase"


async def test_every_client_typed_and_working() -> None:
    async with Emulator(rate_limit=None) as emu:
        config = emu.config(rate_limit=1000)
        assert_type(config, ToolbeltConfig)
        async with Toolbelt(config) as tb:
            assert_type(tb, Toolbelt)
            acc = emu.state.account_id

            resp = await tb.http_client().get(f"{emu.base_url}/api/account/{acc}/service/baseURI.json")
            assert_type(resp, HttpResponse)
            assert_type(resp.status, int)
            assert_type(resp.content, bytes)
            assert_type(resp.text(), str)
            assert_type(resp.json(), Any)

            host = await tb.csds_client().get("msgHist")
            assert_type(host, str)
            all_ = await tb.csds_client().get_all()
            assert_type(all_, dict[str, str])

            lp_resp = await tb.lp_client()(
                LpServices.ACCOUNT_CONFIG_READ_ONLY, f"/api/account/{acc}/configuration/le-users/skills"
            )
            assert_type(lp_resp, HttpResponse)
            assert lp_resp.ok

            entry = await tb.secret_client().read_secret("demo-secret", use_cache=False)
            assert_type(entry, SecretEntry)
            updated = await tb.secret_client().update_secret(SecretEntry(key="demo-secret", value={"n": 1}))
            assert updated.value == {"n": 1}

            conversations = tb.conversation_util()
            conv = await conversations.get_conversation_by_id(
                CONVERSATION_ID, [ConversationContentTypes.MESSAGE_RECORDS, ConversationContentTypes.SDES]
            )
            assert_type(conv, Conversation)
            record_messages = conv.conversation_history_records[0].message_records or []
            if record_messages:
                assert_type(record_messages[0], MessageRecord)
            hits = conversations.scan_conversation_for_keywords(conv, ["hi"])
            assert_type(hits, list[KeywordScanResult])
            assert all(h.tag == "keywordRef:hi" for h in hits)

            sde = tb.sde_util()
            await sde.add_sdes(
                [{"type": SDETypes.CUSTOMER_INFO.value, "info": {"ctype": "vip"}}], "visitor-1", "sess-1"
            )
            sdes = sde.get_sdes_from_conv(conv)
            assert_type(sdes, ConversationSDEs)
            for event in sdes.sdes.events:
                assert_type(event, SDEEvent)

            replaced = await tb.gdpr_util().replace_conversation_files(
                conv, {"username": "swift-user", "password": "swift-key"}, lambda path: True
            )
            assert_type(replaced, list[str])

            ctx = tb.context_service_client(DEFAULT_CONTEXT_API_KEY)
            ns = await ctx.create_namespace("typing-ns", ttl=3600)
            assert_type(ns, Namespace)
            props = await ctx.set_properties_in_namespace("typing-ns", {"a": 1}, "s1")
            assert_type(props, dict[str, Any])
            assert await ctx.get_property_in_session("typing-ns", "a", "s1") == 1
            sessions = await ctx.get_list_of_sessions("typing-ns")
            assert_type(sessions, list[str])
            await ctx.delete_namespace("typing-ns")

            con = tb.sf_client().connect_to_salesforce(
                login_url=str(emu.base_url), access_token=SALESFORCE_ACCESS_TOKEN, instance_url=str(emu.base_url)
            )
            result = await con.query("SELECT Id, Name FROM Account LIMIT 2")
            assert_type(result, dict[str, Any])
            records = con.query_all("SELECT Id FROM Account")
            assert_type(records, AsyncIterator[dict[str, Any]])
            assert [r async for r in records]


async def test_errors_are_typed() -> None:
    async with Emulator() as emu, Toolbelt(emu.config()) as tb:
        with pytest.raises(ToolbeltError) as info:
            await tb.secret_client().read_secret("does-not-exist")
        err = info.value
        assert_type(err.code, str)
        assert_type(err.status, int | None)
        assert_type(err.component, str)
        assert err.code == ErrorCodes.SECRET_NOT_FOUND


def test_every_error_subclass_is_importable_from_the_package() -> None:
    """``from lp_toolbelt import NotFoundError`` and the rest: the whole tree of errors.py, typed."""
    from lp_toolbelt import errors

    tree = {
        name
        for name in errors.__all__
        if isinstance(getattr(errors, name), type) and issubclass(getattr(errors, name), ToolbeltError)
    }
    assert len(tree) >= 11
    assert tree <= set(lp_toolbelt.__all__)
    assert all(getattr(lp_toolbelt, name) is getattr(errors, name) for name in tree)
    err = NotFoundError("SecretClient", ErrorCodes.SECRET_NOT_FOUND, "secret 'x' does not exist", status=404)
    assert_type(err, NotFoundError)
    assert_type(err.code, str)
    assert_type(err.status, int | None)
    assert isinstance(err, ToolbeltError)
    assert issubclass(RequestTimeoutError, TimeoutError)
    assert issubclass(InvalidArgumentError, ValueError)
