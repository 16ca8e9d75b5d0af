"""The secret store interface: read a raw value, replace the value of an existing key."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["SecretMissing", "SecretStore"]


class SecretMissing(LookupError):
    """Raised by a store for an unknown key (the secret client turns it into ToolbeltError)."""


class SecretStore(Protocol):
    """Where secrets live. Values are JSON values; stores do no caching (the client caches)."""

    async def get(self, key: str) -> Any:
        """The stored value; raise SecretMissing when the key does not exist."""
        ...

    async def update(self, key: str, value: Any) -> Any:
        """Replace the value of an existing key and return what was stored; SecretMissing if absent."""
        ...

    async def keys(self) -> list[str]:
        """All keys."""
        ...
