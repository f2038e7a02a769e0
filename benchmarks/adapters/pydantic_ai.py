"""PydanticAI: an agent run timed alone and with ``agentlog.integrations.pydantic_ai``.

The offline model is PydanticAI's own ``FunctionModel``, scripted to answer
``TURNS`` requests with tool calls (reporting usage) and then with text; the
one tool is an ``async`` function returning a constant. Each run is awaited
(``agent.run``) on one event loop. Two run shapes:

* *single*: one tool call per turn: ``TURNS + 1`` model calls, ``TURNS`` tool calls;
* *double*: two tool calls per turn: ``TURNS + 1`` model calls, ``2 × TURNS`` tool calls.

Per tool call: (double − single) / ``TURNS``, alone and adapted.
Per model call: (single − ``TURNS`` × the per-tool-call figure) / ``TURNS + 1``
— so the run's own cost (``run_started`` / ``run_finished``) is counted with
the model calls. "Alone" is PydanticAI uninstrumented; "adapted" is after
``instrument()``, so the extra includes PydanticAI's own instrumentation
work (its spans, and the messages it serializes for agentlog's capture
policy). Rounds alternate the two: the first run of a round calls
``uninstrument()`` or ``instrument()``, the others find it done. The
garbage collector is off while timing. agentlog writes to ``os.devnull``.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import os
from typing import Any

import agentlog
from agentlog.integrations import pydantic_ai as adapter
from benchmarks.adapters.timing import interleaved, per_call, preceded

FRAMEWORK = "PydanticAI"
TURNS = 10
REPEAT = 10

pydantic_ai: Any = importlib.import_module("pydantic_ai")
messages: Any = importlib.import_module("pydantic_ai.messages")
function: Any = importlib.import_module("pydantic_ai.models.function")
usage: Any = importlib.import_module("pydantic_ai.usage")


def _model(per_turn: int) -> Any:
    """``TURNS`` responses calling the tool *per_turn* times each, then an answer."""

    def answer(history: list[Any], info: Any) -> Any:
        turn = sum(1 for message in history if isinstance(message, messages.ModelResponse))
        tokens = usage.RequestUsage(input_tokens=100, output_tokens=10)
        if turn < TURNS:
            parts = [
                messages.ToolCallPart("constant", {}, tool_call_id=f"t{turn}-{n}") for n in range(per_turn)
            ]
            return messages.ModelResponse(parts=parts, usage=tokens)
        return messages.ModelResponse(parts=[messages.TextPart("done")], usage=tokens)

    return function.FunctionModel(answer)


def _agent(per_turn: int) -> Any:
    agent = pydantic_ai.Agent(_model(per_turn), name="bench")

    @agent.tool_plain  # type: ignore[untyped-decorator]  # pydantic_ai is imported untyped here
    async def constant() -> str:
        return "ok"

    return agent


def _runner(loop: asyncio.AbstractEventLoop, per_turn: int) -> Any:
    agent = _agent(per_turn)

    def run() -> None:
        loop.run_until_complete(agent.run("bench"))

    return run


def measure(rounds: int) -> dict[str, float]:
    """Median cost per model call and per tool call alone, and the adapter's extra, in µs."""
    agentlog.configure(service="bench", output=os.devnull)
    adapter.uninstrument()
    loop = asyncio.new_event_loop()
    single, double = _runner(loop, 1), _runner(loop, 2)
    single(), double()  # warm up: imports, schemas
    adapter.instrument()
    single(), double()
    adapter.uninstrument()
    gc.collect()
    gc.disable()
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
        gc.enable()
        adapter.uninstrument()
        loop.close()
    tools = (
        [b - a for a, b in zip(single_alone, double_alone, strict=True)],
        [b - a for a, b in zip(single_adapted, double_adapted, strict=True)],
    )
    return per_call((single_alone, single_adapted), tools, TURNS)
