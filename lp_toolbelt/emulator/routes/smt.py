"""Emulated SMT (visitor monitoring) API: report engagement attributes (SDEs) to a visitor (CSDS ``smt``).

``PUT /api/account/{acc}/monitoring/visitors/{visitorId}/visits/current/events?v=1&sid={sessionId}`` (route name
``smt``), behind :func:`~lp_toolbelt.emulator.auth.verify_lp_auth`. The body is a non-empty JSON list of SDEs,
each with a ``type`` from ``SDETypes`` (``400`` otherwise; ``sid`` is required). Each SDE is stored in
``state.visitor_sdes[visitorId]`` in the shape the Messaging Interactions API reports it — ``{"customerInfo":
{"customerInfo": {...}, "serverTimeStamp": ..., "isAuthenticated": false}, "sdeType": "CUSTOMER_INFO",
"serverTimeStamp": ..., "isAuthenticated": false}``. SDEs reported through this monitoring API are
**unauthenticated**: LivePerson lists them under the conversation's ``unAuthSdes`` (returned with ``v=2`` only),
never under ``sdes``, and not in real time (``state.sde_delay`` seconds after arrival; 0 by default).
``serverTimeStamp`` is the arrival time in epoch ms, strictly increasing per visitor. Answer: ``200 {}``.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any, Final

from aiohttp import web

from ...enums import SDETypes
from ..auth import verify_lp_auth
from ..state import EmulatorState
from . import json_error, require_account

__all__ = ["ROUTE_SMT", "setup", "smt_to_event"]

ROUTE_SMT: Final = "smt"

# SMT type -> (msgHist sdeType, event key, the SMT field nested under the key again or None when flat)
# The documentation's unAuthSdes example marks these nested payloads unauthenticated too, the others only outside.
_MARKED_INSIDE: Final = frozenset({"customerInfo", "personalInfo"})
_EVENT_SHAPES: Final[dict[str, tuple[str, str, str | None]]] = {
    SDETypes.CUSTOMER_INFO.value: ("CUSTOMER_INFO", "customerInfo", "info"),
    SDETypes.MARKETING_SOURCE.value: ("MARKETING_CAMPAIGN_INFO", "marketingCampaignInfo", "info"),
    SDETypes.PERSONAL_INFO.value: ("PERSONAL_INFO", "personalInfo", "personal"),
    SDETypes.LEAD.value: ("LEAD", "lead", "lead"),
    SDETypes.SERVICE_ACTIVITY.value: ("SERVICE_ACTIVITY", "serviceActivity", "service"),
    SDETypes.VISITOR_ERROR.value: ("VISITOR_ERROR", "visitorError", "error"),
    SDETypes.CART.value: ("CART_STATUS", "cartStatus", None),
    SDETypes.TRANSACTION.value: ("PURCHASE", "purchase", None),
    SDETypes.VIEWED_PRODUCT.value: ("VIEWED_PRODUCT", "viewedProduct", None),
    SDETypes.SEARCHED_CONTENT.value: ("SEARCH_CONTENT", "searchContent", None),
    SDETypes.ORDER_ID.value: ("ORDER_ID", "orderId", None),
}


def smt_to_event(sde: dict[str, Any], server_time_stamp: int) -> dict[str, Any]:
    """One SMT SDE (``{"type": "ctmrinfo", "info": {...}}``) as a msgHist ``unAuthSdes.events[]`` item (pure)."""
    sde_type, key, nested = _EVENT_SHAPES[sde["type"]]
    if nested is not None:
        inner: dict[str, Any] = {key: copy.deepcopy(sde.get(nested, {}))}  # e.g. customerInfo.customerInfo
    else:
        inner = {k: copy.deepcopy(v) for k, v in sde.items() if k != "type"}
    inner["serverTimeStamp"] = server_time_stamp
    if key in _MARKED_INSIDE:
        inner["isAuthenticated"] = False
    return {key: inner, "sdeType": sde_type, "serverTimeStamp": server_time_stamp, "isAuthenticated": False}


def _problem(body: Any) -> str | None:
    if not isinstance(body, list) or not body:
        return "the body must be a non-empty JSON list of SDEs"
    for index, sde in enumerate(body):
        if not isinstance(sde, dict):
            return f"SDE {index} is not an object"
        if sde.get("type") not in _EVENT_SHAPES:
            return f"SDE {index} has an unknown type {sde.get('type')!r}"
    return None


def setup(app: web.Application, state: EmulatorState) -> None:
    """Add the SDE reporting route."""

    async def report(request: web.Request) -> web.Response:
        await verify_lp_auth(request, state)
        require_account(request, state)
        visitor = request.match_info["visitor"]
        if not request.query.get("sid"):
            return json_error(400, "the sid query parameter (session id) is required")
        try:
            body: Any = json.loads(await request.read())
        except ValueError:
            return json_error(400, "body is not JSON")
        problem = _problem(body)
        if problem is not None:
            return json_error(400, problem)
        events = state.visitor_sdes.setdefault(visitor, [])
        last = max((e["serverTimeStamp"] for e in events), default=0)
        for sde in body:
            last = max(int(time.time() * 1000), last + 1)
            events.append(smt_to_event(sde, last))
        return web.json_response({})

    app.router.add_put(
        "/api/account/{account}/monitoring/visitors/{visitor}/visits/current/events", report, name=ROUTE_SMT
    )
