"""Frames: a run, step or tool call that one typed helper opens and another closes.

A loop written with `agentlog.events` alone opens a run with ``run_started``,
a step with ``agent_step`` and a tool call with ``tool_call``; each becomes the
context in force (the lines logged inside carry its IDs) until
``run_finished``, ``step_finished`` (or the next ``agent_step``) and the
matching ``tool_result`` close it, which reuses its span and measures its
latency. The open frames of a run live in its `RunState`, shared by the run's
tasks and threads; the context in force follows the usual context-variable
semantics (a task created after a frame opened sees it; one created before
does not).

Several tool calls may be open at once: they are siblings under the step, and
the one opened last is in force until it closes; then the one in force before
it is again, if still open, else the step. Frames still open when their
run ends are closed then (a step normally, a tool call as failed), and a run
that is never finished is finished when the process exits — each such gap
counted in `agentlog.problems`.

A signal handler or a finalizer may call a helper on this thread at any
bytecode of another helper's update (the run's lock is re-entrant, so it gets
in). Every update here is therefore ordered so that what the re-entrant helper
can see is consistent: a frame is open exactly while it is in its run's
``frames`` (``calls`` is an index checked against it), a closing frame's way
back is recorded before it stops being open, dictionaries are iterated over a
copy, and closing the frame in force returns to the context that was in force
when it opened, so a handler's call opened and closed in between leaves the
interrupted call in force.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from collections import OrderedDict
from typing import Any, NamedTuple

from .. import _diagnostics
from .._context import CURRENT, NO_TOTALS, RunContext, RunState
from .._genai import run_attributes
from .._otel import OpenSpan
from .._settings import CONFIG, Settings
from .._vocabulary import (
    CANCELLED,
    COMPLETED,
    ERROR,
    OK,
    STEP_ERROR,
    STEP_SCOPE,
    TOOL_ERROR,
    TOOL_SCOPE,
    UNFINISHED,
)
from .accounting import count
from .emit import emit
from .records import new_run_finished, new_step_finished, new_tool_result

__all__ = [
    "Frame",
    "close_calls_in",
    "close_frame",
    "close_open_frames",
    "close_step",
    "find_call",
    "finish_run",
    "forget_open_runs",
    "helper_call",
    "helper_step",
    "latency_since",
    "open_frame",
    "run_frame",
    "stop_reason_for",
]

RUN, STEP, TOOL = "run", "step", "tool"

_UNFINISHED_CALL = {
    "error_class": "Unfinished",
    "error_message": "the run or step ended before this tool call's tool_result",
}


class Frame(NamedTuple):
    """A scope a helper opened: its context, the context it returns to, when it began, its span.

    ``previous`` is the context in force when it opened: where closing it returns while that is
    still open (a sibling call, whose ``base`` is the step they share), else ``base``.
    """

    kind: str
    ctx: RunContext
    base: RunContext | None
    started_ns: int
    span: OpenSpan | None
    previous: RunContext | None


def _is_cancellation(exc: BaseException) -> bool:
    # asyncio is looked up, not imported: without it loaded there is no asyncio cancellation.
    asyncio = sys.modules.get("asyncio")
    return isinstance(exc, KeyboardInterrupt) or (
        asyncio is not None and isinstance(exc, asyncio.CancelledError)
    )


def stop_reason_for(state: RunState | None, exc: BaseException | None) -> str:
    """Why a run stopped when its caller does not say: completed, or what its exception escaped."""
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


def latency_since(start_ns: int) -> float:
    """Milliseconds since *start_ns* (a ``perf_counter_ns`` reading), to the µs.

    Whole microseconds over a thousand: the float nearest a three-decimal
    number, so it prints as one (``3.18``), at a fifth of ``round()``'s cost.
    """
    return (time.perf_counter_ns() - start_ns) // 1000 / 1000


# -- the open frames of a run ---------------------------------------------------------


def open_frame(kind: str, ctx: RunContext, base: RunContext | None, span: OpenSpan | None) -> Frame:
    """Register a frame a helper opened and make its context the one in force."""
    frame = Frame(kind, ctx, base, time.perf_counter_ns(), span, CURRENT.get())
    state = ctx.run_state
    if state is not None:
        with state.lock:
            # Indexed first, open last: a lookup re-entering in between finds it not open yet.
            if kind == TOOL and ctx.tool_call_id is not None:
                state.calls[ctx.tool_call_id] = frame
            state.frames[ctx.span_id] = frame
        if kind == RUN:
            _remember_open_run(frame)
    CURRENT.set(ctx)
    return frame


def _forget(frame: Frame) -> bool:
    """Take *frame* out of its run's open frames; False when another closed it first."""
    state = frame.ctx.run_state
    if state is None:
        return False
    span_id = frame.ctx.span_id
    with state.lock:
        if frame.kind != RUN:
            # The way back first: a helper re-entering before the frame is taken out below finds
            # its context open, and after it closed (live moves it back), never neither, which
            # tool_call and tool_result would take for an agentlog.tool_call block's context.
            state.closed[span_id] = frame.base
            if len(state.closed) > _MAX_CLOSED:
                state.closed.popitem(last=False)
        # One atomic step decides who closes it, against a re-entrant closer too.
        if state.frames.pop(span_id, None) is None:
            return False
        call_id = frame.ctx.tool_call_id
        if frame.kind == TOOL and call_id is not None and state.calls.get(call_id) is frame:
            del state.calls[call_id]
    if frame.kind == RUN:
        _OPEN_RUNS.pop(frame.ctx.run_id, None)
    return True


