"""``tb.orchestrator_client()`` against a small fake LivePerson written here from the contract's text (CSDS ``faasGW``,
Sentinel, the invoke route), not the emulator: the exact wire of an invocation and retries over real sockets."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from lp_toolbelt import (
    ErrorCodes,
    ErrorStrategy,
    HttpStatusError,
    Invocation,
    Toolbelt,
    ToolbeltConfig,
)
from tests.loopback import loopback

ACCOUNT = "30001234"
APP_KEY = {"client_id": "orch-client", "client_secret": "orch-secret-K2"}
Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class FakeLivePerson:
    host: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    tokens: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/account/{acc}/service/baseURI.json", self.csds)
        app.router.add_post("/sentinel/api/v2/account/{acc}/app/token", self.sentinel)
        app.router.add_post("/api/account/{acc}/lambdas/{uuid}/invoke", self.invoke)
        return app

    async def csds(self, request: web.Request) -> web.Response:
        services = {"faasGW": self.host, "sentinel": self.host}
        return web.json_response({"baseURIs": [{"service": k, "baseURI": v} for k, v in services.items()]})

    async def sentinel(self, request: web.Request) -> web.Response:
        form = await request.post()
        assert (form.get("client_id"), form.get("grant_type")) == (APP_KEY["client_id"], "client_credentials")
        self.tokens += 1
        return web.json_response({"access_token": f"t{self.tokens}", "token_type": "Bearer", "expires_in": "3600"})

    async def invoke(self, request: web.Request) -> web.StreamResponse:
        fn = request.match_info["uuid"]
        self.seen.append(
            {
                "uuid": fn,
                "account": request.match_info["acc"],
                "query": request.query_string,
                "headers": request.headers.copy(),
                "body": await request.json(),
            }
        )
        scripted = self.answers.get(fn)
        if scripted:
            return await scripted.pop(0)(request)
        return web.json_response({"fn": fn, "got": (await request.json())["payload"]})


def status(code: int, text: str = "") -> Answer:
    async def respond(request: web.Request) -> web.Response:
        return web.Response(status=code, text=text)

    return respond


async def drop(request: web.Request) -> web.Response:
    assert request.transport is not None
    request.transport.close()  # no answer at all: the connection is gone
    return web.Response()


async def stall(request: web.Request) -> web.Response:
    await asyncio.sleep(30)
    return web.Response()


@pytest.fixture
async def lp() -> AsyncIterator[FakeLivePerson]:
    fake = FakeLivePerson()
    async with loopback(fake.app()) as host:
        fake.host = host
        yield fake


@pytest.fixture
async def tb(lp: FakeLivePerson) -> AsyncIterator[Toolbelt]:
    config = ToolbeltConfig(
        account_id=ACCOUNT,
        csds_domain=lp.host,
        scheme="http",
        secrets={"LIVEPERSON_DEFAULT_APP_KEY": APP_KEY},
        secrets_file=None,
        rate_limit=1000,
    )
    async with Toolbelt(config) as toolbelt:
        yield toolbelt


async def test_the_invocation_wire(tb: Toolbelt, lp: FakeLivePerson) -> None:
    before = int(time.time() * 1000)
    [result] = await tb.orchestrator_client().invoke(
        [Invocation(uuid="fn-a1", payload={"order": 42}, headers={"x-flow": "checkout"})], json=True
    )
    after = int(time.time() * 1000)
    assert result.body == {"fn": "fn-a1", "got": {"order": 42}}
    [seen] = lp.seen
    assert seen["account"] == ACCOUNT
    assert seen["query"] == f"v=1&externalSystem=fn-a1_{ACCOUNT}"  # no stray "}" (LivePerson's Node client has one)
    headers = seen["headers"]
    assert headers["Authorization"] == "Bearer t1"
    assert headers["Content-Type"] == "application/json"
    uuid.UUID(headers["X-Request-Id"])
    body = seen["body"]
    assert set(body) == {"timestamp", "payload", "headers"}
    assert before <= body["timestamp"] <= after
    assert body["payload"] == {"order": 42}
    assert body["headers"] == [{"key": "x-flow", "value": "checkout"}]


async def test_a_500_is_retried_over_the_wire_with_a_new_request_id(tb: Toolbelt, lp: FakeLivePerson) -> None:
    lp.answers["fn"] = [status(500, "busy")]
    [result] = await tb.orchestrator_client().invoke([Invocation(uuid="fn")])
    assert result.ok
    ids = [s["headers"]["X-Request-Id"] for s in lp.seen]
    assert len(ids) == 2
    assert len(set(ids)) == 2


async def test_a_dropped_connection_is_retried_even_for_the_post(tb: Toolbelt, lp: FakeLivePerson) -> None:
    lp.answers["fn"] = [drop]
    [result] = await tb.orchestrator_client().invoke([Invocation(uuid="fn")])
    assert result.ok
    assert len(lp.seen) == 2


async def test_a_timed_out_attempt_is_retried(tb: Toolbelt, lp: FakeLivePerson) -> None:
    lp.answers["fn"] = [stall]
    [result] = await tb.orchestrator_client().invoke([Invocation(uuid="fn")], deadline=5, timeout=0.3)
    assert result.ok
    assert len(lp.seen) == 2


async def test_the_functions_own_failure_is_not_retried_and_keeps_its_answer(tb: Toolbelt, lp: FakeLivePerson) -> None:
    lp.answers["fn"] = [status(901, '{"code": "com.customer.faas.function.threw-error"}')]
    with pytest.raises(HttpStatusError) as info:
        await tb.orchestrator_client().invoke([Invocation(uuid="fn")], json=True)
    assert (info.value.code, info.value.status) == (ErrorCodes.ORCHESTRATOR_STATUS_CODE_ERROR, 901)
    assert info.value.details["body"] == {"code": "com.customer.faas.function.threw-error"}
    assert len(lp.seen) == 1


async def test_parallel_invocations_reach_the_gateway_together(tb: Toolbelt, lp: FakeLivePerson) -> None:
    both = asyncio.Barrier(2)

    async def meet(request: web.Request) -> web.Response:
        async with asyncio.timeout(5):  # a guard against a hang, not a speed assertion
            await both.wait()
        return web.json_response(request.match_info["uuid"])

    lp.answers = {"a": [meet], "b": [meet]}
    results = await tb.orchestrator_client().invoke(
        [Invocation(uuid="a"), Invocation(uuid="b")],
        parallel=True,
        json=True,
        error_strategy=ErrorStrategy.CONTINUE_ON_ERROR,
    )
    assert [r.body for r in results] == ["a", "b"]
