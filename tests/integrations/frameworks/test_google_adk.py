"""The Google ADK adapter with real ADK runners and a scripted offline model (no network, no key)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("google.adk")

import structlog
from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import InMemoryRunner
from google.adk.tools.agent_tool import AgentTool
from google.genai import types

import agentlog
from agentlog import _diagnostics
from agentlog.integrations import google_adk as adapter
from tests.conftest import Captured, problems_besides_prices
from tests.integrations.frameworks.support import check_run, runs_of, show, tool_pairs

Turn = dict[str, Any]
TYPED = {"run_started", "run_finished", "agent_step", "llm_result", "tool_call", "tool_result"}


class ScriptedLlm(BaseLlm):
    """An ADK model answering scripted turns: function calls (with their IDs), text, and usage."""

    model: str = "scripted-gemini"
    turns: list[Turn] = []  # noqa: RUF012 - a pydantic field: each model gets its own copy

    async def generate_content_async(
        self, llm_request: Any, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        turn = self.turns.pop(0)
        parts = [
            types.Part(function_call=types.FunctionCall(id=call_id, name=name, args=args))
            for name, call_id, args in turn.get("calls", ())
        ]
        if "text" in turn:
            parts.append(types.Part(text=turn["text"]))
        prompt, candidates, cached, thoughts = turn["usage"]
        yield LlmResponse(
            content=types.Content(role="model", parts=parts),
            usage_metadata=types.GenerateContentResponseUsageMetadata(
                prompt_token_count=prompt,
                candidates_token_count=candidates,
                cached_content_token_count=cached,
                thoughts_token_count=thoughts,
            ),
            finish_reason=types.FinishReason.STOP,
        )


def lookup_order(order: str) -> dict[str, str]:
    """Look an order up.

    Args:
        order: The order number.
    """
    agentlog.get_logger().info("order looked up", marker=order)
    structlog.get_logger().info("structlog line in tool", marker=order)
    logging.getLogger("shop.orders").warning("stdlib line in tool %s", order)
    return {"status": f"order {order} shipped"}


def refund(order: str) -> dict[str, str]:
    """Refund an order.

    Args:
        order: The order number.
    """
    raise ValueError("refund window closed")


def answer_tool_error(tool: Any, args: Any, tool_context: Any, error: Exception) -> dict[str, str]:
    """The agent's own recovery: the tool's error goes back to the model as the tool's answer."""
    return {"error": str(error)}


def two_tools_then_answer(order: str = "A-1", prefix: str = "fc") -> list[Turn]:
    """Turn 1 calls both tools (one raises), turn 2 answers."""
    return [
        {
            "calls": [
                ("lookup_order", f"{prefix}-lookup", {"order": order}),
                ("refund", f"{prefix}-refund", {"order": order}),
            ],
            "usage": (11, 5, 3, 2),
        },
        {"text": "Your order shipped; no refund.", "usage": (20, 4, 0, 0)},
    ]


def make_agent(turns: list[Turn], name: str = "shop", **kwargs: Any) -> LlmAgent:
    """An agent on the scripted model, its tool errors answered back to the model."""
    kwargs.setdefault("tools", [lookup_order, refund])
    kwargs.setdefault("on_tool_error_callback", answer_tool_error)
    return LlmAgent(name=name, model=ScriptedLlm(turns=turns), **kwargs)


async def run_agent(agent: LlmAgent, text: str = "Where is order A-1?", user: str = "u-1") -> list[Any]:
    """One runner invocation to the end: its events."""
    runner = InMemoryRunner(agent=agent, app_name="shop")
    session = await runner.session_service.create_session(app_name="shop", user_id=user)
    message = types.Content(role="user", parts=[types.Part(text=text)])
    return [
        event async for event in runner.run_async(user_id=user, session_id=session.id, new_message=message)
    ]


@pytest.fixture
def instrumented() -> Iterator[None]:
    adapter.instrument()
    yield
    adapter.uninstrument()


def the_run(logs: Captured, agent: str = "shop") -> dict[str, Any]:
    """The run_started line of the agent's run."""
    (started,) = [line for line in logs.events("run_started") if line.get("agent") == agent]
    return started


