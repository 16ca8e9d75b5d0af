"""Issue 11.8: a configured secrets file (``secrets_file=`` or ``LP_TOOLBELT_SECRETS_FILE``) that does not exist or
cannot be read is a configuration error naming the path, raised when the Toolbelt is built — never "no secrets",
which would make every read of a live secret look like ``secret.not-found``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from lp_toolbelt import ConfigurationError, ErrorCodes, Toolbelt, ToolbeltConfig


def _missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return tmp_path / "functions" / "settings.json"


def _directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return tmp_path


def _unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"secrets": [{"key": "k", "value": "v"}]}))
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads any file: deny this one as the permission check would
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: p != path and real_access(p, mode, **kw))
    return path


Make = Callable[[Path, pytest.MonkeyPatch], Path]


@pytest.mark.parametrize("make", [_missing, _directory, _unreadable], ids=["missing", "a directory", "unreadable"])
@pytest.mark.parametrize("how", ["secrets_file=", "LP_TOOLBELT_SECRETS_FILE", "Toolbelt() from the environment"])
def test_a_configured_secrets_file_that_cannot_be_used_is_a_configuration_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Make, how: str
) -> None:
    path = make(tmp_path, monkeypatch)
    if how == "secrets_file=":
        config: ToolbeltConfig | None = ToolbeltConfig(account_id="123", secrets_file=path)
    elif how == "LP_TOOLBELT_SECRETS_FILE":
        config = ToolbeltConfig.from_env({"BRAND_ID": "123", "LP_TOOLBELT_SECRETS_FILE": str(path)})
    else:
        monkeypatch.setenv("LP_TOOLBELT_SECRETS_FILE", str(path))
        config = None  # Toolbelt() reads the environment
    with pytest.raises(ConfigurationError) as info:
        Toolbelt(config)
    assert info.value.code == ErrorCodes.CONFIG_INVALID
    assert str(path) in info.value.message


async def test_a_readable_secrets_file_serves_its_secrets(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"secrets": [{"key": "crm-token", "value": {"token": "t0k3n"}}], "whitelist": []}))
    async with Toolbelt(ToolbeltConfig(account_id="123", secrets_file=path)) as tb:
        entry = await tb.secret_client().read_secret("crm-token")
    assert entry.value == {"token": "t0k3n"}
