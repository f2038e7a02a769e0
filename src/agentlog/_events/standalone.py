"""The context of a typed helper called on its own: a scope nested in the one in force.

``events.tool_result(...)`` outside a tool call describes a call nested in the
current scope, so its line gets a span ID of its own whose parent is the
current span. With OpenTelemetry spans on, the operation is also recorded as
a finished span back-dated by its latency, and the line carries that span's
ID.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .._context import RunContext
from .._context.ids import new_span_id
from .._settings import CONFIG

__all__ = ["FinishedSpan", "nested"]


class FinishedSpan(NamedTuple):
    """An operation that already ended, to be recorded as an OpenTelemetry span."""

    name: str
    client: bool
    attributes: dict[str, Any]
    latency_ms: Any
    status: str
    error_class: str | None = None
    closing: dict[str, Any] | None = None


def nested(
    ctx: RunContext | None, span: Callable[[], FinishedSpan] | None = None, **changes: Any
) -> RunContext | None:
    """A context nested in *ctx* (None outside a run), with *changes* (``tool_call_id`` …).

    Args:
        ctx: The context in force.
        span: Describes the operation for OpenTelemetry; called only when
            spans are on.
        changes: Attributes of the nested context.
    """
    if ctx is None:
        return None
    span_id = None
    settings = CONFIG.settings
    bridge = settings.otel if settings is not None else None
    if bridge is not None and span is not None:
        finished = span()
        span_id = bridge.record(
            finished.name,
            ctx.span,
            finished.attributes,
            client=finished.client,
            latency_ms=finished.latency_ms,
            status=finished.status,
            error_class=finished.error_class,
            closing=finished.closing,
        )
    return ctx.child(span_id or new_span_id(), **changes)