_MAX_CLOSED = 1024
_OPEN: Any = object()  # no entry in a run's closed frames (an entry may be None)


def _is_open(state: RunState, frame: Frame) -> bool:
    """Whether *frame* is open: in its run's frames (``calls`` may briefly name one closing)."""
    return state.frames.get(frame.ctx.span_id) is frame


def live(ctx: RunContext | None) -> RunContext | None:
    """The context a helper works in: *ctx*, or where it returns to when another task closed it.

    A step or call a helper opened is in force in the task that opened it
    (and in tasks created there after). When a sibling task closes it, this
    task's context still names it; the next helper called here moves back to
    the context it was opened in (and makes that the one in force), so
    nothing is opened under a closed step.
    """
    state = ctx.run_state if ctx is not None else None
    if state is None or not state.closed:
        return ctx
    closed = state.closed
    moved = False
    while ctx is not None:
        # One get, not `in` then `[]`: a re-entrant helper may drop the oldest entry in between.
        back = closed.get(ctx.span_id, _OPEN)
        if back is _OPEN:
            break
        ctx = back
        moved = True
    if moved:
        CURRENT.set(ctx)
    return ctx


def _frame_of(ctx: RunContext | None) -> Frame | None:
    state = ctx.run_state if ctx is not None else None
    if state is None or not state.frames:
        return None
    frame: Frame | None = state.frames.get(ctx.span_id)  # type: ignore[union-attr]
    return frame


def helper_call(ctx: RunContext | None) -> Frame | None:
    """The helper tool call in force at *ctx*, if it is one."""
    frame = _frame_of(ctx)
    return frame if frame is not None and frame.kind == TOOL else None


def helper_step(ctx: RunContext | None) -> Frame | None:
    """The helper step *ctx* is in: itself, or the step around the helper tool call in force."""
    frame = _frame_of(ctx)
    if frame is not None and frame.kind == TOOL:
        frame = _frame_of(frame.base)
    return frame if frame is not None and frame.kind == STEP else None


def run_frame(ctx: RunContext | None) -> Frame | None:
    """The helper-opened run *ctx* belongs to, if a helper opened it."""
    state = ctx.run_state if ctx is not None else None
    if state is None or not state.frames:
        return None
    with state.lock:
        opened = tuple(state.frames.values())  # a copy: a re-entrant helper may change them mid-loop
    for frame in opened:
        if frame.kind == RUN:
            return frame  # type: ignore[no-any-return]
    return None


