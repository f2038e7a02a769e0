"""The Strands Agents adapter with real Strands agents and a scripted offline model (no network)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("strands")

import structlog
from strands import Agent, tool
from strands.models import Model

import agentlog
from agentlog import _diagnostics
from agentlog.integrations import strands as adapter
from tests.conftest import Captured
from tests.integrations.frameworks.support import check_run, runs_of, show, tool_pairs

Turn = dict[str, Any]


class ScriptedModel(Model):
    """A Strands model that streams scripted turns: tool uses (with their IDs), text, and usage."""

    def __init__(self, turns: list[Turn], model_id: str = "scripted-1") -> None:
        self.turns = list(turns)
        self.config: dict[str, Any] = {"model_id": model_id}

    def update_config(self, **model_config: Any) -> None:
        self.config.update(model_config)

    def get_config(self) -> Any:
        return self.config

    async def structured_output(  # type: ignore[override]
        self, *args: Any, **kwargs: Any
    ) -> AsyncIterator[Any]:
        raise NotImplementedError
        yield  # pragma: no cover

    async def stream(
        self, messages: Any, tool_specs: Any = None, system_prompt: Any = None, **kwargs: Any
    ) -> Any:
        turn = self.turns.pop(0)
        yield {"messageStart": {"role": "assistant"}}
        for name, tool_use_id, arguments in turn.get("tools", ()):
            yield {"contentBlockStart": {"start": {"toolUse": {"name": name, "toolUseId": tool_use_id}}}}
            yield {"contentBlockDelta": {"delta": {"toolUse": {"input": json.dumps(arguments)}}}}
            yield {"contentBlockStop": {}}
        if "text" in turn:
            yield {"contentBlockDelta": {"delta": {"text": turn["text"]}}}
            yield {"contentBlockStop": {}}
        yield {"messageStop": {"stopReason": "tool_use" if turn.get("tools") else "end_turn"}}
        yield {"metadata": {"usage": turn["usage"], "metrics": {"latencyMs": 1}}}


def usage(inputs: int, outputs: int, **more: int) -> dict[str, int]:
    """A Strands usage block."""
    return {"inputTokens": inputs, "outputTokens": outputs, "totalTokens": inputs + outputs, **more}


@tool
def lookup_order(order: str) -> str:
    """Look an order up.

    Args:
        order: The order number.
    """
    agentlog.get_logger().info("order looked up", marker=order)
    structlog.get_logger().info("structlog line in tool", marker=order)
    logging.getLogger("shop.orders").warning("stdlib line in tool %s", order)
    return f"order {order} shipped"


@tool
def refund(order: str) -> str:
    """Refund an order.

    Args:
        order: The order number.
    """
    raise ValueError("refund window closed")


def two_tools_then_answer(order: str = "A-1", prefix: str = "tu") -> list[Turn]:
    """Turn 1 calls both tools (one fails), turn 2 answers."""
    return [
        {
            "tools": [
                ("lookup_order", f"{prefix}-lookup", {"order": order}),
                ("refund", f"{prefix}-refund", {"order": order}),
            ],
            "usage": usage(11, 7, cacheReadInputTokens=3, cacheWriteInputTokens=2),
        },
        {"text": "Your order shipped; no refund.", "usage": usage(20, 4)},
    ]


def make_agent(turns: list[Turn], **kwargs: Any) -> Agent:
    """An agent on the scripted model that prints nothing."""
    kwargs.setdefault("tools", [lookup_order, refund])
    return Agent(model=ScriptedModel(turns), callback_handler=None, name="shop", **kwargs)


@pytest.fixture
def instrumented() -> Iterator[None]:
    adapter.instrument()
    yield
    adapter.uninstrument()


TYPED = {"run_started", "run_finished", "agent_step", "llm_result", "tool_call", "tool_result"}


def the_run(logs: Captured) -> str:
    """The one run Strands wrote."""
    (started,) = [line for line in logs.lines() if line["event"] == "run_started"]
    return str(started["run_id"])


def test_run_totals_model_ids_tokens_and_the_failing_tool(logs: Captured, instrumented: None) -> None:
    """Two model calls and two tool calls (one raising): totals, toolUseIds, tokens, error, show."""
    result = make_agent(two_tools_then_answer())("Where is order A-1?")
    assert result.stop_reason == "end_turn"
    lines = logs.lines()
    run_id = the_run(logs)
    end = check_run(lines, run_id, tool_calls=2, llm_calls=2, errors=1)
    assert end["stop_reason"] == "completed"
    assert (end["input_tokens"], end["output_tokens"]) == (31, 11)
    started = logs.one("run_started")
    assert started["agent"] == "shop" and started["framework"] == "strands"

    llm = [line for line in lines if line["event"] == "llm_result"]
    assert [(x["model"], x["input_tokens"], x["output_tokens"]) for x in llm] == [
        ("scripted-1", 11, 7),
        ("scripted-1", 20, 4),
    ]
    assert llm[0]["cache_read_input_tokens"] == 3 and llm[0]["cache_creation_input_tokens"] == 2
    assert [x["finish_reason"] for x in llm] == ["tool_use", "end_turn"]
    assert all(x["status"] == "ok" and x["latency_ms"] >= 0 for x in llm)

    pairs = tool_pairs(lines)
    assert set(pairs) == {"tu-lookup", "tu-refund"}
    ok_call, ok_result = pairs["tu-lookup"]
    assert ok_call["tool"] == "lookup_order" and ok_result["status"] == "ok"
    _, failed = pairs["tu-refund"]
    assert failed["status"] == "error"
    assert failed["error_class"] == "ValueError"
    assert failed["error_message"] == "refund window closed"
    assert "refund" in show(logs, run_id)


@pytest.mark.parametrize("executor", ["concurrent", "sequential"])
def test_user_lines_in_a_tool_carry_run_step_and_tool_call(
    logs: Captured, instrumented: None, executor: str
) -> None:
    """User lines (structlog, agentlog, stdlib) in a tool carry run, step, tool_call IDs; either executor."""
    from strands.tools.executors import ConcurrentToolExecutor, SequentialToolExecutor

    chosen = ConcurrentToolExecutor() if executor == "concurrent" else SequentialToolExecutor()
    make_agent(two_tools_then_answer(), tool_executor=chosen)("Where is order A-1?")
    lines = logs.lines()
    run_id = the_run(logs)
    call, _ = tool_pairs(lines)["tu-lookup"]
    mine = [
        line
        for line in lines
        if line["event"] in ("order looked up", "structlog line in tool", "stdlib line in tool A-1")
    ]
    assert len(mine) == 3
    for line in mine:
        assert line["run_id"] == run_id
        assert line["tool_call_id"] == "tu-lookup"
        assert line["step_id"] == call["step_id"]
        assert line["span_id"] == call["span_id"]


def test_a_failing_model_call_fails_the_llm_call_and_the_run(logs: Captured, instrumented: None) -> None:
    """The model raising: an llm_result with status error and the exception, and a failed run."""

    class Unreachable(ScriptedModel):
        async def stream(self, *args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("model endpoint unreachable")
            yield  # pragma: no cover

    agent = Agent(model=Unreachable([]), callback_handler=None, name="shop")
    with pytest.raises(ConnectionError):
        agent("hello")
    (llm,) = logs.events("llm_result")
    assert llm["status"] == "error" and llm["error_class"] == "ConnectionError"
    end = logs.one("run_finished")
    assert end["status"] == "error" and end["llm_calls"] == 1
    assert end["error_class"] == "ConnectionError"


def _content_run(path: Path, capture: str | None) -> tuple[str, tuple[str, ...]]:
    """One run with distinctive raw content (argument, prompt, system prompt); its lines and that content."""
    raw = (
        f"ORDER-7f3c-{capture}-argument",
        f"where-is-my-parcel-{capture}",
        f"you-are-a-{capture}-system-prompt",
    )
    agentlog.configure(service="svc", output=path, level="debug", capture=capture)
    agent = make_agent(two_tools_then_answer(order=raw[0]), system_prompt=raw[2])
    agent(raw[1])
    return path.read_text(), raw


def test_content_follows_the_capture_policy(tmp_path: Path, instrumented: None) -> None:
    """Hash mode (default) writes no raw argument, prompt or system prompt; capture="full" writes them."""
    hashed, raw = _content_run(tmp_path / "hash.jsonl", None)
    for value in raw:
        assert value not in hashed
    assert '"args_hash"' in hashed and '"prompt_hash"' in hashed
    full, raw = _content_run(tmp_path / "full.jsonl", "full")
    for value in raw:
        assert value in full


def test_concurrent_runs_keep_their_own_ids_and_totals(logs: Captured, instrumented: None) -> None:
    """Five agents gathered in asyncio: each run's lines carry only its IDs, and totals are per run."""

    async def main() -> None:
        agents = [make_agent(two_tools_then_answer(order=f"C-{n}", prefix=f"run{n}")) for n in range(5)]
        await asyncio.gather(*(agent.invoke_async(f"order C-{n}?") for n, agent in enumerate(agents)))

    asyncio.run(main())
    lines = logs.lines()
    grouped = runs_of(lines)
    runs = [line for line in lines if line["event"] == "run_started"]
    assert len(runs) == 5
    assert all(line.get("run_id") for line in lines if line["event"] in TYPED)
    traces = set()
    for started in runs:
        run_id = started["run_id"]
        own = grouped[run_id]
        check_run(lines, run_id, tool_calls=2, llm_calls=2, errors=1)
        prefixes = {line["tool_call_id"].split("-")[0] for line in own if line.get("tool_call_id")}
        assert len(prefixes) == 1
        (prefix,) = prefixes
        markers = {line["marker"] for line in own if line["event"] == "order looked up"}
        assert markers == {f"C-{prefix.removeprefix('run')}"}
        traces.add(started["trace_id"])
    assert len(traces) == 5


