"""Public-call spans: the one helper every client uses, and the cache notes that annotate them.

Each public call of a client opens one span named ``"<component> <operation>"`` (``lp_client msgHist``,
``conversation_util get_conversation_by_id``, ``http_client GET``); its attempts on the wire are the transport's
child spans (:mod:`.attempts`). A failed call sets the span's status to error and ``error.type`` to the
ToolbeltError's dotted code. ``lp_toolbelt.call.duration`` records every call.

A client is instrumented with one line, on the method::

    class OrchestratorClient:
        @traced("orchestrator")                  # span "orchestrator invoke"
        async def invoke(self, ...) -> ...: ...

or on the class, for several methods::

    @instrument("context_service", "create_namespace", "delete_namespace")
    class ContextServiceClient: ...

A public method called by another public method of the same component (``SalesforceConnection.query`` →
``request``) adds no second span. Without OpenTelemetry the decorators return the method unchanged; with the API but
no SDK configured, the cost is one check per call.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from typing import Any, Final, ParamSpec, TypeVar

from . import instruments as A
from ._api import AVAILABLE, active
from .instruments import Telemetry, error_type

__all__ = ["instrument", "note_cache", "set_call_attribute", "traced"]

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C", bound=type)

_IN_CALL: Final[ContextVar[str | None]] = ContextVar("lp_toolbelt_call_component", default=None)


def traced(
    component: str, operation: str | Callable[..., str] | None = None
) -> Callable[[Callable[P, Coroutine[Any, Any, R]]], Callable[P, Coroutine[Any, Any, R]]]:
    """Decorate an async public method: each call opens the span ``"<component> <operation>"``.

    ``operation``: a name (default: the method's name), or a function of the call's arguments (``self``
    included) that names it, e.g. the LP client's CSDS service.

    Example::

        @traced("lp_client", lambda self, service, *args, **kwargs: str(service))
        async def __call__(self, service, path, **kwargs): ...
    """

    def decorate(fn: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R]]:
        if not AVAILABLE:
            return fn
        name_of = operation if callable(operation) else None
        static = operation if isinstance(operation, str) else fn.__name__

        # A plain function returning the coroutine: with nobody listening, the call costs one check and no extra
        # coroutine frame (awaiting it awaits the method's own coroutine).
        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, R]:
            tel = active()
            if tel is None or _IN_CALL.get() == component:
                return fn(*args, **kwargs)
            op = static if name_of is None else _safe_name(name_of, args, kwargs)
            return _observed(tel, component, op, fn(*args, **kwargs))

        return call

    return decorate


def instrument(component: str, *methods: str) -> Callable[[C], C]:
    """Class decorator: :func:`traced` on each named async method (span ``"<component> <method>"``).

    Example::

        @instrument("sf_client", "create", "retrieve", "update", "delete", "describe")
        class SObject: ...
    """

    def decorate(cls: C) -> C:
        for name in methods:
            setattr(cls, name, traced(component, name)(getattr(cls, name)))
        return cls

    return decorate


def _safe_name(name_of: Callable[..., str], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    try:
        return str(name_of(*args, **kwargs))
    except Exception:  # noqa: BLE001 - bad arguments: the method itself refuses them with its own error
        return "call"


async def _observed(tel: Telemetry, component: str, operation: str, work: Awaitable[R]) -> R:
    token = _IN_CALL.set(component)
    start = time.perf_counter()
    failure: str | None = None
    try:
        if tel.tracer is None:
            try:
                return await work
            except BaseException as err:
                failure = error_type(err)
                raise
        from opentelemetry.trace import SpanKind, Status, StatusCode

        attributes = {A.COMPONENT: component, A.OPERATION: operation}
        with tel.tracer.start_as_current_span(
            f"{component} {operation}",
            kind=SpanKind.INTERNAL,
            attributes=attributes,
            record_exception=False,  # an exception's text and traceback are not ours to export
            set_status_on_exception=False,
        ) as span:
            try:
                return await work
            except BaseException as err:
                failure = error_type(err)
                span.set_attribute(A.ERROR_TYPE, failure)
                span.set_status(Status(StatusCode.ERROR, failure))
                raise
    finally:
        _IN_CALL.reset(token)
        if tel.metrics is not None:
            labels = {A.COMPONENT: component, A.OPERATION: operation}
            if failure is not None:
                labels[A.ERROR_TYPE] = failure
            tel.metrics.call_duration.record(time.perf_counter() - start, labels)


def note_cache(cache: str, hit: bool) -> None:
    """Record a cache lookup: ``lp.<cache>.cache_hit`` on the current public-call span (``False`` once any lookup of
    the call missed), and the hit/miss counters.

    Example::

        note_cache("csds", domains is not None)
    """
    tel = active()
    if tel is None:
        return
    if tel.metrics is not None:
        (tel.metrics.cache_hits if hit else tel.metrics.cache_misses).add(1, {A.CACHE: cache})
    if tel.tracer is not None:
        from opentelemetry import trace

        span = trace.get_current_span()
        if span.is_recording():
            name = f"lp.{cache}.cache_hit"
            seen = getattr(span, "attributes", None)  # the SDK's spans show theirs
            if not hit or seen is None or name not in seen:  # one miss in a call makes the call a miss
                span.set_attribute(name, hit)


def set_call_attribute(name: str, value: str | bool | int | float) -> None:
    """Set an attribute on the current span (the public call's), when one is recording."""
    if active() is None:
        return
    from opentelemetry import trace

    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute(name, value)
