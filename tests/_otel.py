"""OpenTelemetry SDK test rig: in-memory span exporter and metric reader, installed as the API's global providers
for one test (and put back after), so the library reports to them exactly as to an application's SDK."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import opentelemetry.metrics._internal as metric_globals
import opentelemetry.trace as trace_globals
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@dataclass
class Otel:
    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader
    tracer_provider: TracerProvider

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.name == name]

    def one(self, name: str) -> ReadableSpan:
        found = self.named(name)
        assert len(found) == 1, f"{len(found)} spans named {name!r}: {[s.name for s in self.spans()]}"
        return found[0]

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        pid = parent.context.span_id if parent.context is not None else None
        return sorted(
            (s for s in self.spans() if s.parent is not None and s.parent.span_id == pid),
            key=lambda s: s.start_time or 0,
        )

    def points(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        """``(attributes, point)`` of every data point of metric ``name`` (a fresh collection)."""
        data = self.reader.get_metrics_data()
        out: list[tuple[dict[str, Any], Any]] = []
        if data is None:
            return out
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        out.extend((dict(p.attributes or {}), p) for p in metric.data.data_points)
        return out

    def total(self, name: str, **attrs: Any) -> float:
        """The sum (counters) or count (histograms) of the points of ``name`` whose attributes include ``attrs``."""
        total = 0.0
        for labels, point in self.points(name):
            if all(labels.get(k) == v for k, v in attrs.items()):
                total += point.count if hasattr(point, "count") else point.value
        return total

    def all_texts(self) -> list[str]:
        """Everything exported, as text: span names, attributes, events, statuses; metric names and attributes."""
        texts = []
        for span in self.spans():
            texts.append(f"{span.name} {dict(span.attributes or {})!r} {span.status.description!r}")
            texts.extend(f"{e.name} {dict(e.attributes or {})!r}" for e in span.events)
        data = self.reader.get_metrics_data()
        if data is not None:
            texts.append(data.to_json())
        return texts


@contextlib.contextmanager
def otel_sdk() -> Iterator[Otel]:
    """Global SDK providers for the duration of the block."""
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider(shutdown_on_exit=False)
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader], shutdown_on_exit=False)
    saved = trace_globals._TRACER_PROVIDER, metric_globals._METER_PROVIDER
    trace_globals._TRACER_PROVIDER = tracer_provider
    metric_globals._METER_PROVIDER = meter_provider
    try:
        yield Otel(exporter, reader, tracer_provider)
    finally:
        trace_globals._TRACER_PROVIDER, metric_globals._METER_PROVIDER = saved
        tracer_provider.shutdown()
        meter_provider.shutdown()
