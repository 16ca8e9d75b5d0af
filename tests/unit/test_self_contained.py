"""The tests need nothing outside the repository: a user's clone runs exactly the tests CI runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.fixtures import FIXTURES

TESTS = Path(__file__).resolve().parents[1]
# Spelled in pieces, so this file does not find itself.
OUTSIDE = [re.escape("/work/" + "shared"), r"""["']shared["']\s*/""", re.escape("parents" + "[3]"), r"\.\./shared"]


def test_no_test_reads_outside_the_repository() -> None:
    offenders = [
        f"{path.relative_to(TESTS)}:{number}: {line.strip()}"
        for path in sorted(TESTS.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(re.search(pattern, line) for pattern in OUTSIDE)
    ]
    assert offenders == []


def test_every_vendored_fixture_is_valid_json_with_its_provenance() -> None:
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    names = sorted(path.name for path in FIXTURES.glob("*.json"))
    assert len(names) >= 5
    for name in names:
        json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        assert f"## {name}" in sources, name
