"""A finished event's part in its run's totals, and an LLM call's price: apart from writing it."""

from __future__ import annotations

from typing import Any

from .._context import RunContext, RunState
from .._genai import OTHER, provider_name
from .._pricing import BUNDLED_ONLY, price_call
from .._settings import CONFIG, Settings
from .._vocabulary import ERROR, INVALID, LLM_SCOPE, STEP_SCOPE, TOKEN_DETAILS, TOOL_SCOPE
from .records import Event, LLMResult, StepFinished, ToolResult, new_tool_result

__all__ = ["count", "count_tool_call", "price"]

_TOKEN_COUNTS = frozenset({"input_tokens", "output_tokens", *TOKEN_DETAILS})


def _as_count(value: Any) -> int:
    return value if type(value) is int and value >= 0 else 0


def _add_details(totals: dict[str, int], record: LLMResult) -> None:
    for name, value in zip(
        TOKEN_DETAILS,
        (record.cache_read_input_tokens, record.cache_creation_input_tokens, record.reasoning_output_tokens),
        strict=True,
    ):
        if value is not None:
            totals[name] = totals.get(name, 0) + _as_count(value)


def price(settings: Settings | None, record: LLMResult) -> None:
    """Set the cost of the LLM call *record* describes, from the configured prices.

    Before `agentlog.configure`, the bundled table prices it.
    """
    table = settings.prices if settings is not None else BUNDLED_ONLY
    if table is None:
        return
    invalid = record.fields.get(INVALID) if record.fields else None
    if isinstance(invalid, dict) and not _TOKEN_COUNTS.isdisjoint(invalid):
        return  # a count that had to be mended would price a guess: no cost, counted as unpriced
    record.price = price_call(
        table,
        record.model,
        record.provider,
        record.input_tokens,
        record.output_tokens,
        record.cache_read_input_tokens,
        record.cache_creation_input_tokens,
        record.reasoning_output_tokens,
    )


def count(ctx: RunContext | None, record: Event, exc: BaseException | None = None) -> None:
    """Add a finished tool call, LLM call or failed step to the totals of *ctx*'s run.

    Args:
        ctx: The context the event happened in; nothing is counted outside a run.
        record: The event.
        exc: The exception that made it fail, if any: counted once, at the
            innermost scope it escaped.
    """
    state = ctx.run_state if ctx is not None else None
    if state is None:
        return
    lock = state.lock
    # acquire/release rather than `with`: a third of the cost, on every tool call.
    lock.acquire()
    try:
        _settle(state, record, exc)
    finally:
        lock.release()


def count_tool_call(state: RunState) -> None:
    """Add a tool call that succeeded to *state*'s totals: `count` for the hot path of every result."""
    lock = state.lock
    lock.acquire()
    try:
        if state.applying:
            state.pending.append((_SUCCEEDED, None))
            return
        state.applying = True
        try:
            state.tool_calls += 1
        finally:
            state.applying = False
        if state.pending:  # queued by a handler that ran while this thread was counting
            _settle(state, None, None)
    finally:
        lock.release()


# What a succeeded tool call counts as when it has to wait its turn.
_SUCCEEDED = new_tool_result(tool="", tool_call_id="")


def _settle(state: RunState, record: Event | None, exc: BaseException | None) -> None:
    """Apply *record* and whatever is queued, with `state.lock` held.

    The lock keeps other threads out, not this one: a signal handler or a
    finalizer that counts while this thread is between reading a total and
    storing it would have its count overwritten. So a count that finds
    another applying on this thread's stack queues its event for it; that
    one applies the queue before it lets go (as the output's _Guard does
    with lines). Each step is safe to be interrupted at.
    """
    pending = state.pending
    if state.applying:
        if record is not None:
            pending.append((record, exc))
        return
    event = record
    while True:
        state.applying = True
        try:
            if event is not None:
                _apply(state, event, exc)
                event = None
            while pending:
                _apply(state, *pending.popleft())
        finally:
            state.applying = False
        if not pending:  # else one was queued after the last look, before the flag went down
            return


def _apply(state: RunState, record: Event, exc: BaseException | None) -> None:
    if type(record) is ToolResult:
        state.tool_calls += 1
        if record.status == ERROR and state.first_sighting(exc, TOOL_SCOPE):
            state.errors += 1
    elif type(record) is LLMResult:
        state.llm_calls += 1
        state.input_tokens += _as_count(record.input_tokens)
        state.output_tokens += _as_count(record.output_tokens)
        settings = CONFIG.settings
        if record.price is not None:
            state.cost += record.price.cost_usd
            state.priced_calls += 1
        elif (record.input_tokens is not None or record.output_tokens is not None) and (
            settings is None or settings.prices is not None
        ):
            state.unpriced_llm_calls += 1
        if settings is not None and settings.otel is not None:
            # Only the run's invoke_agent span names a provider: worked out only when spans are on.
            provider = provider_name(record.provider, record.model)
            if provider != state.provider:
                state.provider = provider if state.provider is None else OTHER
        if (
            record.cache_read_input_tokens is not None
            or record.cache_creation_input_tokens is not None
            or record.reasoning_output_tokens is not None
        ):
            _add_details(state.token_details, record)
        if record.status == ERROR and state.first_sighting(exc, LLM_SCOPE):
            state.errors += 1
    elif type(record) is StepFinished and record.status == ERROR and state.first_sighting(exc, STEP_SCOPE):
        state.errors += 1
