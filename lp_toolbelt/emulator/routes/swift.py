"""Emulated Swift object storage, where conversation files live (CSDS ``swift``; GDPR file replacement).

Swift has its own auth (not LivePerson OAuth), still behind the emulator's proxy checks:

* ``GET /auth/v1.0`` with ``X-Auth-User`` / ``X-Auth-Key`` (route name ``swift_auth``): checked against
  ``state.swift_credentials`` (default ``swift-user`` / ``swift-key``) → ``200`` with ``X-Auth-Token`` (recorded
  in ``state.swift_tokens``) and ``X-Storage-Url``; ``401`` otherwise.
* ``PUT`` / ``GET`` (and ``HEAD``) ``/v1/AUTH_{container account}/{object path}`` (route name ``swift_object``)
  with ``X-Auth-Token``: PUT stores the body and its ``Content-Type`` in ``state.swift_files[path]`` (``201``), GET
  reads it back (``404`` when absent); an unknown token gets ``401``. Tests revoke tokens with
  ``state.swift_tokens.clear()``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

from aiohttp import web

from ..state import EmulatorState

__all__ = ["ROUTE_SWIFT_AUTH", "ROUTE_SWIFT_OBJECT", "setup"]

ROUTE_SWIFT_AUTH: Final = "swift_auth"
ROUTE_SWIFT_OBJECT: Final = "swift_object"


def _unauthorized() -> web.Response:
    return web.Response(status=401, text="<html><h1>Unauthorized</h1></html>", content_type="text/html")


def setup(app: web.Application, state: EmulatorState) -> None:
    """Add the Swift auth and object routes."""

    async def auth(request: web.Request) -> web.Response:
        user = request.headers.get("X-Auth-User", "")
        key = request.headers.get("X-Auth-Key", "")
        expected = state.swift_credentials.get(user)
        if not user or expected is None or not hmac.compare_digest(expected.encode(), key.encode()):
            return _unauthorized()
        token = "AUTH_tk" + secrets.token_hex(16)
        state.swift_tokens[token] = user
        headers = {
            "X-Auth-Token": token,
            "X-Storage-Token": token,
            "X-Storage-Url": f"{request.scheme}://{request.host}/v1/AUTH_{state.account_id}",
        }
        return web.Response(status=200, headers=headers)

    def authorized(request: web.Request) -> bool:
        token = request.headers.get("X-Auth-Token", "")
        return bool(token) and token in state.swift_tokens

    async def put_object(request: web.Request) -> web.Response:
        if not authorized(request):
            return _unauthorized()
        body = await request.read()
        content_type = request.headers.get("Content-Type", "application/octet-stream")
        state.swift_files[request.path] = (body, content_type)
        return web.Response(status=201, headers={"ETag": hashlib.md5(body, usedforsecurity=False).hexdigest()})

    async def get_object(request: web.Request) -> web.Response:
        if not authorized(request):
            return _unauthorized()
        stored = state.swift_files.get(request.path)
        if stored is None:
            return web.Response(status=404, text="<html><h1>Not Found</h1></html>", content_type="text/html")
        body, content_type = stored
        return web.Response(body=body, headers={"Content-Type": content_type})

    app.router.add_get("/auth/v1.0", auth, name=ROUTE_SWIFT_AUTH)
    resource = app.router.add_resource("/v1/{container:AUTH_[^/]+}/{name:.+}", name=ROUTE_SWIFT_OBJECT)
    resource.add_route("PUT", put_object)
    resource.add_route("GET", get_object)