def find_call(ctx: RunContext | None, tool: str, tool_call_id: str | None) -> Frame | None:
    """The open helper tool call a ``tool_result`` closes.

    By its ID when given; else the call in force if it is of *tool*; else the
    one open call of *tool*, if there is exactly one.
    """
    state = ctx.run_state if ctx is not None else None
    if state is None and tool_call_id is not None:
        return _call_anywhere(tool_call_id)
    if state is None or not state.calls:
        return None
    with state.lock:
        if tool_call_id is not None:
            found: Frame | None = state.calls.get(tool_call_id)
            return found if found is not None and _is_open(state, found) else None
        current = state.frames.get(ctx.span_id)  # type: ignore[union-attr]
        if current is not None and current.kind == TOOL and current.ctx.tool == tool:
            return current  # type: ignore[no-any-return]
        # Over a copy: a helper re-entering this thread may open or close a call mid-loop.
        same_tool = [
            frame
            for frame in tuple(state.calls.values())
            if frame.ctx.tool == tool and _is_open(state, frame)
        ]
    return same_tool[0] if len(same_tool) == 1 else None


def close_frame(frame: Frame) -> bool:
    """Forget *frame* and, where it is the context in force, return to its base.

    Returns False when the frame was closed already (by another task, or at
    its run's end).
    """
    if not _forget(frame):
        return False
    if CURRENT.get() is frame.ctx:
        # Mostly what it was opened in is its base: no call for that, on every tool call.
        CURRENT.set(frame.base if frame.previous is frame.base else _back_to(frame))
    return True


def _back_to(frame: Frame) -> RunContext | None:
    """The context in force when *frame* opened, if it is still open; else the frame's base.

    A sibling call opened and closed while another was in force (a signal
    handler's, between the interrupted call's tool_call and tool_result)
    gives that call back its place: its lines keep its ID, its result finds it.
    """
    previous = frame.previous
    if previous is None:
        return frame.base
    state = previous.run_state
    opened = state.frames.get(previous.span_id) if state is not None else None
    return previous if opened is not None and opened.ctx is previous else frame.base


# -- closing what is left open --------------------------------------------------------


def close_step(
    settings: Settings | None,
    frame: Frame,
    *,
    status: str = OK,
    error: dict[str, Any] | None = None,
    exc: BaseException | None = None,
    step_type: str | None = None,
    latency_ms: float | None = None,
    fields: dict[str, Any] | None = None,
) -> None:
    """Write a helper step's ``step_finished`` and close it (and the tool calls still open in it)."""
    close_calls_in(settings, frame.ctx)
    if not close_frame(frame):
        return
    ctx = frame.ctx
    record = new_step_finished(
        step_id=ctx.step_id,
        step_type=step_type if step_type is not None else (ctx.step_type or ""),
        latency_ms=latency_ms if latency_ms is not None else latency_since(frame.started_ns),
        status=status,
        error=error,
        fields=fields,
    )
    count(ctx, record, exc)
    emit(settings, ctx, record)
    if frame.span is not None:
        frame.span.close({"agentlog.status": record.status}, exc, record.error, record.status)


def close_call(settings: Settings | None, frame: Frame, record: Any, exc: BaseException | None) -> bool:
    """Write a helper tool call's ``tool_result`` (already built) and close it; False if closed already."""
    if not close_frame(frame):
        return False
    count(frame.ctx, record, exc)
    emit(settings, frame.ctx, record)
    if frame.span is not None:
        frame.span.close({"agentlog.status": record.status}, exc, record.error, record.status)
    return True


def _close_unfinished_call(settings: Settings | None, frame: Frame) -> None:
    record = new_tool_result(
        tool=frame.ctx.tool or "",
        tool_call_id=frame.ctx.tool_call_id or "",
        latency_ms=latency_since(frame.started_ns),
        status=ERROR,
        error=_UNFINISHED_CALL,
    )
    # Reported once closed here: a result that closed it meanwhile (re-entrant) is no gap.
    if close_call(settings, frame, record, None):
        _diagnostics.report("tool_call without its tool_result; closed as failed when its step or run ended")


def close_calls_in(settings: Settings | None, within: RunContext | None) -> None:
    """Close, as failed, the helper tool calls still open directly in the step *within*."""
    state = within.run_state if within is not None else None
    if state is None or not state.calls:
        return
    with state.lock:
        opened = tuple(state.calls.values())  # a copy: a re-entrant helper may change them mid-loop
    step_span = within.span_id  # type: ignore[union-attr]
    open_calls = [
        frame
        for frame in opened
        if frame.base is not None and frame.base.span_id == step_span and _is_open(state, frame)
    ]
    for frame in open_calls:
        _close_unfinished_call(settings, frame)


