"""The LangChain / LangGraph adapter with real graphs and langchain-core's fake chat model (no network)."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("langgraph")

import structlog
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import BaseTool, ToolException, tool
from langchain_core.tracers import context as tracer_context
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Command

import agentlog
from agentlog import _diagnostics
from agentlog.integrations import langchain as adapter
from agentlog.integrations._tracker import Tracker
from tests.conftest import Captured
from tests.integrations.frameworks.support import check_run, runs_of, show, tool_pairs

ORDER = "ORDER-RAW-7731"
PROMPT = "Where is my parcel PROMPT-RAW-5521?"


class ToolCallingFake(GenericFakeChatModel):
    """langchain-core's fake chat model, able to be bound to tools (the answers are scripted anyway).

    Like a provider's chat model, it names its model (``model``, which
    langchain reports as ``ls_model_name``).
    """

    model: str = "fake-gpt-1"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self


def usage(inputs: int, outputs: int, **details: Any) -> dict[str, Any]:
    """An ``AIMessage.usage_metadata``."""
    return {"input_tokens": inputs, "output_tokens": outputs, "total_tokens": inputs + outputs, **details}


def two_tools_then_answer(tag: str = "1", order: str = ORDER) -> ToolCallingFake:
    """A model that asks for a lookup and a refund (its own call IDs), then answers."""
    return ToolCallingFake(
        messages=iter(
            [
                AIMessage(
                    content="",
                    tool_calls=[
                        {"name": "lookup_order", "args": {"order": order}, "id": f"call_lookup_{tag}"},
                        {"name": "refund", "args": {"order": order}, "id": f"call_refund_{tag}"},
                    ],
                    usage_metadata=usage(
                        120,
                        30,
                        input_token_details={"cache_read": 100, "cache_creation": 8},
                        output_token_details={"reasoning": 12},
                    ),
                    response_metadata={"finish_reason": "tool_calls", "model_name": "fake-gpt-1"},
                ),
                AIMessage(
                    content="Your parcel is on its way.",
                    usage_metadata=usage(200, 9),
                    response_metadata={"finish_reason": "stop", "model_name": "fake-gpt-1"},
                ),
            ]
        )
    )


@tool
def lookup_order(order: str) -> str:
    """Look an order up."""
    agentlog.get_logger().info("order looked up", marker="agentlog-line")
    structlog.get_logger().info("structlog line in tool", marker="structlog-line")
    logging.getLogger("shop.orders").warning("stdlib line in tool")
    return f"order {order} shipped"


@tool
def refund(order: str) -> str:
    """Refund an order."""
    raise RuntimeError("refund service down")


@tool
async def lookup_order_async(order: str) -> str:
    """Look an order up (async)."""
    await asyncio.sleep(0)
    agentlog.get_logger().info("order looked up", marker="agentlog-line")
    structlog.get_logger().info("structlog line in tool", marker="structlog-line")
    logging.getLogger("shop.orders").warning("stdlib line in tool")
    return f"order {order} shipped"


lookup_order_async.name = "lookup_order"


def make_agent(
    model: Any, tools: list[BaseTool] | None = None, *, handle: bool = True, name: str = "shop"
) -> Any:
    """A tool-calling LangGraph agent: model node, ToolNode (catching tool errors), back to the model."""
    tool_node = ToolNode(tools if tools is not None else [lookup_order, refund], handle_tool_errors=handle)
    graph = StateGraph(MessagesState)
    graph.add_node("model", lambda state: {"messages": [model.invoke(state["messages"])]})
    graph.add_node("tools", tool_node)
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", tools_condition)
    graph.add_edge("tools", "model")
    return graph.compile(name=name)


def make_async_agent(model: Any, tools: list[BaseTool], name: str = "shop") -> Any:
    """The same agent with an async model node."""

    async def call_model(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("model", call_model)
    graph.add_node("tools", ToolNode(tools, handle_tool_errors=True))
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", tools_condition)
    graph.add_edge("tools", "model")
    return graph.compile(name=name)


def ask(graph: Any, text: str = PROMPT) -> Any:
    """Run *graph* on one user message; the last message's content."""
    return graph.invoke({"messages": [HumanMessage(text)]})["messages"][-1].content


