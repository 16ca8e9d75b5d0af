"""Everything the emulator knows and records: plain data that tests read and change while it runs.

``EmulatorState`` holds the seeded secrets and whitelist, the CSDS service map, the proxy's rate cap, issued
OAuth 2 tokens, seen OAuth 1 nonces, the request log and the fault registry. Route modules read it on every
request, so a test can rotate a secret, expire tokens or arm a fault between two calls and the next request
sees the change.

Faults live here too, in one place: :data:`FAULT_KINDS` maps a kind name to the coroutine that acts it out.
A new kind is one decorated function (``@fault_kind("name")``); ``FaultRegistry.add`` validates kinds against
that table and the proxy middleware dispatches through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import email.utils
import hashlib
import json
import secrets as _secrets
import socket
import struct
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final

from aiohttp import web

from .._constants import DEFAULT_ALLOWLIST, MAX_RESPONSE_BYTES
from ..enums import LpServices
from ..transport.allowlist import Allowlist

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_CONTEXT_API_KEY",
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_SWIFT_KEY",
    "DEFAULT_SWIFT_USER",
    "FAULT_KINDS",
    "SALESFORCE_ACCESS_TOKEN",
    "SALESFORCE_REFRESH_TOKEN",
    "SERVICE_NAMES",
    "STATE_KEY",
    "ContextNamespace",
    "ContextSession",
    "EmulatorState",
    "Fault",
    "FaultAction",
    "FaultRegistry",
    "Handler",
    "IssuedToken",
    "OAuth1Secret",
    "OAuth2Secret",
    "RateBucket",
    "RecordedRequest",
    "SalesforceOrg",
    "apply_fault",
    "fault_kind",
    "load_settings",
]

_PACKAGE: Final = "lp_toolbelt.emulator"
DEFAULT_ACCOUNT_ID: Final = "12345678"
DEFAULT_RATE_LIMIT: Final = 20.0
DEFAULT_SWIFT_USER: Final = "swift-user"  # the emulated object storage account (GDPR util)
DEFAULT_SWIFT_KEY: Final = "swift-key"
OAUTH1_SECRET_FIELDS: Final = ("consumerKey", "consumerSecret", "token", "tokenSecret")

# Every CSDS service the emulator answers for: the LpServices enum plus the names the utilities use.
SERVICE_NAMES: Final[tuple[str, ...]] = tuple(
    dict.fromkeys(
        [
            *(service.value for service in LpServices),
            "msgHist",
            "smt",
            "swift",
            "mavenContext",
            "sentinel",
            "accountConfigReadOnly",
        ]
    )
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
"""An aiohttp request handler (what a middleware calls next)."""


# --------------------------------------------------------------------------------------------------- request log
@dataclass(slots=True)
class RecordedRequest:
    """One request as the proxy saw it. Authorization values are never stored, only their scheme."""

    time: float  # time.monotonic() at arrival
    method: str
    host: str  # the Host header
    path: str  # decoded path
    query: str  # raw query string, as sent
    route: str | None  # the aiohttp route name, None when no route matched
    request_id: str | None  # X-Request-Id
    auth_scheme: str | None = None  # "OAuth", "Bearer", ... (never the credentials)
    forbidden: bool = False  # answered 403 by the proxy allowlist
    rate_limited: bool = False  # answered 429 by the proxy rate cap
    fault: str | None = None  # the fault kind applied, if any
    status: int | None = None  # the status answered (499 when the client hung up first, nginx-style)


# --------------------------------------------------------------------------------------------------- faults
@dataclass(slots=True)
class Fault:
    """An armed fault: applies to the next ``remaining`` requests of ``route`` (``None`` = until cleared).

    ``delay`` (seconds) is honoured by every kind before it acts; ``status``/``body``/``headers``/
    ``content_type`` shape the answer of kinds that answer; ``options`` carries kind-specific extras.
    """

    route: str
    kind: str
    remaining: int | None = 1
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    delay: float = 0.0
    options: dict[str, Any] = field(default_factory=dict)
    applied: int = 0


FaultAction = Callable[[Fault, web.Request, Handler], Awaitable[web.StreamResponse]]
"""A fault kind's behaviour: given the fault, the request and the real handler, produce the response."""

