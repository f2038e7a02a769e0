"""OpenTelemetry GenAI spans: a library's agent run timed alone and with ``agentlog.integrations.otel_genai``.

The "library" emits, through a real OpenTelemetry SDK ``TracerProvider`` with
no exporter, the spans any GenAI library emits: an ``invoke_agent`` span
holding ``TURNS`` turns of a ``chat`` span (with usage and finish reason)
followed by ``execute_tool`` spans (call ID and arguments) around a trivial
tool returning a constant, then a final ``chat`` span. Two run shapes:

* *single*: one tool call per turn: ``TURNS + 1`` model calls, ``TURNS`` tool calls;
* *double*: two tool calls per turn: ``TURNS + 1`` model calls, ``2 × TURNS`` tool calls.

Per tool call: (double − single) / ``TURNS``, alone and adapted.
Per model call: (single − ``TURNS`` × the per-tool-call figure) / ``TURNS + 1``
— so the run's own cost is counted with the model calls. "Alone" is the
provider without agentlog's processor (the SDK's own span cost is in both);
"adapted" is after ``instrument(provider)``. Rounds alternate the two: the
first run of a round calls ``uninstrument()`` or ``instrument()``, the
others find it done. agentlog writes to ``os.devnull``.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import agentlog
from agentlog.integrations import otel_genai as adapter
from benchmarks.adapters.timing import interleaved, per_call, preceded

FRAMEWORK = "OpenTelemetry GenAI spans"
TURNS = 10
REPEAT = 50

sdk_trace: Any = importlib.import_module("opentelemetry.sdk.trace")
PROVIDER: Any = sdk_trace.TracerProvider()
TRACER: Any = PROVIDER.get_tracer("bench.library")
OPERATION = "gen_ai.operation.name"
CHAT = {OPERATION: "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.provider.name": "openai"}
USAGE = {
    "gen_ai.usage.input_tokens": 100,
    "gen_ai.usage.output_tokens": 10,
    "gen_ai.response.finish_reasons": ["tool_calls"],
}


def constant() -> str:
    """Return a constant."""
    return "ok"


def _runner(per_turn: int) -> Any:
    def run() -> None:
        with TRACER.start_as_current_span(
            "invoke_agent bench", attributes={OPERATION: "invoke_agent", "gen_ai.agent.name": "bench"}
        ):
            for turn in range(TURNS + 1):
                with TRACER.start_as_current_span("chat gpt-4o", attributes=CHAT) as span:
                    span.set_attributes(USAGE)
                if turn == TURNS:
                    break
                for n in range(per_turn):
                    attributes = {
                        OPERATION: "execute_tool",
                        "gen_ai.tool.name": "constant",
                        "gen_ai.tool.call.id": f"t{turn}-{n}",
                        "gen_ai.tool.call.arguments": "{}",
                    }
                    with TRACER.start_as_current_span("execute_tool constant", attributes=attributes) as span:
                        span.set_attribute("gen_ai.tool.call.result", constant())

    return run


def measure(rounds: int) -> dict[str, float]:
    """Median cost per model call and per tool call alone, and the adapter's extra, in µs."""
    agentlog.configure(service="bench", output=os.devnull)
    adapter.uninstrument()
    single, double = _runner(1), _runner(2)
    single(), double()  # warm up
    try:
        single_alone, single_adapted = interleaved(
            preceded(adapter.uninstrument, single),
            preceded(lambda: adapter.instrument(PROVIDER), single),
            rounds=rounds,
            repeat=REPEAT,
        )
        double_alone, double_adapted = interleaved(
            preceded(adapter.uninstrument, double),
            preceded(lambda: adapter.instrument(PROVIDER), double),
            rounds=rounds,
            repeat=REPEAT,
        )
    finally:
        adapter.uninstrument()
    tools = (
        [b - a for a, b in zip(single_alone, double_alone, strict=True)],
        [b - a for a, b in zip(single_adapted, double_adapted, strict=True)],
    )
    return per_call((single_alone, single_adapted), tools, TURNS)
