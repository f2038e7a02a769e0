"""The adapters' shared core: scopes opened and closed by a framework's hooks, keyed by its IDs."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest
import structlog

import agentlog
from agentlog import events
from agentlog.integrations import _tracker
from agentlog.integrations._request import request_parameters
from agentlog.integrations._tracker import Tracker
from tests.conftest import Captured
from tests.integrations.frameworks.support import check_run, tool_pairs


def _framework_run(tracker: Tracker, key: str, *, fail: bool = True) -> None:
    """What an adapter does for one agent run: a model call, a tool that works, one that fails."""
    tracker.run(key, metadata={"agent": "a", "framework": "test"})
    tracker.llm(f"{key}/m1", "gpt-4o", provider="openai", parent=key)
    tracker.usage(f"{key}/m1", input_tokens=12, output_tokens=3, finish_reason="tool_calls")
    tracker.end(f"{key}/m1")
    tracker.tool(f"{key}/t1", "search", {"q": "needle-raw-arg"}, tool_call_id=f"call_{key}_1", parent=key)
    tracker.end(f"{key}/t1", result="found")
    tracker.tool(f"{key}/t2", "fetch", {"url": "x"}, tool_call_id=f"call_{key}_2", parent=key)
    tracker.end(f"{key}/t2", error=TimeoutError("slow") if fail else None)
    tracker.end(key, stop_reason="completed")


def test_a_framework_run_is_a_run_with_exact_totals(logs: Captured) -> None:
    """Run, model call and two tool calls opened by hooks give the lines and totals a with-block gives."""
    tracker = Tracker("test")
    _framework_run(tracker, "r")
    lines = logs.lines()
    run_id = lines[0]["run_id"]
    end = check_run(lines, run_id, tool_calls=2, llm_calls=1, errors=1, raw=["needle-raw-arg"])
    assert end["total_steps"] == 3
    pairs = tool_pairs(lines)
    assert set(pairs) == {"call_r_1", "call_r_2"}
    assert pairs["call_r_2"][1]["error_class"] == "TimeoutError"
    assert len(tracker) == 0


def test_a_failure_known_only_as_text_keeps_its_class_and_message(logs: Captured) -> None:
    """A framework that caught the exception reports a class and message: both are written."""
    tracker = Tracker("test")
    with agentlog.run():
        tracker.tool("t", "lookup", {}, tool_call_id="call_1")
        tracker.end("t", error="no such order", error_class="KeyError")
    result = logs.one("tool_result")
    assert (result["status"], result["error_class"], result["error_message"]) == (
        "error",
        "KeyError",
        "no such order",
    )
    assert logs.one("run_finished")["errors"] == 1


def test_inside_an_agentlog_run_a_framework_run_is_its_child(logs: Captured) -> None:
    """With a run in force and no parent key, the framework run is that run's child."""
    tracker = Tracker("test")
    with agentlog.run() as outer:
        _framework_run(tracker, "r")
    child = [line for line in logs.events("run_started") if line.get("parent_run_id")]
    assert len(child) == 1
    assert child[0]["parent_run_id"] == outer.run_id
    assert child[0]["trace_id"] == outer.trace_id


def test_an_activated_tool_call_is_in_force_for_the_users_lines(logs: Captured) -> None:
    """Activated on its start hook, a tool call's IDs are on the structlog and stdlib lines until its end."""
    tracker = Tracker("test")
    tracker.run("r")
    tracker.tool("t", "search", {}, tool_call_id="call_9", parent="r", activate=True)
    structlog.get_logger().info("user structlog line")
    logging.getLogger("user").warning("user stdlib line")
    tracker.end("t")
    structlog.get_logger().info("after the call")
    tracker.end("r")
    by_event = {line["event"]: line for line in logs.lines()}
    for name in ("user structlog line", "user stdlib line"):
        assert by_event[name]["tool_call_id"] == "call_9"
        assert by_event[name]["step_id"] == 1
    assert "tool_call_id" not in by_event["after the call"]
    assert agentlog.current() is None


def test_ending_in_another_context_leaves_that_context_alone(logs: Captured) -> None:
    """A scope started in one task and ended in another closes, and neither task's IDs are disturbed."""
    tracker = Tracker("test")

    async def main() -> None:
        with agentlog.run() as outer:
            await asyncio.create_task(_start())
            await asyncio.create_task(_end())
            assert agentlog.current() is not None and agentlog.current().run_id == outer.run_id  # type: ignore[union-attr]

    async def _start() -> None:
        tracker.run("r", activate=True)

    async def _end() -> None:
        tracker.end("r")

    asyncio.run(main())
    assert len(logs.events("run_finished")) == 2
    assert agentlog.problems() == {}


def test_a_parent_ending_first_closes_what_it_still_holds(logs: Captured) -> None:
    """A run whose tool call never reported its end closes it first, and says so."""
    tracker = Tracker("test")
    tracker.run("r")
    tracker.tool("t", "hang", {}, parent="r")
    tracker.end("r")
    events_written = [line["event"] for line in logs.lines()]
    assert events_written.index("tool_result") < events_written.index("run_finished")
    assert logs.one("run_finished")["tool_calls"] == 1
    assert any("never reported its end" in problem for problem in agentlog.problems())


