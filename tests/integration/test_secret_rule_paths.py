"""One secret rule on both write paths: what ``lp-toolbelt secrets set`` writes, ``SecretClient`` reads back
unchanged, and both paths accept and refuse the same values (issue: the CLI counted ``json.dumps`` output and let
``NaN`` into settings.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lp_toolbelt import ErrorCodes, InvalidArgumentError, SecretEntry, Toolbelt, ToolbeltConfig
from lp_toolbelt.cli import main
from lp_toolbelt.secrets_store.rule import parse_json


def set_by_cli(capsys: pytest.CaptureFixture[str], path: Path, key: str, *value: str) -> tuple[int, str]:
    code = main(["secrets", "set", key, *value, "--settings", str(path)])
    return code, capsys.readouterr().err


async def read_by_client(path: Path, key: str) -> Any:
    async with Toolbelt(ToolbeltConfig(account_id="1", secrets_file=path, secrets=None)) as tb:
        return (await tb.secret_client().read_secret(key, use_cache=False)).value


def strictly_valid_json(path: Path) -> Any:
    return parse_json(path.read_text(encoding="utf-8"))  # what Node's JSON.parse would accept


ACCEPTED = [
    ("x" * 16382, "x" * 16382),  # not JSON: stored as a string, 16384 characters with its quotes
    ("é" * 16382, "é" * 16382),  # non-ASCII counts 1
    ("😀" * 8191, "😀" * 8191),  # astral counts 2: 16384 UTF-16 code units
    ('{"user": "zoë", "n": 2.0}', {"user": "zoë", "n": 2}),  # 2.0 is stored as JSON.stringify writes it
    ('"\\ud800"', "\ud800"),  # a lone surrogate survives, escaped in the file
    ("[1, 2]", [1, 2]),
]


@pytest.mark.parametrize(("raw", "expected"), ACCEPTED, ids=lambda v: repr(v)[:30])
async def test_what_the_cli_writes_the_client_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], raw: str, expected: Any
) -> None:
    path = tmp_path / "settings.json"
    code, err = set_by_cli(capsys, path, "k", raw)
    assert code == 0, err
    assert await read_by_client(path, "k") == expected
    strictly_valid_json(path)


REFUSED = [
    ("x" * 16383, "more than 16384"),  # 16385 with the quotes
    ("é" * 16383, "more than 16384"),
    ("😀" * 8192, "has 16386 characters"),
    ("NaN", "nan"),
    ('{"ratio": NaN}', "nan"),
    ("[Infinity]", "inf"),
    ('{"low": -Infinity}', "inf"),
    ("9007199254740993", "2**53"),
]


@pytest.mark.parametrize(("raw", "why"), REFUSED, ids=lambda v: repr(v)[:30])
def test_the_cli_refuses_before_writing(tmp_path: Path, capsys: pytest.CaptureFixture[str], raw: str, why: str) -> None:
    path = tmp_path / "settings.json"
    assert set_by_cli(capsys, path, "k", '{"old": true}')[0] == 0
    before = path.read_text(encoding="utf-8")
    code, err = set_by_cli(capsys, path, "k", raw)
    assert code == 1
    assert err.startswith(f"error: {ErrorCodes.SECRET_INVALID_FORMAT}: lp-toolbelt secrets: ")
    assert why in err
    assert path.read_text(encoding="utf-8") == before
    strictly_valid_json(path)


def test_string_keeps_nan_as_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "settings.json"
    assert set_by_cli(capsys, path, "k", "NaN", "--string")[0] == 0
    assert strictly_valid_json(path)["secrets"] == [{"key": "k", "value": "NaN"}]


# The Python values the CLI's texts above parse to, and what is read back.
CLIENT_ACCEPTED = [
    ("x" * 16382, "x" * 16382),
    ("é" * 16382, "é" * 16382),
    ("😀" * 8191, "😀" * 8191),
    ({"user": "zoë", "n": 2.0}, {"user": "zoë", "n": 2}),
    ("\ud800", "\ud800"),
    ((1, 2), [1, 2]),
]


@pytest.mark.parametrize(("value", "expected"), CLIENT_ACCEPTED, ids=lambda v: repr(v)[:30])
async def test_the_client_accepts_what_the_cli_accepts(tmp_path: Path, value: Any, expected: Any) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"secrets": [{"key": "k", "value": 0}], "whitelist": []}), encoding="utf-8")
    async with Toolbelt(ToolbeltConfig(account_id="1", secrets_file=path, secrets=None)) as tb:
        stored = await tb.secret_client().update_secret(SecretEntry(key="k", value=value))
    assert stored.value == expected
    assert await read_by_client(path, "k") == expected
    strictly_valid_json(path)


@pytest.mark.parametrize(
    "value",
    ["x" * 16383, "😀" * 8192, float("nan"), {"ratio": float("nan")}, [float("inf")], 2**53 + 1],
    ids=lambda v: repr(v)[:30],
)
async def test_the_client_refuses_what_the_cli_refuses(tmp_path: Path, value: Any) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"secrets": [{"key": "k", "value": 0}], "whitelist": []}), encoding="utf-8")
    async with Toolbelt(ToolbeltConfig(account_id="1", secrets_file=path, secrets=None)) as tb:
        with pytest.raises(InvalidArgumentError) as info:
            await tb.secret_client().update_secret(SecretEntry(key="k", value=value))
    assert info.value.code == ErrorCodes.SECRET_INVALID_FORMAT
    assert await read_by_client(path, "k") == 0


async def test_what_the_client_writes_the_cli_prints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "settings.json"
    assert set_by_cli(capsys, path, "k", "0")[0] == 0
    value = {"emoji": "😀", "accent": "é", "n": 1.5}
    async with Toolbelt(ToolbeltConfig(account_id="1", secrets_file=path, secrets=None)) as tb:
        await tb.secret_client().update_secret(SecretEntry(key="k", value=value))
    assert main(["secrets", "get", "k", "--settings", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == value
