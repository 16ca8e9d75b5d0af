"""Emulated Sentinel: OAuth 2 client-credentials tokens for app installations.

``POST /sentinel/api/v2/account/{acc}/app/token?v=2.0``, form ``client_id, client_secret,
grant_type=client_credentials`` → ``{"access_token", "token_type": "Bearer", "expires_in": "<seconds>"}``
(``expires_in`` is a string, as LivePerson sends it; the TTL is ``state.token_ttl``). The client must match an
app-installation secret in ``state.secrets`` as it is now; otherwise 401 JSON. Route name: ``sentinel``.
"""

from __future__ import annotations

from aiohttp import web

from ..state import EmulatorState
from . import json_error, require_account

__all__ = ["ROUTE_SENTINEL", "setup"]

ROUTE_SENTINEL = "sentinel"


def setup(app: web.Application, state: EmulatorState) -> None:
    """Add the Sentinel token route."""

    async def token(request: web.Request) -> web.Response:
        require_account(request, state)
        form = await request.post()
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if form.get("grant_type") != "client_credentials":
            return json_error(401, "unsupported_grant_type")
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            return json_error(401, "invalid_client")
        if not any(app.client_id == client_id and app.client_secret == client_secret for app in state.oauth2_secrets()):
            return json_error(401, "invalid_client")
        access_token = state.issue_token(client_id, client_secret)
        return web.json_response(
            {"access_token": access_token, "token_type": "Bearer", "expires_in": str(state.token_ttl)}
        )

    app.router.add_post("/sentinel/api/v2/account/{account}/app/token", token, name=ROUTE_SENTINEL)
