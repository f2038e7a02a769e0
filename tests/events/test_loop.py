"""A loop written with agentlog.events alone: the same lines and tree as the scopes."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

import agentlog
from agentlog import events
from agentlog._explorer.reader import Counts, read_lines
from agentlog._explorer.runs import summarize_runs
from agentlog._explorer.tree import Node, build_tree
from agentlog.cli import main
from tests.conftest import Captured


def _agent(task: str, tools: list[str]) -> str:
    """One run of a hand-written loop: a planning step, tool steps, an LLM call."""
    handle = events.run_started(task, user_id="u-1")
    assert handle is not None
    events.agent_step("plan")
    events.llm_result("gpt-4o-mini", provider="openai", input_tokens=10, output_tokens=2, latency_ms=1.0)
    for tool in tools:
        step_id = events.agent_step("tool", tool=tool)
        call_id = events.tool_call(tool, {"q": task})
        agentlog.get_logger().info("calling", step=step_id)
        logging.getLogger("lib").warning("library line for %s", tool)
        events.tool_result(tool, tool_call_id=call_id, result="r")
    events.run_finished()
    return handle.run_id


def _nodes(node: Node) -> list[Node]:
    found = [node]
    for child in node.children:
        found.extend(_nodes(child))
    return found


def test_run_started_opens_a_run_in_the_current_context(logs: Captured) -> None:
    """run_started returns the run's IDs and puts them in force; run_finished restores what was before."""
    assert agentlog.current() is None
    handle = events.run_started("task")
    assert handle is not None
    ctx = agentlog.current()
    assert ctx is not None and (ctx.run_id, ctx.trace_id) == (handle.run_id, handle.trace_id)
    events.run_finished()
    assert agentlog.current() is None
    assert logs.one("run_started")["run_id"] == logs.one("run_finished")["run_id"] == handle.run_id


def test_every_line_of_the_loop_carries_its_ids(logs: Captured) -> None:
    """Lines between a tool_call and its tool_result carry the run, the step and the call."""
    run_id = _agent("find", ["search"])
    lines = logs.lines()
    assert all(line["run_id"] == run_id for line in lines)
    call = logs.one("tool_call")
    for name in ("calling", "library line for search"):
        line = next(line for line in lines if line["event"] == name)
        assert (line["step_id"], line["tool_call_id"], line["span_id"]) == (
            call["step_id"],
            call["tool_call_id"],
            call["span_id"],
        )


def test_a_call_and_its_result_are_one_span_with_a_measured_latency(logs: Captured) -> None:
    """tool_result reuses the tool_call's span and ID and measures the latency when none is given."""
    _agent("find", ["search"])
    call, result = logs.one("tool_call"), logs.one("tool_result")
    assert (result["span_id"], result["tool_call_id"]) == (call["span_id"], call["tool_call_id"])
    assert result["parent_span_id"] == call["parent_span_id"]
    assert isinstance(result["latency_ms"], float) and result["latency_ms"] >= 0


def test_steps_close_on_the_next_step_and_at_the_run_end(logs: Captured) -> None:
    """agent_step closes the step before it; run_finished closes the last one; totals are exact."""
    _agent("find", ["search", "fetch"])
    steps = logs.events("agent_step")
    finished = logs.events("step_finished")
    assert [line["step_id"] for line in steps] == [1, 2, 3]
    assert [line["step_id"] for line in finished] == [1, 2, 3]
    assert all(end["span_id"] == start["span_id"] for start, end in zip(steps, finished, strict=True))
    totals = logs.one("run_finished")
    assert (totals["total_steps"], totals["tool_calls"], totals["llm_calls"], totals["errors"]) == (
        3,
        2,
        1,
        0,
    )
    assert (totals["input_tokens"], totals["output_tokens"], totals["stop_reason"]) == (10, 2, "completed")
    assert agentlog.problems() == {}


