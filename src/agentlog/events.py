"""Typed events: the lines that describe an agent run.

Each helper writes one line with the field names of the event schema
(``schema/events.v1.json``) and the IDs in force. They are what the scopes
(`agentlog.run`, `agentlog.step`, `agentlog.tool_call`, `agentlog.llm_call`)
emit, and they work on their own too: called inside a run they carry its IDs
and count toward its totals in ``run_finished``; called outside a run they
carry no run IDs. ``tool_call``, ``tool_result``, ``llm_result``,
``agent_step`` and ``step_finished`` called on their own describe a scope
nested in the current one, so they get a span ID of their own whose parent is
the current span — except that ``tool_call``/``tool_result`` inside a tool
call scope (and ``step_finished`` inside a step) with no other ID describe
that very scope and use its span.

No helper raises because of what it is given; a value that cannot be
serialized is written as a marker.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from . import _diagnostics, _hashing, _otel, _pipeline
from ._capture import CAPTURE_MODES, captured
from ._context import RunContext, RunState, get_context
from ._errors import MAX_MESSAGE_CHARS, error_fields
from ._ids import new_span_id, new_tool_call_id
from ._serialize import safe_str

__all__ = [
    "agent_step",
    "decision",
    "llm_result",
    "run_finished",
    "run_started",
    "step_finished",
    "tool_call",
    "tool_result",
]

_INFO = 20
_ERROR = 40
_current_pipeline = _pipeline._current
_LEVEL_NAMES = _pipeline.LEVEL_NAMES
_FREE_TEXT = _pipeline.FREE_TEXT
_NO_ERRORS: dict[str, Any] = {}  # never modified: emitters only read it


class _Missing:
    def __repr__(self) -> str:
        return "<not given>"


MISSING: Any = _Missing()
"""Marks a payload (result, prompt, completion) that was not given."""


def capture_payload(
    name: str, value: Any, tool: str | None = None, mode: str | None = None
) -> dict[str, Any]:
    """The fields describing payload *value* under the capture policy in force.

    Args:
        name: ``args``, ``result``, ``task``, ``prompt`` or ``completion``.
        value: The payload.
        tool: The tool it belongs to, for a per-tool mode.
        mode: A mode that overrides the policy (a per-call choice).
    """
    settings = _pipeline.settings()
    policy = settings.capture
    if mode is None:
        mode = policy.mode_for(tool)
    elif mode not in CAPTURE_MODES:
        # A mistyped per-call mode must never loosen privacy: use the safe one.
        _diagnostics.report(f"unknown capture mode {safe_str(mode)[:20]!r}; hashed instead")
        mode = "hash"
    try:
        return captured(name, value, mode, _hashing.active(), settings.redactor, policy.limit)
    except Exception as exc:
        _diagnostics.report("payload could not be captured", exc)
        return {f"{name}_hash": None, f"{name}_size": None}


def llm_payloads(prompt: Any, completion: Any, mode: str | None) -> dict[str, Any] | None:
    """Captured fields for an LLM call's prompt and completion, those given."""
    if prompt is MISSING and completion is MISSING:
        return None
    fields: dict[str, Any] = {}
    if prompt is not MISSING:
        fields.update(capture_payload("prompt", prompt, None, mode))
    if completion is not MISSING:
        fields.update(capture_payload("completion", completion, None, mode))
    return fields


def failure_fields(ctx: RunContext | None, exc: BaseException) -> dict[str, Any]:
    """Error fields for *exc* leaving a scope; the stack only where it is first recorded."""
    state = _state(ctx)
    first = state is None or not state.escaped_kinds(exc)
    return error_fields(exc, stack=first)


def latency_since(start_ns: int) -> float:
    """Milliseconds since *start_ns* (a ``perf_counter_ns`` reading), to the µs."""
    return round((time.perf_counter_ns() - start_ns) / 1_000_000, 3)


