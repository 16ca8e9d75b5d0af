"""The keyword scanner's result, :class:`KeywordScanResult`: a slotted, immutable pydantic dataclass.

A scan of a dense transcript returns millions of these, so each is one small object (four slots, no ``__dict__``,
no fields-set or extras containers) and the scanner fills them in bulk (``_build_unchecked``), without
re-validating values it took from an already validated conversation. Everything else behaves like the other
models: validation on construction, the Node field names as aliases, ``model_dump`` / ``model_validate`` /
``model_json_schema``, equality, hashing, pickling.

Example::

    hit = KeywordScanResult(message="I love it", sent_timestamp=1, sent_by="Consumer", tag="keywordRef:love")
    hit.model_dump(by_alias=True)
    # {"message": "I love it", "sentTimestamp": 1, "sentBy": "Consumer", "tag": "keywordRef:love"}
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Callable, Iterable
from itertools import repeat
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self

from pydantic import ConfigDict, Field, TypeAdapter
from pydantic.dataclasses import dataclass
from pydantic_core import SchemaSerializer, SchemaValidator, ValidationError

__all__ = ["KeywordScanResult"]

IncEx = set[int] | set[str] | dict[int, Any] | dict[str, Any] | None


@dataclass(slots=True, frozen=True, config=ConfigDict(populate_by_name=True, defer_build=True))
class KeywordScanResult:
    """One keyword hit of ``scan_conversation_for_keywords``.

    ``message`` is the text that matched, ``sent_timestamp`` its ``timeL`` (``-1`` when the record has none, the
    API's own "no time" value), ``sent_by`` its ``sentBy`` (``""`` when absent), ``tag`` ``"keywordRef:<keyword>"``.
    ``model_dump(by_alias=True)`` gives the Node names ``message, sentTimestamp, sentBy, tag``. Immutable:
    assigning a field raises pydantic's ``ValidationError`` (``frozen_instance``), as on the other models.

    Example::

        hit = KeywordScanResult(message="I love it", sent_timestamp=1, sent_by="Consumer", tag="keywordRef:love")
        hit.model_dump(by_alias=True)["sentTimestamp"]   # 1
        KeywordScanResult.model_validate({"message": "m", "sentTimestamp": 1, "sentBy": "Agent", "tag": "t"})
    """

    message: str
    sent_timestamp: Annotated[int, Field(alias="sentTimestamp")]
    sent_by: Annotated[str, Field(alias="sentBy")]
    tag: str

    if TYPE_CHECKING:  # set by pydantic
        __pydantic_validator__: ClassVar[SchemaValidator]
        __pydantic_serializer__: ClassVar[SchemaSerializer]

    # ------------------------------------------------------------------------------ the BaseModel API users call
    def model_dump(
        self,
        *,
        mode: Literal["json", "python"] | str = "python",
        by_alias: bool = False,
        include: IncEx = None,
        exclude: IncEx = None,
    ) -> dict[str, Any]:
        """The fields as a dict (``by_alias=True``: the Node names), as ``BaseModel.model_dump``."""
        data: dict[str, Any] = self.__pydantic_serializer__.to_python(
            self, mode=mode, by_alias=by_alias, include=include, exclude=exclude
        )
        return data

    def model_dump_json(
        self, *, indent: int | None = None, by_alias: bool = False, include: IncEx = None, exclude: IncEx = None
    ) -> str:
        """The fields as JSON text, as ``BaseModel.model_dump_json``."""
        raw: bytes = self.__pydantic_serializer__.to_json(
            self, indent=indent, by_alias=by_alias, include=include, exclude=exclude
        )
        return raw.decode()

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Self:
        """A copy with some fields replaced (validated), as ``BaseModel.model_copy``."""
        fields = {
            "message": self.message,
            "sent_timestamp": self.sent_timestamp,
            "sent_by": self.sent_by,
            "tag": self.tag,
            **(update or {}),
        }
        return type(self)(**fields)

    @classmethod
    def model_validate(cls, obj: Any, *, strict: bool | None = None) -> Self:
        """Validate a mapping (Node or Python names) or an instance, as ``BaseModel.model_validate``."""
        result: Self = cls.__pydantic_validator__.validate_python(obj, strict=strict)
        return result

    @classmethod
    def model_validate_json(cls, data: str | bytes, *, strict: bool | None = None) -> Self:
        """Validate JSON text, as ``BaseModel.model_validate_json``."""
        result: Self = cls.__pydantic_validator__.validate_json(data, strict=strict)
        return result

    @classmethod
    def model_json_schema(
        cls, by_alias: bool = True, mode: Literal["validation", "serialization"] = "validation"
    ) -> dict[str, Any]:
        """The JSON schema, as ``BaseModel.model_json_schema``."""
        return TypeAdapter(cls).json_schema(by_alias=by_alias, mode=mode)


def _refuse_assignment(self: KeywordScanResult, name: str, value: Any) -> None:
    raise ValidationError.from_exception_data(
        type(self).__name__, [{"type": "frozen_instance", "loc": (name,), "input": value}]
    )


def _refuse_deletion(self: KeywordScanResult, name: str) -> None:
    _refuse_assignment(self, name, None)


# Immutable as the other models are: pydantic's ValidationError (frozen_instance), not dataclasses' own error.
KeywordScanResult.__setattr__ = _refuse_assignment  # type: ignore[method-assign,assignment]
KeywordScanResult.__delattr__ = _refuse_deletion  # type: ignore[method-assign,assignment]

_new = object.__new__
_slot = vars(KeywordScanResult)  # the slot descriptors: their __set__ stores a field without __setattr__
_set_message = _slot["message"].__set__
_set_sent_timestamp = _slot["sent_timestamp"].__set__
_set_sent_by = _slot["sent_by"].__set__
_set_tag = _slot["tag"].__set__
_consume: Callable[[Iterable[object]], None] = deque[object](maxlen=0).extend


def _build_unchecked(
    count: int, messages: Iterable[str], sent_timestamps: Iterable[int], sent_by: Iterable[str], tags: Iterable[str]
) -> list[KeywordScanResult]:
    """``count`` results from four columns of exactly ``count`` values each, without validation: for the scanner,
    whose values come from validated models (``str`` and ``int``). Every step is one C-level loop, so the cost per
    result is a few attribute stores, not a Python call.

    The cyclic garbage collector is paused while the ``count`` objects are allocated — one C-level loop that runs no
    Python code, so the pause lasts that loop alone (threads that allocate meanwhile only have their collections
    deferred to its end); it is resumed only if it was running. Without it, every 700 allocations start a collection
    that re-scans the growing heap, which on a dense transcript costs several times the allocations themselves. The
    young-generation collection that follows walks the new objects once.

    Example::

        _build_unchecked(1, ["hi"], [1], ["Agent"], ["keywordRef:hi"])
        # [KeywordScanResult(message='hi', sent_timestamp=1, sent_by='Agent', tag='keywordRef:hi')]
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        results: list[KeywordScanResult] = list(map(_new, repeat(KeywordScanResult, count)))
    finally:
        if enabled:
            gc.enable()
    _consume(map(_set_message, results, messages))
    _consume(map(_set_sent_timestamp, results, sent_timestamps))
    _consume(map(_set_sent_by, results, sent_by))
    _consume(map(_set_tag, results, tags))
    return results
