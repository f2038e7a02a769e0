"""OpenTelemetry with the real SDK and an in-memory exporter (a private TracerProvider)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import agentlog
from agentlog import events, propagation


class Recorded(InMemorySpanExporter):
    """An in-memory exporter that also holds its private provider."""

    def __init__(self) -> None:
        super().__init__()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self))


@pytest.fixture
def exporter() -> Iterator[Recorded]:
    recorded = Recorded()
    yield recorded
    recorded.provider.shutdown()


def _configure(exporter: Recorded, **options: Any) -> io.BytesIO:
    out = io.BytesIO()
    agentlog.configure(
        output=out, service="support-agent", otel_spans=True, tracer_provider=exporter.provider, **options
    )
    return out


def _lines(out: io.BytesIO) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in out.getvalue().splitlines()]


def _hex(span: ReadableSpan) -> tuple[str, str]:
    context = span.get_span_context()
    assert context is not None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"


def _by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {span.name: span for span in spans}


def test_spans_follow_genai_conventions_and_share_the_log_ids(exporter: Recorded) -> None:
    """One span per scope, GenAI names and attributes, and the very IDs of the log lines."""
    out = _configure(exporter)
    with agentlog.run(session_id="conv-1"), agentlog.step("tool"):
        with agentlog.tool_call("search_docs", {"q": "refunds"}, tool_call_id="call_1"):
            pass
        with agentlog.llm_call("gpt-4o", provider="openai") as llm:
            llm.set_usage(input_tokens=812, output_tokens=97, finish_reason="stop")
    spans = _by_name(exporter.get_finished_spans())
    assert set(spans) == {
        "invoke_agent support-agent",
        "step tool",
        "execute_tool search_docs",
        "chat gpt-4o",
    }
    agent, step, tool, chat = (
        spans["invoke_agent support-agent"],
        spans["step tool"],
        spans["execute_tool search_docs"],
        spans["chat gpt-4o"],
    )
    assert agent.attributes is not None and agent.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert agent.attributes["gen_ai.conversation.id"] == "conv-1"
    assert tool.attributes is not None
    assert tool.attributes["gen_ai.operation.name"] == "execute_tool"
    assert tool.attributes["gen_ai.tool.name"] == "search_docs"
    assert tool.attributes["gen_ai.tool.call.id"] == "call_1"
    assert "gen_ai.tool.call.arguments" not in tool.attributes  # capture="hash": no content
    assert chat.kind == trace.SpanKind.CLIENT
    assert chat.attributes is not None
    assert chat.attributes["gen_ai.provider.name"] == "openai"
    assert chat.attributes["gen_ai.request.model"] == "gpt-4o"
    assert chat.attributes["gen_ai.usage.input_tokens"] == 812
    assert chat.attributes["gen_ai.usage.output_tokens"] == 97
    assert tuple(chat.attributes["gen_ai.response.finish_reasons"]) == ("stop",)  # type: ignore[arg-type]
    # Parents: agent <- step <- tool, step <- chat.
    assert step.parent is not None and step.parent.span_id == agent.get_span_context().span_id  # type: ignore[union-attr]
    assert tool.parent is not None and tool.parent.span_id == step.get_span_context().span_id  # type: ignore[union-attr]
    # The log lines carry the spans' IDs.
    lines = _lines(out)
    by_event = {line["event"]: line for line in lines}
    assert (by_event["run_started"]["trace_id"], by_event["run_started"]["span_id"]) == _hex(agent)
    assert by_event["agent_step"]["span_id"] == _hex(step)[1]
    assert by_event["tool_call"]["span_id"] == _hex(tool)[1]
    assert by_event["llm_result"]["span_id"] == _hex(chat)[1]
    assert {line["trace_id"] for line in lines} == {_hex(agent)[0]}


def test_error_sets_span_status_and_error_type(exporter: Recorded) -> None:
    """An exception escaping a tool call: ERROR status and error.type on its span."""
    _configure(exporter)
    with pytest.raises(TimeoutError), agentlog.run(), agentlog.tool_call("flaky", {}):
        raise TimeoutError("slow upstream")
    spans = _by_name(exporter.get_finished_spans())
    tool = spans["execute_tool flaky"]
    assert tool.status.status_code == trace.StatusCode.ERROR
    assert tool.attributes is not None and tool.attributes["error.type"] == "TimeoutError"
    assert spans["invoke_agent support-agent"].status.status_code == trace.StatusCode.ERROR


def test_content_attributes_follow_the_capture_policy(exporter: Recorded) -> None:
    """With capture="full", tool arguments and results go on the span too (secrets still out)."""
    _configure(exporter, capture="full")
    with (
        agentlog.run(),
        agentlog.tool_call("search", {"q": "refunds", "api_key": "sk-not-for-spans-123"}) as call,
    ):
        call.result = {"hits": 2}
    tool = _by_name(exporter.get_finished_spans())["execute_tool search"]
    assert tool.attributes is not None
    arguments = orjson.loads(str(tool.attributes["gen_ai.tool.call.arguments"]))
    assert arguments == {"q": "refunds", "api_key": "[REDACTED:api_key]"}
    assert orjson.loads(str(tool.attributes["gen_ai.tool.call.result"])) == {"hits": 2}


def test_libraries_spans_nest_under_agentlog_scopes(exporter: Recorded) -> None:
    """Inside a tool call, the application's own OpenTelemetry span is a child of the tool span."""
    _configure(exporter)
    tracer = exporter.provider.get_tracer("app")
    with agentlog.run(), agentlog.tool_call("fetch", {}), tracer.start_as_current_span("HTTP GET"):
        pass
    spans = _by_name(exporter.get_finished_spans())
    http = spans["HTTP GET"]
    assert http.parent is not None
    assert http.parent.span_id == spans["execute_tool fetch"].get_span_context().span_id  # type: ignore[union-attr]