def root_run(lines: list[dict[str, Any]], agent: str = "shop") -> str:
    """The run_id of the one run named *agent*."""
    (run_id,) = [
        line["run_id"] for line in lines if line["event"] == "run_started" and line.get("agent") == agent
    ]
    return str(run_id)


def assert_nothing_held() -> None:
    """The global handler keeps no scope, chain or run once the framework runs are over."""
    handler = adapter._SWITCH.handler
    assert handler is not None
    assert len(handler.tracker) == 0
    assert not (handler._chains or handler._wrapped or handler._fresh or handler._interrupted)


@pytest.fixture
def instrumented() -> Iterator[None]:
    """The adapter installed for the test, removed after it."""
    adapter.instrument()
    yield
    adapter.uninstrument()


# -- (a) a run with two tool calls, one failing ------------------------------------


def test_two_tool_calls_one_failing_exact_totals_ids_tokens(logs: Captured, instrumented: None) -> None:
    """A graph run: one run, exact totals, the model's tool-call IDs and token counts, the failure named."""
    assert ask(make_agent(two_tools_then_answer())) == "Your parcel is on its way."
    lines = logs.lines()
    run_id = root_run(lines)
    end = check_run(lines, run_id, tool_calls=2, llm_calls=2, errors=1, raw=[ORDER, "PROMPT-RAW-5521"])
    assert end["status"] == "ok" and end["stop_reason"] == "completed"
    assert end["total_steps"] == 4
    assert end["input_tokens"] == 320 and end["output_tokens"] == 39
    started = logs.one("run_started")
    assert started["framework"] == "langchain" and started["agent"] == "shop"
    first, second = logs.events("llm_result")
    assert first["model"] == "fake-gpt-1"  # the model that answered (response_metadata)
    assert first["provider"] == two_tools_then_answer()._get_ls_params()["ls_provider"] == "toolcallingfake"
    assert (first["input_tokens"], first["output_tokens"]) == (120, 30)
    assert first["cache_read_input_tokens"] == 100 and first["cache_creation_input_tokens"] == 8
    assert first["reasoning_output_tokens"] == 12
    assert first["finish_reason"] == "tool_calls" and first["status"] == "ok"
    assert (second["input_tokens"], second["output_tokens"], second["finish_reason"]) == (200, 9, "stop")
    assert all(line["latency_ms"] >= 0 for line in (first, second))
    pairs = tool_pairs(lines)
    assert set(pairs) == {"call_lookup_1", "call_refund_1"}
    ok_call, ok_result = pairs["call_lookup_1"]
    assert ok_call["tool"] == "lookup_order" and ok_result["status"] == "ok"
    _, failed = pairs["call_refund_1"]
    assert failed["tool"] == "refund" and failed["status"] == "error"
    assert failed["error_class"] == "RuntimeError"
    assert failed["error_message"] == "refund service down"
    assert "refund" in show(logs, run_id)
    assert_nothing_held()


def test_tool_error_escaping_the_graph_fails_the_run(logs: Captured, instrumented: None) -> None:
    """ToolNode re-raising the tool's error: the run ends in error, stop reason tool_error, counted once."""
    with pytest.raises(RuntimeError, match="refund service down"):
        ask(make_agent(two_tools_then_answer(), handle=False))
    lines = logs.lines()
    end = check_run(lines, root_run(lines), tool_calls=2, llm_calls=1, errors=1)
    assert end["status"] == "error" and end["stop_reason"] == "tool_error"
    assert end["error_class"] == "RuntimeError"


def test_tool_answering_with_an_error_message_is_a_failed_call(logs: Captured, instrumented: None) -> None:
    """A tool whose ToolException langchain turns into an error ToolMessage: a failed tool_result."""

    @tool
    def flaky(order: str) -> str:
        """Fails the way langchain tools report failures."""
        raise ToolException("warehouse offline")

    flaky.handle_tool_error = True
    model = ToolCallingFake(
        messages=iter(
            [
                AIMessage("", tool_calls=[{"name": "flaky", "args": {"order": "A"}, "id": "call_flaky"}]),
                AIMessage("sorry"),
            ]
        )
    )
    assert ask(make_agent(model, [flaky])) == "sorry"
    lines = logs.lines()
    check_run(lines, root_run(lines), tool_calls=1, llm_calls=2, errors=1)
    result = logs.one("tool_result")
    assert result["tool_call_id"] == "call_flaky" and result["status"] == "error"
    assert result["error_class"] == "ToolException" and result["error_message"] == "warehouse offline"


