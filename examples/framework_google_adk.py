"""Google ADK: one ``instrument()`` line, and every agent an ADK runner runs is an agentlog run.

An offline ADK agent (a scripted ``BaseLlm``, no network, no key) calls two
tools in one turn: ``lookup_order`` answers, ``refund`` raises, and the
agent's ``on_tool_error_callback`` hands that error back to the model, which
then answers. Run it: ``python examples/framework_google_adk.py`` — it prints
agentlog's JSON lines to stdout.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncGenerator
from typing import Any

from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import InMemoryRunner
from google.genai import types

import agentlog
from agentlog.integrations import google_adk


class ScriptedLlm(BaseLlm):
    """An ADK model that asks for both tools, then answers, with the token usage Gemini reports."""

    model: str = "scripted-gemini"
    turn: int = 0

    async def generate_content_async(
        self, llm_request: Any, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        """ADK's model interface: the response to *llm_request*."""
        self.turn += 1
        if self.turn == 1:
            parts = [
                types.Part(function_call=types.FunctionCall(id=call_id, name=name, args={"order": "A-1042"}))
                for name, call_id in (("lookup_order", "fc-lookup-1"), ("refund", "fc-refund-1"))
            ]
            usage = types.GenerateContentResponseUsageMetadata(
                prompt_token_count=412, candidates_token_count=18, cached_content_token_count=256
            )
        else:
            parts = [types.Part(text="Order A-1042 shipped yesterday; it can no longer be refunded.")]
            usage = types.GenerateContentResponseUsageMetadata(
                prompt_token_count=470, candidates_token_count=14
            )
        yield LlmResponse(
            content=types.Content(role="model", parts=parts),
            usage_metadata=usage,
            finish_reason=types.FinishReason.STOP,
        )


def lookup_order(order: str) -> dict[str, str]:
    """Look an order up.

    Args:
        order: The order's number.
    """
    agentlog.get_logger("shop").info("order found", status="shipped")  # carries run_id, tool_call_id
    return {"status": "shipped"}


def refund(order: str) -> dict[str, str]:
    """Refund an order.

    Args:
        order: The order's number.
    """
    raise ValueError("refund window closed")


def tool_error_to_model(tool: Any, args: Any, tool_context: Any, error: Exception) -> dict[str, str]:
    """The agent's recovery: a tool's error goes back to the model as the tool's answer."""
    return {"error": str(error)}


async def ask(runner: InMemoryRunner, text: str) -> None:
    """One invocation of the runner's agent, to its last event."""
    session = await runner.session_service.create_session(app_name="shop", user_id="user-7")
    message = types.Content(role="user", parts=[types.Part(text=text)])
    async for _ in runner.run_async(user_id="user-7", session_id=session.id, new_message=message):
        pass


def main() -> None:
    agentlog.configure(service="shop-assistant", output=sys.stdout, level="info")
    google_adk.instrument()  # the one line
    agent = LlmAgent(
        name="shop",
        model=ScriptedLlm(),
        instruction="Help with orders.",
        tools=[lookup_order, refund],
        on_tool_error_callback=tool_error_to_model,
    )
    runner = InMemoryRunner(agent=agent, app_name="shop")
    asyncio.run(ask(runner, "Where is my order A-1042? Please refund it."))


if __name__ == "__main__":
    main()
