"""Observability: OpenTelemetry traces and metrics (extra ``lp-toolbelt[otel]``), logs on the ``lp_toolbelt`` logger.

Nothing to call in a handler: once the application configures the OpenTelemetry SDK (a tracer provider, a meter
provider), every Toolbelt reports to it.

* **Traces**: each public call is one span, ``"<component> <operation>"`` (:mod:`.calls`); each attempt on the wire
  is a child ``CLIENT`` span following the HTTP client semantic conventions (:mod:`.attempts`).
* **Metrics**: request count and duration by component, service and status class, retries, 429s, limiter waits,
  cache hits and misses, the Redis fallback (:mod:`.instruments` lists them).
* **Logs**: retries, credential renewals, fallbacks and refused hosts on ``lp_toolbelt.*`` at INFO/DEBUG.
* ``traceparent`` is sent only to the hosts of ``ToolbeltConfig.trace_propagation_hosts``.

Secrets never reach a span, a metric or a log line: URLs are exported without userinfo and with every query value
replaced by ``REDACTED``; headers and bodies are never exported; errors are named by their dotted code.

Without ``opentelemetry-api`` (or with ``LP_TOOLBELT_OTEL=off``) the cost is one import check at import time; with
the API but no SDK configured, one global read per call (see bench/README.md).

Example::

    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)        # from now on, every Toolbelt call is traced
"""

from __future__ import annotations

from ._api import AVAILABLE, ENV_VAR, active
from .attempts import SendTelemetry, inject_trace_context
from .calls import instrument, note_cache, set_call_attribute, traced
from .console import configure_from_env, install_console_exporters
from .instruments import Telemetry, error_type, redacted_url, status_class, watch_fallback

__all__ = [
    "AVAILABLE",
    "ENV_VAR",
    "SendTelemetry",
    "Telemetry",
    "active",
    "configure_from_env",
    "error_type",
    "inject_trace_context",
    "install_console_exporters",
    "instrument",
    "note_cache",
    "redacted_url",
    "refused_host",
    "set_call_attribute",
    "status_class",
    "traced",
    "watch_fallback",
]


def refused_host(component: str) -> None:
    """Count a request the allowlist refused (``lp_toolbelt.refused_hosts``)."""
    tel = active()
    if tel is not None and tel.metrics is not None:
        tel.metrics.refused_hosts.add(1, {"lp.component": component})
