"""Handlers: read and update a secret, then an authenticated LivePerson call (the first steps of ``make demo``).

Each handler has the shape ``async def handler(toolbelt, payload) -> JSON`` that ``lp-toolbelt invoke`` runs::

    lp-toolbelt invoke examples/secrets_and_lp.py:handler                       # against the local emulator
    lp-toolbelt invoke examples/secrets_and_lp.py:signed_lp_call --live         # against your account (env config)

Payload keys (all optional): ``secret`` (default ``demo-secret``), ``update`` (fields merged into that secret's
value), ``app_key_secret_name`` (default: the function's default app key — V2's ``LIVEPERSON_DEFAULT_APP_KEY``, an
OAuth 2.0 app installation ``{"client_id", "client_secret"}``, else V1's legacy ``lp-faas-default-app-key``, an
OAuth 1.0a API key). Secret values are never returned.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from lp_toolbelt import LpServices, SecretEntry, Toolbelt

DEFAULT_SECRET = "demo-secret"


def _fields(value: Any) -> list[str]:
    return sorted(value) if isinstance(value, Mapping) else []


async def read_secret(toolbelt: Toolbelt, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Read ``payload["secret"]`` and describe it (key, field names), never its value.

    Example::

        await read_secret(tb, {"secret": "demo-secret"})   # {"key": "demo-secret", "fields": ["greeting"], ...}
    """
    key = str(payload.get("secret", DEFAULT_SECRET))
    entry = await toolbelt.secret_client().read_secret(key)
    return {"key": entry.key, "type": type(entry.value).__name__, "fields": _fields(entry.value)}


async def update_secret(toolbelt: Toolbelt, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``payload["update"]`` into a secret's value (as the Node samples do), store it, read it back uncached.

    Example::

        await update_secret(tb, {"update": {"greeting": "hi"}})
        # {"key": "demo-secret", "updated": ["greeting"], "fields": ["greeting"], "verified": True}
    """
    key = str(payload.get("secret", DEFAULT_SECRET))
    changes = dict(payload.get("update") or {"greeting": "hello from Python", "updatedAt": int(time.time())})
    secrets = toolbelt.secret_client()
    current = await secrets.read_secret(key, use_cache=False)
    base = dict(current.value) if isinstance(current.value, Mapping) else {}
    stored = await secrets.update_secret(SecretEntry(key=key, value={**base, **changes}))
    again = await secrets.read_secret(key, use_cache=False)
    return {
        "key": key,
        "updated": sorted(changes),
        "fields": _fields(stored.value),
        "verified": again.value == stored.value and all(again.value.get(k) == v for k, v in changes.items()),
    }


async def signed_lp_call(toolbelt: Toolbelt, payload: Mapping[str, Any]) -> dict[str, Any]:
    """List the account's skills through the LP client (CSDS lookup + the app key's authorization).

    Example::

        await signed_lp_call(tb, {"app_key_secret_name": "lp-faas-oauth2-app"})   # {"status": 200, "skills": 4, ...}
    """
    named = payload.get("app_key_secret_name")
    app_key = str(named) if named else None  # None: the default app key (OAuth 2.0 first)
    account = toolbelt.config.require_account("examples.secrets_and_lp")
    lp = toolbelt.lp_client()
    resp = await lp(
        LpServices.ACCOUNT_CONFIG_READ_ONLY,
        f"/api/account/{account}/configuration/le-users/skills",
        params={"v": "2.0"},
        app_key_secret_name=app_key,
        raise_for_status=True,
    )
    skills = resp.json()
    names = [str(skill.get("name")) for skill in skills if isinstance(skill, Mapping)]
    return {"app_key": app_key or "default", "status": resp.status, "skills": len(names), "names": names}


async def handler(toolbelt: Toolbelt, payload: Mapping[str, Any]) -> dict[str, Any]:
    """All three steps: read a secret, update it, list skills with a signed LP call.

    Example::

        lp-toolbelt invoke examples/secrets_and_lp.py:handler
    """
    return {
        "read": await read_secret(toolbelt, payload),
        "update": await update_secret(toolbelt, payload),
        "lp_call": await signed_lp_call(toolbelt, payload),
    }
