"""OpenAI Agents SDK: one ``instrument()`` line, and every ``Runner`` run is an agentlog run.

An offline agent looks an order up with one tool, tries a refund with a
second tool that fails, then answers. The model is the SDK's own
``OpenAIResponsesModel``; its ``AsyncOpenAI`` client is handed an httpx2
``MockTransport`` (httpx2 is the HTTP client ``openai`` is built on) that
answers from a script: the model's tool calls with their ``call_id``, and
the token usage. No request leaves the process and no key is needed.
Run it: ``python examples/framework_openai_agents.py`` — it prints
agentlog's JSON lines to stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import httpx2
from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_trace_processors
from openai import AsyncOpenAI

import agentlog
from agentlog.integrations import openai_agents as agentlog_openai_agents


def _function_call(name: str, call_id: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": f"fc_{call_id}",
        "call_id": call_id,
        "name": name,
        "arguments": json.dumps(arguments),
        "status": "completed",
    }


ORDER = {"order_id": "A-1042"}
ANSWER = {
    "type": "message",
    "id": "msg_1",
    "role": "assistant",
    "status": "completed",
    "content": [
        {"type": "output_text", "text": "Order A-1042 shipped; it can't be refunded.", "annotations": []}
    ],
}
# Each turn: the output items, then (input, output, cached input, reasoning) tokens.
SCRIPT: list[tuple[list[dict[str, Any]], tuple[int, int, int, int]]] = [
    (
        [
            _function_call("lookup_order", "call_lookup", ORDER),
            _function_call("refund", "call_refund", ORDER),
        ],
        (412, 31, 128, 12),
    ),
    ([ANSWER], (470, 14, 384, 0)),
]


def scripted_responses_api(request: httpx2.Request) -> httpx2.Response:
    """Answer ``POST /responses`` as the Responses API does, from the script."""
    output, (inputs, outputs, cached, reasoning) = SCRIPT.pop(0)
    return httpx2.Response(
        200,
        json={
            "id": f"resp_{len(SCRIPT)}",
            "object": "response",
            "created_at": 0,
            "model": "gpt-4.1-mini-2025-04-14",
            "status": "completed",
            "output": output,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": {
                "input_tokens": inputs,
                "output_tokens": outputs,
                "total_tokens": inputs + outputs,
                "input_tokens_details": {"cached_tokens": cached},
                "output_tokens_details": {"reasoning_tokens": reasoning},
            },
        },
    )


@function_tool
def lookup_order(order_id: str) -> str:
    """Look an order up.

    Args:
        order_id: The order's number.
    """
    agentlog.get_logger("shop").info("order found", status="shipped")  # carries run_id, step_id, tool_call_id
    return "shipped"


@function_tool
def refund(order_id: str) -> str:
    """Refund an order.

    Args:
        order_id: The order's number.
    """
    raise ValueError("refund window closed")  # the SDK tells the model; agentlog records the ValueError


async def main() -> None:
    """Configure agentlog, instrument the SDK, run the agent once."""
    agentlog.configure(service="shop-assistant", output=sys.stdout)
    # The SDK registers a trace processor of its own that sends every trace to OpenAI's tracing
    # backend from a background thread. This example must not touch the network, so that exporter
    # is dropped — before instrument(), which adds agentlog's processor to the list.
    # Not set_tracing_disabled(True): that silences the SDK's tracing for every processor, agentlog's too.
    set_trace_processors([])
    agentlog_openai_agents.instrument()  # the one line

    client = AsyncOpenAI(
        api_key="offline",
        base_url="http://offline.invalid/v1",
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(scripted_responses_api)),
    )
    agent = Agent(
        name="shop",
        instructions="You help with orders.",
        model=OpenAIResponsesModel(model="gpt-4.1-mini", openai_client=client),
        tools=[lookup_order, refund],
    )
    # asyncio.run closes its event loop; Runner.run_sync would leave the thread's default loop open.
    await Runner.run(agent, "Where is my order A-1042? Please refund it.")
    await client.close()


if __name__ == "__main__":
    asyncio.run(main())
