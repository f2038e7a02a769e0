"""Decorators: @agentlog.tool, @agentlog.run(), @agentlog.step(...), sync and async."""

from __future__ import annotations

import asyncio

import pytest

import agentlog
from tests.conftest import Captured


@agentlog.tool
def search_docs(query: str, k: int = 3) -> list[str]:
    """A sync tool."""
    return [f"{query}-{i}" for i in range(k)]


@agentlog.tool(name="weather", capture="full")
async def fetch_weather(city: str) -> str:
    """An async tool with a name of its own and full capture."""
    await asyncio.sleep(0)
    if city == "Atlantis":
        raise LookupError("no such city")
    return f"sunny in {city}"


class Toolbox:
    """Tools as methods: self is not an argument."""

    @agentlog.tool
    def add(self, a: int, b: int) -> int:
        """Add two numbers."""
        return a + b


def test_tool_decorator_writes_a_tool_call_per_call(logs: Captured) -> None:
    """Each call is a tool call named after the function, args hashed with defaults filled."""
    with agentlog.run():
        assert search_docs("refund") == ["refund-0", "refund-1", "refund-2"]
        search_docs(query="refund", k=3)
    calls = logs.events("tool_call")
    assert [c["tool"] for c in calls] == ["search_docs", "search_docs"]
    assert calls[0]["args_hash"] == calls[1]["args_hash"] == agentlog.hash_value({"query": "refund", "k": 3})
    results = logs.events("tool_result")
    assert results[0]["result_hash"] == agentlog.hash_value(["refund-0", "refund-1", "refund-2"])
    assert logs.one("run_finished")["tool_calls"] == 2


def test_async_tool_decorator_and_errors(logs: Captured) -> None:
    """Async tools work; an exception is recorded and re-raised unchanged."""

    async def main() -> None:
        with agentlog.run():
            assert await fetch_weather("Oslo") == "sunny in Oslo"
            with pytest.raises(LookupError, match="no such city"):
                await fetch_weather("Atlantis")

    asyncio.run(main())
    calls = logs.events("tool_call")
    assert [c["tool"] for c in calls] == ["weather", "weather"]
    assert calls[0]["args"] == {"city": "Oslo"}
    results = logs.events("tool_result")
    assert results[0]["result"] == "sunny in Oslo"
    assert results[1]["status"] == "error"
    assert results[1]["error_class"] == "LookupError"


def test_method_tools_leave_out_self(logs: Captured) -> None:
    """A decorated method hashes its arguments without self."""
    with agentlog.run():
        assert Toolbox().add(2, 3) == 5
    assert logs.one("tool_call")["args_hash"] == agentlog.hash_value({"a": 2, "b": 3})


def test_decorators_keep_names_and_docs() -> None:
    """functools.wraps: the decorated function keeps its name and docstring."""
    assert search_docs.__name__ == "search_docs"
    assert search_docs.__doc__ == "A sync tool."
    assert asyncio.iscoroutinefunction(fetch_weather)


def test_run_decorator_makes_a_run_per_call(logs: Captured) -> None:
    """@agentlog.run() on an entry point: each call is a new run, task = its arguments."""

    @agentlog.run(user_id="u-1", metadata={"prompt_version": "v2"})
    def answer(question: str) -> str:
        return search_docs(question)[0]

    answer("one")
    answer("two")
    started = logs.events("run_started")
    assert len({s["run_id"] for s in started}) == 2
    assert started[0]["task_hash"] == agentlog.hash_value({"question": "one"})
    assert started[0]["user_id"] == "u-1"
    assert started[0]["prompt_version"] == "v2"
    assert [f["tool_calls"] for f in logs.events("run_finished")] == [1, 1]


def test_async_run_and_step_decorators(logs: Captured) -> None:
    """@agentlog.run() and @agentlog.step(...) decorate async functions too."""

    @agentlog.step("plan")
    async def plan() -> str:
        return "search"

    @agentlog.run(task="fixed task")
    async def agent() -> str:
        return await plan()

    assert asyncio.run(agent()) == "search"
    assert logs.one("run_started")["task_hash"] == agentlog.hash_value("fixed task")
    assert logs.one("agent_step")["step_type"] == "plan"
    assert logs.one("run_finished")["total_steps"] == 1


def test_decorated_run_records_failures(logs: Captured) -> None:
    """An exception escaping a decorated run ends it with status error, re-raised."""

    @agentlog.run()
    def failing() -> None:
        search_docs("x", k="not-a-number")  # type: ignore[arg-type]

    with pytest.raises(TypeError):
        failing()
    finished = logs.one("run_finished")
    assert finished["status"] == "error"
    assert finished["stop_reason"] == "tool_error"


def test_bare_run_decorator(logs: Captured) -> None:
    """@agentlog.run without parentheses decorates too (sync and async)."""

    @agentlog.run
    def answer(question: str) -> str:
        return question.upper()

    @agentlog.run
    async def answer_async(question: str) -> str:
        return question.lower()

    assert answer("hi") == "HI"
    assert asyncio.run(answer_async("HO")) == "ho"
    started = logs.events("run_started")
    assert [s["task_hash"] for s in started] == [
        agentlog.hash_value({"question": "hi"}),
        agentlog.hash_value({"question": "HO"}),
    ]
    assert len(logs.events("run_finished")) == 2