def _emit(
    levelno: int,
    event: str,
    ctx: RunContext | None,
    owned: dict[str, Any],
    fields: Mapping[str, Any] | None,
    spill_key: str = "extra",
) -> None:
    pipeline = _current_pipeline[0]
    if pipeline is None:
        _emit_through_structlog(levelno, event, ctx, owned, fields)
        return
    if levelno < pipeline.min_level:
        return
    if not fields and _FREE_TEXT.isdisjoint(owned):
        pipeline.emit_typed(_LEVEL_NAMES[levelno], event, ctx._fields if ctx is not None else None, owned)
        return
    pipeline.emit(
        _pipeline.LEVEL_NAMES[levelno],
        event,
        ctx._fields if ctx is not None else None,
        owned,
        fields,
        spill_key=spill_key,
    )


def _emit_through_structlog(
    levelno: int,
    event: str,
    ctx: RunContext | None,
    owned: dict[str, Any],
    fields: Mapping[str, Any] | None,
) -> None:
    # Before agentlog.configure(), agentlog defers to the application's own
    # structlog configuration (which may include agentlog.processors.add_ids).
    # Its chain may not redact: what agentlog hands it is redacted already.
    _, owned_clean, fields_clean = _pipeline.fallback().clean(None, owned, fields, False)
    kw: dict[str, Any] = dict(ctx._fields) if ctx is not None else {}
    kw.update(owned_clean or {})
    if fields_clean:
        for key, value in fields_clean.items():
            if type(key) is str:
                kw.setdefault(key, value)
    kw.pop("event", None)
    try:
        import structlog

        structlog.get_logger("agentlog").log(levelno, event, **kw)
    except Exception as exc:
        _diagnostics.report("structlog chain failed", exc)


def _leaf(
    ctx: RunContext | None, span: tuple[str, bool, dict[str, Any], Any, str] | None = None, **changes: Any
) -> RunContext | None:
    """A context for an event that stands for a scope nested in *ctx*.

    With OpenTelemetry spans on and *span* given as (name, client, attributes,
    latency_ms, status), the operation is also recorded as a finished span
    back-dated by its latency, whose ID the event carries.
    """
    if ctx is None:
        return None
    span_id = None
    bridge = _otel.active()
    if bridge is not None and span is not None:
        name, client, attributes, latency_ms, status = span
        started = bridge.start(
            name,
            client=client,
            parent=(ctx.trace_id, ctx.span_id, ctx.trace_flags),
            remote=False,
            attributes=attributes,
            start_ns=_otel.backdated(latency_ms),
        )
        if started is not None:
            span_id = bridge.ids(started)[1]
            bridge.end(started, {"agentlog.status": status}, "Error" if status == "error" else None)
    return ctx.child(span_id=span_id or new_span_id(), **changes)


def _opening(ctx: RunContext | None) -> dict[str, Any]:
    """The first owned field of a typed event: the parent of its span, if any.

    Every typed event names its span's parent, so a span is placed in the
    tree by any one of its lines (a standalone ``tool_result`` has no
    ``tool_call`` line before it).
    """
    if ctx is not None and ctx.parent_span_id is not None:
        return {"parent_span_id": ctx.parent_span_id}
    return {}


def _state(ctx: RunContext | None) -> RunState | None:
    return ctx._state if ctx is not None else None


def _error_part(
    status: str | None,
    error: BaseException | None,
    error_class: str | None,
    error_message: str | None,
) -> tuple[str, dict[str, Any]]:
    """Resolve (status, error fields) from what a caller gave."""
    if error is not None:
        return "error", error_fields(error)
    fields: dict[str, Any] = {}
    if error_class is not None:
        fields["error_class"] = safe_str(error_class)
    if error_message is not None:
        fields["error_message"] = safe_str(error_message)[:MAX_MESSAGE_CHARS]
    if status is None:
        status = "error" if fields else "ok"
    return safe_str(status), fields


# -- internal emitters, shared by the scopes and the public helpers ----------


