"""The emulator's fault kinds, seen from a plain aiohttp client: each breaks the wire the way it says it does."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from yarl import URL

from lp_toolbelt.emulator import FAULT_KINDS, Emulator

FAULT_KIND_NAMES = {
    "status",
    "latency",
    "stall",
    "reset_before_headers",
    "reset_after_headers",
    "truncated_body",
    "malformed_json",
    "wrong_content_type",
    "oversized_body",
    "rate_limited",
}


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        session._retry_connection = False  # see every failure as it happens
        yield session


def csds(emu: Emulator) -> URL:
    return (emu.base_url / "api/account" / emu.state.account_id / "service/baseURI.json").with_query(version="1.0")


def test_every_kind_is_registered() -> None:
    assert set(FAULT_KINDS) >= FAULT_KIND_NAMES


async def test_reset_before_headers(emu: Emulator, client: aiohttp.ClientSession) -> None:
    emu.state.faults.add("csds", "reset_before_headers")
    with pytest.raises((aiohttp.ClientOSError, aiohttp.ServerDisconnectedError)):
        async with client.get(csds(emu)) as resp:
            await resp.read()
    async with client.get(csds(emu)) as resp:  # once only
        assert resp.status == 200


@pytest.mark.parametrize("process", [False, True])
async def test_reset_before_headers_after_processing(
    process: bool, emu: Emulator, client: aiohttp.ClientSession
) -> None:
    """``process=True``: the server did the work (here: issued a token), the client only sees a reset."""
    app = emu.state.secrets["lp-faas-oauth2-app"]
    form = {"client_id": app["client_id"], "client_secret": app["client_secret"], "grant_type": "client_credentials"}
    url = (emu.base_url / "sentinel/api/v2/account" / emu.state.account_id / "app/token").with_query(v="2.0")
    emu.state.faults.add("sentinel", "reset_before_headers", process=process)
    with pytest.raises((aiohttp.ClientOSError, aiohttp.ServerDisconnectedError)):
        async with client.post(url, data=form) as resp:
            await resp.read()
    assert len(emu.state.tokens) == (1 if process else 0)


async def test_reset_after_headers_sends_status_then_breaks(emu: Emulator, client: aiohttp.ClientSession) -> None:
    emu.state.faults.add("csds", "reset_after_headers")
    async with client.get(csds(emu)) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/json"
        with pytest.raises(aiohttp.ClientPayloadError):
            await resp.read()


async def test_truncated_body_closes_early(emu: Emulator, client: aiohttp.ClientSession) -> None:
    emu.state.faults.add("csds", "truncated_body", keep=0.25)
    async with client.get(csds(emu)) as resp:
        assert resp.status == 200
        declared = resp.content_length
        assert declared is not None
        assert declared > 10
        with pytest.raises(aiohttp.ClientPayloadError):
            await resp.read()


async def test_malformed_json_keeps_status_and_label(emu: Emulator, client: aiohttp.ClientSession) -> None:
    emu.state.faults.add("csds", "malformed_json")
    async with client.get(csds(emu)) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/json"
        body = await resp.read()
    with pytest.raises(ValueError):
        json.loads(body)


async def test_wrong_content_type(emu: Emulator, client: aiohttp.ClientSession) -> None:
    emu.state.faults.add("csds", "wrong_content_type")
    emu.state.faults.add("csds", "wrong_content_type", keep_body=True, content_type="text/plain")
    async with client.get(csds(emu)) as resp:
        assert resp.content_type == "text/html"
        assert (await resp.text()).startswith("<html>")
    async with client.get(csds(emu)) as resp:
        assert resp.content_type == "text/plain"
        assert "baseURIs" in json.loads(await resp.read())


@pytest.mark.parametrize("chunked", [False, True])
async def test_oversized_body(chunked: bool, emu: Emulator, client: aiohttp.ClientSession) -> None:
    emu.state.faults.add("csds", "oversized_body", size=3_000_000, chunked=chunked)
    async with client.get(csds(emu)) as resp:
        assert resp.status == 200
        assert resp.content_length == (None if chunked else 3_000_000)
        assert len(await resp.read()) == 3_000_000


async def test_oversized_body_stops_when_the_client_hangs_up(emu: Emulator, client: aiohttp.ClientSession) -> None:
    emu.state.faults.add("csds", "oversized_body", size=10**12, chunked=True)  # a terabyte: must not be sent
    async with client.get(csds(emu)) as resp:
        await resp.content.read(1024)
    # conftest: the handler ended (no task left) once the connection closed


async def test_rate_limited_with_seconds_and_http_date(emu: Emulator, client: aiohttp.ClientSession) -> None:
    emu.state.faults.add("csds", "rate_limited", retry_after=0.5)
    emu.state.faults.add("csds", "rate_limited", retry_after=120, http_date=True)
    async with client.get(csds(emu)) as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "0.5"
    async with client.get(csds(emu)) as resp:
        assert resp.status == 429
        when = email.utils.parsedate_to_datetime(resp.headers["Retry-After"])
    assert 100 < when.timestamp() - time.time() <= 121


async def test_stall_holds_until_the_client_gives_up(emu: Emulator, client: aiohttp.ClientSession) -> None:
    emu.state.faults.add("csds", "stall")
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3), client.get(csds(emu)) as resp:
            await resp.read()
    assert time.monotonic() - started < 2.0
    # conftest: the stalled handler noticed the hang-up and ended


async def test_stall_answers_after_its_seconds(emu: Emulator, client: aiohttp.ClientSession) -> None:
    emu.state.faults.add("csds", "stall", seconds=0.2)
    started = time.monotonic()
    async with client.get(csds(emu)) as resp:
        assert resp.status == 200
    assert time.monotonic() - started >= 0.2


async def test_delay_ends_when_the_client_hangs_up(emu: Emulator, client: aiohttp.ClientSession) -> None:
    emu.state.faults.add("csds", "latency", delay=30.0)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2), client.get(csds(emu)) as resp:
            await resp.read()
    # conftest: no emulator handler is left sleeping 30 s


async def test_status_bursts(emu: Emulator, client: aiohttp.ClientSession) -> None:
    emu.state.faults.add("csds", "status", status=503, times=3)
    statuses = []
    for _ in range(4):
        async with client.get(csds(emu)) as resp:
            statuses.append(resp.status)
    assert statuses == [503, 503, 503, 200]
