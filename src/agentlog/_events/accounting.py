"""Counting a finished event toward its run's totals: a step of its own, apart from writing it."""

from __future__ import annotations

from typing import Any

from .._context import RunContext
from .._vocabulary import ERROR
from .records import Event, LLMResult, StepFinished, ToolResult

__all__ = ["count"]


def _as_count(value: Any) -> int:
    return value if type(value) is int and value >= 0 else 0


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
    if isinstance(record, ToolResult):
        state.count_tool_call(record.status == ERROR, exc)
    elif isinstance(record, LLMResult):
        failed = record.status == ERROR
        state.count_llm_call(_as_count(record.input_tokens), _as_count(record.output_tokens), failed, exc)
    elif isinstance(record, StepFinished) and record.status == ERROR:
        state.count_failed_step(exc)
