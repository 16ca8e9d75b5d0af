"""2. Keyword scan: the library vs. a faithful port of the Node toolbelt's algorithm (``make bench`` section).

Reuses ``bench/bench_keyword_scan.py`` (its transcript generator, keyword picker and Node port): 10k and 100k
messages × 50 and 200 keywords. Timed: ``scan_conversation_for_keywords`` alone (one compiled prefix-tree regex
over the folded transcript) vs. the Node port (for every keyword, for every message, a new case-insensitive
regex of the escaped keyword — ``new RegExp(keyword, "gmi")``), each once per cell; the outputs are asserted
identical (the library's results dumped by alias = the Node objects). Goal: ≥ 10× at 100k × 200.

Run alone: ``python -m bench.bench_keywords [--quick]`` (or the standalone ``python bench/bench_keyword_scan.py``,
which also times a "compile each keyword once" baseline).
"""

from __future__ import annotations

import random
import time

from lp_toolbelt.utils.keyword_scan import scan_conversation_for_keywords

from ._common import Section
from .bench_keyword_scan import build_conversation, build_vocabulary, node_port, pick_keywords

GOAL = 10.0
SEED = 20240601


def _measure(quick: bool) -> Section:
    section = Section("keywords", "2. Keyword scan vs the Node algorithm (identical output asserted)")
    rng = random.Random(SEED)
    vocabulary = build_vocabulary(rng)
    sizes = (1_000, 10_000) if quick else (10_000, 100_000)
    cells: dict[str, dict[str, float | int]] = {}
    speedup = 0.0
    for messages in sizes:
        conv = build_conversation(rng, vocabulary, messages)
        for count in (50, 200):
            keywords = pick_keywords(rng, vocabulary, count)
            start = time.perf_counter()
            hits = scan_conversation_for_keywords(conv, keywords)
            t_lib = time.perf_counter() - start
            start = time.perf_counter()
            node = node_port(conv, keywords)
            t_node = time.perf_counter() - start
            assert [h.model_dump(by_alias=True) for h in hits] == node, "the library and the Node port disagree"
            speedup = t_node / t_lib
            cells[f"{messages}x{count}"] = {
                "hits": len(hits),
                "library_s": round(t_lib, 4),
                "node_port_s": round(t_node, 4),
                "speedup": round(speedup, 1),
            }
            section.row(
                f"{messages:>6} messages x {count:>3} keywords ({len(hits)} hits)",
                f"library {t_lib * 1e3:8.1f} ms, Node port {t_node * 1e3:9.1f} ms, {speedup:6.1f}x",
            )
    section.metrics = {"seed": SEED, "cells": cells}
    largest = f"{sizes[-1] // 1000}k x 200"
    section.goal(f"speed-up at {largest}", round(speedup, 1), GOAL, "x", at_least=True)
    if quick:
        section.notes.append("quick run: 1k/10k messages (the goal is defined at 100k x 200)")
    return section


def run(quick: bool = False) -> Section:
    return _measure(quick)


def main(argv: list[str] | None = None) -> int:
    from ._common import section_main

    return section_main(__doc__, run, argv, quick_help="1k/10k messages instead of 10k/100k")


if __name__ == "__main__":
    raise SystemExit(main())
