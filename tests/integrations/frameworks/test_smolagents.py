"""The smolagents adapter against real smolagents agents driven by a scripted offline model.

The model is a ``smolagents.models.Model`` subclass, as smolagents' own
tests use: each ``generate`` returns the next scripted ``ChatMessage`` with
its tool calls (the IDs the test checks for) and its ``TokenUsage``.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("smolagents")

import importlib

import structlog

import agentlog
from agentlog import _diagnostics
from agentlog.integrations import smolagents as adapter
from tests.conftest import Captured
from tests.integrations.frameworks.support import check_run, show, tool_pairs
from tests.otel_support import Recorded

# smolagents ships no type information: its names are Any here.
smolagents = importlib.import_module("smolagents")
models = importlib.import_module("smolagents.models")
ScriptedBase: Any = models.Model
TokenUsage = importlib.import_module("smolagents.monitoring").TokenUsage
CodeAgent, LogLevel, ToolCallingAgent = smolagents.CodeAgent, smolagents.LogLevel, smolagents.ToolCallingAgent
ChatMessage, ChatMessageToolCall = models.ChatMessage, models.ChatMessageToolCall
ChatMessageToolCallFunction, MessageRole = models.ChatMessageToolCallFunction, models.MessageRole

Call = tuple[str, dict[str, Any], str]


class Scripted(ScriptedBase):  # type: ignore[misc]  # an untyped base
    """Answers with the scripted turns in order: tool calls (name, arguments, ID) or a final text."""

    def __init__(
        self, turns: list[list[Call] | str], *, model_id: str = "scripted-model", **kwargs: Any
    ) -> None:
        super().__init__(model_id=model_id, **kwargs)
        self.turns = list(turns)
        self.calls = 0

    def generate(
        self,
        messages: list[Any],
        stop_sequences: list[str] | None = None,
        response_format: Any = None,
        tools_to_call_from: Any = None,
        **kwargs: Any,
    ) -> Any:
        turn = self.turns[self.calls]
        self.calls += 1
        usage = TokenUsage(input_tokens=100 + self.calls, output_tokens=10 + self.calls)
        if isinstance(turn, str):
            return ChatMessage(role=MessageRole.ASSISTANT, content=turn, token_usage=usage)
        calls = [
            ChatMessageToolCall(
                id=call_id,
                type="function",
                function=ChatMessageToolCallFunction(name=name, arguments=arguments),
            )
            for name, arguments, call_id in turn
        ]
        return ChatMessage(role=MessageRole.ASSISTANT, content="", tool_calls=calls, token_usage=usage)


def weather(city: str) -> str:
    """The weather in a city.

    Args:
        city: The city.
    """
    structlog.get_logger("tools").info("weather looked up")
    logging.getLogger("tools.weather").warning("stdlib line in the tool")
    return f"sunny in {city}"


weather_tool = smolagents.tool(weather)


class QuotaExceededError(RuntimeError):
    """The failing tool's own exception class."""


def book(city: str) -> str:
    """Book a trip; always fails.

    Args:
        city: The city.
    """
    raise QuotaExceededError("no seats left")


book_tool = smolagents.tool(book)


def final(answer: str, call_id: str) -> list[Call]:
    return [("final_answer", {"answer": answer}, call_id)]


def two_tools(city: str = "Paris", tag: str = "") -> list[list[Call] | str]:
    """A model that calls weather and book in one turn (in smolagents' worker threads), then answers."""
    return [
        [("weather", {"city": city}, f"call_weather{tag}"), ("book", {"city": city}, f"call_book{tag}")],
        final("done", f"call_final{tag}"),
    ]


def agent(turns: list[list[Call] | str], name: str = "planner", **options: Any) -> Any:
    return ToolCallingAgent(
        tools=[weather_tool, book_tool],
        model=Scripted(turns),
        verbosity_level=LogLevel.OFF,
        name=name,
        **options,
    )


@pytest.fixture(autouse=True)
def instrumented() -> Iterator[None]:
    adapter.instrument()
    yield
    adapter.uninstrument()


def only_run(logs: Captured) -> str:
    started = logs.events("run_started")
    assert len(started) == 1
    return str(started[0]["run_id"])


