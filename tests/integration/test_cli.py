"""The ``lp-toolbelt`` command: ``invoke`` (local and live), ``emulator`` start/stop, ``secrets``."""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from lp_toolbelt import ErrorCodes, LpServices, Toolbelt, ToolbeltConfig
from lp_toolbelt.cli import CliError, load_handler, main, mask_secret, to_jsonable
from lp_toolbelt.emulator import Emulator, EmulatorState, load_settings
from lp_toolbelt.models.secrets import SecretEntry

ROOT = Path(__file__).resolve().parents[2]
SUBPROCESS_TIMEOUT = 120  # a guard against a hung child, not an assertion about speed


def cli_command() -> list[str]:
    """The installed console script when there is one (what users run), else ``python -m lp_toolbelt.cli``."""
    script = shutil.which("lp-toolbelt", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "lp_toolbelt.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any toolbelt configuration, plus ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LP_TOOLBELT_", "X_LIVEPERSON_", "BRAND_ID", "LAMBDA_UUID"))
    }
    env.update(extra)
    return env


def run_cli(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, stdin: str | None = None) -> Any:
    return subprocess.run(
        [*cli_command(), *args],
        cwd=cwd,
        env=env if env is not None else clean_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )


def seed_secrets() -> dict[str, Any]:
    secrets, _ = load_settings(None)
    return secrets


def write_settings(path: Path, secrets: dict[str, Any], whitelist: list[str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"secrets": [{"key": k, "value": v} for k, v in secrets.items()], "whitelist": whitelist or []}
    path.write_text(json.dumps(doc, indent=2))
    return path


HANDLER_MODULE = """
from lp_toolbelt import ToolbeltError

async def echo(toolbelt, payload):
    return {"payload": payload, "account": toolbelt.config.account_id, "scheme": toolbelt.config.scheme}

async def broken(toolbelt, payload):
    raise RuntimeError("handler bug")

def sync_handler(toolbelt, payload):
    return ["plain", "function"]

async def refused(toolbelt, payload):
    raise ToolbeltError("MyHandler", "com.example.refused", "no thanks", status=409)

NOT_CALLABLE = 42
"""


# ---------------------------------------------------------------------------------------------- the entry point
def test_console_script_is_declared() -> None:
    scripts = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="console_scripts")}
    assert scripts.get("lp-toolbelt") == "lp_toolbelt.cli:main"


def test_help_lists_the_commands() -> None:
    proc = run_cli("--help")
    assert proc.returncode == 0
    for command in ("emulator", "invoke", "secrets"):
        assert command in proc.stdout


# ---------------------------------------------------------------------------------------------- invoke --local
def test_invoke_example_by_path_runs_every_step_against_the_emulator() -> None:
    proc = run_cli("invoke", "examples/secrets_and_lp.py:handler")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    seed = seed_secrets()
    assert result["read"] == {"key": "demo-secret", "type": "dict", "fields": sorted(seed["demo-secret"])}
    assert result["update"]["verified"] is True
    skills = EmulatorState().skills
    assert result["lp_call"]["status"] == 200
    assert result["lp_call"]["names"] == [s["name"] for s in skills]
    assert "local emulator on http://127.0.0.1:" in proc.stderr
    # secret values never reach the output
    assert seed["lp-faas-default-app-key"]["consumerSecret"] not in proc.stdout + proc.stderr


def test_invoke_dotted_module_with_a_payload_file(tmp_path: Path) -> None:
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps({"app_key_secret_name": "lp-faas-oauth2-app"}))
    proc = run_cli("invoke", "examples.secrets_and_lp:signed_lp_call", "--payload", str(payload), "--local")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["app_key"] == "lp-faas-oauth2-app"
    assert result["skills"] == len(EmulatorState().skills)


