"""7. Dense keyword scan: 100k messages × 200 keywords, ~12.5 hits per message (~1.25M results).

A user with a heavy keyword list on a long transcript: every message holds 12 or 13 of the 200 keywords (mixed
case) among short filler words (some accented, a few emoji). Timed on the same transcript, each **scan plus
reading every field of every result** (so a result that is only built when read would gain nothing):

* ``library``   — ``scan_conversation_for_keywords(conv, keywords)``, then ``message``, ``sent_timestamp``,
  ``sent_by``, ``tag`` of every hit;
* ``node``      — LivePerson's Node algorithm run by ``node`` (``bench/node_keyword_scan.js``: for each keyword,
  for each message, ``message.match(new RegExp(escaped, "gmi"))``; timed inside node, JSON parsing excluded);
  skipped when ``node`` is not on PATH;
* ``node port`` — the faithful Python port of the same algorithm (``bench_keyword_scan.node_port``), run once
  (it takes minutes).

The outputs are asserted byte-identical: the library's results dumped by alias, the port's dicts and node's
``JSON.stringify`` have the same SHA-256. Rounds alternate library and node runs; ratios are medians of per-round
ratios. A breakdown of the library's time (matching, building, reading) and the floor — what building and reading
the same number of result objects costs with nothing else — is printed under the rows (see bench/README.md).
Goals: ≥ 6× the port, ≥ 3× node.

Run alone: ``python -m bench.bench_dense [--quick]`` (quick: 10k messages, no goals).
"""

from __future__ import annotations

import gc
import hashlib
import json
import random
import shutil
import statistics
import string
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lp_toolbelt import Conversation, KeywordScanResult
from lp_toolbelt.models.keyword_scan import _build_unchecked
from lp_toolbelt.utils.keyword_scan import KeywordMatcher, scan_conversation_for_keywords

from ._common import Section, paired_ratio
from .bench_keyword_scan import node_port

GOAL_PORT = 6.0
GOAL_NODE = 3.0
SEED = 20260601
KEYWORDS = 200
NODE_SCRIPT = Path(__file__).resolve().parent / "node_keyword_scan.js"
FILLER_EXTRA = ["grüße", "café", "naïve", "ça", "olé", "😀", "👍🏽", "to", "of", "it"]


def _words(rng: random.Random, count: int, shortest: int, longest: int) -> list[str]:
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choices(string.ascii_lowercase, k=rng.randint(shortest, longest))))
    return sorted(words)


def build_dense(messages: int, seed: int = SEED) -> tuple[dict[str, Any], list[str]]:
    """A ``getConversationById`` payload and 200 keywords: each message holds 12 or 13 distinct keywords (random
    case) among 4-9 filler words that cannot contain a keyword (2-4 letters, or accented/emoji words)."""
    rng = random.Random(seed)
    keywords = _words(rng, KEYWORDS, 5, 10)
    filler = _words(rng, 2000, 2, 4) + FILLER_EXTRA
    records: list[dict[str, Any]] = []
    for i in range(messages):
        words = rng.sample(keywords, rng.choice((12, 13))) + rng.choices(filler, k=rng.randint(4, 9))
        rng.shuffle(words)
        text = " ".join(w.upper() if rng.random() < 0.1 else w.title() if rng.random() < 0.25 else w for w in words)
        data: dict[str, Any]
        if i % 20 == 7:
            kind, data = "HOSTED_FILE", {"file": {"caption": text, "relativePath": f"/v1/AUTH_async-images/{i}.png"}}
        else:
            kind, data = "TEXT_PLAIN", {"msg": {"text": text}}
        records.append(
            {
                "type": kind,
                "messageData": data,
                "timeL": 1_700_000_000_000 + 1_000 * i,
                "sentBy": "Consumer" if i % 3 else "Agent",
                "seq": i,
            }
        )
    return {"conversationHistoryRecords": [{"messageRecords": records}]}, keywords


def _read_library(hits: Sequence[KeywordScanResult]) -> None:
    for hit in hits:
        hit.message  # noqa: B018 - reading every field is what is timed
        hit.sent_timestamp  # noqa: B018
        hit.sent_by  # noqa: B018
        hit.tag  # noqa: B018


def _read_port(rows: Sequence[dict[str, Any]]) -> None:
    for row in rows:
        row["message"]
        row["sentTimestamp"]
        row["sentBy"]
        row["tag"]


