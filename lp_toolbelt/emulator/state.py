"""Everything the emulator knows and records: plain data that tests read and change while it runs.

``EmulatorState`` holds the seeded secrets and whitelist, the CSDS service map, the proxy's rate cap, issued
OAuth 2 tokens, seen OAuth 1 nonces, the request log and the fault registry. Route modules read it on every
request, so a test can rotate a secret, expire tokens or arm a fault between two calls and the next request
sees the change.

The module is one of three: fault injection lives in :mod:`.faults`, the seed (demo account, packaged data,
the settings.json reader) in :mod:`.seed`, the CSDS service names and the allowlist rule in :mod:`.services`.
Their public names are re-exported here, so ``from lp_toolbelt.emulator.state import SALESFORCE_ACCESS_TOKEN``
keeps working.
"""

from __future__ import annotations

import hashlib
import json
import secrets as _secrets
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from ..transport.allowlist import Allowlist
from .faults import FAULT_KINDS, Fault, FaultAction, FaultRegistry, Handler, apply_fault, fault_kind
from .seed import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_CONTEXT_API_KEY,
    DEFAULT_RATE_LIMIT,
    DEFAULT_SWIFT_KEY,
    DEFAULT_SWIFT_USER,
    SALESFORCE_ACCESS_TOKEN,
    SALESFORCE_CLIENT_ID,
    SALESFORCE_REFRESH_TOKEN,
    default_conversations,
    default_functions,
    default_skills,
    load_settings,
    salesforce_seed,
)
from .services import SERVICE_NAMES, proxy_allowlist, service_host, unlisted_host
from .v2 import FunctionHandler, FunctionInvocation, MtlsCertificate, certificate_for

if TYPE_CHECKING:
    from ..toolbelt import Toolbelt

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_CONTEXT_API_KEY",
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_SWIFT_KEY",
    "DEFAULT_SWIFT_USER",
    "FAULT_KINDS",
    "SALESFORCE_ACCESS_TOKEN",
    "SALESFORCE_CLIENT_ID",
    "SALESFORCE_REFRESH_TOKEN",
    "SERVICE_NAMES",
    "STATE_KEY",
    "ContextNamespace",
    "ContextSession",
    "EmulatorState",
    "Fault",
    "FaultAction",
    "FaultRegistry",
    "FunctionHandler",
    "FunctionInvocation",
    "Handler",
    "IssuedToken",
    "MtlsCertificate",
    "OAuth1Secret",
    "OAuth2Secret",
    "RateBucket",
    "RecordedRequest",
    "SalesforceOrg",
    "apply_fault",
    "fault_kind",
    "load_settings",
]

OAUTH1_SECRET_FIELDS: Final = ("consumerKey", "consumerSecret", "token", "tokenSecret")


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


