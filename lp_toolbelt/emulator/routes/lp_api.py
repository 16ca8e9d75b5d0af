"""A demo LivePerson API behind :func:`~lp_toolbelt.emulator.auth.verify_lp_auth`.

* ``GET /api/account/{acc}/configuration/le-users/skills`` (CSDS ``accountConfigReadOnly``) → the seeded
  skills ``[{"id", "name", ...}]``. Route name: ``skills``.
* ``POST /api/account/{acc}/echo`` → the JSON body, unchanged (bodies are not part of an OAuth 1 signature,
  so this proves a signed request may carry any body). Route name: ``echo``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..auth import verify_lp_auth
from ..state import EmulatorState
from . import json_error, require_account

__all__ = ["ROUTE_ECHO", "ROUTE_SKILLS", "setup"]

ROUTE_SKILLS = "skills"
ROUTE_ECHO = "echo"


def setup(app: web.Application, state: EmulatorState) -> None:
    """Add the skills and echo routes."""

    async def skills(request: web.Request) -> web.Response:
        await verify_lp_auth(request, state)
        require_account(request, state)
        return web.json_response(state.skills)

    async def echo(request: web.Request) -> web.Response:
        await verify_lp_auth(request, state)
        require_account(request, state)
        try:
            body: Any = await request.json()
        except ValueError:
            return json_error(400, "body is not JSON")
        return web.json_response(body)

    app.router.add_get("/api/account/{account}/configuration/le-users/skills", skills, name=ROUTE_SKILLS)
    app.router.add_post("/api/account/{account}/echo", echo, name=ROUTE_ECHO)
