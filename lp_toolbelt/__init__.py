"""lp-toolbelt: asyncio-native LivePerson Functions toolbelt.

Example::

    from lp_toolbelt import Toolbelt, LpServices

    async with Toolbelt() as tb:                     # config from BRAND_ID, X_LIVEPERSON_CSDS_DOMAIN, ...
        secret = await tb.secret_client().read_secret("my-key")
        resp = await tb.lp_client()(LpServices.MSG_HIST, "/messaging_history/api/account/123/...")

The names below are imported on first use (``from lp_toolbelt import Toolbelt`` imports what a Toolbelt needs, and
no more): a function that starts a process per invocation does not pay for what it never touches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

if TYPE_CHECKING:  # what type checkers and IDEs see: the real names and types
    from .config import ToolbeltConfig
    from .enums import ConversationContentTypes, LpServices, SDETypes
    from .errors import ErrorCodes, ToolbeltError
    from .models.context import Namespace
    from .models.conversation import Conversation, MessageRecord
    from .models.keyword_scan import KeywordScanResult
    from .models.sde import ConversationSDEs, SDEEvent
    from .models.secrets import SecretEntry
    from .toolbelt import Toolbelt
    from .transport.response import HttpResponse

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Conversation": ".models.conversation",
    "ConversationContentTypes": ".enums",
    "ConversationSDEs": ".models.sde",
    "ErrorCodes": ".errors",
    "HttpResponse": ".transport.response",
    "KeywordScanResult": ".models.keyword_scan",
    "LpServices": ".enums",
    "MessageRecord": ".models.conversation",
    "Namespace": ".models.context",
    "SDEEvent": ".models.sde",
    "SDETypes": ".enums",
    "SecretEntry": ".models.secrets",
    "Toolbelt": ".toolbelt",
    "ToolbeltConfig": ".config",
    "ToolbeltError": ".errors",
}

__all__ = [
    "Conversation",
    "ConversationContentTypes",
    "ConversationSDEs",
    "ErrorCodes",
    "HttpResponse",
    "KeywordScanResult",
    "LpServices",
    "MessageRecord",
    "Namespace",
    "SDEEvent",
    "SDETypes",
    "SecretEntry",
    "Toolbelt",
    "ToolbeltConfig",
    "ToolbeltError",
    "__version__",
]

if not TYPE_CHECKING:  # hidden from type checkers, so a misspelt name stays an error for them
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
