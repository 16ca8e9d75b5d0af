"""1. Per-call overhead: ``lp_client()`` and ``http_client()`` GETs vs. a raw ``aiohttp.ClientSession.get``.

The emulator runs in a child process (``bench/_server.py``), so its CPU stays out of this process; every variant
GETs the same unauthenticated ``/bench/ping`` route through the emulator's proxy middleware, so the server does
the same work for each. The variants, one call at a time (sequential, keep-alive connections):

* ``raw``  — ``aiohttp.ClientSession().get(url)`` + ``read()`` (aiohttp's defaults);
* ``http`` — ``tb.http_client().get(url)``: allowlist, shared limiter (set far above the load), timeout, retries,
  request id, fully read ``HttpResponse``;
* ``lp``   — ``tb.lp_client()(service, "/bench/ping")``: CSDS (cached), the app key (cached), an OAuth 1.0a
  signature per request, the whole-call timeout, plus everything ``http`` does.

Rounds interleave the variants; the ratios are medians of per-round ratios. Two ratios per variant: **wall**
time per call (the goal: what a handler waits; it includes the server's and the kernel's share, the same for
all) and this process's **CPU** time per call (stricter: the client's own cost only).

Run alone: ``python -m bench.bench_overhead [--quick] [--profile]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats

import aiohttp

from lp_toolbelt import LpServices, Toolbelt

from ._common import Section, interleaved, paired_ratio, us
from ._server import PING_PATH, BenchServer

GOAL_LP = 1.3
GOAL_HTTP = 1.15


async def _measure(server: BenchServer, rounds: int, calls: int, profile: bool) -> Section:
    section = Section("overhead", "1. Per-call overhead vs raw aiohttp (sequential GETs, server in another process)")
    url = server.ping_url
    async with aiohttp.ClientSession() as raw, Toolbelt(server.config(rate_limit=1e6)) as tb:
        http = tb.http_client()
        lp = tb.lp_client()

        async def raw_get() -> None:
            async with raw.get(url) as resp:
                await resp.read()

        async def http_get() -> None:
            await http.get(url)

        async def lp_get() -> None:
            await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, PING_PATH)

        # Correctness first: all three reach the route and get its answer.
        async with raw.get(url) as resp:
            expected = await resp.read()
        for got in (await http.get(url), await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, PING_PATH)):
            assert got.status == 200, got
            assert got.content == expected, got

        timings = await interleaved({"raw": raw_get, "http": http_get, "lp": lp_get}, rounds=rounds, calls=calls)

        if profile:
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(3000):
                await lp_get()
            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(30)
            print(out.getvalue())

    raw_t, http_t, lp_t = timings["raw"], timings["http"], timings["lp"]
    http_wall, lp_wall = paired_ratio(http_t.wall, raw_t.wall), paired_ratio(lp_t.wall, raw_t.wall)
    http_cpu, lp_cpu = paired_ratio(http_t.cpu, raw_t.cpu), paired_ratio(lp_t.cpu, raw_t.cpu)
    for name, t in timings.items():
        section.row(f"{name}: wall / client CPU per call (median)", f"{us(t.wall_median)} / {us(t.cpu_median)}")
    section.row("http_client / raw: wall, client CPU", f"{http_wall:.2f}x, {http_cpu:.2f}x")
    section.row("lp_client / raw: wall, client CPU", f"{lp_wall:.2f}x, {lp_cpu:.2f}x")
    section.row("rounds x calls per variant", f"{rounds} x {calls}")
    section.metrics = {
        "rounds": rounds,
        "calls_per_round": calls,
        "us_per_call": {
            name: {"wall": round(t.wall_median * 1e6, 1), "cpu": round(t.cpu_median * 1e6, 1)}
            for name, t in timings.items()
        },
        "ratio_wall": {"http": round(http_wall, 3), "lp": round(lp_wall, 3)},
        "ratio_cpu": {"http": round(http_cpu, 3), "lp": round(lp_cpu, 3)},
    }
    section.goal("lp_client GET wall time vs raw aiohttp", round(lp_wall, 3), GOAL_LP, "x")
    section.goal("http_client GET wall time vs raw aiohttp", round(http_wall, 3), GOAL_HTTP, "x")
    return section


def run(quick: bool = False, profile: bool = False, pin: bool = False) -> Section:
    rounds, calls = (9, 150) if quick else (31, 300)
    with BenchServer(rate_limit=None, pin=pin) as server:
        section = asyncio.run(_measure(server, rounds, calls, profile))
    section.metrics["pinned"] = pin
    return section


def main(argv: list[str] | None = None) -> int:
    from ._common import table

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--profile", action="store_true", help="also cProfile 3000 lp_client calls")
    parser.add_argument("--pin", action="store_true", help="pin the client and the server to separate CPUs")
    args = parser.parse_args(argv)
    section = run(quick=args.quick, profile=args.profile, pin=args.pin)
    print(table([section]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
