"""Emulated CSDS (service discovery): every service answers with a bare ``host:port`` (no scheme).

``GET /api/account/{acc}/service/baseURI.json?version=1.0`` → ``{"baseURIs": [{"service", "account",
"baseURI"}, ...]}``; an unknown account → 404 JSON. No authentication. Route name: ``csds``.
"""

from __future__ import annotations

from aiohttp import web

from ..state import EmulatorState
from . import require_account

__all__ = ["ROUTE_CSDS", "setup"]

ROUTE_CSDS = "csds"


def setup(app: web.Application, state: EmulatorState) -> None:
    """Add the CSDS route."""

    async def base_uris(request: web.Request) -> web.Response:
        account = require_account(request, state)
        return web.json_response(
            {
                "baseURIs": [
                    {"service": service, "account": account, "baseURI": host}
                    for service, host in state.services.items()
                ]
            }
        )

    app.router.add_get("/api/account/{account}/service/baseURI.json", base_uris, name=ROUTE_CSDS)
