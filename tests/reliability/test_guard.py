"""The leak guard of conftest.py sees what it is meant to see (so a clean run means something)."""

from __future__ import annotations

import asyncio
import gc
import warnings

import aiohttp

from .conftest import _open_aiohttp_objects


async def test_an_open_session_and_connector_are_seen() -> None:
    session = aiohttp.ClientSession()
    try:
        assert sorted(_open_aiohttp_objects()) == ["ClientSession", "TCPConnector"]
    finally:
        await session.close()
    assert _open_aiohttp_objects() == []


async def test_an_unclosed_session_warns_when_collected() -> None:
    loop = asyncio.get_running_loop()
    reports: list[str] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reports.append(str(context.get("message"))))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            session = aiohttp.ClientSession()
            del session
            gc.collect()
    finally:
        loop.set_exception_handler(previous)
    assert any(issubclass(w.category, ResourceWarning) for w in caught)
    assert any("Unclosed client session" in r for r in reports)
