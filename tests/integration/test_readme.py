"""The README keeps its promises: every handler snippet runs with ``lp-toolbelt invoke FILE:handler --payload
event.json`` against the demo seed, every Python snippet passes ``mypy --strict`` as copied, and the tables are
complete."""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
import types
import typing
from collections.abc import AsyncIterator, Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from lp_toolbelt import ErrorCodes, Toolbelt, ToolbeltConfig
from lp_toolbelt.cli import main
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.routes.msghist import FIXTURE_CONVERSATION_ID, add_conversation
from lp_toolbelt.emulator.seed import DEMO_FUNCTION_UUID
from lp_toolbelt.emulator.state import (
    SALESFORCE_ACCESS_TOKEN,
    SALESFORCE_CLIENT_ID,
    SALESFORCE_REFRESH_TOKEN,
)
from lp_toolbelt.local import emulator_toolbelt
from tests.integration import _readme
from tests.integration._readme import README, section

HANDLERS = _readme.handler_snippets()
SUBPROCESS_TIMEOUT = 300  # a guard against a hung mypy, not an assertion about speed


def load(name: str) -> Callable[..., Any]:
    module = types.ModuleType(f"readme_{name}")
    exec(compile(HANDLERS[name], f"README.md:{name}.py", "exec"), module.__dict__)
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
    assert set(HANDLERS) == {
        "quickstart",
        "http_client",
        "lp_client",
        "csds",
        "secret_client",
        "conversations",
        "sdes",
        "gdpr",
        "context",
        "salesforce",
        "orchestrator",
    }


def test_no_snippet_file_is_named_like_a_standard_library_module() -> None:
    """A project file ``secrets.py`` shadows the standard library's for mypy and for anything importing it later."""
    clashes = [name for name in _readme.files() if name.removesuffix(".py") in sys.stdlib_module_names]
    assert clashes == []


def test_the_first_screen_says_the_two_commands_where_the_cli_is_and_how_to_try_a_handler() -> None:
    screen = _readme.first_screen()
    for promise in ("make demo", "make test", ".venv/bin/lp-toolbelt", "lp-toolbelt invoke", "--payload event.json"):
        assert promise in screen, promise
    assert "> event.json" in screen  # the event.json every handler snippet runs with is written there


