"""JavaScript semantics for the tests: ``node`` as an oracle (one long-lived process answering JSON lines), and a
literal reading of the spec's case-insensitive matching (:func:`js_contains`).

Strings go to node as ASCII JSON (``\\uXXXX`` escapes, lone surrogates included), so node sees exactly the UTF-16 code
units a Python string stands for; node answers with ``JSON.stringify`` (well-formed: lone surrogates escaped).

Example::

    with NodeOracle.start() as node:
        node.ask("scan", conversation=payload, keywords=["refund"])   # the Node algorithm's results
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from lp_toolbelt.utils._js_case import canonicalize

NODE = shutil.which("node")
NO_NODE = "node is not on PATH: the JavaScript oracle cannot run"

# The Node toolbelt's scanConversationForKeywords as bench/node_keyword_scan.js writes it (keywords escaped).
_NODE_SCAN = Path(__file__).resolve().parents[1] / "bench" / "node_keyword_scan.js"
_SCRIPT = r"""
'use strict';
const readline = require('readline');
const { escapeRegExp, scanConversationForKeywords } = require(process.argv[1]);
function canonical(units) {  // for each code unit: the code units /unit/i matches among the candidates
  return units.map(([unit, candidates]) => {
    const re = new RegExp(escapeRegExp(String.fromCharCode(unit)), 'i');
    return candidates.filter((c) => re.test(String.fromCharCode(c)));
  });
}
const handlers = {
  scan: (r) => scanConversationForKeywords(r.conversation, r.keywords),
  upper: (r) => r.units.map((u) => String.fromCharCode(u).toUpperCase()),
  matches: (r) => canonical(r.units),
  version: () => process.versions.unicode,
};
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const request = JSON.parse(line);
  process.stdout.write(JSON.stringify(handlers[request.op](request)) + '\n');
});
"""


class NodeOracle:
    """A ``node`` child process answering one JSON request per line (see the module docstring)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._process = process

    @classmethod
    def start(cls) -> NodeOracle:
        assert NODE is not None, NO_NODE
        process = subprocess.Popen(
            [NODE, "-e", _SCRIPT, str(_NODE_SCAN)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        return cls(process)

    def ask(self, op: str, **request: Any) -> Any:
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None
        assert stdout is not None
        stdin.write(json.dumps({"op": op, **request}, ensure_ascii=True) + "\n")
        stdin.flush()
        answer = stdout.readline()
        assert answer, f"node exited ({self._process.poll()})"
        return json.loads(answer)

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


def units(text: str) -> list[str]:
    """The UTF-16 code units of ``text``, one-character strings (a surrogate pair is two of them)."""
    return [chr(u) for u in memoryview(text.encode("utf-16-le", "surrogatepass")).cast("H")]


def js_contains(text: str, keyword: str) -> bool:
    """``new RegExp(escaped(keyword), "i").test(text)`` from the spec, literally: some code-unit offset where every
    unit's Canonicalize equals the keyword's (slow and obvious: the reference the fast matcher is checked against)."""
    hay = [canonicalize(u) for u in units(text)]
    needle = [canonicalize(u) for u in units(keyword)]
    return any(hay[i : i + len(needle)] == needle for i in range(len(hay) - len(needle) + 1))


def utf16(value: Any) -> Any:
    """``value`` with every string replaced by its UTF-16 code units (what JavaScript compares)."""
    if isinstance(value, str):
        return value.encode("utf-16-le", "surrogatepass")
    if isinstance(value, list):
        return [utf16(v) for v in value]
    if isinstance(value, dict):
        return {k: utf16(v) for k, v in value.items()}
    return value
