"""Whether OpenTelemetry is there and configured: the one import check, and the per-call "is anyone listening?".

``import lp_toolbelt`` imports nothing of OpenTelemetry: :data:`AVAILABLE` is a module lookup (``find_spec``), made
once. Without the API (or with ``LP_TOOLBELT_OTEL=off``) the decorators of :mod:`.calls` return the methods they
decorate unchanged and :func:`active` answers ``None`` from one global read: that check is the whole cost.

With the API, :func:`active` answers ``None`` until an application configures an SDK (``trace.set_tracer_provider``
/ ``metrics.set_meter_provider``, or the ``OTEL_PYTHON_*_PROVIDER`` variables): the library then allocates nothing
and creates no span, not even a non-recording one. Once a provider is set, it answers the :class:`Telemetry` (the
tracer and the instruments) built for those providers.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from .instruments import Telemetry

__all__ = ["AVAILABLE", "ENV_VAR", "active"]

ENV_VAR: Final = "LP_TOOLBELT_OTEL"
"""``off``: no telemetry even with an SDK configured; ``console``: see :func:`.console.configure_from_env`."""


def _importable() -> bool:
    if os.environ.get(ENV_VAR, "").strip().lower() == "off":
        return False
    try:
        return find_spec("opentelemetry.trace") is not None and find_spec("opentelemetry.metrics") is not None
    except (ImportError, ValueError):
        return False


AVAILABLE: Final = _importable()
"""The one import check: is ``opentelemetry-api`` importable (and telemetry not switched off)?"""

_trace_globals: ModuleType | None = None  # opentelemetry.trace, once loaded
_metric_globals: ModuleType | None = None  # opentelemetry.metrics._internal, once loaded
_public_getters = False  # the API moved its globals: ask its (slower) public getters instead
_current: Telemetry | None = None


def _load() -> bool:
    global _trace_globals, _metric_globals, _public_getters
    try:
        import opentelemetry.metrics as metrics
        import opentelemetry.metrics._internal as metric_globals
        import opentelemetry.trace as trace
    except ImportError:  # pragma: no cover - a broken installation
        return False
    # The public getters load providers named by OTEL_PYTHON_TRACER_PROVIDER / OTEL_PYTHON_METER_PROVIDER.
    trace.get_tracer_provider()
    metrics.get_meter_provider()
    _public_getters = not (hasattr(trace, "_TRACER_PROVIDER") and hasattr(metric_globals, "_METER_PROVIDER"))
    _trace_globals, _metric_globals = trace, metric_globals
    return True


def _configured() -> tuple[Any, Any]:
    """The global providers an application set (``None`` for one left at the API's default)."""
    if not _public_getters:
        # The API's own globals (None until set): ~40 ns, where its public getters read os.environ (~1.7 µs each).
        return _trace_globals._TRACER_PROVIDER, _metric_globals._METER_PROVIDER  # type: ignore[union-attr]
    from opentelemetry import metrics, trace

    tp: Any = trace.get_tracer_provider()
    mp: Any = metrics.get_meter_provider()
    return (
        None if type(tp).__name__ in _API_DEFAULTS else tp,
        None if type(mp).__name__ in _API_DEFAULTS else mp,
    )


_API_DEFAULTS: Final = frozenset(
    {"ProxyTracerProvider", "NoOpTracerProvider", "_ProxyMeterProvider", "NoOpMeterProvider"}
)


def active_providers() -> tuple[Any, Any]:
    """``(tracer provider, meter provider)`` an application configured (``None`` for each left at the default)."""
    if not AVAILABLE or (_trace_globals is None and not _load()):
        return None, None
    return _configured()


def active() -> Telemetry | None:
    """The tracer and instruments to record with, or ``None`` when nobody listens (no SDK configured).

    Example::

        tel = active()
        if tel is not None and tel.metrics is not None:
            tel.metrics.cache_hits.add(1, {"lp.cache": "csds"})
    """
    global _current
    if not AVAILABLE:
        return None
    if _trace_globals is None and not _load():
        return None
    tp, mp = _configured()
    if tp is None and mp is None:
        return None
    current = _current
    if current is None or current.tracer_provider is not tp or current.meter_provider is not mp:
        from .instruments import Telemetry

        current = _current = Telemetry(tp, mp)
    return current
