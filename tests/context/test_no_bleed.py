"""A scope that cannot restore its own context never writes another run's IDs into it."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import random
import threading
from collections.abc import AsyncGenerator, Generator, Iterator

import pytest

import agentlog
from tests.conftest import Captured


def _tool_generator() -> Generator[int, None, None]:
    with agentlog.tool_call("search", {"q": "x"}):
        yield 1
        yield 2


def test_generator_abandoned_in_run_a_and_collected_in_run_b_leaves_b_alone(logs: Captured) -> None:
    """A generator's scope finalized by the garbage collector while run B is in force keeps B's IDs."""
    with agentlog.run():
        abandoned = _tool_generator()
        next(abandoned)
    with agentlog.run() as b:
        del abandoned
        gc.collect()
        current = agentlog.current()
        assert current is not None and current.run_id == b.run_id
        agentlog.get_logger().info("still in b")
    line = logs.one("still in b")
    assert line["run_id"] == b.run_id
    assert "tool_call_id" not in line
    assert agentlog.problems()


def test_generator_closed_outside_any_run_leaves_no_ids_behind(logs: Captured) -> None:
    """Closing an abandoned generator after its run ended does not bring the run's IDs back."""
    with agentlog.run():
        abandoned = _tool_generator()
        next(abandoned)
    abandoned.close()
    assert agentlog.current() is None


def test_generator_closed_in_a_copied_context_of_another_run_leaves_it_alone(logs: Captured) -> None:
    """A token reset that fails (another Context) does not fall back to writing the old run's IDs."""
    with agentlog.run():
        abandoned = _tool_generator()
        next(abandoned)
    with agentlog.run() as b:
        other = contextvars.copy_context()
        other.run(abandoned.close)
        seen = other.run(agentlog.current)
        assert seen is not None and seen.run_id == b.run_id
        current = agentlog.current()
        assert current is not None and current.run_id == b.run_id


def test_a_generator_finishing_normally_restores_its_run(logs: Captured) -> None:
    """The ordinary case still restores: the generator ends inside the run that started it."""
    with agentlog.run() as a:
        with agentlog.step("tool") as step:
            assert list(_tool_generator()) == [1, 2]
            current = agentlog.current()
            assert current is not None and current.span_id == step.span_id
        current = agentlog.current()
        assert current is not None and current.span_id == a.span_id
    assert not agentlog.problems()


async def _async_tool_generator() -> AsyncGenerator[int, None]:
    with agentlog.tool_call("fetch", {"url": "x"}):
        yield 1
        yield 2


def test_async_generator_finalized_in_another_task_keeps_that_tasks_run(logs: Captured) -> None:
    """An async generator left open by run A and finalized by the loop in run B's task keeps B's IDs."""

    async def run_a() -> AsyncGenerator[int, None]:
        with agentlog.run():
            agen = _async_tool_generator()
            await agen.__anext__()
            return agen

    async def main() -> None:
        agen = await run_a()
        with agentlog.run() as b:
            await agen.aclose()
            current = agentlog.current()
            assert current is not None and current.run_id == b.run_id
            agentlog.get_logger().info("b after aclose")

    asyncio.run(main())
    assert logs.one("b after aclose")["run_id"] == logs.events("run_started")[1]["run_id"]


def test_child_run_opened_inside_a_scope_is_left_when_the_scope_exits(logs: Captured) -> None:
    """Exiting a step with a helper-opened child run in force still returns to the step's parent."""
    with agentlog.run() as parent:
        with agentlog.step("plan"):
            agentlog.events.run_started(task="child")
        current = agentlog.current()
        assert current is not None and current.span_id == parent.span_id


@pytest.mark.xfail(
    reason="known race, present before issue 13: a generator finalized by GC on another thread can "
    "leave a line with another run's IDs (about 1 run in 16); needs its own issue",
    strict=False,
)
def test_many_abandoned_generators_across_threads_never_bleed(logs: Captured) -> None:
    """Threads running runs while generators from other runs are collected: every line has its own run."""
    errors: list[str] = []
    keep: list[Iterator[int]] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(50):
            with agentlog.run() as run:
                generator = _tool_generator()
                next(generator)
                with lock:
                    keep.append(generator)
                    victim = keep.pop(rng.randrange(len(keep))) if rng.random() < 0.7 else None
                del victim
                if rng.random() < 0.3:
                    gc.collect()
                current = agentlog.current()
                if current is None or current.run_id != run.run_id:
                    errors.append(f"{run.run_id} saw {current}")
                agentlog.get_logger().info("probe", expected=run.run_id)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keep.clear()
    gc.collect()
    assert errors == []
    probes = logs.events("probe")
    assert len(probes) == 200
    assert all(line["run_id"] == line["expected"] for line in probes)