def emit_run_started(
    ctx: RunContext | None,
    task: Mapping[str, Any] | None,
    user_id: str | None,
    request_id: str | None,
    session_id: str | None,
    metadata: Mapping[str, Any] | None,
    fields: Mapping[str, Any] | None,
) -> None:
    owned = _opening(ctx)
    if task is not None:
        owned.update(task)
    else:
        owned["task_hash"] = None
    owned["user_id"] = user_id
    owned["request_id"] = request_id
    owned["session_id"] = session_id
    extra: dict[str, Any] = dict(fields) if fields else {}
    if metadata:
        try:
            meta = dict(metadata)
        except Exception:
            meta = {"metadata": safe_str(metadata)}
        # Metadata keys are top-level fields; a clash with a field agentlog
        # owns keeps the value under "metadata".
        extra = {**meta, **extra}
    _emit(_INFO, "run_started", ctx, owned, extra, spill_key="metadata")


def emit_agent_step(
    ctx: RunContext | None,
    step_type: str,
    step_id: int | None,
    tool: str | None,
    fields: Mapping[str, Any] | None,
) -> None:
    owned = _opening(ctx)
    owned["step_id"] = step_id
    owned["step_type"] = step_type
    if tool is not None:
        owned["tool"] = tool
    _emit(_INFO, "agent_step", ctx, owned, fields)


def emit_step_finished(
    ctx: RunContext | None,
    step_type: str,
    step_id: int | None,
    latency_ms: float | None,
    status: str,
    errors: dict[str, Any],
    exc: BaseException | None,
    fields: Mapping[str, Any] | None,
) -> None:
    state = _state(ctx)
    if state is not None and status == "error":
        state.record(failed=True, exc=exc, kind="step")
    owned = _opening(ctx)
    owned["step_id"] = step_id
    owned["step_type"] = step_type
    owned["latency_ms"] = latency_ms
    owned["status"] = status
    owned.update(errors)
    _emit(_ERROR if status == "error" else _INFO, "step_finished", ctx, owned, fields)


def emit_tool_call(
    ctx: RunContext | None,
    tool: str,
    tool_call_id: str,
    args: Mapping[str, Any],
    fields: Mapping[str, Any] | None,
) -> None:
    owned = _opening(ctx)
    owned["tool"] = tool
    owned["tool_call_id"] = tool_call_id
    owned.update(args)
    _emit(_INFO, "tool_call", ctx, owned, fields)


def emit_tool_result(
    ctx: RunContext | None,
    tool: str,
    tool_call_id: str,
    latency_ms: float | None,
    status: str,
    errors: dict[str, Any],
    exc: BaseException | None,
    result: Mapping[str, Any] | None,
    fields: Mapping[str, Any] | None,
) -> None:
    state = ctx._state if ctx is not None else None
    if state is not None:
        state.add_tool_call(status == "error", exc)
    owned: dict[str, Any] = {}
    if ctx is not None and ctx.parent_span_id is not None:
        owned["parent_span_id"] = ctx.parent_span_id
    owned["tool"] = tool
    owned["tool_call_id"] = tool_call_id
    owned["latency_ms"] = latency_ms
    owned["status"] = status
    if errors:
        owned.update(errors)
    if result:
        owned.update(result)
    _emit(_ERROR if status == "error" else _INFO, "tool_result", ctx, owned, fields)


def _as_count(value: Any) -> int:
    return value if type(value) is int and value >= 0 else 0


def emit_llm_result(
    ctx: RunContext | None,
    model: str,
    provider: str | None,
    input_tokens: int | None,
    output_tokens: int | None,
    latency_ms: float | None,
    status: str,
    finish_reason: str | None,
    errors: dict[str, Any],
    exc: BaseException | None,
    payloads: Mapping[str, Any] | None,
    fields: Mapping[str, Any] | None,
) -> None:
    state = _state(ctx)
    if state is not None:
        state.record(
            llm_calls=1,
            input_tokens=_as_count(input_tokens),
            output_tokens=_as_count(output_tokens),
            failed=status == "error",
            exc=exc,
            kind="llm",
        )
    owned = _opening(ctx)
    owned["model"] = model
    owned["provider"] = provider
    owned["input_tokens"] = input_tokens
    owned["output_tokens"] = output_tokens
    owned["latency_ms"] = latency_ms
    owned["status"] = status
    owned["finish_reason"] = finish_reason
    owned.update(errors)
    if payloads:
        owned.update(payloads)
    _emit(_ERROR if status == "error" else _INFO, "llm_result", ctx, owned, fields)


