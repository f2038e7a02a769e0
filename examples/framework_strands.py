"""Strands Agents: one ``instrument()`` line, and every agent invocation is an agentlog run.

An offline agent (a scripted Strands model, no network, no key) looks an
order up with one tool, then answers. Run it: ``python examples/framework_strands.py``
— it prints agentlog's JSON lines to stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from typing import Any

from strands import Agent, tool
from strands.models import Model

import agentlog
from agentlog.integrations import strands as agentlog_strands


class ScriptedModel(Model):
    """Streams a tool use, then an answer, each with the token usage a real model reports."""

    def __init__(self) -> None:
        self.config: dict[str, Any] = {"model_id": "scripted-model"}
        self.turn = 0

    def update_config(self, **model_config: Any) -> None:
        """Strands' model interface: change the configuration."""
        self.config.update(model_config)

    def get_config(self) -> Any:
        """Strands' model interface: the configuration (``model_id`` names the model)."""
        return self.config

    async def structured_output(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:  # type: ignore[override]
        """Not used here."""
        raise NotImplementedError
        yield

    async def stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        """Strands' model interface: the response as Bedrock-style stream events."""
        self.turn += 1
        yield {"messageStart": {"role": "assistant"}}
        if self.turn == 1:
            tool_use = {"name": "lookup_order", "toolUseId": "tooluse_1"}
            yield {"contentBlockStart": {"start": {"toolUse": tool_use}}}
            yield {"contentBlockDelta": {"delta": {"toolUse": {"input": json.dumps({"order_id": "A-1042"})}}}}
            yield {"contentBlockStop": {}}
            yield {"messageStop": {"stopReason": "tool_use"}}
            usage = {"inputTokens": 412, "outputTokens": 18, "totalTokens": 430}
        else:
            yield {"contentBlockDelta": {"delta": {"text": "Order A-1042 shipped yesterday."}}}
            yield {"contentBlockStop": {}}
            yield {"messageStop": {"stopReason": "end_turn"}}
            usage = {"inputTokens": 470, "outputTokens": 9, "totalTokens": 479}
        yield {"metadata": {"usage": usage, "metrics": {"latencyMs": 1}}}


@tool
def lookup_order(order_id: str) -> str:
    """Look an order up.

    Args:
        order_id: The order's number.
    """
    agentlog.get_logger("shop").info("order found", status="shipped")
    return "shipped"


def main() -> None:
    agentlog.configure(service="shop-assistant", output=sys.stdout)
    agentlog_strands.instrument()  # the one line
    agent = Agent(model=ScriptedModel(), tools=[lookup_order], callback_handler=None, name="shop")
    agent("Where is my order A-1042?")


if __name__ == "__main__":
    main()
