"""The ``datadog`` profile: Datadog's reserved and standard attributes."""

from __future__ import annotations

import sys
from typing import Any

from .._vocabulary import DATADOG_FIELDS, EVENT, LEVEL, NAMESPACE, SPAN_ID, TIMESTAMP, TRACE_ID
from .facts import facts, message_text

__all__ = ["datadog_trace_ids", "to_datadog"]

# Mapped to Datadog's reserved attributes (timestamp, status, message, evt.outcome), not copied.
_HEAD = frozenset({TIMESTAMP, LEVEL, EVENT, "status"})
_OURS = NAMESPACE + "."
_LOW_64 = 0xFFFFFFFFFFFFFFFF


def datadog_trace_ids(trace_id: Any, span_id: Any) -> tuple[str | None, str | None]:
    """Datadog's log-correlation IDs: lower 64 bits of the trace ID and the span ID, in decimal."""
    try:
        trace = str(int(trace_id, 16) & _LOW_64) if type(trace_id) is str else None
    except ValueError:
        trace = None
    try:
        span = str(int(span_id, 16)) if type(span_id) is str else None
    except ValueError:
        span = None
    return trace, span


def _ddtrace_ids() -> tuple[str, str] | None:
    """The current ddtrace span's IDs, if ddtrace is loaded and has one."""
    ddtrace = sys.modules.get("ddtrace")
    tracer = getattr(ddtrace, "tracer", None)
    if tracer is None:
        return None
    try:
        span = tracer.current_span()
        if span is None:
            return None
        return str(int(span.trace_id) & _LOW_64), str(int(span.span_id))
    except Exception:
        return None


def to_datadog(line: dict[str, Any]) -> dict[str, Any]:
    """Map a flat line to Datadog's reserved and standard attributes.

    ``status`` is the log level (Datadog reserves it), so the agent's status
    goes to ``evt.outcome`` and a typed event's name to ``evt.name``;
    ``dd.trace_id``/``dd.span_id`` are the decimal forms Datadog correlates on
    (those of the active ddtrace span when ddtrace is tracing, else
    agentlog's own); ``duration`` is in nanoseconds.
    """
    out: dict[str, Any] = {
        "timestamp": line.get(TIMESTAMP),
        "status": line.get(LEVEL),
        "message": message_text(line.get(EVENT)),
    }
    if type(line.get("service")) is str:
        out["service"] = line["service"]
    ids = _ddtrace_ids() or datadog_trace_ids(line.get(TRACE_ID), line.get(SPAN_ID))
    if ids[0] is not None:
        out["dd.trace_id"] = ids[0]
    if ids[1] is not None:
        out["dd.span_id"] = ids[1]
    action, outcome, duration = facts(line)
    if action is not None:
        out["evt.name"] = action
    if outcome is not None:
        out["evt.outcome"] = outcome
    if duration is not None:
        out["duration"] = duration
    for key, value in line.items():
        if key in _HEAD:
            continue
        out[DATADOG_FIELDS.get(key) or _OURS + key] = value
    return out
