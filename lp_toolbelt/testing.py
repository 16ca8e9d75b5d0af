"""pytest plugin for testing your own handlers against a local LivePerson: fixtures ``lp_emulator`` and ``toolbelt``.

Installed with the package (entry point ``pytest11``) and opt-in safe: it only registers fixtures, imports nothing
heavy until a test asks for one, and changes nothing for tests that don't. The fixtures are async, so they need
pytest-asyncio (``pip install lp-toolbelt[dev]`` brings it). Nothing needs configuring: in pytest-asyncio's strict
mode (its default) an ``async def`` test that requests one of these fixtures, directly or through another fixture,
is marked ``@pytest.mark.asyncio`` by the plugin; in auto mode pytest-asyncio does it.

* ``lp_emulator`` — a started :class:`~lp_toolbelt.emulator.Emulator` on a free 127.0.0.1 port, fresh for each
  test, seeded with the packaged demo data (or whatever ``lp_emulator_settings`` returns). Add to it through
  ``lp_emulator.state``: ``state.secrets``, ``state.whitelist``, ``state.faults``, ``state.requests`` (the log).
* ``toolbelt`` — a :class:`~lp_toolbelt.Toolbelt` pointed at ``lp_emulator``. Its secrets *are* the emulator's:
  a secret the test adds to ``lp_emulator.state.secrets`` is readable at once, and one the handler updates can be
  asserted on there.
* ``lp_emulator_settings`` — override it to seed from your own ``functions/settings.json`` (a path or a mapping;
  ``None`` = the demo seed). As on the platform, ``lp-faas-default-app-key`` is provided when your file lacks it.
* Functions V2: ``lp_emulator.functions[uuid] = handler`` hosts a function that ``toolbelt.orchestrator_client()``
  invokes (``lp_emulator.state.invocations`` logs them); ``lp_emulator.state.mtls_certificates`` gives the emulated
  mTLS gateway its client certificates.

Example (``tests/test_handler.py`` of your project)::

    from lp_toolbelt import ErrorCodes, ToolbeltError
    from my_function import handler

    async def test_handler_reads_its_crm_token(lp_emulator, toolbelt):
        lp_emulator.state.secrets["crm-token"] = {"token": "t0k3n"}
        result = await handler(toolbelt, {"conversationId": "c-1"})
        assert result["ok"]
        assert lp_emulator.state.count("skills") == 1

    async def test_handler_survives_a_csds_outage(lp_emulator, toolbelt):
        lp_emulator.state.faults.add("csds", "status", status=503, times=None)
        with pytest.raises(ToolbeltError) as info:
            await handler(toolbelt, {})
        assert info.value.code == ErrorCodes.CSDS_OP_FAILED
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Generator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy
import pytest

if TYPE_CHECKING:
    from .emulator import Emulator
    from .toolbelt import Toolbelt

__all__ = ["lp_emulator", "lp_emulator_settings", "pytest_pycollect_makeitem", "toolbelt"]

ASYNC_FIXTURES = frozenset({"lp_emulator", "toolbelt"})
"""The plugin's async fixtures: an ``async def`` test that uses one runs under pytest-asyncio in any mode."""

SettingsSource = Path | str | Mapping[str, Any] | None
"""What ``lp_emulator_settings`` may return: a settings.json path, a parsed mapping, or None (the demo seed)."""

_NEEDS_ASYNCIO = (
    "the lp_toolbelt fixtures are async and need pytest-asyncio: pip install 'lp-toolbelt[dev]' (or pytest-asyncio)"
)


@pytest.fixture
def lp_emulator_settings() -> SettingsSource:
    """The seed of ``lp_emulator``: None (the packaged demo seed). Override it in your conftest.py.

    Example::

        @pytest.fixture
        def lp_emulator_settings():
            return Path(__file__).parent / "settings.json"
    """
    return None


def _missing_pytest_asyncio(function: Callable[..., Any]) -> Any:
    """Stands in for ``pytest_asyncio.fixture`` where pytest-asyncio is missing: the fixture fails with a hint."""

    @pytest.fixture(name=function.__name__)
    def unavailable() -> None:
        pytest.fail(_NEEDS_ASYNCIO, pytrace=False)

    return unavailable


try:
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # pragma: no cover - exercised only where pytest-asyncio is missing
    _async_fixture = _missing_pytest_asyncio  # type: ignore[assignment]


@_async_fixture
async def lp_emulator(lp_emulator_settings: SettingsSource) -> AsyncIterator[Emulator]:
    """A started emulator on a free 127.0.0.1 port, seeded from ``lp_emulator_settings``; stopped after the test.

    Example::

        async def test_handler_sees_the_whitelist(lp_emulator, toolbelt):
            lp_emulator.state.whitelist.append("crm.example.net")
    """
    from .emulator import Emulator
    from .local import emulator_seed

    async with Emulator(emulator_seed(lp_emulator_settings)) as emulator:
        yield emulator


@_async_fixture
async def toolbelt(lp_emulator: Emulator) -> AsyncIterator[Toolbelt]:
    """A Toolbelt pointed at ``lp_emulator``, sharing its secrets; closed after the test.

    Example::

        async def test_handler(toolbelt):
            assert await handler(toolbelt, {"conversationId": "c-1"}) == {"ok": True}
    """
    from .local import emulator_toolbelt

    async with emulator_toolbelt(lp_emulator) as tb:
        yield tb


# trylast: the innermost wrapper, so the mark is on the item before pytest-asyncio's own wrapper looks for it.
@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> Generator[None, Any, None]:
    """Mark ``async def`` tests that use :data:`ASYNC_FIXTURES` ``@pytest.mark.asyncio`` (pytest-asyncio's strict
    mode runs only marked coroutines; auto mode marks them all anyway). Nothing happens without pytest-asyncio.

    Example (no pytest configuration, no marker)::

        async def test_handler(toolbelt):
            assert await handler(toolbelt, {}) == {"ok": True}
    """
    outcome: pluggy.Result[Any] = yield
    if not collector.config.pluginmanager.hasplugin("asyncio") or not inspect.iscoroutinefunction(obj):
        return
    try:
        collected = outcome.get_result()
    except BaseException:  # noqa: BLE001 - pytest reports the collection error itself
        return
    items = collected if isinstance(collected, list) else [collected]
    for item in items:
        if (
            isinstance(item, pytest.Function)
            and item.get_closest_marker("asyncio") is None
            and ASYNC_FIXTURES.intersection(item.fixturenames)
        ):
            item.add_marker(pytest.mark.asyncio)
