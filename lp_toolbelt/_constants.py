"""Defaults, in one place. Everything tunable per Toolbelt is a field of ToolbeltConfig; these are its defaults."""

from __future__ import annotations

from typing import Final

DEFAULT_CSDS_DOMAIN: Final = "api.liveperson.net"
DEFAULT_SCHEME: Final = "https"
DEFAULT_RATE_LIMIT: Final = 20.0  # requests per second, the FaaS proxy's cap
DEFAULT_TIMEOUT: Final = 30.0  # seconds, one whole call including its retries
DEFAULT_MAX_RETRIES: Final = 3
DEFAULT_SECRETS_FILE: Final = "functions/settings.json"

# Retry backoff: full jitter, delay = uniform(0, min(cap, base * 2**attempt)).
RETRY_BACKOFF_BASE: Final = 0.25
RETRY_BACKOFF_CAP: Final = 8.0
RETRY_STATUSES: Final = frozenset({502, 503, 504})
IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
MAX_REDIRECTS: Final = 10
MAX_RESPONSE_BYTES: Final = 64 * 1024 * 1024

CSDS_CACHE_TTL: Final = 600.0  # seconds, as the Node toolbelt
SECRET_CACHE_TTL: Final = 300.0  # seconds
OAUTH2_RENEW_BEFORE: Final = 60.0  # seconds before expiry a token is renewed
# A Sentinel answer without a usable expires_in is still cached, this long, so it is not fetched again every call.
OAUTH2_FALLBACK_TTL: Final = 60.0

# The default app key: V2's system secret (OAuth 2.0 {client_id, client_secret}), else V1's (OAuth 1.0, legacy:
# LivePerson's OAuth 1.0 app keys reached end of life on 2026-05-31).
DEFAULT_APP_KEY_SECRET_V2: Final = "LIVEPERSON_DEFAULT_APP_KEY"
DEFAULT_APP_KEY_SECRET: Final = "lp-faas-default-app-key"
DEFAULT_APP_KEY_SECRETS: Final = (DEFAULT_APP_KEY_SECRET_V2, DEFAULT_APP_KEY_SECRET)
ORCHESTRATOR_APP_KEY_SECRET: Final = "lp-faas-orchestrator-app-key"
# The app keys V2's clients try when none is named, in order (OAuth 2.0 only: V1's OAuth 1.0 default cannot serve
# them). The Orchestrator also accepts the secret LivePerson's "Functions API: Invoke" documentation names.
ORCHESTRATOR_APP_KEY_SECRETS: Final = (DEFAULT_APP_KEY_SECRET_V2, ORCHESTRATOR_APP_KEY_SECRET)
LP_MTLS_APP_KEY_SECRETS: Final = (DEFAULT_APP_KEY_SECRET_V2,)
SYSTEM_SECRET_PREFIX: Final = "LIVEPERSON_DEFAULT_"
SECRET_KEY_PATTERN: Final = r"[A-Za-z0-9_-]{1,100}"
SECRET_VALUE_MAX_CHARS: Final = 16384

PROXY_FORBIDDEN_MESSAGE: Final = "You do not have access to the page or resource you are trying to reach"

# The FaaS proxy's default allowlist is defined by CSDS service (LivePerson docs, "Domain Whitelisting"): the hosts
# CSDS returns for these services of the account are allowed, whatever their data-centre names.
ALLOWLIST_SERVICES: Final = frozenset(
    {
        "accountConfigReadOnly",
        "accountConfigReadWrite",
        "agentVep",
        "asyncMessaging",
        "asyncMessagingEnt",
        "engHistDomain",
        "leDataReporting",
        "msdkgw",
        "msgEwtAPI",
        "msgHist",
        "pusher",
        "rtbf",
        "smt",
        "swift",
        "faasGW",  # V2: the Functions gateway the Orchestrator calls
    }
)
# The toolbelt's own infrastructure calls, never refused: OAuth 2.0 tokens and V2's mTLS gateway (CSDS itself is
# the configured csds_domain).
INFRA_SERVICES: Final = frozenset({"sentinel", "mtlsGateway"})

