"""An agent loop written with agentlog.events alone: no with-blocks, the same lines and tree.

Run it: ``python examples/own_loop.py`` — it prints JSON lines to stdout; pipe
them to ``agentlog show RUN_ID -`` to see the run drawn.
"""

from __future__ import annotations

import asyncio
from typing import Any

import agentlog
from agentlog import events

log = agentlog.get_logger("agent")


async def call_tool(name: str, args: dict[str, Any]) -> str:
    """Run one tool; its tool_call is in force in this task until its tool_result."""
    call_id = events.tool_call(name, args)
    log.info("tool started", tool=name)  # carries the run, the step and this call's IDs
    await asyncio.sleep(0.001)
    if name == "lookup_order":
        events.tool_result(name, tool_call_id=call_id, error_class="TimeoutError", error_message="slow API")
        return "unavailable"
    events.tool_result(name, tool_call_id=call_id, result={"hits": 2})  # latency measured for you
    return "found"


async def agent(question: str) -> None:
    """A planning step, two tools in parallel, an answer."""
    events.run_started(question, user_id="u-42", metadata={"prompt_version": "v7"})
    events.agent_step("plan")
    events.llm_result("sim-1", provider="offline", input_tokens=120, output_tokens=14, latency_ms=3.2)
    events.agent_step("tool")  # closes the planning step
    results = await asyncio.gather(
        call_tool("search_docs", {"query": question}),
        call_tool("lookup_order", {"order": "A-1009"}),
    )
    events.agent_step("model")
    events.llm_result("sim-1", provider="offline", input_tokens=300, output_tokens=40, finish_reason="stop")
    events.decision("fallback", "partial answer", reason=f"tools returned {results}")
    events.run_finished()  # closes the last step; totals counted from the lines above


def main() -> None:
    agentlog.configure(service="own-loop", env="dev")
    asyncio.run(agent("Where is order A-1009?"))


if __name__ == "__main__":
    main()
