"""The pytest plugin (``lp_toolbelt.testing``, entry point ``pytest11``) as a user's project sees it.

Each test writes a small project with pytester and runs pytest on it in a subprocess, so the plugin is loaded
the way a user's run loads it: through the installed entry point, nothing configured.
"""

from __future__ import annotations

import importlib.metadata
import textwrap

import pytest

from tests.integration import _readme

pytest_plugins = ["pytester"]

INI = """
[pytest]
asyncio_mode = {mode}
asyncio_default_fixture_loop_scope = function
asyncio_default_test_loop_scope = function
addopts = -p no:cacheprovider
filterwarnings = error
"""

USER_TESTS = '''
import pytest
from lp_toolbelt import ErrorCodes, LpServices, SecretEntry, ToolbeltError


async def handler(toolbelt, payload):
    """A user's function: reads a CRM token, lists skills with the default API key."""
    crm = await toolbelt.secret_client().read_secret(payload["secret"])
    account = toolbelt.config.account_id
    resp = await toolbelt.lp_client()(
        LpServices.ACCOUNT_CONFIG_READ_ONLY, f"/api/account/{account}/configuration/le-users/skills",
        raise_for_status=True,
    )
    return {"crm_user": crm.value["user"], "skills": len(resp.json())}


async def test_a_secret_the_test_adds_is_visible_to_the_toolbelt(lp_emulator, toolbelt):
    lp_emulator.state.secrets["crm"] = {"user": "alice"}
    result = await handler(toolbelt, {"secret": "crm"})
    assert result == {"crm_user": "alice", "skills": len(lp_emulator.state.skills)}
    assert [r.auth_scheme for r in lp_emulator.state.requests if r.route == "skills"] == ["Bearer"]  # OAuth 2.0


async def test_updates_land_in_the_emulator(lp_emulator, toolbelt):
    await toolbelt.secret_client().update_secret(SecretEntry(key="demo-secret", value={"greeting": "bye"}))
    assert lp_emulator.state.secrets["demo-secret"] == {"greeting": "bye"}


async def test_state_does_not_leak_between_tests(lp_emulator):
    assert "crm" not in lp_emulator.state.secrets
    assert lp_emulator.state.secrets["demo-secret"] == {"greeting": "hello"}


async def test_faults_reach_the_handler(lp_emulator, toolbelt):
    lp_emulator.state.secrets["crm"] = {"user": "bob"}
    lp_emulator.state.faults.add("csds", "status", status=500, times=None)
    with pytest.raises(ToolbeltError) as info:
        await handler(toolbelt, {"secret": "crm"})
    assert info.value.code == ErrorCodes.CSDS_OP_FAILED


async def test_the_toolbelt_points_at_the_emulator(lp_emulator, toolbelt):
    assert toolbelt.config.csds_domain == lp_emulator.host
    assert lp_emulator.host.startswith("127.0.0.1:")
'''


INDIRECT_AND_CONTROL = """
import pytest


@pytest.fixture
def crm_toolbelt(toolbelt):  # the user's own fixture, built on the plugin's
    return toolbelt


async def test_through_a_fixture_of_the_user(crm_toolbelt):
    assert (await crm_toolbelt.secret_client().read_secret("demo-secret")).value == {"greeting": "hello"}


class TestInAClass:
    async def test_method(self, lp_emulator):
        assert lp_emulator.state.secrets["demo-secret"] == {"greeting": "hello"}


async def test_control_without_the_plugin_fixtures():
    pass  # strict mode leaves it alone: pytest fails it ("not natively supported"); auto mode runs it
"""


def bare_project(pytester: pytest.Pytester) -> None:
    """The README's Quickstart handler and its test example, plus :data:`INDIRECT_AND_CONTROL`: no pytest
    configuration at all (no ini, pyproject, setup.cfg or conftest), as in a newcomer's fresh project."""
    snippets = _readme.files()
    pytester.makepyfile(quickstart=snippets["quickstart.py"], test_quickstart=snippets["test_quickstart.py"])
    pytester.makepyfile(test_more=INDIRECT_AND_CONTROL)
    configs = ("pytest.ini", ".pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini", "conftest.py")
    assert not [name for name in configs if (pytester.path / name).exists()]


