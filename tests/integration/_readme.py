"""The README's code, as a newcomer copies it: its Python snippets (with the file names they give themselves) and
the ``event.json`` its first screen writes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "README.md"
PYTHON_BLOCK = re.compile(r"```python\n(?P<code>.*?)```", re.DOTALL)
HANDLER = re.compile(r"# handler: (?P<name>\w+)\.py\n")
NAMED_FILE = re.compile(r"# (?:handler: )?(?P<file>\w+\.py)\b")
EVENT = re.compile(r"echo '(?P<json>[^']*)' > event\.json")


def text() -> str:
    return README.read_text(encoding="utf-8")


def python_blocks() -> list[str]:
    """Every ```python block, in order."""
    return [m["code"] for m in PYTHON_BLOCK.finditer(text())]


def file_name(code: str, index: int) -> str:
    """The file a snippet says it is (``# handler: quickstart.py`` or ``# test_quickstart.py`` on its first line),
    else ``readme_snippet_<index>.py``."""
    first = code.partition("\n")[0]
    named = NAMED_FILE.match(first)
    return named["file"] if named else f"readme_snippet_{index}.py"


def files() -> dict[str, str]:
    """Every Python snippet by the file name it is saved under."""
    out: dict[str, str] = {}
    for index, code in enumerate(python_blocks()):
        name = file_name(code, index)
        assert name not in out, f"two README snippets are {name}"
        out[name] = code
    return out


def handler_snippets() -> dict[str, str]:
    """The ``# handler: NAME.py`` snippets by NAME."""
    out: dict[str, str] = {}
    for code in python_blocks():
        named = HANDLER.match(code)
        if named:
            out[named["name"]] = code
    return out


def event() -> dict[str, Any]:
    """The ``event.json`` of the README (its one ``echo '...' > event.json``)."""
    (found,) = EVENT.findall(text())
    payload: dict[str, Any] = json.loads(found)
    return payload


def first_screen(lines: int = 30) -> str:
    return "\n".join(text().splitlines()[:lines])


def section(title: str) -> str:
    """The text of one ``## title`` section."""
    readme = text()
    start = readme.index(f"\n## {title}\n")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else len(readme)]