def test_invoke_passes_the_payload_from_stdin_and_accepts_sync_handlers(tmp_path: Path) -> None:
    (tmp_path / "my_handlers.py").write_text(HANDLER_MODULE)
    proc = run_cli("invoke", "my_handlers.py:echo", "--payload", "-", cwd=tmp_path, stdin='{"n": [1, 2]}')
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"payload": {"n": [1, 2]}, "account": "12345678", "scheme": "http"}
    proc = run_cli("invoke", "my_handlers:sync_handler", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ["plain", "function"]


def test_invoke_account_comes_from_the_option_or_brand_id(tmp_path: Path) -> None:
    (tmp_path / "my_handlers.py").write_text(HANDLER_MODULE)
    proc = run_cli("invoke", "my_handlers:echo", "--account", "555", cwd=tmp_path)
    assert json.loads(proc.stdout)["account"] == "555"
    proc = run_cli("invoke", "my_handlers:echo", cwd=tmp_path, env=clean_env(BRAND_ID="777"))
    assert json.loads(proc.stdout)["account"] == "777"


def test_invoke_local_seeds_from_functions_settings_and_never_writes_it(tmp_path: Path) -> None:
    settings = write_settings(
        tmp_path / "functions" / "settings.json",
        {**seed_secrets(), "demo-secret": {"greeting": "hi", "lang": "en"}},
    )
    before = settings.read_text()
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    proc = run_cli("invoke", "examples/secrets_and_lp.py:handler", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["read"]["fields"] == ["greeting", "lang"]  # from functions/settings.json, not the demo seed
    assert result["update"]["verified"] is True
    assert str(settings.relative_to(tmp_path)) in proc.stderr
    assert settings.read_text() == before


def test_invoke_settings_option_overrides(tmp_path: Path) -> None:
    settings = write_settings(tmp_path / "custom.json", {"demo-secret": ["a", "b"]})
    proc = run_cli("invoke", "examples.secrets_and_lp:read_secret", "--settings", str(settings))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"key": "demo-secret", "type": "list", "fields": []}
    # the file has no app key: the emulator provides the platform's default one, so LP calls still work
    proc = run_cli("invoke", "examples.secrets_and_lp:signed_lp_call", "--settings", str(settings))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["skills"] == len(EmulatorState().skills)
    proc = run_cli("invoke", "examples.secrets_and_lp:read_secret", "--settings", str(tmp_path / "missing.json"))
    assert proc.returncode == 2
    assert "no such settings file" in proc.stderr


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"secrets": ', " is not valid JSON: line 1"),
        ('{"secrets": [{"key": "a", "value": NaN}]}', " is not valid JSON: NaN is not JSON"),
        ('{"secrets": {"a": 1}}', ": 'secrets' must be a list of {key, value} objects"),
    ],
)
def test_a_broken_settings_file_is_reported_alike_local_and_live(tmp_path: Path, content: str, problem: str) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(content)
    local = run_cli("invoke", "examples.secrets_and_lp:read_secret", "--local", "--settings", str(broken))
    live = run_cli(
        "invoke",
        "examples.secrets_and_lp:read_secret",
        "--live",
        env=clean_env(BRAND_ID="123", LP_TOOLBELT_SECRETS_FILE=str(broken)),
    )
    listing = run_cli("secrets", "list", "--settings", str(broken))
    expected = f"error: {ErrorCodes.SECRET_OP_FAILED}: lp-toolbelt invoke: {broken}{problem}\n"
    for proc in (local, live):
        assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", expected)
    assert (listing.returncode, listing.stderr) == (1, expected.replace("lp-toolbelt invoke", "lp-toolbelt secrets"))


def test_invoke_toolbelt_error_prints_code_and_message_and_exits_1(tmp_path: Path) -> None:
    payload = tmp_path / "event.json"
    payload.write_text('{"secret": "no-such-secret"}')
    proc = run_cli("invoke", "examples.secrets_and_lp:read_secret", "--payload", str(payload))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert f"error: {ErrorCodes.SECRET_NOT_FOUND} (HTTP 404): SecretClient:" in proc.stderr
    assert "no-such-secret" in proc.stderr
    (tmp_path / "my_handlers.py").write_text(HANDLER_MODULE)
    proc = run_cli("invoke", "my_handlers:refused", cwd=tmp_path)
    assert proc.returncode == 1
    assert "error: com.example.refused (HTTP 409): MyHandler: no thanks" in proc.stderr