# -- (b) the user's own lines inside a tool ------------------------------------------


def _check_user_lines(lines: list[dict[str, Any]]) -> None:
    call = next(line for line in lines if line["event"] == "tool_call" and line["tool"] == "lookup_order")
    mine = [
        line
        for line in lines
        if line["event"] in ("order looked up", "structlog line in tool", "stdlib line in tool")
    ]
    assert {line["event"] for line in mine} == {
        "order looked up",
        "structlog line in tool",
        "stdlib line in tool",
    }
    for line in mine:
        assert line["run_id"] == call["run_id"]
        assert line["step_id"] == call["step_id"]
        assert line["tool_call_id"] == call["tool_call_id"] == "call_lookup_1"
        assert line["span_id"] == call["span_id"]


def test_user_lines_inside_a_sync_tool_carry_the_ids(logs: Captured, instrumented: None) -> None:
    """Structlog and stdlib lines in a sync tool of a sync graph carry run_id, step_id and tool_call_id."""
    ask(make_agent(two_tools_then_answer()))
    _check_user_lines(logs.lines())


def test_user_lines_inside_tools_of_an_async_graph_carry_the_ids(logs: Captured, instrumented: None) -> None:
    """In ainvoke: the async tool's lines and the sync tool's (run on an executor thread) carry the IDs."""
    for tool_fn in (lookup_order_async, lookup_order):
        agent = make_async_agent(two_tools_then_answer(), [tool_fn, refund])
        result = asyncio.run(agent.ainvoke({"messages": [HumanMessage(PROMPT)]}))
        assert result["messages"][-1].content == "Your parcel is on its way."
        lines = logs.lines()
        _check_user_lines(lines)
        check_run(lines, root_run(lines), tool_calls=2, llm_calls=2, errors=1)
        logs.path.write_bytes(b"")
    assert agentlog.current() is None


def test_lines_in_graph_nodes_carry_the_run_id(logs: Captured, instrumented: None) -> None:
    """A sync and an async node of a graph run (sync and async): their own lines carry the run's ID."""

    def sync_node(state: MessagesState) -> dict[str, Any]:
        structlog.get_logger().info("sync node line")
        logging.getLogger("shop").warning("stdlib node line")
        return {"messages": [AIMessage("a")]}

    async def async_node(state: MessagesState) -> dict[str, Any]:
        agentlog.get_logger().info("async node line")
        return {"messages": [AIMessage("b")]}

    graph = StateGraph(MessagesState)
    graph.add_node("sync_node", sync_node)
    graph.add_node("async_node", async_node)
    graph.add_edge(START, "sync_node")
    graph.add_edge(START, "async_node")
    graph.add_edge("sync_node", END)
    graph.add_edge("async_node", END)
    compiled = graph.compile(name="nodes")
    asyncio.run(compiled.ainvoke({"messages": []}))
    compiled_sync = StateGraph(MessagesState)
    compiled_sync.add_node("sync_node", sync_node)
    compiled_sync.add_edge(START, "sync_node")
    compiled_sync.compile(name="nodes").invoke({"messages": []})
    lines = logs.lines()
    started = [line["run_id"] for line in lines if line["event"] == "run_started"]
    assert len(started) == 2
    mine = [line for line in lines if "node line" in line["event"]]
    assert len(mine) == 5
    assert all(line.get("run_id") in started for line in mine)
    assert {line["run_id"] for line in mine} == set(started)


# -- (c) capture policy ------------------------------------------------------------


