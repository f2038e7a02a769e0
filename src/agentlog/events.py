"""Typed events: the lines that describe an agent run, and a complete API for your own loop.

Each helper writes one line with the field names of the event schema
(``schema/events.v1.json``) and the IDs in force. The scopes
(`agentlog.run`, `agentlog.step`, `agentlog.tool_call`, `agentlog.llm_call`)
write the same lines; the helpers also work on their own, and a loop written
with them alone gives the same lines and the same tree::

    run = events.run_started(task, user_id="u-42")      # the run is now in force
    events.agent_step("tool", tool="search")           # step 1 opens
    call_id = events.tool_call("search", args)         # the call is in force
    log.info("querying")                               # carries run, step and call IDs
    events.tool_result("search", result=hits)          # same span; latency measured
    events.run_finished()                              # totals; previous context back

``run_started``, ``agent_step`` and ``tool_call`` open a scope that becomes
the context in force; ``run_finished``, ``step_finished`` (or the next
``agent_step``) and ``tool_result`` close it. Inside a with-block scope,
``tool_call``/``tool_result`` with no other ID (and ``step_finished`` inside a
step) describe that very scope. ``llm_result`` and ``decision`` describe
something that already ended, nested in the scope in force.

A helper used where its counterpart is missing — a ``tool_result`` with no
``tool_call``, a run never finished, a typed event outside any run — still
writes its line, and the gap is counted in `agentlog.problems` and reported
once. No helper raises because of what it is given; a value that cannot be
serialized is written as a marker, a value of the wrong type coerced (see
the ``invalid`` field).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, cast

from . import _diagnostics
from ._context import NO_TOTALS, RunContext, get_context
from ._context.ids import as_id, new_run_id, new_tool_call_id
from ._events import frames
from ._events.accounting import count, price
from ._events.checks import UNKNOWN, check_value
from ._events.emit import emit, emit_tool_result
from ._events.openings import open_run, open_step, open_tool_call
from ._events.payloads import MISSING, capture_payload, llm_payloads
from ._events.records import (
    LLMResult,
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
from ._genai import (
    CHAT,
    EXECUTE_TOOL,
    FINISH_REASONS,
    FUNCTION,
    INPUT_MESSAGES,
    OPERATION,
    OUTPUT_MESSAGES,
    PROVIDER,
    REQUEST_MODEL,
    TOOL_CALL_ID,
    TOOL_NAME,
    TOOL_RESULT,
    TOOL_TYPE,
    provider_name,
    request_attributes,
    usage_attributes,
)
from ._otel import messages_text, payload_text
from ._pipeline.errors import MAX_MESSAGE_CHARS
from ._scopes.scope import failure_fields
from ._serialize import safe_str
from ._settings import CONFIG, Settings
from ._vocabulary import COMPLETED, ERROR, ERROR_CLASS, ERROR_MESSAGE, OK, TOTALS

__all__ = [
    "RunHandle",
    "agent_step",
    "decision",
    "llm_result",
    "run_finished",
    "run_started",
    "step_finished",
    "tool_call",
    "tool_result",
]

_NO_OPEN_CALL = "tool_result with no open tool_call; written as a call of its own"


class RunHandle(NamedTuple):
    """The run `run_started` opened: its IDs.

    Attributes:
        run_id: The run's UUID.
        trace_id: Its trace, shared with its parent run when it has one.
        span_id: The run's own span.
        parent_run_id: The run it was started in, for a child run.
    """

    run_id: str
    trace_id: str
    span_id: str
    parent_run_id: str | None


def _message_given_as_error(
    error: BaseException | str | None, error_message: str | None
) -> tuple[BaseException | None, str | None]:
    """``error="timeout"`` is the error's message, not an exception of class ``str``."""
    if isinstance(error, str):
        return None, error if error_message is None else error_message
    return error, error_message


