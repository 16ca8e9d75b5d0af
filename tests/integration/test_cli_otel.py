"""``--otel`` on the command line: ``invoke --local --otel`` prints the handler's spans and metrics on stderr and
keeps stdout the handler's JSON; ``emulator --otel`` exports ``LP_TOOLBELT_OTEL=console``; without the SDK both
say what to install. (Subprocesses: console export sets the process's global providers.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.__main__ import env_lines

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


CLI = "import sys; from lp_toolbelt.cli import main; sys.exit(main(sys.argv[1:]))"


def test_invoke_local_otel_prints_spans_and_metrics_on_stderr() -> None:
    done = _run(CLI, "invoke", "--local", "--otel", "examples/secrets_and_lp.py:handler")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["lp_call"]["status"] == 200  # stdout is the handler's JSON only
    lines = done.stderr.splitlines()
    assert any(line.startswith("[otel] lp_client accountConfigReadOnly ") for line in lines), done.stderr
    assert any(line.startswith("[otel] GET ") and "lp.service=accountConfigReadOnly" in line for line in lines)
    assert any(line.startswith("[otel] metric http.client.request.duration {") for line in lines), done.stderr


def test_without_the_sdk_otel_says_what_to_install() -> None:
    blocked = "import sys; sys.modules['opentelemetry.sdk'] = None; " + CLI.split("; ", 1)[1]
    done = _run(blocked, "invoke", "--otel", "examples/secrets_and_lp.py:handler")
    assert done.returncode == 2
    assert "opentelemetry-sdk" in done.stderr
    emulator = "import sys; sys.modules['opentelemetry.sdk'] = None; from lp_toolbelt.emulator.__main__ import main; "
    done = _run(emulator + "sys.exit(main(['--otel', '--port', '0']))")
    assert done.returncode == 2
    assert "--otel" in done.stderr
    assert "opentelemetry-sdk" in done.stderr


async def test_emulator_otel_exports_the_console_switch() -> None:
    async with Emulator(rate_limit=None) as emu:
        assert "export LP_TOOLBELT_OTEL=console" in env_lines(emu, otel=True)
        assert not any("LP_TOOLBELT_OTEL" in line for line in env_lines(emu))


def test_env_var_console_in_a_handler_process() -> None:
    """A process started with ``LP_TOOLBELT_OTEL=console`` (as ``lp-toolbelt emulator --otel`` prints) prints the
    spans of every Toolbelt it creates."""
    code = (
        "import asyncio\n"
        "from lp_toolbelt import Toolbelt\n"
        "from lp_toolbelt.emulator import Emulator\n"
        "async def main():\n"
        "    async with Emulator(rate_limit=None) as emu, Toolbelt(emu.config()) as tb:\n"
        "        await tb.csds_client().get('msgHist')\n"
        "asyncio.run(main())\n"
    )
    env = {**os.environ, "LP_TOOLBELT_OTEL": "console"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False, env=env
    )
    assert done.returncode == 0, done.stderr
    assert any(line.startswith("[otel] csds get ") for line in done.stderr.splitlines()), done.stderr
