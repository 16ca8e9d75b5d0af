"""The emulator's Functions V2 side: it hosts functions (``faasGW``: an orchestration of local functions end to end)
and forwards through its mTLS gateway with a certificate from its state; both routes check the Sentinel token and
take faults. Answers as in the contract (and LivePerson's documented V2 error codes)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from lp_toolbelt import (
    ErrorCodes,
    ErrorStrategy,
    HttpStatusError,
    Invocation,
    Toolbelt,
    ToolbeltError,
)
from lp_toolbelt.emulator import Emulator, MtlsCertificate
from lp_toolbelt.emulator.routes.faas import (
    FUNCTION_EXECUTION_EXCEEDED,
    FUNCTION_NOT_FOUND,
    FUNCTION_RUNTIME_ERROR,
    FUNCTION_THREW,
)
from lp_toolbelt.emulator.seed import DEMO_FUNCTION_UUID
from lp_toolbelt.local import emulator_toolbelt
from tests.tls import CLIENT_NAME, Pki, tls_server

CONTINUE = ErrorStrategy.CONTINUE_ON_ERROR


@pytest.fixture
async def emu_tb() -> AsyncIterator[tuple[Emulator, Toolbelt]]:
    async with Emulator(rate_limit=None) as emu, emulator_toolbelt(emu) as tb:
        yield emu, tb


async def sentinel_token(emu: Emulator, session: aiohttp.ClientSession) -> str:
    app = emu.state.secrets["LIVEPERSON_DEFAULT_APP_KEY"]
    url = f"{emu.base_url}/sentinel/api/v2/account/{emu.state.account_id}/app/token"
    form = {"client_id": app["client_id"], "client_secret": app["client_secret"], "grant_type": "client_credentials"}
    async with session.post(url, data=form) as resp:
        token: str = (await resp.json())["access_token"]
    return token


# ------------------------------------------------------------------------------------------------ hosted functions
async def test_an_orchestration_of_two_local_functions_runs_end_to_end(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    toolbelts: list[Toolbelt] = []

    async def price(toolbelt: Toolbelt, payload: dict[str, Any]) -> dict[str, Any]:
        toolbelts.append(toolbelt)
        rate = (await toolbelt.secret_client().read_secret("vat-rate")).value
        return {"sku": payload["sku"], "gross": round(payload["net"] * (1 + rate), 2)}

    async def quote(toolbelt: Toolbelt, payload: dict[str, Any]) -> dict[str, Any]:
        toolbelts.append(toolbelt)
        results = await toolbelt.orchestrator_client().invoke(
            [Invocation(uuid="price", payload=item) for item in payload["items"]], json=True, parallel=True
        )
        return {"lines": [r.body for r in results], "total": sum(r.body["gross"] for r in results)}

    emu.functions["price"] = price
    emu.functions["quote"] = quote
    emu.state.secrets["vat-rate"] = 0.2
    [result] = await tb.orchestrator_client().invoke(
        [Invocation(uuid="quote", payload={"items": [{"sku": "a", "net": 10}, {"sku": "b", "net": 5}]})], json=True
    )
    assert result.body == {
        "lines": [{"sku": "a", "gross": 12.0}, {"sku": "b", "gross": 6.0}],
        "total": 18.0,
    }
    assert [i.uuid for i in emu.state.invocations] == ["quote", "price", "price"]
    assert emu.state.invocations[0].external_system == f"quote_{emu.state.account_id}"
    assert len({id(t) for t in toolbelts}) == 3  # a Toolbelt of its own for every invocation...
    assert tb not in toolbelts
    assert all(t.closed for t in toolbelts)  # ...closed after it
    assert emu.state.count("faas") == 3


async def test_the_demo_seed_hosts_a_function(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    [result] = await tb.orchestrator_client().invoke([Invocation(uuid=DEMO_FUNCTION_UUID, payload=[1])], json=True)
    assert result.body == {"received": [1], "account": emu.state.account_id}


async def test_invocation_headers_reach_the_log(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    await tb.orchestrator_client().invoke([Invocation(uuid=DEMO_FUNCTION_UUID, headers={"k": "v"})])
    assert emu.state.invocations[-1].headers == [{"key": "k", "value": "v"}]


async def test_an_unknown_function_answers_404_like_the_gateway(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    _, tb = emu_tb
    [result] = await tb.orchestrator_client().invoke([Invocation(uuid="nope")], json=True, error_strategy=CONTINUE)
    assert result.status_code == 404
    assert result.body["code"] == FUNCTION_NOT_FOUND
    assert result.error is not None
    assert result.error.code == ErrorCodes.ORCHESTRATOR_STATUS_CODE_ERROR


async def test_a_failing_function_answers_901_and_is_not_retried(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb

    async def boom(toolbelt: Toolbelt, payload: Any) -> None:
        raise ValueError("no stock")

    async def not_json(toolbelt: Toolbelt, payload: Any) -> object:
        return object()

    async def slow(toolbelt: Toolbelt, payload: Any) -> None:
        await asyncio.sleep(30)

    emu.functions.update({"boom": boom, "not-json": not_json, "slow": slow})
    emu.state.function_timeout = 0.1
    results = await tb.orchestrator_client().invoke(
        [Invocation(uuid=u) for u in ("boom", "not-json", "slow")], json=True, error_strategy=CONTINUE
    )
    assert [r.status_code for r in results] == [901, 901, 901]
    assert [r.body["code"] for r in results] == [FUNCTION_THREW, FUNCTION_RUNTIME_ERROR, FUNCTION_EXECUTION_EXCEEDED]
    assert "ValueError: no stock" in results[0].body["message"]
    assert emu.state.count("faas") == 3


async def test_a_sync_handler_is_hosted_too(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    emu.functions["sync"] = lambda toolbelt, payload: {"twice": payload * 2}
    [result] = await tb.orchestrator_client().invoke([Invocation(uuid="sync", payload=21)], json=True)
    assert result.body == {"twice": 42}


async def test_faults_on_the_faas_route(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    emu.state.faults.add("faas", "status", status=502)
    emu.state.faults.add("faas", "reset_before_headers")
    [result] = await tb.orchestrator_client().invoke([Invocation(uuid=DEMO_FUNCTION_UUID)])
    assert result.ok
    assert emu.state.count("faas") == 3


async def test_a_stalled_gateway_is_an_attempt_timeout_then_a_retry(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, tb = emu_tb
    emu.state.faults.add("faas", "stall", seconds=30)
    [result] = await tb.orchestrator_client().invoke([Invocation(uuid=DEMO_FUNCTION_UUID)], deadline=5, timeout=0.5)
    assert result.ok
    assert emu.state.count("faas") == 2


@pytest.mark.parametrize("authorization", [None, "Bearer forged", 'OAuth oauth_consumer_key="x"'])
async def test_the_faas_route_wants_a_sentinel_token(
    emu_tb: tuple[Emulator, Toolbelt], authorization: str | None
) -> None:
    emu, _ = emu_tb
    url = f"{emu.base_url}/api/account/{emu.state.account_id}/lambdas/{DEMO_FUNCTION_UUID}/invoke?v=1"
    headers = {"Authorization": authorization} if authorization else {}
    async with aiohttp.ClientSession() as session, session.post(url, json={}, headers=headers) as resp:
        assert resp.status == 401
        assert "WWW-Authenticate" in resp.headers
    assert emu.state.invocations == []


@pytest.mark.parametrize(
    "body",
    [{"payload": 1}, {"timestamp": 1}, {"timestamp": 1, "payload": 1, "headers": {"k": "v"}}, [1]],
)
async def test_a_malformed_invocation_body_is_400(emu_tb: tuple[Emulator, Toolbelt], body: Any) -> None:
    emu, _ = emu_tb
    url = f"{emu.base_url}/api/account/{emu.state.account_id}/lambdas/{DEMO_FUNCTION_UUID}/invoke?v=1"
    async with aiohttp.ClientSession() as session:
        token = await sentinel_token(emu, session)
        async with session.post(url, json=body, headers={"Authorization": f"Bearer {token}"}) as resp:
            assert resp.status == 400
    assert emu.state.invocations == []


async def test_the_pytest_plugin_hosts_functions(lp_emulator: Emulator, toolbelt: Toolbelt) -> None:
    async def greet(tb: Toolbelt, payload: dict[str, str]) -> str:
        return f"hello {payload['name']}"

    lp_emulator.functions["greet"] = greet
    [result] = await toolbelt.orchestrator_client().invoke([Invocation(uuid="greet", payload={"name": "Ada"})])
    assert result.body == '"hello Ada"'


# ------------------------------------------------------------------------------------------------ the mTLS gateway
@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture
async def partner(pki: Pki) -> AsyncIterator[str]:
    async with tls_server(pki.server_context()) as base:
        yield base


def map_certificate(emu: Emulator, pki: Pki, prefix: str) -> None:
    emu.state.mtls_certificates[prefix] = MtlsCertificate(pki.cert_pem, pki.key_pem, ca=pki.ca_pem)


async def test_the_gateway_forwards_with_the_mapped_client_certificate(
    emu_tb: tuple[Emulator, Toolbelt], partner: str, pki: Pki
) -> None:
    emu, tb = emu_tb
    map_certificate(emu, pki, f"{partner}/")
    resp = await tb.lp_mtls_client().post(
        f"{partner}/orders", params={"a": "1"}, json={"qty": 2}, headers={"Authorization": "Basic cGFydG5lcg=="}
    )
    echoed = resp.json()
    assert resp.status == 200
    assert echoed["client"] == CLIENT_NAME
    assert (echoed["method"], echoed["path"], echoed["query"]) == ("POST", "/orders", "a=1")
    assert json.loads(echoed["body"]) == {"qty": 2}
    assert echoed["headers"]["Authorization"] == "Basic cGFydG5lcg=="  # the override, as the target's own
    assert not [h for h in echoed["headers"] if h.lower().startswith("lp-")]
    assert emu.state.count("mtls-gateway") == 1


async def test_no_mapping_is_missing_conf(emu_tb: tuple[Emulator, Toolbelt], partner: str) -> None:
    _, tb = emu_tb
    with pytest.raises(HttpStatusError) as info:
        await tb.lp_mtls_client().get(f"{partner}/orders")
    assert info.value.code == ErrorCodes.MTLS_MISSING_CONF


async def test_the_targets_error_is_remote_threw_with_its_body(emu_tb: tuple[Emulator, Toolbelt], pki: Pki) -> None:
    emu, tb = emu_tb

    async def refuse(request: web.Request) -> web.Response:
        return web.json_response({"error": "order locked"}, status=409)

    async with tls_server(pki.server_context(), refuse) as base:
        map_certificate(emu, pki, base)
        with pytest.raises(HttpStatusError) as info:
            await tb.lp_mtls_client().post(f"{base}/orders", json={})
    assert (info.value.code, info.value.status) == (ErrorCodes.MTLS_REMOTE_THREW, 409)
    assert json.loads(info.value.details["body"]) == {"error": "order locked"}


async def test_a_target_refusing_the_certificate_is_remote_threw(
    emu_tb: tuple[Emulator, Toolbelt], partner: str, pki: Pki
) -> None:
    emu, tb = emu_tb
    stranger = pki.stranger
    emu.state.mtls_certificates[partner] = MtlsCertificate(
        stranger.cert_chain_pems[0].bytes(), stranger.private_key_pem.bytes(), ca=pki.ca_pem
    )
    with pytest.raises(ToolbeltError) as info:
        await tb.lp_mtls_client().post(f"{partner}/orders", json={})
    assert info.value.code == ErrorCodes.MTLS_REMOTE_THREW
    assert info.value.status == 502


async def test_the_gateway_wants_a_sentinel_token(emu_tb: tuple[Emulator, Toolbelt]) -> None:
    emu, _ = emu_tb
    url = f"{emu.base_url}/mtls/account/{emu.state.account_id}"
    async with aiohttp.ClientSession() as session, session.get(url, headers={"LP-forward-url": "https://x/"}) as resp:
        assert resp.status == 401
        assert "WWW-Authenticate" in resp.headers


async def test_faults_on_the_gateway_route(emu_tb: tuple[Emulator, Toolbelt], partner: str, pki: Pki) -> None:
    emu, tb = emu_tb
    map_certificate(emu, pki, partner)
    emu.state.faults.add("mtls-gateway", "status", status=503)
    resp = await tb.lp_mtls_client().get(f"{partner}/status")  # the 503 is retried (a GET), as by the HTTP client
    assert resp.status == 200
    assert emu.state.count("mtls-gateway") == 2
    emu.state.faults.add("mtls-gateway", "status", status=500, headers={"lp-message-from-transport": "injected"})
    with pytest.raises(HttpStatusError) as info:
        await tb.lp_mtls_client().get(f"{partner}/status")
    assert info.value.code == ErrorCodes.MTLS_REMOTE_THREW
