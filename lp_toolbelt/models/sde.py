"""Engagement attribute (SDE) models, and :class:`WireModel`, the base of every LivePerson payload model.

Conversation records carry two SDE lists, ``sdes`` (authenticated) and ``unAuthSdes``; each is
``{"events": [SDEEvent, ...]}``. An event names its type in ``sdeType`` and keeps its data under a type-specific
key (``customerInfo``, ``personalInfo``, ``cartStatus``, ...)::

    {"customerInfo": {"customerInfo": {"customerId": "12345678"}, "serverTimeStamp": "1497871291351"},
     "sdeType": "CUSTOMER_INFO", "serverTimeStamp": "1497871291351"}

``serverTimeStamp`` is a number in the API reference and a string in its examples; both are accepted and kept as
sent. :attr:`SDEEvent.timestamp` gives it as an ``int``.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializationInfo, SerializerFunctionWrapHandler, model_serializer
from pydantic.alias_generators import to_camel, to_snake

__all__ = ["SDE_EVENT_KEYS", "ConversationSDEs", "SDEEvent", "SDEList", "WireModel", "parse_timestamp"]


class WireModel(BaseModel):
    """Base of the LivePerson payload models.

    * attributes are snake_case, the wire names (camelCase) are aliases; both are accepted on input;
    * unknown fields are kept (``extra="allow"``) and dumped back unchanged;
    * ``model_dump(by_alias=True)`` gives the wire shape: a field that was neither sent nor set and is ``None``
      is left out (instead of appearing as ``null``), so a payload round-trips to the same JSON.

    Example::

        record = MessageRecord.model_validate({"type": "TEXT_PLAIN", "timeL": 1, "custom": True})
        record.time_l                                 # 1
        record.model_dump(by_alias=True)              # {"type": "TEXT_PLAIN", "timeL": 1, "custom": True}
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, alias_generator=to_camel)

    @model_serializer(mode="wrap")
    def _drop_absent(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            fields_set = self.model_fields_set
            by_alias = bool(info.by_alias)
            for name, field in type(self).model_fields.items():
                if name not in fields_set and getattr(self, name) is None:
                    data.pop(field.alias if by_alias and field.alias else name, None)
        return data


# sdeType (as the Messaging Interactions API names it) -> the key holding the event's data.
SDE_EVENT_KEYS: dict[str, str] = {
    "CUSTOMER_INFO": "customerInfo",
    "PERSONAL_INFO": "personalInfo",
    "CART_STATUS": "cartStatus",
    "MARKETING_CAMPAIGN_INFO": "marketingCampaignInfo",
    "SEARCH_CONTENT": "searchContent",
    "VIEWED_PRODUCT": "viewedProduct",
    "VISITOR_ERROR": "visitorError",
    "LEAD": "lead",
    "PURCHASE": "purchase",
    "SERVICE_ACTIVITY": "serviceActivity",
    "USER_UPDATE": "userUpdate",
}


class SDEEvent(WireModel):
    """One engagement attribute event of a conversation record.

    Attributes (all optional): ``sde_type`` (``sdeType``, e.g. ``"CUSTOMER_INFO"``), ``server_time_stamp``
    (``serverTimeStamp``, int or numeric string as sent), ``is_authenticated``, and the type-specific data
    (``customer_info``, ``personal_info``, ``cart_status``, ...). Unknown keys are kept.

    Example::

        event = SDEEvent.model_validate({"sdeType": "LEAD", "serverTimeStamp": "1528628536882", "lead": {...}})
        event.timestamp        # 1528628536882
        event.data             # the dict under "lead"
    """

    sde_type: str | None = None
    server_time_stamp: int | str | None = None
    is_authenticated: bool | None = None
    customer_info: dict[str, Any] | None = None
    personal_info: dict[str, Any] | None = None
    cart_status: dict[str, Any] | None = None
    marketing_campaign_info: dict[str, Any] | None = None
    search_content: dict[str, Any] | None = None
    viewed_product: dict[str, Any] | None = None
    visitor_error: dict[str, Any] | None = None
    lead: dict[str, Any] | None = None
    purchase: dict[str, Any] | None = None
    service_activity: dict[str, Any] | None = None
    user_update: dict[str, Any] | None = None

    @property
    def timestamp(self) -> int | None:
        """``serverTimeStamp`` as epoch milliseconds, or ``None`` when absent or not a number."""
        return parse_timestamp(self.server_time_stamp)

    @property
    def data(self) -> Any:
        """The event's data: the value under the key its ``sdeType`` names (``None`` if absent or unknown)."""
        key = SDE_EVENT_KEYS.get(self.sde_type or "")
        return None if key is None else getattr(self, to_snake(key))


def parse_timestamp(value: Any) -> int | None:
    """An epoch-ms timestamp given as int, float or numeric string → int; anything else → None (pure)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return None
            return int(number) if math.isfinite(number) else None
    return None


class SDEList(WireModel):
    """``{"events": [...]}``: the ``sdes`` / ``unAuthSdes`` part of a conversation record."""

    events: list[SDEEvent] = Field(default_factory=list)


class ConversationSDEs(WireModel):
    """The SDEs of a conversation, each list sorted ascending by ``serverTimeStamp`` (last = most recent).

    ``model_dump(by_alias=True)`` gives the Node shape ``{"sdes": {"events": [...]}, "unAuthSdes": {"events": [...]}}``.

    Example::

        sdes = tb.sde_util().get_sdes_from_conv(conversation)
        latest = sdes.sdes.events[-1] if sdes.sdes.events else None
        for event in sdes.un_auth_sdes.events:
            print(event.sde_type, event.timestamp)
    """

    sdes: SDEList = Field(default_factory=SDEList)
    un_auth_sdes: SDEList = Field(default_factory=SDEList)
