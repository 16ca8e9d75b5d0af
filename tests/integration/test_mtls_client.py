"""``tb.mtls_client(cert=, key=, ca=)`` over real TLS: a loopback server that requires a client certificate
(``CERT_REQUIRED``, a trustme CA), the certificate checks made when the client is built, and the HTTP client's rules
(allowlist, limiter, retries, deadline) on the mTLS path."""

from __future__ import annotations

import asyncio
import os
import stat
import tempfile
import traceback
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web
from cryptography.hazmat.primitives import serialization

from lp_toolbelt import (
    ErrorCodes,
    ForbiddenHostError,
    HttpStatusError,
    InvalidArgumentError,
    RequestTimeoutError,
    Toolbelt,
    ToolbeltConfig,
    TransportError,
)
from lp_toolbelt.clients.mtls import client_ssl_context
from tests.tls import CLIENT_NAME, Pki, tls_server
from tests.unit.fakes import CountingLimiter


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture
async def server(pki: Pki) -> AsyncIterator[str]:
    async with tls_server(pki.server_context()) as base:
        yield base


@pytest.fixture
async def tb() -> AsyncIterator[Toolbelt]:
    async with Toolbelt(ToolbeltConfig(allowlist=("localhost",), secrets_file=None, rate_limit=1000)) as toolbelt:
        yield toolbelt


# ------------------------------------------------------------------------------------------------ the handshake
async def test_the_client_certificate_is_presented_and_the_request_api_works(
    tb: Toolbelt, server: str, pki: Pki
) -> None:
    client = tb.mtls_client(cert=pki.cert_pem, key=pki.key_pem, ca=pki.ca_pem)
    resp = await client.post(f"{server}/orders", params={"tag": ["a", "b"]}, json={"id": 42}, headers={"X-K": "v"})
    echoed = resp.json()
    assert resp.status == 200
    assert echoed["client"] == CLIENT_NAME
    assert (echoed["method"], echoed["path"], echoed["query"]) == ("POST", "/orders", "tag=a&tag=b")
    assert echoed["headers"]["X-K"] == "v"
    assert echoed["body"] == '{"id": 42}'
    for method in ("get", "put", "patch", "delete"):
        assert (await getattr(client, method)(f"{server}/x")).json()["method"] == method.upper()


@pytest.mark.parametrize("form", ["text", "bytes", "path", "pathlike"])
async def test_pem_as_text_bytes_or_path(tb: Toolbelt, server: str, pki: Pki, tmp_path: Path, form: str) -> None:
    files = {}
    for name, data in (("cert", pki.cert_pem), ("key", pki.key_pem), ("ca", pki.ca_pem)):
        files[name] = tmp_path / f"{name}.pem"
        files[name].write_bytes(data)
    choices: dict[str, dict[str, Any]] = {
        "text": {"cert": pki.cert_pem.decode(), "key": pki.key_pem.decode(), "ca": pki.ca_pem.decode()},
        "bytes": {"cert": pki.cert_pem, "key": pki.key_pem, "ca": pki.ca_pem},
        "path": {k: str(v) for k, v in files.items()},
        "pathlike": files,
    }
    sources = choices[form]
    resp = await tb.mtls_client(**sources).get(f"{server}/")
    assert resp.json()["client"] == CLIENT_NAME


async def test_a_server_refusing_the_certificate_is_a_general_issue(tb: Toolbelt, server: str, pki: Pki) -> None:
    stranger = tb.mtls_client(
        cert=pki.stranger.cert_chain_pems[0].bytes(), key=pki.stranger.private_key_pem.bytes(), ca=pki.ca_pem
    )
    with pytest.raises(TransportError) as info:
        await stranger.get(f"{server}/")
    assert info.value.code == ErrorCodes.MTLS_GENERAL_ISSUE
    assert info.value.component == "MTLSClient"


async def test_without_the_ca_the_server_is_not_trusted(tb: Toolbelt, server: str, pki: Pki) -> None:
    with pytest.raises(TransportError) as info:
        await tb.mtls_client(cert=pki.cert_pem, key=pki.key_pem).get(f"{server}/")
    assert info.value.code == ErrorCodes.MTLS_GENERAL_ISSUE
    assert "Certificate" in info.value.message  # the TLS failure, not retried