def test_inside_agentlog_run_and_agent_as_tool_are_child_runs(logs: Captured, instrumented: None) -> None:
    """Inside `agentlog.run()` the invocation is a child run; an agent used as a tool is its child run."""
    helper = Agent(
        model=ScriptedModel([{"text": "A-1 shipped", "usage": usage(5, 2)}]),
        callback_handler=None,
        name="helper",
        description="Answers order questions.",
    )
    lead = make_agent(
        [
            {"tools": [("helper", "tu-delegate", {"input": "status of A-1?"})], "usage": usage(9, 3)},
            {"text": "It shipped.", "usage": usage(12, 2)},
        ],
        tools=[helper.as_tool()],
    )
    with agentlog.run() as outer:
        lead("Where is A-1?")
    lines = logs.lines()
    started = {line["agent"]: line for line in lines if line["event"] == "run_started" and "agent" in line}
    lead_run, helper_run = started["shop"], started["helper"]
    assert lead_run["parent_run_id"] == outer.run_id
    assert helper_run["parent_run_id"] == lead_run["run_id"]
    assert lead_run["trace_id"] == helper_run["trace_id"] == outer.trace_id
    check_run(lines, lead_run["run_id"], tool_calls=1, llm_calls=2, errors=0)
    check_run(lines, helper_run["run_id"], tool_calls=0, llm_calls=1, errors=0)
    call, _ = tool_pairs([line for line in lines if line.get("run_id") == lead_run["run_id"]])["tu-delegate"]
    assert helper_run["parent_span_id"] == call["span_id"]


