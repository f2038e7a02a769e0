"""OpenTelemetry with the real SDK and an in-memory exporter (a private TracerProvider)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan

import agentlog
from agentlog import events, propagation
from tests.otel_support import Recorded, json_lines
from tests.secret_corpus import CORES, PASSWORD, SECRETS, leaks


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
    lines = json_lines(out)
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
    started = json_lines(out)[0]
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
    assert json_lines(out)[0]["parent_span_id"] == "00f067aa0ba902b7"


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
    result = next(line for line in json_lines(out) if line["event"] == "tool_result")
    assert result["span_id"] == _hex(tool)[1]


def test_spans_off_by_default(exporter: Recorded) -> None:
    """Without otel_spans, no span is emitted."""
    agentlog.configure(output=io.BytesIO())
    with agentlog.run(), agentlog.tool_call("t", {}):
        pass
    assert exporter.get_finished_spans() == ()


# -- every string agentlog puts on a span goes through the configured redactor ----------

SECRET_VALUES = [secret for _, secret in SECRETS]
NEVER_ON_A_SPAN = [*CORES, PASSWORD, "hunter2xyz"]


def _span_texts(spans: tuple[ReadableSpan, ...]) -> list[str]:
    """Every piece of text a span holds: name, attributes, events, links, status description."""
    texts: list[str] = []

    def add(attributes: Any) -> None:
        for key, value in dict(attributes or {}).items():
            texts.append(str(key))
            texts.extend(str(item) for item in (value if isinstance(value, (list, tuple)) else [value]))

    for span in spans:
        texts.append(span.name)
        add(span.attributes)
        for event in span.events:
            texts.append(event.name)
            add(event.attributes)
        for link in span.links:
            add(link.attributes)
        texts.append(span.status.description or "")
    return texts


def _leaks(spans: tuple[ReadableSpan, ...]) -> list[str]:
    text = "\n".join(_span_texts(spans))
    return leaks(text, NEVER_ON_A_SPAN)


def _every_user_string_once(secret: str) -> None:
    """Scopes and standalone helpers, with *secret* in every string a caller hands agentlog."""
    with agentlog.run(
        task=f"task {secret}",
        metadata={"prompt_version": f"v7 {secret}", "password": PASSWORD},
        session_id="conv-1",
        user_id="u-42",
    ) as run:
        with agentlog.step(f"plan {secret}"):
            pass
        with agentlog.tool_call(f"search {secret}", {"q": secret, "password": PASSWORD}) as call:
            call.result = {"hit": secret}
        with (
            pytest.raises(RuntimeError),
            agentlog.tool_call("flaky", {"q": 1}),
        ):
            raise RuntimeError(f"upstream said token={secret} password={PASSWORD}")
        with agentlog.llm_call(f"gpt {secret}", provider=f"openai {secret}") as llm:
            llm.prompt = f"prompt {secret}"
            llm.completion = f"completion {secret}"
            llm.set_usage(input_tokens=1, output_tokens=1, finish_reason=f"stop {secret}")
        events.tool_result(f"lookup {secret}", latency_ms=1.0, status="error", error=f"bad {secret}")
        events.llm_result(f"claude {secret}", provider=f"anthropic {secret}", latency_ms=1.0)
        events.step_finished(step_type=f"check {secret}", latency_ms=1.0)
        events.decision("route", outcome=f"out {secret}", reason=f"because {secret}")
        run.finish(stop_reason=f"failed: password=hunter2xyz {secret}")
    handle = events.run_started(task=f"own loop {secret}", metadata={"note": secret})
    assert handle is not None
    events.run_finished(status="error", stop_reason=f"own loop failed {secret} {PASSWORD}")


@pytest.mark.parametrize("capture", ["hash", "redacted", "full", "none"])
def test_no_secret_reaches_a_span(exporter: Recorded, capture: str) -> None:
    """Zero secrets of the corpus on any span, whatever the capture mode and wherever the caller put them."""
    _configure(exporter, capture=capture)
    for secret in SECRET_VALUES:
        _every_user_string_once(secret)
    spans = exporter.get_finished_spans()
    assert len(spans) == 9 * len(SECRET_VALUES)
    assert _leaks(spans) == []


def test_arguments_never_reach_a_span_in_hash_mode(exporter: Recorded) -> None:
    """capture="hash" (the default): not even harmless argument text is set on a span."""
    _configure(exporter)
    with agentlog.run(), agentlog.tool_call("search", {"q": "refund policy for order 4471"}) as call:
        call.result = {"answer": "refunds take 5 days"}
    text = "\n".join(_span_texts(exporter.get_finished_spans()))
    assert "refund policy" not in text
    assert "5 days" not in text


def test_stop_reason_on_a_span_is_thelines(exporter: Recorded) -> None:
    """A stop reason is redacted on the span exactly as on the run_finished line."""
    out = _configure(exporter)
    with agentlog.run() as run:
        run.finish(stop_reason="failed: password=hunter2xyz")
    finished = next(line for line in json_lines(out) if line["event"] == "run_finished")
    agent = _by_name(exporter.get_finished_spans())["invoke_agent support-agent"]
    assert agent.attributes is not None
    assert agent.attributes["agentlog.stop_reason"] == finished["stop_reason"]
    assert "hunter2xyz" not in str(agent.attributes["agentlog.stop_reason"])


def test_spans_use_the_configured_redactor(exporter: Recorded) -> None:
    """The user's own patterns and callback apply to span text as to lines."""
    seen: list[str | None] = []

    def callback(key: str | None, text: str) -> str:
        seen.append(key)
        return text.replace("ACME-INTERNAL", "[internal]")

    redactor = agentlog.Redactor(patterns={"order_id": r"ORD-[0-9]{6}"}, callback=callback)
    _configure(exporter, redactor=redactor)
    with agentlog.run() as run, agentlog.tool_call("lookup ORD-123456", {}):
        run.finish(stop_reason="ACME-INTERNAL gave up on ORD-654321")
    spans = _by_name(exporter.get_finished_spans())
    assert set(spans) == {"invoke_agent support-agent", "execute_tool lookup [REDACTED:order_id]"}
    agent = spans["invoke_agent support-agent"]
    assert agent.attributes is not None
    assert agent.attributes["agentlog.stop_reason"] == "[internal] gave up on [REDACTED:order_id]"


