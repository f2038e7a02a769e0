"""Isolation and exact totals under heavy asyncio and thread concurrency."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from typing import Any

import agentlog
from tests.conftest import Captured

RUNS = 500
TOOLS_PER_STEP = 3


async def _agent(index: int) -> str:
    with agentlog.run(task=f"task {index}", user_id=f"u-{index}") as run:
        log = agentlog.get_logger("agent")
        for step_number in range(2):
            with agentlog.step("tool"):

                async def call(tool_index: int, step_number: int = step_number) -> None:
                    with agentlog.tool_call(f"tool_{tool_index}", {"run": index, "i": tool_index}) as call:
                        await asyncio.sleep(0)
                        log.info("tool running", expected_call=call.tool_call_id, expected_run=run.run_id)
                        await asyncio.sleep(0)
                        if index % 7 == 0 and tool_index == 0 and step_number == 0:
                            raise TimeoutError("slow")

                results = await asyncio.gather(
                    *(call(i) for i in range(TOOLS_PER_STEP)), return_exceptions=True
                )
                assert all(r is None or isinstance(r, TimeoutError) for r in results)
        with agentlog.llm_call("m") as llm:
            await asyncio.sleep(0)
            llm.set_usage(input_tokens=index, output_tokens=1)
        return run.run_id


def _by_run(lines: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        if "run_id" in line:  # not asyncio's own debug lines
            grouped[line["run_id"]].append(line)
    return grouped


def test_500_concurrent_runs_with_parallel_tool_calls(logs: Captured) -> None:
    """500 runs at once, gathered tool calls: IDs never cross runs, totals exact."""

    async def main() -> list[str]:
        return await asyncio.gather(*(_agent(i) for i in range(RUNS)))

    run_ids = asyncio.run(main())
    assert len(set(run_ids)) == RUNS
    grouped = _by_run(logs.lines())
    assert set(grouped) == set(run_ids)
    for run_id, lines in grouped.items():
        started = next(line for line in lines if line["event"] == "run_started")
        trace = started["trace_id"]
        assert all(line["trace_id"] == trace for line in lines)
        for line in lines:
            if line["event"] == "tool running":
                assert line["expected_run"] == run_id
                assert line["expected_call"] == line["tool_call_id"]
        calls = [line for line in lines if line["event"] == "tool_call"]
        assert len({c["tool_call_id"] for c in calls}) == 2 * TOOLS_PER_STEP
        assert len({c["span_id"] for c in calls}) == 2 * TOOLS_PER_STEP
        finished = next(line for line in lines if line["event"] == "run_finished")
        index = int(started["user_id"].split("-")[1])
        assert finished["tool_calls"] == 2 * TOOLS_PER_STEP
        assert finished["llm_calls"] == 1
        assert finished["total_steps"] == 2
        assert finished["input_tokens"] == index
        assert finished["errors"] == (1 if index % 7 == 0 else 0)
        assert finished["status"] == "ok"


def test_parallel_steps_of_one_run_get_distinct_step_ids(logs: Captured) -> None:
    """Steps opened by many tasks of one run share one counter: 1..n, no repeats."""

    async def main() -> None:
        async def one_step() -> None:
            with agentlog.step("retrieve"):
                await asyncio.sleep(0)

        with agentlog.run():
            await asyncio.gather(*(one_step() for _ in range(200)))

    asyncio.run(main())
    step_ids = sorted(line["step_id"] for line in logs.events("agent_step"))
    assert step_ids == list(range(1, 201))
    assert logs.one("run_finished")["total_steps"] == 200


def test_threads_each_with_their_own_run(logs: Captured) -> None:
    """Runs in 16 threads: each thread's lines carry its own run's IDs only."""
    barrier = threading.Barrier(16)
    seen: dict[int, str] = {}

    def worker(index: int) -> None:
        barrier.wait()
        with agentlog.run(user_id=f"t-{index}") as run:
            seen[index] = run.run_id
            for i in range(50):
                with agentlog.step("tool"), agentlog.tool_call("t", {"i": i}):
                    agentlog.get_logger().info("work", thread=index)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for line in logs.events("work"):
        assert line["run_id"] == seen[line["thread"]]
    for finished in logs.events("run_finished"):
        assert finished["tool_calls"] == 50
        assert finished["total_steps"] == 50


def test_threads_sharing_one_run_count_exactly(logs: Captured) -> None:
    """Tool calls from 8 threads into one run's context: no lost count."""
    with agentlog.run():
        ctx = agentlog.current()
        assert ctx is not None

        def worker() -> None:
            with _enter(ctx):
                for _ in range(500):
                    agentlog.events.tool_result("t", latency_ms=0.1)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert logs.one("run_finished")["tool_calls"] == 8 * 500


class _enter:  # noqa: N801 - reads like the helper it stands for
    """Run a block under a given context (what propagation.wrap will do)."""

    def __init__(self, ctx: agentlog.RunContext) -> None:
        self.ctx = ctx

    def __enter__(self) -> None:
        from agentlog._context import CURRENT

        self.token = CURRENT.set(self.ctx)

    def __exit__(self, *exc: object) -> None:
        from agentlog._context import CURRENT

        CURRENT.reset(self.token)
