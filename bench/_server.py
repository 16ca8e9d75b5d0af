"""The emulator in a separate process, so its CPU stays out of the client's measurements.

The child serves the real emulator application (proxy middleware: request log, allowlist, rate cap; every route)
plus ``GET /bench/ping`` — an unauthenticated route both a raw ``aiohttp`` GET and a signed ``lp_client()`` GET
can hit, so the server does the same work for both. A second, control application on another port (outside the
proxy: it never counts against the cap) reports the request log and resets the state between runs.

Example::

    with BenchServer(rate_limit=None) as server:
        config = server.config(rate_limit=1e6)
        stats = server.stats()          # {"count": ..., "status": {...}, "times": [...], ...}
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import multiprocessing.connection
import os
import time
from collections import Counter
from types import TracebackType
from typing import Any, Self
from urllib.request import Request as _UrlRequest
from urllib.request import urlopen

from lp_toolbelt import ToolbeltConfig
from lp_toolbelt._constants import DEFAULT_ALLOWLIST

PING_PATH = "/bench/ping"
PING_ROUTE = "bench-ping"
# A small, realistic JSON body (a skills list), the same for every request.
PING_BODY = json.dumps(
    [{"id": 1000 + i, "name": f"skill-{i}", "description": "bench", "maxWaitTime": 120} for i in range(4)]
).encode()


async def _serve(conn: multiprocessing.connection.Connection, rate_limit: float | None) -> None:
    from aiohttp import web

    from lp_toolbelt.emulator import EmulatorState, build_app

    state = EmulatorState.from_settings(None, rate_limit=rate_limit)
    app = build_app(state)

    async def ping(request: web.Request) -> web.Response:
        return web.Response(body=PING_BODY, content_type="application/json")

    app.router.add_get(PING_PATH, ping, name=PING_ROUTE)
    stop = asyncio.Event()

    async def stats(request: web.Request) -> web.Response:
        route = request.query.get("route")
        records = [r for r in state.requests if route is None or r.route == route]
        by_route = Counter(r.route or "" for r in state.requests)
        return web.json_response(
            {
                "count": len(records),
                "status": dict(Counter(str(r.status) for r in records)),
                "rate_limited": sum(1 for r in records if r.rate_limited),
                "times": [r.time for r in records] if request.query.get("times") else [],
                "by_route": dict(by_route),
            }
        )

    async def reset(request: web.Request) -> web.Response:
        body = await request.json()
        if "rate_limit" in body:
            state.rate_limit = body["rate_limit"]
        state.clear_requests()
        state.nonces.clear()
        state.bucket.reset()
        return web.json_response({"ok": True})

    async def shutdown(request: web.Request) -> web.Response:
        stop.set()
        return web.json_response({"ok": True})

    control = web.Application()
    control.router.add_get("/stats", stats)
    control.router.add_post("/reset", reset)
    control.router.add_post("/stop", shutdown)

    runners = []
    ports = []
    for application in (app, control):
        runner = web.AppRunner(application, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        ports.append(int(runner.addresses[0][1]))
    state.host = f"127.0.0.1:{ports[0]}"
    state.point_services_at(state.host)
    state.bucket.reset()
    conn.send(
        {
            "port": ports[0],
            "control_port": ports[1],
            "account_id": state.account_id,
            "whitelist": list(state.whitelist),
            "secrets": state.secrets,
        }
    )
    loop = asyncio.get_running_loop()
    # Also stop when the parent goes away (the pipe closes).
    loop.add_reader(conn.fileno(), stop.set)
    try:
        await stop.wait()
    finally:
        loop.remove_reader(conn.fileno())
        for runner in reversed(runners):
            await runner.cleanup()


def _child(conn: multiprocessing.connection.Connection, rate_limit: float | None, cpu: int | None) -> None:
    if cpu is not None:
        with contextlib.suppress(AttributeError, OSError):
            os.sched_setaffinity(0, {cpu})
    asyncio.run(_serve(conn, rate_limit))


def split_cpus() -> tuple[int | None, set[int] | None]:
    """``(server cpu, client cpus)``: the last allowed CPU for the server, the others for this process — so the
    scheduler never runs the server on the client's core (on loopback a wake-up can otherwise preempt the client
    in mid-send). ``(None, None)`` with fewer than 2 CPUs or no affinity support."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None, None
    if len(allowed) < 2:
        return None, None
    return allowed[-1], set(allowed[:-1])


class BenchServer:
    """The emulator (+ ``/bench/ping``) in a child process; a context manager."""

    def __init__(self, rate_limit: float | None = None, *, pin: bool = False) -> None:
        self._rate_limit = rate_limit
        self._pin = pin
        self._restore: set[int] | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: multiprocessing.connection.Connection | None = None
        self.info: dict[str, Any] = {}

    def __enter__(self) -> Self:
        ctx = multiprocessing.get_context("spawn")  # a clean interpreter: no state inherited from the parent
        parent, child = ctx.Pipe()
        server_cpu, client_cpus = split_cpus() if self._pin else (None, None)
        self._process = ctx.Process(target=_child, args=(child, self._rate_limit, server_cpu), daemon=True)
        self._process.start()
        if client_cpus is not None:
            self._restore = os.sched_getaffinity(0)
            os.sched_setaffinity(0, client_cpus)
        child.close()
        if not parent.poll(30):
            self._process.kill()
            raise RuntimeError("the bench server did not start")
        try:
            self.info = parent.recv()
        except EOFError as err:
            raise RuntimeError("the bench server failed to start") from err
        self._conn = parent
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with contextlib.suppress(OSError):
            self._control("POST", "/stop", {})
        if self._process is not None:
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)
        if self._conn is not None:
            self._conn.close()
        if self._restore is not None:
            os.sched_setaffinity(0, self._restore)

    # -- addresses and config
    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.info['port']}"

    @property
    def ping_url(self) -> str:
        return f"http://{self.host}{PING_PATH}"

    def config(self, **overrides: Any) -> ToolbeltConfig:
        """A config pointing at the child emulator (as ``Emulator.config()`` does)."""
        values: dict[str, Any] = {
            "account_id": self.info["account_id"],
            "csds_domain": self.host,
            "scheme": "http",
            "allowlist": (*DEFAULT_ALLOWLIST, *self.info["whitelist"], self.host),
            "rate_limit": 1e6,
            "secrets": self.info["secrets"],
            "secrets_file": None,
        }
        values.update(overrides)
        return ToolbeltConfig(**values)

    # -- control (blocking; call between timed sections, or through asyncio.to_thread)
    def _control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        url = f"http://127.0.0.1:{self.info['control_port']}{path}"
        data = json.dumps(body).encode() if body is not None else None
        req = _UrlRequest(url, data=data, method=method, headers={"Content-Type": "application/json"})
        with urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def reset(self, **changes: Any) -> None:
        """Clear the request log, nonces and rate bucket; ``rate_limit=`` changes the proxy's cap."""
        self._control("POST", "/reset", changes)

    def stats(self, route: str | None = None, *, times: bool = False) -> dict[str, Any]:
        """The request log summarized: count, statuses, 429s, per-route counts (arrival times on request)."""
        query = []
        if route is not None:
            query.append(f"route={route}")
        if times:
            query.append("times=1")
        return dict(self._control("GET", "/stats" + ("?" + "&".join(query) if query else "")))


def wait_a_moment(seconds: float = 0.2) -> None:
    """Let the machine settle between sections."""
    time.sleep(seconds)
