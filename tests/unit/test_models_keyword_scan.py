"""KeywordScanResult: a slotted pydantic dataclass that keeps the model API users call, and its bulk builder."""

from __future__ import annotations

import copy
import dataclasses
import gc
import json
import pickle
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from lp_toolbelt import KeywordScanResult
from lp_toolbelt.models.conversation import KeywordScanResult as FromConversationModule
from lp_toolbelt.models.keyword_scan import _build_unchecked

NODE_SHAPE = {"message": "I love it", "sentTimestamp": 1472483742568, "sentBy": "Consumer", "tag": "keywordRef:love"}


def hit(**changes: Any) -> KeywordScanResult:
    fields: dict[str, Any] = {
        "message": "I love it",
        "sent_timestamp": 1472483742568,
        "sent_by": "Consumer",
        "tag": "keywordRef:love",
    }
    return KeywordScanResult(**{**fields, **changes})


def test_same_class_from_every_import_path_and_a_slotted_pydantic_dataclass() -> None:
    assert FromConversationModule is KeywordScanResult
    assert dataclasses.is_dataclass(KeywordScanResult)
    assert hasattr(KeywordScanResult, "__pydantic_validator__")
    assert not hasattr(hit(), "__dict__")  # four slots, no per-instance dict


def test_dump_by_alias_gives_the_node_names_and_by_name_the_python_ones() -> None:
    assert hit().model_dump(by_alias=True) == NODE_SHAPE
    assert hit().model_dump() == {
        "message": "I love it",
        "sent_timestamp": 1472483742568,
        "sent_by": "Consumer",
        "tag": "keywordRef:love",
    }
    assert json.loads(hit().model_dump_json(by_alias=True)) == NODE_SHAPE
    assert hit().model_dump(by_alias=True, include={"tag"}) == {"tag": "keywordRef:love"}
    assert hit().model_dump(mode="json", exclude={"message"}) == {
        "sent_timestamp": 1472483742568,
        "sent_by": "Consumer",
        "tag": "keywordRef:love",
    }


def test_validate_accepts_node_and_python_names_and_refuses_bad_types() -> None:
    assert KeywordScanResult.model_validate(NODE_SHAPE) == hit()
    assert KeywordScanResult.model_validate(hit().model_dump()) == hit()
    assert KeywordScanResult.model_validate_json(json.dumps(NODE_SHAPE)) == hit()
    assert KeywordScanResult(message="m", sentTimestamp=1, sentBy="A", tag="t") == hit(  # type: ignore[call-arg]
        message="m", sent_timestamp=1, sent_by="A", tag="t"
    )
    with pytest.raises(ValidationError):
        KeywordScanResult.model_validate({**NODE_SHAPE, "sentTimestamp": "soon"})
    with pytest.raises(ValidationError):
        hit(message=None)
    with pytest.raises(ValidationError):
        KeywordScanResult.model_validate({"message": "m"})


def test_immutable_like_a_frozen_model() -> None:
    result = hit()
    with pytest.raises(ValidationError) as info:
        result.tag = "keywordRef:other"  # type: ignore[misc]
    assert info.value.errors()[0]["type"] == "frozen_instance"
    with pytest.raises(ValidationError):
        del result.message
    assert result.tag == "keywordRef:love"


def test_equality_hash_repr_copy_and_pickle() -> None:
    assert hit() == hit()
    assert hit() != hit(tag="keywordRef:x")
    assert len({hit(), hit(), hit(sent_by="Agent")}) == 2
    assert repr(hit(message="m", sent_timestamp=1, sent_by="A", tag="t")) == (
        "KeywordScanResult(message='m', sent_timestamp=1, sent_by='A', tag='t')"
    )
    assert copy.copy(hit()) == hit()
    assert copy.deepcopy(hit()) == hit()
    assert pickle.loads(pickle.dumps(hit())) == hit()
    assert hit().model_copy(update={"tag": "keywordRef:x"}) == hit(tag="keywordRef:x")
    assert dataclasses.replace(hit(), sent_by="Agent").sent_by == "Agent"


def test_json_schema_uses_the_node_names() -> None:
    schema = KeywordScanResult.model_json_schema()
    assert set(schema["properties"]) == {"message", "sentTimestamp", "sentBy", "tag"}
    assert set(schema["required"]) == {"message", "sentTimestamp", "sentBy", "tag"}
    assert schema["properties"]["sentTimestamp"]["type"] == "integer"
    assert TypeAdapter(list[KeywordScanResult]).dump_python([hit()], by_alias=True) == [NODE_SHAPE]


def test_bulk_builder_equals_the_validating_constructor() -> None:
    built = _build_unchecked(3, ["a", "b", "c"], [1, 2, -1], ["Agent", "Consumer", ""], ["keywordRef:x"] * 3)
    assert built == [
        hit(message="a", sent_timestamp=1, sent_by="Agent", tag="keywordRef:x"),
        hit(message="b", sent_timestamp=2, sent_by="Consumer", tag="keywordRef:x"),
        hit(message="c", sent_timestamp=-1, sent_by="", tag="keywordRef:x"),
    ]
    assert all(type(result) is KeywordScanResult for result in built)
    assert built[0].model_dump(by_alias=True)["sentTimestamp"] == 1
    assert _build_unchecked(0, [], [], [], []) == []


@pytest.mark.parametrize("enabled", [True, False])
def test_bulk_builder_leaves_the_garbage_collector_as_it_found_it(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        if not enabled:
            gc.disable()
        _build_unchecked(2, ["a", "b"], [1, 2], ["A", "B"], ["t", "t"])
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
        else:  # pragma: no cover
            gc.disable()
