"""Emulated mTLS gateway (CSDS ``mtlsGateway``): forward a call to its target with the client certificate LivePerson
holds for that target's URL.

``GET|POST /mtls/account/{acc}`` (route name ``mtls-gateway``), behind
:func:`~lp_toolbelt.emulator.auth.verify_bearer` (a Sentinel-issued Bearer token; anything else: ``401`` with
``WWW-Authenticate``). Headers: ``LP-forward-url`` (the target), ``LP-service-name``,
``LP-stop-if-certificate-not-found``, optionally ``LP-authorization-override`` (sent to the target as its
``Authorization``); the others, and the body, go to the target as they are.

The certificate is ``state.mtls_certificate_for(target)`` (``state.mtls_certificates``: URL prefix →
:class:`~lp_toolbelt.emulator.v2.MtlsCertificate`, longest prefix wins). Answers, as LivePerson's gateway gives them:

* no mapping (and ``LP-stop-if-certificate-not-found: true``) → ``400``; no ``LP-forward-url`` → ``400``;
* the target's answer, status, body and headers as they are; when it is an error (``>= 400``) with the header
  ``lp-message-from-transport: upstream answered <status>``;
* the target unreachable, its TLS handshake failed, or no answer within ``state.mtls_timeout`` → ``502`` with
  ``lp-message-from-transport: <why>`` and a JSON ``{"error"}`` body.
"""

from __future__ import annotations

import json
from typing import Final

import aiohttp
from aiohttp import hdrs, web
from multidict import CIMultiDict

from ...clients.mtls import client_ssl_context
from ...errors import ToolbeltError
from ..auth import verify_bearer
from ..state import EmulatorState
from . import json_error, require_account

__all__ = ["ROUTE_MTLS_GATEWAY", "TRANSPORT_MESSAGE", "setup"]

ROUTE_MTLS_GATEWAY: Final = "mtls-gateway"
TRANSPORT_MESSAGE: Final = "lp-message-from-transport"
_NOT_FORWARDED: Final = frozenset(
    {
        "host",
        "authorization",
        "content-length",
        "transfer-encoding",
        "connection",
        "lp-forward-url",
        "lp-service-name",
        "lp-stop-if-certificate-not-found",
        "lp-authorization-override",
    }
)
_NOT_RETURNED: Final = frozenset({"content-length", "transfer-encoding", "content-encoding", "connection"})


def _unreachable(why: str) -> web.Response:
    return web.Response(
        status=502,
        text=json.dumps({"error": f"the target could not be reached: {why}"}),
        content_type="application/json",
        headers={TRANSPORT_MESSAGE: why},
    )


def setup(app: web.Application, state: EmulatorState) -> None:
    """Add the mTLS gateway route."""

    async def forward(request: web.Request) -> web.StreamResponse:
        if request.method not in (hdrs.METH_GET, hdrs.METH_POST):
            return json_error(405, "the mTLS gateway takes GET and POST")
        await verify_bearer(request, state)
        require_account(request, state)
        target = request.headers.get("LP-forward-url", "")
        if not target.startswith(("https://", "http://")):
            return json_error(400, "LP-forward-url must be the target's absolute URL")
        mapping = state.mtls_certificate_for(target)
        if mapping is None and request.headers.get("LP-stop-if-certificate-not-found", "").lower() == "true":
            return json_error(400, "no certificate mapping for the forward URL")
        headers = CIMultiDict((k, v) for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED)
        override = request.headers.get("LP-authorization-override")
        if override is not None:
            headers[hdrs.AUTHORIZATION] = override
        body = await request.read()
        try:
            context = None if mapping is None else client_ssl_context(mapping.cert, mapping.key, mapping.ca)
        except ToolbeltError as err:
            return json_error(500, f"the configured certificate does not load: {err.code}")
        try:
            timeout = aiohttp.ClientTimeout(total=state.mtls_timeout)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.request(
                    request.method,
                    target,
                    headers=headers,
                    data=body or None,
                    ssl=context if context is not None else True,
                    allow_redirects=False,
                ) as upstream,
            ):
                content = await upstream.read()
                answer = CIMultiDict((k, v) for k, v in upstream.headers.items() if k.lower() not in _NOT_RETURNED)
                status = upstream.status
        except TimeoutError:
            return _unreachable(f"no answer within {state.mtls_timeout:g}s")
        except (aiohttp.ClientError, OSError) as err:
            return _unreachable(type(err).__name__)
        if status >= 400:
            answer[TRANSPORT_MESSAGE] = f"upstream answered {status}"
        return web.Response(status=status, body=content, headers=answer)

    app.router.add_route("*", "/mtls/account/{account}", forward, name=ROUTE_MTLS_GATEWAY)