# ------------------------------------------------------------------------------ every handler, as a newcomer runs it
@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_handler_snippet_runs_with_invoke_and_the_readme_event(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``lp-toolbelt invoke NAME.py:handler --payload event.json`` (the CLI's own code path, in-process) in a fresh
    folder: the demo seed has everything the snippet needs, and the result has no empty field."""
    (tmp_path / f"{name}.py").write_text(HANDLERS[name], encoding="utf-8")
    (tmp_path / "event.json").write_text(json.dumps(_readme.event()), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # invoke puts cwd on sys.path, like `python -m`
    for var in [v for v in os.environ if v.startswith(("LP_TOOLBELT_", "X_LIVEPERSON_", "BRAND_ID"))]:
        monkeypatch.delenv(var)
    code = main(["invoke", f"{name}.py:handler", "--payload", "event.json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads(out)
    assert isinstance(result, dict)
    assert result
    empty = {field: value for field, value in result.items() if value in (None, False, 0, "", [], {})}
    assert empty == {}, f"{name}: empty fields with the README's event.json"


def test_the_readme_event_is_the_demo_conversation_with_files() -> None:
    event = _readme.event()
    record = Emulator().state.conversations[event["conversationId"]]
    files = [m["messageData"]["file"]["relativePath"] for m in record["messageRecords"] if m["type"] == "HOSTED_FILE"]
    assert [Path(f).suffix for f in files] == [".jpg", ".png"]
    assert record["consumerParticipants"][0]["participantId"] == event["visitorId"]  # the SMT visitor


# ------------------------------------------------------------------------------ every snippet, type-checked as copied
def test_every_python_snippet_passes_mypy_strict(tmp_path: Path) -> None:
    """One mypy run over every snippet, saved under the name it gives itself, with no configuration but --strict."""
    folder = tmp_path / "snippets"
    folder.mkdir()
    snippets = _readme.files()
    assert len(snippets) >= len(HANDLERS) + 4  # handlers, the Toolbelt and error examples, local_toolbelt, the test
    for name, code in snippets.items():
        (folder / name).write_text(code, encoding="utf-8")
    (tmp_path / "mypy.ini").write_text("[mypy]\n", encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            "mypy.ini",
            "--cache-dir",
            ".mypy_cache",
            "snippets",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"no issues found in {len(snippets)} source files" in proc.stdout


# ------------------------------------------------------------------------------ what each handler does, in detail
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
    assert result == {"oauth2_app": len(emu.state.skills), "legacy_api_key": 200}
    assert [r.auth_scheme for r in emu.state.requests if r.route == "skills"] == ["Bearer", "OAuth"]


async def test_csds(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    result = await load("csds")(tb, {})
    assert result == {"msgHist": emu.host, "services": len(emu.state.services)}
    assert emu.state.count("csds") == 1


async def test_secret_client(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    result = await load("secret_client")(tb, {})
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
    assert result == {"events": 1, "unauthenticated": 1, "latest": "CUSTOMER_INFO"}
    assert emu.state.count("smt") == 1


async def test_gdpr(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    """With the demo seed as it is: its storage credentials, the README event's conversation and its two files."""
    emu, tb = emu_tb
    event = _readme.event()
    result = await load("gdpr")(tb, event)
    (path,) = result["replaced"]
    assert path.endswith("/parcel.jpg")
    assert event["conversationId"] in path
    assert emu.state.swift_files[path][1] == "image/png"  # the 1x1 black PNG
    assert not [p for p in emu.state.swift_files if p.endswith("receipt.png")]  # should_replace left it alone
    assert emu.state.count("swift_auth") == 1


async def test_gdpr_keeps_the_files_it_should_not_replace(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    conversation_id = add_conversation(
        emu.state,
        [{"caption": "receipt"}, "a text", {"caption": "photo", "relativePath": "/v1/AUTH_x/photo.png"}],
    )
    before = dict(emu.state.swift_files)
    result = await load("gdpr")(tb, {"conversationId": conversation_id})
    (path,) = result["replaced"]
    assert path.endswith(".jpg")
    assert emu.state.swift_files[path] != before[path]
    assert emu.state.swift_files["/v1/AUTH_x/photo.png"] == before["/v1/AUTH_x/photo.png"]


async def test_context(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    result = await load("context")(tb, {})  # the demo seed's context-service-api-key
    assert result == {"step": 2, "sessions": ["conv-1"]}
    assert "orders" not in emu.state.context_namespaces  # the snippet cleans up


async def test_salesforce(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    assert emu.state.secrets["salesforce-credentials"] == {  # the demo seed's, ${EMULATOR_URL} resolved
        "loginUrl": str(emu.base_url),
        "instanceUrl": str(emu.base_url),
        "accessToken": SALESFORCE_ACCESS_TOKEN,
        "refreshToken": SALESFORCE_REFRESH_TOKEN,
        "clientId": SALESFORCE_CLIENT_ID,  # a refresh needs the app's client id
    }
    assert SALESFORCE_ACCESS_TOKEN in section("The clients")
    assert SALESFORCE_REFRESH_TOKEN in section("The clients")
    emu.state.salesforce.expire_access_tokens()  # refreshed at the login URL, then API calls at the instance
    accounts = list(emu.state.salesforce.records["Account"].values())
    result = await load("salesforce")(tb, {})
    assert result["totalSize"] == 2
    assert result["all"] == len(accounts)
    assert result["first"] in {a["Name"] for a in accounts}
    assert emu.state.salesforce.refresh_count == 1


async def test_orchestrator(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    result = await load("orchestrator")(tb, {"conversationId": "c-1"})
    assert result == {
        "echoed": {"conversationId": "c-1"},
        "missing_status": 404,
        "missing_code": ErrorCodes.ORCHESTRATOR_STATUS_CODE_ERROR,
    }
    assert [i.uuid for i in emu.state.invocations] == [DEMO_FUNCTION_UUID]
    assert DEMO_FUNCTION_UUID in section("The clients")
    assert emu.state.count("faas") == 2  # the missing one is not retried: a 404 is the gateway's answer


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
    for target in re.findall(r"\]\(([^)#:]+)\)", _readme.text()):
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
