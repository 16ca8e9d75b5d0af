"""``python -m bench`` (``make bench``): run the bench sections, print the table, write ``bench/results.json``.

    python -m bench                      # every section (~6-8 minutes on 2 cores; dense alone ~4)
    python -m bench overhead limiter     # some sections (the others keep their last results in the JSON)
    python -m bench --quick              # smaller runs, for a smoke test

Sections: overhead, keywords, limiter, stampede, models, gdpr, otel, dense, coldstart (see bench/README.md). The
exit status is 0 even when a goal is not met (the table and the JSON say which); it is 1 when a section fails to run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import (
    bench_coldstart,
    bench_dense,
    bench_gdpr,
    bench_keywords,
    bench_limiter,
    bench_models,
    bench_otel,
    bench_overhead,
    bench_stampede,
)
from ._common import Section, machine, table

SECTIONS: dict[str, Callable[[bool], Section]] = {
    "overhead": lambda quick: bench_overhead.run(quick=quick),
    "keywords": lambda quick: bench_keywords.run(quick=quick),
    "limiter": lambda quick: bench_limiter.run(quick=quick),
    "stampede": lambda quick: bench_stampede.run(quick=quick),
    "models": lambda quick: bench_models.run(quick=quick),
    "gdpr": lambda quick: bench_gdpr.run(quick=quick),
    "otel": lambda quick: bench_otel.run(quick=quick),
    "dense": lambda quick: bench_dense.run(quick=quick),
    "coldstart": lambda quick: bench_coldstart.run(quick=quick),
}
RESULTS = Path(__file__).resolve().parent / "results.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("sections", nargs="*", metavar="section", help=f"any of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller runs (a smoke test, not for the record)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"results file (default: {RESULTS.name})")
    args = parser.parse_args(argv)
    names: list[str] = args.sections or list(SECTIONS)
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")

    info = machine()
    print(
        f"lp-toolbelt bench on {info['cpu']} ({info['cores']} cores), Python {info['python']}, "
        f"aiohttp {info['packages']['aiohttp']}; load average {info['load_average_at_start']}"
    )
    done: list[Section] = []
    failed: list[str] = []
    total = time.perf_counter()
    for name in names:
        print(f"-- {name} ...", flush=True)
        start = time.perf_counter()
        try:
            section = SECTIONS[name](args.quick)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        section.seconds = time.perf_counter() - start
        done.append(section)
        print(table([section]).rsplit("\n", 2)[0], flush=True)

    results: dict[str, Any] = {}
    if args.output.exists():
        try:
            results = json.loads(args.output.read_text(encoding="utf-8"))
        except ValueError:
            results = {}
    results.setdefault("sections", {})
    for section in done:
        entry = section.as_dict()
        entry["quick"] = args.quick
        entry["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        results["sections"][section.key] = entry
    results["machine"] = info
    results["generated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    print()
    print(table(done))
    print(f"total {time.perf_counter() - total:.0f} s; results in {args.output}")
    if failed:
        print(f"sections that failed to run: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
