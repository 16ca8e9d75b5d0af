"""8. Cold start: importing lp_toolbelt vs importing its dependencies, and the first LP call of a fresh process.

Function-style handlers may start a process per invocation, so what an import costs is paid on every call. Each
variant runs in fresh interpreters (``python -c``), interleaved, best of 5; the time is measured inside the child
around the import statement (the interpreter's own start-up is the same for all and left out):

* ``deps``    — ``import aiohttp, pydantic, aiolimiter, oauthlib, yarl`` (lp_toolbelt's dependencies); and, for
  reference, the same plus one ``pydantic.BaseModel`` subclass (pydantic loads its model machinery on the first);
* ``import``  — ``import lp_toolbelt`` (the goal: ≤ 1.25× ``deps``);
* ``handler`` — ``from lp_toolbelt import Toolbelt, ToolbeltConfig, LpServices`` (what a handler imports: this loads
  the Toolbelt, its transport and the LP client, and nothing it does not use — no emulator, Salesforce, Context
  Session Store, GDPR, conversation models, Redis, CLI, nor oauthlib until an OAuth 1.0 key signs);
* ``first LP call`` — from the first statement of a fresh process to the answer of one signed
  ``lp_client()`` GET against the emulator in another process (``bench/_server.py``): imports, config, CSDS
  lookup, app key, OAuth signature, the request. Compared with a fresh process doing one raw ``aiohttp`` GET.

Then ``python -X importtime`` of the handler's import shows where the time goes (own modules vs dependencies).

Run alone: ``python -m bench.bench_coldstart [--quick]``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any

from ._common import ROOT, Section
from ._server import PING_PATH, BenchServer

GOAL = 1.25
DEPS = "import aiohttp, pydantic, aiolimiter, oauthlib, yarl"
# pydantic imports its model machinery lazily, on the first BaseModel (~+70 ms here): what any pydantic user pays
DEPS_MODEL = f"{DEPS}\nclass Model(pydantic.BaseModel):\n    x: int"
IMPORTS = {
    "deps": DEPS,
    "deps+model": DEPS_MODEL,
    "import": "import lp_toolbelt",
    "handler": "from lp_toolbelt import Toolbelt, ToolbeltConfig, LpServices",
}
_TIMED = "import time\nstart = time.perf_counter()\n{code}\nprint(time.perf_counter() - start)\n"

_FIRST_LP_CALL = """
import time
start = time.perf_counter()
import asyncio, json, sys
from lp_toolbelt import LpServices, Toolbelt, ToolbeltConfig
imported = time.perf_counter()

async def main():
    global built
    async with Toolbelt(ToolbeltConfig(**json.loads(sys.argv[1]))) as tb:
        built = time.perf_counter()
        resp = await tb.lp_client()(LpServices.ACCOUNT_CONFIG_READ_ONLY, sys.argv[2])
        assert resp.status == 200, resp

asyncio.run(main())
done = time.perf_counter()
print(imported - start, built - imported, done - built, done - start)
"""
_FIRST_RAW_GET = """
import time
start = time.perf_counter()
import asyncio, sys
import aiohttp

async def main():
    async with aiohttp.ClientSession() as session, session.get(sys.argv[1]) as resp:
        await resp.read()
        assert resp.status == 200, resp

asyncio.run(main())
print(time.perf_counter() - start)
"""


def _child(code: str, *args: str, importtime: bool = False) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", code, *args]
    return subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)


def _best_of(repeat: int, variants: dict[str, tuple[str, ...]]) -> dict[str, list[list[float]]]:
    """Seconds per run of each variant's child, measured inside it (the last number printed is the total; others
    are its parts); the variants interleaved, order alternating."""
    runs: dict[str, list[list[float]]] = {name: [] for name in variants}
    names = list(variants)
    for round_ in range(repeat):
        for name in names if round_ % 2 == 0 else names[::-1]:
            code, *args = variants[name]
            runs[name].append([float(x) for x in _child(code, *args).stdout.split()])
    return runs


def _best(runs: list[list[float]]) -> list[float]:
    """The run with the shortest total (last number)."""
    return min(runs, key=lambda run: run[-1])


def import_profile(code: str) -> dict[str, Any]:
    """``-X importtime`` of ``code``: total self time per top-level package, and lp_toolbelt's costliest modules."""
    lines = _child(code, importtime=True).stderr.splitlines()
    by_package: dict[str, float] = defaultdict(float)
    own: list[tuple[float, str]] = []
    for line in lines:
        if not line.startswith("import time:") or "|" not in line or "self [us]" in line:
            continue
        self_us, _cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
        seconds = int(self_us) / 1e6
        package = name.split(".")[0]
        by_package[package] += seconds
        if package == "lp_toolbelt":
            own.append((seconds, name))
    top = sorted(by_package.items(), key=lambda item: -item[1])
    return {
        "total_s": round(sum(by_package.values()), 4),
        "lp_toolbelt_s": round(by_package.get("lp_toolbelt", 0.0), 4),
        "packages_s": {name: round(s, 4) for name, s in top[:12]},
        "own_modules_s": {name: round(s, 4) for s, name in sorted(own, reverse=True)[:8]},
    }


