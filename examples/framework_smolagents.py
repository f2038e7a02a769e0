"""smolagents with agentlog: one ``instrument()`` call, and each agent run is an agentlog run.

Run it: ``python examples/framework_smolagents.py`` — it prints JSON lines to stdout.
Offline: the model is a scripted ``smolagents.models.Model`` subclass that
calls two tools (one of which fails) and then gives its final answer.
"""

from __future__ import annotations

import sys
from typing import Any

# smolagents ships no type information (hence the type: ignore comments).
from smolagents import LogLevel, ToolCallingAgent, tool  # type: ignore[import-untyped]
from smolagents.models import (  # type: ignore[import-untyped]
    ChatMessage,
    ChatMessageToolCall,
    ChatMessageToolCallFunction,
    Model,
)
from smolagents.monitoring import TokenUsage  # type: ignore[import-untyped]

import agentlog
from agentlog.integrations.smolagents import instrument


@tool  # type: ignore[untyped-decorator]
def get_order(order_id: str) -> str:
    """Look up an order.

    Args:
        order_id: The order's ID.
    """
    agentlog.get_logger("tools").info("order found")  # carries run_id, step_id, tool_call_id
    return "shipped"


@tool  # type: ignore[untyped-decorator]
def refund(order_id: str) -> str:
    """Refund an order.

    Args:
        order_id: The order's ID.
    """
    raise PermissionError("refunds need a supervisor")


class ScriptedModel(Model):  # type: ignore[misc]
    """Stands in for an LLM: two tool calls, then the final answer."""

    def __init__(self) -> None:
        super().__init__(model_id="scripted-gpt")
        self.turn = 0

    def generate(self, messages: list[Any], **kwargs: Any) -> Any:
        """The next scripted answer, with its tool calls and token usage."""
        self.turn += 1
        calls = (
            [("get_order", "call_1"), ("refund", "call_2")]
            if self.turn == 1
            else [("final_answer", "call_3")]
        )
        arguments = (
            {"answer": "Shipped; refund needs a supervisor."} if self.turn > 1 else {"order_id": "A17"}
        )
        return ChatMessage(
            role="assistant",
            content="",
            tool_calls=[
                ChatMessageToolCall(
                    id=call_id,
                    type="function",
                    function=ChatMessageToolCallFunction(name=name, arguments=arguments),
                )
                for name, call_id in calls
            ],
            token_usage=TokenUsage(input_tokens=420, output_tokens=31),
        )


def main() -> None:
    agentlog.configure(service="orders-agent", output=sys.stdout)
    instrument()  # the one line: every smolagents run from now on is recorded
    agent = ToolCallingAgent(
        tools=[get_order, refund], model=ScriptedModel(), name="orders", verbosity_level=LogLevel.OFF
    )
    agent.run("Where is order A17, and refund it")


if __name__ == "__main__":
    main()
