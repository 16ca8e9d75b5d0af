"""Request ids: version 4 UUIDs in canonical text, as ``str(uuid.uuid4())`` gives them, never repeated."""

from __future__ import annotations

import uuid

from lp_toolbelt.transport.middlewares import new_request_id


def test_request_ids_are_canonical_version_4_uuids() -> None:
    ids = [new_request_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == text  # lower-case hex, dashes where str(uuid4()) has them
    # every variant nibble RFC 4122 allows shows up (8, 9, a, b), and nothing else
    assert {text[19] for text in ids} == set("89ab")