def test_instrument_is_idempotent_and_uninstrument_undoes_it(logs: Captured) -> None:
    """Twice instrumented: one run per invocation. Uninstrumented: no line, old or new agent."""
    adapter.instrument()
    adapter.instrument()
    try:
        before = make_agent(two_tools_then_answer() + two_tools_then_answer())
        before("first")
        assert len(logs.events("run_started")) == 1
        assert len(logs.events("llm_result")) == 2
    finally:
        adapter.uninstrument()
    adapter.uninstrument()
    count = len(logs.lines())
    before("second")
    make_agent(two_tools_then_answer())("third")
    later = logs.lines()[count:]
    assert later and not [line for line in later if line["event"] in TYPED or "run_id" in line]
    adapter.instrument()
    try:
        make_agent(two_tools_then_answer())("fourth")
    finally:
        adapter.uninstrument()
    assert len(logs.events("run_started")) == 2


def test_adapter_failures_are_counted_and_the_agent_goes_on(
    logs: Captured, instrumented: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failing tracker and a hostile tool argument: problems counted, the agent's answer unchanged."""
    expected = make_agent(two_tools_then_answer())("Where is order A-1?")
    _diagnostics.clear()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("tracker down")

    monkeypatch.setattr(adapter._TRACKER, "tool", broken)
    monkeypatch.setattr(adapter._TRACKER, "usage", broken)
    result = make_agent(two_tools_then_answer())("Where is order A-1?")
    assert str(result) == str(expected) and result.stop_reason == expected.stop_reason
    assert sum(agentlog.problems().values()) >= 4
    assert len(logs.events("run_finished")) == 2


def test_agentlog_adopts_strands_spans_one_span_per_operation(
    tmp_path: Path, instrumented: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With Strands' tracer recording, its spans are the only ones and agentlog's lines carry their IDs."""
    pytest.importorskip("opentelemetry.sdk")
    from strands.telemetry import tracer as strands_tracer

    from tests.otel_support import Recorded

    recorded = Recorded()
    tracer = strands_tracer.Tracer()
    tracer.tracer_provider = recorded.provider
    tracer.tracer = recorded.provider.get_tracer("strands")
    monkeypatch.setattr(strands_tracer, "_tracer_instance", tracer)
    path = tmp_path / "otel.jsonl"
    agentlog.configure(service="svc", output=path, otel_spans=True, tracer_provider=recorded.provider)
    make_agent(two_tools_then_answer())("Where is order A-1?")
    logs = Captured(path)
    lines = logs.lines()
    spans = recorded.get_finished_spans()
    names = sorted(span.name for span in spans)
    assert names == sorted(
        [
            "invoke_agent shop",
            "execute_event_loop_cycle",
            "execute_event_loop_cycle",
            "chat",
            "chat",
            "execute_tool lookup_order",
            "execute_tool refund",
        ]
    )

    def ids(name: str) -> list[str]:
        return [f"{span.context.span_id:016x}" for span in spans if span.name.startswith(name)]

    (started,) = logs.events("run_started")
    assert [started["span_id"]] == ids("invoke_agent")
    assert started.get("parent_span_id") is None
    assert sorted(x["span_id"] for x in logs.events("llm_result")) == sorted(ids("chat"))
    pairs = tool_pairs(lines)
    for call, result in pairs.values():
        (span,) = [s for s in spans if s.name == f"execute_tool {call['tool']}"]
        assert span.attributes is not None and span.attributes["gen_ai.tool.call.id"] == call["tool_call_id"]
        assert call["span_id"] == result["span_id"] == f"{span.context.span_id:016x}"
    (user_line,) = [line for line in lines if line["event"] == "order looked up"]
    assert user_line["span_id"] == pairs["tu-lookup"][0]["span_id"]
    trace_id = f"{spans[0].context.trace_id:032x}"
    assert {line["trace_id"] for line in lines} == {trace_id}
    check_run(lines, started["run_id"], tool_calls=2, llm_calls=2, errors=1)
    recorded.provider.shutdown()


def test_without_strands_tracing_agentlog_makes_the_spans(tmp_path: Path, instrumented: None) -> None:
    """Strands' tracer not recording: agentlog's own spans, one per run, model call and tool call."""
    pytest.importorskip("opentelemetry.sdk")
    from tests.otel_support import Recorded

    recorded = Recorded()
    agentlog.configure(
        service="svc", output=tmp_path / "o.jsonl", otel_spans=True, tracer_provider=recorded.provider
    )
    make_agent(two_tools_then_answer())("Where is order A-1?")
    names = sorted(span.name for span in recorded.get_finished_spans())
    assert names.count("invoke_agent svc") == 1
    assert names.count("chat scripted-1") == 2
    assert names.count("execute_tool lookup_order") == names.count("execute_tool refund") == 1
    recorded.provider.shutdown()


REQUEST_FIELDS = ("temperature", "max_tokens", "top_p", "seed")


def test_model_config_parameters_are_on_llm_result_and_absent_when_unset(
    logs: Captured, instrumented: None
) -> None:
    """temperature, max_tokens, top_p at the config's top level (Bedrock's shape) are written; unset, none."""
    agent = make_agent([{"text": "ok", "usage": usage(5, 1)}, {"text": "ok", "usage": usage(5, 1)}])
    agent.model.update_config(temperature=0.2, max_tokens=256, top_p=0.9)
    agent("first")
    agent.model.update_config(temperature=None, max_tokens=None, top_p=None)
    agent("second")
    given, plain = logs.events("llm_result")
    assert {name: given.get(name) for name in REQUEST_FIELDS} == {
        "temperature": 0.2,
        "max_tokens": 256,
        "top_p": 0.9,
        "seed": None,
    }
    assert not set(REQUEST_FIELDS) & set(plain)


def test_params_of_the_model_config_win_and_bad_values_are_left_out(
    logs: Captured, instrumented: None
) -> None:
    """A config's params (OpenAI's, Gemini's shape) win over its top level; a text seed is not written."""
    agent = make_agent([{"text": "ok", "usage": usage(5, 1)}])
    agent.model.update_config(
        max_tokens=1024, params={"temperature": 0.0, "max_completion_tokens": 64, "seed": "7"}
    )
    agent("hello")
    line = logs.one("llm_result")
    assert (line["temperature"], line["max_tokens"]) == (0.0, 64)
    assert not {"top_p", "seed", "invalid"} & set(line)


def test_a_model_whose_config_cannot_be_read_is_still_recorded(logs: Captured, instrumented: None) -> None:
    """get_config raising: the call is written without request parameters, the problem counted."""

    class Unreadable(ScriptedModel):
        def get_config(self) -> Any:
            raise RuntimeError("config unavailable")

    _diagnostics.clear()
    agent = Agent(
        model=Unreadable([{"text": "ok", "usage": usage(5, 1)}]), callback_handler=None, name="shop"
    )
    assert str(agent("hello")).strip() == "ok"
    line = logs.one("llm_result")
    assert (line["input_tokens"], line["status"]) == (5, "ok")
    assert not set(REQUEST_FIELDS) & set(line)
    assert any("config could not be read" in problem for problem in agentlog.problems())