FAULT_KINDS: dict[str, FaultAction] = {}
"""Fault kind name → behaviour. Register new kinds with :func:`fault_kind`."""


def fault_kind(name: str) -> Callable[[FaultAction], FaultAction]:
    """Register a fault kind (decorator). The function receives the fault, the request and the real handler."""

    def register(action: FaultAction) -> FaultAction:
        FAULT_KINDS[name] = action
        return action

    return register


def _fault_body(fault: Fault) -> tuple[bytes, str]:
    body = fault.body
    if body is None:
        payload = json.dumps({"error": "emulated fault", "status": fault.status}).encode()
        return payload, fault.content_type or "application/json"
    if isinstance(body, bytes):
        return body, fault.content_type or "application/octet-stream"
    if isinstance(body, str):
        return body.encode(), fault.content_type or "text/plain"
    return json.dumps(body).encode(), fault.content_type or "application/json"


@fault_kind("status")
async def _status_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer ``fault.status`` with ``fault.body`` (JSON unless str/bytes) and ``fault.headers``."""
    body, content_type = _fault_body(fault)
    headers = {"Content-Type": content_type, **fault.headers}
    return web.Response(status=fault.status, body=body, headers=headers)


@fault_kind("latency")
async def _latency_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Handle the request normally, after the fault's ``delay`` (applied by :func:`apply_fault`)."""
    return await handler(request)


# Fault kinds for the reliability suite (tests/reliability/). Kinds that corrupt an answer run the real handler
# first, so the route's own status and headers (and its side effects) are kept and only the wire breaks.
_MIB: Final = 1024 * 1024
_HTML_PAGE: Final = b"<html><head><title>503 Service Unavailable</title></head><body>upstream unavailable</body></html>"


async def _real_answer(request: web.Request, handler: Handler) -> tuple[int, dict[str, str], bytes]:
    """Run the real handler: ``(status, headers without framing headers, body bytes)``."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
    body = response.body if isinstance(response, web.Response) else None
    raw = bytes(body) if isinstance(body, bytes | bytearray | memoryview) else b""
    skip = {"content-length", "transfer-encoding", "content-encoding"}
    headers = {k: v for k, v in response.headers.items() if k.lower() not in skip}
    return response.status, headers, raw


def _connected(request: web.Request) -> bool:
    transport = request.transport
    return transport is not None and not transport.is_closing()


def _reset(request: web.Request) -> None:
    """Drop the connection with a TCP RST (SO_LINGER 0), discarding anything not yet sent."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _flushed(request: web.Request, limit: float = 1.0) -> None:
    """Wait (at most ``limit`` seconds) until what was written has left the server's buffer."""
    transport = request.transport
    deadline = time.monotonic() + limit
    # aiohttp has no "buffer drained" event to wait on: poll.
    while transport is not None and transport.get_write_buffer_size() > 0 and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.001)


