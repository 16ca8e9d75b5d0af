"""What ``lp-toolbelt invoke`` reads and writes: the target (``MODULE:FUNCTION`` → a callable) and the handler's
result (→ plain JSON data, by one explicit rule). No I/O but importing the target.

Example::

    handler = load_handler("examples/secrets_and_lp.py:handler")
    print(json.dumps(to_jsonable(await handler(toolbelt, {})), indent=2))
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import importlib
import importlib.util
import math
import os
import re
import sys
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from .errors import ToolbeltError
from .transport.response import HttpResponse

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "CliError", "Handler", "load_handler", "to_jsonable"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

Handler = Callable[[Any, Any], Any]
"""``handler(toolbelt, payload)``, async (or a plain function)."""


class CliError(Exception):
    """A failure the CLI reports as one line on stderr, exiting with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _import_module(spec: str, cwd: Path) -> ModuleType:
    # The toolbelt (and the standard-library modules it uses) is imported before cwd goes on sys.path, so a
    # project file named like a standard-library module (secrets.py, json.py...) cannot shadow them.
    importlib.import_module(f"{__package__}.toolbelt")
    if str(cwd) not in sys.path:
        sys.path.insert(0, str(cwd))  # like `python -m`: the project's own packages import
    if not (spec.endswith(".py") or "/" in spec or os.sep in spec):
        return importlib.import_module(spec)
    path = (cwd / spec).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {spec}")
    dotted = _package_module_name(path, cwd)
    if dotted is not None:  # the same module its siblings see
        return importlib.import_module(dotted)
    return _load_file(path)


def _package_module_name(path: Path, cwd: Path) -> str | None:
    """The dotted name of a file inside a package under ``cwd``, when importing that name finds this very file."""
    try:
        parts = path.relative_to(cwd).with_suffix("").parts
    except ValueError:
        return None
    if len(parts) < 2 or not all((cwd.joinpath(*parts[:i]) / "__init__.py").is_file() for i in range(1, len(parts))):
        return None
    dotted = ".".join(parts)
    try:
        found = importlib.util.find_spec(dotted)
    except (ImportError, ValueError):
        return None
    origin = found.origin if found is not None else None
    return dotted if origin is not None and Path(origin).resolve() == path else None


def _load_file(path: Path) -> ModuleType:
    """Load a ``.py`` file by its path under a private module name, so ``secrets.py`` is the user's file, not the
    standard library's ``secrets``. Loading the same file again returns the same module."""
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    name = f"_lp_toolbelt_handler_{re.sub(r'[^0-9A-Za-z_]', '_', path.stem)}_{digest}"
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
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


def _convert(value: Any) -> Any:
    """The JSON form of a value of a documented non-JSON type, else ``_NOT_JSON``."""
    if isinstance(value, BaseModel) or callable(getattr(value, "model_dump", None)):  # + KeywordScanResult
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, HttpResponse):
        try:
            body: Any = value.json()
        except (ToolbeltError, ValueError):
            body = value.text()
        return {"status": value.status, "body": body}
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(value).decode("ascii")}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, Path | UUID):
        return str(value)
    return _NOT_JSON


_NOT_JSON: Any = object()


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON data, by one explicit rule.

    JSON values pass as they are (``dict`` with ``str`` or ``int`` keys, ``list``, ``tuple``, ``str``, ``int``,
    finite ``float``, ``bool``, ``None``); pydantic models become their ``model_dump(by_alias=True)`` (the Node
    names), an ``HttpResponse`` ``{"status", "body"}``, ``bytes`` their UTF-8 text (else ``{"base64": ...}``),
    dataclasses their fields, dates ISO 8601 text, sets sorted lists, ``Path`` and ``UUID`` their text. Anything
    else (and NaN, Infinity, a value that contains itself) raises :class:`CliError` naming where it is: a result
    is never replaced by its ``str()``.

    Example::

        print(json.dumps(to_jsonable(result), indent=2))
    """
    return _jsonable(value, "the result", set())


def _jsonable(value: Any, where: str, active: set[int]) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _not_json(where, f"is {value!r}, which JSON cannot hold")
        return value
    if not isinstance(value, Mapping | list | tuple):
        converted = _convert(value)
        if converted is _NOT_JSON:
            raise _not_json(where, f"is a {type(value).__qualname__}")
        return _jsonable(converted, where, active)
    if id(value) in active:
        raise _not_json(where, "contains itself")
    active.add(id(value))
    try:
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if isinstance(key, bool) or not isinstance(key, str | int):
                    raise _not_json(where, f"has a key of type {type(key).__name__} (keys must be str or int)")
                out[str(key)] = _jsonable(item, f"{where}[{key!r}]", active)
            return out
        return [_jsonable(item, f"{where}[{index}]", active) for index, item in enumerate(value)]
    finally:
        active.discard(id(value))


def _not_json(where: str, problem: str) -> CliError:
    return CliError(
        f"{where} {problem}, not JSON: return dicts, lists, strings, numbers, booleans, None or pydantic models "
        "(see `lp-toolbelt invoke --help`)",
        EXIT_FAILED,
    )
