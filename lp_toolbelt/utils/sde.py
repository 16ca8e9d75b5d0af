"""SDE Util: report engagement attributes (SDEs) to a visitor's session, read them back from a conversation.

``add_sdes`` PUTs the list to the SMT (visitor monitoring) API through the LP client. That API is not real-time
(a call can take more than 30 s), so it gets a longer deadline (``SDE_TIMEOUT``, 60 s) than other calls.
``get_sdes_from_conv`` is pure.

Example::

    sde = tb.sde_util()
    await sde.add_sdes([{"type": SDETypes.SERVICE_ACTIVITY, "service": {"topic": "refund", "status": 0}}],
                       visitor_id, session_id)
    sdes = sde.get_sdes_from_conv(conversation)       # .sdes.events / .un_auth_sdes.events, oldest first
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

from .. import _constants as C
from ..clients.lp import LpCall, LpClient
from ..config import ToolbeltConfig
from ..enums import LpServices, SDETypes
from ..errors import ErrorCodes, InvalidArgumentError, StatusErrors
from ..models.conversation import Conversation
from ..models.sde import ConversationSDEs, SDEEvent, SDEList
from ..telemetry import traced
from ..transport.response import HttpResponse
from ._conversation_arg import as_conversation

__all__ = ["SDE_STATUS_ERRORS", "SDEUtil", "SdeRequest", "build_add_sdes_request", "sort_events", "validate_sdes"]

COMPONENT: Final = "SDEUtil"
EXCERPT_CHARS: Final = 200
SDE_STATUS_ERRORS: Final = StatusErrors(
    COMPONENT, ErrorCodes.SDES_UNEXPECTED_RESPONSE, auth_statuses=frozenset({401, 403})
)


def path_segment(value: Any, what: str, component: str, code: str) -> str:
    """``value`` percent-encoded as one path segment (pure): ``/``, ``?``, ``#``, ``%`` cannot change the request
    target, and the dot segments ``.``/``..`` (which URL normalisation would resolve) are refused."""
    if not isinstance(value, str) or not value or value in (".", ".."):
        raise InvalidArgumentError(component, code, f"{what} must be a non-empty string (not '.' or '..')")
    return quote(value, safe="")


def validate_sdes(sdes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Check an SDE list and return it as plain JSON-ready dicts (pure; InvalidArgumentError, ``sdes-util-general``).

    Each SDE is a mapping with a non-empty string ``type`` and must be JSON-serializable. :class:`~lp_toolbelt.SDETypes`
    lists the documented types (``"ctmrinfo"``, ``"purchase"``...) as suggestions: any type the API accepts goes
    through, the API is the judge. An empty list is refused.

    Example::

        validate_sdes([{"type": "ctmrinfo", "info": {"customerId": "138766AC"}}])
    """
    if isinstance(sdes, str | bytes | Mapping) or not isinstance(sdes, Sequence):
        raise InvalidArgumentError(COMPONENT, ErrorCodes.SDES_GENERAL, "sdes must be a list of SDE objects")
    if not sdes:
        raise InvalidArgumentError(COMPONENT, ErrorCodes.SDES_GENERAL, "Please provide one or more SDEs")
    out: list[dict[str, Any]] = []
    for index, sde in enumerate(sdes):
        if not isinstance(sde, Mapping):
            raise InvalidArgumentError(COMPONENT, ErrorCodes.SDES_GENERAL, f"sdes[{index}] must be an object")
        kind = sde.get("type")
        if isinstance(kind, SDETypes):
            kind = kind.value
        if not isinstance(kind, str) or not kind.strip():
            raise InvalidArgumentError(
                COMPONENT,
                ErrorCodes.SDES_GENERAL,
                f"sdes[{index}].type must be a non-empty string such as an SDETypes value, got {type(kind).__name__}",
            )
        item = {str(key): value for key, value in sde.items()}
        item["type"] = kind
        try:
            json.dumps(item, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise InvalidArgumentError(
                COMPONENT, ErrorCodes.SDES_GENERAL, f"sdes[{index}] is not JSON-serializable: {err}"
            ) from err
        out.append(item)
    return out


class SdeRequest(LpCall):
    """The SMT request as a value (pure): ``path``, ``params`` and the JSON ``body`` (the SDE list)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"SdeRequest(path={self.path!r}, params={self.params!r}, sdes={len(self.body)})"


def build_add_sdes_request(
    account_id: str, sdes: Sequence[Mapping[str, Any]], visitor_id: str, session_id: str
) -> SdeRequest:
    """``PUT /api/account/{acc}/monitoring/visitors/{visitorId}/visits/current/events?v=1&sid={sessionId}``
    with the SDE list as body (pure; InvalidArgumentError before any request)."""
    body = validate_sdes(sdes)
    visitor = path_segment(visitor_id, "visitor_id", COMPONENT, ErrorCodes.SDES_GENERAL)
    if not isinstance(session_id, str) or not session_id:
        raise InvalidArgumentError(COMPONENT, ErrorCodes.SDES_GENERAL, "session_id must be a non-empty string")
    account = quote(account_id, safe="")
    path = f"/api/account/{account}/monitoring/visitors/{visitor}/visits/current/events"
    # SMT appends the events: a replay after an ambiguous failure would record them twice, so never retry-safe.
    return SdeRequest(path, {"v": C.SMT_API_VERSION, "sid": session_id}, body, LpServices.SMT, "PUT", retry_safe=False)


def _sort_key(event: SDEEvent) -> int:
    timestamp = event.timestamp
    return -1 if timestamp is None else timestamp  # events without a time are the oldest, never "the latest"


def sort_events(events: Sequence[SDEEvent]) -> list[SDEEvent]:
    """Events ascending by ``serverTimeStamp`` (numerically; stable for ties; missing times first) (pure)."""
    return sorted(events, key=_sort_key)


class SDEUtil:
    """The Node toolbelt's SDEUtil. Get it from ``tb.sde_util()``."""

    def __init__(self, lp_client: LpClient, config: ToolbeltConfig, *, timeout: float = C.SDE_TIMEOUT) -> None:
        self._lp = lp_client
        self._config = config
        self.timeout = timeout

    @traced("sde_util")
    async def add_sdes(
        self,
        sdes: Sequence[Mapping[str, Any]],
        visitor_id: str,
        session_id: str,
        *,
        app_key_secret_name: str | None = None,
        timeout: float | None = None,
    ) -> HttpResponse:
        """Report engagement attributes to the visitor's current visit (SMT API); returns SMT's answer.

        ``timeout`` defaults to this util's (``SDE_TIMEOUT``, 60 s: the API can take over 30 s).

        Raises InvalidArgumentError (``sdes-util-general``) for an empty or malformed list or bad ids, before any
        request; HttpStatusError (``AuthenticationError`` for 401/403) with code ``sdes-util.unexpected-response``,
        ``status`` and a short excerpt of the answer (also in ``details["body"]``) for a non-2xx answer.

        Example::

            await tb.sde_util().add_sdes(
                [{"type": "ctmrinfo", "info": {"customerId": "138766AC", "ctype": "vip"}}],
                visitor_id="q2NzY0ZjY2NjQ0YjE0", session_id="tb2kODQxNWI4OTg0",
            )
        """
        account = self._config.require_account(COMPONENT)
        request = build_add_sdes_request(account, sdes, visitor_id, session_id)
        timeout = self.timeout if timeout is None else timeout
        resp = await self._lp.send(request, app_key_secret_name=app_key_secret_name, timeout=timeout)
        if not resp.ok:
            excerpt = resp.excerpt(EXCERPT_CHARS)
            raise SDE_STATUS_ERRORS.error(
                resp.status, f"Unexpected response: {excerpt}. Status Code: {resp.status}", details={"body": excerpt}
            )
        return resp

    def get_sdes_from_conv(self, conversation: Conversation | Mapping[str, Any]) -> ConversationSDEs:
        """The first record's SDEs, each list sorted ascending by ``serverTimeStamp`` (last = most recent).

        A missing ``sdes`` or ``unAuthSdes`` part yields an empty list. Raises InvalidArgumentError
        (``sdes-util-general``) for a conversation without records (pure, no I/O).

        Example::

            sdes = tb.sde_util().get_sdes_from_conv(conv)
            latest = sdes.sdes.events[-1] if sdes.sdes.events else None
            sdes.model_dump(by_alias=True)     # {"sdes": {"events": [...]}, "unAuthSdes": {"events": [...]}}
        """
        conv = as_conversation(conversation, COMPONENT, ErrorCodes.SDES_GENERAL)
        record = conv.first_record
        if record is None:
            raise InvalidArgumentError(COMPONENT, ErrorCodes.SDES_GENERAL, "conversationHistoryRecords is empty")
        return ConversationSDEs(
            sdes=SDEList(events=sort_events(record.sdes.events if record.sdes else [])),
            un_auth_sdes=SDEList(events=sort_events(record.un_auth_sdes.events if record.un_auth_sdes else [])),
        )

    def __repr__(self) -> str:
        return f"SDEUtil(account_id={self._config.account_id!r}, timeout={self.timeout:g})"