def test_nothing_raw_by_default_everything_with_capture_full(tmp_path: Path, instrumented: None) -> None:
    """Default: the raw argument and prompt appear in no line; capture="full" writes them."""
    default = tmp_path / "default.jsonl"
    agentlog.configure(service="svc", output=default)
    ask(make_agent(two_tools_then_answer()))
    text = default.read_text()
    assert ORDER not in text and "PROMPT-RAW-5521" not in text and "on its way" not in text
    assert '"args_hash"' in text and '"prompt_hash"' in text and '"completion_hash"' in text

    # (values once hashed are never written later in the process: fresh ones here)
    full = tmp_path / "full.jsonl"
    agentlog.configure(service="svc", output=full, capture="full")
    ask(make_agent(two_tools_then_answer(order="ORDER-FULL-4410")), "Parcel PROMPT-FULL-9902?")
    lines = Captured(full).lines()
    call = next(line for line in lines if line["event"] == "tool_call" and line["tool"] == "lookup_order")
    assert call["args"] == {"order": "ORDER-FULL-4410"}
    result = next(line for line in lines if line["event"] == "tool_result" and line["tool"] == "lookup_order")
    assert "ORDER-FULL-4410" in str(result["result"])
    first = next(line for line in lines if line["event"] == "llm_result")
    assert "PROMPT-FULL-9902" in str(first["prompt"])
    assert "on its way" in str(Captured(full).events("llm_result")[-1]["completion"])


# -- (d) concurrent runs -------------------------------------------------------------


def test_concurrent_graph_runs_keep_their_own_ids(logs: Captured, instrumented: None) -> None:
    """Six ainvoke runs at once: each run's lines carry only its own IDs, with exact totals each."""

    async def main() -> list[Any]:
        agents = [
            make_async_agent(two_tools_then_answer(str(n)), [lookup_order_async, refund]) for n in range(6)
        ]
        return await asyncio.gather(
            *(agent.ainvoke({"messages": [HumanMessage(PROMPT)]}) for agent in agents)
        )

    results = asyncio.run(main())
    assert all(result["messages"][-1].content == "Your parcel is on its way." for result in results)
    lines = logs.lines()
    grouped = runs_of(lines)
    assert all(line["level"] == "debug" for line in grouped.pop("", []))  # asyncio's own
    assert len(grouped) == 6
    seen: set[str] = set()
    for run_id, own in grouped.items():
        check_run(lines, run_id, tool_calls=2, llm_calls=2, errors=1)
        ids = {line["tool_call_id"] for line in own if line.get("tool_call_id")}
        (tag,) = {tool_call_id.rsplit("_", 1)[1] for tool_call_id in ids}
        assert ids == {f"call_lookup_{tag}", f"call_refund_{tag}"}
        assert tag not in seen
        seen.add(tag)
        assert len({line["trace_id"] for line in own}) == 1
        mine = [line for line in own if line["event"] in ("order looked up", "stdlib line in tool")]
        assert len(mine) == 2 and all(line["tool_call_id"] == f"call_lookup_{tag}" for line in mine)
    assert len({own[0]["trace_id"] for own in grouped.values()}) == 6
    assert_nothing_held()


# -- (e) nesting: inside an agentlog run, sub-agents ----------------------------------


def test_graph_inside_an_agentlog_run_is_its_child(logs: Captured, instrumented: None) -> None:
    """Inside ``with agentlog.run()`` the graph run is a child run: parent_run_id set, same trace_id."""
    with agentlog.run(task="support session") as outer:
        ask(make_agent(two_tools_then_answer()))
        agentlog.get_logger().info("after the graph")
    lines = logs.lines()
    child = root_run(lines)
    started = next(line for line in lines if line["event"] == "run_started" and line["run_id"] == child)
    assert started["parent_run_id"] == outer.run_id
    assert started["trace_id"] == outer.trace_id
    check_run(lines, child, tool_calls=2, llm_calls=2, errors=1)
    after = logs.one("after the graph")
    assert after["run_id"] == outer.run_id and after.get("step_id") is None


