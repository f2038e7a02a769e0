"""LangChain / LangGraph: one ``instrument()`` line, and every graph run is an agentlog run.

An offline LangGraph agent (langchain-core's fake chat model, no network, no
key) looks an order up and tries a refund that fails, then answers. Run it:
``python examples/framework_langchain.py`` — it prints agentlog's JSON lines
to stdout.
"""

from __future__ import annotations

import sys
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

import agentlog
from agentlog.integrations import langchain as agentlog_langchain


class ScriptedChatModel(GenericFakeChatModel):
    """langchain-core's fake chat model, bindable to tools; it answers from a script."""

    model: str = "scripted-model"

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        """The script already knows which tools to call."""
        return self


SCRIPT = [
    AIMessage(
        content="",
        tool_calls=[
            {"name": "lookup_order", "args": {"order_id": "A-1042"}, "id": "call_lookup_1"},
            {"name": "refund", "args": {"order_id": "A-1042"}, "id": "call_refund_1"},
        ],
        usage_metadata={"input_tokens": 412, "output_tokens": 18, "total_tokens": 430},
        response_metadata={"finish_reason": "tool_calls"},
    ),
    AIMessage(
        content="Order A-1042 shipped yesterday; the refund desk is down.",
        usage_metadata={"input_tokens": 470, "output_tokens": 9, "total_tokens": 479},
        response_metadata={"finish_reason": "stop"},
    ),
]


@tool
def lookup_order(order_id: str) -> str:
    """Look an order up."""
    agentlog.get_logger("shop").info("order found", status="shipped")
    return "shipped"


@tool
def refund(order_id: str) -> str:
    """Refund an order."""
    raise RuntimeError("refund service unavailable")


def build_agent() -> Any:
    """Model → tools (errors go back to the model as messages) → model, until it answers."""
    model = ScriptedChatModel(messages=iter(SCRIPT)).bind_tools([lookup_order, refund])
    graph = StateGraph(MessagesState)
    graph.add_node("model", lambda state: {"messages": [model.invoke(state["messages"])]})
    graph.add_node("tools", ToolNode([lookup_order, refund], handle_tool_errors=True))
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", tools_condition)
    graph.add_edge("tools", "model")
    return graph.compile(name="shop")


def main() -> None:
    agentlog.configure(service="shop-assistant", output=sys.stdout)
    agentlog_langchain.instrument()  # the one line
    build_agent().invoke({"messages": [HumanMessage("Where is my order A-1042? Refund it.")]})


if __name__ == "__main__":
    main()
