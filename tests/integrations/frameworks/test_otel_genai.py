"""otel_genai adapter: GenAI spans from a plain OpenTelemetry SDK tracer (as any library emits them)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk.trace")

import orjson
import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.util._once import Once

import agentlog
from agentlog.integrations import otel_genai
from tests.conftest import Captured
from tests.integrations.frameworks.support import check_run, runs_of, show, tool_pairs
from tests.otel_support import Recorded

MS = 1_000_000


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    """A private SDK provider with an in-memory exporter, instrumented for the test."""
    spans = Recorded()
    otel_genai.instrument(spans.provider)
    yield spans
    otel_genai.uninstrument()


def agent_span(tracer: Any, name: str = "weather", **attributes: Any) -> Any:
    """An ``invoke_agent`` span, current while the block runs."""
    attributes = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name, **attributes}
    return tracer.start_as_current_span(f"invoke_agent {name}", attributes=attributes)


def chat_span(tracer: Any, model: str = "gpt-4o", **attributes: Any) -> Any:
    """A ``chat`` span."""
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": model,
        "gen_ai.provider.name": "openai",
        **attributes,
    }
    return tracer.start_as_current_span(f"chat {model}", attributes=attributes)


def tool_span(tracer: Any, tool: str, call_id: str, args: Any, **attributes: Any) -> Any:
    """An ``execute_tool`` span for the model's call *call_id*."""
    attributes = {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": tool,
        "gen_ai.tool.call.id": call_id,
        "gen_ai.tool.call.arguments": orjson.dumps(args).decode(),
        **attributes,
    }
    return tracer.start_as_current_span(f"execute_tool {tool}", attributes=attributes)


def usage(input_tokens: int, output_tokens: int, **more: Any) -> dict[str, Any]:
    """The usage attributes a model call reports."""
    return {"gen_ai.usage.input_tokens": input_tokens, "gen_ai.usage.output_tokens": output_tokens, **more}


def messages(text: str, role: str = "user") -> str:
    """One GenAI-convention message holding *text*, as the attribute's JSON text."""
    return orjson.dumps([{"role": role, "parts": [{"type": "text", "content": text}]}]).decode()


def only_run(lines: list[dict[str, Any]]) -> str:
    """The one run the lines hold."""
    (run_id,) = {line["run_id"] for line in lines if line["event"] == "run_started"}
    return str(run_id)


def hex_id(span: ReadableSpan) -> str:
    """*span*'s span ID as the lines write it."""
    assert span.context is not None
    return f"{span.context.span_id:016x}"


def test_a_run_with_a_failing_tool_records_totals_ids_tokens_latency_and_the_error(
    logs: Captured, recorded: Recorded
) -> None:
    """Model calls and two tool calls, one raising out of the run: totals, IDs, tokens, span latency, show."""
    tracer = recorded.provider.get_tracer("some.agent.library")
    with pytest.raises(ValueError), agent_span(tracer):
        with chat_span(tracer) as span:
            span.set_attributes(
                usage(
                    20,
                    7,
                    **{
                        "gen_ai.usage.cache_read.input_tokens": 5,
                        "gen_ai.usage.cache_creation.input_tokens": 2,
                        "gen_ai.usage.reasoning.output_tokens": 3,
                        "gen_ai.response.finish_reasons": ["tool_calls"],
                        "gen_ai.response.model": "gpt-4o-2024-08-06",
                    },
                )
            )
        start = 1_000 * MS
        done = tracer.start_span(
            "execute_tool lookup",
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "lookup",
                "gen_ai.tool.call.id": "call_lookup",
                "gen_ai.tool.call.arguments": '{"city": "CITY-0f81"}',
            },
            start_time=start,
        )
        done.set_attribute("gen_ai.tool.call.result", '"sunny"')
        done.end(end_time=start + 250 * MS)
        with chat_span(tracer) as span:
            span.set_attributes(usage(30, 4, **{"gen_ai.response.finish_reasons": ["tool_calls"]}))
        with tool_span(tracer, "explode", "call_explode", {"reason": "REASON-77e0"}):
            raise ValueError("sensor offline")
    lines = logs.lines()
    run_id = only_run(lines)
    end = check_run(lines, run_id, tool_calls=2, llm_calls=2, errors=1, raw=["CITY-0f81", "REASON-77e0"])
    assert (end["status"], end["stop_reason"], end["error_class"]) == ("error", "tool_error", "ValueError")
    assert (end["input_tokens"], end["output_tokens"]) == (50, 11)
    llm = [line for line in lines if line["event"] == "llm_result"]
    assert llm[0]["model"] == "gpt-4o-2024-08-06" and llm[0]["provider"] == "openai"
    assert (llm[0]["cache_read_input_tokens"], llm[0]["cache_creation_input_tokens"]) == (5, 2)
    assert (llm[0]["reasoning_output_tokens"], llm[0]["finish_reason"]) == (3, "tool_calls")
    pairs = tool_pairs(lines)
    assert set(pairs) == {"call_lookup", "call_explode"}
    assert 250.0 <= pairs["call_lookup"][1]["latency_ms"] < 251.0  # the span's own 250 ms
    failed = pairs["call_explode"][1]
    assert (failed["status"], failed["error_class"], failed["error_message"]) == (
        "error",
        "ValueError",
        "sensor offline",
    )
    assert "explode" in show(logs, run_id)