def test_parallel_calls_are_siblings_and_close_by_id_or_by_tool(logs: Captured) -> None:
    """Two calls open at once: both under the step; each result closes its own call."""
    events.run_started("t")
    events.agent_step("tool")
    first = events.tool_call("search", {"q": 1})
    second = events.tool_call("fetch", {"u": 2})
    assert agentlog.current().tool_call_id == second  # type: ignore[union-attr]
    events.tool_result("search", tool_call_id=first)
    assert agentlog.current().tool_call_id == second  # type: ignore[union-attr]
    events.tool_result("fetch")  # the one open call of that tool
    assert agentlog.current().tool_call_id is None  # type: ignore[union-attr]
    events.run_finished()
    calls = {line["tool_call_id"]: line for line in logs.events("tool_call")}
    results = {line["tool_call_id"]: line for line in logs.events("tool_result")}
    assert set(calls) == set(results) == {first, second}
    for call_id, call in calls.items():
        assert results[call_id]["span_id"] == call["span_id"]
    assert calls[first]["parent_span_id"] == calls[second]["parent_span_id"]
    assert agentlog.problems() == {}


def test_a_run_started_in_a_run_is_its_child(logs: Captured) -> None:
    """Inside a run, run_started starts a child run; its run_finished brings the parent back."""
    parent = events.run_started("parent")
    child = events.run_started("child")
    assert parent is not None and child is not None
    assert (child.trace_id, child.parent_run_id) == (parent.trace_id, parent.run_id)
    events.run_finished()
    assert agentlog.current().run_id == parent.run_id  # type: ignore[union-attr]
    events.run_finished()
    assert agentlog.current() is None


def test_helpers_inside_scopes_keep_describing_the_scope(logs: Captured) -> None:
    """Inside a tool_call block, tool_call/tool_result with no other ID describe that call, as before."""
    with agentlog.run(), agentlog.tool_call("search", {}) as call:
        assert events.tool_call("search", {"more": 1}) == call.tool_call_id
        events.tool_result("search", latency_ms=1.0)
    assert {line["span_id"] for line in logs.events("tool_call")} == {call.span_id}
    assert agentlog.problems() == {}


def test_missing_counterparts_still_write_and_are_counted(logs: Captured) -> None:
    """A result with no call, and a call never answered, are written and counted; the tree has no hole."""
    events.run_started("t")
    events.agent_step("tool")
    events.tool_result("orphan", latency_ms=1.0)
    events.tool_call("never_answered", {})
    events.run_finished()
    results = {line["tool"]: line for line in logs.events("tool_result")}
    assert results["orphan"]["status"] == "ok"
    assert (results["never_answered"]["status"], results["never_answered"]["error_class"]) == (
        "error",
        "Unfinished",
    )
    problems = agentlog.problems()
    assert problems["tool_result with no open tool_call; written as a call of its own"] == 1
    assert problems["tool_call without its tool_result; closed as failed when its step or run ended"] == 1
    assert logs.one("run_finished")["tool_calls"] == 2


