"""OpenAI Agents SDK: a ``Runner`` run timed alone and with ``agentlog.integrations.openai_agents``.

The offline model is a scripted ``agents.models.interface.Model`` that
reports each call as the SDK's own Responses model does: a ``response``
span carrying the usage and the ``Response`` (the adapter reads both). The
one tool is an async ``function_tool`` returning a constant (no worker
thread, so no thread-pool noise). Each run builds the agent and awaits
``Runner.run`` to its end, on one event loop. Two run shapes, each
``TURNS`` model turns that call tools, then one that answers:

* *single*: one tool call per turn: ``TURNS + 1`` model calls, ``TURNS`` tool calls;
* *wide*: ``WIDE`` tool calls per turn: ``TURNS + 1`` model calls, ``WIDE × TURNS`` tool calls.

Per tool call: (wide − single) / ((``WIDE`` − 1) × ``TURNS``), alone and adapted.
Per model call: (single − ``TURNS`` × the per-tool-call figure) / ``TURNS + 1``
— so the run's own cost (building the agent, the SDK's trace and task span,
``run_started`` / ``run_finished``) is counted with the model calls.

*Alone* is the SDK with its tracing on and no trace processor registered
(the SDK's exporter to OpenAI is taken off the list for the whole
measurement, so nothing is sent anywhere, and the list is put back as it
was at the end); *adapted* has agentlog's processor and the two wrapped SDK
functions. A round is ``REPEAT`` passes, each timing both shapes alone,
then (``instrument()`` called between, outside the timed calls) both
adapted; a round's four figures are the fastest of its passes (another
process only ever adds time), so the figures a round subtracts are taken
moments apart and a busy machine's spikes drop out. The garbage collector
is off while timing (a collection landing in one pass is noise). agentlog
writes to ``os.devnull`` with the default capture policy.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import os
from collections.abc import AsyncIterator
from typing import Any

import agentlog
from agentlog.integrations import openai_agents as adapter
from benchmarks.adapters.timing import interleaved, per_call

FRAMEWORK = "OpenAI Agents SDK"
TURNS = 10
WIDE = 4
REPEAT = 5

agents: Any = importlib.import_module("agents")
interface: Any = importlib.import_module("agents.models.interface")
items: Any = importlib.import_module("agents.items")
usage_module: Any = importlib.import_module("agents.usage")
tracing: Any = importlib.import_module("agents.tracing")
responses: Any = importlib.import_module("openai.types.responses")


async def constant() -> str:
    """Return a constant."""
    return "ok"


CONSTANT: Any = agents.function_tool(constant)


def _call(turn: int, n: int) -> Any:
    return responses.ResponseFunctionToolCall(
        type="function_call", name="constant", arguments="{}", call_id=f"t{turn}-{n}", id=f"fc_{turn}_{n}"
    )


ANSWER: Any = responses.ResponseOutputMessage(
    id="msg_1",
    type="message",
    role="assistant",
    status="completed",
    content=[responses.ResponseOutputText(type="output_text", text="done", annotations=[])],
)
USAGE: Any = responses.ResponseUsage(
    input_tokens=100,
    output_tokens=10,
    total_tokens=110,
    input_tokens_details={"cached_tokens": 0, "cache_write_tokens": 0},
    output_tokens_details={"reasoning_tokens": 0},
)


class _Scripted(interface.Model):  # type: ignore[misc]  # an untyped base
    """``TURNS`` turns calling the tool *per_turn* times each, then an answer."""

    def __init__(self, per_turn: int) -> None:
        self.per_turn = per_turn
        self.turn = 0

    async def get_response(self, system_instructions: Any, input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        tracer = args[4] if len(args) > 4 else kwargs["tracing"]
        self.turn += 1
        calls = [_call(self.turn, n) for n in range(self.per_turn)]
        output = calls if self.turn <= TURNS else [ANSWER]
        with tracing.response_span(disabled=tracer.is_disabled()) as span:
            response = responses.Response(
                id=f"resp_{self.turn}",
                created_at=0,
                model="bench-model",
                object="response",
                output=output,
                tool_choice="auto",
                tools=[],
                parallel_tool_calls=True,
                usage=USAGE,
                status="completed",
            )
            span.span_data.usage = USAGE.model_dump()
            if tracer.include_data():
                span.span_data.response = response
                span.span_data.input = input
        usage = usage_module.Usage(requests=1, input_tokens=100, output_tokens=10, total_tokens=110)
        return items.ModelResponse(output=output, usage=usage, response_id=response.id)

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError
        yield


def _runner(loop: asyncio.AbstractEventLoop, per_turn: int) -> Any:
    def run() -> None:
        agent = agents.Agent(name="bench", model=_Scripted(per_turn), tools=[CONSTANT])
        loop.run_until_complete(agents.Runner.run(agent, "bench", max_turns=TURNS + 2))

    return run


def measure(rounds: int) -> dict[str, float]:
    """Median cost per model call and per tool call alone, and the adapter's extra, in µs."""
    agentlog.configure(service="bench", output=os.devnull)
    adapter.uninstrument()
    multi = getattr(tracing.get_trace_provider(), "_multi_processor", None)
    before = list(getattr(multi, "_processors", ()))
    tracing.set_trace_processors([])  # the SDK's exporter to OpenAI off: nothing leaves the process
    loop = asyncio.new_event_loop()
    single, wide = _runner(loop, 1), _runner(loop, WIDE)
    times: dict[str, list[float]] = {"single": [], "wide": [], "single+": [], "wide+": []}
    try:
        single(), wide()  # warm up: imports, the tool's schema
        adapter.instrument()
        single(), wide()  # and the adapter's first scopes
        adapter.uninstrument()
        gc.collect()
        gc.disable()  # a collection landing inside one pass is noise
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
        tracing.set_trace_processors(before)
    extra = (WIDE - 1) * TURNS
    tools = (
        [(b - a) / extra * TURNS for a, b in zip(times["single"], times["wide"], strict=True)],
        [(b - a) / extra * TURNS for a, b in zip(times["single+"], times["wide+"], strict=True)],
    )
    return per_call((times["single"], times["single+"]), tools, TURNS)