def close_open_frames(settings: Settings | None, run_ctx: RunContext) -> None:
    """Close every helper step and tool call still open in *run_ctx*'s run, before it ends."""
    state = run_ctx.run_state
    if state is None or not state.frames:
        return
    with state.lock:
        opened = tuple(state.frames.values())  # a copy: a re-entrant helper may change them mid-loop
    calls = [frame for frame in opened if frame.kind == TOOL]
    steps = [frame for frame in opened if frame.kind == STEP]
    for frame in calls:
        _close_unfinished_call(settings, frame)
    for frame in steps:
        close_step(settings, frame)


def finish_run(
    settings: Settings | None,
    frame: Frame,
    status: str,
    stop_reason: str | None,
    error: dict[str, Any] | None,
    fields: dict[str, Any] | None,
    exc: BaseException | None = None,
) -> None:
    """Close a helper-opened run: its open steps and calls, then ``run_finished``, then its context."""
    ctx = frame.ctx
    close_open_frames(settings, ctx)
    if not close_frame(frame):
        return
    state = ctx.run_state
    if stop_reason is None:
        stop_reason = COMPLETED if status == OK else ERROR if exc is None else stop_reason_for(state, exc)
    totals = state.totals() if state is not None else dict(NO_TOTALS)
    record = new_run_finished(
        status=status, stop_reason=stop_reason, totals=totals, error=error, fields=fields
    )
    if state is not None:
        state.finish()
    emit(settings, ctx, record)
    if frame.span is not None:
        provider = state.provider if state is not None else None
        attributes = run_attributes(record.status, record.stop_reason, totals, provider)
        frame.span.close(attributes, exc, record.error, record.status)
    if state is not None:
        state.forget_errors()


def _call_anywhere(tool_call_id: str) -> Frame | None:
    """The open call with this ID in any run a helper started, for a result from a thread with no context.

    Only when exactly one open call has the ID: IDs a caller chose may repeat across runs.
    """
    with _open_runs_lock:
        runs = list(_OPEN_RUNS.values())
    found: list[Frame] = []
    for run in runs:
        state = run.ctx.run_state
        if state is not None and state.calls:
            with state.lock:
                frame = state.calls.get(tool_call_id)
            if frame is not None:
                found.append(frame)
    return found[0] if len(found) == 1 else None


# -- runs never finished ------------------------------------------------------------------

_MAX_OPEN_RUNS = 10_000
_OPEN_RUNS: OrderedDict[str, Frame] = OrderedDict()
_open_runs_lock = threading.RLock()  # re-entrant: a signal handler may start a run
_at_exit: list[bool] = []


def _remember_open_run(frame: Frame) -> None:
    with _open_runs_lock:
        _OPEN_RUNS[frame.ctx.run_id] = frame
        if len(_OPEN_RUNS) > _MAX_OPEN_RUNS:
            _OPEN_RUNS.popitem(last=False)
            _diagnostics.report("more than 10,000 runs started and never finished; the oldest is forgotten")
        if not _at_exit:
            _at_exit.append(True)
            atexit.register(_finish_abandoned_runs)


def _forget_parents_runs_after_fork() -> None:
    # A forked child inherits the parent's open runs, but they are the parent's
    # to finish: the child's exit must not write a second run_finished for them.
    global _open_runs_lock
    _open_runs_lock = threading.RLock()
    _OPEN_RUNS.clear()


os.register_at_fork(after_in_child=_forget_parents_runs_after_fork)


def forget_open_runs() -> None:
    """Forget the runs started and not finished (for tests: agentlog's reset)."""
    with _open_runs_lock:
        _OPEN_RUNS.clear()


def _finish_abandoned_runs() -> None:
    """At exit, finish the helper-started runs nobody finished: their run_finished is always written."""
    with _open_runs_lock:
        frames = list(_OPEN_RUNS.values())
    for frame in frames:
        _diagnostics.report("run_started without run_finished; finished when the process exited")
        try:
            finish_run(CONFIG.settings, frame, ERROR, UNFINISHED, None, None)
        except Exception as exc:
            _diagnostics.report("an unfinished run could not be finished at exit", exc)
