"""``make demo`` (``python -m examples.demo``): every step runs and passes; failures are reported and fail the run."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from examples import demo
from lp_toolbelt import ErrorCodes, ToolbeltError

ROOT = Path(__file__).resolve().parents[2]
FINAL = re.compile(r"^demo: (\d+) passed, (\d+) failed$")
CAPABILITIES = (
    "secrets",
    "lp",
    "conversation",
    "sdes",
    "gdpr",
    "context",
    "salesforce",
    "orchestrator",
    "mtls",
    "lp-mtls",
)


def test_the_demo_walks_through_every_capability() -> None:
    areas = {name.split(".")[0] for name, _ in demo.STEPS}
    assert set(CAPABILITIES) <= areas


async def test_every_step_passes_and_prints_one_line() -> None:
    out = io.StringIO()
    results = await demo.run_demo(out)
    lines = out.getvalue().splitlines()
    assert [r.name for r in results] == [name for name, _ in demo.STEPS]
    failed = [f"{r.name}: {r.summary}" for r in results if not r.ok]
    assert failed == []
    step_lines = [line for line in lines if line.startswith((demo.OK_MARK, demo.FAIL_MARK))]
    assert len(step_lines) == len(demo.STEPS)
    for line, result in zip(step_lines, results, strict=True):
        assert line.startswith(f"{demo.OK_MARK} {result.name} ")
        assert result.summary in line
        assert any(ch.isdigit() for ch in result.summary) or "'" in result.summary  # a key number or name
    match = FINAL.match(lines[-1])
    assert match is not None
    assert match.groups() == (str(len(demo.STEPS)), "0")


def test_python_m_examples_demo_exits_0() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "examples.demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,  # a guard against a hang, not a speed assertion
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == f"demo: {len(demo.STEPS)} passed, 0 failed"
    assert demo.FAIL_MARK not in proc.stdout


async def _ok(d: demo.Demo) -> str:
    return f"fine: {d.emulator.state.account_id}"


async def _check_fails(d: demo.Demo) -> str:
    demo.check(d.emulator.state.count("skills") > 99, "not enough skills")
    return "unreachable"


async def _missing(d: demo.Demo) -> str:
    demo.load_example("no_such_example_module")
    return "unreachable"


async def _toolbelt_error(d: demo.Demo) -> str:
    await d.toolbelt.secret_client().read_secret("no-such-secret")
    return "unreachable"


async def _toolbelt_refused(d: demo.Demo) -> str:
    raise ToolbeltError("X", "com.example.code", "refused")


def test_failures_are_reported_and_the_exit_status_is_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = [("a.ok", _ok), ("b.check", _check_fails), ("c.missing", _missing), ("d.secret", _toolbelt_error)]
    monkeypatch.setattr(demo, "STEPS", steps)
    assert demo.main([]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert f"{demo.OK_MARK} a.ok       fine: 12345678" in lines
    assert f"{demo.FAIL_MARK} b.check    not enough skills" in lines
    assert f"{demo.FAIL_MARK} c.missing  not available: examples/no_such_example_module.py does not exist" in lines
    secret_line = next(line for line in lines if "d.secret" in line)
    assert secret_line.startswith(demo.FAIL_MARK)
    assert ErrorCodes.SECRET_NOT_FOUND in secret_line
    assert lines[-1] == "demo: 1 passed, 3 failed"


def test_only_runs_the_named_steps(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(demo, "STEPS", [("a.ok", _ok), ("e.refused", _toolbelt_refused)])
    assert demo.main(["--only", "a.ok"]) == 0
    out = capsys.readouterr().out
    assert "e.refused" not in out
    assert out.splitlines()[-1] == "demo: 1 passed, 0 failed"
    assert demo.main(["--only", "e.refused"]) == 1
    assert "com.example.code: X: refused" in capsys.readouterr().out
