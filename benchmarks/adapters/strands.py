"""Strands Agents: an agent invocation timed alone and with ``agentlog.integrations.strands``.

The offline model is a scripted ``strands.models.Model`` streaming
Bedrock-style events with usage; the one tool returns a constant; tools run
on Strands' ``SequentialToolExecutor``, each invocation awaited
(``invoke_async``) on one event loop. Two invocation shapes, each
``TURNS`` model turns that call tools, then one that answers:

* *single*: one tool call per turn: ``TURNS + 1`` model calls, ``TURNS`` tool calls;
* *double*: two tool calls per turn: ``TURNS + 1`` model calls, ``2 × TURNS`` tool calls.

Per tool call: (double − single) / ``TURNS``, alone and adapted.
Per model call: (single − ``TURNS`` × the per-tool-call figure) / ``TURNS + 1``
— so the invocation's own cost (building the agent, ``run_started`` /
``run_finished``) is counted with the model calls. Each invocation builds a
new agent, so an adapted one has the hook provider and an alone one has
none. Rounds alternate the framework alone and adapted: the first
invocation of a round calls ``uninstrument()`` or ``instrument()``, the
others find it done. The garbage collector is off while timing (Strands
leaves cyclic garbage; a collection landing in one round is noise).
agentlog writes to ``os.devnull``.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import agentlog
from agentlog.integrations import strands as adapter
from benchmarks.adapters.timing import interleaved, per_call, preceded

FRAMEWORK = "Strands Agents"
TURNS = 10
REPEAT = 20

strands: Any = importlib.import_module("strands")
models: Any = importlib.import_module("strands.models")
executors: Any = importlib.import_module("strands.tools.executors")


def constant() -> str:
    """Return a constant."""
    return "ok"


CONSTANT: Any = strands.tool(constant)


class _Scripted(models.Model):  # type: ignore[misc]  # an untyped base
    """``TURNS`` turns calling the tool *per_turn* times each, then an answer."""

    def __init__(self, per_turn: int) -> None:
        self.config: dict[str, Any] = {"model_id": "bench-model"}
        self.per_turn = per_turn
        self.turn = 0

    def update_config(self, **model_config: Any) -> None:
        self.config.update(model_config)

    def get_config(self) -> Any:
        return self.config

    async def structured_output(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError
        yield

    async def stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        self.turn += 1
        yield {"messageStart": {"role": "assistant"}}
        if self.turn <= TURNS:
            for n in range(self.per_turn):
                tool_use = {"name": "constant", "toolUseId": f"t{self.turn}-{n}"}
                yield {"contentBlockStart": {"start": {"toolUse": tool_use}}}
                yield {"contentBlockDelta": {"delta": {"toolUse": {"input": json.dumps({})}}}}
                yield {"contentBlockStop": {}}
            yield {"messageStop": {"stopReason": "tool_use"}}
        else:
            yield {"contentBlockDelta": {"delta": {"text": "done"}}}
            yield {"contentBlockStop": {}}
            yield {"messageStop": {"stopReason": "end_turn"}}
        usage = {"inputTokens": 100, "outputTokens": 10, "totalTokens": 110}
        yield {"metadata": {"usage": usage, "metrics": {"latencyMs": 1}}}


def _runner(loop: asyncio.AbstractEventLoop, per_turn: int) -> Any:
    def run() -> None:
        agent = strands.Agent(
            model=_Scripted(per_turn),
            tools=[CONSTANT],
            callback_handler=None,
            tool_executor=executors.SequentialToolExecutor(),
        )
        loop.run_until_complete(agent.invoke_async("bench"))

    return run


def measure(rounds: int) -> dict[str, float]:
    """Median cost per model call and per tool call alone, and the adapter's extra, in µs."""
    agentlog.configure(service="bench", output=os.devnull)
    adapter.uninstrument()
    loop = asyncio.new_event_loop()
    single, double = _runner(loop, 1), _runner(loop, 2)
    single(), double()  # warm up: imports, tool registry
    gc.collect()
    gc.disable()  # Strands' invocations leave cyclic garbage; a collection inside a round is noise
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
