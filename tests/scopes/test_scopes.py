"""The scopes: run, step, tool_call, llm_call — events, IDs, totals, errors."""

from __future__ import annotations

import asyncio
import re

import pytest

import agentlog
from tests.conftest import Captured

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TRACE = re.compile(r"^[0-9a-f]{32}$")
SPAN = re.compile(r"^[0-9a-f]{16}$")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def test_run_writes_run_started_and_run_finished(logs: Captured) -> None:
    """A run writes run_started on entry and run_finished on exit, same IDs."""
    with agentlog.run(task="t", user_id="u-42", request_id="r-1", session_id="s-1") as run:
        pass
    started, finished = logs.one("run_started"), logs.one("run_finished")
    assert UUID.match(started["run_id"])
    assert TRACE.match(started["trace_id"])
    assert SPAN.match(started["span_id"])
    assert started["run_id"] == finished["run_id"] == run.run_id
    assert started["trace_id"] == finished["trace_id"] == run.trace_id
    assert started["user_id"] == "u-42"
    assert started["request_id"] == "r-1"
    assert started["session_id"] == "s-1"
    assert finished["status"] == "ok"
    assert finished["stop_reason"] == "completed"


def test_every_line_has_timestamp_level_event_and_static_fields(logs: Captured) -> None:
    """Each line carries an RFC 3339 UTC timestamp, level, event, service/env/version."""
    with agentlog.run():
        agentlog.get_logger().info("hello")
    for line in logs.lines():
        assert STAMP.match(line["timestamp"])
        assert line["level"] in {"info", "error"}
        assert line["service"] == "svc"
        assert line["env"] == "test"
        assert line["version"] == "1.0"
        assert list(line)[:3] == ["timestamp", "level", "event"]


def test_task_is_written_only_as_its_hash(logs: Captured) -> None:
    """The task text never appears; task_hash is its SHA-256."""
    with agentlog.run(task="refund order 1234 for alice@example.com"):
        pass
    assert b"alice@example.com" not in logs.raw()
    expected = agentlog.hash_value("refund order 1234 for alice@example.com")
    assert logs.one("run_started")["task_hash"] == expected


def test_metadata_keys_become_top_level_fields(logs: Captured) -> None:
    """Run metadata is written as top-level fields of run_started."""
    with agentlog.run(metadata={"prompt_version": "v7", "policy_version": "p3"}):
        pass
    started = logs.one("run_started")
    assert started["prompt_version"] == "v7"
    assert started["policy_version"] == "p3"
    assert "metadata" not in started


def test_metadata_clashing_with_owned_fields_goes_under_metadata(logs: Captured) -> None:
    """A metadata key agentlog owns (run_id, level) is kept under metadata."""
    with agentlog.run(metadata={"run_id": "mine", "level": "high", "prompt_version": "v7"}) as run:
        pass
    started = logs.one("run_started")
    assert started["run_id"] == run.run_id
    assert started["level"] == "info"
    assert started["metadata"] == {"run_id": "mine", "level": "high"}
    assert started["prompt_version"] == "v7"


def test_step_ids_count_up_within_a_run(logs: Captured) -> None:
    """Steps are numbered 1, 2, 3 within a run; lines inside carry step_id."""
    with agentlog.run():
        for step_type in ("plan", "tool", "validate"):
            with agentlog.step(step_type) as step:
                agentlog.get_logger().info("inside", step_type=step_type)
                assert agentlog.current() is not None
                assert agentlog.current().step_id == step.step_id  # type: ignore[union-attr]
    steps = logs.events("agent_step")
    assert [s["step_id"] for s in steps] == [1, 2, 3]
    assert [s["step_type"] for s in steps] == ["plan", "tool", "validate"]
    inside = logs.events("inside")
    assert [line["step_id"] for line in inside] == [1, 2, 3]
    assert logs.one("run_finished")["total_steps"] == 3


def test_step_finished_reports_latency_and_status(logs: Captured) -> None:
    """step_finished has step_id, step_type, latency_ms and status."""
    with agentlog.run(), agentlog.step("plan"):
        pass
    finished = logs.one("step_finished")
    assert finished["step_id"] == 1
    assert finished["step_type"] == "plan"
    assert finished["status"] == "ok"
    assert isinstance(finished["latency_ms"], float)
    assert finished["latency_ms"] >= 0


