"""Counting a finished event toward its run's totals: a step of its own, apart from writing it."""

from __future__ import annotations

from typing import Any

from .._context import RunContext
from .._genai import OTHER, provider_name
from .._settings import CONFIG
from .._vocabulary import ERROR, LLM_SCOPE, STEP_SCOPE, TOKEN_DETAILS, TOOL_SCOPE
from .records import Event, LLMResult, StepFinished, ToolResult

__all__ = ["count"]


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
        if type(record) is ToolResult:
            state.tool_calls += 1
            if record.status == ERROR and state.first_sighting(exc, TOOL_SCOPE):
                state.errors += 1
        elif type(record) is LLMResult:
            state.llm_calls += 1
            state.input_tokens += _as_count(record.input_tokens)
            state.output_tokens += _as_count(record.output_tokens)
            settings = CONFIG.settings
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
        elif (
            type(record) is StepFinished and record.status == ERROR and state.first_sighting(exc, STEP_SCOPE)
        ):
            state.errors += 1
    finally:
        lock.release()
