"""Keyword scanning of a conversation transcript (pure, no I/O).

Semantics (the Node toolbelt's, with keywords taken literally): a keyword matches a message when it occurs in it,
case-insensitively — exactly when ``re.search(re.escape(keyword), text, re.IGNORECASE)`` would find it. ``c++``,
``?`` or ``(`` are plain text. The empty keyword matches every message (as ``new RegExp("")`` does in Node).

Speed: one pass over the whole transcript with one compiled matcher for all keywords. Texts and keywords are
case-folded with a length-preserving fold that maps two characters to the same one exactly when Python's
case-insensitive matching treats them as equal; the folded keywords are compiled into one prefix-tree regular
expression (``(?:c(?:ancel|redit)|refund)``), and the folded transcript is searched once, restarting one character
after each hit so overlapping keywords are all found. At each position the tree finds the longest keyword there;
every other keyword starting there is one of its prefixes, so each hit yields all keywords starting at it. Cost:
O(total text length + hits), instead of keywords × messages regular-expression searches.

Example::

    matcher = KeywordMatcher(["refund", "c++"])
    matcher.find(["I want a REFUND", "c++ rocks", "nothing"])     # [[0], [1]]
"""

from __future__ import annotations

import importlib
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from typing import Any, Final

from ..errors import ErrorCodes, InvalidArgumentError
from ..models.conversation import Conversation, KeywordScanResult, MessageRecord
from ._conversation_arg import as_conversation

__all__ = ["KeywordMatcher", "fold_case", "scan_conversation_for_keywords", "scan_message_records"]

COMPONENT: Final = "ConversationUtil"
TAG_PREFIX: Final = "keywordRef:"
NO_TIMESTAMP: Final = -1  # the Messaging Interactions API's own "no time" value (e.g. endTimeL of open conversations)


# --------------------------------------------------------------------------------------------------- case folding
def _extra_cases() -> dict[int, tuple[int, ...]]:
    """Lower-case characters that are case-insensitively equal to other lower-case characters (same upper case):
    ``i``/``ı``, ``s``/``ſ``, ``σ``/``ς``, ``β``/``ϐ``... — the table Python's ``re`` module uses."""
    try:  # the exact table behind re.IGNORECASE (a private module of the standard library)
        table: dict[int, tuple[int, ...]] = dict(importlib.import_module("re._casefix")._EXTRA_CASES)
        return table
    except (ImportError, AttributeError):  # pragma: no cover - derive it the way CPython generates it
        by_upper: dict[str, set[int]] = {}
        for code in range(0x110000):
            char = chr(code)
            lower = char.lower()
            if len(lower) == 1 and char == lower:
                upper = char.upper()
                if len(upper) == 1 and upper != char:
                    by_upper.setdefault(upper, set()).add(code)
        derived: dict[int, tuple[int, ...]] = {}
        for group in by_upper.values():
            if len(group) > 1:
                for code in group:
                    derived[code] = tuple(sorted(group - {code}))
        return derived


def _build_fold_table() -> dict[int, int]:
    table: dict[int, int] = {}
    for lower, others in _extra_cases().items():
        canonical = min((lower, *others))
        if canonical != lower:
            table[lower] = canonical
    return table


_FOLD_TABLE: Final = _build_fold_table()
_FOLD_CHARS: Final = {chr(k): chr(v) for k, v in _FOLD_TABLE.items()}
# Few texts hold any of these characters: find them with one C-level scan instead of str.translate (a dict
# lookup per character, ~15x slower on long texts).
_FOLD_SPECIAL: Final = re.compile("[" + "".join(re.escape(c) for c in sorted(_FOLD_CHARS)) + "]")
_DOTTED_CAPITAL_I: Final = "\u0130"  # the one character whose str.lower() is two characters long


def _fold_special(match: re.Match[str]) -> str:
    return _FOLD_CHARS[match.group()]