def test_run_with_a_failing_tool(logs: Captured) -> None:
    """Totals, the model's tool-call IDs, its token counts, the failing tool's own error, and show."""
    assert agent(two_tools()).run("Plan a trip to Paris") == "done"
    lines = logs.lines()
    run_id = only_run(logs)
    end = check_run(lines, run_id, tool_calls=3, llm_calls=2, errors=1)
    assert end["status"] == "ok" and end["stop_reason"] == "completed"
    assert end["input_tokens"] == 101 + 102 and end["output_tokens"] == 11 + 12
    assert [(line["input_tokens"], line["output_tokens"]) for line in logs.events("llm_result")] == [
        (101, 11),
        (102, 12),
    ]
    llm = logs.events("llm_result")[0]
    assert llm["model"] == "scripted-model" and llm["finish_reason"] == "tool_calls"
    assert llm["status"] == "ok" and llm["latency_ms"] >= 0
    pairs = tool_pairs(lines)
    assert set(pairs) == {"call_weather", "call_book", "call_final"}
    call, result = pairs["call_book"]
    assert call["tool"] == "book" and result["status"] == "error"
    assert result["error_class"] == "QuotaExceededError" and result["error_message"] == "no seats left"
    assert pairs["call_weather"][1]["status"] == "ok"
    assert logs.one("run_started")["agent"] == "planner"
    assert logs.one("run_started")["framework"] == "smolagents"
    assert "book" in show(logs, run_id)


def test_user_lines_inside_a_tool_carry_the_ids(logs: Captured) -> None:
    """Structlog and stdlib lines inside a tool (run in a worker thread) carry run, step and call IDs."""
    agent(two_tools()).run("Plan a trip")
    run_id = only_run(logs)
    call = tool_pairs(logs.lines())["call_weather"][0]
    for event in ("weather looked up", "stdlib line in the tool"):
        line = logs.one(event)
        assert line["run_id"] == run_id
        assert line["tool_call_id"] == "call_weather"
        assert line["step_id"] == call["step_id"]
        assert line["span_id"] == call["span_id"]


def test_nothing_raw_by_default_and_everything_with_full_capture(logs: Captured, tmp_path: Any) -> None:
    """Default capture hashes task, prompt, arguments and results; capture="full" writes them."""
    city = "Quuxtown"
    agent(two_tools(city)).run(f"Plan a trip to {city}")
    check_run(logs.lines(), only_run(logs), tool_calls=3, llm_calls=2, errors=1, raw=[city])
    full = tmp_path / "full.jsonl"
    agentlog.configure(service="svc", output=full, capture="full")
    agent(two_tools(city)).run(f"Plan a trip to {city}")
    text = full.read_text()
    assert f'"city":"{city}"' in text  # arguments
    assert f"sunny in {city}" in text  # a result
    assert f"Plan a trip to {city}" in text  # task and prompt


def test_concurrent_runs_keep_their_own_ids(logs: Captured) -> None:
    """Six runs at once (asyncio.gather over threads): each run's lines carry only its own IDs."""

    async def main() -> list[Any]:
        agents = [agent(two_tools(tag=f"_{i}"), name=f"agent{i}") for i in range(6)]
        return await asyncio.gather(*(asyncio.to_thread(a.run, f"task {i}") for i, a in enumerate(agents)))

    assert asyncio.run(main()) == ["done"] * 6
    lines = logs.lines()
    started = logs.events("run_started")
    assert len(started) == 6
    for run in started:
        tag = run["agent"].removeprefix("agent")
        check_run(lines, run["run_id"], tool_calls=3, llm_calls=2, errors=1)
        own = [line for line in lines if line.get("run_id") == run["run_id"]]
        ids = {line["tool_call_id"] for line in own if "tool_call_id" in line}
        assert ids == {f"call_weather_{tag}", f"call_book_{tag}", f"call_final_{tag}"}
        tool_lines = [line for line in lines if line["event"] == "weather looked up"]
        mine = [line for line in tool_lines if line["tool_call_id"] == f"call_weather_{tag}"]
        assert len(mine) == 1 and mine[0]["run_id"] == run["run_id"]


def test_a_run_inside_an_agentlog_run_is_its_child(logs: Captured) -> None:
    """Inside ``with agentlog.run()``, the smolagents run is a child run in the same trace."""
    with agentlog.run(task="outer") as outer:
        agent(two_tools()).run("Plan a trip")
    child = [line for line in logs.events("run_started") if line["run_id"] != outer.run_id]
    assert len(child) == 1
    assert child[0]["parent_run_id"] == outer.run_id
    assert child[0]["trace_id"] == outer.trace_id
    check_run(logs.lines(), child[0]["run_id"], tool_calls=3, llm_calls=2, errors=1)


