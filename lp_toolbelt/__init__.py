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
    from .errors import (
        AuthenticationError,
        ConfigurationError,
        ErrorCodes,
        ForbiddenHostError,
        HttpStatusError,
        InvalidArgumentError,
        NotFoundError,
        RateLimitedError,
        ReplaceFilesError,
        RequestTimeoutError,
        ResponseFormatError,
        SalesforceAuthError,
        SalesforceError,
        ToolbeltError,
        TransportError,
    )
    from .models.context import Namespace
    from .models.conversation import Conversation, MessageRecord
    from .models.keyword_scan import KeywordScanResult
    from .models.orchestrator import ErrorStrategy, Invocation, InvocationError, InvocationResult
    from .models.sde import ConversationSDEs, SDEEvent
    from .models.secrets import SecretEntry
    from .toolbelt import Toolbelt
    from .transport.response import HttpResponse

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "AuthenticationError": ".errors",
    "ConfigurationError": ".errors",
    "Conversation": ".models.conversation",
    "ConversationContentTypes": ".enums",
    "ConversationSDEs": ".models.sde",
    "ErrorCodes": ".errors",
    "ErrorStrategy": ".models.orchestrator",
    "ForbiddenHostError": ".errors",
    "HttpResponse": ".transport.response",
    "HttpStatusError": ".errors",
    "InvalidArgumentError": ".errors",
    "Invocation": ".models.orchestrator",
    "InvocationError": ".models.orchestrator",
    "InvocationResult": ".models.orchestrator",
    "KeywordScanResult": ".models.keyword_scan",
    "LpServices": ".enums",
    "MessageRecord": ".models.conversation",
    "Namespace": ".models.context",
    "NotFoundError": ".errors",
    "RateLimitedError": ".errors",
    "ReplaceFilesError": ".errors",
    "RequestTimeoutError": ".errors",
    "ResponseFormatError": ".errors",
    "SDEEvent": ".models.sde",
    "SDETypes": ".enums",
    "SalesforceAuthError": ".errors",
    "SalesforceError": ".errors",
    "SecretEntry": ".models.secrets",
    "Toolbelt": ".toolbelt",
    "ToolbeltConfig": ".config",
    "ToolbeltError": ".errors",
    "TransportError": ".errors",
}

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "Conversation",
    "ConversationContentTypes",
    "ConversationSDEs",
    "ErrorCodes",
    "ErrorStrategy",
    "ForbiddenHostError",
    "HttpResponse",
    "HttpStatusError",
    "InvalidArgumentError",
    "Invocation",
    "InvocationError",
    "InvocationResult",
    "KeywordScanResult",
    "LpServices",
    "MessageRecord",
    "Namespace",
    "NotFoundError",
    "RateLimitedError",
    "ReplaceFilesError",
    "RequestTimeoutError",
    "ResponseFormatError",
    "SDEEvent",
    "SDETypes",
    "SalesforceAuthError",
    "SalesforceError",
    "SecretEntry",
    "Toolbelt",
    "ToolbeltConfig",
    "ToolbeltError",
    "TransportError",
    "__version__",
]

if not TYPE_CHECKING:  # hidden from type checkers, so a misspelt name stays an error for them
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