def test_step_names_its_tool(logs: Captured) -> None:
    """agentlog.step("tool", tool=...) writes tool on agent_step."""
    with agentlog.run(), agentlog.step("tool", tool="search_docs"):
        pass
    assert logs.one("agent_step")["tool"] == "search_docs"


def test_step_span_is_child_of_run_span(logs: Captured) -> None:
    """agent_step names the run's span as its parent; its own span is new."""
    with agentlog.run() as run, agentlog.step("plan"):
        pass
    step = logs.one("agent_step")
    assert step["parent_span_id"] == run.span_id
    assert step["span_id"] != run.span_id


def test_tool_call_writes_call_and_result(logs: Captured) -> None:
    """tool_call on entry (args_hash), tool_result on exit (latency, status)."""
    args = {"query": "refund policy", "k": 3}
    with agentlog.run(), agentlog.step("tool"), agentlog.tool_call("search_docs", args) as call:
        call.result = ["doc-1"]
    started, result = logs.one("tool_call"), logs.one("tool_result")
    assert started["tool"] == result["tool"] == "search_docs"
    assert started["tool_call_id"] == result["tool_call_id"] == call.tool_call_id
    assert started["args_hash"] == agentlog.hash_value(args)
    assert "refund policy" not in logs.raw().decode()
    assert result["status"] == "ok"
    assert result["latency_ms"] >= 0
    assert started["span_id"] == result["span_id"]
    assert started["step_id"] == result["step_id"] == 1


def test_tool_call_uses_the_providers_call_id(logs: Captured) -> None:
    """A given tool_call_id is used as is."""
    with agentlog.run(), agentlog.tool_call("search", {}, tool_call_id="call_abc123"):
        agentlog.get_logger().info("in tool")
    assert logs.one("tool_call")["tool_call_id"] == "call_abc123"
    assert logs.one("in tool")["tool_call_id"] == "call_abc123"


def test_tool_exception_is_recorded_and_reraised_unchanged(logs: Captured) -> None:
    """The same exception object escapes; tool_result records class and message."""
    boom = TimeoutError("search backend timed out")
    with pytest.raises(TimeoutError) as caught, agentlog.run(), agentlog.tool_call("search", {}):
        raise boom
    assert caught.value is boom
    result = logs.one("tool_result")
    assert result["status"] == "error"
    assert result["level"] == "error"
    assert result["error_class"] == "TimeoutError"
    assert result["error_message"] == "search backend timed out"


def test_failed_tool_in_step_counts_one_error_and_stops_with_tool_error(logs: Captured) -> None:
    """One exception escaping tool, step and run counts once; stop_reason tool_error."""
    with pytest.raises(ValueError), agentlog.run(), agentlog.step("tool"), agentlog.tool_call("t", {}):
        raise ValueError("bad")
    assert logs.one("tool_result")["status"] == "error"
    assert logs.one("step_finished")["status"] == "error"
    finished = logs.one("run_finished")
    assert finished["status"] == "error"
    assert finished["stop_reason"] == "tool_error"
    assert finished["errors"] == 1
    assert finished["tool_calls"] == 1
    assert finished["error_class"] == "ValueError"


def test_step_exception_stops_with_step_error(logs: Captured) -> None:
    """An exception raised in a step (not a tool) gives stop_reason step_error."""
    with pytest.raises(RuntimeError), agentlog.run(), agentlog.step("validate"):
        raise RuntimeError("invalid answer")
    finished = logs.one("run_finished")
    assert finished["stop_reason"] == "step_error"
    assert finished["errors"] == 1


def test_exception_in_run_body_stops_with_error(logs: Captured) -> None:
    """An exception from outside any step or tool gives stop_reason error."""
    with pytest.raises(KeyError), agentlog.run():
        raise KeyError("x")
    finished = logs.one("run_finished")
    assert finished["status"] == "error"
    assert finished["stop_reason"] == "error"
    assert finished["errors"] == 0


def test_cancellation_stops_with_cancelled(logs: Captured) -> None:
    """A cancelled run writes run_finished with stop_reason cancelled."""

    async def agent() -> None:
        with agentlog.run(), agentlog.step("model"):
            await asyncio.sleep(10)

    async def main() -> None:
        task = asyncio.create_task(agent())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    finished = logs.one("run_finished")
    assert finished["status"] == "error"
    assert finished["stop_reason"] == "cancelled"