def test_invoke_unexpected_exception_shows_the_traceback_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "my_handlers.py").write_text(HANDLER_MODULE)
    proc = run_cli("invoke", "my_handlers.py:broken", cwd=tmp_path)
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr
    assert "RuntimeError: handler bug" in proc.stderr


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no_colon", "expected MODULE:FUNCTION"),
        ("no_such_module:handler", "cannot import 'no_such_module'"),
        ("missing.py:handler", "no such file"),
        ("my_handlers:nope", "has no attribute 'nope'"),
        ("my_handlers:NOT_CALLABLE", "is not callable"),
    ],
)
def test_load_handler_refuses_bad_targets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, message: str
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))  # load_handler puts cwd on sys.path, like `python -m`
    module = f"cli_target_{tmp_path.name.replace('-', '_')}"  # unique: sys.modules keeps what was imported
    (tmp_path / f"{module}.py").write_text(HANDLER_MODULE)
    with pytest.raises(CliError, match=message) as info:
        load_handler(target.replace("my_handlers", module), cwd=tmp_path)
    assert info.value.exit_code == 2


def test_load_handler_finds_a_file_inside_a_package_by_its_dotted_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    package = tmp_path / f"pkg_{tmp_path.name.replace('-', '_')}"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "handlers.py").write_text(HANDLER_MODULE)
    by_path = load_handler(f"{package.name}/handlers.py:echo", cwd=tmp_path)
    by_name = load_handler(f"{package.name}.handlers:echo", cwd=tmp_path)
    assert by_path is by_name  # one module, whichever way it is named
    assert by_path.__module__ == f"{package.name}.handlers"


def test_invoke_bad_payload_is_a_usage_error(tmp_path: Path) -> None:
    payload = tmp_path / "event.json"
    payload.write_text("{not json")
    proc = run_cli("invoke", "examples.secrets_and_lp:read_secret", "--payload", str(payload))
    assert proc.returncode == 2
    assert "the payload is not valid JSON" in proc.stderr


def test_local_and_live_are_exclusive() -> None:
    proc = run_cli("invoke", "examples.secrets_and_lp:read_secret", "--local", "--live")
    assert proc.returncode == 2
    assert "not allowed with argument" in proc.stderr


# ---------------------------------------------------------------------------------------------- invoke --live
async def run_cli_async(*args: str, env: dict[str, str], cwd: Path = ROOT) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *cli_command(),
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(SUBPROCESS_TIMEOUT):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_invoke_live_reads_its_config_from_the_environment(tmp_path: Path) -> None:
    async with Emulator(rate_limit=None) as emu:
        settings = write_settings(tmp_path / "settings.json", emu.state.secrets)
        env = clean_env(
            BRAND_ID=emu.state.account_id,
            X_LIVEPERSON_CSDS_DOMAIN=emu.host,
            LP_TOOLBELT_SCHEME="http",
            LP_TOOLBELT_ALLOWLIST=emu.host,
            LP_TOOLBELT_SECRETS_FILE=str(settings),
        )
        code, out, err = await run_cli_async("invoke", "examples.secrets_and_lp:signed_lp_call", "--live", env=env)
        assert code == 0, err
        assert json.loads(out)["skills"] == len(emu.state.skills)
        assert "local emulator" not in err
        skills = [r for r in emu.state.requests if r.route == "skills"]
        assert [r.auth_scheme for r in skills] == ["Bearer"]  # the default app key: V2's OAuth 2.0 app installation


async def test_invoke_live_without_an_account_fails_with_the_config_code(tmp_path: Path) -> None:
    code, out, err = await run_cli_async(
        "invoke", "examples.secrets_and_lp:signed_lp_call", "--live", env=clean_env(), cwd=ROOT
    )
    assert code == 1
    assert out == ""
    assert f"error: {ErrorCodes.CONFIG_INVALID}" in err


