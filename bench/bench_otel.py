"""7. Telemetry cost: the overhead section's GETs with OpenTelemetry absent, installed but not configured, and
configured (SDK with a no-op exporter).

* **off** — ``opentelemetry`` not importable (a child process blocks it, as without the ``otel`` extra): the
  ``http_client`` and ``lp_client`` ratios to raw aiohttp, measured side by side in that process;
* **api** — the API (and the SDK) installed, no provider configured: what the ``overhead`` gates measure;
* **sdk** — an SDK ``TracerProvider`` (batch processor, an exporter that drops everything) and ``MeterProvider``
  (a periodic reader with a no-op exporter, 60 s): every call makes its spans and records its metrics.

``api`` and ``sdk`` run interleaved in one process (the API's global providers are swapped before each call), so
their ratios to raw aiohttp, and to each other, are same-run ratios.

Run alone: ``python -m bench.bench_otel [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp

from ._common import Section, interleaved, paired_ratio, us
from ._server import PING_PATH, BenchServer

ROOT = Path(__file__).resolve().parent.parent
_OFF_CHILD = """
import sys, json
sys.modules["opentelemetry"] = None  # as without the otel extra
from bench import bench_otel
print(json.dumps(bench_otel.off_ratios(int(sys.argv[1]), int(sys.argv[2]))))
"""


def _noop_sdk() -> tuple[Any, Any]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, PeriodicExportingMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class DropSpans(SpanExporter):
        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    class DropMetrics(MetricExporter):
        def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
            return MetricExportResult.SUCCESS

        def force_flush(self, timeout_millis: float = 10_000) -> bool:
            return True

        def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
            return None

    tracer_provider = TracerProvider(shutdown_on_exit=False)
    tracer_provider.add_span_processor(BatchSpanProcessor(DropSpans()))
    reader = PeriodicExportingMetricReader(DropMetrics(), export_interval_millis=60_000)
    return tracer_provider, MeterProvider(metric_readers=[reader], shutdown_on_exit=False)


def _providers_switch() -> tuple[Callable[[], None], Callable[[], None], Callable[[], None]]:
    """``(use none, use the no-op SDK, shut the SDK down)`` on the API's global providers."""
    import opentelemetry.metrics._internal as metric_globals
    import opentelemetry.trace as trace_globals

    tracer_provider, meter_provider = _noop_sdk()
    saved = trace_globals._TRACER_PROVIDER, metric_globals._METER_PROVIDER

    def none() -> None:
        trace_globals._TRACER_PROVIDER, metric_globals._METER_PROVIDER = saved

    def sdk() -> None:
        trace_globals._TRACER_PROVIDER = tracer_provider
        metric_globals._METER_PROVIDER = meter_provider

    def close() -> None:
        none()
        tracer_provider.shutdown()
        meter_provider.shutdown()

    return none, sdk, close


async def _measure(server: BenchServer, rounds: int, calls: int, with_sdk: bool) -> dict[str, Any]:
    from lp_toolbelt import LpServices, Toolbelt

    url = server.ping_url
    switch = _providers_switch() if with_sdk else None
    async with aiohttp.ClientSession() as raw, Toolbelt(server.config(rate_limit=1e6)) as tb:
        http, lp = tb.http_client(), tb.lp_client()

        async def raw_get() -> None:
            async with raw.get(url) as resp:
                await resp.read()

        variants: dict[str, Any] = {"raw": raw_get}
        modes: list[tuple[str, Callable[[], None] | None]] = (
            [("api", switch[0]), ("sdk", switch[1])] if switch is not None else [("off", None)]
        )
        for mode, use in modes:

            def bind(use: Callable[[], None] | None) -> tuple[Any, Any]:
                async def http_get() -> None:
                    if use is not None:
                        use()
                    await http.get(url)

                async def lp_get() -> None:
                    if use is not None:
                        use()
                    await lp(LpServices.ACCOUNT_CONFIG_READ_ONLY, PING_PATH)

                return http_get, lp_get

            variants[f"http {mode}"], variants[f"lp {mode}"] = bind(use)
        try:
            timings = await interleaved(variants, rounds=rounds, calls=calls)
        finally:
            if switch is not None:
                switch[2]()
    raw_t = timings["raw"]
    return {
        name: {
            "wall": paired_ratio(t.wall, raw_t.wall),
            "cpu": paired_ratio(t.cpu, raw_t.cpu),
            "us_wall": t.wall_median * 1e6,
            "us_cpu": t.cpu_median * 1e6,
        }
        for name, t in timings.items()
    }


def off_ratios(rounds: int, calls: int) -> dict[str, Any]:
    """The child process's measure (OpenTelemetry blocked)."""
    with BenchServer(rate_limit=None) as server:
        return asyncio.run(_measure(server, rounds, calls, with_sdk=False))


def run(quick: bool = False) -> Section:
    rounds, calls = (7, 150) if quick else (21, 300)
    section = Section("otel", "7. Telemetry cost: off / API only / SDK with a no-op exporter (ratios to raw aiohttp)")
    child = subprocess.run(
        [sys.executable, "-c", _OFF_CHILD, str(rounds), str(calls)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    off = json.loads(child.stdout.strip().splitlines()[-1])
    with BenchServer(rate_limit=None) as server:
        on = asyncio.run(_measure(server, rounds, calls, with_sdk=True))
    for client in ("http", "lp"):
        o, a, s = off[f"{client} off"], on[f"{client} api"], on[f"{client} sdk"]
        section.row(
            f"{client}_client / raw, wall: off | api | sdk",
            f"{o['wall']:.2f}x | {a['wall']:.2f}x | {s['wall']:.2f}x",
        )
        section.row(
            f"{client}_client / raw, client CPU: off | api | sdk",
            f"{o['cpu']:.2f}x | {a['cpu']:.2f}x | {s['cpu']:.2f}x",
        )
        section.row(
            f"{client}_client client CPU per call: api | sdk",
            f"{us(a['us_cpu'] / 1e6)} | {us(s['us_cpu'] / 1e6)}",
        )
    section.row("rounds x calls per variant", f"{rounds} x {calls}")
    section.metrics = {"rounds": rounds, "calls_per_round": calls, "off": off, "on": on}
    # No goal here: the gates are the overhead section's (measured with the API installed and no SDK); this
    # section reports what configuring an SDK costs.
    return section


def main(argv: list[str] | None = None) -> int:
    from ._common import table

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args(argv)
    print(table([run(quick=args.quick)]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
