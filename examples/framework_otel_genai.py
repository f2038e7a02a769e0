"""Any library emitting OpenTelemetry GenAI spans, recorded by agentlog: ``otel_genai.instrument()``.

Run it: ``python examples/framework_otel_genai.py`` — it prints JSON lines to
stdout. The "library" here is a few lines emitting the spans any GenAI
library emits (``invoke_agent``, ``chat``, ``execute_tool``) through the
OpenTelemetry SDK; nothing is exported.
"""

from __future__ import annotations

import sys

from opentelemetry.sdk.trace import TracerProvider

import agentlog
from agentlog.integrations import otel_genai

provider = TracerProvider()
tracer = provider.get_tracer("acme.agents")


def get_weather(city: str) -> str:
    """A tool; its log line carries the run's and the tool call's IDs."""
    agentlog.get_logger("tools").info("fetching forecast")
    return "sunny"


def agent(question: str) -> str:
    """What an instrumented agent library does: GenAI spans around its work."""
    operation = "gen_ai.operation.name"
    with tracer.start_as_current_span(
        "invoke_agent weather", attributes={operation: "invoke_agent", "gen_ai.agent.name": "weather"}
    ):
        with tracer.start_as_current_span(
            "chat gpt-4o",
            attributes={
                operation: "chat",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.provider.name": "openai",
            },
        ) as span:
            span.set_attributes(
                {
                    "gen_ai.usage.input_tokens": 120,
                    "gen_ai.usage.output_tokens": 18,
                    "gen_ai.response.finish_reasons": ["tool_calls"],
                }
            )
        with tracer.start_as_current_span(
            "execute_tool get_weather",
            attributes={
                operation: "execute_tool",
                "gen_ai.tool.name": "get_weather",
                "gen_ai.tool.call.id": "call_Qm41",
                "gen_ai.tool.call.arguments": '{"city": "Oslo"}',
            },
        ) as span:
            span.set_attribute("gen_ai.tool.call.result", get_weather("Oslo"))
        return "It is sunny in Oslo."


def main() -> None:
    agentlog.configure(service="weather-agent", output=sys.stdout)
    otel_genai.instrument(provider)
    agent("What is the weather in Oslo?")


if __name__ == "__main__":
    main()
