"""A step: ``agent_step`` on entry, ``step_finished`` with latency and status on exit."""

from __future__ import annotations

from typing import Any

from .._context import CURRENT
from .._events import frames
from .._events.accounting import count
from .._events.emit import emit
from .._events.openings import open_step
from .._events.records import new_agent_step, new_step_finished
from .._settings import CONFIG
from .decorate import Arguments
from .scope import Scope, latency_since

__all__ = ["Step", "step"]


class Step(Scope):
    """One step of a run. Create it with `agentlog.step`."""

    def __init__(self, step_type: str, *, tool: str | None = None, **fields: Any) -> None:
        self.step_type = step_type
        self.tool = tool
        self.step_id: int | None = None
        self._fields = fields

    def _for_call(self, arguments: Arguments) -> Scope:
        return Step(self.step_type, tool=self.tool, **self._fields)

    def _open(self) -> None:
        settings = CONFIG.settings
        outer = CURRENT.get()
        ctx = None
        if outer is not None:
            state = outer.run_state
            if state is not None:
                self.step_id = state.next_step()
            ctx, self._span = open_step(settings, outer, self.step_id, self.step_type)
        self._activate(ctx)
        emit(
            settings,
            ctx,
            new_agent_step(
                step_id=self.step_id, step_type=self.step_type, tool=self.tool, fields=self._fields
            ),
        )

    def _close(self, exc: BaseException | None) -> None:
        settings = CONFIG.settings
        frames.close_calls_in(settings, self._ctx)
        status, error = self._outcome(exc)
        record = new_step_finished(
            step_id=self.step_id,
            step_type=self.step_type,
            latency_ms=latency_since(self._start_ns),
            status=status,
            error=error,
        )
        count(self._ctx, record, exc)
        emit(settings, self._ctx, record)
        if self._span is not None:
            self._span.close({"agentlog.status": status}, exc, error, status)


def step(step_type: str, *, tool: str | None = None, **fields: Any) -> Step:
    """Open a step: ``with agentlog.step("tool"): ...``.

    Advances the run's step counter (``step_id`` 1, 2, 3 …, shared by all the
    run's tasks and threads), writes ``agent_step`` on entry and
    ``step_finished`` (latency, status) on exit.

    Args:
        step_type: ``plan``, ``retrieve``, ``model``, ``tool``, ``validate``
            or your own.
        tool: The tool the step is about, when there is one.
        fields: Further fields for the ``agent_step`` line.
    """
    return Step(step_type, tool=tool, **fields)
