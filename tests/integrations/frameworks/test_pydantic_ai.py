"""PydanticAI adapter: real agents on PydanticAI's own FunctionModel and TestModel, held to the contract."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

pytest.importorskip("pydantic_ai")

import structlog
from opentelemetry.sdk.trace import ReadableSpan
from pydantic_ai import Agent, ModelRetry
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.test import TestModel
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import RequestUsage

import agentlog
from agentlog.integrations import otel_genai
from agentlog.integrations import pydantic_ai as adapter
from tests.conftest import Captured
from tests.integrations.frameworks.support import check_run, close_default_loop, runs_of, show, tool_pairs
from tests.otel_support import Recorded

_T = TypeVar("_T")


@pytest.fixture(autouse=True)
def _instrumented() -> Iterator[None]:
    """Each test runs with the adapter installed and leaves PydanticAI's global setting as it found it."""
    before = Agent._instrument_default
    adapter.instrument()
    yield
    adapter.uninstrument()
    Agent.instrument_all(before)
    close_default_loop()


def scripted(*responses: ModelResponse) -> FunctionModel:
    """A model answering the n-th request of a run with the n-th response."""

    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        asked = sum(1 for message in messages if isinstance(message, ModelResponse))
        return responses[min(asked, len(responses) - 1)]

    return FunctionModel(answer)


def call(
    tool: str, args: dict[str, Any], call_id: str, tokens: tuple[int, int], **usage: int
) -> ModelResponse:
    """A response asking for one tool call, reporting *tokens* (input, output) and further usage."""
    return ModelResponse(
        parts=[ToolCallPart(tool, args, tool_call_id=call_id)],
        usage=RequestUsage(input_tokens=tokens[0], output_tokens=tokens[1], **usage),  # type: ignore[arg-type]
    )


def answer(text: str, tokens: tuple[int, int]) -> ModelResponse:
    """A final text answer reporting *tokens*."""
    return ModelResponse(
        parts=[TextPart(text)], usage=RequestUsage(input_tokens=tokens[0], output_tokens=tokens[1])
    )


def on_own_loop(work: Coroutine[Any, Any, _T]) -> _T:
    """Run *work* on a loop of its own, leaving the thread's loop (run_sync's) as it is."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(work)
    finally:
        loop.close()


def run_id_of(lines: list[dict[str, Any]], agent: str) -> str:
    """The run of the agent named *agent* (its one run_started)."""
    started = [line for line in lines if line["event"] == "run_started" and line.get("agent") == agent]
    assert len(started) == 1, started
    return str(started[0]["run_id"])


def scope_of(span: ReadableSpan) -> str | None:
    """The instrumentation scope that made *span*."""
    return span.instrumentation_scope.name if span.instrumentation_scope is not None else None


def operation_of(span: ReadableSpan) -> Any:
    """*span*'s ``gen_ai.operation.name``."""
    return (span.attributes or {}).get("gen_ai.operation.name")


def hex_id(span: ReadableSpan) -> str:
    """*span*'s span ID as the lines write it."""
    assert span.context is not None
    return f"{span.context.span_id:016x}"


def weather_agent(model: FunctionModel, name: str = "weather") -> Agent[None, str]:
    """An agent with a working tool (``lookup``) and a failing one (``explode``)."""
    agent: Agent[None, str] = Agent(model, name=name)

    @agent.tool_plain
    def lookup(city: str) -> str:
        return f"sunny in {city}"

    @agent.tool_plain
    def explode(reason: str) -> str:
        raise ValueError("sensor offline")

    return agent