async def test_the_plain_http_client_has_no_certificate_to_present(tb: Toolbelt, server: str, pki: Pki) -> None:
    with pytest.raises(TransportError):
        await tb.http_client().get(f"{server}/")


async def test_one_context_per_client_reused_by_every_request(tb: Toolbelt, server: str, pki: Pki) -> None:
    client = tb.mtls_client(cert=pki.cert_pem, key=pki.key_pem, ca=pki.ca_pem)
    seen: list[object] = []
    sender = tb.transport.sender

    async def spy(request: Any) -> Any:
        seen.append(request.tls)
        return await sender(request)

    tb.transport.sender = spy
    await client.get(f"{server}/1")
    await client.get(f"{server}/2")
    assert seen == [client.ssl_context, client.ssl_context]


# ---------------------------------------------------------------------------------------- the HTTP client's rules
async def test_a_host_outside_the_allowlist_is_refused_before_any_connection(pki: Pki) -> None:
    limiter = CountingLimiter()
    async with Toolbelt(ToolbeltConfig(secrets_file=None), limiter=limiter) as tb:
        client = tb.mtls_client(cert=pki.cert_pem, key=pki.key_pem, ca=pki.ca_pem)
        with pytest.raises(ForbiddenHostError):
            await client.get("https://partner.not-allowed.example/")
    assert limiter.acquired == 0


async def test_requests_share_the_limiter_and_retry_a_503_for_get(pki: Pki) -> None:
    answers = [503, 200]

    async def flaky(request: web.Request) -> web.Response:
        return web.json_response({"client": CLIENT_NAME}, status=answers.pop(0))

    limiter = CountingLimiter()
    config = ToolbeltConfig(allowlist=("localhost",), secrets_file=None, retry_backoff_base=0.001)
    async with tls_server(pki.server_context(), flaky) as base, Toolbelt(config, limiter=limiter) as tb:
        resp = await tb.mtls_client(cert=pki.cert_pem, key=pki.key_pem, ca=pki.ca_pem).get(f"{base}/")
    assert resp.status == 200
    assert limiter.acquired == 2


async def test_raise_for_status(tb: Toolbelt, pki: Pki) -> None:
    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404, text="no such order")

    async with tls_server(pki.server_context(), missing) as base:
        with pytest.raises(HttpStatusError) as info:
            await tb.mtls_client(cert=pki.cert_pem, key=pki.key_pem, ca=pki.ca_pem).get(base, raise_for_status=True)
    assert info.value.status == 404


async def test_past_its_deadline_a_request_is_an_mtls_timeout(tb: Toolbelt, pki: Pki) -> None:
    async def stall(request: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response()

    async with tls_server(pki.server_context(), stall) as base:
        with pytest.raises(RequestTimeoutError) as info:
            await tb.mtls_client(cert=pki.cert_pem, key=pki.key_pem, ca=pki.ca_pem).get(base, timeout=0.2)
    assert info.value.code == ErrorCodes.MTLS_REQUEST_TIMEOUT


async def test_bad_arguments_are_refused_with_the_http_clients_rules(tb: Toolbelt, pki: Pki) -> None:
    client = tb.mtls_client(cert=pki.cert_pem, key=pki.key_pem)
    with pytest.raises(InvalidArgumentError) as info:
        await client.request("GET", "not a url")
    assert info.value.component == "MTLSClient"


# ------------------------------------------------------------------------------------------------ built, before I/O
def _encrypted(key_pem: bytes, password: bytes) -> bytes:
    key = serialization.load_pem_private_key(key_pem, None)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password),
    )


