"""The Node toolbelt's utilities: conversations (fetch + keyword scan), SDEs, GDPR file replacement.

Get them from a Toolbelt: ``tb.conversation_util()``, ``tb.sde_util()``, ``tb.gdpr_util()``.
"""

from .conversation import ConversationUtil
from .gdpr import GDPRUtil, ReplaceFilesError
from .keyword_scan import KeywordMatcher, scan_conversation_for_keywords
from .sde import SDEUtil

__all__ = [
    "ConversationUtil",
    "GDPRUtil",
    "KeywordMatcher",
    "ReplaceFilesError",
    "SDEUtil",
    "scan_conversation_for_keywords",
]