def emit_run_finished(
    ctx: RunContext | None,
    status: str,
    stop_reason: str,
    totals: Mapping[str, Any],
    errors: dict[str, Any],
    fields: Mapping[str, Any] | None,
) -> None:
    owned = _opening(ctx)
    owned["status"] = status
    owned["stop_reason"] = stop_reason
    owned.update(totals)
    owned.update(errors)
    _emit(_ERROR if status == "error" else _INFO, "run_finished", ctx, owned, fields)


def run_totals(state: RunState | None) -> dict[str, Any]:
    """The totals ``run_finished`` reports, read from the run's accumulator."""
    if state is None:
        return {
            "total_steps": 0,
            "total_latency_ms": None,
            "tool_calls": 0,
            "llm_calls": 0,
            "errors": 0,
            "input_tokens": 0,
            "output_tokens": 0,
        }
    with state._lock:
        return {
            "total_steps": state.steps,
            "total_latency_ms": latency_since(state.started_ns),
            "tool_calls": state.tool_calls,
            "llm_calls": state.llm_calls,
            "errors": state.errors,
            "input_tokens": state.input_tokens,
            "output_tokens": state.output_tokens,
        }


# -- public helpers -----------------------------------------------------------


def run_started(
    task: Any = None,
    *,
    user_id: str | None = None,
    request_id: str | None = None,
    session_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    capture: str | None = None,
    **fields: Any,
) -> None:
    """Write a ``run_started`` line.

    `agentlog.run` writes it for you; call this only to describe a run that
    agentlog's scopes do not manage.

    Args:
        task: The run's task (any value); written as ``task_hash`` and
            ``task_size``, and as ``task`` only if the capture policy says so.
        user_id: The user the run acts for (defaults to the run's).
        request_id: The inbound request (defaults to the run's).
        session_id: The conversation (defaults to the run's).
        metadata: Written as top-level fields (``prompt_version`` …); a key
            that clashes with a field agentlog writes is kept under
            ``metadata``.
        capture: A capture mode for *task*, overriding the policy.
        fields: Further fields for the line.
    """
    try:
        ctx = get_context()
        if ctx is not None:
            user_id = user_id if user_id is not None else ctx.user_id
            request_id = request_id if request_id is not None else ctx.request_id
            session_id = session_id if session_id is not None else ctx.session_id
        captured_task = capture_payload("task", task, None, capture) if task is not None else None
        emit_run_started(ctx, captured_task, user_id, request_id, session_id, metadata, fields)
    except Exception as exc:
        _diagnostics.report("event helper failed", exc)


def agent_step(
    step_type: str,
    *,
    step_id: int | None = None,
    tool: str | None = None,
    **fields: Any,
) -> None:
    """Write an ``agent_step`` line: a step of the run begins.

    Args:
        step_type: ``plan``, ``retrieve``, ``model``, ``tool``, ``validate``
            or your own.
        step_id: The step number; inside a run, the run's next step number
            when not given.
        tool: The tool the step is about, when there is one.
        fields: Further fields for the line.
    """
    try:
        ctx = get_context()
        state = _state(ctx)
        if state is not None:
            if step_id is None:
                step_id = state.next_step()
            else:
                state.note_step(step_id)
        leaf = _leaf(ctx, step_id=step_id, step_type=step_type)
        emit_agent_step(leaf, step_type, step_id, tool, fields)
    except Exception as exc:
        _diagnostics.report("event helper failed", exc)