def test_keyboard_interrupt_stops_with_cancelled(logs: Captured) -> None:
    """KeyboardInterrupt is an interrupt: stop_reason cancelled, re-raised."""
    with pytest.raises(KeyboardInterrupt), agentlog.run():
        raise KeyboardInterrupt
    assert logs.one("run_finished")["stop_reason"] == "cancelled"


def test_caught_tool_failure_leaves_run_ok_with_errors(logs: Captured) -> None:
    """A run whose body caught a failing tool call ends ok, with errors >= 1."""
    with agentlog.run():
        try:
            with agentlog.tool_call("flaky", {}):
                raise ConnectionError("reset")
        except ConnectionError:
            pass
        with agentlog.tool_call("fallback", {}):
            pass
    finished = logs.one("run_finished")
    assert finished["status"] == "ok"
    assert finished["stop_reason"] == "completed"
    assert finished["errors"] == 1
    assert finished["tool_calls"] == 2


def test_finish_sets_stop_reason_and_fields(logs: Captured) -> None:
    """run.finish(stop_reason=...) is what run_finished says."""
    with agentlog.run() as run:
        run.finish(stop_reason="max_steps", answer_chars=120)
    finished = logs.one("run_finished")
    assert finished["stop_reason"] == "max_steps"
    assert finished["status"] == "ok"
    assert finished["answer_chars"] == 120


def test_given_stop_reason_wins_over_inference_on_error(logs: Captured) -> None:
    """A stop_reason given before an exception is kept; status is still error."""
    with pytest.raises(ValueError), agentlog.run() as run:
        run.finish(stop_reason="policy_violation")
        raise ValueError
    finished = logs.one("run_finished")
    assert finished["stop_reason"] == "policy_violation"
    assert finished["status"] == "error"


def test_llm_call_writes_llm_result_with_usage(logs: Captured) -> None:
    """llm_result has model, provider, tokens, latency, status, finish_reason."""
    with agentlog.run(), agentlog.step("model"), agentlog.llm_call("gpt-4o", provider="openai") as llm:
        llm.set_usage(input_tokens=812, output_tokens=97, finish_reason="stop")
    result = logs.one("llm_result")
    assert result["model"] == "gpt-4o"
    assert result["provider"] == "openai"
    assert result["input_tokens"] == 812
    assert result["output_tokens"] == 97
    assert result["finish_reason"] == "stop"
    assert result["status"] == "ok"
    assert result["latency_ms"] >= 0
    assert result["step_id"] == 1
    finished = logs.one("run_finished")
    assert finished["llm_calls"] == 1
    assert finished["input_tokens"] == 812
    assert finished["output_tokens"] == 97


def test_llm_call_failure_is_recorded(logs: Captured) -> None:
    """An exception in an LLM call gives llm_result status error and error_class."""
    with pytest.raises(ConnectionError), agentlog.run(), agentlog.llm_call("claude", provider="anthropic"):
        raise ConnectionError("overloaded")
    result = logs.one("llm_result")
    assert result["status"] == "error"
    assert result["error_class"] == "ConnectionError"
    finished = logs.one("run_finished")
    assert finished["errors"] == 1
    assert finished["stop_reason"] == "error"


def test_llm_failure_inside_step_stops_with_step_error(logs: Captured) -> None:
    """An LLM exception that also escapes a step counts once, stop_reason step_error."""
    with pytest.raises(ConnectionError), agentlog.run(), agentlog.step("model"), agentlog.llm_call("m"):
        raise ConnectionError
    finished = logs.one("run_finished")
    assert finished["errors"] == 1
    assert finished["stop_reason"] == "step_error"


def test_nested_run_is_a_child_run(logs: Captured) -> None:
    """A run inside a run: new run_id, same trace_id, parent_run_id set."""
    with agentlog.run(session_id="s-9") as parent, agentlog.step("delegate"), agentlog.run() as child:
        agentlog.get_logger().info("in child")
    child_started = next(s for s in logs.events("run_started") if s["run_id"] == child.run_id)
    assert child.run_id != parent.run_id
    assert child_started["trace_id"] == parent.trace_id
    assert child_started["parent_run_id"] == parent.run_id
    assert child_started["session_id"] == "s-9"
    step_span = logs.one("agent_step")["span_id"]
    assert child_started["parent_span_id"] == step_span
    line = logs.one("in child")
    assert line["run_id"] == child.run_id
    assert line["parent_run_id"] == parent.run_id
    assert "step_id" not in line


