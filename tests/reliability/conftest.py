"""Reliability suite setup: every test must leave nothing behind.

After each test (warnings are errors, see pyproject.toml):

* async tests: no task created during the test is still pending, and the event loop's exception handler was never
  called ("Task exception was never retrieved", "Unclosed client session", ...);
* every test: a full ``gc.collect()`` raises no ``ResourceWarning`` and finds no open ``aiohttp.ClientSession`` or
  connector.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web_app

from lp_toolbelt.emulator import Emulator


def _open_aiohttp_objects() -> list[str]:
    found: list[str] = []
    for obj in gc.get_objects():
        if isinstance(obj, aiohttp.ClientSession) and not obj.closed:
            found.append("ClientSession")
        elif isinstance(obj, aiohttp.BaseConnector) and not obj.closed:
            found.append(type(obj).__name__)
    return found


def _collect_and_check() -> None:
    """A full collection: no ResourceWarning, no aiohttp session or connector left open."""
    # aiohttp memoizes up to 1024 middleware chains, each holding a whole (stopped) emulator application: drop them
    # so the collection stays fast over hundreds of tests. Not a leak: the cache is bounded.
    cached = getattr(web_app, "_cached_build_middleware", None)
    if cached is not None:
        cached.cache_clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert not leaks, f"resource warnings: {leaks!r}"
    still_open = _open_aiohttp_objects()
    assert not still_open, f"left open: {still_open!r}"


@pytest.fixture
async def _no_pending_tasks() -> AsyncIterator[None]:
    loop = asyncio.get_running_loop()
    reports: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reports.append(context))
    before = asyncio.all_tasks()
    try:
        yield
        current = asyncio.current_task()
        pending: set[asyncio.Task[Any]] = set()
        for _ in range(20):  # let finished work run its last callbacks
            pending = {t for t in asyncio.all_tasks() - before if t is not current and not t.done()}
            if not pending:
                break
            await asyncio.sleep(0.01)
        assert not pending, f"tasks left pending: {pending!r}"
        _collect_and_check()  # while our handler still hears "Task was destroyed but it is pending!"
        assert not reports, f"event loop errors: {[r.get('message') for r in reports]!r}"
    finally:
        loop.set_exception_handler(previous)


@pytest.fixture(autouse=True)
def _no_leaks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that leaves tasks, sessions, connectors or ResourceWarnings behind."""
    is_async = inspect.iscoroutinefunction(getattr(request, "function", None))
    if is_async:
        request.getfixturevalue("_no_pending_tasks")  # checks everything, inside the test's loop
    yield
    if not is_async:
        _collect_and_check()


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """An emulator without the proxy's rate cap (faults are armed per test)."""
    async with Emulator(rate_limit=None) as emulator:
        yield emulator
