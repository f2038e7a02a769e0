"""The vocabulary is written once: the schema, the records and the profiles agree with it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

import agentlog
from agentlog._context import NO_TOTALS
from agentlog._events import records
from agentlog._pricing import Price
from agentlog._vocabulary import (
    DATADOG_FIELDS,
    ECS_FIELDS,
    FREE_TEXT,
    LEVELS,
    LINE_IDS,
    PARENT_SPAN_ID,
    TYPED_EVENTS,
)

RECORDS = [
    cls
    for cls in vars(records).values()
    if isinstance(cls, type) and issubclass(cls, records.Event) and "name" in vars(cls)
]

# One filled-in record per event, every optional part given, as a failing outcome where it can fail.
_ERROR = {"error_class": "E", "error_message": "m", "error_stack": "s"}
SAMPLES: dict[str, records.Event] = {
    "run_started": records.RunStarted(
        task={"task_hash": "sha256:" + "0" * 64, "task_size": 2}, user_id="u", request_id="r", session_id="s"
    ),
    "agent_step": records.AgentStep(step_id=1, step_type="tool", tool="t"),
    "step_finished": records.StepFinished(
        step_id=1, step_type="tool", latency_ms=1.0, status="error", error=_ERROR
    ),
    "tool_call": records.ToolCall(
        tool="t", tool_call_id="c", args={"args_hash": "sha256:" + "0" * 64, "args_size": 2}
    ),
    "tool_result": records.ToolResult(
        tool="t",
        tool_call_id="c",
        latency_ms=1.0,
        status="error",
        error=_ERROR,
        result={"result_hash": None, "result_size": 2},
    ),
    "llm_result": records.LLMResult(
        model="m",
        provider="p",
        temperature=0.2,
        max_tokens=100,
        top_p=0.9,
        seed=7,
        input_tokens=1,
        output_tokens=2,
        price=Price(Decimal("0.000003"), "configured", "2026-11"),
        latency_ms=1.0,
        status="error",
        finish_reason="stop",
        error=_ERROR,
        payloads={"prompt_hash": None, "prompt_size": 2},
    ),
    "decision": records.Decision(kind="retry", outcome="again", reason="flaky"),
    "run_finished": records.RunFinished(
        status="error",
        stop_reason="error",
        totals={**NO_TOTALS, "cost_usd": 0.5, "child_cost_usd": 0.25, "unpriced_llm_calls": 1},
        error=_ERROR,
    ),
}


def _written(record: records.Event) -> dict[str, Any]:
    line: dict[str, Any] = {}
    record.write_fields(line)
    return line


def test_schema_lists_exactly_the_typed_events() -> None:
    """The published schema defines the vocabulary's typed events, no more, no fewer, in order."""
    schema = agentlog.event_schema()
    assert tuple(schema["$defs"]) == TYPED_EVENTS
    conditional = [rule["if"]["properties"]["event"]["const"] for rule in schema["allOf"]]
    assert tuple(conditional) == TYPED_EVENTS


def test_schema_levels_are_the_vocabulary_levels() -> None:
    """The schema's level enum is the vocabulary's level names."""
    assert agentlog.event_schema()["properties"]["level"]["enum"] == list(LEVELS)


def test_schema_knows_every_id_key() -> None:
    """Every ID a line carries is a property of the schema."""
    properties = agentlog.event_schema()["properties"]
    assert set(LINE_IDS) | {PARENT_SPAN_ID} <= set(properties)


def test_one_record_per_typed_event() -> None:
    """Each typed event has exactly one record class, and each record names a typed event."""
    assert sorted(cls.name for cls in RECORDS) == sorted(TYPED_EVENTS)
    assert set(SAMPLES) == set(TYPED_EVENTS)


@pytest.mark.parametrize("event", TYPED_EVENTS)
def test_record_fields_are_schema_fields(event: str) -> None:
    """What a record writes is described by the schema (for its event, or for every line)."""
    schema = agentlog.event_schema()
    described = set(schema["properties"]) | set(schema["$defs"][event].get("properties", {}))
    assert set(_written(SAMPLES[event])) <= described
    assert set(schema["$defs"][event].get("required", [])) <= set(_written(SAMPLES[event])) | {"event"}


@pytest.mark.parametrize("event", TYPED_EVENTS)
@pytest.mark.parametrize("failed", [True, False])
def test_a_record_says_when_it_wrote_free_text(event: str, failed: bool) -> None:
    """write_fields() reports free text exactly when it wrote some (the pipeline redacts only then)."""
    sample: Any = SAMPLES[event]
    if not failed and hasattr(sample, "error"):
        sample = dataclasses.replace(sample, error=None)
    line: dict[str, Any] = {}
    reported = sample.write_fields(line)
    written = {key for key, value in line.items() if key in FREE_TEXT and value is not None}
    assert reported == bool(written)


def test_profile_maps_rename_only_flat_fields() -> None:
    """ECS and Datadog names are given for fields the flat line really has."""
    flat = set(agentlog.event_schema()["properties"]) | {"user_id"}
    assert set(ECS_FIELDS) <= flat
    assert set(DATADOG_FIELDS) <= flat
