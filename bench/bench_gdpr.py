"""6. GDPR fan-out: replace 1000 conversation files at a 200 req/s cap.

The emulator (another process) runs its Swift object storage behind the FaaS proxy with a 200 req/s cap; the
Toolbelt's limiter is set to the same cap. ``gdpr_util().replace_conversation_files`` gets a conversation with
1000 ``HOSTED_FILE`` messages: one CSDS lookup, one Swift auth, then 1000 PUTs (8 in flight, the default), all
through the shared limiter. The floor is the cap itself: 1000 PUTs need ``1000 / 200 = 5 s``.

Goals: wall time within 10 % of ``1000 / 200`` s (≤ 5.5 s), all 1000 files replaced (the emulator stores each
body), no failure and no ``429``.

Run alone: ``python -m bench.bench_gdpr``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from lp_toolbelt import Conversation, Toolbelt

from ._common import Section
from ._server import BenchServer

FILES = 1000
CAP = 200
SWIFT_CREDENTIALS = {"username": "swift-user", "password": "swift-key"}  # the emulator's default Swift account


def conversation(files: int, account: str) -> Conversation:
    """A conversation whose transcript holds ``files`` hosted files among text messages."""
    records: list[dict[str, Any]] = []
    for i in range(files):
        records.append(
            {
                "type": "TEXT_PLAIN",
                "messageData": {"msg": {"text": f"here is picture {i}"}},
                "seq": 2 * i,
                "timeL": 1_700_000_000_000 + 2 * i,
                "sentBy": "Consumer",
            }
        )
        records.append(
            {
                "type": "HOSTED_FILE",
                "messageData": {
                    "file": {"caption": f"picture {i}", "relativePath": f"/v1/AUTH_{account}/bench/{i:04d}.png"}
                },
                "seq": 2 * i + 1,
                "timeL": 1_700_000_000_000 + 2 * i + 1,
                "sentBy": "Consumer",
            }
        )
    return Conversation.model_validate({"conversationHistoryRecords": [{"messageRecords": records}]})


async def _measure() -> Section:
    section = Section("gdpr", f"6. GDPR fan-out: {FILES} files at a {CAP} req/s cap")
    with BenchServer(rate_limit=float(CAP)) as server:
        conv = conversation(FILES, server.info["account_id"])
        async with Toolbelt(server.config(rate_limit=float(CAP))) as tb:
            gdpr = tb.gdpr_util()
            start = time.perf_counter()
            replaced = await gdpr.replace_conversation_files(conv, SWIFT_CREDENTIALS)
            seconds = time.perf_counter() - start
        stats = server.stats()
    ideal = FILES / CAP
    puts = stats["by_route"].get("swift_object", 0)
    section.row(
        "wall time / floor (1000 / 200 s)", f"{seconds:.2f} s / {ideal:.2f} s ({(seconds / ideal - 1) * 100:+.1f} %)"
    )
    section.row("replaced, PUTs at the emulator, requests in all", f"{len(replaced)}, {puts}, {stats['count']}")
    section.row("statuses at the emulator", str(stats["status"]))
    section.metrics = {
        "files": FILES,
        "cap": CAP,
        "seconds": round(seconds, 3),
        "floor_seconds": ideal,
        "replaced": len(replaced),
        "requests": stats["count"],
        "statuses": stats["status"],
        "proxy_429": stats["rate_limited"],
    }
    section.goal("wall time vs 1000/200 s", round((seconds / ideal - 1) * 100, 1), 10.0, " %")
    section.goal("files not replaced", FILES - len(set(replaced)), 0)
    section.goal("429s from the proxy", int(stats["rate_limited"]), 0)
    return section


def run(quick: bool = False) -> Section:
    return asyncio.run(_measure())


def main(argv: list[str] | None = None) -> int:
    from ._common import section_main

    return section_main(__doc__, run, argv, quick_help=None)


if __name__ == "__main__":
    raise SystemExit(main())