def _error_part(
    ctx: RunContext | None,
    status: str | None,
    error: BaseException | None,
    error_class: str | None,
    error_message: str | None,
) -> tuple[str, dict[str, Any] | None]:
    """Resolve (status, error fields) from what a caller gave."""
    if error is not None:
        # With its stack where the run first records it, as a scope would.
        return ERROR, failure_fields(ctx, error)
    fields: dict[str, Any] = {}
    if error_class is not None:
        fields[ERROR_CLASS] = safe_str(error_class)
    if error_message is not None:
        fields[ERROR_MESSAGE] = safe_str(error_message)[:MAX_MESSAGE_CHARS]
    if status is None or (fields and status == OK):
        # An error given is a failure, whatever the status said.
        status = ERROR if fields else OK
    return safe_str(status), fields or None


def _error_class(errors: Mapping[str, Any] | None) -> str | None:
    error_class = errors.get(ERROR_CLASS) if errors else None
    return error_class if isinstance(error_class, str) else None


def _chat_span(
    settings: Settings | None, record: LLMResult, prompt: Any, completion: Any, capture: str | None
) -> FinishedSpan:
    """The ``chat`` span of an ``llm_result`` called on its own, from what its line says."""
    failed = record.status == ERROR
    return FinishedSpan(
        f"chat {record.model}",
        True,
        {
            OPERATION: CHAT,
            PROVIDER: provider_name(record.provider, record.model),
            REQUEST_MODEL: record.model,
        },
        record.latency_ms,
        record.status,
        _error_class(record.error),
        {
            **request_attributes(record),
            **usage_attributes(record),
            FINISH_REASONS: [record.finish_reason] if record.finish_reason else None,
            INPUT_MESSAGES: None
            if prompt is MISSING
            else messages_text(settings, prompt, capture, output=False),
            OUTPUT_MESSAGES: None
            if completion is MISSING
            else messages_text(
                settings, completion, capture, output=True, finish_reason=record.finish_reason, failed=failed
            ),
        },
    )


def _outside_a_run(event: str) -> None:
    _diagnostics.report(f"{event} outside any run; written without run IDs")


def run_started(
    task: Any = None,
    *,
    user_id: str | None = None,
    request_id: str | None = None,
    session_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    capture: str | None = None,
    run_id: str | None = None,
    **fields: Any,
) -> RunHandle | None:
    """Start a run in the current context and write its ``run_started`` line.

    The run is in force from here (lines logged carry its IDs, typed events
    count toward it) until `run_finished`, which writes its totals and
    restores the context in force before. Started inside a run it is a
    child run (same trace, ``parent_run_id`` set). `agentlog.run` does all of
    this for a with-block.

    Args:
        task: The run's task (any value); written as ``task_hash`` and
            ``task_size``, and as ``task`` only if the capture policy says so.
        user_id: The user the run acts for (a child run inherits its parent's).
        request_id: The inbound request (inherited likewise).
        session_id: The conversation (inherited likewise).
        metadata: Written as top-level fields (``prompt_version`` …); a key
            that clashes with a field agentlog writes is kept under
            ``metadata``.
        capture: A capture mode for *task*, overriding the policy.
        run_id: Use this run ID instead of a generated one.
        fields: Further fields for the line.

    Returns:
        The run's IDs (None only if agentlog failed, which it reports).
    """
    try:
        settings = CONFIG.settings
        origin = frames.live(get_context())
        ctx, span = open_run(
            settings, run_id if run_id is not None else new_run_id(), origin, user_id, request_id, session_id
        )
        frames.open_frame(frames.RUN, ctx, origin, span)
        record = new_run_started(
            task=capture_payload(settings, "task", task, None, capture) if task is not None else None,
            user_id=ctx.user_id,
            request_id=ctx.request_id,
            session_id=ctx.session_id,
            fields=run_fields(metadata, fields),
        )
        emit(settings, ctx, record)
        return RunHandle(ctx.run_id, ctx.trace_id, ctx.span_id, ctx.parent_run_id)
    except Exception as exc:
        _diagnostics.report("event helper failed", exc)
        return None


