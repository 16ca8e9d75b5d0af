"""lp-toolbelt: asyncio-native LivePerson Functions toolbelt.

Example::

    from lp_toolbelt import Toolbelt, LpServices

    async with Toolbelt() as tb:                     # config from BRAND_ID, X_LIVEPERSON_CSDS_DOMAIN, ...
        secret = await tb.secret_client().read_secret("my-key")
        resp = await tb.lp_client()(LpServices.MSG_HIST, "/messaging_history/api/account/123/...")
"""

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
from .models.conversation import Conversation, KeywordScanResult, MessageRecord
from .models.orchestrator import ErrorStrategy, Invocation, InvocationError, InvocationResult
from .models.sde import ConversationSDEs, SDEEvent
from .models.secrets import SecretEntry
from .toolbelt import Toolbelt
from .transport.response import HttpResponse

__version__ = "0.1.0"

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
