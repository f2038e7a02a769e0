"""smolagents: its model and tool entry points timed alone and with ``agentlog.integrations.smolagents``.

A ``ToolCallingAgent`` with a scripted offline ``smolagents.models.Model``
runs one task; its model calls one ``drive`` tool, which makes ``CALLS``
operations through the very entry points the agent's loop uses — either
``agent.execute_tool_call("constant", {})`` (a tool returning a constant)
or ``agent.model.generate(messages)`` with the agent's real first-turn
prompt (system prompt and task) — then the model gives its final answer.

Per operation: the run's time divided by ``CALLS``. The run's own cost (two
model calls, two tool calls, ``run_started``/``run_finished``) is spread
over the ``CALLS`` operations, at most a few percent of the figure. Rounds
alternate the framework alone and adapted: the first run of a round calls
``uninstrument()`` or ``instrument()`` (about 0.1 ms), the others find it
done. agentlog writes to ``os.devnull`` with the default capture policy
(so the adapted model call hashes the prompt).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

import agentlog
from agentlog.integrations import smolagents as adapter
from benchmarks.adapters.timing import interleaved, overhead, preceded

FRAMEWORK = "smolagents"
CALLS = 200
REPEAT = 3

smolagents: Any = importlib.import_module("smolagents")
models: Any = importlib.import_module("smolagents.models")
TokenUsage: Any = importlib.import_module("smolagents.monitoring").TokenUsage
ModelBase: Any = models.Model


def _message(name: str, arguments: dict[str, Any], call_id: str) -> Any:
    call = models.ChatMessageToolCall(
        id=call_id,
        type="function",
        function=models.ChatMessageToolCallFunction(name=name, arguments=arguments),
    )
    usage = TokenUsage(input_tokens=100, output_tokens=10)
    return models.ChatMessage(role="assistant", content="", tool_calls=[call], token_usage=usage)


class _Scripted(ModelBase):  # type: ignore[misc]  # an untyped base
    """Calls ``drive`` first, then answers; any other call (from ``drive``) gets a constant answer."""

    def __init__(self) -> None:
        super().__init__(model_id="bench-model")
        self.turn = 0

    def generate(self, messages: list[Any], **kwargs: Any) -> Any:
        self.turn += 1
        if self.turn == 1:
            return _message("drive", {}, "call_drive")
        return _message("final_answer", {"answer": "done"}, "call_final")


def constant() -> str:
    """Return a constant.

    Returns:
        Always the same text.
    """
    return "ok"


def _runner(operation: str) -> Callable[[], None]:
    """One agent run whose ``drive`` tool makes ``CALLS`` tool or model calls."""
    agent: Any = None

    def drive() -> str:
        """Make the timed calls.

        Returns:
            Always the same text.
        """
        if operation == "tool":
            for _ in range(CALLS):
                agent.execute_tool_call("constant", {})
        else:
            messages = agent.write_memory_to_messages()
            model = agent.model
            for _ in range(CALLS):
                model.turn = 1  # a constant answer
                model.generate(messages)
            model.turn = 1
        return "driven"

    tools = [smolagents.tool(constant), smolagents.tool(drive)]

    def run() -> None:
        nonlocal agent
        agent = smolagents.ToolCallingAgent(
            tools=tools, model=_Scripted(), verbosity_level=smolagents.LogLevel.OFF
        )
        agent.run("bench")

    return run


def measure(rounds: int) -> dict[str, float]:
    """Median cost per tool call and per model call alone, and the adapter's extra, in µs."""
    agentlog.configure(service="bench", output=os.devnull)
    figures: dict[str, float] = {}
    try:
        for name, operation in (("tool_call", "tool"), ("llm_call", "llm")):
            target = _runner(operation)
            target()  # warm up
            alone, adapted = interleaved(
                preceded(adapter.uninstrument, target),
                preceded(adapter.instrument, target),
                rounds=rounds,
                repeat=REPEAT,
            )
            figures.update(overhead(name, alone, adapted, CALLS))
    finally:
        adapter.uninstrument()
    return figures
