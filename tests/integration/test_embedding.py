"""The embedding examples: one Toolbelt shared by a web app (aiohttp ``cleanup_ctx``, FastAPI ``lifespan``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer

from examples import aiohttp_app, fastapi_app
from lp_toolbelt import Conversation, ErrorCodes, Toolbelt
from lp_toolbelt.emulator import Emulator
from lp_toolbelt.emulator.routes.msghist import FIXTURE_CONVERSATION_ID
from lp_toolbelt.utils.keyword_scan import scan_conversation_for_keywords

KEYWORDS = ["hi", "love", "nothing-like-this"]


def expected_hits(keywords: list[str]) -> list[dict[str, Any]]:
    """The hits computed straight from the packaged documentation example, without any HTTP."""
    text = (
        resources.files("lp_toolbelt.emulator")
        .joinpath("data", "conversations", "msghist_conversation_by_id.json")
        .read_text(encoding="utf-8")
    )
    conversation = Conversation.model_validate(json.loads(text))
    return [
        hit.model_dump(mode="json", by_alias=True) for hit in scan_conversation_for_keywords(conversation, keywords)
    ]


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(rate_limit=None) as emulator:
        yield emulator


# ---------------------------------------------------------------------------------------------- aiohttp
@pytest.fixture
async def aiohttp_client_for(emu: Emulator) -> AsyncIterator[TestClient[Any, Any]]:
    app = aiohttp_app.create_app(emu.config())
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        yield client


async def test_aiohttp_route_scans_the_conversation(aiohttp_client_for: TestClient[Any, Any]) -> None:
    resp = await aiohttp_client_for.get(
        f"/conversations/{FIXTURE_CONVERSATION_ID}/keywords", params=[("keyword", k) for k in KEYWORDS]
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["conversationId"] == FIXTURE_CONVERSATION_ID
    assert body["keywords"] == KEYWORDS
    assert body["hits"] == expected_hits(KEYWORDS)
    assert body["hits"]  # the fixture has matches


async def test_aiohttp_app_shares_one_toolbelt_and_closes_it(emu: Emulator) -> None:
    app = aiohttp_app.create_app(emu.config())
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        toolbelt = app[aiohttp_app.TOOLBELT]
        for _ in range(3):
            resp = await client.get(f"/conversations/{FIXTURE_CONVERSATION_ID}/keywords", params={"keyword": "hi"})
            assert resp.status == 200
        assert app[aiohttp_app.TOOLBELT] is toolbelt
        assert not toolbelt.closed
        # one Toolbelt = one CSDS cache: three requests, one CSDS lookup
        assert emu.state.count("csds") == 1
        assert emu.state.count("msghist") == 3
    assert toolbelt.closed


@pytest.mark.parametrize(
    ("conversation_id", "keywords", "status", "code"),
    [
        ("no-such-conversation", ["hi"], 404, ErrorCodes.CONVERSATION_NOT_FOUND),
        (FIXTURE_CONVERSATION_ID, [], 400, ErrorCodes.CONVERSATION_GENERAL),
    ],
)
async def test_aiohttp_maps_toolbelt_errors(
    aiohttp_client_for: TestClient[Any, Any], conversation_id: str, keywords: list[str], status: int, code: str
) -> None:
    resp = await aiohttp_client_for.get(
        f"/conversations/{conversation_id}/keywords", params=[("keyword", k) for k in keywords]
    )
    assert resp.status == status
    assert (await resp.json())["code"] == code


async def test_aiohttp_upstream_failure_is_a_502(emu: Emulator, aiohttp_client_for: TestClient[Any, Any]) -> None:
    emu.state.faults.add("msghist", "status", status=400, times=None)
    resp = await aiohttp_client_for.get(f"/conversations/{FIXTURE_CONVERSATION_ID}/keywords", params={"keyword": "hi"})
    assert resp.status == 502
    body = await resp.json()
    assert body["code"] == ErrorCodes.CONVERSATION_UNEXPECTED_RESPONSE
    assert body["upstreamStatus"] == 400


# ---------------------------------------------------------------------------------------------- FastAPI
@pytest.fixture
async def fastapi_client(emu: Emulator) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = fastapi_app.create_app(emu.config())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://example.test") as client:
            yield client, app


async def test_fastapi_route_scans_the_conversation(fastapi_client: tuple[httpx.AsyncClient, Any]) -> None:
    client, _ = fastapi_client
    resp = await client.get(
        f"/conversations/{FIXTURE_CONVERSATION_ID}/keywords", params=[("keyword", k) for k in KEYWORDS]
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["keywords"] == KEYWORDS
    assert body["hits"] == expected_hits(KEYWORDS)


async def test_fastapi_lifespan_shares_one_toolbelt_and_closes_it(emu: Emulator) -> None:
    app = fastapi_app.create_app(emu.config())
    async with app.router.lifespan_context(app):
        toolbelt = app.state.toolbelt
        assert isinstance(toolbelt, Toolbelt)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://example.test") as client:
            for _ in range(3):
                resp = await client.get(f"/conversations/{FIXTURE_CONVERSATION_ID}/keywords?keyword=love")
                assert resp.status_code == 200
                assert len(resp.json()["hits"]) == len(expected_hits(["love"]))
        assert app.state.toolbelt is toolbelt
        assert emu.state.count("csds") == 1
    assert toolbelt.closed


@pytest.mark.parametrize(
    ("conversation_id", "query", "status", "code"),
    [
        ("no-such-conversation", "?keyword=hi", 404, ErrorCodes.CONVERSATION_NOT_FOUND),
        (FIXTURE_CONVERSATION_ID, "", 400, ErrorCodes.CONVERSATION_GENERAL),
    ],
)
async def test_fastapi_maps_toolbelt_errors(
    fastapi_client: tuple[httpx.AsyncClient, Any], conversation_id: str, query: str, status: int, code: str
) -> None:
    client, _ = fastapi_client
    resp = await client.get(f"/conversations/{conversation_id}/keywords{query}")
    assert resp.status_code == status
    assert resp.json()["code"] == code
