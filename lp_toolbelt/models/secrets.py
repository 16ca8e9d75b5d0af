"""SecretEntry: one secret, key and value. The value never appears in repr()."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SecretEntry"]


class SecretEntry(BaseModel):
    """A secret as stored: ``key`` and ``value`` (any JSON value; a string holding JSON comes back parsed).

    Example::

        entry = await secrets.read_secret("my-api-key")
        token = entry.value["token"]
    """

    model_config = ConfigDict(frozen=True)

    key: str
    value: Any = Field(repr=False)