def test_a_secret_seen_under_a_key_is_scrubbed_from_spans_later(exporter: Recorded) -> None:
    """A value met under a secret key name (run metadata) is scrubbed from a later span's stop reason."""
    out = _configure(exporter)
    with agentlog.run(metadata={"db_password": "Tr0ub4dor&3-horse"}) as run:
        run.finish(stop_reason="login failed for Tr0ub4dor&3-horse")
    assert b"Tr0ub4dor" not in out.getvalue()
    assert "Tr0ub4dor" not in "\n".join(_span_texts(exporter.get_finished_spans()))


def test_ids_reach_spans_as_on_the_line(exporter: Recorded) -> None:
    """IDs are not secrets: run, session and tool call IDs on spans equal the line's, unredacted."""
    out = _configure(exporter, redactor=agentlog.Redactor(emails=True, phones=True))
    with (
        agentlog.run(session_id="ann@example.com") as run,
        agentlog.tool_call("t", {}, tool_call_id="call_0123456789"),
    ):
        pass
    spans = _by_name(exporter.get_finished_spans())
    agent, tool = spans["invoke_agent support-agent"], spans["execute_tool t"]
    assert agent.attributes is not None and tool.attributes is not None
    started = json_lines(out)[0]
    assert agent.attributes["gen_ai.conversation.id"] == started["session_id"] == "ann@example.com"
    assert agent.attributes["agentlog.run_id"] == run.run_id
    assert tool.attributes["gen_ai.tool.call.id"] == "call_0123456789"
