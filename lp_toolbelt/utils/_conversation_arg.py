"""The conversation argument every util accepts: a ``Conversation`` or its wire-shaped mapping."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from ..errors import InvalidArgumentError
from ..models.conversation import Conversation

__all__ = ["as_conversation"]


def as_conversation(conversation: Conversation | Mapping[str, Any], component: str, code: str) -> Conversation:
    """The model for ``conversation``; InvalidArgumentError (``component``/``code``) for anything else."""
    if isinstance(conversation, Conversation):
        return conversation
    if isinstance(conversation, Mapping):
        try:
            return Conversation.model_validate(conversation)
        except ValidationError as err:
            raise InvalidArgumentError(
                component,
                code,
                f"the conversation does not have the Messaging Interactions shape ({err.error_count()} error(s))",
            ) from err
    raise InvalidArgumentError(component, code, "Please provide a conversation object")