def test_user_lines_inside_a_tool_span_carry_the_run_step_and_tool_call_ids(
    logs: Captured, recorded: Recorded
) -> None:
    """Structlog (agentlog's, plain) and stdlib lines in the tool body carry its IDs; after it, no longer."""
    tracer = recorded.provider.get_tracer("some.agent.library")
    with agent_span(tracer), tool_span(tracer, "lookup", "call_7", {"q": 1}):
        agentlog.get_logger().info("agentlog line in tool")
        structlog.get_logger().info("structlog line in tool")
        logging.getLogger("user.tools").warning("stdlib line in tool")
    agentlog.get_logger().info("after the run")
    lines = logs.lines()
    call = tool_pairs(lines)["call_7"][0]
    own = [line for line in lines if line["event"].endswith("line in tool")]
    assert len(own) == 3
    for line in own:
        assert (line["run_id"], line["step_id"], line["tool_call_id"], line["span_id"]) == (
            call["run_id"],
            call["step_id"],
            "call_7",
            call["span_id"],
        )
    after = next(line for line in lines if line["event"] == "after the run")
    assert "run_id" not in after and "tool_call_id" not in after


def test_nothing_raw_is_written_by_default(logs: Captured, recorded: Recorded) -> None:
    """Default capture: arguments, results and messages the library recorded appear only as hashes."""
    tracer = recorded.provider.get_tracer("some.agent.library")
    with agent_span(tracer):
        with chat_span(tracer) as span:
            span.set_attributes(
                {
                    "gen_ai.input.messages": messages("PROMPT-7f3a"),
                    "gen_ai.output.messages": messages("ANSWER-44d1", "assistant"),
                    **usage(1, 1),
                }
            )
        with tool_span(tracer, "echo", "call_echo", {"text": "ARG-91c2e"}) as span:
            span.set_attribute("gen_ai.tool.call.result", "RESULT-5b7f")
    lines = logs.lines()
    raw = ["PROMPT-7f3a", "ANSWER-44d1", "ARG-91c2e", "RESULT-5b7f"]
    check_run(lines, only_run(lines), tool_calls=1, llm_calls=1, errors=0, raw=raw)
    llm = logs.one("llm_result")
    assert "prompt_hash" in llm and "completion_hash" in llm
    assert "result_hash" in tool_pairs(lines)["call_echo"][1]


