"""Handler: keep state between two invocations of a function with the Context Session Store.

A function is stateless: each invocation starts from nothing. The Context Session Store keeps small JSON values per
(namespace, session); here the session is the conversation id, so every invocation for the same conversation sees
what the previous one wrote (a visit counter and the last message), until the namespace's TTL expires it.

The Context Session Store API key comes from a secret (default name ``context-service-api-key``; its value is the
key itself or ``{"apiKey": "..."}``). Against the emulator the key is ``emulator-maven-api-key``. Run it::

    python examples/context_state.py                                   # two invocations against a local emulator
    lp-toolbelt invoke examples/context_state.py:handler --payload event.json --settings settings-with-key.json

Payload: ``conversationId`` (the session id, required), ``message`` (optional), ``apiKeySecret`` (optional).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any

from lp_toolbelt import Toolbelt

NAMESPACE = "conversation-memory"
TTL_SECONDS = 24 * 3600  # a conversation's memory expires one day after its last write
DEFAULT_KEY_SECRET = "context-service-api-key"


async def _api_key(toolbelt: Toolbelt, secret_name: str) -> str:
    entry = await toolbelt.secret_client().read_secret(secret_name)
    value = entry.value
    if isinstance(value, Mapping):
        value = value.get("apiKey")
    if not isinstance(value, str) or not value:
        raise ValueError(f"secret {secret_name!r} must hold the API key or {{'apiKey': ...}}")
    return value


async def handler(toolbelt: Toolbelt, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Count this conversation's invocations and remember its last message.

    Example::

        await handler(tb, {"conversationId": "conv-1", "message": "hi"})     # {"visit": 1, "previousMessage": None}
        await handler(tb, {"conversationId": "conv-1", "message": "again"})  # {"visit": 2, "previousMessage": "hi"}
    """
    conversation_id = payload.get("conversationId")
    if not isinstance(conversation_id, str) or not conversation_id:
        raise ValueError("payload.conversationId is required")
    message = payload.get("message")
    key = await _api_key(toolbelt, str(payload.get("apiKeySecret") or DEFAULT_KEY_SECRET))
    ctx = toolbelt.context_service_client(key)

    # Create the namespace once (creating it again on every invocation would be a needless write).
    if NAMESPACE not in {ns.name for ns in await ctx.get_list_of_namespaces()}:
        await ctx.create_namespace(NAMESPACE, ttl=TTL_SECONDS)

    # Missing properties are simply absent: the first invocation of a conversation gets {}.
    previous = await ctx.get_selected_properties_in_session(NAMESPACE, ["visits", "lastMessage"], conversation_id)
    visit = int(previous.get("visits", 0)) + 1
    update: dict[str, Any] = {"visits": visit}
    if isinstance(message, str):
        # Kept inside an object: a bare string property is read back JSON-decoded ("42" would come back as 42).
        update["lastMessage"] = {"text": message, "at": int(time.time() * 1000)}
    stored = await ctx.set_properties_in_namespace(NAMESPACE, update, session_id=conversation_id)
    return {
        "conversationId": conversation_id,
        "visit": visit,
        "previousMessage": (previous.get("lastMessage") or {}).get("text"),
        "stored": stored,
    }


async def main() -> None:
    """Two invocations (two Toolbelts, as two function runs would have) against a local emulator."""
    from lp_toolbelt.emulator import Emulator
    from lp_toolbelt.emulator.state import DEFAULT_CONTEXT_API_KEY

    async with Emulator() as emu:
        emu.state.secrets[DEFAULT_KEY_SECRET] = DEFAULT_CONTEXT_API_KEY
        for message in ("I need help with my order", "It arrived damaged"):
            async with Toolbelt(emu.config()) as toolbelt:
                result = await handler(toolbelt, {"conversationId": "conv-42", "message": message})
            print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