def test_a_run_never_finished_is_finished_at_exit(tmp_path: Path) -> None:
    """A process that starts a run and exits without finishing it still writes run_finished."""
    out = tmp_path / "out.jsonl"
    script = textwrap.dedent(
        f"""
        import agentlog
        from agentlog import events
        agentlog.configure(output={str(out)!r})
        events.run_started("t")
        events.agent_step("plan")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    names = [orjson.loads(line)["event"] for line in out.read_bytes().splitlines()]
    assert names == ["run_started", "agent_step", "step_finished", "run_finished"]
    finished = orjson.loads(out.read_bytes().splitlines()[-1])
    assert (finished["status"], finished["stop_reason"]) == ("error", "unfinished")
    assert "run_started without run_finished" in result.stderr


def test_threads_each_carry_their_own_run(logs: Captured) -> None:
    """A loop in each of several threads: every run has its own IDs and exact totals."""
    run_ids: list[str] = []
    threads = [threading.Thread(target=lambda: run_ids.append(_agent("t", ["a", "b"]))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    finished = {line["run_id"]: line for line in logs.events("run_finished")}
    assert set(finished) == set(run_ids) and len(run_ids) == 8
    assert all(line["tool_calls"] == 2 and line["total_steps"] == 3 for line in finished.values())
    assert agentlog.problems() == {}


def test_many_concurrent_asyncio_loops(logs: Captured) -> None:
    """Hundreds of concurrent tasks, each its own run with parallel calls: exact totals, a span a call."""

    async def tool(name: str) -> None:
        call_id = events.tool_call(name, {})
        await asyncio.sleep(0)
        agentlog.get_logger().info("inside", tool=name)
        events.tool_result(name, tool_call_id=call_id)

    async def agent(index: int) -> str:
        handle = events.run_started(index)
        assert handle is not None
        events.agent_step("tool")
        await asyncio.gather(*(tool(f"t{n}") for n in range(3)))
        events.run_finished()
        return handle.run_id

    async def all_agents() -> list[str]:
        return await asyncio.gather(*(agent(i) for i in range(200)))

    run_ids = asyncio.run(all_agents())
    lines = logs.lines()
    finished = {line["run_id"]: line for line in lines if line["event"] == "run_finished"}
    assert set(finished) == set(run_ids)
    assert all(line["tool_calls"] == 3 and line["errors"] == 0 for line in finished.values())
    calls = [line for line in lines if line["event"] == "tool_call"]
    results = {
        (line["run_id"], line["tool_call_id"]): line for line in lines if line["event"] == "tool_result"
    }
    assert len(calls) == len(results) == 600
    for call in calls:
        assert results[(call["run_id"], call["tool_call_id"])]["span_id"] == call["span_id"]
    for line in lines:
        if line["event"] == "inside":
            assert line["tool_call_id"] in {c["tool_call_id"] for c in calls if c["run_id"] == line["run_id"]}
    assert agentlog.problems() == {}


def test_the_explorer_draws_the_loop_like_the_scopes(
    logs: Captured, capsys: pytest.CaptureFixture[str]
) -> None:
    """Agentlog runs lists the loop's run; show draws each call once, every node closed."""
    run_id = _agent("find", ["search", "fetch"])
    counts = Counts()
    lines = list(read_lines([str(logs.path)], counts))
    (summary,) = summarize_runs(lines)
    assert (summary.run_id, summary.status, summary.tool_calls, summary.total_steps) == (run_id, "ok", 2, 3)
    tree = build_tree(lines, run_id)
    nodes = _nodes(tree.root)
    tools = [node for node in nodes if node.kind == "tool"]
    assert sorted(node.name for node in tools) == ["fetch", "search"]
    assert all(node.status == "ok" and node.latency_ms is not None for node in nodes if node.kind != "log")
    assert main(["runs", str(logs.path), "--color", "never"]) == 0
    assert run_id[:8] in capsys.readouterr().out


def test_unknown_ids_and_tools_do_not_close_the_wrong_call(logs: Captured) -> None:
    """A result naming an unknown ID, or a tool with two calls open, closes nothing else."""
    events.run_started("t")
    events.tool_call("search", {}, tool_call_id="a")
    events.tool_call("search", {}, tool_call_id="b")
    events.tool_result("search")  # ambiguous: two calls of that tool are open
    events.tool_result("search", tool_call_id="zzz")
    events.tool_result("search", tool_call_id="a")
    events.tool_result("search", tool_call_id="b")
    events.run_finished()
    results = logs.events("tool_result")
    by_id: dict[str, Any] = {}
    for line in results:
        by_id.setdefault(line["tool_call_id"], []).append(line)
    calls = {line["tool_call_id"]: line["span_id"] for line in logs.events("tool_call")}
    assert by_id["a"][0]["span_id"] == calls["a"] and by_id["b"][0]["span_id"] == calls["b"]
    assert agentlog.problems()["tool_result with no open tool_call; written as a call of its own"] == 2


FORKING_LOOP = """
import os, sys
import agentlog
from agentlog import events

agentlog.configure(output=sys.argv[1])
events.run_started(task="fork")
call = events.tool_call("work", {})
pid = os.fork()
if pid == 0:
    events.decision("in", "child")
    sys.exit(0)  # a normal exit: atexit handlers run in the child
os.waitpid(pid, 0)
events.tool_result("work", tool_call_id=call)
events.run_finished()
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_does_not_finish_the_parents_run(tmp_path: Path) -> None:
    """The child's lines carry the run's IDs; its exit finishes nothing; the parent's totals are its own."""
    path = tmp_path / "fork.jsonl"
    script = tmp_path / "loop.py"
    script.write_text(FORKING_LOOP)
    command = [sys.executable, str(script), str(path)]
    done = subprocess.run(command, capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    (finished,) = [line for line in lines if line["event"] == "run_finished"]
    assert finished["status"] == "ok" and finished["tool_calls"] == 1
    (child,) = [line for line in lines if line["event"] == "decision"]
    assert child["run_id"] == finished["run_id"] and child["tool_call_id"] == lines[1]["tool_call_id"]
    assert b"without run_finished" not in done.stderr


def test_a_helper_writes_the_stack_where_the_run_first_records_the_exception(logs: Captured) -> None:
    """tool_result(error=e) has error_stack, as a scope's would; run_finished(error=e) does not repeat it."""
    events.run_started("t")
    call = events.tool_call("search", {})
    try:
        raise TimeoutError("upstream")
    except TimeoutError as exc:
        events.tool_result("search", tool_call_id=call, error=exc)
        events.run_finished(error=exc)
    result, finished = logs.one("tool_result"), logs.one("run_finished")
    assert result["error_class"] == "TimeoutError" and "raise TimeoutError" in result["error_stack"]
    assert finished["error_class"] == "TimeoutError" and "error_stack" not in finished
    assert finished["errors"] == 1


def test_a_run_finished_in_another_task_is_not_finished_twice(logs: Captured) -> None:
    """run_finished from a task, then again in the starting task: one line; the second call counted."""

    async def loop() -> None:
        events.run_started("t")

        async def finish() -> None:
            events.run_finished()

        await asyncio.create_task(finish())
        events.run_finished()

    asyncio.run(loop())
    assert len(logs.events("run_finished")) == 1
    assert any("already finished" in problem for problem in agentlog.problems())


def test_run_finished_inside_a_run_block_sets_its_outcome(logs: Captured) -> None:
    """events.run_finished inside agentlog.run(): the block's one run_finished carries its status, reason."""
    with agentlog.run():
        events.run_finished(status="error", stop_reason="max_steps", budget="spent")
    (finished,) = logs.events("run_finished")
    assert (finished["status"], finished["stop_reason"], finished["budget"]) == (
        "error",
        "max_steps",
        "spent",
    )


def test_a_result_from_a_thread_without_context_closes_its_call_by_id(logs: Captured) -> None:
    """A worker thread with no context names the call by ID: one result, with the run's IDs, counted ok."""
    events.run_started("t")
    events.agent_step("tool")
    call = events.tool_call("fetch", {})
    worker = threading.Thread(target=lambda: events.tool_result("fetch", tool_call_id=call))
    worker.start()
    worker.join()
    events.llm_result("m", input_tokens=1)
    events.run_finished()
    (result,) = logs.events("tool_result")
    assert result["status"] == "ok" and result["run_id"] == logs.one("run_started")["run_id"]
    assert result["span_id"] == logs.one("tool_call")["span_id"]
    assert "tool_call_id" not in logs.one("llm_result")  # the closed call is no longer in force here
    assert (logs.one("run_finished")["tool_calls"], logs.one("run_finished")["errors"]) == (1, 0)


def test_steps_opened_in_sibling_tasks_are_all_children_of_the_run(logs: Captured) -> None:
    """agent_step in gathered tasks: no step is opened under a step a sibling task already closed."""

    async def loop() -> None:
        events.run_started("t")
        events.agent_step("plan")

        async def stepper() -> None:
            step = events.agent_step("parallel")
            await asyncio.sleep(0.001)
            events.step_finished(step_id=step)

        await asyncio.gather(*(stepper() for _ in range(3)))
        events.run_finished()

    asyncio.run(loop())
    run_span = logs.one("run_started")["span_id"]
    assert [line["parent_span_id"] for line in logs.events("agent_step")] == [run_span] * 4
    assert logs.one("run_finished")["total_steps"] == 4
