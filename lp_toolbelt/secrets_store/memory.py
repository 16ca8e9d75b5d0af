"""In-memory secrets (``ToolbeltConfig(secrets={...})``): a private deep copy, safe for concurrent tasks."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .base import SecretMissing

__all__ = ["InMemorySecretStore"]


class InMemorySecretStore:
    """Secrets held in a dict. The mapping given is copied, so later changes to it do not leak in."""

    def __init__(self, secrets: Mapping[str, Any]) -> None:
        self._data: dict[str, Any] = copy.deepcopy(dict(secrets))

    async def get(self, key: str) -> Any:
        try:
            return copy.deepcopy(self._data[key])
        except KeyError:
            raise SecretMissing(key) from None

    async def update(self, key: str, value: Any) -> Any:
        if key not in self._data:
            raise SecretMissing(key)
        self._data[key] = copy.deepcopy(value)
        return copy.deepcopy(value)

    async def keys(self) -> list[str]:
        return list(self._data)

    def __repr__(self) -> str:
        return f"InMemorySecretStore({len(self._data)} secrets)"
