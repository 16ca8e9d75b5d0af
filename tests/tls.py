"""Real TLS for the mTLS tests: a test CA (trustme), a server certificate for ``localhost`` / ``127.0.0.1``, client
certificates, and a loopback aiohttp server on 127.0.0.1 that requires a client certificate (``CERT_REQUIRED``) and
answers who presented it."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import trustme
from aiohttp import web

__all__ = ["CLIENT_NAME", "Pki", "echo_peer", "tls_server"]

CLIENT_NAME = "lp-toolbelt test client"


@dataclass
class Pki:
    """A CA, the server's certificate, and one client certificate it signed (PEM bytes)."""

    ca: trustme.CA = field(default_factory=trustme.CA)
    other_ca: trustme.CA = field(default_factory=trustme.CA)  # a CA the server does not trust

    def __post_init__(self) -> None:
        self.server = self.ca.issue_cert("localhost", "127.0.0.1")
        self.client = self.ca.issue_cert("client.example.org", common_name=CLIENT_NAME)
        self.stranger = self.other_ca.issue_cert("stranger.example.org", common_name="stranger")

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
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.server.configure_cert(context)
        if require_client:
            context.verify_mode = ssl.CERT_REQUIRED
            self.ca.configure_trust(context)
        return context


def _peer_name(request: web.Request) -> str | None:
    transport = request.transport
    peer = transport.get_extra_info("peercert") if transport is not None else None
    if not peer:
        return None
    for rdn in peer.get("subject", ()):
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
async def tls_server(context: ssl.SSLContext, handler: Handler = echo_peer) -> AsyncIterator[str]:
    """Serve ``handler`` for every path on 127.0.0.1 (a free port) over TLS; yields ``https://localhost:PORT``."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        port = runner.addresses[0][1]
        yield f"https://localhost:{port}"
    finally:
        await runner.cleanup()
