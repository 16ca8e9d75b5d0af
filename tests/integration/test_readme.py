"""The README keeps its promises: every handler snippet runs against the emulator, and the tables are complete."""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from collections.abc import AsyncIterator, Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from lp_toolbelt import ErrorCodes, Toolbelt, ToolbeltConfig
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.routes.msghist import FIXTURE_CONVERSATION_ID, add_conversation
from lp_toolbelt.emulator.state import (
    DEFAULT_CONTEXT_API_KEY,
    DEFAULT_SWIFT_KEY,
    DEFAULT_SWIFT_USER,
    SALESFORCE_ACCESS_TOKEN,
    SALESFORCE_CLIENT_ID,
    SALESFORCE_REFRESH_TOKEN,
)
from lp_toolbelt.local import emulator_toolbelt

README = Path(__file__).resolve().parents[2] / "README.md"
SNIPPET = re.compile(r"```python\n# handler: (?P<name>[\w]+)\.py\n(?P<code>.*?)```", re.DOTALL)


def readme() -> str:
    return README.read_text(encoding="utf-8")


def snippets() -> dict[str, str]:
    return {m["name"]: m["code"] for m in SNIPPET.finditer(readme())}


def section(title: str) -> str:
    """The text of one ``## title`` section."""
    text = readme()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def load(name: str) -> Callable[..., Any]:
    module = types.ModuleType(f"readme_{name}")
    exec(compile(snippets()[name], f"README.md:{name}.py", "exec"), module.__dict__)
    handler: Callable[..., Any] = module.handler
    return handler


def fixture_record() -> dict[str, Any]:
    text = (
        resources.files("lp_toolbelt.emulator")
        .joinpath("data", "conversations", "msghist_conversation_by_id.json")
        .read_text(encoding="utf-8")
    )
    record: dict[str, Any] = json.loads(text)["conversationHistoryRecords"][0]
    return record


@pytest.fixture
async def emu_tb() -> AsyncIterator[tuple[Emulator, Toolbelt]]:
    async with Emulator(rate_limit=None) as emu, emulator_toolbelt(emu) as tb:
        yield emu, tb


def test_every_client_has_a_snippet() -> None:
    assert set(snippets()) == {
        "quickstart",
        "http_client",
        "lp_client",
        "csds",
        "secrets",
        "conversations",
        "sdes",
        "gdpr",
        "context",
        "salesforce",
    }


