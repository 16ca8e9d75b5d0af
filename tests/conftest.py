"""Shared test setup."""

from __future__ import annotations

import os

from hypothesis import settings

from tests._aioresponses_compat import install

install()

# CI runs the property tests derandomized (the same examples on every run, no example database), so a red CI is
# reproducible; developers' runs stay random to keep exploring.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
