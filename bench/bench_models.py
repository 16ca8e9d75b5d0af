"""5. Model validation: a 5 MB conversation validated with the library's models vs. ``json.loads`` alone.

The payload is a ``getConversationById`` answer generated from the real LivePerson examples in
``lp_toolbelt/emulator/data/conversations/`` (the docs' record, its SDE example) scaled up to ~5 MB with a
realistic mix: one conversation record whose messages are ~80 % ``TEXT_PLAIN`` (texts of varied length), ~8 %
``HOSTED_FILE``, ~12 % ``RICH_CONTENT`` (JSON-encoded structured content, as the API sends it), two delivery
statuses per message, a score every few messages, transfers, interactions, participants, dialogs and SDE events;
every record part keeps the fields the examples carry (known and unknown ones).

Timed, interleaved, on the same bytes: ``json.loads(raw)`` and ``Conversation.model_validate_json(raw)`` (what
``conversation_util().get_conversation_by_id`` runs on the response body). Goal: ≤ 3× ``json.loads``.

Run alone: ``python -m bench.bench_models [--quick]``.
"""

from __future__ import annotations

import copy
import gc
import json
import random
import statistics
import time
from pathlib import Path
from typing import Any

from lp_toolbelt import Conversation

from ._common import Section

DATA = Path(__file__).resolve().parents[1] / "lp_toolbelt" / "emulator" / "data" / "conversations"
TARGET_BYTES = 5 * 1024 * 1024
GOAL = 3.0
WORDS = [
    *[
        "hello",
        "thanks",
        "order",
        "refund",
        "delivery",
        "account",
        "password",
        "reset",
        "card",
        "payment",
        "issue",
        "please",
        "help",
        "agent",
    ],
    *[
        "tracking",
        "number",
        "invoice",
        "cancel",
        "subscription",
        "upgrade",
        "plan",
        "shipping",
        "address",
        "email",
        "phone",
        "chat",
        "today",
    ],
]


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


