"""A reference to one span: the one shape every parent takes."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["SpanRef"]


class SpanRef(NamedTuple):
    """One span, named the way a child names its parent.

    Immutable, like OpenTelemetry's ``SpanContext``: a run's scopes, a
    caller's ``traceparent`` and an active OpenTelemetry span all reach a
    child as one of these.

    Attributes:
        trace_id: 32 lowercase hex digits.
        span_id: 16 lowercase hex digits.
        trace_flags: The W3C trace flags as two hex digits (``"01"``: sampled).
        is_remote: The span lives in another process (it came from a carrier).
    """

    trace_id: str
    span_id: str
    trace_flags: str = "01"
    is_remote: bool = False