def test_operations_never_ended_are_bounded(logs: Captured, monkeypatch: pytest.MonkeyPatch) -> None:
    """A framework that never ends its calls cannot grow the tracker without bound."""
    monkeypatch.setattr(_tracker, "MAX_OPEN", 5)
    tracker = Tracker("test")
    with agentlog.run():
        for index in range(20):
            tracker.tool(index, "t", {})
    assert len(tracker) <= 5
    assert any("never ended" in problem for problem in agentlog.problems())


def test_hooks_never_raise_into_the_framework(logs: Captured, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure inside agentlog while opening or closing is counted, never raised."""
    tracker = Tracker("test")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("agentlog bug")

    monkeypatch.setattr(_tracker, "_enter", broken)
    assert tracker.run("r") is None
    assert tracker.end("r") is None
    tracker.usage("nothing", input_tokens=1)
    assert any("could not open" in problem for problem in agentlog.problems())


def test_ending_an_unknown_key_does_nothing(logs: Captured) -> None:
    """An end hook for an operation agentlog never saw (instrumented mid-run) writes nothing."""
    assert Tracker("test").end("unknown", error="x") is None
    assert logs.lines() == []


def test_a_second_start_under_one_key_keeps_the_first(logs: Captured) -> None:
    """A start hook firing twice for one operation opens it once and counts the repeat."""
    tracker = Tracker("test")
    first = tracker.run("r")
    assert tracker.run("r") == first
    tracker.end("r")
    assert len(logs.events("run_started")) == 1


def test_concurrent_runs_in_threads_keep_their_own_ids(logs: Captured) -> None:
    """Framework runs driven from many threads at once: each run's lines carry only its IDs."""
    tracker = Tracker("test")
    threads = [threading.Thread(target=_framework_run, args=(tracker, f"r{n}")) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = logs.lines()
    run_ids = {line["run_id"] for line in lines if line["event"] == "run_started"}
    assert len(run_ids) == 16
    for run_id in run_ids:
        check_run(lines, run_id, tool_calls=2, llm_calls=1, errors=1)
        own_calls = {
            line["tool_call_id"] for line in lines if line.get("run_id") == run_id and "tool_call_id" in line
        }
        assert len(own_calls) == 2 and len({call.split("_")[1] for call in own_calls}) == 1


def test_helper_events_inside_a_tracked_run_join_it(logs: Captured) -> None:
    """The user's own typed events inside an activated framework run belong to that run."""
    tracker = Tracker("test")
    ctx = tracker.run("r", activate=True)
    events.decision("route", "billing")
    tracker.end("r")
    assert ctx is not None
    assert logs.one("decision")["run_id"] == ctx.run_id


class _HostileInt(int):
    """An int whose own conversions raise: read by int's methods, never its own."""

    def __int__(self) -> int:
        raise RuntimeError("no int")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        (
            {"temperature": 0, "max_tokens": 0, "top_p": 1, "seed": -3},
            {"temperature": 0, "max_tokens": 0, "top_p": 1, "seed": -3},
        ),
        ({"temperature": 0.7, "top_p": 0.95}, {"temperature": 0.7, "top_p": 0.95}),
        ({"temperature": "0.7", "max_tokens": "128", "seed": "42"}, {}),
        ({"temperature": float("nan"), "top_p": float("inf")}, {}),
        ({"temperature": True, "max_tokens": False, "seed": True}, {}),
        ({"max_tokens": 256.0, "seed": 1.5}, {}),
        ({"max_tokens": -1, "seed": 2**60}, {}),
        ({"temperature": None, "max_tokens": None, "top_p": None, "seed": None}, {}),
        ({"max_tokens": _HostileInt(64), "seed": _HostileInt(7)}, {"max_tokens": 64, "seed": 7}),
    ],
)
def test_request_parameters_keep_only_numbers_of_the_right_kind(
    given: dict[str, Any], kept: dict[str, Any]
) -> None:
    """Text, bools, NaN, fractional counts, out-of-range values and None left out; good ones kept plain."""
    checked = request_parameters(**given)
    assert checked == kept
    assert all(type(value) in (int, float) for value in checked.values())


def test_request_parameters_given_later_reach_the_open_model_call(logs: Captured) -> None:
    """Tracker.request on an open model call writes them; a bad one given later leaves a good one set."""
    tracker = Tracker("test")
    with agentlog.run():
        tracker.llm("m", "gpt-4o", request={"temperature": 0.3})
        tracker.request("m", max_tokens=100, temperature="warm", seed=None)
        tracker.request("elsewhere", seed=1)
        tracker.end("m")
    line = logs.one("llm_result")
    assert (line["temperature"], line["max_tokens"]) == (0.3, 100)
    assert "seed" not in line and "invalid" not in line
