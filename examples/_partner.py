"""A partner API that requires mutual TLS, on a loopback port: what ``make demo`` (and the tests) call with
``mtls_client()`` and through the emulator's mTLS gateway. Not a handler: demo infrastructure.

A test CA (``trustme``, a dev dependency) signs the server's certificate (``localhost``, ``127.0.0.1``) and one client
certificate; the server (aiohttp on 127.0.0.1) refuses any connection without a client certificate the CA signed
(``ssl.CERT_REQUIRED``) and answers every request with who presented it and what it sent.

Example::

    pki = PartnerPki()
    async with partner_server(pki.server_context()) as base:       # "https://localhost:PORT"
        resp = await tb.mtls_client(cert=pki.cert_pem, key=pki.key_pem, ca=pki.ca_pem).get(f"{base}/orders/42")
        resp.json()["client"]                                     # "lp-toolbelt demo client"
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import trustme
from aiohttp import web

__all__ = ["CLIENT_NAME", "PartnerPki", "echo_peer", "partner_server"]

CLIENT_NAME = "lp-toolbelt demo client"


@dataclass
class PartnerPki:
    """A CA, the partner server's certificate and one client certificate it signed (PEM bytes)."""

    ca: trustme.CA = field(default_factory=trustme.CA)

    def __post_init__(self) -> None:
        self.server = self.ca.issue_cert("localhost", "127.0.0.1")
        self.client = self.ca.issue_cert("client.example.org", common_name=CLIENT_NAME)

    @property
    def ca_pem(self) -> bytes:
        return self.ca.cert_pem.bytes()

    @property
    def cert_pem(self) -> bytes:
        return self.client.cert_chain_pems[0].bytes()

    @property
    def key_pem(self) -> bytes:
        return self.client.private_key_pem.bytes()

    def server_context(self, *, require_client: bool = True) -> ssl.SSLContext:
        """The server's context: its certificate, and (by default) a client certificate the CA signed required."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.server.configure_cert(context)
        if require_client:
            context.verify_mode = ssl.CERT_REQUIRED
            self.ca.configure_trust(context)
        return context


def _peer_name(request: web.Request) -> str | None:
    transport = request.transport
    peer = transport.get_extra_info("peercert") if transport is not None else None
    for rdn in (peer or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


async def echo_peer(request: web.Request) -> web.Response:
    """``{"client": <client certificate CN>, "method", "path", "query", "headers", "body"}``."""
    body = await request.read()
    return web.json_response(
        {
            "client": _peer_name(request),
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "headers": dict(request.headers),
            "body": body.decode("utf-8", "replace"),
        }
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def partner_server(context: ssl.SSLContext, handler: Handler = echo_peer) -> AsyncIterator[str]:
    """Serve ``handler`` for every path on 127.0.0.1 (a free port) over TLS; yields ``https://localhost:PORT``."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        yield f"https://localhost:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