def test_a_managed_agent_is_a_child_run_of_the_tool_call(logs: Captured) -> None:
    """A managed agent (a team member the model calls as a tool) runs as a child run under that call."""
    member = ToolCallingAgent(
        tools=[weather_tool],
        model=Scripted(
            [[("weather", {"city": "Oslo"}, "call_member_weather")], final("cold", "call_member_final")]
        ),
        verbosity_level=LogLevel.OFF,
        name="scout",
        description="Finds the weather.",
    )
    boss = ToolCallingAgent(
        tools=[],
        model=Scripted(
            [[("scout", {"task": "weather in Oslo"}, "call_scout")], final("ok", "call_boss_final")]
        ),
        managed_agents=[member],
        verbosity_level=LogLevel.OFF,
        name="boss",
    )
    assert boss.run("Ask the scout") == "ok"
    lines = logs.lines()
    runs = {line["agent"]: line for line in logs.events("run_started")}
    parent, child = runs["boss"], runs["scout"]
    assert child["parent_run_id"] == parent["run_id"] and child["trace_id"] == parent["trace_id"]
    scout_call = tool_pairs(lines)["call_scout"][0]
    assert scout_call["run_id"] == parent["run_id"]
    assert child["parent_span_id"] == scout_call["span_id"]
    check_run(lines, parent["run_id"], tool_calls=2, llm_calls=2, errors=0)
    check_run(lines, child["run_id"], tool_calls=2, llm_calls=2, errors=0)


def test_code_agent_tools_called_from_code(logs: Captured) -> None:
    """CodeAgent: tools the code calls are tool calls (agentlog's IDs), the IDs in force inside them."""
    code = 'r = weather(city="Rome")\nfinal_answer(r)'
    runner = CodeAgent(
        tools=[weather_tool],
        model=Scripted([f"Thought: look it up.\n<code>\n{code}\n</code>"]),
        verbosity_level=LogLevel.OFF,
        name="coder",
    )
    assert runner.run("Weather in Rome?") == "sunny in Rome"
    lines = logs.lines()
    run_id = only_run(logs)
    check_run(lines, run_id, tool_calls=2, llm_calls=1, errors=0)
    pairs = tool_pairs(lines)
    by_tool = {call["tool"]: (call, result) for call, result in pairs.values()}
    assert set(by_tool) == {"weather", "final_answer"}
    inner = logs.one("weather looked up")
    assert inner["run_id"] == run_id and inner["tool_call_id"] == by_tool["weather"][0]["tool_call_id"]


def test_streamed_run_is_followed_to_its_end(logs: Captured) -> None:
    """``run(stream=True)``: the run ends when the stream does, with the same totals."""
    steps = list(agent(two_tools()).run("Plan a trip", stream=True))
    assert steps
    check_run(logs.lines(), only_run(logs), tool_calls=3, llm_calls=2, errors=1)


def test_max_steps_is_the_stop_reason(logs: Captured) -> None:
    """A run that hits max_steps says so (smolagents then asks the model for a final answer)."""
    turns: list[list[Call] | str] = [[("weather", {"city": "Lima"}, f"call_{i}")] for i in range(2)]
    turns.append("best guess")
    agent(turns, max_steps=2).run("Loop")
    end = check_run(logs.lines(), only_run(logs), tool_calls=2, llm_calls=3, errors=0)
    assert end["stop_reason"] == "max_steps"


def test_instrument_is_idempotent_and_uninstrument_undoes_it(logs: Captured) -> None:
    """A second instrument() changes nothing; after uninstrument() a run writes no agentlog event."""
    multi_step_agent = importlib.import_module("smolagents.agents").MultiStepAgent
    adapter.instrument()
    agent(two_tools()).run("Plan a trip")
    assert len(logs.events("run_started")) == 1
    assert len(logs.events("tool_call")) == 3
    adapter.uninstrument()
    assert not adapter.instrumentor().installed
    assert not hasattr(multi_step_agent.run, "__wrapped__")
    assert not hasattr(Scripted.generate, "__wrapped__")
    before = len(logs.lines())
    assert agent(two_tools()).run("Plan a trip") == "done"
    after = logs.lines()[before:]
    # Only the tool's own two lines, outside any run now.
    assert [line["event"] for line in after] == ["weather looked up", "stdlib line in the tool"]
    assert all("run_id" not in line for line in after)


