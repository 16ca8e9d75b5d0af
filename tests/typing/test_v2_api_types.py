"""The Functions V2 clients as a user's IDE sees them: every name of python-api.md's "Functions V2 clients", checked
by mypy --strict (assert_type) and run for real against the emulator (and a loopback mTLS server)."""

from __future__ import annotations

import ssl
from typing import Any, assert_type

import lp_toolbelt
from lp_toolbelt import (
    ErrorStrategy,
    HttpResponse,
    Invocation,
    InvocationError,
    InvocationResult,
    Toolbelt,
)
from lp_toolbelt.clients.lp_mtls import LpMtlsClient
from lp_toolbelt.clients.mtls import MtlsClient
from lp_toolbelt.clients.orchestrator import OrchestratorClient
from lp_toolbelt.emulator import Emulator, MtlsCertificate
from lp_toolbelt.emulator.seed import DEMO_FUNCTION_UUID
from lp_toolbelt.local import emulator_toolbelt
from tests.tls import CLIENT_NAME, Pki, tls_server


def test_the_v2_names_are_exported() -> None:
    assert {"Invocation", "InvocationResult", "InvocationError", "ErrorStrategy"} <= set(lp_toolbelt.__all__)
    assert str(ErrorStrategy.EXIT_ON_ERROR) == "ExitOnError"
    assert ErrorStrategy.CONTINUE_ON_ERROR.value == "ContinueOnError"


def never_retry(status: int | None, error: BaseException | None) -> bool:
    return False


async def test_orchestrator_client_typed_and_working() -> None:
    async with Emulator(rate_limit=None) as emu, emulator_toolbelt(emu) as tb:
        assert_type(tb, Toolbelt)

        async def add(toolbelt: Toolbelt, payload: dict[str, int]) -> int:
            return payload["a"] + payload["b"]

        emu.functions["add"] = add
        orch = tb.orchestrator_client()
        assert_type(orch, OrchestratorClient)
        invocation = Invocation(uuid="add", payload={"a": 1, "b": 2}, headers={"k": "v"}, retries=3, retry_if=None)
        results = await orch.invoke(
            [invocation, Invocation(uuid=DEMO_FUNCTION_UUID, retry_if=never_retry), Invocation(uuid="missing")],
            deadline=25.0,
            timeout=None,
            json=True,
            error_strategy=ErrorStrategy.CONTINUE_ON_ERROR,
            parallel=False,
        )
        assert_type(results, list[InvocationResult])
        first = results[0]
        assert_type(first.uuid, str)
        assert_type(first.status_code, int | None)
        assert_type(first.body, Any)
        assert_type(first.headers, dict[str, str])
        assert_type(first.error, InvocationError | None)
        assert first.body == 3
        error = results[2].error
        assert error is not None
        assert_type(error.code, str)
        assert_type(error.message, str)
        assert error.code == lp_toolbelt.ErrorCodes.ORCHESTRATOR_STATUS_CODE_ERROR


async def test_mtls_clients_typed_and_working() -> None:
    pki = Pki()
    async with (
        tls_server(pki.server_context()) as partner,
        Emulator(rate_limit=None) as emu,
        emulator_toolbelt(emu) as tb,
    ):
        mtls = tb.mtls_client(cert=pki.cert_pem, key=pki.key_pem.decode(), ca=pki.ca_pem)
        assert_type(mtls, MtlsClient)
        assert_type(mtls.ssl_context, ssl.SSLContext)
        resp = await mtls.get(f"{partner}/status", params={"q": "1"}, headers={"X": "1"}, timeout=10.0)
        assert_type(resp, HttpResponse)
        assert resp.json()["client"] == CLIENT_NAME
        resp = await mtls.request("POST", f"{partner}/orders", json={"id": 1}, raise_for_status=True)
        assert_type(resp, HttpResponse)

        emu.state.mtls_certificates[partner] = MtlsCertificate(pki.cert_pem, pki.key_pem, ca=pki.ca_pem)
        lp_mtls = tb.lp_mtls_client()
        assert_type(lp_mtls, LpMtlsClient)
        resp = await lp_mtls.post(f"{partner}/orders", json={"id": 1}, headers={"X-Tenant": "t"}, timeout=None)
        assert_type(resp, HttpResponse)
        assert resp.json()["client"] == CLIENT_NAME
        resp = await lp_mtls.get(f"{partner}/status")
        assert_type(resp.status, int)
