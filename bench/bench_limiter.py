"""3. Limiter: the shared rate cap under 10× more concurrent callers than the cap.

The emulator (another process) applies the FaaS proxy's cap (token bucket: a burst above the cap gets ``429``);
the Toolbelt's limiter is set to the same cap. ``10 × cap`` tasks call in a loop — half ``http_client().get``,
half ``lp_client()(...)`` (signed, CSDS included), all sharing the one limiter — for a fixed time, then are
cancelled (the limiter must survive that). From the emulator's arrival log:

* **achieved rate** — ``(arrivals - 1) / (last - first)``: within 2 % of the cap;
* **max starts in any 1 s window** (half-open ``[t, t + 1)``, as ``EmulatorState.max_in_window``): ≤ cap + 1.
  A *start* is the moment the limiter lets a request go (recorded by a thin wrapper around the very limiter the
  Toolbelt would build, ``make_limiter(cap)``); the arrivals at the proxy are reported too — they carry the
  client's and the server's scheduling jitter on top, which the proxy's bucket absorbs;
* **429s from the proxy**: 0.

Run alone: ``python -m bench.bench_limiter [--quick]``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

from lp_toolbelt import LpServices, Toolbelt, ToolbeltError
from lp_toolbelt.toolbelt import make_limiter
from lp_toolbelt.transport.limiter import RateLimiter

from ._common import Section
from ._server import PING_PATH, BenchServer

CAPS = (20, 200)
CALLERS_PER_CAP = 10


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most arrivals in any half-open window ``[t, t + window)``."""
    times = sorted(times)
    best = start = 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


class RecordingLimiter:
    """The Toolbelt's own limiter, recording when each acquisition is granted (monotonic seconds)."""

    def __init__(self, inner: RateLimiter) -> None:
        self.inner = inner
        self.starts: list[float] = []

    async def acquire(self) -> None:
        await self.inner.acquire()
        self.starts.append(time.monotonic())

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _drive(
    server: BenchServer, cap: int, seconds: float
) -> tuple[Counter[str], int, dict[str, Any], list[float]]:
    outcomes: Counter[str] = Counter()
    limiter = RecordingLimiter(make_limiter(float(cap)))
    async with Toolbelt(server.config(rate_limit=float(cap)), limiter=limiter) as tb:
        http = tb.http_client()
        lp = tb.lp_client()
        url = server.ping_url

        async def caller(i: int) -> None:
            while True:
                try:
                    if i % 2:
                        resp = await http.get(url)
                    else:
                        resp = await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, PING_PATH)
                    outcomes[str(resp.status)] += 1
                except ToolbeltError as err:
                    outcomes[err.code] += 1

        tasks = [asyncio.ensure_future(caller(i)) for i in range(CALLERS_PER_CAP * cap)]
        await asyncio.sleep(seconds)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        stats = server.stats(times=True)
        starts = list(limiter.starts)
        # The limiter still works after 10×cap waiters were cancelled.
        after = await http.get(url)
        assert after.status == 200, after
    return outcomes, CALLERS_PER_CAP * cap, stats, starts


async def _measure(quick: bool) -> Section:
    section = Section("limiter", "3. Limiter: shared cap with 10x more concurrent callers (emulator proxy enforcing)")
    durations = {20: 5.0, 200: 3.0} if quick else {20: 10.0, 200: 6.0}
    with BenchServer(rate_limit=None) as server:
        for cap in CAPS:
            server.reset(rate_limit=float(cap))
            outcomes, callers, stats, starts = await _drive(server, cap, durations[cap])
            times = sorted(stats["times"])
            span = times[-1] - times[0]
            rate = (len(times) - 1) / span if span > 0 else float("inf")
            window = max_in_window(starts)
            arrivals_window = max_in_window(times)
            limited = int(stats["rate_limited"])
            section.row(
                f"cap {cap}/s, {callers} callers, {durations[cap]:g} s",
                f"{len(times)} requests, {rate:.2f} req/s ({(rate / cap - 1) * 100:+.2f} %), {limited} x 429",
            )
            section.row(
                f"cap {cap}/s: max in any 1 s window, starts / proxy arrivals",
                f"{window} / {arrivals_window}; outcomes {dict(outcomes)}",
            )
            section.metrics[f"cap_{cap}"] = {
                "callers": callers,
                "seconds": durations[cap],
                "requests": len(times),
                "achieved_rate": round(rate, 3),
                "rate_error_pct": round((rate / cap - 1) * 100, 3),
                "max_starts_in_1s_window": window,
                "max_arrivals_in_1s_window": arrivals_window,
                "proxy_429": limited,
                "client_outcomes": dict(outcomes),
            }
            section.goal(f"cap {cap}: |achieved rate / cap - 1|", round(abs(rate / cap - 1) * 100, 2), 2.0, " %")
            section.goal(f"cap {cap}: max starts in any 1 s window", window, cap + 1)
            section.goal(f"cap {cap}: 429s from the proxy", limited, 0)
    return section


def run(quick: bool = False) -> Section:
    return asyncio.run(_measure(quick))


def main(argv: list[str] | None = None) -> int:
    from ._common import section_main

    return section_main(__doc__, run, argv, quick_help="shorter runs")


if __name__ == "__main__":
    raise SystemExit(main())