def test_run_totals_call_ids_tokens_and_the_failing_tool(logs: Captured, instrumented: None) -> None:
    """Two model calls and two tool calls (one raising): totals, FunctionCall IDs, tokens, error, show."""
    asyncio.run(run_agent(make_agent(two_tools_then_answer())))
    lines = logs.lines()
    started = the_run(logs)
    assert started["framework"] == "google_adk" and started["user_id"] == "u-1" and started["session_id"]
    run_id = started["run_id"]
    end = check_run(lines, run_id, tool_calls=2, llm_calls=2, errors=1)
    assert end["stop_reason"] == "completed" and end["status"] == "ok"
    assert (end["input_tokens"], end["output_tokens"]) == (31, 11)
    llm = logs.events("llm_result")
    assert [(x["model"], x["input_tokens"], x["output_tokens"]) for x in llm] == [
        ("scripted-gemini", 11, 7),
        ("scripted-gemini", 20, 4),
    ]
    assert llm[0]["cache_read_input_tokens"] == 3 and llm[0]["reasoning_output_tokens"] == 2
    assert [x["finish_reason"] for x in llm] == ["stop", "stop"]
    pairs = tool_pairs(lines)
    assert set(pairs) == {"fc-lookup", "fc-refund"}
    assert pairs["fc-lookup"][1]["status"] == "ok"
    failed = pairs["fc-refund"][1]
    assert failed["status"] == "error" and failed["tool"] == "refund"
    assert (failed["error_class"], failed["error_message"]) == ("ValueError", "refund window closed")
    assert "refund" in show(logs, run_id)


def test_a_tool_error_nobody_answers_fails_the_run(logs: Captured, instrumented: None) -> None:
    """Without a recovery ADK re-raises the tool's error: the tool call and the run fail with it."""
    agent = make_agent(two_tools_then_answer()[:1], on_tool_error_callback=None)
    with pytest.raises(ValueError, match="refund window closed"):
        asyncio.run(run_agent(agent))
    end = check_run(logs.lines(), the_run(logs)["run_id"], tool_calls=2, llm_calls=1, errors=1)
    assert (
        end["status"] == "error" and end["stop_reason"] == "tool_error" and end["error_class"] == "ValueError"
    )
    assert tool_pairs(logs.lines())["fc-refund"][1]["error_class"] == "ValueError"


def test_user_lines_in_a_tool_carry_run_step_and_tool_call(logs: Captured, instrumented: None) -> None:
    """structlog, agentlog and stdlib lines in the tool body carry run_id, step_id, tool_call_id."""
    asyncio.run(run_agent(make_agent(two_tools_then_answer())))
    lines = logs.lines()
    call, _ = tool_pairs(lines)["fc-lookup"]
    names = ("order looked up", "structlog line in tool", "stdlib line in tool A-1")
    mine = [line for line in lines if line["event"] in names]
    assert len(mine) == 3
    for line in mine:
        assert line["run_id"] == the_run(logs)["run_id"]
        assert line["tool_call_id"] == "fc-lookup"
        assert line["step_id"] == call["step_id"] and line["span_id"] == call["span_id"]


def _content_run(path: Path, capture: str | None) -> tuple[str, tuple[str, ...]]:
    """One run with distinctive raw content (argument, prompt, instruction); its lines and that content."""
    raw = (f"ORDER-9e1d-{capture}-arg", f"where-is-my-parcel-{capture}", f"you-are-a-{capture}-instruction")
    agentlog.configure(service="svc", output=path, level="debug", capture=capture)
    agent = make_agent(two_tools_then_answer(order=raw[0]), instruction=raw[2])
    asyncio.run(run_agent(agent, text=raw[1]))
    return path.read_text(), raw


