"""Event records: built without side effects, counted in a step of their own, written in schema order."""

from __future__ import annotations

from typing import Any

import pytest

import agentlog
from agentlog._context import get_context
from agentlog._events import records
from agentlog._events.accounting import count
from agentlog._events.emit import emit
from agentlog._settings import CONFIG
from tests.conftest import Captured


def _written(record: records.Event) -> list[str]:
    line: dict[str, Any] = {}
    record.write_fields(line)
    return list(line)


@pytest.mark.parametrize(
    ("record", "order"),
    [
        (records.RunStarted(user_id="u"), ["task_hash", "user_id", "request_id", "session_id"]),
        (records.AgentStep(step_id=1, step_type="plan"), ["step_id", "step_type"]),
        (records.AgentStep(step_id=1, step_type="tool", tool="t"), ["step_id", "step_type", "tool"]),
        (
            records.StepFinished(step_id=1, step_type="plan", error={"error_class": "E"}),
            ["step_id", "step_type", "latency_ms", "status", "error_class"],
        ),
        (
            records.ToolCall(tool="t", tool_call_id="c", args={"args_hash": None}),
            ["tool", "tool_call_id", "args_hash"],
        ),
        (
            records.ToolResult(tool="t", tool_call_id="c", result={"result_hash": None}),
            ["tool", "tool_call_id", "latency_ms", "status", "result_hash"],
        ),
        (
            records.LLMResult(model="m"),
            ["model", "provider", "input_tokens", "output_tokens", "latency_ms", "status", "finish_reason"],
        ),
        (records.Decision(kind="k", outcome="o"), ["kind", "outcome", "reason"]),
        (
            records.RunFinished(status="ok", stop_reason="completed", totals={"total_steps": 0}),
            ["status", "stop_reason", "total_steps"],
        ),
    ],
)
def test_fields_are_written_in_schema_order(record: records.Event, order: list[str]) -> None:
    """Each record lays its fields out in the order the events page documents."""
    assert _written(record) == order


def test_building_a_record_writes_and_counts_nothing(logs: Captured) -> None:
    """A record is a value: making one writes no line and changes no total."""
    with agentlog.run():
        before = logs.raw()
        records.ToolResult(tool="t", tool_call_id="c", status="error", error={"error_class": "E"})
        assert logs.raw() == before
        state = get_context().run_state  # type: ignore[union-attr]
        assert (state.tool_calls, state.errors) == (0, 0)  # type: ignore[union-attr]


def test_emitting_a_record_counts_nothing(logs: Captured) -> None:
    """Writing a record leaves the run's totals alone: counting is a step of its own."""
    with agentlog.run():
        ctx = get_context()
        emit(CONFIG.settings, ctx, records.ToolResult(tool="t", tool_call_id="c"))
        assert ctx.run_state.tool_calls == 0  # type: ignore[union-attr]
    assert logs.one("run_finished")["tool_calls"] == 0
    assert len(logs.events("tool_result")) == 1


def test_count_adds_calls_tokens_and_failures(logs: Captured) -> None:
    """count() adds tool calls, LLM calls and their tokens, and failed steps, to the run's totals."""
    with agentlog.run():
        ctx = get_context()
        count(ctx, records.ToolResult(tool="t", tool_call_id="c"))
        count(ctx, records.ToolResult(tool="t", tool_call_id="d", status="error"))
        count(ctx, records.LLMResult(model="m", input_tokens=5, output_tokens=7))
        count(ctx, records.LLMResult(model="m", input_tokens=-1, output_tokens=None))
        count(ctx, records.StepFinished(step_id=1, step_type="plan", status="error"))
        count(ctx, records.StepFinished(step_id=2, step_type="plan"))
        count(ctx, records.Decision(kind="k", outcome="o"))
    finished = logs.one("run_finished")
    assert (finished["tool_calls"], finished["llm_calls"], finished["errors"]) == (2, 2, 2)
    assert (finished["input_tokens"], finished["output_tokens"]) == (5, 7)


def test_one_exception_is_counted_once(logs: Captured) -> None:
    """The same exception failing a tool call and then its step is one error, at the innermost scope."""
    failure = TimeoutError("slow")
    with agentlog.run():
        ctx = get_context()
        count(ctx, records.ToolResult(tool="t", tool_call_id="c", status="error"), failure)
        count(ctx, records.StepFinished(step_id=1, step_type="tool", status="error"), failure)
    assert logs.one("run_finished")["errors"] == 1


def test_count_outside_a_run_is_harmless() -> None:
    """With no run in force there are no totals to change, and nothing raises."""
    count(None, records.ToolResult(tool="t", tool_call_id="c", status="error"))


def test_emit_names_the_parent_span_before_the_event_fields(logs: Captured) -> None:
    """A typed event in a nested scope writes parent_span_id right after the IDs, then its own fields."""
    with agentlog.run(), agentlog.step("plan"):
        ctx = get_context()
        emit(CONFIG.settings, ctx, records.Decision(kind="k", outcome="o"))
        emit(CONFIG.settings, ctx, records.ToolResult(tool="t", tool_call_id="c"))
    decision, result = logs.one("decision"), logs.one("tool_result")
    assert "parent_span_id" not in decision
    keys = list(result)
    assert keys.index("parent_span_id") == keys.index("step_id") + 1
    assert keys.index("tool") == keys.index("parent_span_id") + 1
