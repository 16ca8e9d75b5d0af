"""pydantic v2 models for LivePerson payloads: snake_case attributes, camelCase wire aliases, unknown fields kept."""