def test_no_configuration_strict_mode_runs_the_tests_that_use_the_fixtures(pytester: pytest.Pytester) -> None:
    """pytest-asyncio's default for a project without configuration is strict mode: no marker needed all the same."""
    bare_project(pytester)
    result = pytester.runpytest_subprocess("-v")
    output = result.stdout.str()
    assert "configfile:" not in output  # nothing of this repository's pyproject (asyncio_mode = auto) leaks in
    result.stdout.fnmatch_lines(["asyncio: mode=Mode.STRICT*"])
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*test_control_without_the_plugin_fixtures FAILED*"])
    assert "not natively supported" in output  # the control: strict mode really is on


def test_no_configuration_auto_mode(pytester: pytest.Pytester) -> None:
    bare_project(pytester)
    result = pytester.runpytest_subprocess("-v", "-o", "asyncio_mode=auto")
    result.stdout.fnmatch_lines(["asyncio: mode=Mode.AUTO*"])
    result.assert_outcomes(passed=5)


def test_entry_point_is_declared() -> None:
    plugins = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="pytest11")}
    assert plugins.get("lp_toolbelt") == "lp_toolbelt.testing"


def test_fixtures_in_auto_mode(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(mode="auto"))
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-v")
    result.assert_outcomes(passed=5)


def test_fixtures_in_strict_mode_with_the_asyncio_marker(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(mode="strict"))
    pytester.makepyfile(
        test_user="""
        import pytest

        @pytest.mark.asyncio
        async def test_read(toolbelt):
            entry = await toolbelt.secret_client().read_secret("demo-secret")
            assert entry.value == {"greeting": "hello"}
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)


def test_settings_fixture_override_seeds_the_emulator(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(mode="auto"))
    settings = pytester.path / "functions" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{"secrets": [{"key": "mine", "value": {"n": 1}}], "whitelist": ["crm.example.net"]}')
    pytester.makeconftest(
        """
        from pathlib import Path
        import pytest

        @pytest.fixture
        def lp_emulator_settings():
            return Path(__file__).parent / "functions" / "settings.json"
        """
    )
    pytester.makepyfile(
        test_user="""
        async def test_seeded_from_my_settings(lp_emulator, toolbelt):
            # the platform provisions the default app key: the emulator adds its own when the file has none
            assert set(lp_emulator.state.secrets) == {"mine", "LIVEPERSON_DEFAULT_APP_KEY", "lp-faas-default-app-key"}
            assert "crm.example.net" in lp_emulator.state.whitelist
            assert (await toolbelt.secret_client().read_secret("mine")).value == {"n": 1}
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)


def test_opt_in_safe_for_projects_that_do_not_use_it(pytester: pytest.Pytester) -> None:
    """A project that never asks for the fixtures: nothing started or imported, warnings-as-errors clean."""
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings = error\n")
    pytester.makepyfile(
        test_plain=textwrap.dedent(
            """
            import sys

            def test_plain():
                assert "lp_toolbelt.testing" in sys.modules          # the plugin is registered...
                assert "lp_toolbelt.emulator" not in sys.modules     # ...but started and imported nothing
                assert "lp_toolbelt.local" not in sys.modules
            """
        )
    )
    # pytest-asyncio (and pytest-aiohttp, which needs it) are off here: unconfigured, pytest-asyncio warns on its own.
    result = pytester.runpytest_subprocess("-p", "no:asyncio", "-p", "no:aiohttp")
    result.assert_outcomes(passed=1)


def test_without_pytest_asyncio_the_fixtures_fail_with_a_hint(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    shadow = pytester.mkdir("shadow") / "pytest_asyncio"
    shadow.mkdir()
    (shadow / "__init__.py").write_text('raise ImportError("pytest-asyncio is not installed (simulated)")\n')
    monkeypatch.setenv("PYTHONPATH", str(shadow.parent))
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings = error\n")
    pytester.makepyfile(
        test_user="""
        def test_plain():
            assert True

        def test_uses(toolbelt):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:asyncio", "-p", "no:aiohttp")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*need pytest-asyncio*lp-toolbelt[[]dev[]]*"])


def test_fixtures_are_listed_with_their_documentation(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(mode="auto"))
    result = pytester.runpytest_subprocess("--fixtures")
    assert result.ret == 0
    for pattern in (
        ["lp_emulator -- *lp_toolbelt/testing.py*", "*A started emulator*"],
        ["toolbelt -- *lp_toolbelt/testing.py*", "*sharing its secrets*"],
        ["lp_emulator_settings -- *", "*Override it in your conftest.py*"],
    ):
        result.stdout.fnmatch_lines(pattern, consecutive=True)


def test_can_be_disabled(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(mode="auto"))
    pytester.makepyfile(test_user="async def test_uses(toolbelt):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:lp_toolbelt")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'toolbelt' not found*"])
