"""The tracer, the metric instruments and the attribute vocabulary (built once per configured provider pair).

Spans follow the OpenTelemetry HTTP client semantic conventions (``http.request.method``, ``server.address``,
``server.port``, ``url.full``, ``http.response.status_code``, ``http.request.resend_count``, ``error.type``) plus
the library's ``lp.*`` attributes. Metric attributes are bounded sets (components, CSDS service names, methods,
hosts, status codes, error codes): never a URL, a query, an id or a secret.

Metrics (meter ``lp_toolbelt``):

==================================== ========= =======================================================================
name                                 kind      attributes
==================================== ========= =======================================================================
``http.client.request.duration``     histogram one per attempt on the wire (s): ``lp.component``, ``lp.service``,
                                               ``lp.status_class``, ``http.request.method``, ``server.address``,
                                               ``http.response.status_code`` / ``error.type``
``lp_toolbelt.call.duration``        histogram one per public call (s): ``lp.component``, ``lp.operation``,
                                               ``error.type``
``lp_toolbelt.retries``              counter   ``lp.component``, ``lp.service``, ``lp.retry.reason`` (a status or a
                                               failure kind)
``lp_toolbelt.rate_limited``         counter   429 answers: ``lp.component``, ``lp.service``
``lp_toolbelt.limiter.wait``         histogram seconds waited for the shared rate limiter: ``lp.component``
``lp_toolbelt.cache.hits`` / misses  counter   ``lp.cache``: ``csds``, ``token``, ``secret``
``lp_toolbelt.refused_hosts``        counter   requests refused by the allowlist: ``lp.component``
``lp_toolbelt.redis.fallback``       gauge     1 while a Redis-backed part runs on its in-process fallback:
                                               ``lp.redis.use`` (``rate limiter``, ``shared cache``)
==================================== ========= =======================================================================
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from importlib import metadata
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, Observation
    from yarl import URL

__all__ = [
    "DURATION_BUCKETS",
    "REDACTED",
    "FallbackWatch",
    "Metrics",
    "Telemetry",
    "error_type",
    "redacted_url",
    "status_class",
    "watch_fallback",
]

SCOPE: Final = "lp_toolbelt"
REDACTED: Final = "REDACTED"
# Seconds: the semantic conventions' advice for http.client.request.duration.
DURATION_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)

# Attribute names.
COMPONENT: Final = "lp.component"
OPERATION: Final = "lp.operation"
SERVICE: Final = "lp.service"
REQUEST_ID: Final = "lp.request_id"
LIMITER_WAIT: Final = "lp.limiter.wait_s"
STATUS_CLASS: Final = "lp.status_class"
FAILURE_KIND: Final = "lp.failure.kind"
RETRY_REASON: Final = "lp.retry.reason"
CACHE: Final = "lp.cache"
ERROR_TYPE: Final = "error.type"
METHOD: Final = "http.request.method"
STATUS: Final = "http.response.status_code"
RESEND_COUNT: Final = "http.request.resend_count"
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"
URL_FULL: Final = "url.full"


def _version() -> str:
    try:
        return metadata.version("lp-toolbelt")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


def status_class(status: int | None) -> str:
    """``"2xx"``..``"5xx"`` for a status, ``"error"`` when there was no answer (pure).

    >>> status_class(503), status_class(None)
    ('5xx', 'error')
    """
    return "error" if status is None else f"{status // 100}xx"


def error_type(err: BaseException) -> str:
    """``error.type`` of an exception: a ToolbeltError's dotted code, else the exception's qualified type name."""
    code = getattr(err, "code", None)
    if isinstance(code, str) and code:
        return code
    cls = type(err)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def redacted_url(url: URL) -> str:
    """``url.full`` without credentials: no userinfo, no fragment, every query value replaced (pure).

    >>> from yarl import URL
    >>> redacted_url(URL("https://u:p@api.example.com:8443/a%20b?token=s3cr3t&q=1&flag#frag"))
    'https://api.example.com:8443/a%20b?token=REDACTED&q=REDACTED&flag=REDACTED'
    """
    host = url.raw_host or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = url.explicit_port
    text = f"{url.scheme}://{host}{'' if port is None else f':{port}'}{url.raw_path}"
    query = url.raw_query_string
    if query:
        names = (part.partition("=")[0] for part in query.split("&") if part)
        text += "?" + "&".join(f"{name}={REDACTED}" for name in names)
    return text


class _Health(Protocol):
    what: str

    @property
    def down(self) -> bool: ...


class FallbackWatch:
    """The Redis-backed parts whose fallback state ``lp_toolbelt.redis.fallback`` reports (held weakly)."""

    def __init__(self) -> None:
        self._parts: weakref.WeakSet[Any] = weakref.WeakSet()

    def add(self, part: _Health) -> None:
        self._parts.add(part)

    def states(self) -> dict[str, int]:
        """``{use: 1 if any such part is on its fallback else 0}``."""
        out: dict[str, int] = {}
        for part in list(self._parts):
            out[part.what] = max(out.get(part.what, 0), 1 if part.down else 0)
        return out


_FALLBACKS: Final = FallbackWatch()


def watch_fallback(part: _Health) -> None:
    """Report ``part.down`` (a Redis-backed part on its in-process fallback) in ``lp_toolbelt.redis.fallback``."""
    _FALLBACKS.add(part)


def _observe_fallbacks(options: CallbackOptions) -> Iterable[Observation]:
    from opentelemetry.metrics import Observation

    return [Observation(value, {"lp.redis.use": use}) for use, value in _FALLBACKS.states().items()]


class Metrics:
    """The library's instruments on one meter provider."""

    __slots__ = (
        "cache_hits",
        "cache_misses",
        "call_duration",
        "limiter_wait",
        "rate_limited",
        "refused_hosts",
        "request_duration",
        "retries",
    )

    def __init__(self, meter_provider: Any) -> None:
        meter = meter_provider.get_meter(SCOPE, _version())
        self.request_duration = _histogram(
            meter, "http.client.request.duration", "Duration of HTTP client requests (one per attempt on the wire)."
        )
        self.call_duration = _histogram(meter, "lp_toolbelt.call.duration", "Duration of public toolbelt calls.")
        self.limiter_wait = _histogram(meter, "lp_toolbelt.limiter.wait", "Time spent waiting for the rate limiter.")
        self.retries = meter.create_counter("lp_toolbelt.retries", "{retry}", "Requests sent again (answer, failure).")
        self.rate_limited = meter.create_counter("lp_toolbelt.rate_limited", "{response}", "429 answers received.")
        self.cache_hits = meter.create_counter("lp_toolbelt.cache.hits", "{hit}", "CSDS, token and secret cache hits.")
        self.cache_misses = meter.create_counter("lp_toolbelt.cache.misses", "{miss}", "Cache misses (fetches).")
        self.refused_hosts = meter.create_counter(
            "lp_toolbelt.refused_hosts", "{request}", "Requests refused by the allowlist before any connection."
        )
        meter.create_observable_gauge(
            "lp_toolbelt.redis.fallback",
            callbacks=[_observe_fallbacks],
            unit="1",
            description="1 while a Redis-backed part runs on its in-process fallback (Redis unavailable).",
        )


def _histogram(meter: Any, name: str, description: str) -> Any:
    try:
        return meter.create_histogram(name, "s", description, explicit_bucket_boundaries_advisory=DURATION_BUCKETS)
    except TypeError:  # pragma: no cover - opentelemetry-api < 1.23 has no bucket advice
        return meter.create_histogram(name, "s", description)


class Telemetry:
    """The tracer (``None``: no tracer provider configured) and the instruments (``None``: no meter provider) for
    one pair of configured providers."""

    __slots__ = ("meter_provider", "metrics", "tracer", "tracer_provider")

    def __init__(self, tracer_provider: Any, meter_provider: Any) -> None:
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.tracer: Any = None if tracer_provider is None else tracer_provider.get_tracer(SCOPE, _version())
        self.metrics: Metrics | None = None if meter_provider is None else Metrics(meter_provider)
