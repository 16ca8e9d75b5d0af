"""The emulated Context Session Store answers as LivePerson documents it, checked with a raw aiohttp client.

From the contract's table (liveperson-surface.md, "Context Session Store"): ``createNamespace`` of an existing
namespace is "neither recreated nor an error"; deleting a namespace, a session or a property that is already gone
is "no error (documented)". The emulator answers those deletes ``204``, as a delete that removed something.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from yarl import URL

from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.state import DEFAULT_CONTEXT_API_KEY

HEADERS = {"maven-api-key": DEFAULT_CONTEXT_API_KEY}


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers=HEADERS) as client:
        yield client


def account(emu: Emulator) -> URL:
    """``http://{CSDS mavenContext}/v1/account/{acc}``."""
    return URL(f"http://{emu.state.services['mavenContext']}") / "v1/account" / emu.state.account_id


async def call(session: aiohttp.ClientSession, method: str, url: URL, body: Any = None) -> tuple[int, Any]:
    async with session.request(method, url, json=body) as resp:
        text = await resp.text()
        return resp.status, (await resp.json() if resp.content_type == "application/json" else text)


async def test_creating_an_existing_namespace_keeps_it_and_its_data(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    base = account(emu)
    assert (await call(session, "POST", base.with_query(ttlSecond="3600"), {"name": "orders"}))[0] == 204
    assert (await call(session, "PATCH", base / "orders/s1/properties", {"step": 1}))[0] == 204
    status, listed = await call(session, "GET", base)
    assert status == 200
    (before,) = listed

    for query in ({}, {"ttlSecond": "60"}):
        assert (await call(session, "POST", base.with_query(query), {"name": "orders"}))[0] == 204
    assert await call(session, "GET", base) == (200, [before])  # same createdAt and TTL: not recreated
    assert before["ttlSecond"] == 3600
    assert await call(session, "GET", base / "orders/s1/properties") == (200, {"step": 1})


async def test_deleting_what_is_gone_is_no_error(emu: Emulator, session: aiohttp.ClientSession) -> None:
    base = account(emu)
    assert (await call(session, "POST", base, {"name": "orders"}))[0] == 204
    assert (await call(session, "PATCH", base / "orders/s1/properties", {"a": 1, "b": 2}))[0] == 204

    prop = base / "orders/s1/properties/a"
    assert await call(session, "DELETE", prop) == (204, "")
    assert await call(session, "DELETE", prop) == (204, "")  # already deleted
    assert await call(session, "DELETE", base / "orders/s1/properties/never") == (204, "")
    assert await call(session, "GET", base / "orders/s1/properties") == (200, {"b": 2})

    sess = URL(str(base / "orders/s1/properties") + "/")
    assert await call(session, "DELETE", sess) == (204, "")
    assert await call(session, "DELETE", sess) == (204, "")  # already deleted
    assert await call(session, "DELETE", base / "orders/s9/properties/x") == (204, "")  # property of a missing session
    assert await call(session, "GET", base / "orders/session-ids") == (200, [])

    assert await call(session, "DELETE", base / "orders") == (204, "")
    assert await call(session, "DELETE", base / "orders") == (204, "")  # already deleted
    assert await call(session, "DELETE", base / "never-created") == (204, "")
    assert await call(session, "DELETE", URL(str(base / "never-created/s/properties") + "/")) == (204, "")
    assert emu.state.context_namespaces == {}


async def test_reads_of_what_is_gone_still_answer_404(emu: Emulator, session: aiohttp.ClientSession) -> None:
    base = account(emu)
    assert (await call(session, "POST", base, {"name": "orders"}))[0] == 204
    assert (await call(session, "GET", base / "orders/s1/properties"))[0] == 404
    assert (await call(session, "GET", base / "orders/s1/properties/a"))[0] == 404
    assert (await call(session, "GET", base / "nope/session-ids"))[0] == 404
    assert (await call(session, "PATCH", base / "nope/s1/properties", {"a": 1}))[0] == 404


async def test_builtin_namespaces_still_cannot_be_created_or_deleted(
    emu: Emulator, session: aiohttp.ClientSession
) -> None:
    base = account(emu)
    assert (await call(session, "POST", base, {"name": "faas"}))[0] == 400
    assert (await call(session, "DELETE", base / "faas"))[0] == 400


async def test_a_delete_still_needs_the_api_key(emu: Emulator) -> None:
    async with aiohttp.ClientSession() as anonymous:
        assert (await call(anonymous, "DELETE", account(emu) / "orders"))[0] == 403
