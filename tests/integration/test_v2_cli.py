"""``--function UUID=MODULE:HANDLER``: ``lp-toolbelt emulator`` and ``lp-toolbelt invoke`` host local functions that an
Orchestrator invokes through the emulator's ``faasGW``."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from lp_toolbelt import Invocation, Toolbelt, ToolbeltConfig
from lp_toolbelt.cli import main
from tests.integration.test_cli import SUBPROCESS_TIMEOUT, spawn_cli

FUNCTIONS = """
async def double(toolbelt, payload):
    return {"n": payload["n"] * 2, "account": toolbelt.config.account_id}
"""

ORCHESTRATION = """
from lp_toolbelt import Invocation

async def handler(toolbelt, payload):
    results = await toolbelt.orchestrator_client().invoke(
        [Invocation(uuid="fn-double", payload={"n": n}) for n in payload["numbers"]], json=True, parallel=True
    )
    return [r.body["n"] for r in results]
"""


async def test_the_emulator_command_hosts_functions(tmp_path: Path) -> None:
    (tmp_path / "fns.py").write_text(FUNCTIONS, encoding="utf-8")
    proc = await spawn_cli("emulator", "--port", "0", "--function", "fn-double=fns.py:double", cwd=tmp_path)
    assert proc.stdout is not None
    exported: dict[str, str] = {}
    hosted: list[str] = []
    try:
        async with asyncio.timeout(SUBPROCESS_TIMEOUT):  # a guard against a hung child, not a speed assertion
            while not hosted:
                line = (await proc.stdout.readline()).decode()
                assert line, "the emulator exited before it was ready"
                if line.startswith("export "):
                    name, _, value = line.removeprefix("export ").strip().partition("=")
                    exported[name] = value
                elif line.startswith("# hosting function fn-double"):
                    hosted.append(line)
        async with Toolbelt(ToolbeltConfig.from_env(env=exported)) as tb:
            [result] = await tb.orchestrator_client().invoke(
                [Invocation(uuid="fn-double", payload={"n": 21})], json=True
            )
        assert result.body == {"n": 42, "account": exported["BRAND_ID"]}
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def test_invoke_hosts_functions_for_the_handlers_orchestrator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "fns.py").write_text(FUNCTIONS, encoding="utf-8")
    (tmp_path / "orchestrate.py").write_text(ORCHESTRATION, encoding="utf-8")
    (tmp_path / "event.json").write_text(json.dumps({"numbers": [1, 2, 3]}), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    code = main(
        ["invoke", "orchestrate.py:handler", "--payload", "event.json", "--function", "fn-double=fns.py:double"]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out) == [2, 4, 6]


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("no-equals", "--function expects"),
        ("=fns.py:double", "--function expects"),
        ("bad/uuid=fns.py:double", "--function expects"),
        ("fn=missing.py:x", "cannot import"),
    ],
)
def test_a_bad_function_spec_is_a_usage_error(
    spec: str, says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "fns.py").write_text(FUNCTIONS, encoding="utf-8")
    (tmp_path / "orchestrate.py").write_text(ORCHESTRATION, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert main(["invoke", "orchestrate.py:handler", "--function", spec]) == 2
    assert says in capsys.readouterr().err


def test_function_needs_local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fns.py").write_text(FUNCTIONS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["invoke", "fns.py:double", "--live", "--function", "fn=fns.py:double"]) == 2


def test_the_orchestration_example_runs_as_its_docstring_says(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from examples import orchestration

    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    monkeypatch.setattr(sys, "path", list(sys.path))
    target = "examples/orchestration.py"
    code = main(
        [
            "invoke",
            f"{target}:handler",
            "--function",
            f"{orchestration.ENRICH_UUID}={target}:enrich",
            "--function",
            f"{orchestration.SCORE_UUID}={target}:score",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out) == {
        "customer": {"customerId": "c-1", "tier": "gold"},
        "basket": {"items": 2, "score": 3.0},
        "failures": {},
    }
    doc = orchestration.__doc__ or ""
    assert f"--function {orchestration.ENRICH_UUID}={target}:enrich" in doc
    assert f"--function {orchestration.SCORE_UUID}={target}:score" in doc
