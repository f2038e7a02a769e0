"""Which lines are agentlog's own typed lines: the only ones that define a run, its tree and its figures.

A structlog or stdlib message may reuse a typed event's name
(``log.info("run_started", user_id="someone-else")``). agentlog's writer
marks such a line ``free_form: true`` (`agentlog._vocabulary.FREE_FORM`,
``agentlog.free_form`` in the ecs and datadog profiles, read back by
`profiles`), and the explorer takes it for the log line it is: it opens no
span, starts and ends no run and counts toward nothing.

Lines from other writers (an older agentlog, a hand-rolled logger) carry no
marker; for those the run's outline is checked against the fields every
typed line of that kind has (`has_typed_shape`): a ``run_started`` always has
``task_hash``, ``request_id`` and ``session_id`` (null when unknown), a
``run_finished`` its status, stop reason and totals.
"""

from __future__ import annotations

from typing import Any

from agentlog._vocabulary import (
    EVENT,
    FREE_FORM,
    REQUEST_ID,
    RUN_FINISHED,
    RUN_STARTED,
    SESSION_ID,
    TYPED_EVENT_NAMES,
)

__all__ = ["has_typed_shape", "is_free_form", "typed_event"]

_SHAPES: dict[str, tuple[str, ...]] = {
    RUN_STARTED: ("task_hash", REQUEST_ID, SESSION_ID),
    RUN_FINISHED: ("status", "stop_reason", "total_steps", "tool_calls", "llm_calls", "errors"),
}
"""Fields a typed line of these kinds always has (their values may be null)."""


def is_free_form(line: dict[str, Any]) -> bool:
    """Whether the writer marked *line* as a log message named like a typed event."""
    return line.get(FREE_FORM) is True


def typed_event(line: dict[str, Any]) -> str | None:
    """The typed event *line* is (``run_started``, ``tool_result`` …), or None for a log line.

    A line marked free-form is a log line whatever its ``event`` says.
    """
    event = line.get(EVENT)
    if type(event) is not str or event not in TYPED_EVENT_NAMES or line.get(FREE_FORM) is True:
        return None
    return event


def has_typed_shape(line: dict[str, Any]) -> bool:
    """Whether *line* has every field agentlog's writer puts on a line of its event.

    Only ``run_started`` and ``run_finished`` are checked (they describe the
    whole run); any other line passes.
    """
    event = line.get(EVENT)
    shape = _SHAPES.get(event) if type(event) is str else None
    return shape is None or all(key in line for key in shape)
