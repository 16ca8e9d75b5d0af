"""``lp-toolbelt``: the local dev loop from a shell.

Commands::

    lp-toolbelt emulator [--host 127.0.0.1] [--port 8088] [--settings functions/settings.json]
    lp-toolbelt invoke MODULE:FUNCTION [--payload event.json] [--local | --live] [--settings PATH]
    lp-toolbelt secrets list|get KEY|set KEY VALUE [--settings PATH]

``invoke`` runs a handler ``async def handler(toolbelt, payload) -> Any`` and prints its result as JSON. MODULE is
a dotted module name (``examples.secrets_and_lp``) or a file (``examples/secrets_and_lp.py``), resolved from the
current directory like ``python -m``. ``--local`` (the default) starts an emulator in-process, seeded from
``--settings`` or ``functions/settings.json`` (or the packaged demo seed when there is none); it never writes to
that file. ``--live`` uses ``ToolbeltConfig.from_env()`` (``BRAND_ID``, ``X_LIVEPERSON_CSDS_DOMAIN``, ...). A
``ToolbeltError`` prints its code and message and exits 1.

Example::

    $ lp-toolbelt invoke examples/secrets_and_lp.py:handler --payload event.json
    $ lp-toolbelt secrets set crm-token '{"token": "..."}'
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import importlib
import importlib.util
import inspect
import json
import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from pydantic import BaseModel

from . import __version__
from . import _constants as C
from .clients.secrets import decode_secret_value
from .config import ToolbeltConfig
from .errors import ErrorCodes, ToolbeltError
from .transport.response import HttpResponse

__all__ = ["CliError", "build_parser", "load_handler", "main", "mask_secret", "to_jsonable"]

PROG = "lp-toolbelt"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
STDIN = "-"
MASK = "***"

Handler = Callable[[Any, Any], Any]
"""``handler(toolbelt, payload)``, async (or a plain function)."""


class CliError(Exception):
    """A failure the CLI reports as one line on stderr, exiting with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


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
        description="Run `async def handler(toolbelt, payload)` and print its result as JSON.",
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
def _import_module(spec: str, cwd: Path) -> ModuleType:
    if str(cwd) not in sys.path:
        sys.path.insert(0, str(cwd))  # like `python -m`: the project's own packages import
    if not (spec.endswith(".py") or "/" in spec or os.sep in spec):
        return importlib.import_module(spec)
    path = (cwd / spec).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {spec}")
    # A file inside a package under cwd is imported by its dotted name, so it is the same module its siblings see.
    try:
        parts = path.relative_to(cwd).with_suffix("").parts
    except ValueError:
        parts = ()
    if parts and all((cwd.joinpath(*parts[:i]) / "__init__.py").is_file() for i in range(1, len(parts))):
        return importlib.import_module(".".join(parts))
    name = f"_lp_toolbelt_handler_{path.stem}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load {spec}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return module


def load_handler(target: str, cwd: Path | None = None) -> Handler:
    """The callable named by ``MODULE:FUNCTION`` (MODULE dotted or a ``.py`` path relative to ``cwd``).

    Raises :class:`CliError` (exit status 2) when it cannot be found.

    Example::

        handler = load_handler("examples/secrets_and_lp.py:handler")
    """
    module_name, sep, attr = target.rpartition(":")
    if not sep or not module_name or not attr:
        raise CliError(f"expected MODULE:FUNCTION, got {target!r}", EXIT_USAGE)
    base = (cwd if cwd is not None else Path.cwd()).resolve()
    try:
        obj: Any = _import_module(module_name, base)
    except (ImportError, FileNotFoundError) as err:
        raise CliError(f"cannot import {module_name!r}: {type(err).__name__}: {err}", EXIT_USAGE) from err
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as err:
            raise CliError(f"{module_name!r} has no attribute {attr!r}", EXIT_USAGE) from err
    if not callable(obj):
        raise CliError(f"{target!r} is not callable", EXIT_USAGE)
    handler: Handler = obj
    return handler


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


