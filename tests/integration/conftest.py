"""Fixtures shared by the integration tests: a running emulator (no proxy rate cap) and a Toolbelt pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lp_toolbelt import Toolbelt
from lp_toolbelt.emulator import Emulator


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(rate_limit=None) as emulator:
        yield emulator


@pytest.fixture
async def tb(emu: Emulator) -> AsyncIterator[Toolbelt]:
    async with Toolbelt(emu.config()) as toolbelt:
        yield toolbelt
