"""Google ADK: a runner invocation timed alone and with ``agentlog.integrations.google_adk``.

The offline model is a scripted ``BaseLlm`` answering each turn with one
``LlmResponse`` (function calls with their IDs, or text) and its
``usage_metadata``; the one tool is a plain function returning a constant
(ADK calls a sync function inline, on the event loop). Each invocation builds
the agent, an ``InMemoryRunner`` and a session, then drives ``run_async`` to
its last event, on one event loop. Two invocation shapes, each ``TURNS``
model turns that call tools, then one that answers:

* *single*: one tool call per turn: ``TURNS + 1`` model calls, ``TURNS`` tool calls;
* *wide*: ``WIDE`` tool calls per turn: ``TURNS + 1`` model calls, ``WIDE × TURNS`` tool calls.

Per tool call: (wide − single) / ((``WIDE`` − 1) × ``TURNS``), alone and adapted.
Per model call: (single − ``TURNS`` × the per-tool-call figure) / ``TURNS + 1``
— so the invocation's own cost (building the runner and session,
``run_started`` / ``run_finished``) is counted with the model calls. Each
invocation builds a new runner, so an adapted one has the plugin and an alone
one has none. A round is ``REPEAT`` passes, each timing both shapes alone,
then (``instrument()`` called between, outside the timed calls) both
adapted; a round's four figures are the fastest of its passes (another
process only ever adds time), so the figures a round subtracts are taken
moments apart and a busy machine's spikes drop out. The garbage collector
is off while timing (a collection landing in one pass is noise). agentlog
writes to ``os.devnull`` with the default capture policy; ADK's tracer does
not record (no OpenTelemetry SDK provider).
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import AsyncGenerator, Callable
from typing import Any

from google.adk.agents import LlmAgent
from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import InMemoryRunner
from google.genai import types

import agentlog
from agentlog.integrations import google_adk as adapter
from benchmarks.adapters.timing import interleaved, per_call

FRAMEWORK = "Google ADK"
TURNS = 10
WIDE = 4
REPEAT = 5


def constant() -> str:
    """Return a constant."""
    return "ok"


class _Scripted(BaseLlm):
    """``TURNS`` turns calling the tool ``per_turn`` times each, then an answer."""

    model: str = "bench-model"
    per_turn: int = 1
    turn: int = 0

    async def generate_content_async(
        self, llm_request: Any, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        self.turn += 1
        if self.turn <= TURNS:
            parts = [
                types.Part(function_call=types.FunctionCall(id=f"t{self.turn}-{n}", name="constant", args={}))
                for n in range(self.per_turn)
            ]
        else:
            parts = [types.Part(text="done")]
        yield LlmResponse(
            content=types.Content(role="model", parts=parts),
            usage_metadata=types.GenerateContentResponseUsageMetadata(
                prompt_token_count=100, candidates_token_count=10
            ),
            finish_reason=types.FinishReason.STOP,
        )


MESSAGE = types.Content(role="user", parts=[types.Part(text="bench")])


def _runner(loop: asyncio.AbstractEventLoop, per_turn: int) -> Callable[[], None]:
    async def invoke() -> None:
        agent = LlmAgent(name="bench", model=_Scripted(per_turn=per_turn), tools=[constant])
        runner = InMemoryRunner(agent=agent, app_name="bench")
        session = await runner.session_service.create_session(app_name="bench", user_id="u")
        async for _ in runner.run_async(user_id="u", session_id=session.id, new_message=MESSAGE):
            pass

    def run() -> None:
        loop.run_until_complete(invoke())

    return run


def measure(rounds: int) -> dict[str, float]:
    """Median cost per model call and per tool call alone, and the adapter's extra, in µs."""
    agentlog.configure(service="bench", output=os.devnull)
    adapter.uninstrument()
    loop = asyncio.new_event_loop()
    single, wide = _runner(loop, 1), _runner(loop, WIDE)
    single(), wide()  # warm up: imports, ADK's lazy modules
    adapter.instrument()
    single(), wide()  # and the adapter's plugin class
    adapter.uninstrument()
    gc.collect()
    gc.disable()  # a collection inside a round is noise
    times: dict[str, list[float]] = {"single": [], "wide": [], "single+": [], "wide+": []}
    try:
        for _ in range(rounds):
            fastest = {name: float("inf") for name in times}
            for _ in range(REPEAT):
                for toggle, mark in ((adapter.uninstrument, ""), (adapter.instrument, "+")):
                    toggle()  # outside the timed calls
                    one, other = interleaved(single, wide, rounds=1, repeat=1)
                    fastest["single" + mark] = min(fastest["single" + mark], one[0])
                    fastest["wide" + mark] = min(fastest["wide" + mark], other[0])
            for name, value in fastest.items():
                times[name].append(value)
    finally:
        gc.enable()
        adapter.uninstrument()
        loop.close()
    extra = (WIDE - 1) * TURNS
    tools = (
        [(b - a) / extra * TURNS for a, b in zip(times["single"], times["wide"], strict=True)],
        [(b - a) / extra * TURNS for a, b in zip(times["single+"], times["wide+"], strict=True)],
    )
    return per_call((times["single"], times["single+"]), tools, TURNS)
