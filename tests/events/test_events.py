"""The typed helpers in agentlog.events, on their own and inside runs."""

from __future__ import annotations

import io

import orjson
import pytest
import structlog
from structlog.typing import EventDict

import agentlog
from agentlog import events
from tests.conftest import Captured


def test_standalone_tool_result_counts_toward_the_run(logs: Captured) -> None:
    """events.tool_result inside a run carries its IDs and counts in run_finished."""
    with agentlog.run() as run:
        events.tool_call("search", {"q": 1}, tool_call_id="call_1")
        events.tool_result("search", tool_call_id="call_1", latency_ms=12.5, status="ok")
        events.tool_result("search", tool_call_id="call_2", latency_ms=3.0, error_class="TimeoutError")
    results = logs.events("tool_result")
    assert [r["run_id"] for r in results] == [run.run_id, run.run_id]
    assert results[0]["latency_ms"] == 12.5
    assert results[1]["status"] == "error"
    assert results[1]["error_class"] == "TimeoutError"
    finished = logs.one("run_finished")
    assert finished["tool_calls"] == 2
    assert finished["errors"] == 1


def test_standalone_events_get_a_span_under_the_current_one(logs: Captured) -> None:
    """A standalone tool_result is its own span, child of the current span."""
    with agentlog.run() as run:
        events.tool_result("t", latency_ms=1.0)
    result = logs.one("tool_result")
    assert result["parent_span_id"] == run.span_id
    assert result["span_id"] != run.span_id


def test_tool_result_inside_a_tool_call_scope_describes_that_call(logs: Captured) -> None:
    """events.tool_result inside agentlog.tool_call uses the call's ID and span."""
    with agentlog.run(), agentlog.tool_call("search", {}) as call:
        events.tool_result("search", latency_ms=2.0, status="ok", hits=3)
    first = logs.events("tool_result")[0]
    assert first["tool_call_id"] == call.tool_call_id
    assert first["span_id"] == call.span_id
    assert first["hits"] == 3


def test_standalone_llm_result_adds_tokens(logs: Captured) -> None:
    """events.llm_result counts LLM calls and tokens in the run's totals."""
    with agentlog.run():
        events.llm_result("gpt-4o", provider="openai", input_tokens=100, output_tokens=7, latency_ms=50.0)
        events.llm_result("gpt-4o", provider="openai", input_tokens=20, output_tokens=3, finish_reason="stop")
    finished = logs.one("run_finished")
    assert finished["llm_calls"] == 2
    assert finished["input_tokens"] == 120
    assert finished["output_tokens"] == 10


def test_standalone_agent_step_advances_the_step_counter(logs: Captured) -> None:
    """events.agent_step takes the run's next step number."""
    with agentlog.run():
        with agentlog.step("plan"):
            pass
        events.agent_step("retrieve")
        with agentlog.step("model"):
            pass
    assert [s["step_id"] for s in logs.events("agent_step")] == [1, 2, 3]
    assert logs.one("run_finished")["total_steps"] == 3


def test_step_finished_standalone_with_error(logs: Captured) -> None:
    """events.step_finished with an exception records status error and counts it."""
    with agentlog.run():
        events.step_finished("validate", step_id=4, latency_ms=2.0, error=ValueError("schema mismatch"))
    finished = logs.one("step_finished")
    assert finished["status"] == "error"
    assert finished["error_class"] == "ValueError"
    assert finished["error_message"] == "schema mismatch"
    assert logs.one("run_finished")["errors"] == 1


def test_decision_fields(logs: Captured) -> None:
    """Decision has kind, outcome and reason, and the IDs in force."""
    with agentlog.run() as run:
        events.decision("policy_block", "blocked", reason="PII in output", rule="pii-1")
    line = logs.one("decision")
    assert (line["kind"], line["outcome"], line["reason"]) == ("policy_block", "blocked", "PII in output")
    assert line["rule"] == "pii-1"
    assert line["run_id"] == run.run_id


def test_run_finished_standalone_reads_the_accumulator(logs: Captured) -> None:
    """events.run_finished inside a run reports the run's totals so far."""
    with agentlog.run():
        events.tool_result("t", latency_ms=1.0)
        events.run_finished(stop_reason="handoff")
    first = logs.events("run_finished")[0]
    assert first["tool_calls"] == 1
    assert first["stop_reason"] == "handoff"


def test_run_finished_totals_can_be_given(logs: Captured) -> None:
    """Totals passed to events.run_finished win over the accumulator."""
    events.run_finished(status="ok", total_steps=9, tool_calls=4)
    line = logs.one("run_finished")
    assert line["total_steps"] == 9
    assert line["tool_calls"] == 4
    assert line["stop_reason"] == "completed"


def test_events_outside_a_run_have_no_run_ids_and_are_counted(logs: Captured) -> None:
    """A typed event outside any run is written without run IDs, and the gap is counted."""
    events.tool_call("t", {"a": 1})
    events.decision("route", "fast")
    call = logs.one("tool_call")
    assert "run_id" not in call and call["tool_call_id"].startswith("tc_")
    assert agentlog.problems() == {
        "tool_call outside any run; written without run IDs": 1,
        "decision outside any run; written without run IDs": 1,
    }


def test_caller_fields_clashing_with_owned_ones_go_under_extra(logs: Captured) -> None:
    """A caller field named like an agentlog field does not overwrite it."""
    with agentlog.run() as run:
        events.decision("route", "fast", run_id="forged", timestamp="yesterday")
    line = logs.one("decision")
    assert line["run_id"] == run.run_id
    assert line["timestamp"] != "yesterday"
    assert line["extra"] == {"run_id": "forged", "timestamp": "yesterday"}


def test_the_level_never_drops_the_skeleton(tmp_path: object) -> None:
    """With level=warning every typed event is still written; free-form info lines are not."""
    out = io.BytesIO()
    agentlog.configure(output=out, level="warning")
    with pytest.raises(ValueError), agentlog.run():
        agentlog.get_logger().info("free-form info")
        agentlog.get_logger().warning("free-form warning")
        events.tool_result("t", latency_ms=1.0)
        with agentlog.tool_call("u", {}):
            raise ValueError("x")
    lines = [orjson.loads(raw) for raw in out.getvalue().splitlines()]
    assert [line["event"] for line in lines] == [
        "run_started",
        "free-form warning",
        "tool_result",
        "tool_call",
        "tool_result",
        "run_finished",
    ]
    assert lines[-1]["tool_calls"] == 2


def test_before_configure_events_go_through_structlog() -> None:
    """Unconfigured, typed events are logged through the app's structlog chain."""
    captured: list[dict[str, object]] = []

    def capture(logger: object, method: str, event_dict: EventDict) -> EventDict:
        captured.append(dict(event_dict))
        raise structlog.DropEvent

    structlog.configure(processors=[agentlog.processors.add_ids, capture])
    with agentlog.run() as run, agentlog.tool_call("search", {"q": 1}):
        pass
    names = [c["event"] for c in captured]
    assert names == ["run_started", "tool_call", "tool_result", "run_finished"]
    assert all(c["run_id"] == run.run_id for c in captured)
    assert captured[1]["args_hash"] == agentlog.hash_value({"q": 1})
