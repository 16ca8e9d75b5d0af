"""Secret Storage client: read and update secrets, with a 5-minute read cache (``use_cache=False`` bypasses it).

Example::

    secrets = tb.secret_client()
    entry = await secrets.read_secret("my-crm-token")
    await secrets.update_secret(SecretEntry(key="my-crm-token", value={"token": "new"}))
"""

from __future__ import annotations

import copy
import json
from typing import Any

from .. import _constants as C
from .._singleflight import SingleFlightCache
from ..errors import ErrorCodes, InvalidArgumentError, NotFoundError, ToolbeltError
from ..models.secrets import SecretEntry
from ..secrets_store.base import SecretMissing, SecretStore
from ..secrets_store.rule import COMPONENT, check_secret_update, parse_json, validate_secret_key
from ..telemetry import note_cache, traced

__all__ = ["SecretClient", "decode_secret_value", "validate_secret_key"]


def decode_secret_value(value: Any) -> Any:
    """A string that holds JSON comes back parsed, as the Node toolbelt's ``JSON.parse`` does (``'{"a": 1}'`` →
    ``{"a": 1}``, ``'42'`` → ``42``); any other string, and any non-string value, comes back as is."""
    if isinstance(value, str):
        try:
            return parse_json(value)  # NaN / Infinity: JSON.parse refuses them too
        except ValueError:
            return value
    return value


def _store_failure(err: Exception, key: str, verb: str) -> ToolbeltError:
    """The error for a store failure: ``secret.not-found`` for a missing key, else ``secret.op-failed``."""
    if isinstance(err, SecretMissing):
        return NotFoundError(COMPONENT, ErrorCodes.SECRET_NOT_FOUND, f"secret {key!r} does not exist", status=404)
    reason = f"could not {verb} secret {key!r}: {type(err).__name__}"
    return ToolbeltError(COMPONENT, ErrorCodes.SECRET_OP_FAILED, reason)


class SecretClient:
    """Reads and updates secrets of one Toolbelt (the cache is shared by every SecretClient it hands out)."""

    def __init__(self, store: SecretStore, cache: SingleFlightCache[str, Any]) -> None:
        self.store = store
        self._cache = cache

    @traced("secret_client")
    async def read_secret(self, key: str, *, use_cache: bool = True) -> SecretEntry:
        """The secret ``key``; NotFoundError (``secret.not-found``) when it does not exist.

        Example::

            entry = await secrets.read_secret("lp-faas-default-app-key", use_cache=False)
        """
        validate_secret_key(key)
        if not use_cache:
            self._cache.invalidate(key)
        note_cache("secret", self._cache.peek(key) is not None)
        value = await self._cache.get(key, lambda: self._fetch(key))
        return SecretEntry(key=key, value=copy.deepcopy(value))

    def peek(self, key: str) -> Any:
        """The cached value of ``key`` while fresh, else None — no I/O, no copy: the caller must not mutate it.

        A new object replaces the cached one whenever the secret is re-read or updated, so ``is`` against a value
        seen before tells whether anything derived from it (e.g. an OAuth signer) is still current.
        """
        return self._cache.peek(key)

    @traced("secret_client")
    async def update_secret(self, entry: SecretEntry) -> SecretEntry:
        """Replace the value of an existing secret and return what is stored.

        Refused before any write (:func:`~lp_toolbelt.secrets_store.rule.check_secret_update`): a bad key, a value
        that is not JSON (NaN, Infinity, a set...) or whose ``JSON.stringify`` text exceeds 16384 characters
        (``secret.invalid-format``), system keys ``LIVEPERSON_DEFAULT_*`` (``secret.forbidden``); an unknown key
        raises ``secret.not-found`` (secrets are created in the LivePerson UI or settings.json). What is stored is
        the value as JSON.stringify writes it, parsed back (``2.0`` is stored as ``2``).
        """
        if not isinstance(entry, SecretEntry):
            raise InvalidArgumentError(
                COMPONENT,
                ErrorCodes.SECRET_INVALID_FORMAT,
                "update_secret takes a SecretEntry(key=..., value=...)",
            )
        serialized = check_secret_update(entry.key, entry.value)  # the one rule, shared with `lp-toolbelt secrets`
        key = entry.key
        try:
            stored = await self.store.update(key, json.loads(serialized))
        except (SecretMissing, OSError, ValueError) as err:
            raise _store_failure(err, key, "update") from err
        value = decode_secret_value(stored)
        self._cache.set(key, value, C.SECRET_CACHE_TTL)
        return SecretEntry(key=key, value=value)

    async def _fetch(self, key: str) -> tuple[Any, float]:
        try:
            raw = await self.store.get(key)
        except (SecretMissing, OSError, ValueError) as err:
            raise _store_failure(err, key, "read") from err
        return decode_secret_value(raw), C.SECRET_CACHE_TTL

    def __repr__(self) -> str:
        return f"SecretClient(store={self.store!r})"