async def _partial_answer(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Headers of the real answer announcing its full length, then only part of the body (``keep``, default 0.5).

    An answer that cannot carry a body (204, 304) is sent as a 200 announcing one byte, so the client waits for it.
    """
    status, headers, body = await _real_answer(request, handler)
    if status in (204, 304):
        status = 200
    keep = float(fault.options.get("keep", 0.5))
    sent = body[: int(len(body) * min(max(keep, 0.0), 1.0))]
    if len(sent) >= len(body):
        sent = body[:-1]
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = max(len(body), 1)
    await response.prepare(request)
    if sent:
        await response.write(sent)
    await _flushed(request)
    return response


async def _wait_connected(request: web.Request, seconds: float) -> bool:
    """Sleep ``seconds``, or less if the client hangs up; True when the client is still there."""
    deadline = time.monotonic() + seconds
    # aiohttp has no "client disconnected" event (handlers are not cancelled): poll the transport.
    while _connected(request) and (left := deadline - time.monotonic()) > 0:  # noqa: ASYNC110
        await asyncio.sleep(min(0.01, left))
    return _connected(request)


@fault_kind("stall")
async def _stall_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Hold the request without answering until the client gives up (disconnects) or ``seconds`` (default 300)
    pass; a client still waiting then gets the real answer. Use it to check that calls honour their timeout."""
    if not await _wait_connected(request, float(fault.options.get("seconds", 300.0))):
        return web.Response(status=499)  # nobody is listening; aiohttp drops it
    return await handler(request)


@fault_kind("reset_before_headers")
async def _reset_before_headers_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Reset the connection (RST) before any byte of the answer. With ``process=True`` the real handler runs first
    (its side effects happen, the client cannot know): the ambiguous failure that forbids replaying writes."""
    if fault.options.get("process", False):
        await _real_answer(request, handler)
    _reset(request)
    return web.Response(status=499)


@fault_kind("reset_after_headers")
async def _reset_after_headers_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Send the real status and headers (and ``keep`` of the body, default none), then reset the connection."""
    if "keep" not in fault.options:
        fault.options["keep"] = 0.0
    response = await _partial_answer(fault, request, handler)
    _reset(request)
    return response


@fault_kind("truncated_body")
async def _truncated_body_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """The real answer's headers and Content-Length, ``keep`` (default half) of its body, then a clean close."""
    response = await _partial_answer(fault, request, handler)
    if request.transport is not None:
        request.transport.close()
    return response


@fault_kind("malformed_json")
async def _malformed_json_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """The real status and headers with a body that is not JSON (``body`` if given, else the real body cut short
    and followed by garbage), still labelled ``application/json``."""
    status, headers, real = await _real_answer(request, handler)
    if fault.body is not None:
        body = fault.body if isinstance(fault.body, bytes) else str(fault.body).encode()
    else:
        body = real[: len(real) // 2] + b"\x00<!-- not json"
    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    return web.Response(status=status, body=body, headers=headers, content_type="application/json")


@fault_kind("wrong_content_type")
async def _wrong_content_type_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """The real status with an HTML page (a captive portal or an upstream error page) labelled ``text/html``, or,
    with ``keep_body=True``, the real body under the wrong label (``content_type`` overrides the label)."""
    status, headers, real = await _real_answer(request, handler)
    if fault.options.get("keep_body", False):
        body = real
    elif fault.body is not None:
        body, _ = _fault_body(fault)
    else:
        body = _HTML_PAGE
    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    headers["Content-Type"] = fault.content_type or "text/html; charset=utf-8"
    return web.Response(status=status, body=body, headers=headers)


@fault_kind("oversized_body")
async def _oversized_body_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """A 200 whose body is ``size`` bytes (default: the client's 64 MiB cap + 1), announced by Content-Length, or
    streamed chunked with ``chunked=True``. Streaming stops when the client hangs up."""
    size = int(fault.options.get("size", MAX_RESPONSE_BYTES + 1))
    response = web.StreamResponse(status=200, headers={"Content-Type": fault.content_type or "application/json"})
    if fault.options.get("chunked", False):
        response.enable_chunked_encoding()
    else:
        response.content_length = size
    await response.prepare(request)
    chunk = b"7" * _MIB
    left = size
    try:
        while left > 0 and _connected(request):
            part = chunk if left >= _MIB else chunk[:left]
            await response.write(part)
            left -= len(part)
    except ConnectionError:
        pass
    return response


@fault_kind("rate_limited")
async def _rate_limited_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """``429 Too Many Requests`` as the proxy sends it, with ``Retry-After``: ``retry_after`` seconds (default 1),
    written as an HTTP-date (``now + retry_after``) when ``http_date=True``; ``headers`` can override it."""
    seconds = float(fault.options.get("retry_after", 1))
    if fault.options.get("http_date", False):
        retry_after = email.utils.formatdate(time.time() + seconds, usegmt=True)
    else:
        retry_after = f"{seconds:g}"
    headers = {"Retry-After": retry_after, **fault.headers}
    return web.Response(status=429, text="Too Many Requests", content_type="text/plain", headers=headers)


async def apply_fault(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    """Act out ``fault`` for ``request``: wait ``fault.delay`` seconds, then run the kind's behaviour.

    A client that hangs up during the delay ends the wait (nothing is left sleeping once the emulator stops).
    """
    if fault.delay > 0 and not await _wait_connected(request, fault.delay):
        return web.Response(status=499)  # nobody is listening; aiohttp drops it
    return await FAULT_KINDS[fault.kind](fault, request, handler)


class FaultRegistry:
    """Armed faults, matched by route name (``"*"`` matches every route). First armed, first applied.

    Kinds: ``status`` (answer ``status``/``body``/``headers``), ``latency`` (the real answer after ``delay``),
    ``stall`` (no answer until the client hangs up, or ``seconds``), ``reset_before_headers`` (TCP reset; with
    ``process=True`` after the real handler ran), ``reset_after_headers`` (real status and headers, then a reset),
    ``truncated_body`` (``keep`` of the body, then a clean close), ``malformed_json``, ``wrong_content_type``
    (an HTML page, or ``keep_body=True``), ``oversized_body`` (``size`` bytes, ``chunked=True``) and
    ``rate_limited`` (429 with ``Retry-After``: ``retry_after`` seconds, ``http_date=True`` for the date form).

    Example::

        state.faults.add("csds", "status", status=503, times=2, headers={"Retry-After": "0"})
        state.faults.add("skills", "latency", delay=0.5)
        state.faults.add("*", "status", status=500, times=None)    # every request until cleared
        state.faults.add("echo", "reset_before_headers", process=True)
        state.faults.add("csds", "rate_limited", retry_after=2, http_date=True)
        state.faults.clear()
    """

    __slots__ = ("_faults",)

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(
        self,
        route: str,
        kind: str,
        *,
        times: int | None = 1,
        status: int = 500,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        delay: float = 0.0,
        **options: Any,
    ) -> Fault:
        """Arm a fault for the next ``times`` requests to ``route`` (``times=None``: until cleared)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for every request)")
        if delay < 0:
            raise ValueError("delay must be >= 0")
        fault = Fault(
            route=route,
            kind=kind,
            remaining=times,
            status=status,
            body=body,
            headers=dict(headers or {}),
            content_type=content_type,
            delay=delay,
            options=dict(options),
        )
        self._faults.append(fault)
        return fault

    def take(self, route: str | None) -> Fault | None:
        """The fault to apply to one request of ``route`` (counted as used), or None."""
        for fault in self._faults:
            if fault.route == route or fault.route == "*":
                fault.applied += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    def clear(self, route: str | None = None) -> None:
        """Disarm every fault, or only those armed for ``route``."""
        if route is None:
            self._faults.clear()
        else:
            self._faults = [f for f in self._faults if f.route != route]

    @property
    def active(self) -> list[Fault]:
        """The faults still armed, in application order."""
        return list(self._faults)

    def __len__(self) -> int:
        return len(self._faults)


# --------------------------------------------------------------------------------------------------- rate cap
@dataclass(slots=True)
class RateBucket:
    """Token bucket of the proxy's rate cap: capacity = cap, refilled at cap tokens per second.

    ``tolerance`` (seconds) lets a request through when the bucket is short by less than ``tolerance`` seconds
    of refill: it absorbs loopback jitter, so a client that paces itself at exactly the cap (send times) is not
    refused because two of its requests arrived a few milliseconds closer together than they were sent.
    """

    tokens: float | None = None  # None: full
    updated: float = 0.0

    def acquire(self, rate: float, now: float, tolerance: float = 0.0) -> bool:
        """Take one token at ``now`` (monotonic seconds); False when the cap is exceeded."""
        capacity = max(rate, 1.0)
        refill = 0.0 if self.tokens is None else max(0.0, now - self.updated) * rate
        tokens = capacity if self.tokens is None else min(capacity, self.tokens + refill)
        self.updated = now
        allowed = tokens >= 1.0 - rate * tolerance
        if allowed:
            tokens -= 1.0
        self.tokens = tokens
        return allowed

    def reset(self) -> None:
        """Refill the bucket."""
        self.tokens = None


# --------------------------------------------------------------------------------------------------- credentials
@dataclass(frozen=True, slots=True)
class OAuth1Secret:
    """An API key found in the secrets (``lp-faas-default-app-key`` shape)."""

    name: str
    consumer_key: str
    consumer_secret: str = field(repr=False)
    token: str
    token_secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class OAuth2Secret:
    """An app installation found in the secrets (``{"client_id", "client_secret"}``)."""

    name: str
    client_id: str
    client_secret: str = field(repr=False)


@dataclass(slots=True)
class IssuedToken:
    """An OAuth 2 access token issued by the Sentinel route."""

    client_id: str
    expires_at: float  # time.monotonic()
    credential_digest: str = field(repr=False)  # the issuing client_id/client_secret, hashed


def _credential_digest(client_id: str, client_secret: str) -> str:
    return hashlib.sha256(f"{client_id}\0{client_secret}".encode()).hexdigest()


def _as_mapping(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, Mapping) else None


# --------------------------------------------------------------------------------------------------- seed
def _default_settings() -> dict[str, Any]:
    text = resources.files(_PACKAGE).joinpath("data", "settings.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _default_skills() -> list[dict[str, Any]]:
    text = resources.files(_PACKAGE).joinpath("data", "skills.json").read_text(encoding="utf-8")
    loaded: list[dict[str, Any]] = json.loads(text)
    return loaded


def _default_conversations() -> dict[str, dict[str, Any]]:
    """The packaged conversation records (``data/conversations``, listed in its ``index.json``) by conversation id.

    An index entry may give a ``conversationId`` to serve a file's record under (the documentation's examples
    share one id); the record's ``info.conversationId`` is set to it.
    """
    base = resources.files(_PACKAGE).joinpath("data", "conversations")
    index: list[dict[str, Any]] = json.loads(base.joinpath("index.json").read_text(encoding="utf-8"))
    conversations: dict[str, dict[str, Any]] = {}
    for entry in index:
        payload = json.loads(base.joinpath(entry["file"]).read_text(encoding="utf-8"))
        for record in payload["conversationHistoryRecords"]:
            info = record.setdefault("info", {})
            conversation_id = str(entry.get("conversationId") or info["conversationId"])
            info["conversationId"] = conversation_id
            conversations[conversation_id] = record
    return conversations


def load_settings(source: Path | str | Mapping[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """Read a settings.json-style seed into ``(secrets, whitelist)``.

    ``source`` is a path, an already-parsed mapping, or None for the packaged demo seed. ``secrets`` may be the
    Functions CLI list ``[{"key", "value"}]`` or a plain ``{key: value}`` mapping. Values are deep-copied.
    """
    if source is None:
        data: Mapping[str, Any] = _default_settings()
    elif isinstance(source, Mapping):
        data = source
    else:
        data = json.loads(Path(source).read_text(encoding="utf-8"))
        if not isinstance(data, Mapping):
            raise ValueError("settings must be a JSON object")
    raw_secrets = data.get("secrets", [])
    secrets: dict[str, Any] = {}
    if isinstance(raw_secrets, Mapping):
        secrets = {str(k): copy.deepcopy(v) for k, v in raw_secrets.items()}
    else:
        for entry in raw_secrets:
            if not isinstance(entry, Mapping) or "key" not in entry:
                raise ValueError('each secret must be an object with "key" and "value"')
            secrets[str(entry["key"])] = copy.deepcopy(entry.get("value"))
    whitelist = [str(item) for item in data.get("whitelist", [])]
    return secrets, whitelist


# --------------------------------------------------------------------------------------------------- context store
DEFAULT_CONTEXT_API_KEY: Final = "emulator-maven-api-key"


@dataclass(slots=True)
class ContextSession:
    """One session of a Context Session Store namespace."""

    properties: dict[str, Any] = field(default_factory=dict)
    updated_at: float = 0.0  # state.context_clock() at the last write


@dataclass(slots=True)
class ContextNamespace:
    """A namespace; with ``ttl_second``, a session expires that many seconds after its last write."""

    name: str
    created_at: float  # state.context_clock() (Unix seconds)
    ttl_second: int | None = None
    sessions: dict[str, ContextSession] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------- salesforce
SALESFORCE_ACCESS_TOKEN: Final = "emulator-sf-access-token"
SALESFORCE_REFRESH_TOKEN: Final = "emulator-sf-refresh-token"


@dataclass
class SalesforceOrg:
    """The emulated Salesforce org: schema (for describe and validation), records, tokens and query cursors.

    Example::

        org = state.salesforce
        org.expire_access_tokens()          # the next REST call answers 401 INVALID_SESSION_ID
        org.page_size = 2                   # query pages of 2 records (nextRecordsUrl)
    """

    schema: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)  # sObject -> {"label", "fields", ...}
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict, repr=False)  # sObject -> id -> fields
    access_tokens: dict[str, float] = field(default_factory=dict, repr=False)  # token -> time.monotonic() expiry
    refresh_tokens: set[str] = field(default_factory=lambda: {SALESFORCE_REFRESH_TOKEN}, repr=False)
    client_id: str | None = None  # when set, a refresh must present this client id and secret
    client_secret: str | None = field(default=None, repr=False)
    token_ttl: float = 7200.0
    page_size: int = 2000
    instance_url: str | None = None  # the instance_url a refresh answers (None: the emulator's own URL)
    cursors: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)  # query locator -> records
    refresh_count: int = 0
    id_counter: int = 1000

    @classmethod
    def seeded(cls) -> SalesforceOrg:
        """The packaged demo org (data/salesforce.json) with the access token ``SALESFORCE_ACCESS_TOKEN``."""
        text = resources.files(_PACKAGE).joinpath("data", "salesforce.json").read_text(encoding="utf-8")
        data = json.loads(text)
        org = cls(schema=data["sobjects"])
        org.records = {name: {r["Id"]: r for r in data["records"].get(name, [])} for name in org.schema}
        org.access_tokens[SALESFORCE_ACCESS_TOKEN] = time.monotonic() + org.token_ttl
        return org

    def issue_access_token(self) -> str:
        """A new access token valid for ``token_ttl`` seconds."""
        token = _secrets.token_urlsafe(24)
        self.access_tokens[token] = time.monotonic() + self.token_ttl
        return token

    def access_token_valid(self, token: str) -> bool:
        """True while ``token`` is known and not expired."""
        expires = self.access_tokens.get(token)
        return expires is not None and time.monotonic() < expires

    def expire_access_tokens(self) -> None:
        """Test hook: every access token is expired from now on (the client must refresh)."""
        for token in self.access_tokens:
            self.access_tokens[token] = float("-inf")


# --------------------------------------------------------------------------------------------------- the state
@dataclass
class EmulatorState:
    """The emulator's whole state. Fields are public: tests read and change them between requests.

    Example::

        state = EmulatorState.from_settings(None)          # the packaged demo seed
        state.secrets["lp-faas-default-app-key"]["consumerSecret"] = "rotated"
        state.expire_tokens()
        state.faults.add("csds", "status", status=503)
        assert state.count("csds") == 0
    """

    account_id: str = DEFAULT_ACCOUNT_ID
    secrets: dict[str, Any] = field(default_factory=dict, repr=False)  # credentials: kept out of repr()
    whitelist: list[str] = field(default_factory=list)
    rate_limit: float | None = DEFAULT_RATE_LIMIT  # requests/second through the proxy; None = no cap
    rate_tolerance: float = 0.05  # seconds of refill the bucket may run short (loopback jitter)
    services: dict[str, str] = field(default_factory=dict)  # CSDS service name -> host[:port]
    skills: list[dict[str, Any]] = field(default_factory=_default_skills)
    requests: list[RecordedRequest] = field(default_factory=list)
    tokens: dict[str, IssuedToken] = field(default_factory=dict, repr=False)  # OAuth 2 access token -> its expiry
    token_ttl: int = 3600  # seconds, answered by Sentinel as the string expires_in
    nonces: dict[tuple[str, str], float] = field(default_factory=dict, repr=False)  # (consumer key, nonce) -> ts
    oauth1_max_skew: float = 300.0  # seconds an oauth_timestamp may differ from the clock
    clock: Callable[[], float] = time.time  # wall clock for OAuth 1 timestamps
    faults: FaultRegistry = field(default_factory=FaultRegistry)
    bucket: RateBucket = field(default_factory=RateBucket)
    host: str | None = None  # "127.0.0.1:PORT" once serving
    context_api_keys: set[str] = field(default_factory=lambda: {DEFAULT_CONTEXT_API_KEY}, repr=False)
    context_namespaces: dict[str, ContextNamespace] = field(default_factory=dict)  # custom namespaces by name
    context_clock: Callable[[], float] = time.time  # Unix seconds: namespace createdAt and session TTL expiry
    salesforce: SalesforceOrg = field(default_factory=SalesforceOrg.seeded)
    # Messaging Interactions (msgHist), SMT (SDEs) and Swift (conversation files): see routes/msghist.py, smt.py,
    # swift.py. A conversation's SMT visitor is conversation_visitors[id], else its first consumer participant.
    conversations: dict[str, dict[str, Any]] = field(default_factory=_default_conversations, repr=False)  # id -> record
    conversation_visitors: dict[str, str] = field(default_factory=dict)  # conversation id -> SMT visitor id
    visitor_sdes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # visitor id -> events (msgHist shape)
    swift_credentials: dict[str, str] = field(
        default_factory=lambda: {DEFAULT_SWIFT_USER: DEFAULT_SWIFT_KEY}, repr=False
    )  # Swift user -> key (X-Auth-User / X-Auth-Key)
    swift_tokens: dict[str, str] = field(default_factory=dict, repr=False)  # issued x-auth-token -> Swift user
    swift_files: dict[str, tuple[bytes, str]] = field(default_factory=dict, repr=False)  # path -> (bytes, type)
    _allowlist_cache: tuple[tuple[str, ...], Allowlist] | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_settings(
        cls,
        settings: Path | str | Mapping[str, Any] | None = None,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        rate_limit: float | None = DEFAULT_RATE_LIMIT,
    ) -> EmulatorState:
        """A state seeded from a settings.json path or mapping (None: the packaged demo seed)."""
        secrets, whitelist = load_settings(settings)
        return cls(account_id=account_id, secrets=secrets, whitelist=whitelist, rate_limit=rate_limit)

    # ---- CSDS
    def point_services_at(self, host: str, previous: str | None = None) -> None:
        """Point every known service at ``host``; services set to something else by a test are kept
        (except those that pointed at ``previous``, the emulator's former address)."""
        for name in SERVICE_NAMES:
            self.services.setdefault(name, host)
        if previous is not None and previous != host:
            for name, current in list(self.services.items()):
                if current == previous:
                    self.services[name] = host

    # ---- request log
    def count(self, route: str | None) -> int:
        """How many requests arrived for ``route`` (an aiohttp route name), rejected ones included."""
        return sum(1 for r in self.requests if r.route == route)

    def arrival_times(self, route: str | None = None) -> list[float]:
        """Monotonic arrival times of all requests, or of one route's."""
        return [r.time for r in self.requests if route is None or r.route == route]

    def max_in_window(self, window: float = 1.0, route: str | None = None) -> int:
        """The most arrivals within any sliding window of ``window`` seconds (half-open ``[t, t+window)``)."""
        times = sorted(self.arrival_times(route))
        best = 0
        start = 0
        for end, t in enumerate(times):
            while t - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def clear_requests(self) -> None:
        """Forget the request log."""
        self.requests.clear()

    # ---- proxy
    def allowlist(self, own_port: int | None = None) -> Allowlist:
        """The proxy's allowlist: LivePerson defaults + whitelist + the emulator's own address."""
        own: list[str] = []
        if self.host:
            own.append(self.host)
        if own_port is not None:
            own += [f"127.0.0.1:{own_port}", f"localhost:{own_port}"]
        key = (*self.whitelist, "|", *own)
        cached = self._allowlist_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        compiled = Allowlist((*DEFAULT_ALLOWLIST, *self.whitelist, *own))
        self._allowlist_cache = (key, compiled)
        return compiled

    # ---- credentials (read from the *current* secrets on every call)
    def oauth1_secrets(self) -> Iterator[OAuth1Secret]:
        """Every secret shaped like an API key (consumerKey/consumerSecret/token/tokenSecret)."""
        for name, raw in list(self.secrets.items()):
            value = _as_mapping(raw)
            if value is None or not all(isinstance(value.get(k), str) for k in OAUTH1_SECRET_FIELDS):
                continue
            yield OAuth1Secret(
                name, value["consumerKey"], value["consumerSecret"], value["token"], value["tokenSecret"]
            )

    def oauth2_secrets(self) -> Iterator[OAuth2Secret]:
        """Every secret shaped like an app installation (client_id/client_secret)."""
        for name, raw in list(self.secrets.items()):
            value = _as_mapping(raw)
            if value is None:
                continue
            client_id, client_secret = value.get("client_id"), value.get("client_secret")
            if isinstance(client_id, str) and isinstance(client_secret, str):
                yield OAuth2Secret(name, client_id, client_secret)

    # ---- OAuth 2 tokens
    def issue_token(self, client_id: str, client_secret: str) -> str:
        """Issue an access token for ``token_ttl`` seconds."""
        token = _secrets.token_urlsafe(32)
        self.tokens[token] = IssuedToken(
            client_id=client_id,
            expires_at=time.monotonic() + self.token_ttl,
            credential_digest=_credential_digest(client_id, client_secret),
        )
        return token

    def token_client(self, token: str) -> str | None:
        """The client id a token is valid for right now, or None (unknown, expired, or its secret rotated)."""
        issued = self.tokens.get(token)
        if issued is None:
            return None
        if time.monotonic() >= issued.expires_at:
            del self.tokens[token]
            return None
        for app in self.oauth2_secrets():
            if _credential_digest(app.client_id, app.client_secret) == issued.credential_digest:
                return issued.client_id
        return None

    def expire_tokens(self) -> None:
        """Test hook: every issued token is expired from now on (the client must fetch a new one)."""
        for issued in self.tokens.values():
            issued.expires_at = float("-inf")

    # ---- OAuth 1 nonces
    def use_nonce(self, consumer_key: str, nonce: str, timestamp: float) -> bool:
        """Record a nonce; False when it was already used (a replay)."""
        key = (consumer_key, nonce)
        if key in self.nonces:
            return False
        self.nonces[key] = timestamp
        if len(self.nonces) > 10_000:
            horizon = self.clock() - 2 * self.oauth1_max_skew
            self.nonces = {k: ts for k, ts in self.nonces.items() if ts >= horizon}
        return True


STATE_KEY: Final = web.AppKey("lp_toolbelt.emulator.state", EmulatorState)
"""Where ``build_app`` keeps the state on the aiohttp application (``app[STATE_KEY]``)."""