def agent_step(
    step_type: str,
    *,
    step_id: int | None = None,
    tool: str | None = None,
    **fields: Any,
) -> int | None:
    """Open the run's next step and write its ``agent_step`` line.

    The step is in force (lines carry its ``step_id``) until `step_finished`,
    the next ``agent_step`` or the run's end, whichever comes first; the two
    latter write its ``step_finished`` for you.

    Args:
        step_type: ``plan``, ``retrieve``, ``model``, ``tool``, ``validate``
            or your own.
        step_id: The step number; the run's next one when not given.
        tool: The tool the step is about, when there is one.
        fields: Further fields for the line.

    Returns:
        The step's ``step_id`` (None outside a run, unless given).
    """
    try:
        settings = CONFIG.settings
        ctx = frames.live(get_context())
        state = ctx.run_state if ctx is not None else None
        if ctx is None or state is None:
            _outside_a_run("agent_step")
            emit(
                settings, None, new_agent_step(step_id=step_id, step_type=step_type, tool=tool, fields=fields)
            )
            return step_id
        open_step_frame = frames.helper_step(ctx)
        base: RunContext | None = ctx
        if open_step_frame is not None:
            frames.close_step(settings, open_step_frame)
            base = open_step_frame.base
        if step_id is not None:
            # A number that is no step number is mended, or numbered as the run's next step.
            step_id, fields = check_value("agent_step", "step_id", "step_id", step_id, fields)
        if step_id is None:
            step_id = state.next_step()
        else:
            state.note_step(step_id)
        outer = base if base is not None else ctx
        record = new_agent_step(step_id=step_id, step_type=step_type, tool=tool, fields=fields)
        step_ctx, span = open_step(settings, outer, record.step_id, record.step_type)
        frames.open_frame(frames.STEP, step_ctx, outer, span)
        emit(settings, step_ctx, record)
        return step_id
    except Exception as exc:
        _diagnostics.report("event helper failed", exc)
        return step_id


def step_finished(
    step_type: str | None = None,
    *,
    step_id: int | None = None,
    latency_ms: float | None = None,
    status: str | None = None,
    error: BaseException | str | None = None,
    error_class: str | None = None,
    error_message: str | None = None,
    **fields: Any,
) -> None:
    """Close the step in force and write its ``step_finished`` line.

    The step `agent_step` opened closes (its latency measured when not
    given) and the run's context is in force again; inside an
    `agentlog.step` block the line describes that step.

    Args:
        step_type: The step's type (the open step's when not given).
        step_id: The step number (the open step's when not given).
        latency_ms: How long the step took.
        status: ``ok`` or ``error``; ``error`` when *error* or an error class
            or message is given.
        error: The exception that ended the step (a string is taken as
            its message).
        error_class: The error's class name, when there is no exception object.
        error_message: The error's message, when there is no exception object.
        fields: Further fields for the line.
    """
    try:
        settings = CONFIG.settings
        ctx = frames.live(get_context())
        error, error_message = _message_given_as_error(error, error_message)
        status, errors = _error_part(ctx, status, error, error_class, error_message)
        frame = frames.helper_step(ctx)
        if frame is not None and step_id in (None, frame.ctx.step_id):
            frames.close_step(
                settings,
                frame,
                status=status,
                error=errors,
                exc=error,
                step_type=step_type,
                latency_ms=latency_ms,
                fields=fields or None,
            )
            return
        if ctx is not None and ctx.step_id is not None and step_id in (None, ctx.step_id):
            leaf: RunContext | None = ctx  # describes the step block in force
            step_id = ctx.step_id
            step_type = step_type if step_type is not None else ctx.step_type
        else:
            if ctx is None:
                _outside_a_run("step_finished")
            else:
                _diagnostics.report("step_finished with no step open; written as a step of its own")
            if step_type is None:
                step_type = UNKNOWN  # not given, and no step to take it from: already counted above
            kind = step_type
            leaf = nested(
                ctx,
                lambda: FinishedSpan(f"step {kind}", False, {"agentlog.step_type": kind}, latency_ms, status),
                step_id=step_id,
                step_type=step_type,
            )
        record = new_step_finished(
            step_id=step_id,
            step_type=cast(str, step_type),  # None is mended (and counted) by the record's check
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
) -> str | None:
    """Open a tool call and write its ``tool_call`` line.

    The call is in force — lines logged carry its ``tool_call_id`` — until
    its `tool_result`, which reuses its span and measures its latency.
    Several calls may be open at once (parallel tools): they are siblings,
    and the last one opened is in force; when it closes, the one in force
    before it is again, if still open. Inside an `agentlog.tool_call`
    block, with no other ID, the line describes that call.

    Args:
        tool: The tool's name.
        args: The arguments: written as ``args_hash`` and ``args_size``, and
            as ``args`` only if the capture policy says so.
        tool_call_id: The LLM provider's call ID; generated when not given.
        capture: A capture mode for *args*, overriding the policy.
        fields: Further fields for the line.

    Returns:
        The call's ``tool_call_id``, to give its `tool_result`.
    """
    try:
        settings = CONFIG.settings
        ctx = frames.live(get_context())
        tool_call_id = as_id(tool_call_id, "tool_call_id")
        in_block = ctx is not None and ctx.tool_call_id is not None and frames.helper_call(ctx) is None
        if in_block and tool_call_id in (None, ctx.tool_call_id):  # type: ignore[union-attr]
            call_id: str = ctx.tool_call_id  # type: ignore[union-attr,assignment]
            args_fields = capture_payload(settings, "args", args, tool, capture)
            emit(
                settings, ctx, new_tool_call(tool=tool, tool_call_id=call_id, args=args_fields, fields=fields)
            )
            return call_id
        call_id = tool_call_id if tool_call_id is not None else new_tool_call_id()
        args_fields = capture_payload(settings, "args", args, tool, capture)
        record = new_tool_call(tool=tool, tool_call_id=call_id, args=args_fields, fields=fields)
        if ctx is None or ctx.run_state is None:
            _outside_a_run("tool_call")
            emit(settings, None, record)
            return call_id
        open_call = frames.helper_call(ctx)
        base = open_call.base if open_call is not None and open_call.base is not None else ctx
        if call_id in ctx.run_state.calls:
            _diagnostics.report(
                "tool_call with the tool_call_id of a call still open; the new call replaces it"
            )
        call_ctx, span = open_tool_call(
            settings, base, record.tool, record.tool_call_id, args_fields, args, capture
        )
        frames.open_frame(frames.TOOL, call_ctx, base, span)
        emit(settings, call_ctx, record)
        return call_id
    except Exception as exc:
        _diagnostics.report("event helper failed", exc)
        return tool_call_id