def _measure(quick: bool) -> Section:
    section = Section("coldstart", "8. Cold start: import lp_toolbelt vs its dependencies, first LP call")
    repeat = 3 if quick else 5
    runs = _best_of(repeat, {name: (_TIMED.format(code=code),) for name, code in IMPORTS.items()})
    best = {name: _best(times)[-1] for name, times in runs.items()}
    import_ratio = best["import"] / best["deps"]
    handler_ratio = best["handler"] / best["deps"]
    model_ratio = best["handler"] / best["deps+model"]
    section.row(f"deps: {DEPS} (best of {repeat})", f"{best['deps'] * 1e3:.1f} ms")
    section.row("deps + defining one pydantic model (pydantic's model machinery)", f"{best['deps+model'] * 1e3:.1f} ms")
    section.row("import lp_toolbelt", f"{best['import'] * 1e3:.1f} ms = {import_ratio:.2f}x deps")
    section.row(
        f"handler: {IMPORTS['handler']}",
        f"{best['handler'] * 1e3:.1f} ms = {handler_ratio:.2f}x deps, {model_ratio:.2f}x deps + model",
    )

    with BenchServer(rate_limit=None) as server:
        config = server.config(rate_limit=1e6).model_dump(mode="json")
        first = _best_of(
            repeat,
            {
                "lp": (_FIRST_LP_CALL, json.dumps(config), PING_PATH),
                "raw": (_FIRST_RAW_GET, server.ping_url),
            },
        )
    (lp_import, lp_build, lp_call, first_lp), first_raw = _best(first["lp"]), _best(first["raw"])[-1]
    section.row(
        "first signed lp_client() GET from a fresh process (emulator in another process)",
        f"{first_lp * 1e3:.1f} ms (a raw aiohttp GET: {first_raw * 1e3:.1f} ms)",
    )
    section.row(
        "  its parts: imports / config + Toolbelt / CSDS + app key + signed GET",
        f"{lp_import * 1e3:.1f} / {lp_build * 1e3:.1f} / {lp_call * 1e3:.1f} ms",
    )

    start = time.perf_counter()
    profile = import_profile(IMPORTS["handler"])
    section.row(
        "  -X importtime of the handler import: lp_toolbelt's own modules / all",
        f"{profile['lp_toolbelt_s'] * 1e3:.1f} ms / {profile['total_s'] * 1e3:.1f} ms (self times, one run)",
    )
    own = profile["own_modules_s"].items()
    costliest = ", ".join(f"{name.removeprefix('lp_toolbelt.')} {s * 1e3:.1f}" for name, s in own)
    section.row("  own modules by self time (ms)", costliest)
    packages = ", ".join(f"{name} {s * 1e3:.0f}" for name, s in list(profile["packages_s"].items())[:8])
    section.row("  packages by self time (ms)", packages)
    section.metrics = {
        "repeat": repeat,
        "import_s": {name: [round(t[-1], 4) for t in times] for name, times in runs.items()},
        "import_ratio": round(import_ratio, 3),
        "handler_ratio": round(handler_ratio, 3),
        "handler_ratio_to_deps_and_model": round(model_ratio, 3),
        "first_lp_call_s": [[round(x, 4) for x in t] for t in first["lp"]],
        "first_raw_get_s": [round(t[-1], 4) for t in first["raw"]],
        "profile": profile,
        "profile_seconds": round(time.perf_counter() - start, 2),
    }
    section.goal("import lp_toolbelt vs its dependencies", round(import_ratio, 2), GOAL, "x")
    return section


def run(quick: bool = False) -> Section:
    return _measure(quick)


def main(argv: list[str] | None = None) -> int:
    from ._common import section_main

    return section_main(__doc__, run, argv, quick_help="best of 3 instead of 5")


if __name__ == "__main__":
    raise SystemExit(main())