def test_without_the_framework_instrument_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the framework missing, instrument() raises an ImportError naming the extra, installing nothing."""
    adapter.uninstrument()
    monkeypatch.setitem(sys.modules, "smolagents", None)
    with pytest.raises(ImportError, match="'smolagents' extra"):
        adapter.instrument()
    assert not adapter.instrumentor().installed


def test_adapter_failures_are_counted_and_the_agent_goes_on(
    logs: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tracker that raises on every tool call: counted in problems(), the agent's answer unchanged."""
    _diagnostics.clear()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("agentlog bug")

    monkeypatch.setattr(adapter._TRACKER, "tool", broken)
    assert agent(two_tools()).run("Plan a trip") == "done"
    assert any("smolagents adapter failed" in problem for problem in agentlog.problems())
    end = check_run(logs.lines(), only_run(logs), tool_calls=0, llm_calls=2, errors=0)
    assert end["status"] == "ok"


def test_otel_spans_are_agentlogs_own_one_per_operation(logs: Captured) -> None:
    """Smolagents emits no OpenTelemetry spans: agentlog's are the only ones, one per run, call, step."""
    recorded = Recorded()
    agentlog.configure(service="svc", output=logs.path, otel_spans=True, tracer_provider=recorded.provider)
    agent(two_tools()).run("Plan a trip")
    recorded.provider.force_flush()
    spans = recorded.get_finished_spans()
    names = sorted(span.name for span in spans)
    assert names.count("invoke_agent svc") == 1
    assert names.count("chat scripted-model") == 2
    assert sorted(name for name in names if name.startswith("execute_tool")) == [
        "execute_tool book",
        "execute_tool final_answer",
        "execute_tool weather",
    ]
    ids = {f"{span.context.span_id:016x}" for span in spans if span.context is not None}
    for line in logs.lines():
        if line["event"] in ("run_started", "llm_result", "tool_call", "tool_result"):
            assert line["span_id"] in ids
    recorded.provider.shutdown()


REQUEST_FIELDS = ("temperature", "max_tokens", "top_p", "seed")


def test_model_kwargs_are_on_every_llm_result_and_absent_when_unset(logs: Captured) -> None:
    """Model(temperature=..., max_tokens=..., top_p=..., seed=...) is written on each call; unset, none."""
    settings: dict[str, Any] = {"temperature": 0.2, "max_tokens": 256, "top_p": 0.9, "seed": 42}
    model = Scripted([final("done", "call_final")], **settings)
    ToolCallingAgent(tools=[], model=model, verbosity_level=LogLevel.OFF).run("hi")
    given = logs.one("llm_result")
    assert {name: given[name] for name in REQUEST_FIELDS} == settings
    logs.path.write_bytes(b"")
    ToolCallingAgent(
        tools=[], model=Scripted([final("done", "call_plain")]), verbosity_level=LogLevel.OFF
    ).run("hi")
    assert not set(REQUEST_FIELDS) & set(logs.one("llm_result"))


def test_model_kwargs_win_over_the_calls_and_removed_or_bad_ones_are_left_out(logs: Captured) -> None:
    """As smolagents merges them: the model's temperature over the call's; REMOVE_PARAMETER or text, none."""
    helper = Scripted(["sunny"], temperature=0.2, top_p=models.REMOVE_PARAMETER, seed="7")

    def ask_helper(city: str) -> str:
        """Ask a helper model.

        Args:
            city: The city.
        """
        return str(helper.generate([], temperature=0.9, top_p=0.5, max_tokens=32).content)

    main = Scripted([[("ask_helper", {"city": "Paris"}, "call_ask")], final("done", "call_final")])
    ToolCallingAgent(tools=[smolagents.tool(ask_helper)], model=main, verbosity_level=LogLevel.OFF).run(
        "weather?"
    )
    (asked,) = [line for line in logs.events("llm_result") if line.get("temperature") is not None]
    assert (asked["temperature"], asked["max_tokens"]) == (0.2, 32)
    assert not {"top_p", "seed", "invalid"} & set(asked)
