"""What both search backends index about a line, computed once for either profile."""

from __future__ import annotations

from typing import Any

from .._serialize import dumps_line
from .._vocabulary import EVENT, FREE_FORM, OUTCOMES, TYPED_EVENTS

__all__ = ["facts", "message_text"]

_TYPED = frozenset(TYPED_EVENTS)


def _duration_ns(line: dict[str, Any]) -> int | None:
    latency: Any = line.get("latency_ms", line.get("total_latency_ms"))
    if type(latency) in (int, float) and latency == latency and abs(latency) < 1e12:  # finite
        return round(latency * 1_000_000)  # type: ignore[no-any-return]
    return None


def facts(line: dict[str, Any]) -> tuple[str | None, str | None, int | None]:
    """The typed event's name (None for a log line), the outcome, the duration in ns."""
    event, status = line.get(EVENT), line.get("status")
    action = event if type(event) is str and event in _TYPED and FREE_FORM not in line else None
    outcome = OUTCOMES.get(status) if type(status) is str else None
    return action, outcome, _duration_ns(line)


def message_text(event: Any) -> str:
    """The event as the ``message`` both backends display: text, or its JSON."""
    return event if type(event) is str else dumps_line(event)[:-1].decode("utf-8")