# ---------------------------------------------------------------------------------------------- emulator
async def spawn_cli(*args: str, cwd: Path) -> asyncio.subprocess.Process:
    """``lp-toolbelt ARGS`` started in ``cwd`` with a clean environment, stdout and stderr piped."""
    return await asyncio.create_subprocess_exec(
        *cli_command(),
        *args,
        cwd=cwd,
        env=clean_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.fixture
async def emulator_process(tmp_path: Path) -> AsyncIterator[tuple[asyncio.subprocess.Process, dict[str, str]]]:
    """``lp-toolbelt emulator --port 0`` started in a folder with a functions/settings.json; its exported env."""
    write_settings(tmp_path / "functions" / "settings.json", seed_secrets(), ["crm.example.com"])
    proc = await spawn_cli("emulator", "--port", "0", "--account", "424242", cwd=tmp_path)
    assert proc.stdout is not None
    exported: dict[str, str] = {}
    try:
        async with asyncio.timeout(SUBPROCESS_TIMEOUT):
            while "LP_TOOLBELT_ALLOWLIST" not in exported or "LP_TOOLBELT_SECRETS_FILE" not in exported:
                line = (await proc.stdout.readline()).decode()
                assert line, "the emulator exited before printing its environment"
                if line.startswith("export "):
                    name, _, value = line.removeprefix("export ").strip().partition("=")
                    exported[name] = value
        yield proc, exported
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_emulator_prints_an_environment_a_toolbelt_can_use(
    emulator_process: tuple[asyncio.subprocess.Process, dict[str, str]], tmp_path: Path
) -> None:
    _, exported = emulator_process
    assert exported["BRAND_ID"] == "424242"
    assert exported["LP_TOOLBELT_SCHEME"] == "http"
    assert Path(exported["LP_TOOLBELT_SECRETS_FILE"]) == (tmp_path / "functions" / "settings.json").resolve()
    config = ToolbeltConfig.from_env(env=exported)
    async with Toolbelt(config) as tb:
        resp = await tb.lp_client()(
            LpServices.ACCOUNT_CONFIG_READ_ONLY, "/api/account/424242/configuration/le-users/skills"
        )
        assert resp.status == 200
        assert len(resp.json()) == len(EmulatorState().skills)
        assert (await tb.csds_client().get("msgHist")) == exported["X_LIVEPERSON_CSDS_DOMAIN"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_emulator_stops_cleanly_on_a_signal(
    emulator_process: tuple[asyncio.subprocess.Process, dict[str, str]], sig: signal.Signals
) -> None:
    proc, _ = emulator_process
    proc.send_signal(sig)
    async with asyncio.timeout(SUBPROCESS_TIMEOUT):
        code = await proc.wait()
    assert code == 0
    assert proc.stderr is not None
    assert b"Traceback" not in await proc.stderr.read()


def test_emulator_help_names_this_command() -> None:
    proc = run_cli("emulator", "--help")
    assert proc.returncode == 0
    assert "lp-toolbelt emulator" in proc.stdout
    assert "--settings" in proc.stdout


# ---------------------------------------------------------------------------------------------- secrets
def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_secrets_set_list_get_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_settings(tmp_path / "settings.json", {}, ["my.crm.example.com"])
    s = str(path)
    assert cli(capsys, "secrets", "set", "crm", '{"user": "me", "token": "s3cr3t-value"}', "--settings", s)[0] == 0
    code, out, _ = cli(capsys, "secrets", "set", "plain", "just text", "--settings", s)
    assert code == 0
    assert "created secret 'plain'" in out
    code, out, _ = cli(capsys, "secrets", "set", "plain", "123", "--string", "--settings", s)
    assert "updated secret 'plain'" in out

    code, out, _ = cli(capsys, "secrets", "list", "--settings", s)
    assert code == 0
    assert "crm    {user: ***, token: ***}" in out
    assert "plain  ***" in out
    assert "# 2 secrets in" in out
    assert "s3cr3t-value" not in out
    assert "just text" not in out

    code, out, _ = cli(capsys, "secrets", "get", "crm", "--settings", s)
    assert code == 0
    assert json.loads(out) == {"user": "me", "token": "s3cr3t-value"}
    # Stored as the text "123" (--string), read back as a handler reads it: JSON.parse semantics give 123.
    assert json.loads(Path(s).read_text())["secrets"][1] == {"key": "plain", "value": "123"}
    assert json.loads(cli(capsys, "secrets", "get", "plain", "--settings", s)[1]) == 123

    doc = json.loads(path.read_text())
    assert doc["whitelist"] == ["my.crm.example.com"]  # kept
    assert {item["key"] for item in doc["secrets"]} == {"crm", "plain"}


async def test_a_secret_set_by_the_cli_is_what_the_toolbelt_reads(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    assert await asyncio.to_thread(main, ["secrets", "set", "crm", '{"token": "t"}', "--settings", str(path)]) == 0
    async with Toolbelt(ToolbeltConfig(account_id="1", secrets_file=path)) as tb:
        assert await tb.secret_client().read_secret("crm") == SecretEntry(key="crm", value={"token": "t"})


def test_secrets_default_file_is_the_env_one_then_functions_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LP_TOOLBELT_SECRETS_FILE", raising=False)
    assert cli(capsys, "secrets", "set", "a", "1")[0] == 0
    assert (tmp_path / "functions" / "settings.json").is_file()
    other = tmp_path / "other.json"
    monkeypatch.setenv("LP_TOOLBELT_SECRETS_FILE", str(other))
    assert cli(capsys, "secrets", "set", "b", "2")[0] == 0
    assert json.loads(other.read_text())["secrets"] == [{"key": "b", "value": 2}]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("get", "missing"), ErrorCodes.SECRET_NOT_FOUND),
        (("set", "LIVEPERSON_DEFAULT_X", "1"), ErrorCodes.SECRET_FORBIDDEN),
        (("set", "bad key!", "1"), ErrorCodes.SECRET_INVALID_FORMAT),
        (("get", "../etc"), ErrorCodes.SECRET_INVALID_FORMAT),
        (("set", "big", "x" * 20000), ErrorCodes.SECRET_INVALID_FORMAT),
    ],
)
def test_secrets_errors_print_the_code_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], code: str
) -> None:
    path = write_settings(tmp_path / "settings.json", {"a": 1})
    before = path.read_text()
    status, out, err = cli(capsys, "secrets", *args, "--settings", str(path))
    assert status == 1
    assert out == ""
    assert err.startswith(f"error: {code}: lp-toolbelt secrets: ")
    assert path.read_text() == before