def tool_result(
    tool: str,
    *,
    tool_call_id: str | None = None,
    latency_ms: float | None = None,
    status: str | None = None,
    error: BaseException | str | None = None,
    error_class: str | None = None,
    error_message: str | None = None,
    result: Any = MISSING,
    capture: str | None = None,
    **fields: Any,
) -> None:
    """Close a tool call and write its ``tool_result`` line.

    It closes the open call with *tool_call_id*, else the call in force if
    it is of *tool*, else the one open call of *tool*: same span, latency
    measured from its `tool_call` when not given. It counts toward the run's
    ``tool_calls`` (and ``errors`` when it failed).

    Args:
        tool: The tool's name.
        tool_call_id: The call's ID (see above when not given).
        latency_ms: How long the call took.
        status: ``ok`` or ``error``; ``error`` when *error* or an error class
            or message is given.
        error: The exception the tool raised (a string is taken as
            its message).
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
        # frames.live and as_id, with their no-op cases tested here first: the path of every result.
        state = ctx.run_state if ctx is not None else None
        if (
            state is not None
            and not fields
            and (status is None or (type(status) is str and status == OK))
            and result is MISSING
            and error is None
            and error_class is None
            and error_message is None
            and not state.frames
            and not state.closed
        ):
            # A call that succeeded, in a run of scopes: the hot path, written without a record.
            in_force = ctx.tool_call_id  # type: ignore[union-attr]
            if in_force is not None and (
                tool_call_id is None or (type(tool_call_id) is str and tool_call_id == in_force)
            ):
                if emit_tool_result(settings, ctx, tool, in_force, latency_ms):  # type: ignore[arg-type]
                    return
            elif tool_call_id is None or (type(tool_call_id) is str and tool_call_id):
                call_id = tool_call_id if tool_call_id is not None else new_tool_call_id()
                if emit_tool_result(settings, ctx, tool, call_id, latency_ms, nested=True):  # type: ignore[arg-type]
                    _diagnostics.report(_NO_OPEN_CALL)
                    return
        if state is not None and state.closed:
            ctx = frames.live(ctx)
            state = ctx.run_state if ctx is not None else None
        if tool_call_id is not None and (type(tool_call_id) is not str or not tool_call_id):
            tool_call_id = as_id(tool_call_id, "tool_call_id")
        if error is None and error_class is None and error_message is None and type(status) is str:
            errors: dict[str, Any] | None = None
        else:
            error, error_message = _message_given_as_error(error, error_message)
            status, errors = _error_part(ctx, status, error, error_class, error_message)
        captured = None if result is MISSING else capture_payload(settings, "result", result, tool, capture)
        # Only a run with helper-opened frames has a call to look up: not one run by scopes.
        if state is not None:
            frame = frames.find_call(ctx, tool, tool_call_id) if state.frames else None
        else:  # a thread with no context may still name its call
            frame = frames.find_call(None, tool, tool_call_id) if tool_call_id is not None else None
        if frame is not None:
            record = new_tool_result(
                tool=tool,
                tool_call_id=cast(str, frame.ctx.tool_call_id),
                latency_ms=latency_ms if latency_ms is not None else frames.latency_since(frame.started_ns),
                status=status,
                error=errors,
                result=captured,
                fields=fields,
            )
            frames.close_call(settings, frame, record, error)
            return
        if (
            ctx is not None
            and ctx.tool_call_id is not None
            and tool_call_id in (None, ctx.tool_call_id)
            and (state is None or not state.frames or frames.helper_call(ctx) is None)
        ):
            leaf: RunContext | None = ctx  # describes the tool call block in force
            tool_call_id = ctx.tool_call_id
        else:
            if ctx is None:
                _outside_a_run("tool_result")
            else:
                _diagnostics.report(_NO_OPEN_CALL)
            if tool_call_id is None:
                tool_call_id = new_tool_call_id()
            call_id = tool_call_id
            leaf = nested(
                ctx,
                lambda: FinishedSpan(
                    f"execute_tool {tool}",
                    False,
                    {OPERATION: EXECUTE_TOOL, TOOL_NAME: tool, TOOL_TYPE: FUNCTION, TOOL_CALL_ID: call_id},
                    latency_ms,
                    status,
                    _error_class(errors),
                    {
                        TOOL_RESULT: None
                        if result is MISSING
                        else payload_text(settings, "result", result, captured, tool=tool, mode=capture)
                    },
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
            result=captured,
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
    temperature: float | None = None,
    max_tokens: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    cache_read_input_tokens: int | None = None,
    cache_creation_input_tokens: int | None = None,
    reasoning_output_tokens: int | None = None,
    latency_ms: float | None = None,
    status: str | None = None,
    finish_reason: str | None = None,
    error: BaseException | str | None = None,
    error_class: str | None = None,
    error_message: str | None = None,
    prompt: Any = MISSING,
    completion: Any = MISSING,
    capture: str | None = None,
    **fields: Any,
) -> None:
    """Write an ``llm_result`` line: a model call ended.

    Inside a run it counts toward the run's ``llm_calls``, token and cost
    totals. The call is priced from the configured prices (see
    ``configure(prices=...)``): ``cost_usd``, ``price_source`` and
    ``price_version`` are written when its model has a price.

    Args:
        model: The model name.
        provider: The provider (``openai``, ``anthropic`` …).
        input_tokens: Input tokens used, cached ones included (as the
            OpenTelemetry GenAI conventions count them).
        output_tokens: Output tokens used, reasoning ones included.
        temperature: The sampling temperature the request asked for.
        max_tokens: The most output tokens the request allowed.
        top_p: The nucleus sampling probability the request asked for.
        seed: The sampling seed the request gave.
        cache_read_input_tokens: Of the input tokens, those read from the
            provider's cache, when it reports them.
        cache_creation_input_tokens: Of the input tokens, those written to
            the provider's cache, when it reports them.
        reasoning_output_tokens: Of the output tokens, those spent on
            reasoning, when the model reports them.
        latency_ms: How long the call took.
        status: ``ok`` or ``error``; ``error`` when *error* or an error class
            or message is given.
        finish_reason: Why the model stopped (``stop``, ``length``, ``tool_calls`` …).
        error: The exception the call raised (a string is taken as
            its message).
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
        ctx = frames.live(get_context())
        if ctx is None:
            _outside_a_run("llm_result")
        error, error_message = _message_given_as_error(error, error_message)
        status, errors = _error_part(ctx, status, error, error_class, error_message)
        record = new_llm_result(
            model=model,
            provider=provider,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            temperature=temperature,
            max_tokens=max_tokens,
            top_p=top_p,
            seed=seed,
            cache_read_input_tokens=cache_read_input_tokens,
            cache_creation_input_tokens=cache_creation_input_tokens,
            reasoning_output_tokens=reasoning_output_tokens,
            latency_ms=latency_ms,
            status=status,
            finish_reason=finish_reason,
            error=errors,
            payloads=llm_payloads(settings, prompt, completion, capture),
            fields=fields,
        )
        price(settings, record)
        leaf = nested(ctx, lambda: _chat_span(settings, record, prompt, completion, capture))
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
        ctx = frames.live(get_context())
        if ctx is None:
            _outside_a_run("decision")
        emit(settings, ctx, new_decision(kind=kind, outcome=outcome, reason=reason, fields=fields))
    except Exception as exc:
        _diagnostics.report("event helper failed", exc)