def test_content_follows_the_capture_policy(tmp_path: Path, instrumented: None) -> None:
    """Hash mode (default) writes no raw argument, prompt or instruction; capture="full" writes them."""
    hashed, raw = _content_run(tmp_path / "hash.jsonl", None)
    for value in raw:
        assert value not in hashed
    assert '"args_hash"' in hashed and '"prompt_hash"' in hashed and '"task_hash"' in hashed
    full, raw = _content_run(tmp_path / "full.jsonl", "full")
    for value in raw:
        assert value in full


def test_concurrent_runs_keep_their_own_ids_and_totals(logs: Captured, instrumented: None) -> None:
    """Five runners gathered in asyncio: each run's lines carry only its IDs, and totals are per run."""

    async def main() -> None:
        agents = [make_agent(two_tools_then_answer(order=f"C-{n}", prefix=f"run{n}")) for n in range(5)]
        await asyncio.gather(*(run_agent(agent, user=f"u-{n}") for n, agent in enumerate(agents)))

    asyncio.run(main())
    lines = logs.lines()
    grouped = runs_of(lines)
    runs = logs.events("run_started")
    assert len(runs) == 5
    assert all(line.get("run_id") for line in lines if line["event"] in TYPED)
    for started in runs:
        own = grouped[started["run_id"]]
        check_run(lines, started["run_id"], tool_calls=2, llm_calls=2, errors=1)
        n = started["user_id"].removeprefix("u-")
        assert {line["tool_call_id"] for line in own if line.get("tool_call_id")} == {
            f"run{n}-lookup",
            f"run{n}-refund",
        }
        assert {line["marker"] for line in own if line["event"] == "order looked up"} == {f"C-{n}"}
    assert len({started["trace_id"] for started in runs}) == 5


# ADK's own AgentTool passes its runner's plugins the way ADK 2.13 deprecates.
@pytest.mark.filterwarnings("ignore:The `plugins` argument is deprecated:DeprecationWarning")
def test_inside_agentlog_run_agent_tool_and_transfer_are_child_runs(
    logs: Captured, instrumented: None
) -> None:
    """In `agentlog.run()` the agent is a child run; an AgentTool's agent and a transfer target are its."""
    helper = LlmAgent(
        name="helper",
        model=ScriptedLlm(turns=[{"text": "A-1 shipped", "usage": (5, 2, 0, 0)}]),
        description="x",
    )
    specialist = LlmAgent(
        name="specialist", model=ScriptedLlm(turns=[{"text": "done", "usage": (7, 1, 0, 0)}]), description="y"
    )
    lead = make_agent(
        [
            {"calls": [("helper", "fc-delegate", {"request": "status of A-1?"})], "usage": (9, 3, 0, 0)},
            {
                "calls": [("transfer_to_agent", "fc-transfer", {"agent_name": "specialist"})],
                "usage": (12, 2, 0, 0),
            },
        ],
        tools=[AgentTool(agent=helper)],
        sub_agents=[specialist],
    )
    with agentlog.run() as outer:
        asyncio.run(run_agent(lead))
    lines = logs.lines()
    lead_run, helper_run, specialist_run = the_run(logs), the_run(logs, "helper"), the_run(logs, "specialist")
    assert lead_run["parent_run_id"] == outer.run_id
    assert helper_run["parent_run_id"] == specialist_run["parent_run_id"] == lead_run["run_id"]
    assert {lead_run["trace_id"], helper_run["trace_id"], specialist_run["trace_id"]} == {outer.trace_id}
    check_run(lines, lead_run["run_id"], tool_calls=2, llm_calls=2, errors=0)
    check_run(lines, helper_run["run_id"], tool_calls=0, llm_calls=1, errors=0)
    check_run(lines, specialist_run["run_id"], tool_calls=0, llm_calls=1, errors=0)
    own = [line for line in lines if line.get("run_id") == lead_run["run_id"]]
    assert helper_run["parent_span_id"] == tool_pairs(own)["fc-delegate"][0]["span_id"]


