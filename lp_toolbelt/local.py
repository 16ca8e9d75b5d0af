"""The local dev loop: a :class:`~lp_toolbelt.Toolbelt` wired to an in-process emulator.

``lp-toolbelt invoke --local``, the pytest plugin (``lp_toolbelt.testing``) and ``make demo`` all run handlers this
way. The Toolbelt it builds talks to the emulator over real loopback HTTP (CSDS, OAuth signatures checked, proxy
allowlist and rate cap applied) and its secret client reads and writes the emulator's own secrets
(``emulator.state.secrets``): a secret a test adds, or a handler rotates, is the one the emulator's LP auth checks.

Example::

    from lp_toolbelt.local import local_toolbelt

    async with local_toolbelt() as (emu, tb):          # the packaged demo seed, or functions/settings.json
        entry = await tb.secret_client().read_secret("demo-secret")
        emu.state.secrets["my-crm-token"] = {"token": "t0k3n"}   # visible to tb at once
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from . import _constants as C
from .emulator import DEFAULT_ACCOUNT_ID, Emulator, load_settings
from .emulator.secrets import EmulatorSecretStore
from .emulator.state import DEFAULT_RATE_LIMIT
from .toolbelt import Toolbelt

__all__ = ["EmulatorSecretStore", "default_settings_path", "emulator_seed", "emulator_toolbelt", "local_toolbelt"]


def default_settings_path(cwd: Path | None = None) -> Path | None:
    """``functions/settings.json`` (the LivePerson Functions CLI convention) when it exists under ``cwd``, else None.

    None means "the emulator's packaged demo seed".

    Example::

        Emulator(default_settings_path())
    """
    path = (cwd if cwd is not None else Path.cwd()) / C.DEFAULT_SECRETS_FILE
    return path if path.is_file() else None


def emulator_seed(settings: Path | str | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The emulator seed for ``settings`` (a settings.json path or mapping; None: the packaged demo seed).

    LivePerson provisions the default app key for every function (V2's ``LIVEPERSON_DEFAULT_APP_KEY``, V1's
    ``lp-faas-default-app-key``), so a developer's settings.json rarely holds it; when it holds neither, the
    emulator's own are added, as the platform would. Everything else is kept as is.

    Example::

        Emulator(emulator_seed("functions/settings.json"))
    """
    if settings is None:
        return None
    secrets, whitelist = load_settings(settings)
    if not any(name in secrets for name in C.DEFAULT_APP_KEY_SECRETS):
        provisioned, _ = load_settings(None)
        for name in C.DEFAULT_APP_KEY_SECRETS:
            secrets[name] = provisioned[name]
    return {"secrets": secrets, "whitelist": whitelist}


def emulator_toolbelt(emulator: Emulator, **overrides: Any) -> Toolbelt:
    """A Toolbelt pointed at a started ``emulator`` whose secrets are the emulator's own (``EmulatorSecretStore``).

    Its allowlist is the emulator's (LivePerson's defaults + the seed's whitelist) plus every name of the emulator
    itself (``127.0.0.1:PORT``, ``localhost:PORT``), so a secret that points at it — the demo seed's Salesforce
    ``loginUrl`` — is let through. ``overrides`` are ``ToolbeltConfig`` fields (e.g. ``timeout=5``); passing
    ``secrets=`` keeps an in-memory copy instead of the shared store. Use it as
    ``async with emulator_toolbelt(emu) as tb:``.

    Example::

        async with Emulator() as emu, emulator_toolbelt(emu) as tb:
            resp = await tb.lp_client()("accountConfigReadOnly", f"/api/account/{emu.state.account_id}/...")
    """
    return emulator.toolbelt(**overrides)


@asynccontextmanager
async def local_toolbelt(
    settings: Path | str | Mapping[str, Any] | None = None,
    *,
    account_id: str = DEFAULT_ACCOUNT_ID,
    rate_limit: float | None = DEFAULT_RATE_LIMIT,
    **overrides: Any,
) -> AsyncIterator[tuple[Emulator, Toolbelt]]:
    """Start an emulator on a free loopback port and yield ``(emulator, toolbelt)``; both are closed on exit.

    ``settings`` is a settings.json path or mapping (None: the packaged demo seed; see :func:`emulator_seed`);
    ``rate_limit`` the proxy's cap (None: no cap); ``overrides`` are ``ToolbeltConfig`` fields.

    Example::

        async with local_toolbelt("functions/settings.json") as (emu, tb):
            result = await handler(tb, {"conversationId": "..."})
    """
    emulator = Emulator(emulator_seed(settings), account_id=account_id, rate_limit=rate_limit)
    async with emulator, emulator_toolbelt(emulator, **overrides) as toolbelt:
        yield emulator, toolbelt
