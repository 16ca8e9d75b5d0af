"""Emulated Context Session Store (Conversation Context Service), in memory.

Every request needs ``maven-api-key`` set to one of ``state.context_api_keys`` (else 403), then the emulated
account (else 404). Namespaces live in ``state.context_namespaces``; the built-in namespaces (``faas``,
``consumer``, ``custom``, ``operational``, ``conversation``) always exist, are not listed, and cannot be created
or deleted (400). In a namespace with ``ttlSecond``, a session expires that many seconds after its last write
(``state.context_clock``, Unix seconds — tests may replace it to move time).

As LivePerson documents, creating a namespace that exists is neither a re-creation nor an error (its sessions,
``createdAt`` and TTL stay as they are), and deleting a namespace, a session or a property that does not exist
(never created, already deleted, or expired) is no error: the service answers ``204`` as for a delete that
removed something.

=====================================================================  ==============================================
``POST /v1/account/{acc}[?ttlSecond=n]`` body ``{"name"}``             204 (an existing one is left unchanged)
``GET /v1/account/{acc}``                                              200 ``[{"name", "createdAt", "ttlSecond"?}]``
``DELETE /v1/account/{acc}/{ns}``                                      204 (also when it does not exist)
``PATCH /v1/account/{acc}/{ns}/{sid}/properties`` body = object        204 (merge; creates the session)
``GET /v1/account/{acc}/{ns}/{sid}/properties``                        200 object, 404 unknown namespace/session
``DELETE /v1/account/{acc}/{ns}/{sid}/properties[/]``                  204 (deletes the session; also when missing)
``GET /v1/account/{acc}/{ns}/{sid}/properties/{name}``                 200 text (strings as is, else JSON), 404
``DELETE /v1/account/{acc}/{ns}/{sid}/properties/{name}``              204 (also when missing)
``GET /v1/account/{acc}/{ns}/session-ids[?page=&perPage=]``            200 ``["sid", ...]``, 404 unknown namespace
=====================================================================  ==============================================

Route names: ``context-namespaces``, ``context-namespace``, ``context-properties``, ``context-property``,
``context-session-ids``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web

from ..._constants import CONTEXT_BUILTIN_NAMESPACES
from ..state import ContextNamespace, ContextSession, EmulatorState
from . import json_error

__all__ = [
    "ROUTE_CONTEXT_NAMESPACE",
    "ROUTE_CONTEXT_NAMESPACES",
    "ROUTE_CONTEXT_PROPERTIES",
    "ROUTE_CONTEXT_PROPERTY",
    "ROUTE_CONTEXT_SESSION_IDS",
    "setup",
]

ROUTE_CONTEXT_NAMESPACES: Final = "context-namespaces"
ROUTE_CONTEXT_NAMESPACE: Final = "context-namespace"
ROUTE_CONTEXT_PROPERTIES: Final = "context-properties"
ROUTE_CONTEXT_PROPERTY: Final = "context-property"
ROUTE_CONTEXT_SESSION_IDS: Final = "context-session-ids"
API_KEY_HEADER: Final = "maven-api-key"


def _iso(timestamp: float) -> str:
    """Unix seconds → ``2019-08-02T19:41:52.017Z`` (the service's format)."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class _Store:
    """The handlers' view of the state: lookups with TTL expiry applied."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def check(self, request: web.Request) -> None:
        """403 without a known API key, 404 for another account."""
        if request.headers.get(API_KEY_HEADER) not in self.state.context_api_keys:
            raise _http(403, "invalid maven-api-key")
        if request.match_info.get("account") != self.state.account_id:
            raise _http(404, "unknown account")

    def existing(self, name: str) -> ContextNamespace | None:
        """The namespace (a built-in one is created on first use), or None."""
        found = self.state.context_namespaces.get(name)
        if found is None and name in CONTEXT_BUILTIN_NAMESPACES:
            found = ContextNamespace(name=name, created_at=self.state.context_clock())
            self.state.context_namespaces[name] = found
        return found

    def namespace(self, name: str) -> ContextNamespace:
        """The namespace (a built-in one is created on first use), or 404."""
        found = self.existing(name)
        if found is None:
            raise _http(404, f"namespace {name!r} does not exist")
        return found

    def sessions(self, ns: ContextNamespace) -> dict[str, ContextSession]:
        """The namespace's live sessions (expired ones are dropped first)."""
        if ns.ttl_second is not None:
            now = self.state.context_clock()
            for sid in [sid for sid, s in ns.sessions.items() if now - s.updated_at >= ns.ttl_second]:
                del ns.sessions[sid]
        return ns.sessions

    def session(self, ns: ContextNamespace, session_id: str) -> ContextSession:
        found = self.sessions(ns).get(session_id)
        if found is None:
            raise _http(404, f"session {session_id!r} does not exist")
        return found


def _http(status: int, message: str) -> web.HTTPException:
    body = json.dumps({"error": message})
    if status == 403:
        return web.HTTPForbidden(text=body, content_type="application/json")
    if status == 404:
        return web.HTTPNotFound(text=body, content_type="application/json")
    return web.HTTPBadRequest(text=body, content_type="application/json")


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read())
    except (ValueError, UnicodeDecodeError) as err:
        raise _http(400, "the body is not JSON") from err