def build_conversation(target_bytes: int = TARGET_BYTES, seed: int = 7) -> bytes:
    """A ``getConversationById`` answer of about ``target_bytes`` (JSON bytes)."""
    rng = random.Random(seed)
    base = _load("msghist_conversation_by_id.json")
    sdes = _load("msghist_sdes_example.json")["conversationHistoryRecords"][0]
    record = copy.deepcopy(base["conversationHistoryRecords"][0])
    templates = {m["type"]: m for m in record["messageRecords"]}
    text_t, rich_t = templates["TEXT_PLAIN"], templates["RICH_CONTENT"]
    status_t, score_t = record["messageStatuses"][0], record["messageScore"][0]
    transfer_t, interaction_t = record["transfers"][0], record["interactions"][0]
    agent_t = record["agentParticipants"][0]
    auth_events, unauth_events = sdes["sdes"]["events"], sdes["unAuthSdes"]["events"]
    conv_id = record["info"]["conversationId"]
    for key in ("messageRecords", "messageStatuses", "messageScore", "transfers", "interactions"):
        record[key] = []
    record["agentParticipants"] = []
    record["sdes"] = {"events": []}
    record["unAuthSdes"] = {"events": []}
    t0 = 1_700_000_000_000
    payload = {"_metadata": base["_metadata"], "conversationHistoryRecords": [record]}
    size = len(json.dumps(payload))
    seq = 0
    while size < target_bytes:
        added: list[Any] = []
        for _ in range(200):
            kind = rng.choices(("TEXT_PLAIN", "HOSTED_FILE", "RICH_CONTENT"), weights=(80, 8, 12))[0]
            time_l = t0 + seq * 1500
            msg_id = f"ms::conv:{conv_id}::msg:{seq}"
            if kind == "RICH_CONTENT":
                message = copy.deepcopy(rich_t)
            else:
                message = copy.deepcopy(text_t)
                if kind == "HOSTED_FILE":
                    message["type"] = "HOSTED_FILE"
                    message["messageData"] = {
                        "file": {
                            "caption": " ".join(rng.choices(WORDS, k=rng.randint(0, 6))),
                            "relativePath": f"/v1/AUTH_async-images/{seq}/{rng.getrandbits(64):016x}.png",
                            "fileType": "PNG",
                            "preview": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwC",
                        }
                    }
                else:
                    message["messageData"] = {"msg": {"text": " ".join(rng.choices(WORDS, k=rng.randint(2, 40)))}}
            message.update(
                messageId=msg_id,
                seq=seq,
                timeL=time_l,
                time=f"2023-11-14 22:13:{seq % 60:02d}.000+0000",
                sentBy="Consumer" if seq % 2 else "Agent",
            )
            record["messageRecords"].append(message)
            for status in ("ACCEPT", "READ"):
                record["messageStatuses"].append(
                    {
                        **status_t,
                        "messageId": msg_id,
                        "seq": seq,
                        "timeL": time_l + 300,
                        "messageDeliveryStatus": status,
                    }
                )
            if seq % 4 == 0:
                record["messageScore"].append({**score_t, "messageId": msg_id, "timeL": time_l + 700})
            if seq % 150 == 0:
                record["transfers"].append({**transfer_t, "timeL": time_l})
                record["interactions"].append({**interaction_t, "interactionTimeL": time_l, "interactiveSequence": seq})
                record["agentParticipants"].append({**agent_t, "agentId": str(seq), "timeL": time_l})
            if seq % 60 == 0:
                record["sdes"]["events"].append(copy.deepcopy(auth_events[seq // 60 % len(auth_events)]))
                record["unAuthSdes"]["events"].append(copy.deepcopy(unauth_events[seq // 60 % len(unauth_events)]))
            added.append(message)
            seq += 1
        size = len(json.dumps(payload))
    record["info"]["latestMessageSeq"] = seq - 1  # unknown to the models? kept as extra either way
    return json.dumps(payload).encode()


def _check(raw: bytes) -> dict[str, int]:
    """The model reads every message and dumps back the payload it was given (unknown fields kept)."""
    conv = Conversation.model_validate_json(raw)
    plain = json.loads(raw)
    record = conv.conversation_history_records[0]
    assert len(record.message_records or []) == len(plain["conversationHistoryRecords"][0]["messageRecords"])
    assert conv.model_dump(by_alias=True, mode="json", exclude_unset=True) == plain
    kinds: dict[str, int] = {}
    for m in record.message_records or []:
        kinds[str(m.type)] = kinds.get(str(m.type), 0) + 1
    return kinds


def _time(raw: bytes, rounds: int) -> tuple[list[float], list[float]]:
    """Interleaved timings (each result dropped at once, as a handler would after use)."""
    loads_t: list[float] = []
    model_t: list[float] = []
    pair = ((loads_t, json.loads), (model_t, Conversation.model_validate_json))
    for r in range(rounds):
        for samples, fn in pair if r % 2 == 0 else pair[::-1]:
            start = time.perf_counter()
            fn(raw)
            samples.append(time.perf_counter() - start)
    return loads_t, model_t


def _measure(quick: bool) -> Section:
    section = Section("models", "5. Model validation of a ~5 MB conversation vs json.loads")
    raw = build_conversation()
    kinds = _check(raw)
    rounds = 5 if quick else 15
    gc.collect()  # time on a clean heap: large live object graphs make every GC pass (of both) slower
    loads_t, model_t = _time(raw, rounds)
    ratio = statistics.median(m / j for m, j in zip(model_t, loads_t, strict=True))
    gc.disable()
    try:
        loads_ng, model_ng = _time(raw, max(3, rounds // 3))
    finally:
        gc.enable()
    ratio_ng = statistics.median(m / j for m, j in zip(model_ng, loads_ng, strict=True))
    section.row("payload", f"{len(raw) / 1e6:.2f} MB, {sum(kinds.values())} messages {kinds}")
    section.row("json.loads (median)", f"{statistics.median(loads_t) * 1e3:.1f} ms")
    section.row("Conversation.model_validate_json (median)", f"{statistics.median(model_t) * 1e3:.1f} ms")
    section.row("ratio (median of per-round ratios)", f"{ratio:.2f}x")
    section.row("ratio with the garbage collector off (its share of the cost)", f"{ratio_ng:.2f}x")
    section.metrics = {
        "bytes": len(raw),
        "messages": kinds,
        "rounds": rounds,
        "json_loads_ms": round(statistics.median(loads_t) * 1e3, 2),
        "model_validate_json_ms": round(statistics.median(model_t) * 1e3, 2),
        "ratio": round(ratio, 3),
        "ratio_gc_off": round(ratio_ng, 3),
    }
    section.goal("model_validate_json vs json.loads", round(ratio, 2), GOAL, "x")
    return section


def run(quick: bool = False) -> Section:
    return _measure(quick)


def main(argv: list[str] | None = None) -> int:
    from ._common import section_main

    return section_main(__doc__, run, argv, quick_help="fewer rounds")


if __name__ == "__main__":
    raise SystemExit(main())
