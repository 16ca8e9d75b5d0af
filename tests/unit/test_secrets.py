from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from lp_toolbelt import ErrorCodes, SecretEntry, ToolbeltError
from lp_toolbelt._singleflight import SingleFlightCache
from lp_toolbelt.clients.secrets import SecretClient, decode_secret_value
from lp_toolbelt.errors import InvalidArgumentError, NotFoundError
from lp_toolbelt.secrets_store import InMemorySecretStore, SettingsFile, SettingsFileSecretStore
from lp_toolbelt.secrets_store.base import SecretMissing
from lp_toolbelt.secrets_store.file import SettingsFormatError
from tests.unit.fakes import FakeClock


class CountingStore(InMemorySecretStore):
    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.gets = 0

    async def get(self, key: str) -> Any:
        self.gets += 1
        return await super().get(key)


def client(store: Any, clock: FakeClock | None = None) -> SecretClient:
    return SecretClient(store, SingleFlightCache(clock or FakeClock()))


async def test_read_parses_json_strings_and_caches() -> None:
    store = CountingStore({"a": '{"x": 1}', "b": "plain", "c": "[1, 2]", "d": 5})
    clock = FakeClock()
    secrets = client(store, clock)
    assert (await secrets.read_secret("a")).value == {"x": 1}
    assert (await secrets.read_secret("b")).value == "plain"
    assert (await secrets.read_secret("c")).value == [1, 2]
    assert (await secrets.read_secret("d")).value == 5
    await secrets.read_secret("a")
    assert store.gets == 4  # cached
    await secrets.read_secret("a", use_cache=False)
    assert store.gets == 5
    clock.now += 301
    await secrets.read_secret("a")
    assert store.gets == 6  # 5-minute TTL


async def test_cached_value_cannot_be_mutated_by_caller() -> None:
    secrets = client(InMemorySecretStore({"a": {"x": 1}}))
    entry = await secrets.read_secret("a")
    entry.value["x"] = 2
    assert (await secrets.read_secret("a")).value == {"x": 1}


async def test_missing_secret() -> None:
    with pytest.raises(NotFoundError) as info:
        await client(InMemorySecretStore({})).read_secret("nope")
    assert info.value.code == ErrorCodes.SECRET_NOT_FOUND


@pytest.mark.parametrize("key", ["", "a b", "../x", "x" * 101, "ключ"])
async def test_bad_keys_refused(key: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        await client(InMemorySecretStore({})).read_secret(key)
    assert info.value.code == ErrorCodes.SECRET_INVALID_FORMAT


async def test_update_rules() -> None:
    store = InMemorySecretStore({"k": 1, "LIVEPERSON_DEFAULT_X": 1})
    secrets = client(store)
    stored = await secrets.update_secret(SecretEntry(key="k", value={"n": 2}))
    assert stored == SecretEntry(key="k", value={"n": 2})
    assert (await secrets.read_secret("k")).value == {"n": 2}
    with pytest.raises(ToolbeltError) as forbidden:
        await secrets.update_secret(SecretEntry(key="LIVEPERSON_DEFAULT_X", value=2))
    assert forbidden.value.code == ErrorCodes.SECRET_FORBIDDEN
    with pytest.raises(NotFoundError):
        await secrets.update_secret(SecretEntry(key="new", value=1))
    with pytest.raises(InvalidArgumentError) as too_big:
        await secrets.update_secret(SecretEntry(key="k", value="x" * 16383))  # 16385 chars with quotes
    assert too_big.value.code == ErrorCodes.SECRET_INVALID_FORMAT
    await secrets.update_secret(SecretEntry(key="k", value="x" * 16382))  # exactly 16384 serialized
    await secrets.update_secret(SecretEntry(key="k", value="é" * 16382))  # counted as characters, as JSON.stringify
    await secrets.update_secret(SecretEntry(key="k", value={f"k{i}": i for i in range(1300)}))  # compact: 14681
    with pytest.raises(InvalidArgumentError):
        await secrets.update_secret(SecretEntry(key="k", value={1, 2}))
    with pytest.raises(InvalidArgumentError):
        await secrets.update_secret({"key": "k", "value": 1})  # type: ignore[arg-type]


def test_secret_value_not_in_repr() -> None:
    assert "hunter2" not in repr(SecretEntry(key="k", value="hunter2"))


def test_decode_secret_value() -> None:
    assert decode_secret_value('{"a":') == '{"a":'
    assert decode_secret_value("  [1]") == [1]
    assert decode_secret_value("42") == 42
    assert decode_secret_value("true") is True
    assert decode_secret_value('"quoted"') == "quoted"
    assert decode_secret_value("NaN") == "NaN"
    assert decode_secret_value("plain text") == "plain text"
    assert decode_secret_value("0123") == "0123"  # not JSON: kept as text


def _write(path: Path, doc: object) -> None:
    path.write_text(json.dumps(doc))


async def test_settings_file_store(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    _write(path, {"secrets": [{"key": "a", "value": "v"}], "whitelist": ["x.com"], "other": {"keep": True}})
    store = SettingsFileSecretStore(path)
    assert await store.get("a") == "v"
    await store.update("a", {"new": 1})
    doc = json.loads(path.read_text())
    assert doc["secrets"] == [{"key": "a", "value": {"new": 1}}]
    assert doc["other"] == {"keep": True}
    assert doc["whitelist"] == ["x.com"]
    with pytest.raises(SecretMissing):
        await store.update("b", 1)
    assert not [p for p in await asyncio.to_thread(lambda: list(tmp_path.glob(".settings.json.*.tmp")))]


async def test_concurrent_file_updates_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    _write(path, {"secrets": [{"key": f"k{i}", "value": 0} for i in range(200)], "whitelist": []})
    secrets = client(SettingsFileSecretStore(path))
    await asyncio.gather(*(secrets.update_secret(SecretEntry(key=f"k{i}", value=i + 1)) for i in range(200)))
    stored = SettingsFile(path).secrets()
    assert stored == {f"k{i}": i + 1 for i in range(200)}


def test_settings_file_format_errors(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    with pytest.raises(SettingsFormatError):
        SettingsFile(path).load()
    _write(path, {"secrets": [{"value": 1}]})
    with pytest.raises(SettingsFormatError):
        SettingsFile(path).load()
    assert SettingsFile(tmp_path / "absent.json").secrets() == {}


def test_settings_file_create_and_delete(tmp_path: Path) -> None:
    f = SettingsFile(tmp_path / "functions" / "settings.json")
    f.set("new", {"a": 1}, create=True)
    assert f.secrets() == {"new": {"a": 1}}
    f.delete("new")
    assert f.secrets() == {}
    with pytest.raises(SecretMissing):
        f.delete("new")
