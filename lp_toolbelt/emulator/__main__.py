"""``python -m lp_toolbelt.emulator``: serve a local LivePerson until interrupted.

Prints the environment that points a ``Toolbelt`` (``ToolbeltConfig.from_env()``) at it. ``main(argv)`` and
``serve(emulator)`` are reusable by a command-line front end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import shlex
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from .._cli_io import EXIT_USAGE, CliError, load_handler
from .app import Emulator
from .seed import DEFAULT_ACCOUNT_ID, DEFAULT_RATE_LIMIT
from .v2 import FunctionHandler

__all__ = ["build_parser", "env_lines", "main", "parse_functions", "serve"]


def build_parser(prog: str = "python -m lp_toolbelt.emulator") -> argparse.ArgumentParser:
    """The argument parser of the emulator command."""
    parser = argparse.ArgumentParser(prog=prog, description="Serve a local LivePerson emulator.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8088, help="port to bind (default: 8088; 0 = any free)")
    parser.add_argument("--settings", type=Path, default=None, help="a settings.json (default: the demo seed)")
    parser.add_argument("--account", default=DEFAULT_ACCOUNT_ID, help=f"account id (default: {DEFAULT_ACCOUNT_ID})")
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=DEFAULT_RATE_LIMIT,
        help=f"proxy cap in requests/second, 0 = none (default: {DEFAULT_RATE_LIMIT:g})",
    )
    parser.add_argument(
        "--otel",
        action="store_true",
        help="print the OpenTelemetry spans and metrics of the handlers pointed at it (adds LP_TOOLBELT_OTEL=console "
        "to the printed environment; needs opentelemetry-sdk)",
    )
    parser.add_argument(
        "--function",
        action="append",
        default=[],
        metavar="UUID=MODULE:HANDLER",
        help="host a function the Orchestrator can invoke (faasGW), e.g. fn-1=functions/enrich.py:handler; repeatable",
    )
    return parser


def parse_functions(specs: Sequence[str]) -> dict[str, FunctionHandler]:
    """``UUID=MODULE:HANDLER`` specs (``--function``) as ``{uuid: handler}``; CliError (exit 2) for a bad one.

    Example::

        emulator.functions.update(parse_functions(["fn-1=functions/enrich.py:handler"]))
    """
    functions: dict[str, FunctionHandler] = {}
    for spec in specs:
        uuid, sep, target = spec.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z0-9_-]{1,128}", uuid) or not target:
            raise CliError(f"--function expects UUID=MODULE:HANDLER, got {spec!r}", EXIT_USAGE)
        functions[uuid] = load_handler(target)
    return functions


def env_lines(emulator: Emulator, settings_file: Path | None = None, *, otel: bool = False) -> list[str]:
    """``export`` lines that point ``ToolbeltConfig.from_env()`` at a running emulator (``otel``: and make each
    Toolbelt print its spans and metrics to standard error)."""
    lines = [
        f"export BRAND_ID={shlex.quote(emulator.state.account_id)}",
        f"export X_LIVEPERSON_CSDS_DOMAIN={shlex.quote(emulator.host)}",
        "export LP_TOOLBELT_SCHEME=http",
        f"export LP_TOOLBELT_ALLOWLIST={shlex.quote(','.join(emulator.own_hosts))}",
    ]
    if settings_file is not None:
        lines.append(f"export LP_TOOLBELT_SECRETS_FILE={shlex.quote(str(settings_file.resolve()))}")
    if otel:
        lines.append("export LP_TOOLBELT_OTEL=console")
    return lines


async def serve(
    emulator: Emulator,
    *,
    settings_file: Path | None = None,
    out: TextIO | None = None,
    stop: asyncio.Event | None = None,
    write_seed: bool = False,
    otel: bool = False,
) -> None:
    """Run ``emulator`` until ``stop`` is set, SIGTERM arrives or the task is cancelled (Ctrl-C).

    ``write_seed``: once serving, write the emulator's secrets (``${EMULATOR_URL}`` resolved) and whitelist to
    ``settings_file``, the private copy a Toolbelt reads through ``LP_TOOLBELT_SECRETS_FILE``."""
    stream = out if out is not None else sys.stdout
    stop_event = stop if stop is not None else asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, stop_event.set)
    try:
        async with emulator:
            if write_seed and settings_file is not None:
                secrets = [{"key": key, "value": value} for key, value in emulator.state.secrets.items()]
                seed = {"secrets": secrets, "whitelist": emulator.state.whitelist}
                text = json.dumps(seed, indent=2) + "\n"
                await asyncio.to_thread(settings_file.write_text, text, encoding="utf-8")
            print(
                f"# lp-toolbelt emulator on {emulator.base_url} (account {emulator.state.account_id}); Ctrl-C to stop",
                file=stream,
            )
            print(
                f"# the Toolbelt's allowlist must include {emulator.host} (emulator.config() does this)",
                file=stream,
            )
            for line in env_lines(emulator, settings_file, otel=otel):
                print(line, file=stream)
            for uuid in emulator.functions:
                print(f"# hosting function {uuid} (faasGW)", file=stream)
            stream.flush()
            await stop_event.wait()
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGTERM)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse ``argv``, serve until interrupted, return the exit status."""
    args = build_parser().parse_args(argv)
    if args.otel:
        from ..telemetry.console import SDK_MISSING, sdk_installed

        if not sdk_installed():
            print(f"lp-toolbelt emulator: --otel: {SDK_MISSING}", file=sys.stderr)
            return 2
    settings: Path | None = args.settings
    rate_limit: float | None = args.rate_limit if args.rate_limit and args.rate_limit > 0 else None
    try:
        functions = parse_functions(args.function)
    except CliError as err:
        print(f"lp-toolbelt emulator: {err}", file=sys.stderr)
        return err.exit_code
    emulator = Emulator(settings, account_id=args.account, host=args.host, port=args.port, rate_limit=rate_limit)
    emulator.functions.update(functions)
    # Without --settings, the Toolbelt side gets a private copy of the packaged seed: a secret update must never
    # write into the installed package.
    with tempfile.TemporaryDirectory(prefix="lp-toolbelt-emulator-") as tmp:
        settings_file = settings if settings is not None else Path(tmp) / "settings.json"
        try:
            asyncio.run(serve(emulator, settings_file=settings_file, write_seed=settings is None, otel=args.otel))
        except KeyboardInterrupt:
            return 0
        except OSError as err:
            print(f"lp-toolbelt emulator: {err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
