"""The Node toolbelt's utilities: conversations (fetch + keyword scan), SDEs, GDPR file replacement.

Get them from a Toolbelt: ``tb.conversation_util()``, ``tb.sde_util()``, ``tb.gdpr_util()``. The names below are
imported on first use, so importing one utility does not import the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .conversation import ConversationUtil
    from .gdpr import GDPRUtil, ReplaceFilesError
    from .keyword_scan import KeywordMatcher, scan_conversation_for_keywords
    from .sde import SDEUtil

_EXPORTS: dict[str, str] = {
    "ConversationUtil": ".conversation",
    "GDPRUtil": ".gdpr",
    "KeywordMatcher": ".keyword_scan",
    "ReplaceFilesError": ".gdpr",
    "SDEUtil": ".sde",
    "scan_conversation_for_keywords": ".keyword_scan",
}

__all__ = [
    "ConversationUtil",
    "GDPRUtil",
    "KeywordMatcher",
    "ReplaceFilesError",
    "SDEUtil",
    "scan_conversation_for_keywords",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
