"""Fixtures of the Orchestrator's tests: a fake LivePerson behind the Sender seam, a fake clock, a Toolbelt on both."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lp_toolbelt import Toolbelt
from tests.unit.fake_lp import FakeLivePerson, toolbelt
from tests.unit.fakes import FakeClock


@pytest.fixture
def fake() -> FakeLivePerson:
    return FakeLivePerson()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def tb(fake: FakeLivePerson, clock: FakeClock) -> AsyncIterator[Toolbelt]:
    async with toolbelt(fake, clock) as tb:
        yield tb