def run_finished(
    *,
    status: str | None = None,
    stop_reason: str | None = None,
    error: BaseException | str | None = None,
    error_class: str | None = None,
    error_message: str | None = None,
    **fields: Any,
) -> None:
    """Finish the run `run_started` opened: its open steps and calls, its totals, its context.

    Steps still open are finished, tool calls still open are closed as
    failed, ``run_finished`` is written with the run's totals (counted from
    its lines), and the context in force before `run_started` is restored.
    Inside an `agentlog.run` block, which writes its own ``run_finished``,
    the line is written too and the duplicate counted in `agentlog.problems`.

    Args:
        status: ``ok`` or ``error`` (``error`` when *error* or an error
            class or message is given).
        stop_reason: Why the run stopped; without it ``completed`` when status
            is ok, else what *error* escaped (``tool_error`` …) or ``error``.
        error: The exception that ended the run (a string is taken as
            its message).
        error_class: The error's class name, when there is no exception object.
        error_message: The error's message, when there is no exception object.
        fields: Further fields for the line. A total given here
            (``tool_calls=3`` …) that disagrees with the one counted is kept
            under ``extra`` and counted in `agentlog.problems`: the written
            totals are always the counted ones.
    """
    try:
        settings = CONFIG.settings
        ctx = frames.live(get_context())
        error, message = _message_given_as_error(error, error_message)
        status, errors = _error_part(ctx, status, error, error_class, message)
        frame = frames.run_frame(ctx)
        given_totals = {name: fields.pop(name) for name in TOTALS if name in fields}
        if frame is not None:
            _check_totals(frame.ctx, given_totals, fields)
            frames.finish_run(settings, frame, status, stop_reason, errors, fields or None, error)
            return
        state = ctx.run_state if ctx is not None else None
        if state is not None and state.finished:
            _diagnostics.report(
                "run_finished for a run already finished (in another task or thread); not written again"
            )
            return
        if state is not None:
            _check_totals(ctx, given_totals, fields)  # type: ignore[arg-type]
            state.outcome = (status, stop_reason, errors, fields)
            _diagnostics.notice(
                "events.run_finished inside agentlog.run(): the block writes the run's run_finished when "
                "it exits, with this status and stop reason"
            )
            return
        _outside_a_run("run_finished")
        totals = {**NO_TOTALS, **given_totals}
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


def _check_totals(ctx: RunContext, given: dict[str, Any], fields: dict[str, Any]) -> None:
    """Totals a caller gives are kept only as extra fields where they disagree with the counted ones."""
    if not given or ctx.run_state is None:
        return
    counted = ctx.run_state.totals()
    disagreeing = {
        name: value for name, value in given.items() if name != TOTALS[1] and value != counted[name]
    }
    if disagreeing:
        _diagnostics.report(
            "run_finished was given totals that disagree with the run's lines; wrote the counted ones"
        )
        fields["extra"] = {**disagreeing, **(fields.get("extra") or {})}
