"""The LivePerson Functions CLI's ``functions/settings.json``: secrets and the proxy whitelist.

Format::

    {"secrets": [{"key": "lp-faas-default-app-key", "value": {...}}], "whitelist": ["my.crm.example.com"]}

Updates never lose data: each one is a read-modify-write under an in-process lock *and* an ``flock`` on the
file's folder (so two processes serialize too, and no lock file is left behind: the settings file itself cannot
carry the lock, since every write replaces it); the new content goes to a temp file in the same folder, is fsynced
and ``os.replace``d over the old one (atomic on POSIX), and the folder is fsynced. A process killed mid-write
leaves the previous, valid file. Keys not known to this library are preserved.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .base import SecretMissing
from .rule import parse_json, well_formed

__all__ = ["SettingsFile", "SettingsFileSecretStore", "SettingsFormatError"]


class SettingsFormatError(ValueError):
    """The settings file is not valid JSON of the documented shape."""


class SettingsFile:
    """Synchronous, process-safe access to one settings.json (used by the async store and the CLI)."""

    _thread_locks: dict[Path, threading.Lock] = {}
    _thread_locks_guard = threading.Lock()

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        resolved = self.path.resolve()
        with self._thread_locks_guard:
            self._thread_lock = self._thread_locks.setdefault(resolved, threading.Lock())

    # -- reading -------------------------------------------------------------------------------------------
    def load(self) -> dict[str, Any]:
        """The whole document; an absent file is an empty document."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"secrets": [], "whitelist": []}
        try:
            doc = parse_json(text) if text.strip() else {}
        except ValueError as err:
            where = f"line {err.lineno}" if isinstance(err, json.JSONDecodeError) else str(err)  # no content quoted
            raise SettingsFormatError(f"{self.path} is not valid JSON: {where}") from err
        if not isinstance(doc, dict):
            raise SettingsFormatError(f"{self.path}: the top level must be an object")
        secrets = doc.setdefault("secrets", [])
        whitelist = doc.setdefault("whitelist", [])
        if not isinstance(secrets, list) or not all(
            isinstance(item, dict) and isinstance(item.get("key"), str) for item in secrets
        ):
            raise SettingsFormatError(f"{self.path}: 'secrets' must be a list of {{key, value}} objects")
        if not isinstance(whitelist, list) or not all(isinstance(item, str) for item in whitelist):
            raise SettingsFormatError(f"{self.path}: 'whitelist' must be a list of strings")
        return doc

    def secrets(self) -> dict[str, Any]:
        """All secrets as ``{key: value}``."""
        return {item["key"]: item.get("value") for item in self.load()["secrets"]}

    def whitelist(self) -> list[str]:
        """The proxy whitelist entries."""
        return list(self.load()["whitelist"])

    # -- writing -------------------------------------------------------------------------------------------
    def set(self, key: str, value: Any, *, create: bool = False) -> Any:
        """Store ``value`` under ``key`` (an existing key unless ``create``); returns the stored value."""
        with self._locked():
            doc = self.load()
            for item in doc["secrets"]:
                if item["key"] == key:
                    item["value"] = value
                    break
            else:
                if not create:
                    raise SecretMissing(key)
                doc["secrets"].append({"key": key, "value": value})
            self._write(doc)
        return value

    def delete(self, key: str) -> None:
        """Remove a secret; SecretMissing if absent."""
        with self._locked():
            doc = self.load()
            kept = [item for item in doc["secrets"] if item["key"] != key]
            if len(kept) == len(doc["secrets"]):
                raise SecretMissing(key)
            doc["secrets"] = kept
            self._write(doc)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def _write(self, doc: dict[str, Any]) -> None:
        data = (
            well_formed(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)) + "\n"
        )  # lone surrogates escaped
        folder = self.path.parent
        try:
            mode = self.path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o600
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def __repr__(self) -> str:
        return f"SettingsFile({str(self.path)!r})"


class SettingsFileSecretStore:
    """Async secret store over a :class:`SettingsFile`; file I/O runs in a worker thread."""

    def __init__(self, path: Path | str) -> None:
        self.file = SettingsFile(path)

    async def get(self, key: str) -> Any:
        secrets = await asyncio.to_thread(self.file.secrets)
        if key not in secrets:
            raise SecretMissing(key)
        return secrets[key]

    async def update(self, key: str, value: Any) -> Any:
        return await asyncio.to_thread(self.file.set, key, value)

    async def keys(self) -> list[str]:
        return list(await asyncio.to_thread(self.file.secrets))

    def __repr__(self) -> str:
        return f"SettingsFileSecretStore({str(self.file.path)!r})"
