"""The Node toolbelt's utilities: conversations (fetch + keyword scan), SDEs, GDPR file replacement.

Get them from a Toolbelt: ``tb.conversation_util()``, ``tb.sde_util()``, ``tb.gdpr_util()``. The names below are
imported on first use, so importing one utility does not import the others.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

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

    def __getattr__(name: str) -> Any:
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(import_module(module, __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