def step_finished(
    step_type: str,
    *,
    step_id: int | None = None,
    latency_ms: float | None = None,
    status: str | None = None,
    error: BaseException | None = None,
    error_class: str | None = None,
    error_message: str | None = None,
    **fields: Any,
) -> None:
    """Write a ``step_finished`` line: a step of the run ended.

    Args:
        step_type: The step's type.
        step_id: The step number (defaults to the enclosing step's).
        latency_ms: How long the step took.
        status: ``ok`` or ``error``; ``error`` when *error* or an error class
            or message is given.
        error: The exception that ended the step.
        error_class: The error's class name, when there is no exception object.
        error_message: The error's message, when there is no exception object.
        fields: Further fields for the line.
    """
    try:
        ctx = get_context()
        status, errors = _error_part(status, error, error_class, error_message)
        if ctx is not None and ctx.step_id is not None and step_id in (None, ctx.step_id):
            leaf: RunContext | None = ctx  # describes the step in force
            step_id = ctx.step_id
        else:
            span = (f"step {step_type}", False, {"agentlog.step_type": step_type}, latency_ms, status)
            leaf = _leaf(ctx, span, step_id=step_id, step_type=step_type)
        emit_step_finished(leaf, step_type, step_id, latency_ms, status, errors, error, fields)
    except Exception as exc:
        _diagnostics.report("event helper failed", exc)


def tool_call(
    tool: str,
    args: Any = None,
    *,
    tool_call_id: str | None = None,
    capture: str | None = None,
    **fields: Any,
) -> None:
    """Write a ``tool_call`` line: a tool is being invoked.

    Args:
        tool: The tool's name.
        args: The arguments: written as ``args_hash`` and ``args_size``, and
            as ``args`` only if the capture policy says so.
        tool_call_id: The LLM provider's call ID; generated when not given.
        capture: A capture mode for *args*, overriding the policy.
        fields: Further fields for the line.
    """
    try:
        ctx = get_context()
        if ctx is not None and ctx.tool_call_id is not None and tool_call_id in (None, ctx.tool_call_id):
            leaf: RunContext | None = ctx  # describes the tool call in force
            call_id = ctx.tool_call_id
        else:
            call_id = tool_call_id if tool_call_id is not None else new_tool_call_id()
            leaf = _leaf(ctx, tool_call_id=call_id, tool=tool)
        emit_tool_call(leaf, tool, call_id, capture_payload("args", args, tool, capture), fields)
    except Exception as exc:
        _diagnostics.report("event helper failed", exc)


def tool_result(
    tool: str,
    *,
    tool_call_id: str | None = None,
    latency_ms: float | None = None,
    status: str | None = None,
    error: BaseException | None = None,
    error_class: str | None = None,
    error_message: str | None = None,
    result: Any = MISSING,
    capture: str | None = None,
    **fields: Any,
) -> None:
    """Write a ``tool_result`` line: a tool call ended.

    Inside a run it counts toward the run's ``tool_calls`` (and ``errors``
    when it failed).

    Args:
        tool: The tool's name.
        tool_call_id: The call's ID (defaults to the tool call in force,
            else a generated one).
        latency_ms: How long the call took.
        status: ``ok`` or ``error``; ``error`` when *error* or an error class
            or message is given.
        error: The exception the tool raised.
        error_class: The error's class name, when there is no exception object.
        error_message: The error's message, when there is no exception object.
        result: What the tool returned: written as ``result_hash`` and
            ``result_size``, and as ``result`` only if the capture policy
            says so.
        capture: A capture mode for *result*, overriding the policy.
        fields: Further fields for the line.
    """
    try:
        ctx = get_context()
        if error is None and error_class is None and error_message is None and type(status) is str:
            errors: dict[str, Any] = _NO_ERRORS
        else:
            status, errors = _error_part(status, error, error_class, error_message)
        if ctx is not None and ctx.tool_call_id is not None and tool_call_id in (None, ctx.tool_call_id):
            leaf: RunContext | None = ctx  # describes the tool call in force
            tool_call_id = ctx.tool_call_id
        else:
            if tool_call_id is None:
                tool_call_id = new_tool_call_id()
            attributes = {
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": tool,
                "gen_ai.tool.call.id": tool_call_id,
            }
            span = (f"execute_tool {tool}", False, attributes, latency_ms, status)
            leaf = _leaf(ctx, span, tool_call_id=tool_call_id, tool=tool)
        captured_result = capture_payload("result", result, tool, capture) if result is not MISSING else None
        emit_tool_result(leaf, tool, tool_call_id, latency_ms, status, errors, error, captured_result, fields)
    except Exception as exc:
        _diagnostics.report("event helper failed", exc)