def test_instrument_is_idempotent_and_uninstrument_undoes_it(logs: Captured) -> None:
    """Twice instrumented: one plugin, one run per agent. Uninstrumented: no line, old or new runner."""
    adapter.instrument()
    adapter.instrument()
    try:
        runner = InMemoryRunner(agent=make_agent(two_tools_then_answer() * 2), app_name="shop")
        assert [p.name for p in runner.plugin_manager.plugins].count("agentlog") == 1

        async def invoke() -> None:
            session = await runner.session_service.create_session(app_name="shop", user_id="u")
            message = types.Content(role="user", parts=[types.Part(text="hi")])
            async for _ in runner.run_async(user_id="u", session_id=session.id, new_message=message):
                pass

        asyncio.run(invoke())
        assert len(logs.events("run_started")) == 1 and len(logs.events("llm_result")) == 2
    finally:
        adapter.uninstrument()
    adapter.uninstrument()
    count = len(logs.lines())
    asyncio.run(invoke())
    asyncio.run(run_agent(make_agent(two_tools_then_answer())))
    assert not [line for line in logs.lines()[count:] if line["event"] in TYPED or "run_id" in line]
    adapter.instrument()
    try:
        asyncio.run(run_agent(make_agent(two_tools_then_answer())))
    finally:
        adapter.uninstrument()
    assert len(logs.events("run_started")) == 2