# --------------------------------------------------------------------------------------------------- context store
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
@dataclass
class SalesforceOrg:
    """The emulated Salesforce org: schema (for describe and validation), records, tokens and query cursors.

    Login and instance are two Host names of the emulator (see ``routes/salesforce.py``): the login URL is
    ``http://localhost:PORT`` (``login_host``), the instance URL a refresh answers is ``http://127.0.0.1:PORT``
    (``instance_url``). A refresh must present ``client_id`` (and ``client_secret`` when one is set).

    Example::

        org = state.salesforce
        org.expire_access_tokens()          # the next REST call answers 401 INVALID_SESSION_ID
        org.page_size = 2                   # query pages of 2 records (nextRecordsUrl)
    """

    schema: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)  # sObject -> {"label", "fields", ...}
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict, repr=False)  # sObject -> id -> fields
    access_tokens: dict[str, float] = field(default_factory=dict, repr=False)  # token -> time.monotonic() expiry
    refresh_tokens: set[str] = field(default_factory=lambda: {SALESFORCE_REFRESH_TOKEN}, repr=False)
    client_id: str | None = SALESFORCE_CLIENT_ID  # the connected app a refresh must name (None: any client id)
    client_secret: str | None = field(default=None, repr=False)  # when set, a refresh must present it too
    token_ttl: float = 7200.0
    page_size: int = 2000
    instance_url: str | None = None  # the instance_url a refresh answers (None: http://{state.host})
    login_host: str | None = None  # Host that serves only the token endpoint (None: state.unlisted_host)
    cursors: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)  # query locator -> records
    refresh_count: int = 0
    id_counter: int = 1000

    @classmethod
    def seeded(cls) -> SalesforceOrg:
        """The packaged demo org (data/salesforce.json) with the access token ``SALESFORCE_ACCESS_TOKEN``."""
        data = salesforce_seed()
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
    skills: list[dict[str, Any]] = field(default_factory=default_skills)
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
    conversations: dict[str, dict[str, Any]] = field(default_factory=default_conversations, repr=False)  # id -> record
    conversation_visitors: dict[str, str] = field(default_factory=dict)  # conversation id -> SMT visitor id
    visitor_sdes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # visitor id -> events (msgHist shape)
    sde_delay: float = 0.0  # seconds before an SDE reported through SMT shows in unAuthSdes (live: not real-time)
    swift_credentials: dict[str, str] = field(
        default_factory=lambda: {DEFAULT_SWIFT_USER: DEFAULT_SWIFT_KEY}, repr=False
    )  # Swift user -> key (X-Auth-User / X-Auth-Key)
    swift_tokens: dict[str, str] = field(default_factory=dict, repr=False)  # issued x-auth-token -> Swift user
    swift_files: dict[str, tuple[bytes, str]] = field(default_factory=dict, repr=False)  # path -> (bytes, type)
    # Functions V2 (see .v2): hosted functions by uuid (faasGW) and the mTLS gateway's client certificates.
    functions: dict[str, FunctionHandler] = field(default_factory=default_functions)
    function_toolbelt: Callable[[], Toolbelt] | None = None  # the Toolbelt a hosted function gets (Emulator sets it)
    function_timeout: float = 30.0  # seconds a hosted function may run before its invocation answers 901
    invocations: list[FunctionInvocation] = field(default_factory=list)
    mtls_certificates: dict[str, MtlsCertificate] = field(default_factory=dict, repr=False)  # URL prefix -> cert
    mtls_timeout: float = 30.0  # seconds the mTLS gateway waits for its target
    _allowlist_cache: tuple[tuple[Any, ...], Allowlist] | None = field(default=None, init=False, repr=False)

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
    @property
    def unlisted_host(self) -> str | None:
        """``localhost:PORT`` once serving: where the services outside LivePerson's default allowlist point
        (``mavenContext``, ``auditLog``) and the Salesforce login URL's host. The proxy refuses it unless the
        whitelist names it."""
        return unlisted_host(self.host) if self.host else None

    def point_services_at(self, host: str, previous: str | None = None) -> None:
        """Point every known service at the emulator serving on ``host``: services on the default allowlist at
        ``host``, the others at its ``localhost`` name (:func:`~.services.service_host`). Services a test set to
        something else are kept, except those that pointed at ``previous`` (the emulator's former address)."""
        for name in SERVICE_NAMES:
            self.services.setdefault(name, service_host(name, host))
        if previous is not None and previous != host:
            moved = {previous: host, unlisted_host(previous): unlisted_host(host)}
            for name, current in list(self.services.items()):
                self.services[name] = moved.get(current, current)

    def mtls_certificate_for(self, url: str) -> MtlsCertificate | None:
        """The client certificate the mTLS gateway presents to ``url`` (longest configured prefix), or None."""
        return certificate_for(self.mtls_certificates, url)

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
        """The proxy's allowlist, LivePerson's rule (:func:`~.services.proxy_allowlist`): the hosts of the default
        CSDS services and of the infrastructure, the CSDS host (the emulator's own ``host``, else
        ``127.0.0.1:own_port``) and the whitelist. Read from the current services and whitelist on every call."""
        csds = self.host or (f"127.0.0.1:{own_port}" if own_port is not None else None)
        key = (csds, *self.services.items(), *self.whitelist)
        cached = self._allowlist_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        compiled = proxy_allowlist(self.services, csds, self.whitelist)
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