def test_child_run_has_its_own_totals(logs: Captured) -> None:
    """A child run's steps and tool calls count toward the child only."""
    with agentlog.run() as parent:
        with agentlog.step("plan"):
            pass
        with agentlog.run() as child, agentlog.step("tool"), agentlog.tool_call("t", {}):
            pass
    totals = {f["run_id"]: f for f in logs.events("run_finished")}
    assert totals[parent.run_id]["total_steps"] == 1
    assert totals[parent.run_id]["tool_calls"] == 0
    assert totals[child.run_id]["total_steps"] == 1
    assert totals[child.run_id]["tool_calls"] == 1


def test_run_with_explicit_parent_continues_its_trace(logs: Captured) -> None:
    """run(parent=ctx) joins ctx's trace as a child of ctx's run and span."""
    with agentlog.run() as first:
        saved = agentlog.current()
    assert saved is not None
    with agentlog.run(parent=saved) as second:
        pass
    started = next(s for s in logs.events("run_started") if s["run_id"] == second.run_id)
    assert started["trace_id"] == first.trace_id
    assert started["parent_run_id"] == first.run_id
    assert started["parent_span_id"] == saved.span_id


def test_ids_are_restored_after_each_scope(logs: Captured) -> None:
    """Leaving a scope restores exactly the IDs in force before it."""
    assert agentlog.current() is None
    with agentlog.run():
        outer = agentlog.current()
        with agentlog.step("plan"):
            with agentlog.tool_call("t", {}):
                assert agentlog.current() != outer
            assert agentlog.current().tool_call_id is None  # type: ignore[union-attr]
        assert agentlog.current() == outer
    assert agentlog.current() is None


def test_ids_are_restored_after_an_exception(logs: Captured) -> None:
    """An exception escaping scopes still restores the IDs in force."""
    with pytest.raises(ZeroDivisionError), agentlog.run(), agentlog.step("x"):
        1 / 0  # noqa: B018
    assert agentlog.current() is None


def test_scopes_work_with_async_with(logs: Captured) -> None:
    """Every scope also supports ``async with``."""

    async def main() -> None:
        async with agentlog.run() as run, agentlog.step("tool"), agentlog.tool_call("t", {}):
            assert agentlog.current().run_id == run.run_id  # type: ignore[union-attr]
        async with agentlog.run(), agentlog.llm_call("m") as llm:
            llm.set_usage(1, 2)

    asyncio.run(main())
    assert len(logs.events("run_finished")) == 2
    assert logs.one("llm_result")["output_tokens"] == 2


def test_a_scope_cannot_be_entered_twice(logs: Captured) -> None:
    """Re-entering the same scope object is a usage error, said clearly."""
    scope = agentlog.step("plan")
    with scope:
        pass
    with pytest.raises(RuntimeError, match="already entered"), scope:
        pass


def test_scopes_outside_a_run_write_events_without_run_ids(logs: Captured) -> None:
    """A tool call outside any run still writes its events, with no run_id."""
    with agentlog.tool_call("t", {"a": 1}) as call:
        assert agentlog.current() is None
    started = logs.one("tool_call")
    assert "run_id" not in started
    assert started["tool_call_id"] == call.tool_call_id


def test_current_is_read_only(logs: Captured) -> None:
    """The view agentlog.current() returns cannot be changed."""
    with agentlog.run():
        ctx = agentlog.current()
        assert ctx is not None
        with pytest.raises(AttributeError):
            ctx.run_id = "other"  # type: ignore[misc]
        assert set(ctx.as_dict()) >= {"run_id", "trace_id", "span_id"}


def test_run_id_is_known_before_entering(logs: Captured) -> None:
    """run.run_id is set at creation, so it can be returned to a caller early."""
    scope = agentlog.run()
    early = scope.run_id
    with scope:
        assert agentlog.current().run_id == early  # type: ignore[union-attr]


def test_a_parent_of_any_type_with_the_ids_is_continued(logs: Captured) -> None:
    """run(parent=...) takes any object with the IDs' attributes, not only agentlog's own types."""
    import collections

    parent_type = collections.namedtuple(
        "parent_type", "trace_id span_id trace_flags run_id user_id request_id session_id tracestate baggage"
    )
    parent = parent_type(
        "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "01", None, None, None, None, None, ()
    )
    with agentlog.run(parent=parent) as run:  # type: ignore[call-overload]  # duck-typed, as before
        assert run.trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert logs.one("run_started")["parent_span_id"] == "b7ad6b7169203331"
    assert agentlog.problems() == {}