def test_secrets_list_on_a_missing_or_broken_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = cli(capsys, "secrets", "list", "--settings", str(tmp_path / "nope.json"))
    assert status == 1
    assert "no such settings file" in err
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    status, _, err = cli(capsys, "secrets", "list", "--settings", str(broken))
    assert status == 1
    assert ErrorCodes.SECRET_OP_FAILED in err


def test_secrets_subprocess_value_from_stdin(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    proc = run_cli("secrets", "set", "token", "-", "--settings", str(path), stdin='{"k": "from-stdin"}\n')
    assert proc.returncode == 0, proc.stderr
    assert "from-stdin" not in proc.stdout
    proc = run_cli("secrets", "list", "--settings", str(path))
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[0] == "token  {k: ***}"


# ---------------------------------------------------------------------------------------------- pure helpers
@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ({"a": 1, "b": {"c": 2}}, "{a: ***, b: ***}"),
        ('{"x": "json in a string"}', "{x: ***}"),
        (["p", "q"], "[2 items]"),
        ([1], "[1 item]"),
        ("plain", "***"),
        (None, "***"),
    ],
)
def test_mask_secret(value: Any, masked: str) -> None:
    assert mask_secret(value) == masked


def test_to_jsonable_dumps_models_by_alias() -> None:
    from lp_toolbelt import KeywordScanResult

    hit = KeywordScanResult(message="hi", sent_timestamp=1, sent_by="Consumer", tag="keywordRef:hi")
    assert to_jsonable({"hits": [hit], "raw": b"\xff", "set": {2, 1}}) == {
        "hits": [{"message": "hi", "sentTimestamp": 1, "sentBy": "Consumer", "tag": "keywordRef:hi"}],
        "raw": {"base64": "/w=="},
        "set": [1, 2],
    }


# ---------------------------------------------------------------------------------------------- a newcomer's walls
FILE_HANDLER = """
async def handler(toolbelt, payload):
    return {"from": "the project's own file", "payload": payload}
"""


