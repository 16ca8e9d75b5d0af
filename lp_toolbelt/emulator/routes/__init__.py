"""The emulator's route modules. Each exposes ``setup(app, state)``, which adds its routes (with route names,
so the request log and faults can refer to them) to the aiohttp application.

Helpers shared by the route modules live here: :func:`json_error` and :func:`require_account`.
"""

from __future__ import annotations

import json

from aiohttp import web

from ..state import EmulatorState

__all__ = ["json_error", "require_account"]


def json_error(status: int, message: str) -> web.Response:
    """A JSON error answer ``{"error": message}``."""
    return web.Response(status=status, text=json.dumps({"error": message}), content_type="application/json")


def require_account(request: web.Request, state: EmulatorState, key: str = "account") -> str:
    """The account in the path, or raise a 404 JSON answer when it is not the emulated account."""
    account = request.match_info.get(key, "")
    if account != state.account_id:
        raise web.HTTPNotFound(
            text=json.dumps({"error": f"unknown account {account!r}"}), content_type="application/json"
        )
    return account
