"""Handlers: call a partner API that requires mutual TLS — with your own client certificate (``mtls_client``), or
with the one LivePerson holds for the partner's URL, through LivePerson's mTLS gateway (``lp_mtls_client``).

``own_certificate`` reads the PEM certificate, key and the partner's CA from a secret (default ``partner-mtls``:
``{"cert", "key", "ca"}``); the partner's host must be on the allowlist. ``through_gateway`` needs no key material
in the function at all: the certificate and its URL mapping are configured in LivePerson (locally: the emulator's
``state.mtls_certificates``). ``make demo`` runs both against a local partner server (``examples/_partner.py``).

Payload: ``url`` (the partner endpoint), ``secret`` (optional, ``own_certificate``), ``partnerToken`` (optional: sent
to the partner as its ``Authorization``, through the gateway as ``LP-authorization-override``).
"""

from __future__ import annotations

from typing import Any

from lp_toolbelt import Toolbelt

DEFAULT_SECRET = "partner-mtls"


async def own_certificate(toolbelt: Toolbelt, payload: dict[str, Any]) -> dict[str, Any]:
    """GET ``url`` presenting the client certificate of the secret."""
    material = (await toolbelt.secret_client().read_secret(payload.get("secret", DEFAULT_SECRET))).value
    partner = toolbelt.mtls_client(cert=material["cert"], key=material["key"], ca=material.get("ca"))
    resp = await partner.get(payload["url"], raise_for_status=True)
    return {"status": resp.status, "answer": resp.json()}


async def through_gateway(toolbelt: Toolbelt, payload: dict[str, Any]) -> dict[str, Any]:
    """POST to ``url`` through LivePerson's mTLS gateway, which presents the certificate mapped to it."""
    headers = {"Authorization": f"Bearer {payload['partnerToken']}"} if "partnerToken" in payload else None
    resp = await toolbelt.lp_mtls_client().post(payload["url"], json={"ping": True}, headers=headers, timeout=10.0)
    return {"status": resp.status, "answer": resp.json()}
