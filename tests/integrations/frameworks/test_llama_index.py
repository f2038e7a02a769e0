"""The LlamaIndex adapter against real workflow agents driven by a scripted offline LLM.

The LLM is a ``FunctionCallingLLM`` subclass whose turns are scripted: tool
calls (``ToolSelection`` with the ``tool_id`` the test checks for) or a
final text, and a raw response carrying the token usage the way provider
integrations report it.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

pytest.importorskip("llama_index.core")

import structlog
from llama_index.core import llms, tools
from llama_index.core.agent import workflow
from llama_index.core.llms import ChatMessage, ChatResponse, MockLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from pydantic import Field, PrivateAttr
from workflows.errors import WorkflowCancelledByUser

import agentlog
from agentlog import _diagnostics
from agentlog.integrations import llama_index as adapter
from tests.conftest import Captured
from tests.integrations.frameworks.support import check_run, show, tool_pairs
from tests.otel_support import Recorded

# LlamaIndex workflows inspect their agents' members, touching pydantic's deprecated ones: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecationWarning")

Call = tuple[str, dict[str, Any], str]
Turn = list[Call] | str


class Scripted(FunctionCallingLLM):
    """Answers with the scripted turns in order; usage in ``raw["usage"]`` (OpenAI's names) by default."""

    _turns: list[Turn] = PrivateAttr(default_factory=list)
    _raw: Any = PrivateAttr(default=None)
    _calls: int = PrivateAttr(default=0)

    def __init__(self, turns: list[Turn], raw: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._turns = list(turns)
        self._raw = raw

    @property
    def metadata(self) -> Any:
        return llms.LLMMetadata(
            model_name="scripted-model", is_function_calling_model=True, is_chat_model=True
        )

    def _next(self) -> Any:
        turn = self._turns[self._calls]
        self._calls += 1
        raw = (
            self._raw(self._calls)
            if self._raw is not None
            else {"usage": {"prompt_tokens": 200 + self._calls, "completion_tokens": 20 + self._calls}}
        )
        if isinstance(turn, str):
            return ChatResponse(message=ChatMessage(role="assistant", content=turn), raw=raw)
        selections = [
            tools.ToolSelection(tool_id=call_id, tool_name=name, tool_kwargs=arguments)
            for name, arguments, call_id in turn
        ]
        message = ChatMessage(role="assistant", content="", additional_kwargs={"tool_calls": selections})
        return ChatResponse(message=message, raw=raw)

    @llm_chat_callback()
    def chat(self, messages: Any, **kwargs: Any) -> Any:
        return self._next()

    @llm_chat_callback()
    async def achat(self, messages: Any, **kwargs: Any) -> Any:
        return self._next()

    @llm_chat_callback()
    def stream_chat(self, messages: Any, **kwargs: Any) -> Any:
        response = self._next()
        return iter([response])

    @llm_chat_callback()
    async def astream_chat(self, messages: Any, **kwargs: Any) -> Any:
        response = self._next()

        async def stream() -> AsyncIterator[Any]:
            yield response

        return stream()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        return llms.CompletionResponse(text="")

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        return iter([llms.CompletionResponse(text="", delta="")])

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        return llms.CompletionResponse(text="")

    @llm_completion_callback()
    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        async def stream() -> AsyncIterator[Any]:
            yield llms.CompletionResponse(text="", delta="")

        return stream()

    def _prepare_chat_with_tools(
        self,
        tools: Any,
        user_msg: Any = None,
        chat_history: Any = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        messages = list(chat_history or [])
        if user_msg is not None:
            messages.append(
                ChatMessage(role="user", content=user_msg) if isinstance(user_msg, str) else user_msg
            )
        return {"messages": messages}

    def get_tool_calls_from_response(
        self, response: Any, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> Any:
        return list(response.message.additional_kwargs.get("tool_calls", []))


def weather(city: str) -> str:
    """The weather in a city (sync: LlamaIndex runs it in an executor thread)."""
    structlog.get_logger("tools").info("weather looked up")
    logging.getLogger("tools.weather").warning("stdlib line in the tool")
    return f"sunny in {city}"


class QuotaExceededError(RuntimeError):
    """The failing tool's own exception class."""


async def book(city: str) -> str:
    """Book a trip; always fails (async: runs in the step's task)."""
    agentlog.get_logger("tools").info("booking")
    raise QuotaExceededError("no seats left")


def two_tools(city: str = "Paris", tag: str = "") -> list[Turn]:
    """Weather and book in one turn (two parallel call_tool steps), then a final answer."""
    return [
        [("weather", {"city": city}, f"call_weather{tag}"), ("book", {"city": city}, f"call_book{tag}")],
        "done",
    ]


def agent(turns: list[Turn], name: str = "planner", **options: Any) -> Any:
    return workflow.FunctionAgent(
        tools=[tools.FunctionTool.from_defaults(weather), tools.FunctionTool.from_defaults(book)],
        llm=Scripted(turns, raw=options.pop("raw", None)),
        name=name,
        description=f"The {name} agent.",
        **options,
    )


async def run(runner: Any, task: str) -> str:
    return str(await runner.run(user_msg=task))


@pytest.fixture(autouse=True)
def instrumented() -> Iterator[None]:
    adapter.instrument()
    yield
    adapter.uninstrument()


def only_run(logs: Captured) -> str:
    started = logs.events("run_started")
    assert len(started) == 1, started
    return str(started[0]["run_id"])


def test_run_with_a_failing_tool(logs: Captured) -> None:
    """Totals, the model's tool IDs, its token counts, the failing tool's own error, and show."""
    assert asyncio.run(run(agent(two_tools()), "Plan a trip to Paris")) == "done"
    lines = logs.lines()
    run_id = only_run(logs)
    end = check_run(lines, run_id, tool_calls=2, llm_calls=2, errors=1)
    assert end["status"] == "ok" and end["stop_reason"] == "completed"
    assert end["input_tokens"] == 201 + 202 and end["output_tokens"] == 21 + 22
    results = logs.events("llm_result")
    assert [(line["input_tokens"], line["output_tokens"]) for line in results] == [(201, 21), (202, 22)]
    assert results[0]["model"] == "scripted-model" and results[0]["finish_reason"] == "tool_calls"
    assert results[1]["finish_reason"] == "stop" and results[0]["status"] == "ok"
    pairs = tool_pairs(lines)
    assert set(pairs) == {"call_weather", "call_book"}
    call, result = pairs["call_book"]
    assert call["tool"] == "book" and result["status"] == "error"
    assert result["error_class"] == "QuotaExceededError" and result["error_message"] == "no seats left"
    assert pairs["call_weather"][1]["status"] == "ok"
    started = logs.one("run_started")
    assert started["agent"] == "planner" and started["framework"] == "llama_index"
    assert "book" in show(logs, run_id)


def test_user_lines_inside_tools_carry_the_ids(logs: Captured) -> None:
    """Structlog and stdlib lines in a sync tool (executor thread) and an async one carry the IDs."""
    asyncio.run(run(agent(two_tools()), "Plan a trip"))
    run_id = only_run(logs)
    pairs = tool_pairs(logs.lines())
    for event, call_id in (
        ("weather looked up", "call_weather"),
        ("stdlib line in the tool", "call_weather"),
        ("booking", "call_book"),
    ):
        line = logs.one(event)
        call = pairs[call_id][0]
        assert line["run_id"] == run_id
        assert line["tool_call_id"] == call_id
        assert line["step_id"] == call["step_id"] and line["span_id"] == call["span_id"]


def test_nothing_raw_by_default_and_everything_with_full_capture(logs: Captured, tmp_path: Any) -> None:
    """Default capture hashes task, prompt, arguments and results; capture="full" writes them."""
    city = "Quuxtown"
    asyncio.run(run(agent(two_tools(city)), f"Plan a trip to {city}"))
    check_run(logs.lines(), only_run(logs), tool_calls=2, llm_calls=2, errors=1, raw=[city])
    full = tmp_path / "full.jsonl"
    agentlog.configure(service="svc", output=full, capture="full")
    asyncio.run(run(agent(two_tools(city)), f"Plan a trip to {city}"))
    text = full.read_text()
    assert f'"city":"{city}"' in text  # arguments
    assert f"sunny in {city}" in text  # a result
    assert f"Plan a trip to {city}" in text  # task and prompt


def test_concurrent_runs_keep_their_own_ids(logs: Captured) -> None:
    """Six agent runs under asyncio.gather: each run's lines carry only its own IDs, exact totals."""

    async def main() -> list[str]:
        agents = [agent(two_tools(tag=f"_{i}"), name=f"agent{i}") for i in range(6)]
        return await asyncio.gather(*(run(a, f"task {i}") for i, a in enumerate(agents)))

    assert asyncio.run(main()) == ["done"] * 6
    lines = logs.lines()
    started = logs.events("run_started")
    assert len(started) == 6
    for begun in started:
        tag = begun["agent"].removeprefix("agent")
        check_run(lines, begun["run_id"], tool_calls=2, llm_calls=2, errors=1)
        own = [line for line in lines if line.get("run_id") == begun["run_id"]]
        assert {line["tool_call_id"] for line in own if "tool_call_id" in line} == {
            f"call_weather_{tag}",
            f"call_book_{tag}",
        }


def test_a_run_inside_an_agentlog_run_is_its_child(logs: Captured) -> None:
    """Inside ``with agentlog.run()``, the agent run is a child run in the same trace."""

    async def main() -> None:
        with agentlog.run(task="outer") as outer:
            await run(agent(two_tools()), "Plan a trip")
        child = [line for line in logs.events("run_started") if line["run_id"] != outer.run_id]
        assert len(child) == 1
        assert child[0]["parent_run_id"] == outer.run_id and child[0]["trace_id"] == outer.trace_id
        check_run(logs.lines(), child[0]["run_id"], tool_calls=2, llm_calls=2, errors=1)

    asyncio.run(main())


def test_agent_workflow_hand_off_makes_child_runs(logs: Captured) -> None:
    """AgentWorkflow: the workflow is a run; each agent's turn (root, then after the hand-off) a child run."""
    triage = workflow.FunctionAgent(
        tools=[],
        llm=Scripted([[("handoff", {"to_agent": "booker", "reason": "wants a trip"}, "call_handoff")]]),
        name="triage",
        description="Routes requests.",
        can_handoff_to=["booker"],
    )
    booker = workflow.FunctionAgent(
        tools=[tools.FunctionTool.from_defaults(weather)],
        llm=Scripted([[("weather", {"city": "Oslo"}, "call_oslo")], "booked"]),
        name="booker",
        description="Books trips.",
    )
    flow = workflow.AgentWorkflow(agents=[triage, booker], root_agent="triage")
    assert asyncio.run(run(flow, "Book me Oslo")) == "booked"
    lines = logs.lines()
    runs = {line["agent"]: line for line in logs.events("run_started")}
    assert set(runs) == {"AgentWorkflow", "triage", "booker"}
    parent = runs["AgentWorkflow"]
    for name in ("triage", "booker"):
        assert runs[name]["parent_run_id"] == parent["run_id"]
        assert runs[name]["trace_id"] == parent["trace_id"]
    check_run(lines, parent["run_id"], tool_calls=0, llm_calls=0, errors=0)
    triage_end = check_run(lines, runs["triage"]["run_id"], tool_calls=1, llm_calls=1, errors=0)
    assert triage_end["stop_reason"] == "handoff"
    assert tool_pairs(lines)["call_handoff"][0]["run_id"] == runs["triage"]["run_id"]
    check_run(lines, runs["booker"]["run_id"], tool_calls=1, llm_calls=2, errors=0)


def test_an_agent_called_as_a_tool_is_a_child_run_of_that_call(logs: Captured) -> None:
    """A sub-agent run inside a tool is a child run; its parent span is the tool call's."""
    scout = agent([[("weather", {"city": "Rome"}, "call_scout_weather")], "warm"], name="scout")

    async def ask_scout(question: str) -> str:
        """Ask the scout agent."""
        return str(await scout.run(user_msg=question))

    boss = workflow.FunctionAgent(
        tools=[tools.FunctionTool.from_defaults(ask_scout)],
        llm=Scripted([[("ask_scout", {"question": "Rome?"}, "call_ask")], "it is warm"]),
        name="boss",
    )
    assert asyncio.run(run(boss, "Weather in Rome?")) == "it is warm"
    lines = logs.lines()
    runs = {line["agent"]: line for line in logs.events("run_started")}
    ask = tool_pairs(lines)["call_ask"][0]
    assert runs["scout"]["parent_run_id"] == runs["boss"]["run_id"]
    assert runs["scout"]["parent_span_id"] == ask["span_id"]
    check_run(lines, runs["boss"]["run_id"], tool_calls=1, llm_calls=2, errors=0)
    check_run(lines, runs["scout"]["run_id"], tool_calls=1, llm_calls=2, errors=0)


def test_non_streaming_agent_and_anthropic_shaped_usage(logs: Captured) -> None:
    """streaming=False goes through achat; cache counts are read and input counts them (GenAI way)."""

    def anthropic_raw(call: int) -> dict[str, Any]:
        usage = {"input_tokens": 50, "output_tokens": 5, "cache_read_input_tokens": 30}
        return {"usage": {**usage, "cache_creation_input_tokens": 10}, "stop_reason": "end_turn"}

    runner = agent(["hello"], raw=anthropic_raw, streaming=False)
    assert asyncio.run(run(runner, "Hi")) == "hello"
    result = logs.one("llm_result")
    assert result["input_tokens"] == 90 and result["output_tokens"] == 5
    assert result["cache_read_input_tokens"] == 30 and result["cache_creation_input_tokens"] == 10
    assert result["finish_reason"] == "end_turn"
    check_run(logs.lines(), only_run(logs), tool_calls=0, llm_calls=1, errors=0)


def test_max_iterations_is_the_stop_reason(logs: Captured) -> None:
    """A run stopped by max_iterations fails with stop_reason max_steps."""
    turns: list[Turn] = [[("weather", {"city": "Lima"}, f"call_{i}")] for i in range(5)]

    async def main() -> None:
        with pytest.raises(Exception, match="Max iterations"):
            await agent(turns).run(user_msg="Loop", max_iterations=2)

    asyncio.run(main())
    end = logs.one("run_finished")
    assert end["status"] == "error" and end["stop_reason"] == "max_steps"


def test_cancelled_run_and_tool_call(logs: Captured) -> None:
    """A run cancelled while a tool runs: the tool call fails as cancelled, the run stops as cancelled."""

    async def main() -> None:
        started = asyncio.Event()

        async def slow() -> str:
            """Wait long."""
            started.set()
            await asyncio.sleep(30)
            return "late"

        runner = workflow.FunctionAgent(
            tools=[tools.FunctionTool.from_defaults(slow)],
            llm=Scripted([[("slow", {}, "call_slow")], "done"]),
            name="patient",
        )
        handler = runner.run(user_msg="Wait")
        await started.wait()
        await handler.cancel_run()
        with pytest.raises(WorkflowCancelledByUser):
            await handler

    asyncio.run(main())
    _, result = tool_pairs(logs.lines())["call_slow"]
    assert result["status"] == "error" and result["error_class"] == "CancelledError"
    end = check_run(logs.lines(), only_run(logs), tool_calls=1, llm_calls=1, errors=1)
    assert end["stop_reason"] == "cancelled"


def test_instrument_is_idempotent_and_uninstrument_undoes_it(logs: Captured) -> None:
    """A second instrument() adds no second handler; after uninstrument() a run writes no agentlog event."""
    dispatcher = importlib.import_module("llama_index.core.instrumentation").get_dispatcher()
    handlers = len(dispatcher.span_handlers), len(dispatcher.event_handlers)
    adapter.instrument()
    assert (len(dispatcher.span_handlers), len(dispatcher.event_handlers)) == handlers
    asyncio.run(run(agent(two_tools()), "Plan a trip"))
    assert len(logs.events("run_started")) == 1 and len(logs.events("tool_call")) == 2
    adapter.uninstrument()
    assert (len(dispatcher.span_handlers), len(dispatcher.event_handlers)) == (
        handlers[0] - 1,
        handlers[1] - 1,
    )
    before = len(logs.lines())
    assert asyncio.run(run(agent(two_tools()), "Plan a trip")) == "done"
    after = logs.lines()[before:]
    # Only free-form lines (the tools' own, asyncio's), outside any run now.
    assert {"booking", "stdlib line in the tool", "weather looked up"} <= {line["event"] for line in after}
    assert not {line["event"] for line in after} & {"run_started", "llm_result", "tool_call", "run_finished"}
    assert all("run_id" not in line for line in after)


def test_without_the_framework_instrument_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the framework missing, instrument() raises an ImportError naming the extra, installing nothing."""
    adapter.uninstrument()
    monkeypatch.setitem(sys.modules, "llama_index.core.instrumentation", None)
    with pytest.raises(ImportError, match="'llama_index' extra"):
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
    assert asyncio.run(run(agent(two_tools()), "Plan a trip")) == "done"
    assert any("llama_index adapter failed" in problem for problem in agentlog.problems())
    end = check_run(logs.lines(), only_run(logs), tool_calls=0, llm_calls=2, errors=0)
    assert end["status"] == "ok"


def test_otel_spans_are_agentlogs_own_one_per_operation(logs: Captured) -> None:
    """LlamaIndex's dispatcher emits no OpenTelemetry spans: agentlog's are the only ones, one each."""
    recorded = Recorded()
    agentlog.configure(service="svc", output=logs.path, otel_spans=True, tracer_provider=recorded.provider)
    asyncio.run(run(agent(two_tools()), "Plan a trip"))
    spans = recorded.get_finished_spans()
    names = sorted(span.name for span in spans)
    assert names.count("invoke_agent svc") == 1
    assert names.count("chat scripted-model") == 2
    assert sorted(name for name in names if name.startswith("execute_tool")) == [
        "execute_tool book",
        "execute_tool weather",
    ]
    ids = {f"{span.context.span_id:016x}" for span in spans if span.context is not None}
    for line in logs.lines():
        if line["event"] in ("run_started", "llm_result", "tool_call", "tool_result"):
            assert line["span_id"] in ids
    recorded.provider.shutdown()


REQUEST_FIELDS = ("temperature", "max_tokens", "top_p", "seed")


class ScriptedWithSettings(Scripted):
    """The scripted LLM with the settings provider LLM classes declare (OpenAI's: fields and extra kwargs)."""

    temperature: float | None = None
    max_tokens: int | None = None
    additional_kwargs: dict[str, Any] = Field(default_factory=dict)

    def __init__(self, turns: list[Turn], **settings: Any) -> None:
        super().__init__(turns, **settings)


def test_mock_llm_max_tokens_and_call_kwargs_are_on_llm_result(logs: Captured) -> None:
    """LlamaIndex's MockLLM: its max_tokens and the call's temperature, top_p, seed written; unset, none."""
    message = [ChatMessage(role="user", content="hello")]
    with agentlog.run():
        MockLLM(max_tokens=8).chat(message, temperature=0.2, top_p=0.9, seed=42)
        MockLLM().chat(message)
    given, plain = logs.events("llm_result")
    assert {name: given[name] for name in REQUEST_FIELDS} == {
        "temperature": 0.2,
        "max_tokens": 8,
        "top_p": 0.9,
        "seed": 42,
    }
    assert not set(REQUEST_FIELDS) & set(plain)


def test_an_agents_llm_settings_are_on_its_llm_results(logs: Captured) -> None:
    """A FunctionAgent's LLM: its fields and additional_kwargs (which win) on every model call of the run."""
    llm = ScriptedWithSettings(
        two_tools(), temperature=0.7, max_tokens=256, additional_kwargs={"temperature": 0.1, "seed": 42}
    )
    runner = workflow.FunctionAgent(
        tools=[tools.FunctionTool.from_defaults(weather), tools.FunctionTool.from_defaults(book)],
        llm=llm,
        name="planner",
        description="The planner agent.",
    )
    asyncio.run(run(runner, "Plan a trip"))
    calls = logs.events("llm_result")
    assert len(calls) == 2
    for line in calls:
        assert (line["temperature"], line["max_tokens"], line["seed"]) == (0.1, 256, 42)
        assert "top_p" not in line


def test_settings_of_the_wrong_kind_are_left_out(logs: Captured) -> None:
    """A temperature given as text, a bool seed: neither written, nothing flagged invalid."""
    with agentlog.run():
        MockLLM().chat([ChatMessage(role="user", content="hello")], temperature="warm", seed=True)
    line = logs.one("llm_result")
    assert not set(REQUEST_FIELDS) & set(line) and "invalid" not in line