def _positive_int(raw: str | None, name: str) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) <= 0:
        raise _http(400, f"{name} must be a positive integer")
    return int(raw)


def setup(app: web.Application, state: EmulatorState) -> None:
    """Add the Context Session Store routes."""
    store = _Store(state)

    async def namespaces(request: web.Request) -> web.Response:
        store.check(request)
        if request.method == "GET":
            return web.json_response(
                [
                    {
                        "name": ns.name,
                        "createdAt": _iso(ns.created_at),
                        **({"ttlSecond": ns.ttl_second} if ns.ttl_second is not None else {}),
                    }
                    for ns in state.context_namespaces.values()
                    if ns.name not in CONTEXT_BUILTIN_NAMESPACES
                ]
            )
        if request.method != "POST":
            return json_error(405, "method not allowed")
        ttl = _positive_int(request.query.get("ttlSecond"), "ttlSecond")
        body = await _json_body(request)
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip():
            return json_error(400, 'the body must be {"name": "<namespace>"}')
        if name in CONTEXT_BUILTIN_NAMESPACES:
            return json_error(400, f"{name!r} is a built-in namespace")
        if name not in state.context_namespaces:  # an existing namespace is neither recreated nor an error
            state.context_namespaces[name] = ContextNamespace(name, created_at=state.context_clock(), ttl_second=ttl)
        return web.Response(status=204)

    async def namespace(request: web.Request) -> web.Response:
        store.check(request)
        name = request.match_info["namespace"]
        if name in CONTEXT_BUILTIN_NAMESPACES:
            return json_error(400, f"{name!r} is a built-in namespace")
        state.context_namespaces.pop(name, None)  # deleting a missing namespace is no error
        return web.Response(status=204)

    async def properties(request: web.Request) -> web.Response:
        store.check(request)
        sid = request.match_info["session"]
        if request.method == "DELETE":  # deleting a missing session is no error
            found = store.existing(request.match_info["namespace"])
            if found is not None:
                store.sessions(found).pop(sid, None)
            return web.Response(status=204)
        ns = store.namespace(request.match_info["namespace"])
        if request.method == "GET":
            return web.json_response(store.session(ns, sid).properties)
        if request.method != "PATCH":
            return json_error(405, "method not allowed")
        body = await _json_body(request)
        if not isinstance(body, dict):
            return json_error(400, "the body must be a JSON object of properties")
        session = store.sessions(ns).setdefault(sid, ContextSession())
        session.properties.update(body)
        session.updated_at = state.context_clock()
        return web.Response(status=204)

    async def prop(request: web.Request) -> web.Response:
        store.check(request)
        name = request.match_info["name"]
        if request.method == "DELETE":  # deleting a missing property is no error
            found = store.existing(request.match_info["namespace"])
            session = store.sessions(found).get(request.match_info["session"]) if found is not None else None
            if session is not None:
                session.properties.pop(name, None)
            return web.Response(status=204)
        ns = store.namespace(request.match_info["namespace"])
        session = store.session(ns, request.match_info["session"])
        if name not in session.properties:
            return json_error(404, f"property {name!r} does not exist")
        if request.method != "GET":
            return json_error(405, "method not allowed")
        value = session.properties[name]
        if isinstance(value, str):  # the service answers a string property as bare text
            return web.Response(text=value, content_type="text/plain")
        return web.Response(text=json.dumps(value), content_type="application/json")

    async def session_ids(request: web.Request) -> web.Response:
        store.check(request)
        ns = store.namespace(request.match_info["namespace"])
        ids = list(store.sessions(ns))
        per_page = _positive_int(request.query.get("perPage"), "perPage")
        if per_page is not None:
            page_raw = request.query.get("page", "0")
            if not page_raw.isdigit():
                raise _http(400, "page must be a non-negative integer")
            start = int(page_raw) * per_page
            ids = ids[start : start + per_page]
        return web.json_response(ids)

    base = "/v1/account/{account}"
    app.router.add_route("*", base, namespaces, name=ROUTE_CONTEXT_NAMESPACES)
    app.router.add_get(base + "/{namespace}/session-ids", session_ids, name=ROUTE_CONTEXT_SESSION_IDS)
    app.router.add_route(
        "*", base + "/{namespace}/{session}/properties{slash:/?}", properties, name=ROUTE_CONTEXT_PROPERTIES
    )
    app.router.add_route("*", base + "/{namespace}/{session}/properties/{name}", prop, name=ROUTE_CONTEXT_PROPERTY)
    app.router.add_delete(base + "/{namespace}", namespace, name=ROUTE_CONTEXT_NAMESPACE)