def test_full_capture_writes_the_content(tmp_path: Path, recorded: Recorded) -> None:
    """With configure(capture="full") the messages, system instructions, arguments and result are written."""
    path = tmp_path / "full.jsonl"
    agentlog.configure(service="svc", output=path, capture="full")
    tracer = recorded.provider.get_tracer("some.agent.library")
    with agent_span(tracer):
        with chat_span(tracer) as span:
            span.set_attributes(
                {
                    "gen_ai.system_instructions": '[{"type": "text", "content": "INSTRUCTIONS-0a9"}]',
                    "gen_ai.input.messages": messages("PROMPT-7f3a"),
                    "gen_ai.output.messages": messages("ANSWER-44d1", "assistant"),
                }
            )
        with tool_span(tracer, "echo", "call_echo", {"text": "ARG-91c2e"}) as span:
            span.set_attribute("gen_ai.tool.call.result", "RESULT-5b7f")
    text = path.read_text()
    for raw in ("PROMPT-7f3a", "ANSWER-44d1", "ARG-91c2e", "RESULT-5b7f", "INSTRUCTIONS-0a9"):
        assert raw in text, raw


def test_concurrent_runs_keep_their_own_ids_and_totals(logs: Captured, recorded: Recorded) -> None:
    """Six runs interleaved in asyncio.gather: each run's lines carry only its own IDs; totals exact."""
    tracer = recorded.provider.get_tracer("some.agent.library")

    async def one(i: int) -> None:
        with agent_span(tracer, f"agent{i}"):
            with chat_span(tracer) as span:
                await asyncio.sleep(0.005)
                span.set_attributes(usage(10 + i, i))
            with tool_span(tracer, "note", f"call-{i}", {"i": i}):
                await asyncio.sleep(0.005)
                agentlog.get_logger().info("noting", i=i)
                await asyncio.sleep(0.005)

    async def main() -> None:
        await asyncio.gather(*(one(i) for i in range(6)))

    asyncio.run(main())
    lines = logs.lines()
    runs = {run_id: own for run_id, own in runs_of(lines).items() if run_id}
    assert len(runs) == 6
    for run_id, own in runs.items():
        i = int(own[0]["agent"].removeprefix("agent"))
        end = check_run(lines, run_id, tool_calls=1, llm_calls=1, errors=0)
        assert (end["input_tokens"], end["output_tokens"]) == (10 + i, i)
        assert {line["tool_call_id"] for line in own if line.get("tool_call_id")} == {f"call-{i}"}
        assert [line["i"] for line in own if line["event"] == "noting"] == [i]


def test_a_run_inside_an_agentlog_run_is_its_child_and_a_sub_agent_the_tools_child(
    logs: Captured, recorded: Recorded
) -> None:
    """Inside agentlog.run the library's run is a child; an agent run inside a tool span, the tool's child."""
    tracer = recorded.provider.get_tracer("some.agent.library")
    with (
        agentlog.run(task="outer") as outer,
        agent_span(tracer, "boss"),
        tool_span(tracer, "delegate", "call_delegate", {}),
        agent_span(tracer, "helper"),
        tracer.start_as_current_span("an internal span of the library"),
        chat_span(tracer) as span,
    ):
        span.set_attributes(usage(3, 2))
    lines = logs.lines()
    started = {line.get("agent"): line for line in lines if line["event"] == "run_started"}
    boss, helper = started["boss"], started["helper"]
    assert boss["parent_run_id"] == outer.run_id and boss["trace_id"] == outer.trace_id
    delegate = tool_pairs(lines)["call_delegate"][0]
    assert helper["parent_run_id"] == boss["run_id"]
    assert helper["parent_span_id"] == delegate["span_id"]
    check_run(lines, helper["run_id"], tool_calls=0, llm_calls=1, errors=0)
    check_run(lines, boss["run_id"], tool_calls=1, llm_calls=0, errors=0)


def test_instrument_is_idempotent_and_uninstrument_takes_the_processor_out(logs: Captured) -> None:
    """Two instrument() calls add one processor; uninstrument() removes it and spans write nothing."""
    spans = Recorded()
    pipeline = spans.provider._active_span_processor
    before = len(pipeline._span_processors)
    otel_genai.instrument(spans.provider)
    otel_genai.instrument(spans.provider)
    assert len(pipeline._span_processors) == before + 1
    tracer = spans.provider.get_tracer("lib")
    with agent_span(tracer):
        pass
    assert len(logs.events("run_started")) == 1
    otel_genai.uninstrument()
    assert len(pipeline._span_processors) == before
    count = len(logs.lines())
    with agent_span(tracer), tool_span(tracer, "t", "c", {}):
        pass
    assert len(logs.lines()) == count
    otel_genai.uninstrument()


