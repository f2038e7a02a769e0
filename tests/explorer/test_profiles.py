"""Reading the ecs and datadog profiles back into the flat form."""

from __future__ import annotations

from typing import Any

import pytest

from agentlog._explorer.profiles import to_flat
from agentlog._vocabulary import DATADOG_FIELDS, ECS_FIELDS

RUN = "1f25dfb1-a52b-43f3-b4ac-5d090abce943"


def test_a_json_line_is_returned_as_it_is() -> None:
    """The json profile is already flat: the same object comes back."""
    line = {"timestamp": "t", "level": "info", "event": "tool_call", "run_id": RUN, "tool": "search"}
    assert to_flat(line) is line


def test_an_ecs_line_with_nested_objects() -> None:
    """ECS fields go back to their flat names, agentlog's own come out of `agentlog`, failure is error."""
    record = {
        "@timestamp": "2026-11-22T03:00:00Z",
        "log.level": "error",
        "message": "tool_result",
        "ecs.version": "8.11.0",
        "service": {"name": "svc"},
        "trace": {"id": "abc"},
        "span": {"id": "def"},
        "error": {"type": "TimeoutError", "message": "slow"},
        "agentlog": {"run_id": RUN, "tool": "fetch", "latency_ms": 5.0},
        "event": {"kind": "event", "action": "tool_result", "outcome": "failure", "duration": 5000000},
    }
    assert to_flat(record) == {
        "timestamp": "2026-11-22T03:00:00Z",
        "level": "error",
        "event": "tool_result",
        "service": "svc",
        "trace_id": "abc",
        "span_id": "def",
        "error_class": "TimeoutError",
        "error_message": "slow",
        "status": "error",
        "run_id": RUN,
        "tool": "fetch",
        "latency_ms": 5.0,
    }


def test_an_ecs_line_with_dotted_keys() -> None:
    """Dotted keys (as Filebeat may leave them) read the same as nested objects; success is ok."""
    record = {
        "@timestamp": "t",
        "log.level": "info",
        "message": "run_finished",
        "trace.id": "abc",
        "agentlog.run_id": RUN,
        "event.outcome": "success",
    }
    assert to_flat(record) == {
        "timestamp": "t",
        "level": "info",
        "event": "run_finished",
        "trace_id": "abc",
        "status": "ok",
        "run_id": RUN,
    }


def test_an_ecs_outcome_that_is_not_agentlogs_gives_no_status() -> None:
    """An outcome other than success/failure (ECS also has unknown) sets no status."""
    flat = to_flat({"@timestamp": "t", "log.level": "info", "message": "m", "event": {"outcome": "unknown"}})
    assert flat is not None and "status" not in flat


def test_an_ecs_null_field_stays_null() -> None:
    """A field logged as null comes back as null, not as missing."""
    flat = to_flat({"@timestamp": "t", "log.level": "info", "message": "m", "user": {"id": None}})
    assert flat is not None and "user_id" in flat and flat["user_id"] is None


def test_every_ecs_field_of_the_vocabulary_is_read_back() -> None:
    """Each entry of ECS_FIELDS maps its ECS field back to its flat name."""
    record: dict[str, Any] = {"@timestamp": "t", "log.level": "info", "message": "m"}
    record.update({path: f"value of {key}" for key, path in ECS_FIELDS.items()})
    flat = to_flat(record)
    assert flat is not None
    assert {key: flat.get(key) for key in ECS_FIELDS} == {key: f"value of {key}" for key in ECS_FIELDS}


def test_a_datadog_line() -> None:
    """Datadog's status is the level, evt.outcome the agent's status, dotted agentlog fields flat."""
    record = {
        "timestamp": "2026-11-22T03:00:00Z",
        "status": "error",
        "message": "tool_result",
        "service": "svc",
        "dd.trace_id": "123",
        "logger.name": "agent",
        "usr.id": "u-1",
        "error.kind": "TimeoutError",
        "evt.name": "tool_result",
        "evt.outcome": "failure",
        "agentlog.run_id": RUN,
        "agentlog.tool": "fetch",
    }
    assert to_flat(record) == {
        "timestamp": "2026-11-22T03:00:00Z",
        "level": "error",
        "event": "tool_result",
        "logger": "agent",
        "error_class": "TimeoutError",
        "user_id": "u-1",
        "service": "svc",
        "status": "error",
        "run_id": RUN,
        "tool": "fetch",
    }


def test_a_datadog_line_with_a_nested_agentlog_object() -> None:
    """Fields nested under `agentlog` (a pipeline that expanded dots) are read too."""
    record = {"timestamp": "t", "status": "info", "message": "m", "agentlog": {"run_id": RUN, "step_id": 2}}
    assert to_flat(record) == {"timestamp": "t", "level": "info", "event": "m", "run_id": RUN, "step_id": 2}


def test_every_datadog_field_of_the_vocabulary_is_read_back() -> None:
    """Each entry of DATADOG_FIELDS maps its attribute back to its flat name."""
    record: dict[str, Any] = {"timestamp": "t", "status": "info", "message": "m"}
    record.update({attribute: f"value of {key}" for key, attribute in DATADOG_FIELDS.items()})
    flat = to_flat(record)
    assert flat is not None
    assert {key: flat.get(key) for key in DATADOG_FIELDS} == {
        key: f"value of {key}" for key in DATADOG_FIELDS
    }


@pytest.mark.parametrize(
    "record",
    [
        {},
        {"valid": "json but not agentlog"},
        {"timestamp": "t", "level": "info"},
        {"message": "m", "status": "info"},
        {"@timestamp": "t", "message": "m"},
    ],
    ids=["empty", "foreign", "no-event", "datadog-without-timestamp", "ecs-without-level"],
)
def test_an_object_that_is_no_agentlog_line_gives_none(record: dict[str, Any]) -> None:
    """A JSON object in none of the three shapes is not an agentlog line."""
    assert to_flat(record) is None