def test_subgraph_node_and_agent_called_as_tool_are_child_runs(logs: Captured, instrumented: None) -> None:
    """A compiled agent used as a node, and an agent invoked in a tool: child runs with their own totals."""
    from langgraph.prebuilt import create_react_agent

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        researcher = create_react_agent(
            ToolCallingFake(
                messages=iter(
                    [
                        AIMessage(
                            "", tool_calls=[{"name": "lookup_order", "args": {"order": "B"}, "id": "call_r"}]
                        ),
                        AIMessage("researched", usage_metadata=usage(5, 2)),
                    ]
                )
            ),
            [lookup_order],
            name="researcher",
        )

    @tool
    def consult(question: str) -> str:
        """Ask the researcher sub-agent."""
        return str(researcher.invoke({"messages": [HumanMessage(question)]})["messages"][-1].content)

    boss_model = ToolCallingFake(
        messages=iter(
            [
                AIMessage(
                    "", tool_calls=[{"name": "consult", "args": {"question": "B?"}, "id": "call_consult"}]
                ),
                AIMessage("done", usage_metadata=usage(7, 1)),
            ]
        )
    )
    boss = make_agent(boss_model, [consult], name="boss")
    graph = StateGraph(MessagesState)
    graph.add_node("boss", boss)
    graph.add_edge(START, "boss")
    graph.add_edge("boss", END)
    supervisor = graph.compile(name="supervisor")
    assert supervisor.invoke({"messages": [HumanMessage("go")]})["messages"][-1].content == "done"

    lines = logs.lines()
    top, boss_id, sub = root_run(lines, "supervisor"), root_run(lines, "boss"), root_run(lines, "researcher")
    started = {line["run_id"]: line for line in lines if line["event"] == "run_started"}
    assert started[top].get("parent_run_id") is None
    assert started[boss_id]["parent_run_id"] == top
    assert started[sub]["parent_run_id"] == boss_id
    assert len({line["trace_id"] for line in started.values()}) == 1
    check_run(lines, top, tool_calls=0, llm_calls=0, errors=0)
    check_run(lines, boss_id, tool_calls=1, llm_calls=2, errors=0)
    check_run(lines, sub, tool_calls=1, llm_calls=2, errors=0)
    consult_call = next(line for line in lines if line["event"] == "tool_call" and line["tool"] == "consult")
    assert consult_call["tool_call_id"] == "call_consult" and consult_call["run_id"] == boss_id
    inner_call = next(
        line for line in lines if line["event"] == "tool_call" and line["tool"] == "lookup_order"
    )
    assert inner_call["tool_call_id"] == "call_r" and inner_call["run_id"] == sub


def test_handoff_between_agents_is_two_child_runs(logs: Captured, instrumented: None) -> None:
    """A tool handing off to another agent (Command to the parent graph): the first run ends ``handoff``."""
    from langgraph.prebuilt import create_react_agent

    @tool
    def transfer_to_billing(order: str) -> Command:  # type: ignore[type-arg]
        """Hand the conversation to billing."""
        return Command(goto="billing", graph=Command.PARENT)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        front = create_react_agent(
            ToolCallingFake(
                messages=iter(
                    [
                        AIMessage(
                            "",
                            tool_calls=[
                                {"name": "transfer_to_billing", "args": {"order": "A"}, "id": "call_t"}
                            ],
                        )
                    ]
                )
            ),
            [transfer_to_billing],
            name="front",
        )
        billing = create_react_agent(
            ToolCallingFake(messages=iter([AIMessage("billed")])), [], name="billing"
        )
    desk = StateGraph(MessagesState)
    desk.add_node("front", front, destinations=("billing",))
    desk.add_node("billing", billing)
    desk.add_edge(START, "front")
    assert ask(desk.compile(name="desk")) == "billed"
    lines = logs.lines()
    top, first, second = root_run(lines, "desk"), root_run(lines, "front"), root_run(lines, "billing")
    started = {line["run_id"]: line for line in lines if line["event"] == "run_started"}
    assert started[first]["parent_run_id"] == started[second]["parent_run_id"] == top
    handed = check_run(lines, first, tool_calls=1, llm_calls=1, errors=0)
    assert (handed["status"], handed["stop_reason"]) == ("ok", "handoff")
    assert check_run(lines, second, tool_calls=0, llm_calls=1, errors=0)["stop_reason"] == "completed"
    assert_nothing_held()