def _digest(rows: Sequence[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def _time_library(conv: Conversation, keywords: list[str]) -> tuple[float, list[KeywordScanResult]]:
    gc.collect()
    start = time.perf_counter()
    hits = scan_conversation_for_keywords(conv, keywords)
    _read_library(hits)
    return time.perf_counter() - start, hits


def _run_node(path: Path) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run([node, str(NODE_SCRIPT), str(path)], capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _breakdown(conv: Conversation, keywords: list[str], section: Section) -> dict[str, float]:
    """Where the library's time goes: the transcript's texts, the matching (``KeywordMatcher.find``: tokenizing,
    sorting the hits), and the floor — building and reading the same results from ready columns, which any eager
    result object pays per hit. For scale, the validating constructor's cost is timed on a sample."""
    records = conv.conversation_history_records[0].message_records or []
    gc.collect()
    start = time.perf_counter()
    texts = [text for record in records if (text := record.text) is not None]
    t_texts = time.perf_counter() - start
    start = time.perf_counter()
    per_keyword = KeywordMatcher(keywords).find(texts)
    t_match = time.perf_counter() - start
    scanned = [record for record in records if record.text is not None]
    order = [index for indices in per_keyword for index in indices]
    messages = [texts[i] for i in order]
    stamps = [scanned[i].time_l or -1 for i in order]
    senders = [scanned[i].sent_by or "" for i in order]
    tags = [f"keywordRef:{word}" for word, indices in zip(keywords, per_keyword, strict=True) for _ in indices]
    hits = len(order)
    del per_keyword, order
    gc.collect()
    start = time.perf_counter()
    built = _build_unchecked(hits, messages, stamps, senders, tags)
    t_build = time.perf_counter() - start
    start = time.perf_counter()
    _read_library(built)
    t_read = time.perf_counter() - start
    del built
    sample = min(hits, 50_000)
    KeywordScanResult(message="warm-up", sent_timestamp=0, sent_by="", tag="")  # its validator is built on first use
    gc.collect()
    start = time.perf_counter()
    validated = [
        KeywordScanResult(message=m, sent_timestamp=t, sent_by=b, tag=g)
        for m, t, b, g in zip(messages[:sample], stamps, senders, tags, strict=False)
    ]
    t_validated = (time.perf_counter() - start) / max(sample, 1)
    del validated, messages, stamps, senders, tags
    gc.collect()
    section.row("  breakdown: transcript texts / matching (KeywordMatcher.find)", f"{t_texts:.2f} s / {t_match:.2f} s")
    section.row(
        f"  floor: build / read {hits} results from ready columns",
        f"{t_build:.2f} s / {t_read:.2f} s = {(t_build + t_read) / max(hits, 1) * 1e9:.0f} ns per result",
    )
    section.row(
        "  (the validating constructor instead, sampled)",
        f"{t_validated * 1e9:.0f} ns per result = {t_validated * hits:.1f} s for {hits}",
    )
    return {
        "texts_s": t_texts,
        "match_s": t_match,
        "floor_build_s": t_build,
        "floor_read_s": t_read,
        "validating_constructor_ns": t_validated * 1e9,
    }


def _measure(quick: bool) -> Section:
    section = Section("dense", "7. Dense keyword scan: scan + read every field (identical output asserted)")
    messages = 10_000 if quick else 100_000
    rounds = 2 if quick else 3
    payload, keywords = build_dense(messages)
    conv = Conversation.model_validate(payload)
    node_available = shutil.which("node") is not None
    library_s: list[float] = []
    node_s: list[float] = []
    node_result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dense.json"
        path.write_text(json.dumps({"conversation": payload, "keywords": keywords}), encoding="utf-8")
        del payload
        hits: list[KeywordScanResult] = []
        for round_ in range(rounds):
            order = ("library", "node") if round_ % 2 == 0 else ("node", "library")
            for name in order:
                if name == "library":
                    hits = []
                    seconds, hits = _time_library(conv, keywords)
                    library_s.append(seconds)
                elif node_available:
                    node_result = _run_node(path)
                    node_s.append(float(node_result["seconds"]))
    count = len(hits)
    digest = _digest([hit.model_dump(by_alias=True) for hit in hits])
    del hits
    gc.collect()
    start = time.perf_counter()
    port = node_port(conv, keywords)
    _read_port(port)
    port_s = time.perf_counter() - start
    assert _digest(port) == digest, "the library and the Node port disagree"
    del port
    gc.collect()

    lib = statistics.median(library_s)
    section.row(
        f"{messages // 1000}k messages x {KEYWORDS} keywords: {count} hits ({count / messages:.2f} per message)",
        f"library {lib:.2f} s (median of {rounds}; best {min(library_s):.2f} s)",
    )
    port_ratio = port_s / lib
    section.row("  faithful Python port of the Node algorithm (run once)", f"{port_s:.1f} s = {port_ratio:.1f}x")
    metrics: dict[str, Any] = {
        "messages": messages,
        "keywords": KEYWORDS,
        "hits": count,
        "library_s": [round(s, 3) for s in library_s],
        "port_s": round(port_s, 2),
        "port_ratio": round(port_ratio, 2),
    }
    if node_available:
        assert node_result["count"] == count, "the library and node disagree"
        assert node_result["digest"] == digest, "the library and node disagree"
        node_ratio = paired_ratio(node_s, library_s)
        section.row(
            "  LivePerson's Node algorithm run by node (same output)",
            f"{statistics.median(node_s):.2f} s = {node_ratio:.2f}x (per-round median)",
        )
        metrics.update(node_s=[round(s, 3) for s in node_s], node_ratio=round(node_ratio, 2))
    else:
        section.notes.append("node is not on PATH: the node row is skipped")
    metrics["breakdown"] = _breakdown(conv, keywords, section)
    section.metrics = metrics
    if quick:
        section.notes.append("quick run: 10k messages (the goals are defined at 100k x 200)")
    else:
        section.goal("speed-up over the Python port", round(port_ratio, 1), GOAL_PORT, "x", at_least=True)
        if node_available:
            section.goal("speed-up over node", round(node_ratio, 2), GOAL_NODE, "x", at_least=True)
    return section


def run(quick: bool = False) -> Section:
    return _measure(quick)


def main(argv: list[str] | None = None) -> int:
    from ._common import section_main

    return section_main(__doc__, run, argv, quick_help="10k messages, no goals")


if __name__ == "__main__":
    raise SystemExit(main())
