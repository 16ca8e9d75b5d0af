"""Fixtures shared by the integration tests: a running emulator (no proxy rate cap), a Toolbelt pointed at it, and
a plain aiohttp session (no Toolbelt) for checking the emulator against the contract's text directly."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
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


@pytest.fixture
async def raw_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
