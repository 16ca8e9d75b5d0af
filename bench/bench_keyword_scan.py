"""Keyword scan benchmark: lp_toolbelt's one-pass matcher vs. the Node toolbelt's algorithm.

Run: ``python bench/bench_keyword_scan.py`` (``--quick`` for a smaller run).

For 10k / 100k messages × 50 / 200 keywords it times, on the same transcript:

* ``library``   — ``scan_conversation_for_keywords`` (one compiled prefix-tree regex over the folded transcript);
* ``node port`` — a faithful port of the Node algorithm: for each keyword, for each message, a new escaped
  case-insensitive regex (``new RegExp(keyword, "gmi")`` in Node; escaped here so keywords are literal), all its
  matches (``String.prototype.match`` with the ``g`` flag), the per-keyword lists concatenated;
* ``naive``     — the same, but each keyword's regex compiled once (the usual "K regexes × M messages").

and asserts the three give identical results. Timings are wall-clock (best of ``--repeat`` runs).
"""

from __future__ import annotations

import argparse
import functools
import operator
import random
import re
import string
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lp_toolbelt import Conversation
from lp_toolbelt.models.conversation import MessageRecord
from lp_toolbelt.utils.keyword_scan import scan_conversation_for_keywords

Row = dict[str, Any]


def build_vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    words = {"".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 10))) for _ in range(size)}
    words.update(["c++", "refund?", "(urgent)", "e-mail", "ünïcode", "straße"])
    return sorted(words)


def build_conversation(rng: random.Random, vocabulary: list[str], messages: int) -> Conversation:
    records: list[dict[str, Any]] = []
    for i in range(messages):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(4, 18))]
        text = " ".join(w.upper() if rng.random() < 0.1 else w.capitalize() if rng.random() < 0.2 else w for w in words)
        kind = rng.choices(["TEXT_PLAIN", "HOSTED_FILE", "RICH_CONTENT"], weights=[90, 5, 5])[0]
        data: dict[str, Any]
        if kind == "HOSTED_FILE":
            data = {"file": {"caption": text, "relativePath": f"/v1/AUTH_async-images/{i}.png"}}
        else:
            data = {"msg": {"text": text}}
        records.append(
            {
                "type": kind,
                "messageData": data,
                "timeL": 1_600_000_000_000 + i,
                "sentBy": "Consumer" if i % 2 else "Agent",
                "seq": i,
            }
        )
    return Conversation.model_validate({"conversationHistoryRecords": [{"messageRecords": records}]})


def pick_keywords(rng: random.Random, vocabulary: list[str], count: int) -> list[str]:
    keywords = rng.sample(vocabulary, count - 4)
    keywords += ["c++", "refund?", "(urgent)", "Straße"]  # literal special characters and a non-ASCII word
    rng.shuffle(keywords)
    return keywords


def _scan_text(record: MessageRecord) -> str:
    data = record.message_data
    if record.type == "TEXT_PLAIN":
        msg = data.msg if data is not None else None
        return (msg.text if msg is not None else None) or ""
    file = data.file if data is not None else None
    return (file.caption if file is not None else None) or ""


def node_port(conversation: Conversation, keywords: list[str]) -> list[Row]:
    """The Node algorithm, step for step: ``keywords.map(k => messagesWithKeyword(transcript, k)).reduce(concat)``,
    where each keyword filters and maps the whole transcript again and tests every message with
    ``message.match(new RegExp(k, 'gmi'))`` (all matches: ``re.findall``; a regex per message: ``re``'s compiled
    pattern cache, as V8's). The keyword is escaped once (Node does not escape: lp_toolbelt keywords are literal)."""
    transcript = conversation.conversation_history_records[0].message_records or []
    flags = re.IGNORECASE | re.MULTILINE
    parts: list[list[Row]] = []
    for keyword in keywords:
        source = re.escape(keyword)
        messages = [(_scan_text(r), r.time_l, r.sent_by) for r in transcript if r.type in ("HOSTED_FILE", "TEXT_PLAIN")]
        parts.append(
            [
                {"message": text, "sentTimestamp": sent, "sentBy": by, "tag": f"keywordRef:{keyword}"}
                for text, sent, by in messages
                if re.findall(source, text, flags)
            ]
        )
    return functools.reduce(operator.add, parts)  # Array.prototype.concat: a new list per keyword


def naive_precompiled(conversation: Conversation, keywords: list[str]) -> list[Row]:
    """K regexes (compiled once each) × M messages."""
    transcript = conversation.conversation_history_records[0].message_records or []
    messages = [(_scan_text(r), r.time_l, r.sent_by) for r in transcript if r.type in ("HOSTED_FILE", "TEXT_PLAIN")]
    out: list[Row] = []
    for keyword in keywords:
        search = re.compile(re.escape(keyword), re.IGNORECASE).search
        tag = f"keywordRef:{keyword}"
        out.extend(
            {"message": text, "sentTimestamp": sent, "sentBy": by, "tag": tag}
            for text, sent, by in messages
            if search(text)
        )
    return out


def library(conversation: Conversation, keywords: list[str]) -> list[Row]:
    return [hit.model_dump(by_alias=True) for hit in scan_conversation_for_keywords(conversation, keywords)]


def best_of(repeat: int, fn: Callable[[], list[Row]]) -> tuple[float, list[Row]]:
    best = float("inf")
    result: list[Row] = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1k/10k messages instead of 10k/100k")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (best is reported)")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    vocabulary = build_vocabulary(rng)
    sizes = (1_000, 10_000) if args.quick else (10_000, 100_000)
    print(f"python {sys.version.split()[0]}; seed {args.seed}; best of {args.repeat}")
    header = (
        f"{'messages':>9} {'keywords':>8} {'hits':>8} {'library':>9} {'node port':>10} {'naive':>9} {'speed-up':>9}"
    )
    print(header)
    print("-" * len(header))
    for messages in sizes:
        conv = build_conversation(rng, vocabulary, messages)
        for count in (50, 200):
            keywords = pick_keywords(rng, vocabulary, count)
            t_lib, fast = best_of(args.repeat, partial(library, conv, keywords))
            t_node, node = best_of(args.repeat, partial(node_port, conv, keywords))
            t_naive, naive = best_of(args.repeat, partial(naive_precompiled, conv, keywords))
            assert fast == node == naive, "the library and the Node port disagree"
            print(
                f"{messages:>9} {count:>8} {len(fast):>8} {t_lib:>8.3f}s {t_node:>9.3f}s {t_naive:>8.3f}s "
                f"{t_node / t_lib:>7.1f}x"
            )
    print("results identical in every run (library == node port == naive)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