def test_without_a_provider_the_global_one_is_used_and_made_an_sdk_one_when_none_was_set(
    logs: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    """instrument() with no global SDK provider installs a plain one (no exporter) so spans are recorded."""
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
    monkeypatch.setattr(trace, "_TRACER_PROVIDER_SET_ONCE", Once())
    otel_genai.instrument()
    try:
        assert isinstance(trace.get_tracer_provider(), TracerProvider)
        with agent_span(trace.get_tracer("lib")):
            pass
        assert len(logs.events("run_started")) == 1
    finally:
        otel_genai.uninstrument()


def test_a_provider_that_takes_no_processor_is_refused_or_counted(
    logs: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An explicit non-SDK provider raises TypeError; such a global one is counted, nothing installed."""
    with pytest.raises(TypeError):
        otel_genai.instrument(trace.NoOpTracerProvider())
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", trace.NoOpTracerProvider())
    otel_genai.instrument()
    assert not otel_genai._INSTRUMENTOR.installed
    assert any("takes no span processor" in problem for problem in agentlog.problems())


def test_an_adapter_failure_is_counted_and_the_library_is_unaffected(
    logs: Captured, recorded: Recorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Agentlog failing in on_start and on_end: counted, the spans and the code under them go on unchanged."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("agentlog is broken")

    (processor,) = [p for _, p in otel_genai._ATTACHED.values()]
    monkeypatch.setattr(processor.recorder.tracker, "run", broken)
    monkeypatch.setattr(processor.recorder, "ended", broken)
    tracer = recorded.provider.get_tracer("lib")
    before = sum(agentlog.problems().values())
    with agent_span(tracer), tool_span(tracer, "t", "c", {}):
        result = 42
    assert result == 42
    assert len(recorded.get_finished_spans()) == 2
    assert sum(agentlog.problems().values()) > before


def test_the_librarys_spans_are_adopted_and_agentlog_opens_none_of_its_own(
    tmp_path: Path, recorded: Recorded
) -> None:
    """otel_spans on the same provider: one span per operation (the library's), lines carry their IDs."""
    path = tmp_path / "spans.jsonl"
    agentlog.configure(service="svc", output=path, otel_spans=True, tracer_provider=recorded.provider)
    tracer = recorded.provider.get_tracer("some.agent.library")
    with agentlog.run(task="outer") as outer, agent_span(tracer):
        with chat_span(tracer) as span:
            span.set_attributes(usage(3, 1))
        with tool_span(tracer, "lookup", "call_1", {"q": 1}):
            pass
    lines = Captured(path).lines()
    spans = recorded.get_finished_spans()
    library = {span.name: hex_id(span) for span in spans if span.instrumentation_scope.name != "agentlog"}  # type: ignore[union-attr]
    own = [span for span in spans if span.instrumentation_scope.name == "agentlog"]  # type: ignore[union-attr]
    assert [span.name for span in own] == ["invoke_agent svc"]
    assert len(library) == 3
    started = [line for line in lines if line["event"] == "run_started"]
    assert len(started) == 2 and started[0]["run_id"] == outer.run_id
    assert started[1]["span_id"] == library["invoke_agent weather"]
    assert logs_line(lines, "llm_result")["span_id"] == library["chat gpt-4o"]
    assert tool_pairs(lines)["call_1"][1]["span_id"] == library["execute_tool lookup"]


def logs_line(lines: list[dict[str, Any]], event: str) -> dict[str, Any]:
    """The one line of *event*."""
    (line,) = [line for line in lines if line["event"] == event]
    return line


def test_a_span_that_says_what_it_is_only_at_its_end_is_recorded_then(
    logs: Captured, recorded: Recorded
) -> None:
    """A tool span named but given its call ID and arguments only at its end (Google ADK's way)."""
    tracer = recorded.provider.get_tracer("late.library")
    with agent_span(tracer):
        with tracer.start_as_current_span("call_llm") as span:
            span.set_attributes({"gen_ai.operation.name": "generate_content", **usage(6, 2)})
            span.set_attribute("gen_ai.request.model", "gemini-2.5-flash")
        with tracer.start_as_current_span("execute_tool lookup") as span:
            span.set_attributes(
                {
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": "lookup",
                    "gen_ai.tool.call.id": "adk-call-1",
                    "gen_ai.tool.call.arguments": '{"city": "CITY-0f81"}',
                }
            )
    lines = logs.lines()
    check_run(lines, only_run(lines), tool_calls=1, llm_calls=1, errors=0, raw=["CITY-0f81"])
    assert set(tool_pairs(lines)) == {"adk-call-1"}
    assert logs.one("llm_result")["model"] == "gemini-2.5-flash"


REQUEST_FIELDS = ("temperature", "max_tokens", "top_p", "seed")


def test_a_chat_spans_request_attributes_are_on_llm_result(logs: Captured, recorded: Recorded) -> None:
    """gen_ai.request.temperature, max_tokens, top_p and seed are written; a span without them has none."""
    tracer = recorded.provider.get_tracer("some.agent.library")
    request: dict[str, Any] = {
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 256,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.seed": 42,
    }
    with agent_span(tracer):
        with chat_span(tracer, **request, **usage(4, 1)):
            pass
        with chat_span(tracer, **usage(4, 1)):
            pass
    given, plain = logs.events("llm_result")
    assert {name: given[name] for name in REQUEST_FIELDS} == {
        "temperature": 0.2,
        "max_tokens": 256,
        "top_p": 0.9,
        "seed": 42,
    }
    assert not set(REQUEST_FIELDS) & set(plain)


def test_request_attributes_set_late_are_read_and_bad_ones_left_out(
    logs: Captured, recorded: Recorded
) -> None:
    """Attributes set after the span started count; text, a fractional max_tokens, a bool seed do not."""
    tracer = recorded.provider.get_tracer("some.agent.library")
    with agent_span(tracer), chat_span(tracer) as span:
        span.set_attributes(
            {
                "gen_ai.request.temperature": 0,
                "gen_ai.request.max_tokens": 2.5,
                "gen_ai.request.top_p": "0.9",
                "gen_ai.request.seed": True,
                **usage(4, 1),
            }
        )
    line = logs.one("llm_result")
    assert line["temperature"] == 0
    assert not {"max_tokens", "top_p", "seed", "invalid"} & set(line)


def test_a_real_library_pydantic_ai_with_its_own_instrumentation(logs: Captured, recorded: Recorded) -> None:
    """PydanticAI's own GenAI spans: the model's call IDs and usage, user lines in a (threaded) tool."""
    pytest.importorskip("pydantic_ai")
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel
    from pydantic_ai.models.instrumented import InstrumentationSettings
    from pydantic_ai.usage import RequestUsage

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if any(isinstance(message, ModelResponse) for message in messages):
            return ModelResponse(
                parts=[TextPart("done")], usage=RequestUsage(input_tokens=9, output_tokens=2)
            )
        part = ToolCallPart("lookup", {"city": "CITY-0f81"}, tool_call_id="call_pyd_1")
        return ModelResponse(parts=[part], usage=RequestUsage(input_tokens=7, output_tokens=3))

    settings = InstrumentationSettings(tracer_provider=recorded.provider)
    agent: Agent[None, str] = Agent(FunctionModel(model), name="real")
    agent.instrument = settings

    @agent.tool_plain
    def lookup(city: str) -> str:
        logging.getLogger("user.tools").warning("inside the real tool")
        return "sunny"

    assert agent.run_sync("weather?").output == "done"
    lines = logs.lines()
    run_id = only_run(lines)
    end = check_run(lines, run_id, tool_calls=1, llm_calls=2, errors=0, raw=["CITY-0f81"])
    assert (end["input_tokens"], end["output_tokens"]) == (16, 5)
    assert logs.one("run_started")["framework"] == "pydantic_ai"
    call = tool_pairs(lines)["call_pyd_1"][0]
    inside = logs.one("inside the real tool")
    assert (inside["run_id"], inside["tool_call_id"], inside["step_id"]) == (
        run_id,
        "call_pyd_1",
        call["step_id"],
    )
