"""What a fresh emulator starts with: the demo account, the packaged seed files and the settings.json reader.

The packaged data lives in ``lp_toolbelt/emulator/data``: ``settings.json`` (the demo secrets and whitelist, in the
LivePerson Functions CLI format), ``skills.json``, ``salesforce.json`` (the demo org) and ``conversations/`` (the
documentation's Messaging Interactions examples, listed in ``index.json``). The constants name the credentials the
seed hands out, so tests and examples can present them.

Example::

    secrets, whitelist = load_settings(None)                     # the packaged demo seed
    secrets, whitelist = load_settings({"secrets": {"k": 1}, "whitelist": ["crm.example.com"]})
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Final

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_CONTEXT_API_KEY",
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_SWIFT_KEY",
    "DEFAULT_SWIFT_USER",
    "DEMO_FUNCTION_UUID",
    "SALESFORCE_ACCESS_TOKEN",
    "SALESFORCE_CLIENT_ID",
    "SALESFORCE_REFRESH_TOKEN",
    "default_conversations",
    "default_functions",
    "default_skills",
    "demo_function",
    "load_settings",
    "salesforce_seed",
]

_PACKAGE: Final = "lp_toolbelt.emulator"
DEFAULT_ACCOUNT_ID: Final = "12345678"
DEFAULT_RATE_LIMIT: Final = 20.0  # requests/second through the proxy, as LivePerson's FaaS proxy caps them
DEFAULT_SWIFT_USER: Final = "swift-user"  # the emulated object storage account (GDPR util)
DEFAULT_SWIFT_KEY: Final = "swift-key"
DEFAULT_CONTEXT_API_KEY: Final = "emulator-maven-api-key"  # the Context Session Store's maven-api-key
SALESFORCE_ACCESS_TOKEN: Final = "emulator-sf-access-token"  # valid for the demo org's token_ttl from start
SALESFORCE_REFRESH_TOKEN: Final = "emulator-sf-refresh-token"
SALESFORCE_CLIENT_ID: Final = "emulator-sf-connected-app"  # the demo org's connected app (consumer key)
DEMO_FUNCTION_UUID: Final = "4c5c9f1e-8b2a-4d7e-9f3b-2a1d6e0c7b58"  # the hosted demo function (faasGW)


def _read_json(*parts: str) -> Any:
    return json.loads(resources.files(_PACKAGE).joinpath("data", *parts).read_text(encoding="utf-8"))


def default_skills() -> list[dict[str, Any]]:
    """The packaged skills (``data/skills.json``), a fresh copy."""
    loaded: list[dict[str, Any]] = _read_json("skills.json")
    return loaded


def salesforce_seed() -> dict[str, Any]:
    """The packaged demo org (``data/salesforce.json``): ``{"sobjects": {...}, "records": {...}}``, a fresh copy."""
    loaded: dict[str, Any] = _read_json("salesforce.json")
    return loaded


def default_conversations() -> dict[str, dict[str, Any]]:
    """The packaged conversation records (``data/conversations``, listed in its ``index.json``) by conversation id.

    An index entry may give a ``conversationId`` to serve a file's record under (the documentation's examples
    share one id); the record's ``info.conversationId`` is set to it.
    """
    index: list[dict[str, Any]] = _read_json("conversations", "index.json")
    conversations: dict[str, dict[str, Any]] = {}
    for entry in index:
        payload = _read_json("conversations", entry["file"])
        for record in payload["conversationHistoryRecords"]:
            info = record.setdefault("info", {})
            conversation_id = str(entry.get("conversationId") or info["conversationId"])
            info["conversationId"] = conversation_id
            conversations[conversation_id] = record
    return conversations


async def demo_function(toolbelt: Any, payload: Any) -> dict[str, Any]:
    """The demo seed's hosted function (:data:`DEMO_FUNCTION_UUID`): answers the payload it received and the account
    of the Toolbelt it ran with (its own, pointed at the same emulator)."""
    return {"received": payload, "account": toolbelt.config.account_id}


def default_functions() -> dict[str, Callable[[Any, Any], Any]]:
    """The functions a fresh emulator hosts: the demo function under :data:`DEMO_FUNCTION_UUID`."""
    return {DEMO_FUNCTION_UUID: demo_function}


def load_settings(source: Path | str | Mapping[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """Read a settings.json-style seed into ``(secrets, whitelist)``.

    ``source`` is a path, an already-parsed mapping, or None for the packaged demo seed. ``secrets`` may be the
    Functions CLI list ``[{"key", "value"}]`` or a plain ``{key: value}`` mapping. Values are deep-copied.
    """
    if source is None:
        data: Mapping[str, Any] = _read_json("settings.json")
    elif isinstance(source, Mapping):
        data = source
    else:
        data = json.loads(Path(source).read_text(encoding="utf-8"))
        if not isinstance(data, Mapping):
            raise ValueError("settings must be a JSON object")
    raw_secrets = data.get("secrets", [])
    secrets: dict[str, Any] = {}
    if isinstance(raw_secrets, Mapping):
        secrets = {str(k): copy.deepcopy(v) for k, v in raw_secrets.items()}
    else:
        for entry in raw_secrets:
            if not isinstance(entry, Mapping) or "key" not in entry:
                raise ValueError('each secret must be an object with "key" and "value"')
            secrets[str(entry["key"])] = copy.deepcopy(entry.get("value"))
    whitelist = [str(item) for item in data.get("whitelist", [])]
    return secrets, whitelist