def fold_case(text: str) -> str:
    """Fold case so that ``fold_case(a) == fold_case(b)`` (same length) exactly when ``a`` and ``b`` match each
    other case-insensitively, character by character, under ``re.IGNORECASE`` (pure).

    Example::

        fold_case("Straße ſ İ")      # 'straße s i'
    """
    if text.isascii():
        return text.lower()
    return _FOLD_SPECIAL.sub(_fold_special, text.replace(_DOTTED_CAPITAL_I, "i").lower())


# --------------------------------------------------------------------------------------------------- the matcher
_Trie = dict[str, "_Trie"]
_END: Final = ""  # marks the end of a keyword in the trie (keyword characters are never "")


def _trie_regex(words: Iterable[str]) -> str:
    """A regular expression source matching any of ``words`` (non-empty, distinct), the longest one first, built
    from their prefix tree so each position costs one walk down the tree."""
    root: _Trie = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[_END] = {}
    return _render(root)


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


def _separator(words: Iterable[str]) -> str | None:
    """A character that no keyword contains and that folds to itself, to join texts with (None if none is free)."""
    used = set(chain.from_iterable(words))
    for code in chain(range(0x20), range(0xE000, 0xF900)):  # control and private-use characters: caseless
        if chr(code) not in used:
            return chr(code)
    return None  # pragma: no cover - would need keywords using 6,000+ distinct special characters


class KeywordMatcher:
    """All keywords compiled once; :meth:`find` scans many texts in one pass.

    Duplicate keywords (or ones equal up to case) are matched once and reported for each occurrence.

    Example::

        matcher = KeywordMatcher(["Help", "help", "?"])
        matcher.find(["help?", "no"])      # [[0], [0], [0]]
    """

    __slots__ = ("_lengths", "_pattern", "_prefixes", "_slots", "_unique", "keywords")

    def __init__(self, keywords: Sequence[str]) -> None:
        self.keywords: tuple[str, ...] = tuple(keywords)
        index: dict[str, int] = {}
        self._slots = [index.setdefault(fold_case(k), len(index)) for k in self.keywords]
        self._unique: dict[str, int] = index
        self._lengths = sorted({len(k) for k in index if k})
        self._prefixes: dict[str, tuple[int, ...]] = {}
        words = [k for k in index if k]
        self._pattern: re.Pattern[str] | None = None
        if words:
            try:
                self._pattern = re.compile(_trie_regex(words))
            except (RecursionError, OverflowError, re.error):  # pragma: no cover - absurdly deep keyword trees
                self._pattern = None

    def find(self, texts: Sequence[str]) -> list[list[int]]:
        """For each keyword (in the order given), the ascending indices of the texts that contain it."""
        hits: list[list[int]] = [[] for _ in self._unique]
        empty = self._unique.get("")
        if empty is not None:
            hits[empty] = list(range(len(texts)))
        searching = bool(texts) and len(self._unique) > (empty is not None)
        if searching and (self._pattern is None or not self._scan_joined(texts, self._pattern, hits)):
            self._scan_each(texts, hits)
        return [list(hits[slot]) for slot in self._slots]

    def _scan_joined(self, texts: Sequence[str], pattern: re.Pattern[str], hits: list[list[int]]) -> bool:
        separator = _separator(self._unique)
        if separator is None:  # pragma: no cover
            return False
        joined = separator.join(texts)
        folded = fold_case(joined)
        if len(folded) != len(joined):  # pragma: no cover - fold_case preserves length
            return False
        starts: list[int] = []
        offset = 0
        for text in texts:
            starts.append(offset)
            offset += len(text) + 1
        search = pattern.search
        prefixes = self._prefixes
        position = 0
        while (match := search(folded, position)) is not None:
            start = match.start()
            found = match.group()
            ids = prefixes.get(found)
            if ids is None:
                ids = prefixes[found] = self._prefix_ids(found)
            text_index = bisect_right(starts, start) - 1
            for slot in ids:
                bucket = hits[slot]
                if not bucket or bucket[-1] != text_index:
                    bucket.append(text_index)
            position = start + 1
        return True

    def _prefix_ids(self, found: str) -> tuple[int, ...]:
        """The keywords that start where ``found`` (the longest keyword at a position) starts: its prefixes."""
        unique = self._unique
        return tuple(
            unique[found[:length]] for length in self._lengths if length <= len(found) and found[:length] in unique
        )

    def _scan_each(self, texts: Sequence[str], hits: list[list[int]]) -> None:  # pragma: no cover - fallback
        words = [(slot, k) for k, slot in self._unique.items() if k]
        for text_index, text in enumerate(texts):
            folded = fold_case(text)
            for slot, word in words:
                if word in folded:
                    hits[slot].append(text_index)