# Without an account id CSDS cannot be asked, so this static stand-in applies; `*.x.y` matches any subdomain of x.y.
DEFAULT_ALLOWLIST: Final[tuple[str, ...]] = (
    "adminlogin.liveperson.net",
    "ams-a.liveperson.net",
    "api.liveperson.net",
    "*.ac.liveperson.net",
    "*.acr.liveperson.net",
    "*.agentvep.liveperson.net",
    "*.data-mng.liveperson.net",
    "*.enghist.liveperson.net",
    "*.lp-msgewt.liveperson.net",
    "*.msghist.liveperson.net",
    "*.push.liveperson.net",
    "*.v.liveperson.net",
    "*.msg.liveperson.net",
    "*.objectstorage.liveperson.net",
)

# Per-utility defaults.
SDE_TIMEOUT: Final = 60.0  # the SMT API is not real-time: calls can take over 30 s
GDPR_CONCURRENCY: Final = 8
MSGHIST_API_VERSION: Final = "2"  # v=2: unauthenticated SDEs are returned too
MSGHIST_SOURCE: Final = "FaaS_Toolbelt"
SMT_API_VERSION: Final = "1"
SWIFT_SERVICE: Final = "swift"  # CSDS name of the object storage holding conversation files
SWIFT_AUTH_PATH: Final = "/auth/v1.0"
# The default GDPR replacement file: a 1x1 black PNG.
GDPR_REPLACEMENT_PNG_BASE64: Final = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk+A8AAQUBAScY42YAAAAASUVORK5CYII="
)
GDPR_REPLACEMENT_CONTENT_TYPE: Final = "image/png"
CONTEXT_TIMEOUT: Final = 10.0
CONTEXT_MAX_ATTEMPTS: Final = 3
CONTEXT_DEFAULT_SESSION: Final = "__default__"
CONTEXT_BUILTIN_NAMESPACES: Final = frozenset({"faas", "consumer", "custom", "operational", "conversation"})
CONTEXT_CONCURRENCY: Final = 8  # concurrent GETs of get_selected_properties_in_session
SALESFORCE_API_VERSION: Final = "v60.0"

# Functions V2: the Orchestrator (invoke other functions through CSDS faasGW) and LivePerson's mTLS gateway.
FAAS_GATEWAY_SERVICE: Final = "faasGW"
ORCHESTRATOR_MAX_DEADLINE: Final = 25.0  # seconds: one invoke() call, every invocation and retry included
ORCHESTRATOR_ATTEMPTS: Final = 3  # attempts per invocation (Invocation.retries)
ORCHESTRATOR_RETRY_STATUSES: Final = frozenset({429, 500, 502, 504})
ORCHESTRATOR_RETRY_STEP: Final = 0.1  # seconds: the pause before retry n (1-based) is n × 0.1 s
MTLS_GATEWAY_SERVICE: Final = "mtlsGateway"
MTLS_GATEWAY_SERVICE_NAME: Final = "FAAS"  # LP-service-name of the toolbelt's gateway calls

# Redis backend (extra lp-toolbelt[redis]): the rate cap and the CSDS/OAuth2 caches shared between processes.
REDIS_KEY_PREFIX: Final = "lp-toolbelt"
REDIS_SOCKET_TIMEOUT: Final = 0.5  # seconds for one Redis command; past it Redis counts as unavailable
REDIS_CONNECT_TIMEOUT: Final = 0.5  # seconds to open a connection to Redis
REDIS_RETRY_INTERVAL: Final = 1.0  # seconds between probes of an unavailable Redis (the fallback serves meanwhile)
REDIS_LOCK_TTL: Final = 10.0  # seconds a cross-process single-flight lock lives (waiters give up after it)