def _json_default(value: Any) -> Any:
    if isinstance(value, BaseModel) or callable(getattr(value, "model_dump", None)):  # + KeywordScanResult
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, HttpResponse):
        try:
            body: Any = value.json()
        except (ToolbeltError, ValueError):
            body = value.text()
        return {"status": value.status, "body": body}
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(value).decode("ascii")}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, Path):
        return str(value)
    return repr(value)


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: pydantic models by alias (the Node names), responses as status + body.

    Example::

        print(json.dumps(to_jsonable(result), indent=2))
    """
    return json.loads(json.dumps(value, default=_json_default))


async def _call(handler: Handler, toolbelt: Any, payload: Any) -> Any:
    result = handler(toolbelt, payload)
    if inspect.isawaitable(result):
        result = await result
    return result


@dataclasses.dataclass(frozen=True)
class _LocalSeed:
    seed: dict[str, Any] | None  # what the emulator starts from (None: its packaged demo seed)
    label: str  # where it came from, for the one line on stderr


def _local_seed(settings: Path | None) -> _LocalSeed:
    from .local import default_settings_path, emulator_seed

    path = settings if settings is not None else default_settings_path()
    if path is None:
        return _LocalSeed(None, "the demo seed")
    if not path.is_file():
        raise CliError(f"no such settings file: {path}", EXIT_USAGE)
    try:
        return _LocalSeed(emulator_seed(path), str(path))
    except (OSError, ValueError) as err:
        raise CliError(f"cannot use {path} as the emulator's seed: {err}", EXIT_USAGE) from err


async def _run_invoke(handler: Handler, payload: Any, args: argparse.Namespace, local: _LocalSeed | None) -> Any:
    from .toolbelt import Toolbelt

    if local is None:  # --live
        async with Toolbelt(ToolbeltConfig.from_env()) as toolbelt:
            return await _call(handler, toolbelt, payload)

    from .emulator import DEFAULT_ACCOUNT_ID
    from .local import local_toolbelt

    account = args.account or os.environ.get("BRAND_ID") or os.environ.get("X_LIVEPERSON_BRAND_ID")
    async with local_toolbelt(local.seed, account_id=account or DEFAULT_ACCOUNT_ID) as (emulator, toolbelt):
        where = f"{emulator.base_url}, account {emulator.state.account_id}"
        print(f"# local emulator on {where}, {local.label}", file=sys.stderr)
        return await _call(handler, toolbelt, payload)


def _invoke(args: argparse.Namespace) -> int:
    local = None if args.live else _local_seed(args.settings)
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
    print(json.dumps(to_jsonable(result), indent=2, ensure_ascii=False))
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


def _secret_error(code: str, message: str) -> ToolbeltError:
    return ToolbeltError("lp-toolbelt secrets", code, message)


def _check_key(key: str) -> str:
    from .clients.secrets import validate_secret_key

    try:
        return validate_secret_key(key)
    except ToolbeltError as err:
        raise _secret_error(err.code, err.message) from err


def _read_value(raw: str, as_string: bool) -> Any:
    text = sys.stdin.read() if raw == STDIN else raw
    if raw == STDIN:
        text = text.rstrip("\n")
    if as_string:
        return text
    try:
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
            key = _check_key(args.key)
            if key.startswith(C.SYSTEM_SECRET_PREFIX):
                raise _secret_error(ErrorCodes.SECRET_FORBIDDEN, f"system secret {key!r} cannot be set")
            value = _read_value(args.value, args.string)
            size = len(json.dumps(value))
            if size > C.SECRET_VALUE_MAX_CHARS:
                raise _secret_error(
                    ErrorCodes.SECRET_INVALID_FORMAT,
                    f"the serialized value has {size} characters, more than {C.SECRET_VALUE_MAX_CHARS}",
                )
            existed = key in settings.secrets()
            settings.set(key, value, create=True)
            print(f"{'updated' if existed else 'created'} secret {key!r} in {path}", file=out)
            return EXIT_OK
        if not path.is_file():
            raise CliError(f"no such settings file: {path} (create one with `{PROG} secrets set KEY VALUE`)")
        secrets = settings.secrets()
        if args.action == "get":
            key = _check_key(args.key)
            if key not in secrets:
                raise SecretMissing(key)
            print(json.dumps(decode_secret_value(secrets[key]), indent=2, ensure_ascii=False), file=out)
            return EXIT_OK
        width = max((len(key) for key in secrets), default=0)
        for key, value in secrets.items():
            print(f"{key:<{width}}  {mask_secret(value)}", file=out)
        print(f"# {len(secrets)} secret{'s' if len(secrets) != 1 else ''} in {path}", file=out)
        return EXIT_OK
    except SecretMissing as err:
        raise _secret_error(ErrorCodes.SECRET_NOT_FOUND, f"secret {args.key!r} does not exist in {path}") from err
    except SettingsFormatError as err:
        raise _secret_error(ErrorCodes.SECRET_OP_FAILED, str(err)) from err
    except OSError as err:
        raise _secret_error(ErrorCodes.SECRET_OP_FAILED, f"cannot access {path}: {err.strerror}") from err


if __name__ == "__main__":
    sys.exit(main())