def test_a_run_with_a_failing_tool_records_totals_ids_tokens_and_the_error(logs: Captured) -> None:
    """Two model calls and two tool calls, the second tool raising: exact totals, IDs, tokens, error, show."""
    model = scripted(
        call("lookup", {"city": "CITY-0f81"}, "call_lookup_1", (10, 5), cache_read_tokens=3),
        call("explode", {"reason": "REASON-77e0"}, "call_explode_2", (12, 6), cache_write_tokens=2),
    )
    agent = weather_agent(model)
    with pytest.raises(ValueError, match="sensor offline"):
        agent.run_sync("PROMPT-c3d1: what is the weather?")
    lines = logs.lines()
    run_id = run_id_of(lines, "weather")
    end = check_run(
        lines, run_id, tool_calls=2, llm_calls=2, errors=1, raw=["CITY-0f81", "REASON-77e0", "PROMPT-c3d1"]
    )
    assert (end["status"], end["stop_reason"]) == ("error", "tool_error")
    assert (end["input_tokens"], end["output_tokens"]) == (22, 11)
    pairs = tool_pairs(lines)
    assert set(pairs) == {"call_lookup_1", "call_explode_2"}
    failed = pairs["call_explode_2"][1]
    assert (failed["status"], failed["error_class"]) == ("error", "ValueError")
    assert failed["error_message"] == "sensor offline"
    assert pairs["call_lookup_1"][1]["status"] == "ok"
    llm = [line for line in lines if line["event"] == "llm_result"]
    assert [(x["input_tokens"], x["output_tokens"]) for x in llm] == [(10, 5), (12, 6)]
    assert llm[0]["cache_read_input_tokens"] == 3 and llm[1]["cache_creation_input_tokens"] == 2
    assert {(x["model"], x["provider"], x["status"]) for x in llm} == {("function:answer:", "function", "ok")}
    assert all(x["latency_ms"] >= 0 for x in llm)
    assert "explode" in show(logs, run_id)


def test_a_tool_raising_model_retry_is_a_failed_call_the_run_survives(logs: Captured) -> None:
    """ModelRetry: that call fails (class, message), the model retries, the run ends ok with 1 error."""
    attempts: list[str] = []
    agent: Agent[None, str] = Agent(
        scripted(
            call("pick", {"n": 0}, "call_pick_1", (4, 2)),
            call("pick", {"n": 1}, "call_pick_2", (5, 2)),
            answer("picked", (6, 1)),
        ),
        name="picker",
    )

    @agent.tool_plain
    def pick(n: int) -> str:
        attempts.append(str(n))
        if n == 0:
            raise ModelRetry("zero is not allowed")
        return "one"

    assert agent.run_sync("pick a number").output == "picked"
    lines = logs.lines()
    end = check_run(lines, run_id_of(lines, "picker"), tool_calls=2, llm_calls=3, errors=1)
    assert (end["status"], end["stop_reason"]) == ("ok", "completed")
    retried = tool_pairs(lines)["call_pick_1"][1]
    assert (retried["error_class"], retried["error_message"]) == ("ModelRetry", "zero is not allowed")
    assert tool_pairs(lines)["call_pick_2"][1]["status"] == "ok"
    steps = [line for line in lines if line["event"] == "step_finished" and line["step_type"] == "tool"]
    assert [step["status"] for step in steps] == ["ok", "ok"]


def test_arguments_failing_validation_are_a_failed_call_whose_message_holds_no_argument(
    logs: Captured,
) -> None:
    """Invalid arguments: a failed call (ValidationError) the model corrects; the bad value is in no line."""
    agent: Agent[None, str] = Agent(
        scripted(
            call("double", {"n": "RAWVALUE-e1"}, "call_bad", (2, 1)),
            call("double", {"n": 2}, "call_good", (2, 1)),
            answer("4", (2, 1)),
        ),
        name="doubler",
    )

    @agent.tool_plain
    def double(n: int) -> int:
        return 2 * n

    assert agent.run_sync("double it").output == "4"
    lines = logs.lines()
    run_id = run_id_of(lines, "doubler")
    check_run(lines, run_id, tool_calls=2, llm_calls=3, errors=1, raw=["RAWVALUE-e1"])
    failed = tool_pairs(lines)["call_bad"][1]
    assert failed["error_class"] == "ValidationError"
    assert "valid integer" in failed["error_message"]


def test_user_lines_inside_a_tool_carry_the_run_step_and_tool_call_ids(logs: Captured) -> None:
    """Structlog (agentlog's, plain) and stdlib lines in sync and async tools carry the call's IDs."""
    agent: Agent[None, str] = Agent(
        scripted(
            call("sync_tool", {"q": "a"}, "call_sync", (3, 1)),
            call("async_tool", {"q": "b"}, "call_async", (3, 1)),
            answer("ok", (3, 1)),
        ),
        name="talker",
    )

    @agent.tool_plain
    def sync_tool(q: str) -> str:
        agentlog.get_logger().info("agentlog line in sync tool")
        structlog.get_logger().info("structlog line in sync tool")
        logging.getLogger("user.tools").warning("stdlib line in sync tool")
        return q

    @agent.tool_plain
    async def async_tool(q: str) -> str:
        await asyncio.sleep(0)
        agentlog.get_logger().info("agentlog line in async tool")
        logging.getLogger("user.tools").warning("stdlib line in async tool")
        return q

    agent.run_sync("talk")
    lines = logs.lines()
    pairs = tool_pairs(lines)
    for kind, call_id, expected in (
        ("sync", "call_sync", 3),
        ("async", "call_async", 2),
    ):
        tool_line = pairs[call_id][0]
        own = [line for line in lines if line["event"].endswith(f"line in {kind} tool")]
        assert len(own) == expected
        for line in own:
            assert line["run_id"] == tool_line["run_id"]
            assert line["step_id"] == tool_line["step_id"]
            assert line["tool_call_id"] == call_id
            assert line["span_id"] == tool_line["span_id"]