@pytest.mark.parametrize("stem", ["secrets", "json", "calendar"])
def test_a_py_target_named_like_a_standard_library_module_is_the_projects_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stem: str
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / f"{stem}.py").write_text(FILE_HANDLER)
    handler = load_handler(f"{stem}.py:handler", cwd=tmp_path)
    module = sys.modules[handler.__module__]
    assert module.__file__ == str(tmp_path / f"{stem}.py")
    assert handler.__module__ != stem  # a private name: the standard library's module is untouched
    assert load_handler(f"{stem}.py:handler", cwd=tmp_path) is handler  # loaded once
    assert not hasattr(importlib.import_module(stem), "handler")


def test_a_py_target_in_a_package_named_like_a_standard_library_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    package = tmp_path / "email"  # the standard library has an `email` package, without `email.handlers`
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "handlers.py").write_text(FILE_HANDLER)
    handler = load_handler("email/handlers.py:handler", cwd=tmp_path)
    assert sys.modules[handler.__module__].__file__ == str(package / "handlers.py")


def test_invoke_secrets_py_from_the_shell(tmp_path: Path) -> None:
    """The README's wall: `lp-toolbelt invoke secrets.py:handler` used to import the standard library's secrets."""
    (tmp_path / "secrets.py").write_text(FILE_HANDLER)
    (tmp_path / "event.json").write_text('{"n": 1}')
    proc = run_cli("invoke", "secrets.py:handler", "--payload", "event.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"from": "the project's own file", "payload": {"n": 1}}


NOT_JSON_HANDLERS = """
import dataclasses, datetime, decimal, uuid

class Opaque:
    def __repr__(self):
        return "<Opaque>"

async def opaque(toolbelt, payload):
    return {"items": [1, Opaque()]}

async def not_a_number(toolbelt, payload):
    return {"ratio": float("nan")}

async def money(toolbelt, payload):
    return [decimal.Decimal("1.10")]

@dataclasses.dataclass
class Point:
    x: int

async def documented(toolbelt, payload):
    return {"when": datetime.date(2025, 1, 2), "id": uuid.UUID(int=1), "p": Point(1), "t": (1, 2), 7: "int key"}
"""


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("opaque", "the result['items'][1] is a Opaque, not JSON"),
        ("not_a_number", "the result['ratio'] is nan, which JSON cannot hold, not JSON"),
        ("money", "the result[0] is a Decimal, not JSON"),
    ],
)
def test_invoke_refuses_a_result_that_is_not_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], target: str, message: str
) -> None:
    """A result is never replaced by its str(): an error naming where, exit status 1, nothing on stdout."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results.py").write_text(NOT_JSON_HANDLERS)
    code, out, err = cli(capsys, "invoke", f"results.py:{target}")
    assert (code, out) == (1, "")
    assert f"lp-toolbelt invoke: {message}" in err
    assert "<Opaque>" not in err


def test_invoke_prints_the_documented_conversions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results.py").write_text(NOT_JSON_HANDLERS)
    code, out, err = cli(capsys, "invoke", "results.py:documented")
    assert code == 0, err
    assert json.loads(out) == {
        "when": "2025-01-02",
        "id": "00000000-0000-0000-0000-000000000001",
        "p": {"x": 1},
        "t": [1, 2],
        "7": "int key",
    }


def test_to_jsonable_refuses_a_value_that_contains_itself() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    with pytest.raises(CliError, match=r"the result\[1\] contains itself") as info:
        to_jsonable(loop)
    assert info.value.exit_code == 1
    shared = [1]
    assert to_jsonable({"a": shared, "b": shared}) == {"a": [1], "b": [1]}  # the same list twice is fine


def test_secrets_set_leaves_no_lock_file_behind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "functions" / "settings.json"
    assert cli(capsys, "secrets", "set", "a", "1", "--settings", str(path))[0] == 0
    assert cli(capsys, "secrets", "set", "a", "2", "--settings", str(path))[0] == 0
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]
    assert json.loads(path.read_text())["secrets"] == [{"key": "a", "value": 2}]
