"""Keyword matching is JavaScript's: ``new RegExp(escaped, "gmi")``, code unit by code unit.

Pinned characters first (no node needed), then node itself as the oracle: every UTF-16 code unit's case mapping,
the regular-expression engine's verdicts, and a property test of whole scans on random transcripts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lp_toolbelt import MessageRecord
from lp_toolbelt.utils._js_case import _NEWER_UPPER, UNICODE_VERSION, _specials, canonicalize, js_fold, to_code_units
from lp_toolbelt.utils.keyword_scan import KeywordMatcher, scan_message_records
from tests.node_oracle import NO_NODE, NODE, NodeOracle, js_contains, units, utf16

BMP = range(0x10000)


def record(text: str, i: int = 0) -> MessageRecord:
    return MessageRecord.model_validate(
        {"type": "TEXT_PLAIN", "messageData": {"msg": {"text": text}}, "timeL": i, "sentBy": "Consumer"}
    )


# ------------------------------------------------------------------------------------------------ pinned characters
@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("ı", "i"),  # dotless i: upper case I is ASCII, so it stays itself
        ("ı", "I"),
        ("i", "İ"),  # dotted capital I is its own upper case
        ("İ", "i"),
        ("ẞ", "ß"),  # capital sharp s vs sharp s (upper case SS: two units)
        ("ß", "SS"),
        ("k", "\u212a"),  # Kelvin sign
        ("\u212a", "K"),
        ("å", "\u212b"),  # Ångström sign
        ("ſ", "s"),  # long s
        ("ﬁ", "FI"),
        ("ᾳ", "ᾼ"),  # upper case ΑΙ: two units
        ("𐐀", "𐐨"),  # Deseret: astral, two caseless surrogates
        ("\u019b", "x"),
    ],
)
def test_pairs_python_ignorecase_merges_but_javascript_does_not(keyword: str, text: str) -> None:
    assert js_fold(keyword) != js_fold(text)
    assert not js_contains(text, keyword)
    assert scan_message_records([record(text)], [keyword]) == []


@pytest.mark.parametrize(
    ("keyword", "text"),
    [
        ("refund", "REFUND"),
        ("µ", "Μ"),  # micro sign: upper case Greek capital mu (not ASCII)
        ("μ", "µ"),
        ("ς", "Σ"),
        ("σ", "ς"),
        ("ǅ", "ǆ"),  # title case: all three share the upper case Ǆ
        ("Ǆ", "ǅ"),
        ("ä", "Ä"),
        ("\u019b", "\ua7dc"),  # ƛ / Ƛ, a Unicode 16.0 pair (Node 20.20 has it; Python 3.11 does not)
        (chr(0xD801), "𐐀"),  # a lone high surrogate matches inside a pair
        (chr(0xDC00), "𐐀"),  # and a lone low one
        (chr(0xD801) + chr(0xDC00), "𐐀"),  # a pair of surrogates is the astral character
        ("", "anything"),
    ],
)
def test_pairs_that_match_in_javascript(keyword: str, text: str) -> None:
    assert js_contains(text, keyword)
    assert [hit.message for hit in scan_message_records([record(text)], [keyword])] == [text]


def test_fold_is_canonicalize_per_code_unit_and_keeps_the_unit_count() -> None:
    for text in ["Straße ſ İ ı", "ﬁ ᾳ ᾼ Ǆǅǆ", "a😀b𐐀", "\ud83d x \ude00", "\x00\ue000", "ƛꟚꟛ"]:
        folded = js_fold(text)
        assert folded == "".join(canonicalize(u) for u in units(text))
        assert len(folded) == len(units(text))
    assert to_code_units("a😀") == "a\ud83d\ude00"
    assert all(js_fold(chr(c)) == chr(c).upper() for c in range(128))


def test_special_table_is_derived_from_the_unicode_data() -> None:
    """``_UNCHANGED`` and the newer mappings are exactly the units where str.upper() is not Canonicalize."""
    _, table = _specials(True)
    expected = {u for u in BMP if not 0xD800 <= u < 0xE000 and canonicalize(chr(u)) != chr(u).upper()}
    assert {u for u in table if u < 0x10000} == expected
    for u in BMP:
        unit = chr(u)
        upper = _NEWER_UPPER.get(unit) or unit.upper()
        spec = unit if len(upper) != 1 or (u >= 128 and ord(upper) < 128) else upper
        assert js_fold(unit) == spec, hex(u)


def test_matcher_and_scan_agree_with_the_spec_on_tricky_texts() -> None:
    texts = ["İstanbul ist", "STRASSE straße STRAẞE", "K k \u212a", "ſs", "𐐀𐐨 😀", "µ μ Μ", "ǅ"]
    keywords = ["i", "İ", "ß", "ẞ", "k", "\u212a", "s", "ſ", "\ud801", "𐐨", "μ", "ǆ", "", "ss"]
    expected = [[i for i, t in enumerate(texts) if js_contains(t, k)] for k in keywords]
    assert KeywordMatcher(keywords).find(texts) == expected


# ------------------------------------------------------------------------------------------------ node as the oracle
@pytest.fixture(scope="module")
def node() -> Iterator[NodeOracle]:
    if NODE is None:
        pytest.skip(NO_NODE)
    with NodeOracle.start() as oracle:
        yield oracle


@pytest.fixture(scope="module")
def node_unicode(node: NodeOracle) -> str:
    version: str = node.ask("version")
    return version


def _same_unicode(version: str) -> bool:
    return tuple(map(int, version.split(".")[:2])) == tuple(map(int, UNICODE_VERSION.split(".")))


def test_every_code_unit_canonicalizes_as_in_node(node: NodeOracle, node_unicode: str) -> None:
    if not _same_unicode(node_unicode):
        pytest.skip(f"node has Unicode {node_unicode}; the case table follows Unicode {UNICODE_VERSION}")
    uppers: list[str] = node.ask("upper", units=list(BMP))
    different = []
    for u, upper in zip(BMP, uppers, strict=True):
        units_up = units(upper)
        spec = chr(u) if len(units_up) != 1 or (u >= 128 and ord(units_up[0]) < 128) else units_up[0]
        if js_fold(chr(u)) != spec:
            different.append(hex(u))
    assert different == []


def test_node_regex_engine_matches_exactly_our_equivalence_classes(node: NodeOracle, node_unicode: str) -> None:
    """For every code unit, /unit/i in node against the units any case mapping relates it to."""
    if not _same_unicode(node_unicode):
        pytest.skip(f"node has Unicode {node_unicode}; the case table follows Unicode {UNICODE_VERSION}")
    classes: dict[str, set[int]] = {}
    for u in BMP:
        classes.setdefault(js_fold(chr(u)), set()).add(u)
    requests: list[tuple[int, list[int]]] = []
    for u in BMP:
        unit = chr(u)
        related = set(classes[js_fold(unit)])
        for mapped in (unit.upper(), unit.lower(), unit.casefold(), unit.title()):
            for m in units(mapped):
                related |= classes[js_fold(m)] | {ord(m)}
        requests.append((u, sorted(related)))
    answers: list[list[int]] = node.ask("matches", units=requests)
    wrong = [
        (hex(u), candidates, answer)
        for (u, candidates), answer in zip(requests, answers, strict=True)
        if set(answer) != {c for c in candidates if js_fold(chr(c)) == js_fold(chr(u))}
    ]
    assert wrong == []


# The characters the property test leans on: the pairs above, case pairs, regex syntax, separators' neighbours.
TRICKY = "ıIiİſsSkK\u212aÅå\u212bẞßµμΜσςΣǅǆǄﬁFᾳᾼΑΙ𐐀𐐨😀\ud801\udc00\ud83d+?(.*\\|[]^$\n\x00\ue000 aAbB"
NEWER = "".join(_NEWER_UPPER) + "".join(_NEWER_UPPER.values())


def _alphabet(include_newer: bool) -> st.SearchStrategy[str]:
    tricky = st.sampled_from(TRICKY + (NEWER if include_newer else ""))
    anything = st.characters() | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=())
    if not include_newer:
        anything = anything.filter(lambda c: c not in NEWER)
    # mostly the tricky characters (one_of weighs its branches alike, which would drown them)
    return st.integers(0, 4).flatmap(lambda n: anything if n == 0 else tricky)


@st.composite
def scans(draw: st.DrawFn, include_newer: bool) -> tuple[dict[str, Any], list[str]]:
    alphabet = _alphabet(include_newer)
    texts = draw(st.lists(st.text(alphabet, max_size=24), max_size=12))
    kinds = draw(st.lists(st.sampled_from(["TEXT_PLAIN", "HOSTED_FILE", "RICH_CONTENT"]), min_size=len(texts)))
    records = [
        {
            "type": kind,
            "messageData": {"file": {"caption": text}} if kind == "HOSTED_FILE" else {"msg": {"text": text}},
            "timeL": i,
            "sentBy": "Agent" if i % 2 else "Consumer",
        }
        for i, (kind, text) in enumerate(zip(kinds, texts, strict=False))
    ]
    keyword = st.text(alphabet, max_size=5)
    if texts and any(texts):  # slices of the texts (of their code units too), case flipped or not
        pool = [t for t in texts if t] + [to_code_units(t) for t in texts if t]
        cut = st.tuples(st.sampled_from(pool), st.integers(0, 24), st.integers(1, 6), st.sampled_from([0, 1, 2, 3]))
        flips: list[Callable[[str], str]] = [str, str.swapcase, str.upper, str.lower]
        keyword = keyword | cut.map(lambda c: flips[c[3]](c[0][c[1] : c[1] + c[2]]))
    keywords = draw(st.lists(keyword, min_size=1, max_size=8))
    return {"conversationHistoryRecords": [{"messageRecords": records}]}, keywords


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_scan_equals_node_on_random_transcripts(node: NodeOracle, node_unicode: str, data: st.DataObject) -> None:
    payload, keywords = data.draw(scans(include_newer=_same_unicode(node_unicode)))
    records = [MessageRecord.model_validate(r) for r in payload["conversationHistoryRecords"][0]["messageRecords"]]
    ours = [hit.model_dump(by_alias=True) for hit in scan_message_records(records, keywords)]
    assert utf16(ours) == utf16(node.ask("scan", conversation=payload, keywords=keywords))
