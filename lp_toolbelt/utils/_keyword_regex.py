r"""The keyword scanner's tokenizer: one regular expression over the whole folded transcript (pure).

``findall`` with ``(?=(ANY|SEP))(?:SKIP|[\s\S])`` reports, for every position where a keyword starts, the longest
keyword starting there (every other keyword starting there is one of its prefixes), and every separator:

* ``ANY`` is the prefix tree of the (folded, distinct, non-empty) keywords rendered as a regular expression,
  longest alternative first (``(?:C(?:ANCEL|REDIT)|REFUND)``), so a position costs one walk down the tree. It is
  captured inside a lookahead: nothing is consumed yet, so keywords that overlap are all found.
* ``SEP`` is the character that joins the texts; reporting it numbers the texts.
* ``SKIP`` decides where the next attempt starts. A keyword ``w`` found at ``s`` hides no other occurrence at
  ``s + o`` unless some keyword ``k`` is *compatible* with ``w`` at ``o``: ``w[o:]`` starts with ``k`` (``k`` lies
  inside ``w``), or ``k`` starts with ``w[o:]`` (``k`` would run on past ``w``, with one of the characters that
  continue ``w[o:]`` into a keyword). The first such ``o`` is ``w``'s safe skip ``c(w)``: ``SKIP`` consumes
  ``w[:c(w)]`` when the rest ``w[c(w):]`` follows (``u(?=v)``). When no keyword lies inside ``w``, it consumes
  all of ``w`` if the next character continues none of the keywords that could run on (``w(?![...])``). These
  alternatives form one prefix tree; whichever matches names a keyword that is at ``s``, so its jump is safe.
  Otherwise one character is consumed. On a dense transcript this skips nearly every character of every hit.

Example::

    source = tokenizer(["AB", "BC", "ABCD"], "\x00")
    re.findall(source, "XABCD\x00BC")     # ['ABCD', 'BC', '\x00', 'BC']
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

__all__ = ["safe_skip", "tokenizer", "trie_regex"]

_Trie = dict[str, "_Trie"]
_END: Final = ""  # marks the end of a keyword in the trie (keyword characters are never "")
_WALK_LIMIT: Final = 64  # a compatibility check longer than this counts as compatible (a shorter skip is safe)


def _build(words: Iterable[str]) -> _Trie:
    root: _Trie = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[_END] = {}
    return root


def _render(node: _Trie) -> str:
    terminal = _END in node
    branches: list[str] = []
    for char in sorted(k for k in node if k != _END):
        parts = [re.escape(char)]
        child = node[char]
        while len(child) == 1 and _END not in child:  # a chain without branches: plain literal text
            ((char, child),) = child.items()
            parts.append(re.escape(char))
        branches.append("".join(parts) + _render(child))
    if not branches:
        return ""
    if terminal:  # a keyword ends here: the longer ones are optional (greedy, so tried first)
        return "(?:" + "|".join(branches) + ")?"
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def trie_regex(words: Iterable[str]) -> str:
    """A regular expression source matching any of ``words`` (non-empty, distinct), the longest one first, built
    from their prefix tree.

    Example::

        trie_regex(["refund", "ref", "cancel"])    # '(?:cancel|ref(?:und)?)'
    """
    return _render(_build(words))


def _overlaps(word: str, root: _Trie) -> tuple[int, int, set[str]]:
    """Where other keywords may start inside ``word`` (found at some position), by one walk down the tree per offset:
    ``(inside, across, continuations)`` — the first offset where a keyword lies inside ``word`` (or its length), the
    first offset where a keyword could run on past its end (or its length), and, before ``inside``, the characters
    that would continue ``word`` into such a keyword. A walk longer than ``_WALK_LIMIT`` counts as a keyword inside
    (a shorter skip is always safe)."""
    across = len(word)
    continuations: set[str] = set()
    for offset in range(1, len(word)):
        node = root
        for depth, char in enumerate(word[offset:]):
            child = node.get(char)
            if child is None:
                break
            if _END in child or depth >= _WALK_LIMIT:
                return offset, min(across, offset), continuations
            node = child
        else:  # word[offset:] is a proper prefix of some keywords: they would continue with node's characters
            across = min(across, offset)
            continuations.update(char for char in node if char != _END)
    return len(word), across, continuations


def safe_skip(word: str, root: _Trie) -> int:
    """How many characters the scan may consume at a position where ``word`` was found, whatever follows it: the
    first offset where a keyword could start inside (or across the end of) ``word``, or its length."""
    inside, across, _ = _overlaps(word, root)
    return min(inside, across)


class _SkipNode:
    """A node of the skip tree: the consumed prefixes, and at the end of each what must follow — the rests of the
    keyword (a lookahead), or, for a whole keyword, characters that must not follow (a negative lookahead)."""

    __slots__ = ("children", "not_before", "rests")

    def __init__(self) -> None:
        self.children: dict[str, _SkipNode] = {}
        self.rests: list[str] = []
        self.not_before: list[set[str]] = []

    def add(self, consumed: str, rest: str | None = None, not_before: set[str] | None = None) -> None:
        node = self
        for char in consumed:
            node = node.children.setdefault(char, _SkipNode())
        if rest is not None:
            node.rests.append(rest)
        if not_before is not None:
            node.not_before.append(not_before)

    def render(self) -> str:
        branches = [re.escape(char) + self.children[char].render() for char in sorted(self.children)]
        conditions = [f"(?={trie_regex(sorted(set(self.rests)))})"] if self.rests and "" not in self.rests else []
        for chars in self.not_before:
            conditions.append("(?![" + "".join(re.escape(c) for c in sorted(chars)) + "])" if chars else "")
        if "" in self.rests or "" in conditions:  # consumed unconditionally here: going further is optional
            return "(?:" + "|".join(branches) + ")?" if branches else ""
        alternatives = branches + conditions  # the longer jumps first
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"


def tokenizer(words: Iterable[str], separator: str) -> str:
    """The tokenizer's source (see the module docstring) for distinct, non-empty folded ``words`` and the separator
    character (which no word contains). Compile it with ``re.DOTALL``; ``findall`` yields the tokens."""
    words = list(words)
    root = _build(words)
    skips = _SkipNode()
    for word in words:
        inside, across, continuations = _overlaps(word, root)
        cut = min(inside, across)
        if cut >= 2:
            skips.add(word[:cut], rest=word[cut:])
        if inside == len(word) > cut:  # nothing inside: all of it, unless a keyword could run on past its end
            skips.add(word, not_before=continuations)
    skip = skips.render() + "|" if skips.children else ""
    return f"(?=({_render(root)}|{re.escape(separator)}))(?:{skip}[\\s\\S])"
