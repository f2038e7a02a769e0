"""A run: one agent execution, from ``run_started`` to the always-written ``run_finished``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from types import FunctionType, MethodType
from typing import TYPE_CHECKING, Any, TypeVar, overload

from .._context import CURRENT, NO_TOTALS, RunContext, RunState, SpanRef
from .._context.ids import new_run_id, new_span_id, new_trace_id
from .._events.emit import emit
from .._events.payloads import capture_payload
from .._events.records import new_run_finished, new_run_started, run_fields
from .._otel import current_span
from .._settings import CONFIG
from .._vocabulary import CANCELLED, COMPLETED, ERROR, OK, STEP_ERROR, STEP_SCOPE, TOOL_ERROR, TOOL_SCOPE
from .decorate import Arguments
from .scope import Scope, failure_fields

if TYPE_CHECKING:
    from ..propagation import RemoteParent

__all__ = ["Run", "run"]

_F = TypeVar("_F", bound=Callable[..., Any])


def _is_cancellation(exc: BaseException) -> bool:
    # asyncio is looked up, not imported: without it loaded there is no asyncio cancellation.
    asyncio = sys.modules.get("asyncio")
    return isinstance(exc, KeyboardInterrupt) or (
        asyncio is not None and isinstance(exc, asyncio.CancelledError)
    )


def _span_of(origin: Any) -> SpanRef:
    """The parent's span: its `SpanRef`, or one read from the same attributes on any object."""
    span = getattr(origin, "span", None)
    if isinstance(span, SpanRef):
        return span
    return SpanRef(origin.trace_id, origin.span_id, origin.trace_flags)


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
        # The parent: the given one, else the run in force, else the
        # application's active OpenTelemetry span.
        origin = self._parent if self._parent is not None else CURRENT.get()
        user_id, request_id, session_id = self._user_id, self._request_id, self._session_id
        parent: SpanRef | None
        if origin is not None:
            parent = _span_of(origin)
            user_id = user_id if user_id is not None else origin.user_id
            request_id = request_id if request_id is not None else origin.request_id
            session_id = session_id if session_id is not None else origin.session_id
        else:
            parent = current_span()
        parent_run_id = origin.run_id if origin is not None else None
        bridge = settings.otel if settings is not None else None
        span = None
        if bridge is not None:
            attributes = {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": bridge.service,
                "gen_ai.conversation.id": session_id,
                "agentlog.run_id": self._run_id,
                "agentlog.parent_run_id": parent_run_id,
            }
            name = f"invoke_agent {bridge.service}" if bridge.service else "invoke_agent"
            span = self._open_span(bridge, name, parent, attributes)
        if span is None:
            span = (
                SpanRef(parent.trace_id, new_span_id(), parent.trace_flags)
                if parent is not None
                else SpanRef(new_trace_id(), new_span_id())
            )
        ctx = RunContext.create(
            run_id=self._run_id,
            trace_id=span.trace_id,
            span_id=span.span_id,
            trace_flags=span.trace_flags,
            parent_span_id=parent.span_id if parent is not None else None,
            parent_run_id=parent_run_id,
            user_id=user_id,
            request_id=request_id,
            session_id=session_id,
            tracestate=origin.tracestate if origin is not None else None,
            baggage=origin.baggage if origin is not None else (),
            run_state=RunState(),
        )
        self._activate(ctx)
        emit(
            settings,
            ctx,
            new_run_started(
                task=capture_payload(settings, "task", self._task) if self._task is not None else None,
                user_id=user_id,
                request_id=request_id,
                session_id=session_id,
                fields=run_fields(self._metadata, None),
            ),
        )

    def _close(self, exc: BaseException | None) -> None:
        settings = CONFIG.settings
        ctx = self._ctx
        if ctx is None:
            return
        state = ctx.run_state
        status = OK if exc is None else ERROR
        stop_reason = self._stop_reason
        if stop_reason is None:
            stop_reason = self._infer_stop_reason(state, exc)
        totals = state.totals() if state is not None else dict(NO_TOTALS)
        emit(
            settings,
            ctx,
            new_run_finished(
                status=status,
                stop_reason=stop_reason,
                totals=totals,
                error=failure_fields(ctx, exc) if exc is not None else None,
                fields=self._finish_fields,
            ),
        )
        if self._span is not None:
            attributes = {"agentlog.status": status, "agentlog.stop_reason": stop_reason}
            attributes.update({f"agentlog.{key}": value for key, value in totals.items()})
            self._span.close(attributes, exc)
        if state is not None:
            state.forget_errors()

    @staticmethod
    def _infer_stop_reason(state: RunState | None, exc: BaseException | None) -> str:
        if exc is None:
            return COMPLETED
        if _is_cancellation(exc):
            return CANCELLED
        kinds = state.escaped_kinds(exc) if state is not None else frozenset()
        if TOOL_SCOPE in kinds:
            return TOOL_ERROR
        if STEP_SCOPE in kinds:
            return STEP_ERROR
        return ERROR


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
