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

from collections.abc import Mapping
from typing import Any

from . import _diagnostics
from ._context import NO_TOTALS, RunContext, get_context
from ._context.ids import new_tool_call_id
from ._events.accounting import count
from ._events.emit import emit
from ._events.payloads import MISSING, capture_payload, llm_payloads
from ._events.records import (
    new_agent_step,
    new_decision,
    new_llm_result,
    new_run_finished,
    new_run_started,
    new_step_finished,
    new_tool_call,
    new_tool_result,
    run_fields,
)
from ._events.standalone import FinishedSpan, nested
from ._pipeline.errors import MAX_MESSAGE_CHARS, error_fields
from ._serialize import safe_str
from ._settings import CONFIG
from ._vocabulary import COMPLETED, ERROR, ERROR_CLASS, ERROR_MESSAGE, OK

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


def _error_part(
    status: str | None,
    error: BaseException | None,
    error_class: str | None,
    error_message: str | None,
) -> tuple[str, dict[str, Any] | None]:
    """Resolve (status, error fields) from what a caller gave."""
    if error is not None:
        return ERROR, error_fields(error)
    fields: dict[str, Any] = {}
    if error_class is not None:
        fields[ERROR_CLASS] = safe_str(error_class)
    if error_message is not None:
        fields[ERROR_MESSAGE] = safe_str(error_message)[:MAX_MESSAGE_CHARS]
    if status is None:
        status = ERROR if fields else OK
    return safe_str(status), fields or None


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
        settings = CONFIG.settings
        ctx = get_context()
        if ctx is not None:
            user_id = user_id if user_id is not None else ctx.user_id
            request_id = request_id if request_id is not None else ctx.request_id
            session_id = session_id if session_id is not None else ctx.session_id
        record = new_run_started(
            task=capture_payload(settings, "task", task, None, capture) if task is not None else None,
            user_id=user_id,
            request_id=request_id,
            session_id=session_id,
            fields=run_fields(metadata, fields),
        )
        emit(settings, ctx, record)
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
        settings = CONFIG.settings
        ctx = get_context()
        state = ctx.run_state if ctx is not None else None
        if state is not None:
            if step_id is None:
                step_id = state.next_step()
            else:
                state.note_step(step_id)
        leaf = nested(ctx, step_id=step_id, step_type=step_type)
        emit(settings, leaf, new_agent_step(step_id=step_id, step_type=step_type, tool=tool, fields=fields))
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
        settings = CONFIG.settings
        ctx = get_context()
        status, errors = _error_part(status, error, error_class, error_message)
        if ctx is not None and ctx.step_id is not None and step_id in (None, ctx.step_id):
            leaf: RunContext | None = ctx  # describes the step in force
            step_id = ctx.step_id
        else:
            leaf = nested(
                ctx,
                lambda: FinishedSpan(
                    f"step {step_type}", False, {"agentlog.step_type": step_type}, latency_ms, status
                ),
                step_id=step_id,
                step_type=step_type,
            )
        record = new_step_finished(
            step_id=step_id,
            step_type=step_type,
            latency_ms=latency_ms,
            status=status,
            error=errors,
            fields=fields,
        )
        count(leaf, record, error)
        emit(settings, leaf, record)
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
        settings = CONFIG.settings
        ctx = get_context()
        if ctx is not None and ctx.tool_call_id is not None and tool_call_id in (None, ctx.tool_call_id):
            leaf: RunContext | None = ctx  # describes the tool call in force
            call_id = ctx.tool_call_id
        else:
            call_id = tool_call_id if tool_call_id is not None else new_tool_call_id()
            leaf = nested(ctx, tool_call_id=call_id, tool=tool)
        args_fields = capture_payload(settings, "args", args, tool, capture)
        emit(settings, leaf, new_tool_call(tool=tool, tool_call_id=call_id, args=args_fields, fields=fields))
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
        settings = CONFIG.settings
        ctx = get_context()
        if error is None and error_class is None and error_message is None and type(status) is str:
            errors: dict[str, Any] | None = None
        else:
            status, errors = _error_part(status, error, error_class, error_message)
        if ctx is not None and ctx.tool_call_id is not None and tool_call_id in (None, ctx.tool_call_id):
            leaf: RunContext | None = ctx  # describes the tool call in force
            tool_call_id = ctx.tool_call_id
        else:
            if tool_call_id is None:
                tool_call_id = new_tool_call_id()
            leaf = nested(
                ctx,
                lambda: FinishedSpan(
                    f"execute_tool {tool}",
                    False,
                    {
                        "gen_ai.operation.name": "execute_tool",
                        "gen_ai.tool.name": tool,
                        "gen_ai.tool.call.id": tool_call_id,
                    },
                    latency_ms,
                    status,
                ),
                tool_call_id=tool_call_id,
                tool=tool,
            )
        record = new_tool_result(
            tool=tool,
            tool_call_id=tool_call_id,
            latency_ms=latency_ms,
            status=status,
            error=errors,
            result=None if result is MISSING else capture_payload(settings, "result", result, tool, capture),
            fields=fields,
        )
        count(leaf, record, error)
        emit(settings, leaf, record)
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
        settings = CONFIG.settings
        status, errors = _error_part(status, error, error_class, error_message)
        leaf = nested(
            get_context(),
            lambda: FinishedSpan(
                f"chat {model}",
                True,
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.provider.name": provider,
                    "gen_ai.request.model": model,
                    "gen_ai.usage.input_tokens": input_tokens,
                    "gen_ai.usage.output_tokens": output_tokens,
                },
                latency_ms,
                status,
            ),
        )
        record = new_llm_result(
            model=model,
            provider=provider,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            latency_ms=latency_ms,
            status=status,
            finish_reason=finish_reason,
            error=errors,
            payloads=llm_payloads(settings, prompt, completion, capture),
            fields=fields,
        )
        count(leaf, record, error)
        emit(settings, leaf, record)
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
        settings = CONFIG.settings
        emit(settings, get_context(), new_decision(kind=kind, outcome=outcome, reason=reason, fields=fields))
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
        settings = CONFIG.settings
        ctx = get_context()
        status, errors = _error_part(status, error, None, None)
        state = ctx.run_state if ctx is not None else None
        totals = state.totals() if state is not None else dict(NO_TOTALS)
        for name in list(totals):
            if name in fields:
                totals[name] = fields.pop(name)
        if stop_reason is None:
            stop_reason = COMPLETED if status == OK else ERROR
        emit(
            settings,
            ctx,
            new_run_finished(
                status=status, stop_reason=stop_reason, totals=totals, error=errors, fields=fields
            ),
        )
    except Exception as exc:
        _diagnostics.report("event helper failed", exc)