# --------------------------------------------------------------------------------------------------- the scan
def _check_keywords(keywords: Sequence[str]) -> list[str]:
    if isinstance(keywords, str | bytes) or not isinstance(keywords, Iterable):
        raise InvalidArgumentError(
            COMPONENT, ErrorCodes.CONVERSATION_GENERAL, "keywords must be a list of strings, not a single string"
        )
    words = list(keywords)
    if not words:
        raise InvalidArgumentError(
            COMPONENT, ErrorCodes.CONVERSATION_GENERAL, "Please provide array containing keywords."
        )
    if not all(isinstance(word, str) for word in words):
        raise InvalidArgumentError(COMPONENT, ErrorCodes.CONVERSATION_GENERAL, "every keyword must be a string")
    return words


def scan_message_records(records: Sequence[MessageRecord], keywords: Sequence[str]) -> list[KeywordScanResult]:
    """Scan a transcript (``messageRecords``) for keywords: one result per (keyword, matching message), ordered by
    keyword as given, then by transcript order. Only ``TEXT_PLAIN`` (``msg.text``) and ``HOSTED_FILE``
    (``file.caption``) messages count (pure; raises InvalidArgumentError for an empty keyword list).
    """
    words = _check_keywords(keywords)
    messages = [(text, record) for record in records if (text := record.text) is not None]
    per_keyword = KeywordMatcher(words).find([text for text, _ in messages])
    results: list[KeywordScanResult] = []
    construct = KeywordScanResult  # validating in pydantic-core is faster than model_construct
    for word, indices in zip(words, per_keyword, strict=True):
        tag = TAG_PREFIX + word
        for index in indices:
            text, record = messages[index]
            results.append(
                construct(
                    message=text,
                    sent_timestamp=NO_TIMESTAMP if record.time_l is None else record.time_l,
                    sent_by=record.sent_by if record.sent_by is not None else "",
                    tag=tag,
                )
            )
    return results


def scan_conversation_for_keywords(
    conversation: Conversation | Mapping[str, Any], keywords: Sequence[str]
) -> list[KeywordScanResult]:
    """Scan the first record's transcript for keywords (pure; see :func:`scan_message_records`).

    Raises InvalidArgumentError (``conversation-util-general``) for a missing conversation, no record, a record
    without ``messageRecords``, or an empty keyword list (an empty ``messageRecords`` list gives no hits, as in Node).

    Example::

        hits = scan_conversation_for_keywords(conv, ["refund", "cancel"])
        [hit.model_dump(by_alias=True) for hit in hits]
        # [{"message": "I want a refund", "sentTimestamp": 1472483659564, "sentBy": "Consumer",
        #   "tag": "keywordRef:refund"}]
    """
    conv = as_conversation(conversation, COMPONENT, ErrorCodes.CONVERSATION_GENERAL)
    record = conv.first_record
    if record is None or record.message_records is None:  # as Node: an empty transcript is no error, just no hits
        raise InvalidArgumentError(
            COMPONENT, ErrorCodes.CONVERSATION_GENERAL, "Please provide conversation object with message records."
        )
    return scan_message_records(record.message_records, keywords)
