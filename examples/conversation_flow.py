"""Handler: conversation → keyword scan → add SDEs → replace the conversation's files (GDPR).

1. fetch the conversation from the Messaging Interactions API;
2. scan its transcript (texts and file captions) for keywords — literal, case-insensitive;
3. if any keyword was found, report a service-activity engagement attribute (SDE) to the consumer's visit, so
   agents and reports see the flag. Reported this way it is an *unauthenticated* SDE: LivePerson lists it under
   the conversation's ``unAuthSdes`` (not ``sdes``), and not in real time, so the read-back may not see it yet;
4. overwrite the files the conversation holds (object storage) with a 1x1 black PNG.

The object storage credentials come from a secret (default name ``file-storage-credentials``, value
``{"username": ..., "password": ...}``). Run it against a local emulator::

    python examples/conversation_flow.py
    lp-toolbelt invoke examples/conversation_flow.py:handler --payload event.json

Payload: ``conversationId`` (required), ``visitorId`` and ``sessionId`` (required to report the SDE),
``keywords`` (default :data:`DEFAULT_KEYWORDS`), ``replaceFiles`` (default true), ``storageSecret`` (optional).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any

from lp_toolbelt import ConversationContentTypes, SDETypes, Toolbelt

DEFAULT_KEYWORDS = ("refund", "cancel", "complaint")
DEFAULT_STORAGE_SECRET = "file-storage-credentials"


def _required(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"payload.{name} is required")
    return value


async def handler(toolbelt: Toolbelt, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Scan one conversation, flag it with an SDE when keywords were found, and replace its files.

    Example::

        await handler(tb, {"conversationId": "c-1", "visitorId": "v-1", "sessionId": "s-1", "keywords": ["refund"]})
        # {"conversationId": "c-1", "hits": [{"message": ..., "sentTimestamp": ..., "sentBy": ..., "tag": ...}],
        #  "keywordsFound": ["refund"], "sdeReported": True, "latestSde": {...}, "replacedFiles": ["/v1/..."]}
    """
    conversation_id = _required(payload, "conversationId")
    keywords: Sequence[str] = payload.get("keywords") or DEFAULT_KEYWORDS
    conversations = toolbelt.conversation_util()
    sde = toolbelt.sde_util()

    # 1-2. The conversation and its keyword hits (pure, one pass over the transcript).
    conversation = await conversations.get_conversation_by_id(conversation_id)
    hits = conversations.scan_conversation_for_keywords(conversation, keywords)
    found = list(dict.fromkeys(hit.tag.removeprefix("keywordRef:") for hit in hits))

    # 3. Flag the visit with a service-activity SDE (the SMT API is slow: the SDE util allows it 60 s).
    latest_sde: dict[str, Any] | None = None
    if found:
        visitor_id, session_id = _required(payload, "visitorId"), _required(payload, "sessionId")
        flag = {
            "type": SDETypes.SERVICE_ACTIVITY,
            "service": {
                "topic": "keywords: " + ", ".join(found),
                "status": 0,
                "category": "conversation-review",
                "serviceId": conversation_id,
            },
        }
        await sde.add_sdes([flag], visitor_id, session_id)
        content = [ConversationContentTypes.SDES, ConversationContentTypes.UNAUTH_SDES]
        both = sde.get_sdes_from_conv(await conversations.get_conversation_by_id(conversation_id, content))
        # Ours is under unAuthSdes (SMT reports are unauthenticated); read both lists, the newest across them wins.
        events = sorted([*both.sdes.events, *both.un_auth_sdes.events], key=lambda event: event.timestamp or 0)
        latest_sde = events[-1].model_dump(by_alias=True) if events else None  # None: not listed yet

    # 4. GDPR: overwrite the conversation's files (permanent; messaging conversations only).
    replaced: list[str] = []
    if payload.get("replaceFiles", True):
        secret = await toolbelt.secret_client().read_secret(str(payload.get("storageSecret") or DEFAULT_STORAGE_SECRET))
        replaced = await toolbelt.gdpr_util().replace_conversation_files(conversation, secret.value)

    return {
        "conversationId": conversation_id,
        "hits": [hit.model_dump(by_alias=True) for hit in hits],
        "keywordsFound": found,
        "sdeReported": bool(found),
        "latestSde": latest_sde,
        "replacedFiles": replaced,
    }


async def main() -> None:
    """One invocation against a local emulator, on a generated conversation with two hosted files."""
    from lp_toolbelt.emulator import Emulator
    from lp_toolbelt.emulator.routes.msghist import add_conversation
    from lp_toolbelt.emulator.state import DEFAULT_SWIFT_KEY, DEFAULT_SWIFT_USER

    async with Emulator() as emu:
        emu.state.secrets[DEFAULT_STORAGE_SECRET] = {"username": DEFAULT_SWIFT_USER, "password": DEFAULT_SWIFT_KEY}
        conversation_id = add_conversation(
            emu.state,
            [
                "Hi, my order arrived broken. I want a REFUND.",
                "Sorry to hear that! Could you send a photo?",
                {"caption": "photo of the broken item"},
                "Here is the receipt too",
                {"caption": "receipt for refund"},
            ],
            visitor_id="visitor-1",
        )
        payload = {"conversationId": conversation_id, "visitorId": "visitor-1", "sessionId": "session-1"}
        async with Toolbelt(emu.config()) as toolbelt:
            result = await handler(toolbelt, payload)
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
