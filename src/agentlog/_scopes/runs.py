"""A run: one agent execution, from ``run_started`` to the always-written ``run_finished``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import FunctionType, MethodType
from typing import TYPE_CHECKING, Any, TypeVar, overload

from .._context import CURRENT, NO_TOTALS, RunContext
from .._context.ids import new_run_id
from .._events import frames
from .._events.emit import emit
from .._events.openings import open_run
from .._events.payloads import capture_payload
from .._events.records import new_run_finished, new_run_started, run_fields
from .._genai import run_attributes
from .._settings import CONFIG
from .._vocabulary import ERROR, OK
from .decorate import Arguments
from .scope import Scope

if TYPE_CHECKING:
    from ..propagation import RemoteParent

__all__ = ["Run", "run"]

_F = TypeVar("_F", bound=Callable[..., Any])


class Run(Scope):
    """One agent execution. Create it with `agentlog.run`."""

    def __init__(
        self,
        task: Any = None,
        *,
        user_id: str | None = None,
        request_id: str | None = None,
        session_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        parent: RunContext | RemoteParent | None = None,
        run_id: str | None = None,
    ) -> None:
        self._task = task
        self._user_id = user_id
        self._request_id = request_id
        self._session_id = session_id
        self._metadata = metadata
        self._parent = parent
        self._run_id = run_id if run_id is not None else new_run_id()
        self._stop_reason: str | None = None
        self._finish_fields: dict[str, Any] = {}

    @property
    def run_id(self) -> str:
        """The run's UUID (known before the run is entered)."""
        return self._run_id

    @property
    def trace_id(self) -> str | None:
        """The run's trace ID (set on entering)."""
        return self._ctx.trace_id if self._ctx is not None else None

    @property
    def parent_run_id(self) -> str | None:
        """The run that started this one, for a child run."""
        return self._ctx.parent_run_id if self._ctx is not None else None

    @property
    def context(self) -> RunContext | None:
        """The run's IDs, as `agentlog.current` returns them inside the run."""
        return self._ctx

    def _for_call(self, arguments: Arguments) -> Scope:
        # A decorated entry point without a given task: its arguments are the task.
        return Run(
            self._task if self._task is not None else arguments(),
            user_id=self._user_id,
            request_id=self._request_id,
            session_id=self._session_id,
            metadata=self._metadata,
            parent=self._parent,
        )

    def finish(self, stop_reason: str | None = None, **fields: Any) -> None:
        """Say why the run stopped; ``run_finished`` is still written on exit.

        Args:
            stop_reason: ``completed``, ``max_steps``, ``tool_error`` … or your
                own. Without it, agentlog infers one on exit.
            fields: Further fields for the ``run_finished`` line.
        """
        if stop_reason is not None:
            self._stop_reason = stop_reason
        self._finish_fields.update(fields)

    def _open(self) -> None:
        settings = CONFIG.settings
        origin: Any = self._parent if self._parent is not None else CURRENT.get()
        request_id, session_id, carried = self._request_id, self._session_id, None
        if origin is not None and origin.trace_id is None:
            # A carrier without a valid traceparent (propagation.RemoteParent): no parent span, but its
            # session and request IDs and its baggage are kept, in a fresh trace or a plain child run.
            carried, origin = origin, CURRENT.get()
            request_id = request_id if request_id is not None else carried.request_id
            session_id = session_id if session_id is not None else carried.session_id
        ctx, self._span = open_run(settings, self._run_id, origin, self._user_id, request_id, session_id)
        if carried is not None:
            ctx = carried.carry_into(ctx)
        self._activate(ctx)
        emit(
            settings,
            ctx,
            new_run_started(
                task=capture_payload(settings, "task", self._task) if self._task is not None else None,
                user_id=ctx.user_id,
                request_id=ctx.request_id,
                session_id=ctx.session_id,
                fields=run_fields(self._metadata, None),
            ),
        )

    def _close(self, exc: BaseException | None) -> None:
        settings = CONFIG.settings
        ctx = self._ctx
        if ctx is None:
            return
        frames.close_open_frames(settings, ctx)
        state = ctx.run_state
        status, error = self._outcome(exc)
        stop_reason = self._stop_reason
        fields = self._finish_fields
        outcome = state.outcome if state is not None else None
        if outcome is not None:
            # events.run_finished(...) inside the block: its outcome, unless an exception overrides it.
            given_status, given_reason, given_error, given_fields = outcome
            if exc is None:
                status, error = given_status, given_error
            stop_reason = stop_reason if stop_reason is not None else given_reason
            fields = {**given_fields, **fields}
        if stop_reason is None:
            stop_reason = frames.stop_reason_for(state, exc) if exc is not None or status == OK else ERROR
        totals = state.totals() if state is not None else dict(NO_TOTALS)
        if state is not None:
            state.finish()
        emit(
            settings,
            ctx,
            new_run_finished(
                status=status, stop_reason=stop_reason, totals=totals, error=error, fields=fields
            ),
        )
        if self._span is not None:
            provider = state.provider if state is not None else None
            self._span.close(run_attributes(status, stop_reason, totals, provider), exc, error, status)
        if state is not None:
            state.forget_errors()


@overload
def run(task: _F, /) -> _F: ...


@overload
def run(
    task: Any = None,
    *,
    user_id: str | None = None,
    request_id: str | None = None,
    session_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    parent: RunContext | RemoteParent | None = None,
    run_id: str | None = None,
) -> Run: ...


def run(
    task: Any = None,
    *,
    user_id: str | None = None,
    request_id: str | None = None,
    session_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    parent: RunContext | RemoteParent | None = None,
    run_id: str | None = None,
) -> Any:
    """Open a run: ``with agentlog.run(task=...) as run: ...``.

    Writes ``run_started`` on entry and always ``run_finished`` on exit, with
    the run's totals and a stop reason. Inside another run (or given
    *parent*), the new run is a child run: a new ``run_id``, the parent's
    ``trace_id``, and ``parent_run_id`` set.

    Also a decorator for agent entry points, sync or async: ``@agentlog.run``,
    ``@agentlog.run()`` or ``@agentlog.run(user_id=...)`` runs each call in a
    new run whose task is the call's arguments unless *task* is given.

    Args:
        task: The task (any value); written only as ``task_hash``.
        user_id: The user the run acts for.
        request_id: The inbound request.
        session_id: The conversation that groups runs.
        metadata: Written as top-level fields of ``run_started``
            (``prompt_version`` …).
        parent: The context to continue (a `propagation.RemoteParent` from
            ``agentlog.propagation.extract``, or `agentlog.current`);
            defaults to the run in force, if any.
        run_id: Use this run ID instead of a generated one.
    """
    # type(), not isinstance(): a hostile task's __class__ may raise.
    if type(task) in (FunctionType, MethodType) and not any(
        value is not None for value in (user_id, request_id, session_id, metadata, parent, run_id)
    ):
        # Used bare, as @agentlog.run: decorate the function.
        return Run()(task)
    return Run(
        task,
        user_id=user_id,
        request_id=request_id,
        session_id=session_id,
        metadata=metadata,
        parent=parent,
        run_id=run_id,
    )