def test_nothing_raw_is_written_by_default(logs: Captured) -> None:
    """Default capture: the prompt, the tool's arguments and result appear in no line, only as hashes."""
    agent: Agent[None, str] = Agent(
        scripted(call("echo", {"text": "ARG-91c2e"}, "call_echo", (2, 2)), answer("ANSWER-44d1", (2, 2))),
        name="echoer",
    )

    @agent.tool_plain
    def echo(text: str) -> str:
        return "RESULT-5b7f"

    agent.run_sync("PROMPT-7f3a")
    lines = logs.lines()
    check_run(
        lines,
        run_id_of(lines, "echoer"),
        tool_calls=1,
        llm_calls=2,
        errors=0,
        raw=["PROMPT-7f3a", "ARG-91c2e", "RESULT-5b7f", "ANSWER-44d1"],
    )
    assert b"PROMPT-7f3a" not in logs.raw()
    assert all("prompt_hash" in line for line in lines if line["event"] == "llm_result")
    assert "result_hash" in tool_pairs(lines)["call_echo"][1]


def test_full_capture_writes_the_content(tmp_path: Path) -> None:
    """With configure(capture="full") the prompt, arguments, result and answer are written."""
    path = tmp_path / "full.jsonl"
    agentlog.configure(service="svc", output=path, capture="full")
    agent: Agent[None, str] = Agent(
        scripted(call("echo", {"text": "ARG-91c2e"}, "call_echo", (2, 2)), answer("ANSWER-44d1", (2, 2))),
        name="echoer",
        instructions="INSTRUCTIONS-0a9",
    )

    @agent.tool_plain
    def echo(text: str) -> str:
        return "RESULT-5b7f"

    agent.run_sync("PROMPT-7f3a")
    text = path.read_text()
    for raw in ("PROMPT-7f3a", "ARG-91c2e", "RESULT-5b7f", "ANSWER-44d1", "INSTRUCTIONS-0a9"):
        assert raw in text, raw