def test_adapter_failures_are_counted_and_the_agent_goes_on(
    logs: Captured, instrumented: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failing tracker: problems counted, the agent's events unchanged."""
    expected = asyncio.run(run_agent(make_agent(two_tools_then_answer())))
    _diagnostics.clear()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("tracker down")

    monkeypatch.setattr(adapter._TRACKER, "tool", broken)
    monkeypatch.setattr(adapter._TRACKER, "usage", broken)
    got = asyncio.run(run_agent(make_agent(two_tools_then_answer())))

    def texts(events: list[Any]) -> list[str]:
        return [part.text for event in events if event.content for part in event.content.parts if part.text]

    assert texts(got) == texts(expected) == ["Your order shipped; no refund."]
    assert sum(agentlog.problems().values()) >= 4
    assert len(logs.events("run_finished")) == 2


def _adk_tracer(monkeypatch: pytest.MonkeyPatch, provider: Any) -> None:
    """Point ADK's module-level tracers at *provider* (ADK reads the global one at import)."""
    import importlib

    tracer = provider.get_tracer("gcp.vertex.agent")
    for name in (
        "google.adk.telemetry.tracing",
        "google.adk.telemetry.node_tracing",
        "google.adk.runners",
        "google.adk.flows.llm_flows.tools._batch_executor",
    ):
        module = importlib.import_module(name)
        if hasattr(module, "tracer"):
            monkeypatch.setattr(module, "tracer", tracer)


def test_agentlog_adopts_adk_spans_one_span_per_operation(
    tmp_path: Path, instrumented: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ADK's tracer recording, its spans are the only ones and agentlog's lines carry their IDs."""
    pytest.importorskip("opentelemetry.sdk")
    from tests.otel_support import Recorded

    recorded = Recorded()
    _adk_tracer(monkeypatch, recorded.provider)
    path = tmp_path / "otel.jsonl"
    agentlog.configure(service="svc", output=path, otel_spans=True, tracer_provider=recorded.provider)
    asyncio.run(run_agent(make_agent(two_tools_then_answer())))
    logs = Captured(path)
    lines = logs.lines()
    spans = recorded.get_finished_spans()
    names = [span.name for span in spans]
    assert names.count("invoke_agent shop") == 1
    assert names.count("generate_content scripted-gemini") == 2
    assert names.count("execute_tool lookup_order") == names.count("execute_tool refund") == 1
    assert not [name for name in names if name.startswith(("step ", "chat ", "invoke_agent svc"))]

    def ids(name: str) -> list[str]:
        return [f"{span.context.span_id:016x}" for span in spans if span.name == name]

    started = logs.one("run_started")
    assert [started["span_id"]] == ids("invoke_agent shop")
    assert started.get("parent_span_id") != started["span_id"]
    assert sorted(x["span_id"] for x in logs.events("llm_result")) == sorted(
        ids("generate_content scripted-gemini")
    )
    pairs = tool_pairs(lines)
    for call, result in pairs.values():
        (span,) = [s for s in spans if s.name == f"execute_tool {call['tool']}"]
        assert span.attributes is not None and span.attributes["gen_ai.tool.call.id"] == call["tool_call_id"]
        assert call["span_id"] == result["span_id"] == f"{span.context.span_id:016x}"
    (user_line,) = [line for line in lines if line["event"] == "order looked up"]
    assert user_line["span_id"] == pairs["fc-lookup"][0]["span_id"]
    trace_ids = {f"{span.context.trace_id:032x}" for span in spans}
    assert len(trace_ids) == 1 and {line["trace_id"] for line in lines if line["event"] in TYPED} == trace_ids
    check_run(lines, started["run_id"], tool_calls=2, llm_calls=2, errors=1)
    recorded.provider.shutdown()


def test_without_adk_tracing_agentlog_makes_the_spans(tmp_path: Path, instrumented: None) -> None:
    """ADK's tracer not recording: agentlog's own spans, one per run, model call and tool call."""
    pytest.importorskip("opentelemetry.sdk")
    from tests.otel_support import Recorded

    recorded = Recorded()
    path = tmp_path / "o.jsonl"
    agentlog.configure(service="svc", output=path, otel_spans=True, tracer_provider=recorded.provider)
    asyncio.run(run_agent(make_agent(two_tools_then_answer())))
    names = [span.name for span in recorded.get_finished_spans()]
    assert names.count("invoke_agent svc") == 1
    assert names.count("chat scripted-gemini") == 2
    assert names.count("execute_tool lookup_order") == names.count("execute_tool refund") == 1
    recorded.provider.shutdown()


def answer_first_model_call(callback_context: Any, llm_request: Any) -> LlmResponse | None:
    """A before_model callback answering for the model once per agent: a cached first answer."""
    state = callback_context.state
    if state.get("answered"):
        return None
    state["answered"] = True
    call = types.FunctionCall(id="fc-cached", name="lookup_order", args={"order": "A-1"})
    return LlmResponse(content=types.Content(role="model", parts=[types.Part(function_call=call)]))


def test_a_model_call_a_callback_answers_is_no_model_call(logs: Captured, instrumented: None) -> None:
    """ADK never calls the model (nor after_model): no llm_result for it, and the real call is whole."""
    agent = make_agent(
        [{"text": "shipped", "usage": (20, 4, 0, 0)}], before_model_callback=answer_first_model_call
    )
    asyncio.run(run_agent(agent))
    end = check_run(logs.lines(), the_run(logs)["run_id"], tool_calls=1, llm_calls=1, errors=0)
    (llm,) = logs.events("llm_result")
    assert (llm["input_tokens"], llm["output_tokens"], llm["status"]) == (20, 4, "ok")
    assert tool_pairs(logs.lines())["fc-cached"][1]["status"] == "ok"
    assert end["stop_reason"] == "completed" and not problems_besides_prices()


def test_a_plugin_without_instrument_ends_a_call_a_callback_answered(logs: Captured) -> None:
    """Without instrument() the call opened before the callback answered ends as answered by it."""
    from google.adk.apps import App

    agent = make_agent(
        [{"text": "shipped", "usage": (20, 4, 0, 0)}], before_model_callback=answer_first_model_call
    )
    runner = InMemoryRunner(app=App(name="shop", root_agent=agent, plugins=[adapter.AgentlogPlugin()]))

    async def invoke() -> None:
        session = await runner.session_service.create_session(app_name="shop", user_id="u")
        message = types.Content(role="user", parts=[types.Part(text="SECRET-QUESTION")])
        async for _ in runner.run_async(user_id="u", session_id=session.id, new_message=message):
            pass

    asyncio.run(invoke())
    check_run(
        logs.lines(), the_run(logs)["run_id"], tool_calls=1, llm_calls=2, errors=0, raw=["SECRET-QUESTION"]
    )
    answered, real = logs.events("llm_result")
    assert answered["finish_reason"] == adapter.ANSWERED_BY_CALLBACK and answered.get("input_tokens") is None
    assert (real["input_tokens"], real["output_tokens"]) == (20, 4)
    assert not problems_besides_prices()


def test_the_llm_call_limit_stops_the_run_at_max_steps(logs: Captured, instrumented: None) -> None:
    """RunConfig(max_llm_calls=2): two model calls recorded, the run stopped at max_steps."""
    from google.adk.agents.run_config import RunConfig

    turns = [
        {"calls": [("lookup_order", f"fc-{n}", {"order": "A-1"})], "usage": (3, 1, 0, 0)} for n in range(5)
    ]
    runner = InMemoryRunner(agent=make_agent(turns), app_name="shop")

    async def invoke() -> None:
        session = await runner.session_service.create_session(app_name="shop", user_id="u")
        message = types.Content(role="user", parts=[types.Part(text="hi")])
        config = RunConfig(max_llm_calls=2)
        async for _ in runner.run_async(
            user_id="u", session_id=session.id, new_message=message, run_config=config
        ):
            pass

    with pytest.raises(Exception, match="llm calls limit"):
        asyncio.run(invoke())
    end = check_run(logs.lines(), the_run(logs)["run_id"], tool_calls=2, llm_calls=2, errors=0)
    assert end["stop_reason"] == "max_steps" and end["error_class"] == "LlmCallsLimitExceededError"


def test_a_model_named_by_string_gets_its_provider() -> None:
    """`LlmAgent(model="gemini-2.5-flash")`: ADK's registry names the class, so the provider is known."""
    from types import SimpleNamespace

    def context(model: Any) -> Any:
        return SimpleNamespace(_invocation_context=SimpleNamespace(agent=SimpleNamespace(model=model)))

    request = SimpleNamespace(model=None)
    assert adapter._model_of(context("gemini-2.5-flash"), request) == ("gemini-2.5-flash", "gcp.gemini")
    assert adapter._model_of(context("claude-3-5-sonnet"), request) == ("claude-3-5-sonnet", "anthropic")
    assert adapter._model_of(context("no-such-model-x"), request) == ("no-such-model-x", None)


REQUEST_FIELDS = ("temperature", "max_tokens", "top_p", "seed")


def test_generate_content_config_is_on_llm_result_and_absent_when_unset(
    logs: Captured, instrumented: None
) -> None:
    """The agent's temperature, max_output_tokens, top_p and seed are written; unset, none are."""
    config = types.GenerateContentConfig(temperature=0.2, max_output_tokens=256, top_p=0.9, seed=42)
    asyncio.run(
        run_agent(make_agent([{"text": "ok", "usage": (5, 1, 0, 0)}], generate_content_config=config))
    )
    asyncio.run(run_agent(make_agent([{"text": "ok", "usage": (5, 1, 0, 0)}])))
    given, plain = logs.events("llm_result")
    assert {name: given[name] for name in REQUEST_FIELDS} == {
        "temperature": 0.2,
        "max_tokens": 256,
        "top_p": 0.9,
        "seed": 42,
    }
    assert not set(REQUEST_FIELDS) & set(plain)


def test_a_before_model_callback_changing_the_config_is_what_is_written(
    logs: Captured, instrumented: None
) -> None:
    """A temperature a before_model callback sets is the one written: read as ADK calls the model."""
    sent: list[float | None] = []

    class Recording(ScriptedLlm):
        async def generate_content_async(
            self, llm_request: Any, stream: bool = False
        ) -> AsyncGenerator[LlmResponse, None]:
            sent.append(llm_request.config.temperature)
            async for response in super().generate_content_async(llm_request, stream):
                yield response

    def cooler(callback_context: Any, llm_request: Any) -> None:
        llm_request.config.temperature = 0.0

    agent = LlmAgent(
        name="shop",
        model=Recording(turns=[{"text": "ok", "usage": (5, 1, 0, 0)}]),
        generate_content_config=types.GenerateContentConfig(temperature=0.7),
        before_model_callback=cooler,
    )
    asyncio.run(run_agent(agent))
    assert sent == [0.0]
    assert logs.one("llm_result")["temperature"] == 0.0