def llm_result(
    model: str,
    *,
    provider: str | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    latency_ms: float | None = None,
    status: str | None = None,
    finish_reason: str | None = None,
    error: BaseException | None = None,
    error_class: str | None = None,
    error_message: str | None = None,
    prompt: Any = MISSING,
    completion: Any = MISSING,
    capture: str | None = None,
    **fields: Any,
) -> None:
    """Write an ``llm_result`` line: a model call ended.

    Inside a run it counts toward the run's ``llm_calls`` and token totals.

    Args:
        model: The model name.
        provider: The provider (``openai``, ``anthropic`` …).
        input_tokens: Prompt tokens used.
        output_tokens: Completion tokens used.
        latency_ms: How long the call took.
        status: ``ok`` or ``error``; ``error`` when *error* or an error class
            or message is given.
        finish_reason: Why the model stopped (``stop``, ``length``, ``tool_calls`` …).
        error: The exception the call raised.
        error_class: The error's class name, when there is no exception object.
        error_message: The error's message, when there is no exception object.
        prompt: The messages sent: written as ``prompt_hash`` and
            ``prompt_size``, and as ``prompt`` only if the capture policy says so.
        completion: The model's answer, likewise as ``completion_*``.
        capture: A capture mode for *prompt* and *completion*, overriding the policy.
        fields: Further fields for the line.
    """
    try:
        status, errors = _error_part(status, error, error_class, error_message)
        attributes = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": provider,
            "gen_ai.request.model": model,
            "gen_ai.usage.input_tokens": input_tokens,
            "gen_ai.usage.output_tokens": output_tokens,
        }
        leaf = _leaf(get_context(), (f"chat {model}", True, attributes, latency_ms, status))
        emit_llm_result(
            leaf,
            model,
            provider,
            input_tokens,
            output_tokens,
            latency_ms,
            status,
            finish_reason,
            errors,
            error,
            llm_payloads(prompt, completion, capture),
            fields,
        )
    except Exception as exc:
        _diagnostics.report("event helper failed", exc)


def decision(kind: str, outcome: str, *, reason: str | None = None, **fields: Any) -> None:
    """Write a ``decision`` line: an approval, policy block, route, fallback, retry ….

    Args:
        kind: ``approval``, ``policy_block``, ``route``, ``fallback``,
            ``retry`` or your own.
        outcome: What was decided (``approved``, ``blocked``, a route name …).
        reason: Why.
        fields: Further fields for the line.
    """
    try:
        _emit(_INFO, "decision", get_context(), {"kind": kind, "outcome": outcome, "reason": reason}, fields)
    except Exception as exc:
        _diagnostics.report("event helper failed", exc)


def run_finished(
    *,
    status: str | None = None,
    stop_reason: str | None = None,
    error: BaseException | None = None,
    **fields: Any,
) -> None:
    """Write a ``run_finished`` line.

    `agentlog.run` writes it for you. Called on its own inside a run, the
    totals (``total_steps``, ``tool_calls``, ``llm_calls``, ``errors``,
    ``input_tokens``, ``output_tokens``, ``total_latency_ms``) come from the
    run's accumulator; any of them passed as a keyword wins.

    Args:
        status: ``ok`` or ``error`` (``error`` when *error* is given).
        stop_reason: Why the run stopped; ``completed`` when status is ok,
            else ``error``.
        error: The exception that ended the run.
        fields: Totals to override, or further fields.
    """
    try:
        ctx = get_context()
        status, errors = _error_part(status, error, None, None)
        totals = run_totals(_state(ctx))
        for name in list(totals):
            if name in fields:
                totals[name] = fields.pop(name)
        if stop_reason is None:
            stop_reason = "completed" if status == "ok" else "error"
        emit_run_finished(ctx, status, stop_reason, totals, errors, fields)
    except Exception as exc:
        _diagnostics.report("event helper failed", exc)
