"""Attempt spans and request metrics: what :meth:`Transport.send <lp_toolbelt.transport.send.Transport.send>`
records of each attempt on the wire, when telemetry is active (one :class:`SendTelemetry` per send; none when off).

Each attempt is a ``CLIENT`` span named after the method (``GET``), child of the public call's span, with the
HTTP client semantic conventions' attributes (``url.full`` with every query value redacted) and the library's
``lp.component``, ``lp.service``, ``lp.request_id`` (the ``X-Request-Id`` sent), ``lp.limiter.wait_s``. A 4xx/5xx
answer or a network failure sets the status to error; ``error.type`` is the status code (semantic conventions) or,
for a failure without an answer, the dotted error code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import instruments as A
from .instruments import Telemetry, redacted_url, status_class

if TYPE_CHECKING:
    from yarl import URL

__all__ = ["SendTelemetry", "inject_trace_context"]


class SendTelemetry:
    """Records the attempts of one send: spans, ``http.client.request.duration``, retries, 429s, limiter waits."""

    __slots__ = ("_attrs", "_component", "_metrics", "_service", "_span", "_started", "_tracer", "resends")

    def __init__(self, tel: Telemetry, component: str, service: str | None) -> None:
        self._tracer = tel.tracer
        self._metrics = tel.metrics
        self._component = component
        self._service = service
        self._span: Any = None
        self._started = 0.0
        self._attrs: dict[str, Any] = {}
        self.resends = 0  # attempts (and redirect hops) sent before the current one

    @property
    def span(self) -> Any:
        """The current attempt's span (``None`` before the first attempt or without a tracer)."""
        return self._span

    def _labels(self) -> dict[str, Any]:
        labels: dict[str, Any] = {A.COMPONENT: self._component}
        if self._service is not None:
            labels[A.SERVICE] = self._service
        return labels

    def waited(self, seconds: float) -> None:
        """The shared limiter let this attempt go after ``seconds``."""
        if self._metrics is not None:
            self._metrics.limiter_wait.record(seconds, {A.COMPONENT: self._component})
        self._attrs = {A.LIMITER_WAIT: round(seconds, 6)}

    def begin(self, method: str, url: URL, now: float) -> None:
        """An attempt starts (after the limiter): its span opens."""
        self._started = now
        attrs = self._attrs
        attrs[A.METHOD] = method
        attrs[A.SERVER_ADDRESS] = url.raw_host or ""
        if url.port is not None:
            attrs[A.SERVER_PORT] = url.port
        attrs[A.COMPONENT] = self._component
        if self._service is not None:
            attrs[A.SERVICE] = self._service
        if self.resends:
            attrs[A.RESEND_COUNT] = self.resends
        if self._tracer is not None:
            from opentelemetry.trace import SpanKind

            attrs[A.URL_FULL] = redacted_url(url)
            self._span = self._tracer.start_span(method, kind=SpanKind.CLIENT, attributes=attrs)

    def end(self, now: float, request_id: str | None, status: int | None, failure: str | None = None) -> None:
        """The attempt ended: answered ``status``, or failed with dotted code ``failure`` (no answer)."""
        attrs = self._attrs
        span, self._span, self._attrs = self._span, None, {}
        self.resends += 1
        error = failure if status is None else (str(status) if status >= 400 else None)
        if self._metrics is not None:
            labels: dict[str, Any] = {k: attrs[k] for k in (A.METHOD, A.SERVER_ADDRESS, A.COMPONENT) if k in attrs}
            if self._service is not None:
                labels[A.SERVICE] = self._service
            labels[A.STATUS_CLASS] = status_class(status)
            if status is not None:
                labels[A.STATUS] = status
            if error is not None:
                labels[A.ERROR_TYPE] = error
            self._metrics.request_duration.record(max(0.0, now - self._started), labels)
            if status == 429:
                self._metrics.rate_limited.add(1, self._labels())
        if span is not None:
            if request_id is not None:
                span.set_attribute(A.REQUEST_ID, request_id)
            if status is not None:
                span.set_attribute(A.STATUS, status)
            if error is not None:
                from opentelemetry.trace import Status, StatusCode

                span.set_attribute(A.ERROR_TYPE, error)
                span.set_status(Status(StatusCode.ERROR, error))
            span.end()

    def abandon(self, err: BaseException) -> None:
        """The attempt was cut short (the call's deadline, a cancellation): close its span as failed."""
        span, self._span, self._attrs = self._span, None, {}
        if span is not None:
            from opentelemetry.trace import Status, StatusCode

            kind = A.error_type(err)
            span.set_attribute(A.ERROR_TYPE, kind)
            span.set_status(Status(StatusCode.ERROR, kind))
            span.end()

    def retrying(self, reason: str) -> None:
        """The next attempt is a retry, because of ``reason`` (a status code or a failure kind)."""
        if self._metrics is not None:
            labels = self._labels()
            labels[A.RETRY_REASON] = reason
            self._metrics.retries.add(1, labels)


def inject_trace_context(span: Any) -> dict[str, str]:
    """The ``traceparent`` (``tracestate``, baggage...) headers of ``span``, as the global propagator writes them."""
    from opentelemetry import propagate, trace

    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    return carrier
