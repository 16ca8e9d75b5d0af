"""``lp-toolbelt``: the local dev loop from a shell.

Commands::

    lp-toolbelt emulator [--host 127.0.0.1] [--port 8088] [--settings functions/settings.json] [--otel]
                         [--function UUID=MODULE:HANDLER ...]
    lp-toolbelt invoke MODULE:FUNCTION [--payload event.json] [--local | --live] [--settings PATH] [--otel]
                       [--function UUID=MODULE:HANDLER ...]
    lp-toolbelt secrets list|get KEY|set KEY VALUE [--settings PATH]

``invoke`` runs a handler ``async def handler(toolbelt, payload) -> Any`` and prints its result as JSON (by the
rule of :func:`to_jsonable`: a result that is not JSON is an error, never its ``str()``). MODULE is a dotted module
name (``examples.secrets_and_lp``), imported from the current directory like ``python -m``, or a ``.py`` file
(``examples/secrets_and_lp.py``), loaded from its path (``secrets.py`` is never the standard library's).
``--local`` (the default) starts an emulator in-process, seeded from ``--settings`` or ``functions/settings.json``
(or the packaged demo seed when there is none); it never writes to that file. ``--live`` uses
``ToolbeltConfig.from_env()`` (``BRAND_ID``, ``X_LIVEPERSON_CSDS_DOMAIN``, ...). A ``ToolbeltError`` prints its code
and message and exits 1; so does a malformed settings file, in both modes (:func:`check_settings_file`).

Example::

    $ lp-toolbelt invoke examples/secrets_and_lp.py:handler --payload event.json
    $ lp-toolbelt secrets set crm-token '{"token": "..."}'
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import inspect
import json
import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from . import _constants as C
from ._cli_io import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CliError, Handler, load_handler, to_jsonable
from .clients.secrets import decode_secret_value
from .config import ToolbeltConfig
from .errors import ErrorCodes, ToolbeltError
from .secrets_store.rule import check_secret_update, parse_json, validate_secret_key, well_formed

__all__ = ["CliError", "build_parser", "check_settings_file", "load_handler", "main", "mask_secret", "to_jsonable"]

PROG = "lp-toolbelt"
STDIN = "-"
MASK = "***"


# ---------------------------------------------------------------------------------------------------- parser
def _settings_default() -> Path:
    env = os.environ.get("LP_TOOLBELT_SECRETS_FILE")
    return Path(env) if env else Path(C.DEFAULT_SECRETS_FILE)


def build_parser() -> argparse.ArgumentParser:
    """The ``lp-toolbelt`` argument parser (sub-commands ``emulator``, ``invoke``, ``secrets``).

    Example::

        args = build_parser().parse_args(["secrets", "list"])
    """
    from .emulator.__main__ import build_parser as emulator_parser

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Local dev loop for LivePerson Functions handlers written with lp_toolbelt.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser(
        "emulator",
        parents=[emulator_parser(f"{PROG} emulator")],
        add_help=False,  # the parent brings -h
        help="serve a local LivePerson emulator until interrupted",
        description="Serve a local LivePerson emulator until interrupted and print the environment that points "
        "ToolbeltConfig.from_env() at it. --settings defaults to functions/settings.json when it exists.",
    )

    invoke = commands.add_parser(
        "invoke",
        help="run a handler against the emulator (default) or the real platform",
        description="Run `async def handler(toolbelt, payload)` and print its result as JSON. A result must be "
        "JSON (dicts, lists, strings, numbers, booleans, None); pydantic models, HttpResponse, bytes, dataclasses, "
        "dates, sets, Path and UUID are converted; anything else is an error (exit status 1).",
    )
    invoke.add_argument("target", metavar="MODULE:FUNCTION", help="e.g. examples/secrets_and_lp.py:handler")
    invoke.add_argument("--payload", metavar="PATH", help="a JSON file with the payload ('-' = stdin; default {})")
    mode = invoke.add_mutually_exclusive_group()
    mode.add_argument("--local", dest="live", action="store_false", help="against an in-process emulator (default)")
    mode.add_argument("--live", dest="live", action="store_true", help="against LivePerson, config from the env")
    invoke.set_defaults(live=False)
    invoke.add_argument(
        "--settings",
        type=Path,
        default=None,
        help="--local: the emulator's seed (default: functions/settings.json, else the demo seed)",
    )
    invoke.add_argument(
        "--account", default=None, help="--local: the account id (default: $BRAND_ID, else the emulator's)"
    )
    invoke.add_argument(
        "--otel",
        action="store_true",
        help="print the handler's OpenTelemetry spans and metrics to stderr (needs opentelemetry-sdk)",
    )
    invoke.add_argument(
        "--function",
        action="append",
        default=[],
        metavar="UUID=MODULE:HANDLER",
        help="--local: host a function the handler's Orchestrator can invoke; repeatable",
    )

    secrets = commands.add_parser(
        "secrets",
        help="list, read or set the secrets of a settings.json",
        description="Manage the secrets of a LivePerson Functions CLI settings.json (values masked in `list`).",
    )
    settings_opt = argparse.ArgumentParser(add_help=False)
    settings_opt.add_argument(
        "--settings",
        type=Path,
        default=None,
        help="the settings file (default: $LP_TOOLBELT_SECRETS_FILE, else functions/settings.json)",
    )
    actions = secrets.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", parents=[settings_opt], help="list the keys, values masked")
    get = actions.add_parser("get", parents=[settings_opt], help="print one secret's value as JSON")
    get.add_argument("key")
    set_ = actions.add_parser("set", parents=[settings_opt], help="create or replace a secret")
    set_.add_argument("key")
    set_.add_argument("value", help="JSON (or a plain string); '-' reads it from stdin")
    set_.add_argument("--string", action="store_true", help="store VALUE as a string even if it parses as JSON")
    return parser


# ---------------------------------------------------------------------------------------------------- main
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lp-toolbelt`` console script; returns the exit status.

    Example::

        sys.exit(main(["invoke", "examples.secrets_and_lp:handler"]))
    """
    raw = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(raw)
    try:
        if args.command == "emulator":
            return _emulator(raw[raw.index("emulator") + 1 :], args)
        if args.command == "invoke":
            return _invoke(args)
        return _secrets(args, sys.stdout)
    except CliError as err:
        print(f"{PROG} {args.command}: {err}", file=sys.stderr)
        return err.exit_code
    except ToolbeltError as err:
        print(_error_line(err), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


def _error_line(err: ToolbeltError) -> str:
    status = f" (HTTP {err.status})" if err.status is not None else ""
    return f"error: {err.code}{status}: {err}"


# ---------------------------------------------------------------------------------------------------- emulator
def _emulator(forward: list[str], args: argparse.Namespace) -> int:
    from .emulator.__main__ import main as emulator_main
    from .local import default_settings_path

    if args.settings is None:
        default = default_settings_path()
        if default is not None:
            forward = [*forward, "--settings", str(default)]
    return emulator_main(forward)


# ---------------------------------------------------------------------------------------------------- invoke
def _read_payload(source: str | None) -> Any:
    if source is None:
        return {}
    try:
        text = sys.stdin.read() if source == STDIN else Path(source).read_text(encoding="utf-8")
    except OSError as err:
        raise CliError(f"cannot read the payload: {err}", EXIT_USAGE) from err
    try:
        return json.loads(text)
    except ValueError as err:
        raise CliError(f"the payload is not valid JSON: {err}", EXIT_USAGE) from err


async def _call(handler: Handler, toolbelt: Any, payload: Any) -> Any:
    result = handler(toolbelt, payload)
    if inspect.isawaitable(result):
        result = await result
    return result


@dataclasses.dataclass(frozen=True)
class _LocalSeed:
    seed: dict[str, Any] | None  # what the emulator starts from (None: its packaged demo seed)
    label: str  # where it came from, for the one line on stderr
    functions: dict[str, Handler] = dataclasses.field(default_factory=dict)  # --function: hosted by the emulator


def _local_seed(settings: Path | None) -> _LocalSeed:
    from .local import default_settings_path, emulator_seed

    path = settings if settings is not None else default_settings_path()
    if path is None:
        return _LocalSeed(None, "the demo seed")
    if not path.is_file():
        raise CliError(f"no such settings file: {path}", EXIT_USAGE)
    check_settings_file(path, "invoke")
    try:
        return _LocalSeed(emulator_seed(path), str(path))
    except (OSError, ValueError) as err:
        raise _cli_error("invoke", ErrorCodes.SECRET_OP_FAILED, f"cannot use {path}: {type(err).__name__}") from err


def check_settings_file(path: Path, command: str) -> None:
    """Refuse a settings file that is not a LivePerson Functions CLI settings.json.

    ``invoke --local``, ``invoke --live`` and ``secrets`` report it alike: ``error: <secret.op-failed>:
    lp-toolbelt <command>: <path> is not valid JSON: line N`` (or what is wrong with its shape), exit status 1.
    An absent file is an empty one.

    Example::

        check_settings_file(Path("functions/settings.json"), "invoke")
    """
    from .secrets_store.file import SettingsFile, SettingsFormatError

    try:
        SettingsFile(path).load()
    except SettingsFormatError as err:
        raise _cli_error(command, ErrorCodes.SECRET_OP_FAILED, str(err)) from err
    except OSError as err:
        raise _cli_error(command, ErrorCodes.SECRET_OP_FAILED, f"cannot access {path}: {err.strerror}") from err


def _cli_error(command: str, code: str, message: str) -> ToolbeltError:
    return ToolbeltError(f"{PROG} {command}", code, message)


async def _run_invoke(handler: Handler, payload: Any, args: argparse.Namespace, local: _LocalSeed | None) -> Any:
    from .toolbelt import Toolbelt

    if local is None:  # --live
        config = ToolbeltConfig.from_env()
        if config.secrets_file is not None:
            check_settings_file(config.secrets_file, "invoke")
        async with Toolbelt(config) as toolbelt:
            return await _call(handler, toolbelt, payload)

    from .emulator import DEFAULT_ACCOUNT_ID
    from .local import local_toolbelt

    account = args.account or os.environ.get("BRAND_ID") or os.environ.get("X_LIVEPERSON_BRAND_ID")
    async with local_toolbelt(local.seed, account_id=account or DEFAULT_ACCOUNT_ID) as (emulator, toolbelt):
        emulator.functions.update(local.functions)
        where = f"{emulator.base_url}, account {emulator.state.account_id}"
        print(f"# local emulator on {where}, {local.label}", file=sys.stderr)
        return await _call(handler, toolbelt, payload)


def _console_telemetry() -> None:
    from .telemetry.console import SDK_MISSING, install_console_exporters, sdk_installed

    if not sdk_installed():
        raise CliError(f"--otel: {SDK_MISSING}", EXIT_USAGE)
    install_console_exporters()


def _invoke(args: argparse.Namespace) -> int:
    from .emulator.__main__ import parse_functions

    if args.live and args.function:
        raise CliError("--function hosts a function in the local emulator: it needs --local", EXIT_USAGE)
    if args.otel:
        _console_telemetry()
    local = (
        None if args.live else dataclasses.replace(_local_seed(args.settings), functions=parse_functions(args.function))
    )
    handler = load_handler(args.target)
    payload = _read_payload(args.payload)
    try:
        result = asyncio.run(_run_invoke(handler, payload, args, local))
    except (ToolbeltError, CliError, KeyboardInterrupt):
        raise
    except Exception:  # noqa: BLE001 - any handler bug: show its traceback, exit 1
        traceback.print_exc()
        print(f"{PROG} invoke: the handler raised an unexpected exception (above)", file=sys.stderr)
        return EXIT_FAILED
    print(well_formed(json.dumps(to_jsonable(result), indent=2, ensure_ascii=False)))
    return EXIT_OK


# ---------------------------------------------------------------------------------------------------- secrets
def mask_secret(value: Any) -> str:
    """A secret value with every leaf hidden: objects keep their field names, lists their length.

    Example::

        mask_secret({"token": "abc", "user": "me"})   # '{token: ***, user: ***}'
    """
    value = decode_secret_value(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {MASK}" for key in value) + "}"
    if isinstance(value, list):
        return f"[{len(value)} item{'s' if len(value) != 1 else ''}]"
    return MASK


def _check_key(key: str) -> str:
    try:
        return validate_secret_key(key)
    except ToolbeltError as err:
        raise _cli_error("secrets", err.code, err.message) from err


def _read_value(raw: str, as_string: bool) -> Any:
    text = sys.stdin.read() if raw == STDIN else raw
    if raw == STDIN:
        text = text.rstrip("\n")
    if as_string:
        return text
    try:
        return parse_json(text)
    except ValueError:
        pass
    try:  # JSON but for NaN / Infinity: handed to the secret rule, which refuses it (not silently stored as text)
        return json.loads(text)
    except ValueError:
        return text


def _secrets(args: argparse.Namespace, out: TextIO) -> int:
    from .secrets_store.base import SecretMissing
    from .secrets_store.file import SettingsFile, SettingsFormatError

    path: Path = args.settings if args.settings is not None else _settings_default()
    settings = SettingsFile(path)
    try:
        if args.action == "set":
            value = _read_value(args.value, args.string)
            try:  # the rule SecretClient.update_secret applies, creation aside
                canonical = check_secret_update(args.key, value)
            except ToolbeltError as err:
                raise _cli_error("secrets", err.code, err.message) from err
            existed = args.key in settings.secrets()
            settings.set(args.key, json.loads(canonical), create=True)
            print(f"{'updated' if existed else 'created'} secret {args.key!r} in {path}", file=out)
            return EXIT_OK
        if not path.is_file():
            raise CliError(f"no such settings file: {path} (create one with `{PROG} secrets set KEY VALUE`)")
        secrets = settings.secrets()
        if args.action == "get":
            key = _check_key(args.key)
            if key not in secrets:
                raise SecretMissing(key)
            print(well_formed(json.dumps(decode_secret_value(secrets[key]), indent=2, ensure_ascii=False)), file=out)
            return EXIT_OK
        width = max((len(key) for key in secrets), default=0)
        for key, value in secrets.items():
            print(f"{key:<{width}}  {mask_secret(value)}", file=out)
        print(f"# {len(secrets)} secret{'s' if len(secrets) != 1 else ''} in {path}", file=out)
        return EXIT_OK
    except SecretMissing as err:
        message = f"secret {args.key!r} does not exist in {path}"
        raise _cli_error("secrets", ErrorCodes.SECRET_NOT_FOUND, message) from err
    except SettingsFormatError as err:
        raise _cli_error("secrets", ErrorCodes.SECRET_OP_FAILED, str(err)) from err
    except OSError as err:
        raise _cli_error("secrets", ErrorCodes.SECRET_OP_FAILED, f"cannot access {path}: {err.strerror}") from err


if __name__ == "__main__":
    sys.exit(main())
