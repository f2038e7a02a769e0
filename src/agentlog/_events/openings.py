"""Opening a run's scopes — a run, a step, a tool call, an LLM call — whoever opens them.

A with-block (`agentlog._scopes`) and a helper call (`agentlog.events`) open
the same scopes the same way: a new immutable context nested in the one in
force, with a span ID of its own — its OpenTelemetry span's, when spans are
on, that span then being the current one. Span attributes are built only when
spans are on.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, NamedTuple

from .._context import RunContext, RunState, SpanRef
from .._context.ids import as_id, new_run_id, new_span_id, new_tool_call_id, new_trace_id
from .._genai import (
    AGENT_NAME,
    CHAT,
    CONVERSATION,
    EXECUTE_TOOL,
    FUNCTION,
    INVOKE_AGENT,
    OPERATION,
    PROVIDER,
    REQUEST_MODEL,
    TOOL_ARGUMENTS,
    TOOL_CALL_ID,
    TOOL_NAME,
    TOOL_TYPE,
    provider_name,
)
from .._otel import OpenSpan, current_span, payload_text
from .._settings import Settings

__all__ = ["Opened", "open_llm_call", "open_run", "open_step", "open_tool_call", "parent_span_of"]


class Opened(NamedTuple):
    """A scope just opened: its context, and its OpenTelemetry span when spans are on."""

    ctx: RunContext
    span: OpenSpan | None


ADOPTED: ContextVar[SpanRef | None] = ContextVar("agentlog_adopted_span", default=None)
"""A span someone else already made for the scope being opened (a framework's own GenAI span).

Set only around one opening (by the framework adapters): the scope then
opens no span of its own and takes that span's ID on its lines, so lines
and the framework's spans join and no operation gets two spans. It is
adopted only within its own trace.
"""


def _bridge(settings: Settings | None) -> Any:
    if ADOPTED.get() is not None:
        return None
    return settings.otel if settings is not None else None


def _span_id(outer: RunContext) -> str:
    """A new scope's span ID: the adopted span's, within the same trace, else a new one."""
    adopted = ADOPTED.get()
    if adopted is not None and adopted.trace_id == outer.trace_id:
        return adopted.span_id
    return new_span_id()


def parent_span_of(origin: Any) -> SpanRef:
    """A run's parent span: its `SpanRef`, or one read from the same attributes on any object."""
    span = getattr(origin, "span", None)
    if isinstance(span, SpanRef):
        return span
    return SpanRef(origin.trace_id, origin.span_id, origin.trace_flags)


def open_run(
    settings: Settings | None,
    run_id: str,
    origin: Any,
    user_id: str | None,
    request_id: str | None,
    session_id: str | None,
) -> Opened:
    """Open a run: a child of *origin* (a context, a caller's, or any object with the IDs) when given.

    Without an origin the run joins the application's active OpenTelemetry
    span, if there is one, else starts a new trace. A child run inherits the
    user, request and session it is not given. IDs given as other values
    than text are carried as text, the same on every line.
    """
    run_id = as_id(run_id, "run_id") or new_run_id()
    user_id = as_id(user_id, "user_id")
    request_id = as_id(request_id, "request_id")
    session_id = as_id(session_id, "session_id")
    parent: SpanRef | None
    if origin is not None:
        parent = parent_span_of(origin)
        user_id = user_id if user_id is not None else origin.user_id
        request_id = request_id if request_id is not None else origin.request_id
        session_id = session_id if session_id is not None else origin.session_id
    else:
        parent = current_span()
    parent_run_id = origin.run_id if origin is not None else None
    bridge = _bridge(settings)
    opened = None
    if bridge is not None:
        attributes = {
            OPERATION: INVOKE_AGENT,
            # Required; the run's model calls name the provider when it ends (see close_run_span).
            PROVIDER: provider_name(None),
            AGENT_NAME: bridge.service,
            CONVERSATION: session_id,
            "agentlog.run_id": run_id,
            "agentlog.parent_run_id": parent_run_id,
        }
        name = f"invoke_agent {bridge.service}" if bridge.service else "invoke_agent"
        opened = bridge.open(name, parent, attributes)
    adopted = ADOPTED.get()
    if opened is not None:
        span = opened.ref
    elif adopted is not None and (parent is None or parent.trace_id == adopted.trace_id):
        span = SpanRef(adopted.trace_id, adopted.span_id, adopted.trace_flags)
    elif parent is not None:
        span = SpanRef(parent.trace_id, new_span_id(), parent.trace_flags)
    else:
        span = SpanRef(new_trace_id(), new_span_id())
    ctx = RunContext.create(
        run_id=run_id,
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
        run_state=RunState(origin.run_state if isinstance(origin, RunContext) else None),
    )
    return Opened(ctx, opened)


def open_step(settings: Settings | None, outer: RunContext, step_id: int | None, step_type: str) -> Opened:
    """Open a step nested in *outer*."""
    bridge = _bridge(settings)
    opened = None
    if bridge is not None:
        attributes = {"agentlog.step_id": step_id, "agentlog.step_type": step_type}
        opened = bridge.open(f"step {step_type}", outer.span, attributes)
    span_id = opened.ref.span_id if opened is not None else new_span_id()
    return Opened(outer.child(span_id, step_id=step_id, step_type=step_type), opened)


def open_tool_call(
    settings: Settings | None,
    outer: RunContext,
    tool: str,
    tool_call_id: str,
    args: dict[str, Any] | None,
    raw_args: Any = None,
    capture: str | None = None,
) -> Opened:
    """Open a tool call nested in *outer*.

    Args:
        settings: The settings in force.
        outer: The context it nests in.
        tool: The tool's name.
        tool_call_id: Its ID (a new one when not a usable ID).
        args: The arguments as the line captured them.
        raw_args: The arguments as given (for a span's content).
        capture: The call's own capture mode, if any.
    """
    tool_call_id = as_id(tool_call_id, "tool_call_id") or new_tool_call_id()
    bridge = _bridge(settings)
    opened = None
    if bridge is not None:
        attributes = {
            OPERATION: EXECUTE_TOOL,
            TOOL_NAME: tool,
            TOOL_TYPE: FUNCTION,
            TOOL_CALL_ID: tool_call_id,
            TOOL_ARGUMENTS: payload_text(settings, "args", raw_args, args, tool=tool, mode=capture),
        }
        opened = bridge.open(f"execute_tool {tool}", outer.span, attributes)
    span_id = opened.ref.span_id if opened is not None else _span_id(outer)
    return Opened(outer.child(span_id, tool_call_id=tool_call_id, tool=tool), opened)


def open_llm_call(settings: Settings | None, outer: RunContext, model: str, provider: str | None) -> Opened:
    """Open an LLM call nested in *outer*."""
    bridge = _bridge(settings)
    opened = None
    if bridge is not None:
        attributes = {OPERATION: CHAT, PROVIDER: provider_name(provider, model), REQUEST_MODEL: model}
        opened = bridge.open(f"chat {model}", outer.span, attributes, client=True)
    span_id = opened.ref.span_id if opened is not None else _span_id(outer)
    return Opened(outer.child(span_id), opened)