def test_bad_material_is_refused_with_the_spec_codes(pki: Pki) -> None:
    other_key = trustme.CA().issue_cert("x").private_key_pem.bytes()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"cert": pki.cert_pem, "key": b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}, "key"),
        ({"cert": pki.cert_pem, "key": b""}, "key"),
        ({"cert": pki.cert_pem, "key": pki.cert_pem}, "key"),
        ({"cert": pki.cert_pem, "key": _encrypted(pki.key_pem, b"pw")}, "key"),
        ({"cert": pki.cert_pem, "key": _encrypted(pki.key_pem, b"pw"), "password": "wrong"}, "key"),
        ({"cert": pki.cert_pem, "key": 42}, "key"),
        ({"cert": b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "key": pki.key_pem}, "cert"),
        ({"cert": pki.key_pem, "key": pki.key_pem}, "cert"),
        ({"cert": pki.cert_pem, "key": other_key}, "cert"),  # does not match the key
        ({"cert": pki.cert_pem, "key": pki.key_pem, "ca": b"not a CA"}, "cert"),
        ({"cert": "/no/such/file.pem", "key": pki.key_pem}, "cert"),
    ]
    for kwargs, which in cases:
        with pytest.raises(InvalidArgumentError) as info:
            client_ssl_context(**kwargs)
        expected = ErrorCodes.MTLS_INVALID_KEY if which == "key" else ErrorCodes.MTLS_INVALID_CERT
        assert info.value.code == expected, kwargs.keys()


def test_an_encrypted_key_loads_with_its_password(pki: Pki) -> None:
    context = client_ssl_context(pki.cert_pem, _encrypted(pki.key_pem, b"s3cret"), password="s3cret")
    assert context.verify_mode.name == "CERT_REQUIRED"


async def test_the_factory_raises_before_any_io(pki: Pki) -> None:
    limiter = CountingLimiter()
    async with Toolbelt(ToolbeltConfig(secrets_file=None), limiter=limiter) as tb:
        with pytest.raises(InvalidArgumentError) as info:
            tb.mtls_client(cert=pki.cert_pem, key=b"garbage")
    assert info.value.code == ErrorCodes.MTLS_INVALID_KEY
    assert limiter.acquired == 0


def test_key_material_appears_in_no_error_or_repr(pki: Pki) -> None:
    key_body = pki.key_pem.decode().splitlines()[1]
    mistyped = "".join(line for line in pki.key_pem.decode().splitlines() if not line.startswith("-----"))
    texts: list[str] = []
    for kwargs in (
        {"cert": pki.cert_pem, "key": pki.key_pem.replace(b"PRIVATE KEY-----\n", b"PRIVATE KEY-----\nXX")},
        {"cert": pki.cert_pem, "key": mistyped},  # no header: taken for a path, and no such file
        {"cert": mistyped, "key": pki.key_pem},
    ):
        with pytest.raises(InvalidArgumentError) as info:
            client_ssl_context(**kwargs)
        texts.append("".join(traceback.format_exception(info.value)) + repr(info.value) + str(info.value.details))
    context = client_ssl_context(pki.cert_pem, pki.key_pem)
    texts.append(repr(context))
    assert not [t for t in texts if key_body in t or key_body[:20] in t]


def test_without_memfd_the_key_goes_to_a_0600_file_deleted_at_once(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "memfd_create", raising=False)
    created: list[tuple[str, int]] = []
    mkstemp = tempfile.mkstemp

    def spy(*args: Any, **kwargs: Any) -> tuple[int, str]:
        fd, path = mkstemp(*args, **kwargs)
        created.append((path, stat.S_IMODE(os.stat(path).st_mode)))
        return fd, path

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    client_ssl_context(pki.cert_pem, pki.key_pem)
    with pytest.raises(InvalidArgumentError):
        client_ssl_context(pki.cert_pem, pki.key_pem.replace(b"PRIVATE KEY-----\n", b"PRIVATE KEY-----\nXX"))
    assert len(created) == 2
    assert all(mode == 0o600 for _, mode in created)
    assert not [path for path, _ in created if Path(path).exists()]


@pytest.mark.skipif(not hasattr(os, "memfd_create"), reason="memfd_create is Linux-only")
def test_with_memfd_no_file_is_written(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a temporary file was created")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    client_ssl_context(pki.cert_pem, pki.key_pem)
