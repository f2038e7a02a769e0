"""LangChain / LangGraph: a graph run timed alone and with ``agentlog.integrations.langchain``.

The graph is the usual tool-calling loop — a model node, LangGraph's
``ToolNode``, back to the model until it answers — each run awaited
(``ainvoke``) on one event loop, so no executor thread adds its noise. The
model is langchain-core's ``FakeMessagesListChatModel`` (answering on the
loop) cycling through a script: ``TURNS`` messages asking for tool calls
(with usage), then an answer; the one (async) tool returns a constant. Two
run shapes:

* *single*: one tool call per turn: ``TURNS + 1`` model calls, ``TURNS`` tool calls;
* *double*: two tool calls per turn: ``TURNS + 1`` model calls, ``2 × TURNS`` tool calls.

Per tool call: (double − single) / ``TURNS``, alone and adapted.
Per model call: (single − ``TURNS`` × the per-tool-call figure) / ``TURNS + 1``
— so the run's own cost (LangGraph's steps and nodes, ``run_started`` /
``run_finished``) is counted with the model calls. Rounds alternate the
framework alone and adapted: the first run of a round calls
``uninstrument()`` or ``instrument()``, the others find it done. agentlog
writes to ``os.devnull``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

import agentlog
from agentlog.integrations import langchain as adapter
from benchmarks.adapters.timing import interleaved, per_call, preceded

FRAMEWORK = "LangChain / LangGraph"
TURNS = 10
REPEAT = 10


@tool
async def constant() -> str:
    """Return a constant."""
    return "ok"


class _Scripted(FakeMessagesListChatModel):
    """The fake model, answering on the event loop rather than on an executor thread."""

    async def _agenerate(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Any:
        return self._generate(messages, stop=stop, **kwargs)


def _script(per_turn: int) -> list[Any]:
    usage = {"input_tokens": 100, "output_tokens": 10, "total_tokens": 110}
    turns = [
        AIMessage(
            content="",
            tool_calls=[{"name": "constant", "args": {}, "id": f"call_{turn}_{n}"} for n in range(per_turn)],
            usage_metadata=usage,
            response_metadata={"finish_reason": "tool_calls"},
        )
        for turn in range(TURNS)
    ]
    answer = AIMessage(content="done", usage_metadata=usage, response_metadata={"finish_reason": "stop"})
    return [*turns, answer]


def _runner(loop: asyncio.AbstractEventLoop, per_turn: int) -> Any:
    model = _Scripted(responses=_script(per_turn))

    async def call_model(state: Any) -> Any:
        return {"messages": [await model.ainvoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("model", call_model)
    graph.add_node("tools", ToolNode([constant]))
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", tools_condition)
    graph.add_edge("tools", "model")
    compiled = graph.compile(name="bench")
    inputs: Any = {"messages": [HumanMessage("bench")]}

    def run() -> None:
        loop.run_until_complete(compiled.ainvoke(inputs, config={"recursion_limit": 4 * TURNS + 10}))

    return run


def measure(rounds: int) -> dict[str, float]:
    """Median cost per model call and per tool call alone, and the adapter's extra, in µs."""
    agentlog.configure(service="bench", output=os.devnull)
    adapter.uninstrument()
    loop = asyncio.new_event_loop()
    single, double = _runner(loop, 1), _runner(loop, 2)
    single(), double()  # warm up: imports, graph compilation caches
    try:
        single_alone, single_adapted = interleaved(
            preceded(adapter.uninstrument, single),
            preceded(adapter.instrument, single),
            rounds=rounds,
            repeat=REPEAT,
        )
        double_alone, double_adapted = interleaved(
            preceded(adapter.uninstrument, double),
            preceded(adapter.instrument, double),
            rounds=rounds,
            repeat=REPEAT,
        )
    finally:
        adapter.uninstrument()
        loop.close()
    tools = (
        [b - a for a, b in zip(single_alone, double_alone, strict=True)],
        [b - a for a, b in zip(single_adapted, double_adapted, strict=True)],
    )
    return per_call((single_alone, single_adapted), tools, TURNS)
