"""The emulator's secrets as a secret store: what a local Toolbelt reads and updates (shared, not copied)."""

from __future__ import annotations

import copy
from typing import Any

from ..secrets_store.base import SecretMissing
from .state import EmulatorState

__all__ = ["EmulatorSecretStore"]


class EmulatorSecretStore:
    """A secret store over an emulator's ``state.secrets`` (shared, not copied).

    Reads return deep copies; an update replaces the value of an existing key in the emulator's state, so the
    emulator's LP auth sees rotated API keys at once. Nothing is written to disk.

    Example::

        tb.secret_store = EmulatorSecretStore(emu.state)
    """

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    async def get(self, key: str) -> Any:
        """The value of ``key``; SecretMissing when the emulator has no such secret."""
        try:
            return copy.deepcopy(self._state.secrets[key])
        except KeyError:
            raise SecretMissing(key) from None

    async def update(self, key: str, value: Any) -> Any:
        """Replace the value of an existing ``key`` in the emulator's state; SecretMissing if absent."""
        if key not in self._state.secrets:
            raise SecretMissing(key)
        self._state.secrets[key] = copy.deepcopy(value)
        return copy.deepcopy(value)

    async def keys(self) -> list[str]:
        """Every secret key the emulator holds."""
        return list(self._state.secrets)

    def __repr__(self) -> str:
        return f"EmulatorSecretStore({len(self._state.secrets)} secrets)"
