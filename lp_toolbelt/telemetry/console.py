"""Console export for the local dev loop: ``LP_TOOLBELT_OTEL=console``, ``lp-toolbelt emulator --otel``,
``lp-toolbelt invoke --local --otel``.

Needs the OpenTelemetry SDK (``pip install opentelemetry-sdk``). Spans are printed one line each, as they end, to
standard error (``invoke`` prints its result on standard output); metrics are printed every ``interval`` seconds
and when the process exits. An application that configured its own providers keeps them.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Final, TextIO

from ..errors import ConfigurationError, ErrorCodes
from ._api import ENV_VAR

__all__ = [
    "SDK_MISSING",
    "configure_from_env",
    "format_metrics",
    "format_span",
    "install_console_exporters",
    "sdk_installed",
]

SDK_MISSING: Final = "console telemetry needs the OpenTelemetry SDK: pip install 'lp-toolbelt[otel]' opentelemetry-sdk"
_SHOWN: Final = (
    "lp.service",
    "http.response.status_code",
    "server.address",
    "lp.request_id",
    "http.request.resend_count",
    "lp.limiter.wait_s",
    "lp.csds.cache_hit",
    "lp.token.cache_hit",
    "error.type",
)
_installed = False


def format_span(span: Any) -> str:
    """One line per span, its parent's id shown (spans end children first).

    ``[otel] lp_client msgHist 12.4ms OK trace=4bf9… span=00f0… parent=- lp.service=msgHist ...``
    """
    ctx = span.context
    parent = span.parent.span_id if span.parent is not None else None
    took = (span.end_time - span.start_time) / 1e6 if span.end_time and span.start_time else 0.0
    attrs = span.attributes or {}
    shown = " ".join(f"{key}={attrs[key]}" for key in _SHOWN if key in attrs)
    return (
        f"[otel] {span.name} {took:.1f}ms {span.status.status_code.name} trace={ctx.trace_id:032x} "
        f"span={ctx.span_id:016x} parent={'-' if parent is None else f'{parent:016x}'} {shown}".rstrip()
        + "\n"
    )


def format_metrics(data: Any) -> str:
    """One line per data point: ``[otel] metric <name> {attributes} <value | count=… sum=…>``."""
    lines = []
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    labels = ", ".join(f"{k}={v}" for k, v in sorted((point.attributes or {}).items()))
                    if hasattr(point, "count"):
                        value = f"count={point.count} sum={point.sum:.6g}{metric.unit}"
                    else:
                        value = f"{point.value}"
                    lines.append(f"[otel] metric {metric.name} {{{labels}}} {value}\n")
    return "".join(lines)


def sdk_installed() -> bool:
    """Whether the OpenTelemetry SDK can be imported (without importing it)."""
    from importlib.util import find_spec

    try:
        return find_spec("opentelemetry.sdk") is not None
    except (ImportError, ValueError):
        return False


def install_console_exporters(*, out: TextIO | None = None, interval: float = 15.0) -> bool:
    """Set global SDK providers that print spans and metrics to ``out`` (default: standard error).

    Returns False when providers were already configured (they are kept), True when installed. Raises
    ConfigurationError when the SDK is not installed.

    Example::

        install_console_exporters()
        async with Toolbelt() as tb: ...      # each call prints its spans
    """
    global _installed
    try:
        from opentelemetry import metrics, trace
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
    except ImportError as err:
        raise ConfigurationError("telemetry", ErrorCodes.CONFIG_INVALID, SDK_MISSING) from err
    from . import _api

    if _installed:
        return False
    stream = out if out is not None else sys.stderr
    tracer_set, meter_set = _api.active_providers()
    installed = False
    if tracer_set is None:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=stream, formatter=format_span)))
        trace.set_tracer_provider(provider)
        installed = True
    if meter_set is None:
        reader = PeriodicExportingMetricReader(
            ConsoleMetricExporter(out=stream, formatter=format_metrics), export_interval_millis=int(interval * 1000)
        )
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
        installed = True
    _installed = True
    return installed


def configure_from_env(env: dict[str, str] | None = None) -> bool:
    """``LP_TOOLBELT_OTEL=console``: :func:`install_console_exporters` (once per process). Other values: nothing.

    Example::

        configure_from_env()    # in a process started with LP_TOOLBELT_OTEL=console
    """
    source = os.environ if env is None else env
    if source.get(ENV_VAR, "").strip().lower() != "console":
        return False
    try:
        return install_console_exporters()
    except ConfigurationError as err:
        raise ConfigurationError("telemetry", ErrorCodes.CONFIG_INVALID, f"{ENV_VAR}=console: {SDK_MISSING}") from err
