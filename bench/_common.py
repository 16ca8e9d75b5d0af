"""Shared bench helpers: interleaved timing, results, the machine description, the table.

Every section returns a :class:`Section`: measured ``metrics`` (plain numbers, for ``results.json``) and ``goals``
(a measured value against a target, met or not). The machines are shared and noisy, so sections compare
variants *side by side in one run*: rounds interleave the variants (A B C, then C B A, ...) and report medians of
per-round ratios, which drift and neighbours affect far less than absolute times.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Goal:
    """A measured value against a target: ``value <= limit`` (``>= limit`` when ``at_least``, ``==`` when ``exact``)."""

    name: str
    value: float
    limit: float
    unit: str = ""
    at_least: bool = False
    exact: bool = False

    @property
    def met(self) -> bool:
        if self.exact:
            return self.value == self.limit
        return self.value >= self.limit if self.at_least else self.value <= self.limit

    @property
    def target(self) -> str:
        op = "=" if self.exact else ("≥" if self.at_least else "≤")
        return f"{op} {_fmt(self.limit)}{self.unit}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "target": self.target,
            "limit": self.limit,
            "unit": self.unit,
            "met": self.met,
        }


@dataclass
class Section:
    """One bench section's outcome."""

    key: str
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)  # (label, formatted value) for the table
    metrics: dict[str, Any] = field(default_factory=dict)  # raw numbers for results.json
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def row(self, label: str, value: str) -> None:
        self.rows.append((label, value))

    def goal(
        self, name: str, value: float, limit: float, unit: str = "", *, at_least: bool = False, exact: bool = False
    ) -> Goal:
        g = Goal(name, value, limit, unit, at_least, exact)
        self.goals.append(g)
        return g

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "seconds": round(self.seconds, 2),
            "metrics": self.metrics,
            "goals": [g.as_dict() for g in self.goals],
            "notes": self.notes,
        }


def _fmt(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


# ------------------------------------------------------------------------------------------------ timing
@dataclass
class Timing:
    """Per-round samples of one variant: seconds of wall time and of this process's CPU time per operation."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def wall_median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


async def interleaved(
    variants: dict[str, Callable[[], Awaitable[object]]],
    *,
    rounds: int,
    calls: int,
    warmup: int = 200,
) -> dict[str, Timing]:
    """Run each variant ``calls`` times in a row, for ``rounds`` rounds, alternating the order every round.

    Returns per-variant samples of wall and CPU seconds per call (one sample per round).
    """
    names = list(variants)
    for name in names:
        fn = variants[name]
        for _ in range(warmup):
            await fn()
    out = {name: Timing() for name in names}
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            fn = variants[name]
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(calls):
                await fn()
            w1, c1 = time.perf_counter(), time.process_time()
            out[name].wall.append((w1 - w0) / calls)
            out[name].cpu.append((c1 - c0) / calls)
    return out


def paired_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """The median over rounds of ``a[i] / b[i]`` (both measured in the same round)."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """The shortest wall time of ``repeat`` runs of ``fn`` and the last result."""
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


# ------------------------------------------------------------------------------------------------ machine
def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for dist in ("aiohttp", "yarl", "multidict", "pydantic", "pydantic-core", "oauthlib", "aiolimiter"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "load_average_at_start": [round(x, 2) for x in load],
        "packages": versions,
    }


# ------------------------------------------------------------------------------------------------ output
def table(sections: Sequence[Section]) -> str:
    """The results as a plain-text table (measurements, then goals)."""
    lines: list[str] = []
    width = 62
    for s in sections:
        lines.append(f"== {s.title}  ({s.seconds:.1f} s)")
        for label, value in s.rows:
            lines.append(f"   {label:<{width}} {value}")
        for g in s.goals:
            mark = "MET" if g.met else "NOT MET"
            lines.append(f"   goal: {g.name:<{width - 6}} {_fmt(g.value)}{g.unit}  (target {g.target})  {mark}")
        for note in s.notes:
            lines.append(f"   note: {note}")
        lines.append("")
    goals = [g for s in sections for g in s.goals]
    met = sum(g.met for g in goals)
    lines.append(f"goals met: {met}/{len(goals)}")
    return "\n".join(lines)


def us(seconds: float) -> str:
    """Seconds as a microsecond figure."""
    return f"{seconds * 1e6:.1f} µs"


def section_main(doc: str | None, run: Callable[..., Section], argv: list[str] | None, quick_help: str | None) -> int:
    """The command line of one section run alone: ``--quick`` (when the section has a shorter mode), print its table."""
    import argparse

    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    if quick_help is not None:
        parser.add_argument("--quick", action="store_true", help=quick_help)
    args = parser.parse_args(argv)
    print(table([run(quick=bool(getattr(args, "quick", False)))]))
    return 0
