"""Imports on first use, so a process pays only for what it touches (cold start of function-style handlers).

Example::

    # in a package's __init__.py
    if not TYPE_CHECKING:  # type checkers see the real imports in a TYPE_CHECKING block instead
        __getattr__, __dir__ = lazy_exports(__name__, {"Toolbelt": ".toolbelt"})
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["Deferred", "lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__`` (PEP 562): each name of ``exports`` (name → module, relative to
    ``package``) is imported on first access, then kept as a plain attribute of the package."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__


class Deferred:
    """A module imported on its first attribute access (each attribute is then kept as a plain one).

    Example::

        signature = Deferred("oauthlib.oauth1.rfc5849.signature")   # nothing imported yet
        signature.base_string_uri("https://example.com/a")            # imported now
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(import_module(self._name), attr)
        setattr(self, attr, value)
        return value