def test_concurrent_runs_keep_their_own_ids_and_totals(logs: Captured) -> None:
    """Six runs at once (asyncio.gather): each run's lines carry only its IDs; totals exact per run."""

    def answer_for(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        prompt = str(messages[0].parts[0].content)  # type: ignore[union-attr]
        asked = sum(1 for message in messages if isinstance(message, ModelResponse))
        if asked == 0:
            return call("note", {"who": prompt}, f"call-{prompt}", (7, 3))
        return answer(f"done {prompt}", (9, 4))

    agent: Agent[None, str] = Agent(FunctionModel(answer_for), name="worker")

    @agent.tool_plain
    async def note(who: str) -> str:
        await asyncio.sleep(0.01)
        agentlog.get_logger().info("noting", who=who)
        await asyncio.sleep(0.01)
        return who

    async def main() -> list[str]:
        results = await asyncio.gather(*(agent.run(f"job{i}") for i in range(6)))
        return [result.output for result in results]

    assert on_own_loop(main()) == [f"done job{i}" for i in range(6)]
    lines = logs.lines()
    runs = {run_id: own for run_id, own in runs_of(lines).items() if run_id}
    assert len(runs) == 6
    for run_id, own in runs.items():
        end = check_run(lines, run_id, tool_calls=1, llm_calls=2, errors=0)
        assert (end["input_tokens"], end["output_tokens"]) == (16, 7)
        ids = {line["tool_call_id"] for line in own if line.get("tool_call_id")}
        assert len(ids) == 1
        (call_id,) = ids
        noting = [line for line in own if line["event"] == "noting"]
        assert len(noting) == 1 and call_id == f"call-{noting[0]['who']}"
        assert len({line["trace_id"] for line in own}) == 1
    assert len({own[0]["trace_id"] for own in runs.values()}) == 6


def test_a_run_inside_an_agentlog_run_is_its_child(logs: Captured) -> None:
    """Inside `with agentlog.run()`, the agent run is a child run: parent_run_id set, same trace."""
    agent: Agent[None, str] = Agent(TestModel(), name="inner")
    with agentlog.run(task="outer work") as outer:
        agent.run_sync("hi")
    lines = logs.lines()
    child = next(line for line in lines if line["event"] == "run_started" and line.get("agent") == "inner")
    assert child["parent_run_id"] == outer.run_id
    assert child["trace_id"] == outer.trace_id
    assert child["run_id"] != outer.run_id


def test_a_delegated_agent_is_a_child_run_of_the_tool_that_called_it(logs: Captured) -> None:
    """Agent delegation (a tool awaiting another agent's run) makes that run a child of the tool call."""
    helper: Agent[None, str] = Agent(
        scripted(call("fetch", {"key": "k"}, "call_fetch", (2, 1)), answer("fetched", (2, 1))),
        name="helper",
    )

    @helper.tool_plain
    def fetch(key: str) -> str:
        return "value"

    boss: Agent[None, str] = Agent(
        scripted(call("delegate", {"task": "t"}, "call_delegate", (5, 2)), answer("all done", (6, 2))),
        name="boss",
    )

    @boss.tool_plain
    async def delegate(task: str) -> str:
        return (await helper.run(task)).output

    assert boss.run_sync("go").output == "all done"
    lines = logs.lines()
    boss_id, helper_id = run_id_of(lines, "boss"), run_id_of(lines, "helper")
    check_run(lines, boss_id, tool_calls=1, llm_calls=2, errors=0)
    check_run(lines, helper_id, tool_calls=1, llm_calls=2, errors=0)
    started = next(line for line in lines if line["event"] == "run_started" and line["run_id"] == helper_id)
    delegate_call = tool_pairs(lines)["call_delegate"][0]
    assert started["parent_run_id"] == boss_id
    assert started["parent_span_id"] == delegate_call["span_id"]
    assert started["trace_id"] == delegate_call["trace_id"]


def test_instrument_is_idempotent_and_uninstrument_undoes_it(logs: Captured) -> None:
    """A second instrument() records once; after uninstrument() runs write nothing and the setting is back."""
    adapter.instrument()
    agent: Agent[None, str] = Agent(TestModel(), name="once")
    agent.run_sync("hi")
    assert len(logs.events("run_started")) == 1
    adapter.uninstrument()
    assert Agent._instrument_default is False
    count = len(logs.lines())
    agent.run_sync("hi again")
    assert len(logs.lines()) == count
    adapter.instrument()
    agent.run_sync("and again")
    assert len(logs.events("run_started")) == 2


def test_an_adapter_failure_is_counted_and_the_agent_is_unaffected(
    logs: Captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Agentlog failing inside every hook: counted in agentlog.problems(), the agent's result unchanged."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("agentlog is broken")

    agent = weather_agent(
        scripted(call("lookup", {"city": "Rome"}, "call_1", (2, 1)), answer("sunny", (2, 1))), "robust"
    )
    expected = agent.run_sync("weather?").output
    monkeypatch.setattr(adapter._RECORDER, "started", broken)
    monkeypatch.setattr(adapter._RECORDER, "ended", broken)
    before = sum(agentlog.problems().values())
    assert agent.run_sync("weather?").output == expected == "sunny"
    assert sum(agentlog.problems().values()) > before


REQUEST_FIELDS = ("temperature", "max_tokens", "top_p", "seed")


def test_model_settings_are_on_llm_result_and_absent_when_unset(logs: Captured) -> None:
    """The agent's model_settings temperature, max_tokens, top_p and seed are written; none without them."""
    settings: ModelSettings = {"temperature": 0.2, "max_tokens": 256, "top_p": 0.9, "seed": 42}
    Agent(TestModel(), model_settings=settings).run_sync("hi")
    Agent(TestModel()).run_sync("hi")
    given, plain = logs.events("llm_result")
    assert {name: given[name] for name in REQUEST_FIELDS} == dict(settings)
    assert not set(REQUEST_FIELDS) & set(plain)


def test_model_settings_of_the_run_win_and_bad_values_are_left_out(logs: Captured) -> None:
    """Settings given to run_sync override the agent's; a seed given as text is not written."""
    agent = Agent(TestModel(), model_settings={"temperature": 0.2, "seed": 42})
    text_seed: Any = {"temperature": 0.0, "seed": "42"}  # a seed PydanticAI's types do not allow
    agent.run_sync("hi", model_settings=text_seed)
    line = logs.one("llm_result")
    assert line["temperature"] == 0.0
    assert not {"seed", "max_tokens", "top_p", "invalid"} & set(line)


def test_otel_spans_carry_the_request_parameters(tmp_path: Path) -> None:
    """With otel_spans, agentlog's chat span has gen_ai.request.temperature and max_tokens."""
    recorded = Recorded()
    agentlog.configure(
        service="svc", output=tmp_path / "spans.jsonl", otel_spans=True, tracer_provider=recorded.provider
    )
    Agent(TestModel(), model_settings={"temperature": 0.3, "max_tokens": 64}).run_sync("hi")
    (chat,) = [span for span in recorded.get_finished_spans() if operation_of(span) == "chat"]
    assert chat.attributes is not None
    assert chat.attributes["gen_ai.request.temperature"] == 0.3
    assert chat.attributes["gen_ai.request.max_tokens"] == 64


def test_otel_spans_one_per_operation_are_agentlogs_and_nest_the_tools_spans(tmp_path: Path) -> None:
    """With otel_spans: one span per run, model call and tool call (agentlog's), their IDs on the lines."""
    recorded = Recorded()
    path = tmp_path / "spans.jsonl"
    agentlog.configure(service="svc", output=path, otel_spans=True, tracer_provider=recorded.provider)
    inner: list[Any] = []
    agent: Agent[None, str] = Agent(
        scripted(call("probe", {"x": 1}, "call_probe", (3, 1)), answer("ok", (3, 1))), name="spanned"
    )

    @agent.tool_plain
    def probe(x: int) -> int:
        with recorded.provider.get_tracer("user").start_as_current_span("user work") as span:
            inner.append(span)
        return x

    agent.run_sync("go")
    lines = Captured(path).lines()
    spans = recorded.get_finished_spans()
    assert {scope_of(span) for span in spans if span.name != "user work"} == {"agentlog"}
    operations = [operation_of(span) for span in spans]
    assert operations.count("invoke_agent") == 1
    assert operations.count("chat") == 2
    assert operations.count("execute_tool") == 1
    by_id = {hex_id(span): span for span in spans}
    for line in lines:
        if line["event"] in ("run_started", "llm_result", "tool_result"):
            assert line["span_id"] in by_id, line["event"]
    tool_span = tool_pairs(lines)["call_probe"][1]["span_id"]
    assert f"{inner[0].parent.span_id:016x}" == tool_span


def test_pydantic_ais_own_spans_are_adopted_when_it_is_already_instrumented(tmp_path: Path) -> None:
    """PydanticAI instrumented by the user: its spans kept, adopted (lines carry their IDs), none doubled."""
    adapter.uninstrument()
    recorded = Recorded()
    Agent.instrument_all(InstrumentationSettings(tracer_provider=recorded.provider, include_content=True))
    adapter.instrument()
    path = tmp_path / "adopted.jsonl"
    agentlog.configure(service="svc", output=path, otel_spans=True, tracer_provider=recorded.provider)
    agent = weather_agent(
        scripted(call("lookup", {"city": "Lima"}, "call_lookup", (8, 3)), answer("sunny", (9, 2))), "adopter"
    )
    agent.run_sync("weather in Lima?")
    lines = Captured(path).lines()
    spans = recorded.get_finished_spans()
    assert all(scope_of(span) == "pydantic-ai" for span in spans)
    ids = {operation_of(span): hex_id(span) for span in spans}
    run_id = run_id_of(lines, "adopter")
    check_run(lines, run_id, tool_calls=1, llm_calls=2, errors=0, raw=["Lima"])
    assert next(line for line in lines if line["event"] == "run_started")["span_id"] == ids["invoke_agent"]
    assert tool_pairs(lines)["call_lookup"][1]["span_id"] == ids["execute_tool"]
    chats = {hex_id(span) for span in spans if span.name.startswith("chat")}
    assert {line["span_id"] for line in lines if line["event"] == "llm_result"} == chats
    adapter.uninstrument()
    assert isinstance(Agent._instrument_default, InstrumentationSettings)
    count = len(lines)
    agent.run_sync("weather in Lima?")
    assert len(Captured(path).lines()) == count
    assert otel_genai._ATTACHED == {}
