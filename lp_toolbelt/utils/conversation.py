"""Conversation Util: fetch a conversation from the Messaging Interactions API, scan it for keywords.

``get_conversation_by_id`` POSTs a conversation search (read-only, so it is retried like a GET on network
failures) through the LP client (CSDS ``msgHist`` + the app key's OAuth); ``scan_conversation_for_keywords`` is
pure (see :mod:`lp_toolbelt.utils.keyword_scan`).

Example::

    conversations = tb.conversation_util()
    conv = await conversations.get_conversation_by_id(conversation_id)
    hits = conversations.scan_conversation_for_keywords(conv, ["refund", "cancel"])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

from pydantic import ValidationError

from .. import _constants as C
from ..clients.lp import LpCall, LpClient
from ..config import ToolbeltConfig
from ..enums import ConversationContentTypes, LpServices
from ..errors import ErrorCodes, InvalidArgumentError, NotFoundError, ResponseFormatError, StatusErrors
from ..models.conversation import Conversation, KeywordScanResult
from ..telemetry import traced
from ..transport.response import HttpResponse
from .keyword_scan import scan_conversation_for_keywords

__all__ = ["ConversationSearch", "ConversationUtil", "build_conversation_search", "parse_conversation_response"]

COMPONENT: Final = "ConversationUtil"
CONVERSATION_STATUS_ERRORS: Final = StatusErrors(
    COMPONENT, ErrorCodes.CONVERSATION_UNEXPECTED_RESPONSE, auth_statuses=frozenset({401, 403})
)
_CONTENT_TYPES: Final = frozenset(t.value for t in ConversationContentTypes)


class ConversationSearch(LpCall):
    """The conversation-by-id search as a value (pure): ``path``, ``params`` and the JSON ``body``."""

    __slots__ = ()


def build_conversation_search(
    account_id: str,
    conversation_id: str,
    content_to_retrieve: Sequence[ConversationContentTypes | str] | None = None,
) -> ConversationSearch:
    """Validate the arguments and build the search (pure; InvalidArgumentError before any request).

    ``POST /messaging_history/api/account/{acc}/conversations/conversation/search?v=2&source=FaaS_Toolbelt`` with
    body ``{"conversationId": ..., "contentToRetrieve": [...]}`` — the key is left out when the list is empty or
    not given.

    Example::

        search = build_conversation_search("123", "conv-1", [ConversationContentTypes.MESSAGE_RECORDS])
        search.body    # {"conversationId": "conv-1", "contentToRetrieve": ["messageRecords"]}
    """
    if not isinstance(conversation_id, str) or not conversation_id.strip():
        raise InvalidArgumentError(COMPONENT, ErrorCodes.CONVERSATION_GENERAL, "Please provide a conversation ID.")
    body: dict[str, Any] = {"conversationId": conversation_id}
    if content_to_retrieve is not None:
        if isinstance(content_to_retrieve, str | bytes) or not isinstance(content_to_retrieve, Sequence):
            raise InvalidArgumentError(
                COMPONENT,
                ErrorCodes.CONVERSATION_GENERAL,
                "content_to_retrieve must be a list of ConversationContentTypes",
            )
        values: list[str] = []
        for item in content_to_retrieve:
            value = item.value if isinstance(item, ConversationContentTypes) else item
            if not isinstance(value, str) or value not in _CONTENT_TYPES:
                raise InvalidArgumentError(
                    COMPONENT,
                    ErrorCodes.CONVERSATION_GENERAL,
                    f"unknown content type {value!r}; use ConversationContentTypes",
                )
            if value not in values:
                values.append(value)
        if values:
            body["contentToRetrieve"] = values
    path = f"/messaging_history/api/account/{quote(account_id, safe='')}/conversations/conversation/search"
    params = {"v": C.MSGHIST_API_VERSION, "source": C.MSGHIST_SOURCE}
    # A search: reading twice is harmless, so it is retried like a GET.
    return ConversationSearch(path, params, body, LpServices.MSG_HIST, "POST", retry_safe=True)


def parse_conversation_response(resp: HttpResponse, conversation_id: str) -> Conversation:
    """The conversation from a search answer (pure).

    Raises HttpStatusError (``AuthenticationError`` for 401/403) with ``conversation-util.unexpected-response``
    for a non-2xx answer, ResponseFormatError (same code) for a body that is not JSON or not a conversation
    search result, NotFoundError (``conversation-util.conversation.not-found``) for an empty record list.
    """
    if not resp.ok:
        raise CONVERSATION_STATUS_ERRORS.error(
            resp.status, f"Unexpected response: {resp.excerpt()}. Status Code: {resp.status}"
        )
    try:
        conversation = Conversation.model_validate_json(resp.content)
    except ValidationError as err:
        if any(e["type"] == "json_invalid" for e in err.errors()):
            detail = "the body is not valid JSON"
        else:
            detail = f"the body is not a conversation search result ({err.error_count()} validation error(s))"
        raise ResponseFormatError(
            COMPONENT,
            ErrorCodes.CONVERSATION_UNEXPECTED_RESPONSE,
            f"Unexpected response: {detail}: {resp.excerpt(120)}. Status Code: {resp.status}",
            status=resp.status,
        ) from err
    if not conversation.conversation_history_records:
        raise NotFoundError(
            COMPONENT,
            ErrorCodes.CONVERSATION_NOT_FOUND,
            f'Conversation "{conversation_id}" not found.',
            status=resp.status,
        )
    return conversation


class ConversationUtil:
    """The Node toolbelt's ConversationUtil. Get it from ``tb.conversation_util()``."""

    def __init__(self, lp_client: LpClient, config: ToolbeltConfig) -> None:
        self._lp = lp_client
        self._config = config

    @traced("conversation_util")
    async def get_conversation_by_id(
        self,
        conversation_id: str,
        content_to_retrieve: Sequence[ConversationContentTypes] | None = None,
        *,
        app_key_secret_name: str | None = None,
        timeout: float | None = None,
    ) -> Conversation:
        """Fetch one conversation (``v=2``, so unauthenticated SDEs are included).

        ``content_to_retrieve`` selects the record parts (``None`` or empty: the API's default set).

        Raises NotFoundError (``conversation-util.conversation.not-found``) when no conversation has this id,
        HttpStatusError / ResponseFormatError (``conversation-util.unexpected-response``) for any other answer,
        InvalidArgumentError (``conversation-util-general``) for bad arguments, before any request; transport
        and CSDS failures raise their own ToolbeltErrors.

        Example::

            conv = await tb.conversation_util().get_conversation_by_id(
                "e5c58e49-e4a5-40a8-8a18-d6580d1d5630",
                [ConversationContentTypes.MESSAGE_RECORDS, ConversationContentTypes.SDES],
            )
            for message in conv.first_record.message_records:
                print(message.sent_by, message.text)
        """
        account = self._config.require_account(COMPONENT)
        search = build_conversation_search(account, conversation_id, content_to_retrieve)
        resp = await self._lp.send(search, app_key_secret_name=app_key_secret_name, timeout=timeout)
        return parse_conversation_response(resp, conversation_id)

    def scan_conversation_for_keywords(
        self, conversation: Conversation | Mapping[str, Any], keywords: Sequence[str]
    ) -> list[KeywordScanResult]:
        """Scan the first record's transcript for keywords (pure, no I/O).

        One result per (keyword, matching message), by keyword as given, then transcript order. Only
        ``TEXT_PLAIN`` texts and ``HOSTED_FILE`` captions count; matching is literal (``c++`` or ``?`` are plain
        text) and case-insensitive as JavaScript's ``i`` flag is. Raises InvalidArgumentError
        (``conversation-util-general``) when there is no record or no ``messageRecords``, or the keyword list is
        empty.

        Example::

            hits = tb.conversation_util().scan_conversation_for_keywords(conv, ["refund"])
            hits[0].model_dump(by_alias=True)
            # {"message": "I want a refund", "sentTimestamp": 1472483659564, "sentBy": "Consumer",
            #  "tag": "keywordRef:refund"}
        """
        return scan_conversation_for_keywords(conversation, keywords)

    def __repr__(self) -> str:
        return f"ConversationUtil(account_id={self._config.account_id!r})"
