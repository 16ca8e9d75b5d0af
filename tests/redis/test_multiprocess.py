"""4 OS processes, one account, one cap (40 req/s) on the emulator's proxy: with Redis the cap holds; without, not.

Each worker is ``tests/redis/_worker.py`` configured from the environment as a deployed function would be. The
emulator (in this process) records every arrival; its proxy answers 429 above its cap (a token bucket of 40).
The measured numbers are printed (``pytest -s``) and quoted in docs/scaling.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lp_toolbelt.emulator import Emulator
from tests.redis.conftest import RedisServer, require_redis_package

require_redis_package()

pytestmark = [pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("_worker.py")
CAP = 40.0
WORKERS = 4
OAUTH2_APP = "lp-faas-oauth2-app"


def worker_env(emu: Emulator, settings: Path, requests: int, redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LP_TOOLBELT_", "X_LIVEPERSON_", "BRAND_ID"))}
    env.update(
        {
            "BRAND_ID": emu.state.account_id,
            "X_LIVEPERSON_CSDS_DOMAIN": emu.host,
            "LP_TOOLBELT_SCHEME": "http",
            "LP_TOOLBELT_RATE_LIMIT": str(CAP),
            "LP_TOOLBELT_SECRETS_FILE": str(settings),
            "LP_TOOLBELT_EXPECTED_WORKERS": str(WORKERS),
            "WORKER_REQUESTS": str(requests),
            "WORKER_CONCURRENCY": "5",
            "WORKER_APP_KEY_SECRET": OAUTH2_APP,  # OAuth2: every worker needs a token (shared through Redis)
            "PYTHONPATH": str(ROOT),
        }
    )
    if redis_url is not None:
        env["LP_TOOLBELT_REDIS_URL"] = redis_url  # from_env: selects rate_limit_backend="redis"
    return env


def write_settings(emu: Emulator, path: Path) -> Path:
    secrets = [{"key": k, "value": v} for k, v in emu.state.secrets.items()]
    path.write_text(json.dumps({"secrets": secrets, "whitelist": [*emu.state.whitelist, emu.host]}))
    return path


async def run_workers(
    emu: Emulator,
    tmp_path: Path,
    requests: int,
    redis_url: str | None,
    during: Callable[[], Any] | None = None,
    during_after: float = 1.0,
) -> list[dict[str, Any]]:
    """Start WORKERS processes, release them together, return their reports (``during`` runs mid-run)."""
    env = worker_env(emu, write_settings(emu, tmp_path / "settings.json"), requests, redis_url)
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(WORKER),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        for _ in range(WORKERS)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line.strip() == b"ready", line
        emu.state.clear_requests()
        emu.state.bucket.reset()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
        if during is not None:
            await asyncio.sleep(during_after)
            during()
        outputs = await asyncio.wait_for(asyncio.gather(*(proc.communicate() for proc in procs)), 45)
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    reports = []
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode(errors="replace")[-3000:]
        reports.append(json.loads(out.decode().strip().splitlines()[-1]))
    return reports


def summary(emu: Emulator, reports: list[dict[str, Any]]) -> dict[str, Any]:
    results: Counter[str] = Counter()
    for report in reports:
        results.update(report["results"])
    log = emu.state.requests
    return {
        "results": dict(results),
        "arrivals": len(log),
        "max_in_1s": emu.state.max_in_window(1.0),
        "answered_429": sum(1 for r in log if r.rate_limited),
        "csds_fetches": emu.state.count("csds"),
        "token_fetches": emu.state.count("sentinel"),
        "span_s": round(max(r.time for r in log) - min(r.time for r in log), 2),
    }


async def test_redis_holds_the_cap_across_processes(redis_url: str, tmp_path: Path) -> None:
    async with Emulator(rate_limit=CAP) as emu:
        reports = await run_workers(emu, tmp_path, 60, redis_url)
        stats = summary(emu, reports)
    print(f"\n[redis limiter] {WORKERS} processes x 60 requests, cap {CAP:g}/s: {stats}")
    assert all(r["limiter"] == "RedisRateLimiter" for r in reports)
    assert stats["results"] == {"200": WORKERS * 60}
    assert stats["answered_429"] == 0
    assert stats["max_in_1s"] <= CAP + 1
    # The caches are shared too: one CSDS fetch and one token fetch for the 4 processes.
    assert stats["csds_fetches"] == 1
    assert stats["token_fetches"] == 1
    assert all(r["fallback_acquisitions"] == 0 for r in reports)


async def test_in_process_limiters_overshoot_the_cap(tmp_path: Path) -> None:
    """The reason the Redis backend exists: 4 processes pacing themselves at the cap send 4x the cap."""
    async with Emulator(rate_limit=CAP) as emu:
        reports = await run_workers(emu, tmp_path, 60, None)
        stats = summary(emu, reports)
    print(f"\n[local limiter] {WORKERS} processes x 60 requests, cap {CAP:g}/s: {stats}")
    assert all(r["limiter"] == "LocalRateLimiter" for r in reports)
    assert stats["max_in_1s"] > 2 * CAP
    assert stats["answered_429"] > 0
    assert stats["csds_fetches"] == WORKERS  # and every process fetches CSDS and its token itself
    assert stats["token_fetches"] == WORKERS


async def test_redis_killed_mid_run_falls_back_without_losing_a_request(
    redis_factory: Callable[[], RedisServer], tmp_path: Path
) -> None:
    server = redis_factory()  # a dedicated server: this test kills it
    async with Emulator(rate_limit=CAP) as emu:
        reports = await run_workers(emu, tmp_path, 40, server.url, during=server.kill, during_after=1.0)
        stats = summary(emu, reports)
    print(f"\n[redis killed after 1 s] {WORKERS} processes x 40 requests, cap {CAP:g}/s: {stats}")
    print(f"  fallback acquisitions per worker: {[r['fallback_acquisitions'] for r in reports]}")
    assert stats["results"] == {"200": WORKERS * 40}  # no request lost
    assert all(r["degraded"] for r in reports)  # every worker saw Redis go and fell back...
    assert all(r["fallback_acquisitions"] > 0 for r in reports)  # ...and kept sending through the fallback
    assert stats["max_in_1s"] <= 2 * CAP  # the fallback paces at cap / expected_workers: no free-for-all