def test_run_joins_an_active_otel_span_without_spans_enabled(exporter: Recorded) -> None:
    """Correlation only: an active application span becomes the run's trace and parent."""
    out = io.BytesIO()
    agentlog.configure(output=out)
    tracer = exporter.provider.get_tracer("app")
    with tracer.start_as_current_span("POST /chat") as request_span, agentlog.run():
        agentlog.get_logger().info("inside")
    trace_id, span_id = (
        f"{request_span.get_span_context().trace_id:032x}",
        f"{request_span.get_span_context().span_id:016x}",
    )
    started = _lines(out)[0]
    assert started["trace_id"] == trace_id
    assert started["parent_span_id"] == span_id
    assert "parent_run_id" not in started
    assert exporter.get_finished_spans()[0].name == "POST /chat"  # no agentlog spans


def test_remote_parent_with_spans(exporter: Recorded) -> None:
    """A run continuing a caller's traceparent: its span's parent is the remote span."""
    out = _configure(exporter)
    carrier = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
    with agentlog.run(parent=propagation.extract(carrier)):
        pass
    agent = exporter.get_finished_spans()[0]
    assert _hex(agent)[0] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert agent.parent is not None and agent.parent.span_id == 0x00F067AA0BA902B7
    assert agent.parent.is_remote
    assert _lines(out)[0]["parent_span_id"] == "00f067aa0ba902b7"


def test_standalone_helpers_produce_backdated_spans(exporter: Recorded) -> None:
    """events.tool_result on its own: a finished span back-dated by latency_ms, carried by the line."""
    out = _configure(exporter)
    with agentlog.run():
        events.tool_result("lookup", latency_ms=250.0, status="ok")
        events.llm_result("claude", provider="anthropic", latency_ms=1200.0, input_tokens=10, output_tokens=2)
    spans = _by_name(exporter.get_finished_spans())
    tool, chat = spans["execute_tool lookup"], spans["chat claude"]
    assert tool.end_time is not None and tool.start_time is not None
    assert 240e6 <= tool.end_time - tool.start_time <= 400e6
    assert chat.end_time is not None and chat.start_time is not None
    assert chat.end_time - chat.start_time >= 1150e6
    result = next(line for line in _lines(out) if line["event"] == "tool_result")
    assert result["span_id"] == _hex(tool)[1]


def test_spans_off_by_default(exporter: Recorded) -> None:
    """Without otel_spans, no span is emitted."""
    agentlog.configure(output=io.BytesIO())
    with agentlog.run(), agentlog.tool_call("t", {}):
        pass
    assert exporter.get_finished_spans() == ()
