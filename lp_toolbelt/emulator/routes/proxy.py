"""The FaaS egress proxy, as a middleware in front of every emulated route.

For each request, in order:

1. record it in ``state.requests`` (never the Authorization value, only its scheme);
2. ``403`` with the proxy's text when the Host header (``host[:port]``) is not allowed by LivePerson's rule
   (``state.allowlist()``, see :mod:`lp_toolbelt.emulator.services`): a host CSDS (``state.services``) returns
   for a service on the default list (``ALLOWLIST_SERVICES``) or for the infrastructure (``INFRA_SERVICES``),
   the CSDS host itself, or an entry of ``state.whitelist``. So ``127.0.0.1:PORT`` (where the default services
   point) passes, while ``localhost:PORT`` (``mavenContext``, ``auditLog``, the Salesforce login host) passes
   only when whitelisted;
3. ``429 Too Many Requests`` with ``Retry-After: 1`` above ``state.rate_limit`` (token bucket: capacity = cap,
   refilled at cap per second — a client pacing at the cap is let through, a burst of twice the cap is not);
4. the next armed fault for the route, if any (see :class:`~lp_toolbelt.emulator.faults.FaultRegistry`);
5. the route itself.
"""

from __future__ import annotations

import time

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware
from yarl import URL

from ..._constants import PROXY_FORBIDDEN_MESSAGE
from ..faults import Handler, apply_fault
from ..state import EmulatorState, RecordedRequest

__all__ = ["REQUEST_ID_HEADER", "proxy_middleware"]

REQUEST_ID_HEADER = "X-Request-Id"


def _own_port(request: web.Request) -> int | None:
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if isinstance(sockname, tuple) and len(sockname) >= 2 and isinstance(sockname[1], int):
        return sockname[1]
    return None


def _host_allowed(request: web.Request, state: EmulatorState) -> bool:
    host = request.headers.get(hdrs.HOST, "")
    if not host:
        return False
    try:
        url = URL.build(scheme="http", authority=host)
    except (ValueError, TypeError):
        return False
    return state.allowlist(_own_port(request)).allows(url)


def proxy_middleware(state: EmulatorState) -> Middleware:
    """The proxy middleware for ``state`` (see the module docstring)."""

    @web.middleware
    async def proxy(request: web.Request, handler: Handler) -> web.StreamResponse:
        authorization = request.headers.get(hdrs.AUTHORIZATION)
        record = RecordedRequest(
            time=time.monotonic(),
            method=request.method,
            host=request.headers.get(hdrs.HOST, ""),
            path=request.path,
            query=request.rel_url.raw_query_string,
            route=request.match_info.route.name,
            request_id=request.headers.get(REQUEST_ID_HEADER),
            auth_scheme=authorization.strip().partition(" ")[0] or None if authorization else None,
        )
        state.requests.append(record)

        if not _host_allowed(request, state):
            record.forbidden = True
            record.status = 403
            return web.Response(status=403, text=PROXY_FORBIDDEN_MESSAGE, content_type="text/plain")

        if state.rate_limit is not None and not state.bucket.acquire(
            state.rate_limit, record.time, state.rate_tolerance
        ):
            record.rate_limited = True
            record.status = 429
            return web.Response(
                status=429, text="Too Many Requests", content_type="text/plain", headers={"Retry-After": "1"}
            )

        fault = state.faults.take(record.route)
        try:
            if fault is not None:
                record.fault = fault.kind
                response = await apply_fault(fault, request, handler)
            else:
                response = await handler(request)
        except web.HTTPException as exc:
            record.status = exc.status
            raise
        record.status = response.status
        return response

    return proxy
