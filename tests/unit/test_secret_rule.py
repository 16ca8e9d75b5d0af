"""The one secret-update rule (``lp_toolbelt.secrets_store.rule``): key, system keys, and the 16384-character limit
counted as ``JSON.stringify(value).length`` — pinned against node's own JSON.stringify where node is installed."""

from __future__ import annotations

import json
import random
import shutil
import struct
import subprocess
from typing import Any

import pytest

from lp_toolbelt import ErrorCodes, InvalidArgumentError, ToolbeltError
from lp_toolbelt.secrets_store.rule import check_secret_update, js_length, js_stringify, parse_json

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is the oracle for JSON.stringify; not on PATH")

ODD_STRINGS = [
    "",
    "plain",
    "é and ü",  # non-ASCII: as itself
    "😀",  # astral: 2 UTF-16 code units
    'quote " backslash \\ slash /',
    "\x00\x01\x08\t\n\x0b\x0c\r\x1f \x7f",  # controls: short escapes or \u00xx
    "\u2028\u2029",  # line/paragraph separators: as themselves
    "\ud800",  # a lone high surrogate: escaped
    "a\udc00b",  # a lone low surrogate: escaped
    "\ud83d\ude00",  # a surrogate pair as two code points: the emoji
    "\ufeff\uffff",
]

ODD_NUMBERS = [0, -0.0, 1, -1, 2**53 - 1, -(2**53 - 1), 1.0, 100.0, 0.5, 1e-6, 1e-7, 1.5e-7, 123e-20, 1e20, 1e21, 1e16]
ODD_NUMBERS += [1.7976931348623157e308, 5e-324, 0.1 + 0.2, 123456789012.125, -3.25e-5, 2.5e25, 9.999999999999999e22]


def random_doubles(count: int) -> list[float]:
    rng = random.Random(20240531)
    doubles: list[float] = []
    while len(doubles) < count:
        (value,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
        if value == value and abs(value) != float("inf"):
            doubles.append(value)
    return doubles


def node_stringify(values: list[Any]) -> list[tuple[str, int]]:
    """``[JSON.stringify(v), JSON.stringify(v).length]`` for each value, computed by node."""
    script = (
        "let input = '';"
        "process.stdin.on('data', d => input += d);"
        "process.stdin.on('end', () => {"
        "  const out = JSON.parse(input).map(v => { const s = JSON.stringify(v); return [s, s.length]; });"
        "  process.stdout.write(JSON.stringify(out));"
        "});"
    )
    assert NODE is not None
    proc = subprocess.run(
        [NODE, "-e", script],
        input=json.dumps(values),  # ensure_ascii: lone surrogates travel as \udxxx escapes
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return [(text, length) for text, length in json.loads(proc.stdout)]


@needs_node
def test_js_stringify_is_node_json_stringify() -> None:
    values: list[Any] = [*ODD_STRINGS, *ODD_NUMBERS, *random_doubles(2000)]
    values += [
        None,
        True,
        False,
        [],
        {},
        {"k": [1, 2.0, "é", None, {"nested": ["😀"]}], "é": "\ud800"},
        ["x" * 100, [[[]]]],
    ]
    expected = node_stringify(values)
    for value, (text, length) in zip(values, expected, strict=True):
        assert js_stringify(value) == text, value
        assert js_length(js_stringify(value)) == length, value


@needs_node
def test_the_limit_is_node_length_at_the_edges() -> None:
    """Exactly 16384 code units is accepted and 16385 refused, whatever the characters are made of."""
    fills = {"x": 1, "é": 1, "😀": 2}
    for char, units in fills.items():
        fits = char * ((16384 - 2) // units)
        ((_, length),) = node_stringify([fits])
        assert length == 16384 - ((16384 - 2) % units)
        assert json.loads(check_secret_update("k", fits)) == fits
        over = fits + char
        ((_, over_length),) = node_stringify([over])
        assert over_length > 16384
        with pytest.raises(InvalidArgumentError) as info:
            check_secret_update("k", over)
        assert info.value.code == ErrorCodes.SECRET_INVALID_FORMAT
        assert str(over_length) in info.value.message


def test_exact_edges_without_node() -> None:
    assert check_secret_update("k", "x" * 16382) == json.dumps("x" * 16382)  # 16384 with the quotes
    assert check_secret_update("k", "😀" * 8191)  # 2 + 2 * 8191 = 16384 UTF-16 code units
    for over in ("x" * 16383, "😀" * 8192):
        with pytest.raises(InvalidArgumentError, match="more than 16384"):
            check_secret_update("k", over)
    assert len(check_secret_update("k", {f"k{i}": i for i in range(1300)})) == 14681  # compact separators


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.0, "2"),
        (-0.0, "0"),
        (1e-7, "1e-7"),
        (1e21, "1e+21"),
        (1e16, "10000000000000000"),
        (0.000001, "0.000001"),
        ("é\ud800", '"é\\ud800"'),
        ((1, "a"), '[1,"a"]'),
        ({"a": {"b": None}}, '{"a":{"b":null}}'),
    ],
)
def test_canonical_text(value: Any, text: str) -> None:
    assert check_secret_update("k", value) == text


@pytest.mark.parametrize(
    "value",
    [
        float("nan"),
        float("inf"),
        -float("inf"),
        {"a": [float("nan")]},
        2**53,
        -(2**60),
        {1: "int key"},
        {1, 2},
        b"bytes",
        object(),
    ],
    ids=repr,
)
def test_values_that_are_not_json_are_refused(value: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        check_secret_update("k", value)
    assert info.value.code == ErrorCodes.SECRET_INVALID_FORMAT


def test_deep_nesting_is_refused_not_a_crash() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(InvalidArgumentError, match="nested too deeply"):
        check_secret_update("k", deep)


@pytest.mark.parametrize("key", ["", "a b", "../x", "x" * 101, "ключ", None, 5])
def test_bad_keys(key: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        check_secret_update(key, 1)
    assert info.value.code == ErrorCodes.SECRET_INVALID_FORMAT


def test_system_keys_are_forbidden() -> None:
    with pytest.raises(ToolbeltError) as info:
        check_secret_update("LIVEPERSON_DEFAULT_APP_KEY", {"client_id": "x"})
    assert info.value.code == ErrorCodes.SECRET_FORBIDDEN
    assert check_secret_update("liveperson_default_lower", 1) == "1"  # the prefix is case-sensitive


def test_parse_json_refuses_what_json_parse_refuses() -> None:
    assert parse_json('{"a": [1, 2.5, "é"]}') == {"a": [1, 2.5, "é"]}
    for text in ("NaN", "[Infinity]", '{"a": -Infinity}'):
        with pytest.raises(ValueError, match="is not JSON"):
            parse_json(text)
