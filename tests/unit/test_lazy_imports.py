"""Cold start: importing lp_toolbelt (or what a handler needs) loads nothing a handler may never use.

Structure only (which modules a fresh interpreter ends up with); the timings live in bench/ (section coldstart).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import lp_toolbelt

ROOT = Path(__file__).resolve().parents[2]
NEVER_AT_IMPORT = ("lp_toolbelt.emulator", "lp_toolbelt.cli", "lp_toolbelt.testing", "redis")


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(json.loads(done.stdout.splitlines()[-1]))


def loaded(modules: set[str], prefix: str) -> bool:
    return any(m == prefix or m.startswith(prefix + ".") for m in modules)


def test_import_lp_toolbelt_loads_only_the_package() -> None:
    modules = modules_after("import lp_toolbelt")
    assert sorted(m for m in modules if m.startswith("lp_toolbelt")) == ["lp_toolbelt", "lp_toolbelt._lazy"]
    for name in (*NEVER_AT_IMPORT, "aiohttp", "pydantic"):
        assert not loaded(modules, name), name


def test_a_handlers_import_loads_the_lp_client_and_not_the_rest() -> None:
    modules = modules_after("from lp_toolbelt import Toolbelt, ToolbeltConfig, LpServices")
    assert {"lp_toolbelt.toolbelt", "lp_toolbelt.clients.lp", "lp_toolbelt.transport.send"} <= modules
    unused = (
        *NEVER_AT_IMPORT,
        "lp_toolbelt.clients.salesforce",
        "lp_toolbelt.clients.context",
        "lp_toolbelt.utils.conversation",
        "lp_toolbelt.utils.sde",
        "lp_toolbelt.utils.gdpr",
        "lp_toolbelt.utils.keyword_scan",
        "lp_toolbelt.models.conversation",
        "lp_toolbelt.transport.redis_limiter",
        "oauthlib",  # OAuth 1.0 is legacy: loaded when a first signature is computed
    )
    for name in unused:
        assert not loaded(modules, name), name


def test_the_factories_import_their_clients_on_demand() -> None:
    code = (
        "from lp_toolbelt import Toolbelt, ToolbeltConfig\n"
        "tb = Toolbelt(ToolbeltConfig(account_id='1', secrets={}))\n"
        "tb.conversation_util(); tb.sde_util(); tb.gdpr_util(); tb.context_service_client('k'); tb.sf_client()"
    )
    modules = modules_after(code)
    for name in ("lp_toolbelt.utils.conversation", "lp_toolbelt.clients.salesforce", "lp_toolbelt.clients.context"):
        assert name in modules
    for name in NEVER_AT_IMPORT:
        assert not loaded(modules, name), name


def test_every_exported_name_resolves_and_is_listed() -> None:
    for name in lp_toolbelt.__all__:
        assert getattr(lp_toolbelt, name) is not None
    assert set(lp_toolbelt.__all__) <= set(dir(lp_toolbelt))
    namespace: dict[str, object] = {}
    exec("from lp_toolbelt import *", namespace)
    assert set(lp_toolbelt.__all__) <= set(namespace)
    with pytest.raises(AttributeError, match="no attribute 'Toolbelts'"):
        lp_toolbelt.Toolbelts  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(ImportError):
        exec("from lp_toolbelt import Toolbelts", {})


def test_lazy_names_are_the_defining_modules_objects() -> None:
    from lp_toolbelt.models.keyword_scan import KeywordScanResult
    from lp_toolbelt.toolbelt import Toolbelt
    from lp_toolbelt.utils import scan_conversation_for_keywords
    from lp_toolbelt.utils.keyword_scan import scan_conversation_for_keywords as defined

    assert lp_toolbelt.Toolbelt is Toolbelt
    assert lp_toolbelt.KeywordScanResult is KeywordScanResult
    assert scan_conversation_for_keywords is defined
