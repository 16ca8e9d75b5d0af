"""A fake LivePerson behind the transport's ``Sender`` seam: CSDS, Sentinel and scripted answers for the V2 gateways
(``faasGW`` invocations by function uuid, ``mtlsGateway`` calls), so the V2 clients' retry, strategy and error paths
run without sockets and with a fake clock."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from lp_toolbelt import Toolbelt, ToolbeltConfig
from lp_toolbelt.transport.auth import HeaderCredential
from lp_toolbelt.transport.request import Request
from lp_toolbelt.transport.wire import NetworkFailure, WireResponse
from tests.unit.fakes import CountingLimiter, FakeClock

ACCOUNT = "123"
CSDS_HOST = "csds.example"
FAAS_HOST = "va.faasgw.example"
MTLS_HOST = "va.mtls.example"
SENTINEL_HOST = "va.sentinel.example"
APP_KEY = {"client_id": "app-client", "client_secret": "app-secret-Z9"}

Step = tuple[int, Any] | tuple[int, Any, dict[str, str]] | BaseException | Callable[[Request], Awaitable[WireResponse]]
"""A scripted answer: ``(status, body[, headers])``, an exception to raise (e.g. ``NetworkFailure("io")``), or an
async callable given the request."""


def wire(status: int, body: Any = b"", headers: dict[str, str] | None = None) -> WireResponse:
    """A WireResponse; a body that is not bytes/str is sent as JSON."""
    hdrs = CIMultiDict(headers or {})
    if isinstance(body, bytes):
        raw = body
    elif isinstance(body, str):
        raw = body.encode()
    else:
        raw = json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    return WireResponse(status, CIMultiDictProxy(hdrs), raw, None)


@dataclass
class FakeLivePerson:
    """The Sender: answers by host; ``scripts[key]`` are the answers, in order, for a function uuid (faasGW) or
    ``"mtls"``; the last one repeats. Every gateway request is kept in ``sent``."""

    scripts: dict[str, list[Step]] = field(default_factory=dict)
    sent: list[Request] = field(default_factory=list)
    tokens_issued: int = 0
    sentinel_status: int = 200

    def script(self, key: str, *steps: Step) -> None:
        self.scripts[key] = list(steps)

    def sent_to(self, key: str) -> list[Request]:
        if key == "mtls":
            return [r for r in self.sent if r.url.host == MTLS_HOST]
        return [r for r in self.sent if f"/lambdas/{key}/" in r.url.path]

    async def __call__(self, request: Request) -> WireResponse:
        host = request.url.host
        if host == CSDS_HOST:
            services = {"faasGW": FAAS_HOST, "mtlsGateway": MTLS_HOST, "sentinel": SENTINEL_HOST}
            return wire(200, {"baseURIs": [{"service": k, "baseURI": v} for k, v in services.items()]})
        if host == SENTINEL_HOST:
            if self.sentinel_status != 200:
                return wire(self.sentinel_status, {"error": "invalid_client"})
            self.tokens_issued += 1
            token = {"access_token": f"tok-{self.tokens_issued}", "token_type": "Bearer", "expires_in": "3600"}
            return wire(200, token)
        self.sent.append(request)
        key = "mtls" if host == MTLS_HOST else request.url.path.split("/")[5]
        steps = self.scripts.get(key) or [(200, {"ok": key})]
        step = steps.pop(0) if len(steps) > 1 else steps[0]
        if isinstance(step, BaseException):
            raise step
        if callable(step):
            return await step(request)
        return wire(*step)


def bearer(request: Request) -> str:
    """The Sentinel token (``Bearer tok-N``) a request's credential sends, without reading it out of the middleware."""
    assert isinstance(request.auth, HeaderCredential)
    assert request.auth.header == "Authorization"
    for n in range(1, 10):
        if request.auth.matches(f"Bearer tok-{n}"):
            return f"Bearer tok-{n}"
    raise AssertionError("no Sentinel token")


def network(kind: str = "io") -> NetworkFailure:
    """A network failure of ``kind`` with an OS error as its cause, as the real sender raises it."""
    failure = NetworkFailure(kind)  # type: ignore[arg-type]
    failure.__cause__ = TimeoutError() if kind == "timeout" else ConnectionResetError("reset by peer")
    return failure


def toolbelt(
    fake: FakeLivePerson,
    clock: FakeClock | None = None,
    *,
    secrets: dict[str, Any] | None = None,
    limiter: CountingLimiter | None = None,
    **config: Any,
) -> Toolbelt:
    """A Toolbelt whose transport sends to ``fake`` (fake clock and sleep when given)."""
    clock = clock or FakeClock()
    values: dict[str, Any] = {
        "account_id": ACCOUNT,
        "csds_domain": CSDS_HOST,
        "secrets": {"LIVEPERSON_DEFAULT_APP_KEY": APP_KEY} if secrets is None else secrets,
        "secrets_file": None,
    }
    values.update(config)
    tb = Toolbelt(ToolbeltConfig(**values), clock=clock, sleep=clock.sleep, limiter=limiter or CountingLimiter())
    tb.transport.sender = fake
    return tb
