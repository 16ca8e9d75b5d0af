"""Emulated Messaging Interactions API: the conversation search by id (CSDS ``msgHist``).

``POST /messaging_history/api/account/{acc}/conversations/conversation/search`` (route name ``msghist``), behind
:func:`~lp_toolbelt.emulator.auth.verify_lp_auth`. Body ``{"conversationId": ..., "contentToRetrieve": [...]?}``
→ ``{"_metadata": {...}, "conversationHistoryRecords": [record]}`` (an empty list for an unknown id).

* Records come from ``state.conversations``: the packaged documentation examples (``data/conversations``) and
  any added with :func:`add_conversation` (generated transcripts, hosted files seeded into the emulated Swift).
* SDEs reported through the SMT route for the conversation's visitor are appended to the record's
  ``unAuthSdes.events`` (SDEs reported through the monitoring API are unauthenticated, as LivePerson lists them),
  once ``state.sde_delay`` seconds have passed since they arrived — a real round trip. The visitor is
  ``state.conversation_visitors[id]``, else the record's first consumer participant.
* ``contentToRetrieve`` keeps ``info`` plus the parts asked for; ``unAuthSdes`` is returned only with ``v=2``, as
  the real API does.

Example::

    conversation_id = add_conversation(emu.state, ["hello", {"caption": "receipt"}], visitor_id="v1")
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web

from ...enums import ConversationContentTypes
from ..auth import verify_lp_auth
from ..state import EmulatorState
from . import json_error, require_account

__all__ = [
    "FIXTURE_CONVERSATION_ID",
    "ROUTE_MSGHIST",
    "SDES_EXAMPLE_CONVERSATION_ID",
    "add_conversation",
    "conversation_visitor",
    "setup",
]

ROUTE_MSGHIST: Final = "msghist"
FIXTURE_CONVERSATION_ID: Final = "e5c58e49-e4a5-40a8-8a18-d6580d1d5630"  # msghist_conversation_by_id.json
SDES_EXAMPLE_CONVERSATION_ID: Final = "3a6c1c1e-5de5-4e9a-8a18-d6580d1d5630"  # msghist_sdes_example.json
_CONTENT_TYPES: Final = frozenset(t.value for t in ConversationContentTypes)
# Content types whose record key is spelled differently in the documentation's examples.
_KEY_ALIASES: Final = {"consumerParticipants": ("consumerParticipant",), "messageScores": ("messageScore",)}


def conversation_visitor(state: EmulatorState, conversation_id: str) -> str | None:
    """The SMT visitor id of a conversation: the explicit mapping, else its first consumer participant."""
    visitor = state.conversation_visitors.get(conversation_id)
    if visitor is not None:
        return visitor
    record = state.conversations.get(conversation_id, {})
    for key in ("consumerParticipants", "consumerParticipant"):
        participants = record.get(key)
        if isinstance(participants, list) and participants and isinstance(participants[0], Mapping):
            participant = participants[0].get("participantId")
            if participant is not None:
                return str(participant)
    return None


def _format_time(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{epoch_ms % 1000:03d}+0000"


def add_conversation(
    state: EmulatorState,
    messages: Sequence[str | Mapping[str, Any]] = (),
    *,
    conversation_id: str | None = None,
    visitor_id: str | None = None,
    start_ms: int = 1_700_000_000_000,
) -> str:
    """Add a generated conversation to the emulator and return its id.

    Each message is a text (``TEXT_PLAIN``) or a mapping for a hosted file (``HOSTED_FILE``) with optional
    ``caption``, ``relativePath`` (default ``/v1/AUTH_async-images/{acc}/{conversation}/file-{seq}.jpg``),
    ``content`` (bytes stored in the emulated Swift, default some placeholder bytes) and ``contentType``.
    Messages alternate Consumer / Agent, one second apart from ``start_ms``.

    Example::

        conv_id = add_conversation(state, ["I want a refund", {"caption": "my receipt"}], visitor_id="v-1")
        state.swift_files["/v1/AUTH_async-images/12345678/<conv_id>/file-1.jpg"]   # (b"...", "image/jpeg")
    """
    conv_id = conversation_id or str(uuid.uuid4())
    visitor = visitor_id or f"visitor-{conv_id}"
    consumer = str(uuid.uuid5(uuid.NAMESPACE_URL, f"consumer:{conv_id}"))
    agent = "3677470410"
    records: list[dict[str, Any]] = []
    for seq, item in enumerate(messages):
        time_l = start_ms + seq * 1000
        by_consumer = seq % 2 == 0
        record: dict[str, Any] = {
            "type": "TEXT_PLAIN",
            "messageData": {"msg": {"text": item}},
            "messageId": f"ms::conv:{conv_id}::msg:{seq}",
            "seq": seq,
            "dialogId": conv_id,
            "participantId": consumer if by_consumer else agent,
            "source": "APP",
            "time": _format_time(time_l),
            "timeL": time_l,
            "device": "DESKTOP",
            "sentBy": "Consumer" if by_consumer else "Agent",
        }
        if not isinstance(item, str):
            path = str(item.get("relativePath") or f"/v1/AUTH_async-images/{state.account_id}/{conv_id}/file-{seq}.jpg")
            content = item.get("content", f"original file {seq} of {conv_id}".encode())
            content_type = str(item.get("contentType", "image/jpeg"))
            file_data: dict[str, Any] = {"relativePath": path, "fileType": content_type.rpartition("/")[2].upper()}
            if item.get("caption") is not None:
                file_data["caption"] = item["caption"]
            record["type"] = "HOSTED_FILE"
            record["messageData"] = {"file": file_data}
            state.swift_files[path] = (bytes(content), content_type)
        records.append(record)
    end_ms = start_ms + max(len(records) - 1, 0) * 1000
    state.conversations[conv_id] = {
        "info": {
            "conversationId": conv_id,
            "brandId": state.account_id,
            "status": "CLOSE",
            "startTime": _format_time(start_ms),
            "startTimeL": start_ms,
            "endTime": _format_time(end_ms),
            "endTimeL": end_ms,
            "duration": end_ms - start_ms,
            "latestAgentId": agent,
            "source": "APP",
            "device": "DESKTOP",
        },
        "messageRecords": records,
        "consumerParticipants": [
            {"participantId": consumer, "firstName": "Visitor", "time": _format_time(start_ms), "timeL": start_ms}
        ],
        "transfers": [],
        "sdes": {"events": []},
        "unAuthSdes": {"events": []},
    }
    state.conversation_visitors[conv_id] = visitor
    return conv_id


def _served_record(
    state: EmulatorState, conversation_id: str, content: list[str] | None, version: str
) -> dict[str, Any] | None:
    stored = state.conversations.get(conversation_id)
    if stored is None:
        return None
    record = copy.deepcopy(stored)
    visitor = conversation_visitor(state, conversation_id)
    reported = state.visitor_sdes.get(visitor, []) if visitor is not None else []
    if state.sde_delay > 0:  # the monitoring API is not real-time
        visible_until = (time.time() - state.sde_delay) * 1000
        reported = [event for event in reported if event["serverTimeStamp"] <= visible_until]
    if reported:
        unauth = record.get("unAuthSdes")
        if not isinstance(unauth, dict) or not isinstance(unauth.get("events"), list):
            unauth = record["unAuthSdes"] = {"events": []}
        unauth["events"].extend(copy.deepcopy(reported))
    if version != "2":
        record.pop("unAuthSdes", None)  # v=1 has no unauthenticated SDEs
    if content is not None:
        keep = {"info"}
        for kind in content:
            keep.add(kind)
            keep.update(_KEY_ALIASES.get(kind, ()))
        record = {key: value for key, value in record.items() if key in keep}
    return record


def setup(app: web.Application, state: EmulatorState) -> None:
    """Add the conversation search route."""

    async def search(request: web.Request) -> web.Response:
        await verify_lp_auth(request, state)
        require_account(request, state)
        try:
            body: Any = json.loads(await request.read())
        except ValueError:
            return json_error(400, "body is not JSON")
        if not isinstance(body, dict):
            return json_error(400, "body must be a JSON object")
        conversation_id = body.get("conversationId")
        if not isinstance(conversation_id, str) or not conversation_id:
            return json_error(400, "conversationId is required")
        content = body.get("contentToRetrieve")
        if content is not None:
            if not isinstance(content, list) or not all(isinstance(c, str) for c in content):
                return json_error(400, "contentToRetrieve must be a list of strings")
            unknown = sorted(set(content) - _CONTENT_TYPES)
            if unknown:
                return json_error(400, f"unknown contentToRetrieve values: {unknown}")
        record = _served_record(state, conversation_id, content or None, request.query.get("v", "1"))
        records = [] if record is None else [record]
        payload = {
            "_metadata": {
                "count": len(records),
                "self": {"rel": "self", "href": str(request.url)},
                "shardsStatusResult": {"partialResult": False},
            },
            "conversationHistoryRecords": records,
        }
        return web.json_response(payload)

    app.router.add_post(
        "/messaging_history/api/account/{account}/conversations/conversation/search", search, name=ROUTE_MSGHIST
    )
