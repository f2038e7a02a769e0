"""PydanticAI with agentlog: one line, ``pydantic_ai.instrument()``, and every agent run is recorded.

Run it: ``python examples/framework_pydantic_ai.py`` — it prints JSON lines to
stdout. The model is PydanticAI's own offline ``FunctionModel`` scripted to
call a tool (with its own tool-call ID and token usage), then answer.
"""

from __future__ import annotations

import sys

from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

import agentlog
from agentlog.integrations import pydantic_ai


def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """A stand-in model: first asks for the order status, then answers."""
    if any(isinstance(message, ModelResponse) for message in messages):
        return ModelResponse(
            parts=[TextPart("Your order has shipped.")],
            usage=RequestUsage(input_tokens=96, output_tokens=9),
        )
    call = ToolCallPart("order_status", {"order_id": "A-1001"}, tool_call_id="call_7Yx2")
    return ModelResponse(parts=[call], usage=RequestUsage(input_tokens=81, output_tokens=14))


agent: Agent[None, str] = Agent(FunctionModel(model), name="support")


@agent.tool_plain
def order_status(order_id: str) -> str:
    """Look an order up (a stand-in)."""
    agentlog.get_logger("tools").info("looking up order")  # carries run_id, step_id, tool_call_id
    return "shipped"


def main() -> None:
    agentlog.configure(service="support-agent", output=sys.stdout)
    pydantic_ai.instrument()
    agent.run_sync("Where is my order A-1001?")


if __name__ == "__main__":
    main()
