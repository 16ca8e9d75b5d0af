"""No secret escapes the V2 clients: the app key's client secret, the Sentinel tokens, the private key of an mTLS
client certificate and a partner's own credentials are absent from every log record, exception (the whole chained
traceback, ``details``) and repr, through success and failure paths (the scan of ``test_secrets_scan.py``)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from lp_toolbelt import ErrorStrategy, Invocation, Toolbelt, ToolbeltError
from lp_toolbelt.emulator import Emulator, MtlsCertificate
from lp_toolbelt.emulator.seed import DEMO_FUNCTION_UUID
from lp_toolbelt.local import emulator_toolbelt
from tests.tls import Pki, tls_server

from .test_secrets_scan import Scan

CLIENT_SECRET = "v2sec-Q7rX2SCAN0099"
PARTNER_TOKEN = "ptok-Q7rX2SCAN0098"
SETTINGS = {
    "secrets": {"LIVEPERSON_DEFAULT_APP_KEY": {"client_id": "v2-client", "client_secret": CLIENT_SECRET}},
    "whitelist": ["localhost"],
}
FAULTS: list[tuple[str, dict[str, object]]] = [
    ("status", {"status": 401, "times": None}),
    ("status", {"status": 500, "times": None}),
    ("status", {"status": 400}),
    ("status", {"status": 502, "headers": {"lp-message-from-transport": "upstream failed"}, "times": None}),
    ("reset_before_headers", {"times": None}),
    ("truncated_body", {"times": None}),
    ("stall", {}),
]


@pytest.fixture
async def emu_tb() -> AsyncIterator[tuple[Emulator, Toolbelt]]:
    async with Emulator(SETTINGS, rate_limit=None) as emu, emulator_toolbelt(emu, timeout=0.5, max_retries=1) as tb:
        yield emu, tb


async def _attempt(scan: Scan, where: str, call: Awaitable[object]) -> None:
    try:
        await call
    except ToolbeltError as err:
        scan.error(where, err)


def _key_lines(pem: bytes) -> list[str]:
    return [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]


async def test_no_secret_in_logs_errors_or_reprs(
    emu_tb: tuple[Emulator, Toolbelt], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emu, tb = emu_tb
    scan = Scan()
    pki = Pki()
    orch, lp_mtls = tb.orchestrator_client(), tb.lp_mtls_client()
    async with tls_server(pki.server_context()) as partner:
        emu.state.mtls_certificates[partner] = MtlsCertificate(pki.cert_pem, pki.key_pem, ca=pki.ca_pem)
        mtls = tb.mtls_client(cert=pki.cert_pem, key=pki.key_pem, ca=pki.ca_pem)
        stranger = tb.mtls_client(
            cert=pki.stranger.cert_chain_pems[0].bytes(), key=pki.stranger.private_key_pem.bytes(), ca=pki.ca_pem
        )
        partner_auth = {"Authorization": f"Bearer {PARTNER_TOKEN}"}
        calls: dict[str, Callable[[], Awaitable[object]]] = {
            "orchestrator": lambda: orch.invoke([Invocation(uuid=DEMO_FUNCTION_UUID)], deadline=1.0),
            "orchestrator-continue": lambda: orch.invoke(
                [Invocation(uuid=DEMO_FUNCTION_UUID)], deadline=1.0, error_strategy=ErrorStrategy.CONTINUE_ON_ERROR
            ),
            "lp-mtls": lambda: lp_mtls.post(f"{partner}/orders", json={}, headers=partner_auth),
            "mtls": lambda: mtls.get(f"{partner}/orders", headers=partner_auth),
        }
        routes = {"orchestrator": "faas", "orchestrator-continue": "faas", "lp-mtls": "mtls-gateway"}
        for name, call in calls.items():
            await _attempt(scan, f"{name} ok", call())
            for kind, options in FAULTS if name in routes else []:
                emu.state.faults.add(routes[name], kind, **options)  # type: ignore[arg-type]
                await _attempt(scan, f"{name} {kind} {options}", call())
                emu.state.faults.clear()
        await _attempt(scan, "mtls stranger", stranger.get(f"{partner}/orders", headers=partner_auth))
        emu.state.secrets["LIVEPERSON_DEFAULT_APP_KEY"]["client_secret"] = "rotated-away"  # Sentinel refuses now
        emu.state.expire_tokens()
        await _attempt(scan, "orchestrator refused", orch.invoke([Invocation(uuid=DEMO_FUNCTION_UUID)]))
    for bad_key in (pki.key_pem[:-40], b"".join(line.encode() for line in _key_lines(pki.key_pem))):
        try:
            tb.mtls_client(cert=pki.cert_pem, key=bad_key)
        except ToolbeltError as err:
            scan.error("mtls bad key", err)
    scan.repr("clients", tb, orch, lp_mtls, mtls, stranger, tb.app_keys, mtls.ssl_context, emu.state)
    scan.logs(caplog.records)
    secrets = {CLIENT_SECRET, PARTNER_TOKEN, *emu.state.tokens, *_key_lines(pki.key_pem)}
    assert len(scan.texts) > 40  # the paths above did produce errors to scan
    assert scan.hits(secrets) == []