def test_stream_closed_early_ends_the_run_cancelled(logs: Captured, instrumented: None) -> None:
    """A caller that stops reading graph.stream(): the run ends ``cancelled``, nothing left open."""
    for _ in make_agent(two_tools_then_answer()).stream({"messages": [HumanMessage(PROMPT)]}):
        break
    end = logs.one("run_finished")
    assert end["stop_reason"] == "cancelled" and end["llm_calls"] == 1
    assert agentlog.current() is None
    assert_nothing_held()


def test_bare_model_call_is_a_run_or_part_of_the_one_in_force(logs: Captured, instrumented: None) -> None:
    """A model invoked on its own is a run of its own; inside an agentlog run it is that run's model call."""
    ToolCallingFake(messages=iter([AIMessage("hi", usage_metadata=usage(3, 1))])).invoke("hello")
    own = logs.one("run_finished")
    assert own["llm_calls"] == 1 and own["input_tokens"] == 3
    logs.path.write_bytes(b"")
    with agentlog.run() as outer:
        ToolCallingFake(messages=iter([AIMessage("hi")])).invoke("hello")
    assert len(logs.events("run_started")) == 1
    assert logs.one("llm_result")["run_id"] == outer.run_id
    assert logs.one("run_finished")["llm_calls"] == 1


def test_chain_batch_gives_one_run_per_input_and_leaves_nothing_in_force(
    logs: Captured, instrumented: None
) -> None:
    """RunnableSequence.batch starts every input's run before any ends: each is a root run, none leaks."""

    def note(value: Any) -> Any:
        agentlog.get_logger().info("step line")
        return value

    chain = (
        ChatPromptTemplate.from_messages([("user", "{q}")])
        | RunnableLambda(note)
        | ToolCallingFake(messages=iter(["a", "b", "c"]))
    )
    with agentlog.run() as outer:
        chain.batch([{"q": "1"}, {"q": "2"}, {"q": "3"}])
        assert agentlog.current() == outer.context
    started = [line for line in logs.events("run_started") if line["run_id"] != outer.run_id]
    assert len(started) == 3 and all(line["parent_run_id"] == outer.run_id for line in started)
    for line in started:
        check_run(logs.lines(), line["run_id"], tool_calls=0, llm_calls=1, errors=0)
    # the batch's steps run for all inputs at once: their lines carry the enclosing run, no input's
    assert [line["run_id"] for line in logs.events("step line")] == [outer.run_id] * 3


def test_interrupt_and_recursion_limit_stop_reasons(logs: Captured, instrumented: None) -> None:
    """A node calling interrupt() ends the run ``interrupted`` (ok); out of steps it ends ``max_steps``."""
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.errors import GraphRecursionError
    from langgraph.types import interrupt

    def approve(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage(str(interrupt("approve?")))]}

    pause = StateGraph(MessagesState)
    pause.add_node("approve", approve)
    pause.add_edge(START, "approve")
    pause.add_edge("approve", END)
    paused = pause.compile(checkpointer=InMemorySaver(), name="approval")
    paused.invoke({"messages": [HumanMessage("refund?")]}, config={"configurable": {"thread_id": "t-1"}})
    end = logs.one("run_finished")
    assert (end["status"], end["stop_reason"]) == ("ok", "interrupted")
    assert logs.one("run_started")["session_id"] == "t-1"
    logs.path.write_bytes(b"")

    loop = StateGraph(MessagesState)
    loop.add_node("again", lambda state: {"messages": [AIMessage("again")]})
    loop.add_edge(START, "again")
    loop.add_edge("again", "again")
    with pytest.raises(GraphRecursionError):
        loop.compile(name="loop").invoke({"messages": []}, config={"recursion_limit": 3})
    end = logs.one("run_finished")
    assert (end["status"], end["stop_reason"]) == ("error", "max_steps")


# -- (f) instrument / uninstrument ---------------------------------------------------


