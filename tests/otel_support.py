"""The real OpenTelemetry SDK for tests: an in-memory exporter with a private provider."""

from __future__ import annotations

import io
from typing import Any

import orjson
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

__all__ = ["Recorded", "json_lines"]


class Recorded(InMemorySpanExporter):
    """An in-memory exporter that also holds its private provider."""

    def __init__(self) -> None:
        super().__init__()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self))


def json_lines(out: io.BytesIO) -> list[dict[str, Any]]:
    """The JSON lines written to *out*."""
    return [orjson.loads(line) for line in out.getvalue().splitlines()]