async def test_quickstart(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    result = await load("quickstart")(tb, {})
    assert result == {"secret_fields": ["greeting"], "skills": [s["name"] for s in emu.state.skills]}


async def test_http_client(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    result = await load("http_client")(tb, {})
    assert result == {"status": 200, "services": len(emu.state.services), "refused": True}
    assert not any("not-on-the-allowlist" in r.host for r in emu.state.requests)  # refused before connecting


async def test_lp_client(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    result = await load("lp_client")(tb, {})
    assert result == {"api_key": len(emu.state.skills), "oauth2_app": len(emu.state.skills)}
    assert [r.auth_scheme for r in emu.state.requests if r.route == "skills"] == ["OAuth", "Bearer"]


async def test_csds(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    result = await load("csds")(tb, {})
    assert result == {"msgHist": emu.host, "services": len(emu.state.services)}
    assert emu.state.count("csds") == 1


async def test_secrets(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    result = await load("secrets")(tb, {})
    assert result == {"greeting": "hi", "missing_is_not_found": True}
    assert emu.state.secrets["demo-secret"]["greeting"] == "hi"


async def test_conversations(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    _, tb = emu_tb
    result = await load("conversations")(tb, {"conversationId": FIXTURE_CONVERSATION_ID})
    record = fixture_record()
    assert result["messages"] == len(record["messageRecords"])
    texts = {m["messageData"].get("msg", {}).get("text") for m in record["messageRecords"]}
    assert result["hits"]
    for hit in result["hits"]:
        assert hit["message"] in texts
        assert hit["tag"] in ("keywordRef:love", "keywordRef:hi")
        assert hit["tag"].removeprefix("keywordRef:") in hit["message"].lower()


async def test_sdes(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    conversation_id = add_conversation(emu.state, ["hello"], visitor_id="visitor-1")
    payload = {"conversationId": conversation_id, "visitorId": "visitor-1", "sessionId": "session-1"}
    result = await load("sdes")(tb, payload)
    assert result == {"authenticated": 0, "unauthenticated": 1, "latest": "CUSTOMER_INFO"}
    assert emu.state.count("smt") == 1


async def test_gdpr(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    emu.state.secrets["file-storage-credentials"] = {"username": DEFAULT_SWIFT_USER, "password": DEFAULT_SWIFT_KEY}
    conversation_id = add_conversation(
        emu.state,
        [{"caption": "receipt"}, "a text", {"caption": "photo", "relativePath": "/v1/AUTH_x/photo.png"}],
    )
    before = dict(emu.state.swift_files)
    result = await load("gdpr")(tb, {"conversationId": conversation_id})
    assert len(result["replaced"]) == 1
    (path,) = result["replaced"]
    assert path.endswith(".jpg")
    assert emu.state.swift_files[path] != before[path]
    assert emu.state.swift_files[path][1] == "image/png"
    assert emu.state.swift_files["/v1/AUTH_x/photo.png"] == before["/v1/AUTH_x/photo.png"]


async def test_context(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    emu.state.secrets["context-service-api-key"] = DEFAULT_CONTEXT_API_KEY
    result = await load("context")(tb, {})
    assert result == {"step": 2, "sessions": ["conv-1"]}
    assert "orders" not in emu.state.context_namespaces  # the snippet cleans up


async def test_salesforce(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    emu.state.secrets["salesforce-credentials"] = {
        "loginUrl": str(emu.salesforce_login_url),
        "instanceUrl": str(emu.base_url),
        "accessToken": SALESFORCE_ACCESS_TOKEN,
        "refreshToken": SALESFORCE_REFRESH_TOKEN,
        "clientId": SALESFORCE_CLIENT_ID,
    }
    emu.state.salesforce.expire_access_tokens()  # refreshed at the login URL, then API calls at the instance
    accounts = list(emu.state.salesforce.records["Account"].values())
    result = await load("salesforce")(tb, {})
    assert result["totalSize"] == 2
    assert result["all"] == len(accounts)
    assert result["first"] in {a["Name"] for a in accounts}
    assert emu.state.salesforce.refresh_count == 1


# ---------------------------------------------------------------------------------------------- the tables
def test_error_table_lists_every_code() -> None:
    table = section("Errors")
    codes = {name: value for name, value in vars(ErrorCodes).items() if name.isupper()}
    assert codes
    for name, value in codes.items():
        assert f"| `{value}` | `{name}` |" in table, name


def test_configuration_table_lists_every_field() -> None:
    table = section("Configuration")
    for name in ToolbeltConfig.model_fields:
        assert f"| `{name}` |" in table, name


def test_migration_table_covers_every_factory() -> None:
    table = section("Migrating from the Node toolbelt")
    factories = [n for n in vars(Toolbelt) if n.endswith(("_client", "_util")) and not n.startswith("_")]
    assert len(factories) >= 9
    for name in factories:
        assert f"toolbelt.{name}(" in table, name


def test_links_point_at_files_that_exist() -> None:
    root = README.parent
    for target in re.findall(r"\]\(([^)#:]+)\)", readme()):
        assert (root / target).exists(), target


def _undocumented(cls: type, prefix: str) -> list[str]:
    missing = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        target = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
        if (inspect.isfunction(target) or isinstance(member, property)) and not (target.__doc__ or "").strip():
            missing.append(f"{prefix}.{name}")
    return missing


def test_every_public_name_has_a_docstring() -> None:
    """What IDE autocomplete shows: the package's names, the clients' methods, the dev-loop modules."""
    import lp_toolbelt
    from lp_toolbelt import cli, local, testing
    from lp_toolbelt.clients.salesforce import SalesforceConnection, SObject

    missing: list[str] = []
    classes: list[type] = [SalesforceConnection, SObject]
    for name in (n for n in lp_toolbelt.__all__ if not n.startswith("__")):
        obj = getattr(lp_toolbelt, name)
        if not (inspect.getdoc(obj) or "").strip():
            missing.append(name)
        if inspect.isclass(obj):
            classes.append(obj)
    for name, member in vars(Toolbelt).items():
        if name.endswith(("_client", "_util")) and not name.startswith("_"):
            classes.append(typing.get_type_hints(member)["return"])
    for cls in classes:
        missing += _undocumented(cls, cls.__name__)
    for module in (cli, local, testing):
        missing += [f"{module.__name__}.{n}" for n in module.__all__ if not (getattr(module, n).__doc__ or "").strip()]
    assert missing == []