def test_instrument_is_idempotent_and_uninstrument_removes_the_hook(logs: Captured) -> None:
    """Twice instrumented: one hook, one set of lines; uninstrumented: the hook list as before, no lines."""
    before = list(tracer_context._configure_hooks)
    adapter.instrument()
    adapter.instrument()
    try:
        assert len(tracer_context._configure_hooks) == len(before) + 1
        ask(make_agent(two_tools_then_answer()))
        assert len(logs.events("run_started")) == 1 and len(logs.events("llm_result")) == 2
    finally:
        adapter.uninstrument()
        adapter.uninstrument()
    assert tracer_context._configure_hooks == before
    logs.path.write_bytes(b"")
    ask(make_agent(two_tools_then_answer()))
    assert {line["event"] for line in logs.lines()} == {
        "order looked up",
        "structlog line in tool",
        "stdlib line in tool",
    }  # the tool's own lines only, outside any run
    assert all("run_id" not in line for line in logs.lines())
    adapter.instrument()
    try:
        ask(make_agent(two_tools_then_answer()))
        assert len(logs.events("run_started")) == 1
    finally:
        adapter.uninstrument()


def test_handler_per_call_without_instrument_and_no_duplicate_with_it(logs: Captured) -> None:
    """AgentlogCallbackHandler passed per call records the run; with instrument() too, still once."""
    handler = adapter.AgentlogCallbackHandler()
    assert isinstance(handler, adapter.AgentlogCallbackHandler) and handler.run_inline
    config: Any = {"callbacks": [handler]}
    make_agent(two_tools_then_answer()).invoke({"messages": [HumanMessage(PROMPT)]}, config=config)
    lines = logs.lines()
    check_run(lines, root_run(lines), tool_calls=2, llm_calls=2, errors=1)
    logs.path.write_bytes(b"")
    adapter.instrument()
    try:
        make_agent(two_tools_then_answer()).invoke({"messages": [HumanMessage(PROMPT)]}, config=config)
    finally:
        adapter.uninstrument()
    lines = logs.lines()
    assert len(logs.events("run_started")) == 1
    check_run(lines, root_run(lines), tool_calls=2, llm_calls=2, errors=1)


