"""Keyword scanning of a conversation transcript (pure, no I/O).

Semantics: the Node toolbelt's — for every keyword, every message for which ``message.match(new RegExp(keyword,
"gmi"))`` finds something — with keywords taken literally (escaped): ``c++``, ``?`` or ``(`` are plain text. Case
is compared as JavaScript does, per UTF-16 code unit (:mod:`lp_toolbelt.utils._js_case`): ``ı`` does not match
``i``, ``ẞ`` does not match ``ß``, the Kelvin sign does not match ``k``, a character outside the BMP is a surrogate
pair. The empty keyword matches every message (as ``new RegExp("")`` does).

How: the texts are joined with a separator that neither they nor the keywords contain, and folded once
(:func:`~lp_toolbelt.utils._js_case.js_fold`); the folded keywords are compiled into one prefix-tree regular
expression (``(?:C(?:ANCEL|REDIT)|REFUND)``). At every position where a keyword starts, the regex finds the longest
keyword starting there (every other keyword starting there is one of its prefixes). Sparse hits are found with one
``search`` each; where hits are dense, one ``findall`` per chunk of the transcript reports them all, and the
separators that number the messages, without a Python step per hit (:mod:`lp_toolbelt.utils._keyword_regex`). The
hits become (keyword, message) integer keys, deduplicated and sorted in C. Cost: one pass of the regular
expression engine over the text and a few C-level steps per hit, instead of keywords × messages searches.

Example::

    matcher = KeywordMatcher(["refund", "c++"])
    matcher.find(["I want a REFUND", "c++ rocks", "nothing"])     # [[0], [1]]
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate, chain, islice, repeat
from operator import add, eq, sub
from typing import TYPE_CHECKING, Any, Final

from ..errors import ErrorCodes, InvalidArgumentError
from ..models.keyword_scan import KeywordScanResult, _build_unchecked
from ._js_case import js_fold
from ._keyword_regex import tokenizer, trie_regex

if TYPE_CHECKING:
    from ..models.conversation import Conversation, MessageRecord

__all__ = ["KeywordMatcher", "fold_case", "scan_conversation_for_keywords", "scan_message_records"]

COMPONENT: Final = "ConversationUtil"
TAG_PREFIX: Final = "keywordRef:"
NO_TIMESTAMP: Final = -1  # the Messaging Interactions API's own "no time" value (e.g. endTimeL of open conversations)

_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_CHUNK: Final = 1 << 16  # characters per chunk of the joined transcript (then up to the next separator)
_DENSE: Final = 1 / 32  # hits per character above which a chunk is tokenized in C (bench/README.md, section 7)

fold_case = js_fold
"""The case fold the matcher compares with (:func:`lp_toolbelt.utils._js_case.js_fold`)."""


# --------------------------------------------------------------------------------------------------- the matcher
def _separators(words: Iterable[str]) -> Iterable[str]:
    """Characters that no keyword contains and that fold to themselves (control and private-use characters: no
    case), to join texts with; the first one no text contains is used."""
    used = set(chain.from_iterable(words))
    return (chr(code) for code in chain(range(0x20), range(0xE000, 0xF900)) if chr(code) not in used)


class _Hits:
    """The texts each distinct folded keyword occurs in: ``keys`` holds ``slot * stride + text index`` for every
    (keyword, text) pair, sorted, so one keyword's texts are one slice; ``explicit`` overrides a slot with a list
    (the empty keyword, keywords that are prefixes of others)."""

    __slots__ = ("bounds", "explicit", "keys", "stride")

    def __init__(self, keys: list[int], stride: int, slots: int) -> None:
        self.keys = keys
        self.stride = stride
        self.bounds = [bisect_left(keys, slot * stride) for slot in range(slots + 1)]
        self.explicit: dict[int, list[int]] = {}

    def count(self, slot: int) -> int:
        listed = self.explicit.get(slot)
        return len(listed) if listed is not None else self.bounds[slot + 1] - self.bounds[slot]

    def indices(self, slot: int) -> Iterable[int]:
        """The ascending text indices of ``slot`` (an iterator over the keys, or the explicit list)."""
        listed = self.explicit.get(slot)
        if listed is not None:
            return listed
        keys = self.keys[self.bounds[slot] : self.bounds[slot + 1]]
        return map(sub, keys, repeat(slot * self.stride))


class KeywordMatcher:
    """All keywords compiled once; :meth:`find` scans many texts in one pass.

    Duplicate keywords (or ones equal up to case) are matched once and reported for each occurrence.

    Example::

        matcher = KeywordMatcher(["Help", "help", "?"])
        matcher.find(["help?", "no"])      # [[0], [0], [0]]
    """

    __slots__ = ("_prefixes", "_search", "_slots", "_tokenizers", "_unique", "_units", "_words", "keywords")

    def __init__(self, keywords: Sequence[str]) -> None:
        self.keywords: tuple[str, ...] = tuple(keywords)
        unique: dict[str, int] = {}
        self._slots = [unique.setdefault(js_fold(k), len(unique)) for k in self.keywords]
        self._unique = unique
        self._words = [k for k in unique if k]
        # texts need folding to code units only if a keyword holds a surrogate (half of a character outside the BMP)
        self._units = _SURROGATE.search("".join(self._words)) is not None
        self._search: re.Pattern[str] | None = None
        self._tokenizers: dict[str, re.Pattern[str]] = {}
        # the other keywords that are prefixes of a keyword: found wherever it is (the regex reports the longest)
        lengths = sorted({len(w) for w in self._words})
        self._prefixes: dict[int, tuple[int, ...]] = {}
        for word in self._words:
            prefixes = tuple(unique[word[:n]] for n in lengths if n < len(word) and word[:n] in unique)
            if prefixes:
                self._prefixes[unique[word]] = prefixes

    def find(self, texts: Sequence[str]) -> list[list[int]]:
        """For each keyword (in the order given), the ascending indices of the texts that contain it."""
        hits = self._hits(texts)
        return [list(hits.indices(slot)) for slot in self._slots]

    def _hits(self, texts: Sequence[str]) -> _Hits:
        hits = _Hits([], 1, len(self._unique))
        if texts and self._words:
            scanned = False
            for separator in _separators(self._unique):
                joined = separator.join(texts)
                if joined.count(separator) == len(texts) - 1:  # no text contains it: it numbers the texts
                    try:
                        keys = self._keys(js_fold(joined, units=self._units), len(texts), separator)
                    except (RecursionError, OverflowError, re.error):  # pragma: no cover - absurdly deep tries
                        break
                    hits = self._with_prefixes(_Hits(keys, len(texts), len(self._unique)))
                    scanned = True
                    break
            if not scanned:  # pragma: no cover - absurd keywords, or texts using every candidate separator
                hits.explicit = self._scan_each(texts)
        empty = self._unique.get("")
        if empty is not None:
            hits.explicit[empty] = list(range(len(texts)))
        return hits

    def _keys(self, folded: str, stride: int, separator: str) -> list[int]:
        """Every (keyword, text) pair of the joined, folded texts as ``slot * stride + text index``, sorted, unique.

        The transcript is read in chunks of whole texts. A chunk is searched position by position with the plain
        prefix-tree regex (which skips characters no keyword starts with, in C), one Python step per hit — until a
        chunk turns out dense; the next ones are then tokenized by one ``findall`` each (:mod:`._keyword_regex`:
        costlier per character, but no Python step per hit), and so on, chunk by chunk.
        """
        if self._search is None:
            self._search = re.compile(trie_regex(self._words))
        search = self._search.search
        base = {word: slot * stride for word, slot in self._unique.items() if word}
        base[separator] = -stride  # separator keys are negative: sorted first, outside every slot
        step = dict.fromkeys(base, 0)
        step[separator] = 1
        keys: list[int] = []
        text_index = 0  # separators before the current position: the index of the text it is in
        start, length, dense = 0, len(folded), False
        while start < length:
            end = folded.find(separator, start + _CHUNK)
            end = length if end < 0 else end  # chunks end before a separator: a text is never cut
            if dense:
                tokens = self._tokenizer(separator).findall(folded, start, end)
                texts_so_far = accumulate(map(step.__getitem__, tokens), initial=text_index)
                keys.extend(map(add, map(base.__getitem__, tokens), texts_so_far))
                separators = folded.count(separator, start, end)
                found = len(tokens) - separators
                text_index += separators
            else:
                found, position, last = 0, start, start
                while (match := search(folded, position, end)) is not None:
                    hit = match.start()
                    text_index += folded.count(separator, last, hit)
                    keys.append(base[match.group()] + text_index)
                    found += 1
                    position = last = hit + 1
                text_index += folded.count(separator, last, end)
            dense = found > (end - start) * _DENSE
            start = end
        keys.sort()
        if any(map(eq, keys, islice(keys, 1, None))):  # a keyword twice in one text
            keys = list(dict.fromkeys(keys))
        return keys[bisect_left(keys, 0) :]

    def _tokenizer(self, separator: str) -> re.Pattern[str]:
        if separator not in self._tokenizers:
            self._tokenizers[separator] = re.compile(tokenizer(self._words, separator), re.DOTALL)
        return self._tokenizers[separator]

    def _with_prefixes(self, hits: _Hits) -> _Hits:
        """A keyword that is a prefix of another is also found wherever the longer one is."""
        merged: dict[int, list[Iterable[int]]] = {}
        for slot, prefixes in self._prefixes.items():
            if hits.count(slot):
                for prefix in prefixes:
                    if prefix not in merged:
                        merged[prefix] = [hits.indices(prefix)]
                    merged[prefix].append(hits.indices(slot))
        for slot, parts in merged.items():
            hits.explicit[slot] = sorted(set(chain.from_iterable(parts)))
        return hits

    def _scan_each(self, texts: Sequence[str]) -> dict[int, list[int]]:  # pragma: no cover - fallback
        found: dict[int, list[int]] = {slot: [] for slot in self._unique.values()}
        words = [(slot, k) for k, slot in self._unique.items() if k]
        for text_index, text in enumerate(texts):
            folded = js_fold(text)
            for slot, word in words:
                if word in folded:
                    found[slot].append(text_index)
        return found


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
    texts: list[str] = []
    timestamps: list[int] = []
    senders: list[str] = []
    for record in records:
        text = record.text
        if text is not None:
            texts.append(text)
            timestamps.append(NO_TIMESTAMP if record.time_l is None else record.time_l)
            senders.append("" if record.sent_by is None else record.sent_by)
    matcher = KeywordMatcher(words)
    hits = matcher._hits(texts)
    slots = matcher._slots
    order = list(chain.from_iterable(map(hits.indices, slots)))  # the text of every result, in result order
    tags = chain.from_iterable(map(repeat, [TAG_PREFIX + word for word in words], map(hits.count, slots)))
    return _build_unchecked(
        len(order),
        map(texts.__getitem__, order),
        map(timestamps.__getitem__, order),
        map(senders.__getitem__, order),
        tags,
    )


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
    from ._conversation_arg import as_conversation  # the conversation models: only when a scan needs them

    conv = as_conversation(conversation, COMPONENT, ErrorCodes.CONVERSATION_GENERAL)
    record = conv.first_record
    if record is None or record.message_records is None:  # as Node: an empty transcript is no error, just no hits
        raise InvalidArgumentError(
            COMPONENT, ErrorCodes.CONVERSATION_GENERAL, "Please provide conversation object with message records."
        )
    return scan_message_records(record.message_records, keywords)