def test_importing_needs_no_langchain_and_instrument_says_which_extra() -> None:
    """Without langchain-core the module imports; instrument() raises an ImportError naming the extra."""
    code = (
        "import sys\n"
        "sys.modules['langchain_core'] = None\n"
        "from agentlog.integrations import langchain\n"
        "try:\n"
        "    langchain.instrument()\n"
        "except ImportError as exc:\n"
        "    print('ImportError:', exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "ImportError:" in done.stdout and "'langchain' extra" in done.stdout


# -- (g) never break the framework ----------------------------------------------------


def test_adapter_failure_is_counted_and_the_agent_goes_on(
    logs: Captured, instrumented: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tracker raising on every tool start: counted in agentlog.problems(), the answer unchanged."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("tracker broke")

    _diagnostics.clear()
    monkeypatch.setattr(Tracker, "tool", broken)
    assert ask(make_agent(two_tools_then_answer())) == "Your parcel is on its way."
    problems = agentlog.problems()
    assert any("on_tool_start" in problem for problem in problems), problems
    lines = logs.lines()
    run_id = root_run(lines)
    end = logs.one("run_finished")
    assert end["run_id"] == run_id and end["llm_calls"] == 2 and end["status"] == "ok"


def test_hostile_tool_output_and_usage_never_reach_the_agent(logs: Captured, instrumented: None) -> None:
    """A tool result whose repr raises, usage of the wrong types: lines written, agent unaffected."""

    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

        __str__ = __repr__

    @tool
    def weird(order: str) -> Any:
        """Returns something that cannot be printed."""
        return Hostile()

    model = ToolCallingFake(
        messages=iter(
            [
                AIMessage("", tool_calls=[{"name": "weird", "args": {"order": "A"}, "id": "call_weird"}]),
                AIMessage.model_construct(
                    content="ok", usage_metadata={"input_tokens": "many", "output_tokens": None}
                ),
            ]
        )
    )
    graph = StateGraph(MessagesState)
    graph.add_node("model", lambda state: {"messages": [model.invoke(state["messages"])]})
    graph.add_node("tools", lambda state: {"messages": []} if weird.invoke({"order": "A"}) else {})
    graph.add_edge(START, "model")
    graph.add_edge("model", "tools")
    graph.add_edge("tools", END)
    graph.compile(name="shop").invoke({"messages": [HumanMessage("x")]})
    lines = logs.lines()
    assert logs.one("run_finished")["status"] == "ok"
    assert [line["event"] for line in lines].count("tool_result") == 1
    assert root_run(lines)


# -- (i) the request's parameters -----------------------------------------------------

REQUEST_FIELDS = ("temperature", "max_tokens", "top_p", "seed")


class SettingsFake(ToolCallingFake):
    """The fake chat model with a provider's own settings (which langchain reports as ``ls_*``)."""

    temperature: float | None = None
    max_tokens: int | None = None


def test_request_parameters_bound_to_the_model_are_on_llm_result(logs: Captured, instrumented: None) -> None:
    """temperature, max_tokens, top_p, seed bound to the call are written; a call without them has none."""
    model = ToolCallingFake(messages=iter([AIMessage("a"), AIMessage("b")]))
    model.bind(temperature=0.2, max_tokens=256, top_p=0.9, seed=42).invoke("hello")
    model.invoke("hello")
    bound, plain = logs.events("llm_result")
    assert {name: bound[name] for name in REQUEST_FIELDS} == {
        "temperature": 0.2,
        "max_tokens": 256,
        "top_p": 0.9,
        "seed": 42,
    }
    assert not set(REQUEST_FIELDS) & set(plain)


def test_model_settings_reach_llm_result_and_the_call_overrides_them(
    logs: Captured, instrumented: None
) -> None:
    """A chat model's own temperature and max_tokens are written; a value given to the call wins."""
    model = SettingsFake(messages=iter([AIMessage("a"), AIMessage("b")]), temperature=0.5, max_tokens=64)
    model.invoke("hello")
    model.invoke("hello", temperature=0.0)
    settings, overridden = logs.events("llm_result")
    assert (settings["temperature"], settings["max_tokens"]) == (0.5, 64)
    assert (overridden["temperature"], overridden["max_tokens"]) == (0.0, 64)
    assert "top_p" not in settings and "seed" not in settings


def test_request_parameters_of_the_wrong_kind_are_left_out(logs: Captured, instrumented: None) -> None:
    """A temperature given as text, a fractional max_tokens, a bool seed: none written, none flagged."""
    model = ToolCallingFake(messages=iter([AIMessage("a")]))
    model.bind(temperature="hot", max_tokens=2.5, top_p=float("nan"), seed=True).invoke("hello")
    line = logs.one("llm_result")
    assert not set(REQUEST_FIELDS) & set(line)
    assert "invalid" not in line and line["status"] == "ok"


# -- (h) OpenTelemetry: agentlog's spans are the only ones -------------------------------


def test_otel_spans_one_per_operation(tmp_path: Path, instrumented: None) -> None:
    """LangChain emits no spans: with otel_spans=True agentlog makes one per run, model call and tool call."""
    pytest.importorskip("opentelemetry.sdk")
    from tests.otel_support import Recorded

    recorded = Recorded()
    path = tmp_path / "otel.jsonl"
    agentlog.configure(service="svc", output=path, otel_spans=True, tracer_provider=recorded.provider)
    ask(make_agent(two_tools_then_answer()))
    spans = recorded.get_finished_spans()
    names = [span.name for span in spans]
    assert names.count("chat fake-gpt-1") == 2
    assert names.count("execute_tool lookup_order") == names.count("execute_tool refund") == 1
    assert sum(name.startswith("invoke_agent") for name in names) == 1
    lines = Captured(path).lines()
    by_id = {format(span.context.span_id, "016x"): span for span in spans}
    assert len(by_id) == len(spans)
    for line in lines:
        if line["event"] in ("tool_result", "llm_result", "run_finished"):
            assert line["span_id"] in by_id
            assert format(by_id[line["span_id"]].context.trace_id, "032x") == line["trace_id"]
    refund_span = next(span for span in spans if span.name == "execute_tool refund")
    assert refund_span.status.status_code.name == "ERROR"
    recorded.provider.shutdown()
