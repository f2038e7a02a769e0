"""The OpenAI Agents SDK adapter with real SDK agents and a scripted offline model (no network).

The model answers from a script as the SDK's own Responses model does: a
``response`` span carrying the usage and the ``Response`` (with the
``ResponseFunctionToolCall`` items and their ``call_id``). The SDK's
default OpenAI exporter is taken off the processor list for each test, so
nothing tries the network.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

pytest.importorskip("agents")

import httpx2
import structlog
from agents import (
    Agent,
    ModelSettings,
    OpenAIChatCompletionsModel,
    RunConfig,
    Runner,
    function_tool,
    set_trace_processors,
)
from agents.exceptions import MaxTurnsExceeded
from agents.items import ModelResponse
from agents.models.interface import Model
from agents.tool_context import ToolContext
from agents.tracing import SpanError, generation_span, get_trace_provider, response_span
from agents.usage import Usage
from openai import AsyncOpenAI
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputRefusal,
    ResponseOutputText,
    ResponseUsage,
)
from openai.types.responses.response_usage import InputTokensDetails, OutputTokensDetails

import agentlog
from agentlog import _diagnostics
from agentlog.integrations import openai_agents as adapter
from tests.conftest import Captured, problems_besides_prices
from tests.integrations.frameworks.support import check_run, close_default_loop, runs_of, show, tool_pairs

# A turn: the output items, then (input, output, cached, cache-write, reasoning) tokens.
Turn = tuple[list[Any], tuple[int, int, int, int, int]]
MODEL = "gpt-scripted-1"
PROMPT = "where is order PROMPT-7c41?"
RAW_ORDER = "papaya-zebra-order"


def call(name: str, arguments: dict[str, Any], call_id: str) -> ResponseFunctionToolCall:
    """A model function call with the model's own ID."""
    return ResponseFunctionToolCall(
        type="function_call", name=name, arguments=json.dumps(arguments), call_id=call_id, id=f"fc_{call_id}"
    )


def say(text: str) -> ResponseOutputMessage:
    """A model text answer."""
    content: list[ResponseOutputText | ResponseOutputRefusal] = [
        ResponseOutputText(type="output_text", text=text, annotations=[])
    ]
    return ResponseOutputMessage(
        id="msg_1", type="message", role="assistant", status="completed", content=content
    )


def response_usage(tokens: tuple[int, int, int, int, int]) -> ResponseUsage:
    """The usage block a Responses API answer carries."""
    inputs, outputs, cached, written, reasoning = tokens
    return ResponseUsage(
        input_tokens=inputs,
        output_tokens=outputs,
        total_tokens=inputs + outputs,
        input_tokens_details=InputTokensDetails(cached_tokens=cached, cache_write_tokens=written),
        output_tokens_details=OutputTokensDetails(reasoning_tokens=reasoning),
    )


class ScriptedModel(Model):
    """An SDK model answering from a script, reporting each call as the Responses model does."""

    def __init__(self, turns: list[Turn], name: str = MODEL) -> None:
        self.turns = list(turns)
        self.name = name

    def _next(self) -> tuple[Response, Usage]:
        output, tokens = self.turns.pop(0)
        used = response_usage(tokens)
        response = Response(
            id="resp_1",
            created_at=0,
            model=self.name,
            object="response",
            output=output,
            tool_choice="auto",
            tools=[],
            parallel_tool_calls=True,
            usage=used,
            status="completed",
        )
        usage = Usage(
            requests=1,
            input_tokens=used.input_tokens,
            output_tokens=used.output_tokens,
            total_tokens=used.total_tokens,
            input_tokens_details=used.input_tokens_details,
            output_tokens_details=used.output_tokens_details,
        )
        return response, usage

    async def get_response(
        self,
        system_instructions: Any,
        input: Any,  # noqa: A002 - the SDK passes it by name
        *args: Any,
        **kwargs: Any,
    ) -> ModelResponse:
        tracing = args[4] if len(args) > 4 else kwargs["tracing"]
        with response_span(disabled=tracing.is_disabled()) as span:
            await asyncio.sleep(0)
            try:
                response, usage = self._next()
            except Exception as exc:  # as the SDK's models do: the span says the call failed
                span.set_error(SpanError(message="Error getting response", data={"error": str(exc)}))
                raise
            span.span_data.usage = response.usage.model_dump() if response.usage else None
            if tracing.include_data():
                span.span_data.response = response
                span.span_data.input = input
            return ModelResponse(output=list(response.output), usage=usage, response_id=response.id)

    async def stream_response(
        self,
        system_instructions: Any,
        input: Any,  # noqa: A002 - the SDK passes it by name
        *args: Any,
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        tracing = args[4] if len(args) > 4 else kwargs["tracing"]
        with response_span(disabled=tracing.is_disabled()) as span:
            response, _ = self._next()
            span.span_data.usage = response.usage.model_dump() if response.usage else None
            span.span_data.response = response
            yield ResponseCompletedEvent(type="response.completed", response=response, sequence_number=0)


class ChatStyleModel(ScriptedModel):
    """A model reporting as the SDK's Chat Completions model does: a ``generation`` span naming it."""

    async def get_response(
        self,
        system_instructions: Any,
        input: Any,  # noqa: A002 - the SDK passes it by name
        *args: Any,
        **kwargs: Any,
    ) -> ModelResponse:
        tracing = args[4] if len(args) > 4 else kwargs["tracing"]
        with generation_span(
            model=self.name, model_config={"base_url": "https://api.openai.com/v1/"}
        ) as span:
            response, usage = self._next()
            span.span_data.usage = response.usage.model_dump() if response.usage else None
            if tracing.include_data():
                span.span_data.input = [{"role": "user", "content": input}]
                span.span_data.output = [item.model_dump() for item in response.output]
            return ModelResponse(output=list(response.output), usage=usage, response_id=None)


@function_tool
def lookup_order(order: str) -> str:
    """Look an order up.

    Args:
        order: The order number.
    """
    agentlog.get_logger().info("order looked up", marker="agentlog")
    structlog.get_logger().info("structlog line in tool", marker="structlog")
    logging.getLogger("shop.orders").warning("stdlib line in tool")
    return f"order {order} shipped"


@function_tool
async def track_parcel(order: str) -> str:
    """Track an order's parcel (an async tool).

    Args:
        order: The order number.
    """
    await asyncio.sleep(0)
    structlog.get_logger().info("async tool line", marker="async")
    logging.getLogger("shop.parcels").warning("stdlib line in async tool")
    return "in transit"


@function_tool
def refund(order: str) -> str:
    """Refund an order.

    Args:
        order: The order number.
    """
    raise ValueError("refund window closed")


def two_tools_then_answer(order: str = "A-1", prefix: str = "call") -> list[Turn]:
    """Turn 1 calls both tools (the refund fails), turn 2 answers."""
    return [
        (
            [
                call("lookup_order", {"order": order}, f"{prefix}_lookup"),
                call("refund", {"order": order}, f"{prefix}_refund"),
            ],
            (120, 31, 64, 8, 12),
        ),
        ([say("Your order shipped; no refund.")], (210, 17, 96, 0, 0)),
    ]


def make_agent(turns: list[Turn], name: str = "shop", **kwargs: Any) -> Agent[Any]:
    """An agent on the scripted model."""
    kwargs.setdefault("tools", [lookup_order, refund])
    return Agent(name=name, instructions="You help with orders.", model=ScriptedModel(turns), **kwargs)


@pytest.fixture(autouse=True)
def sdk_processors() -> Iterator[None]:
    """The SDK's processors for the test: none but agentlog's (no exporter to the network)."""
    multi = getattr(get_trace_provider(), "_multi_processor", None)
    before = list(getattr(multi, "_processors", ()))
    set_trace_processors([])
    yield
    adapter.uninstrument()
    set_trace_processors(before)
    close_default_loop()


@pytest.fixture
def instrumented() -> Iterator[None]:
    adapter.instrument()
    yield
    adapter.uninstrument()


TYPED = {
    "run_started",
    "run_finished",
    "agent_step",
    "step_finished",
    "llm_result",
    "tool_call",
    "tool_result",
}


def typed(logs: Captured) -> list[dict[str, Any]]:
    """Agentlog's own lines (the SDK's debug lines are written too, at the fixture's debug level)."""
    return [line for line in logs.lines() if line["event"] in TYPED or line.get("run_id")]


def one_run(logs: Captured) -> str:
    """The ID of the only top-level run written."""
    starts = [line for line in logs.events("run_started") if "parent_run_id" not in line]
    assert len(starts) == 1, starts
    return str(starts[0]["run_id"])


def test_a_run_with_a_failing_tool(logs: Captured, instrumented: None) -> None:
    """Totals, the model's tool-call IDs and token counts, the failing tool's own error, and `show`."""
    result = Runner.run_sync(make_agent(two_tools_then_answer()), PROMPT)
    assert result.final_output == "Your order shipped; no refund."

    lines = logs.lines()
    run_id = one_run(logs)
    end = check_run(lines, run_id, tool_calls=2, llm_calls=2, errors=1)
    assert end["status"] == "ok" and end["stop_reason"] == "completed"
    assert end["input_tokens"] == 330 and end["output_tokens"] == 48
    started = logs.one("run_started")
    assert started["agent"] == "shop" and started["framework"] == "openai_agents"

    pairs = tool_pairs(lines)
    assert set(pairs) == {"call_lookup", "call_refund"}
    ok, failed = pairs["call_lookup"][1], pairs["call_refund"][1]
    assert ok["status"] == "ok" and ok["tool"] == "lookup_order"
    assert failed["status"] == "error" and failed["tool"] == "refund"
    assert failed["error_class"] == "ValueError" and failed["error_message"] == "refund window closed"

    first, second = logs.events("llm_result")
    assert (first["model"], first["provider"], first["status"]) == (MODEL, "openai", "ok")
    assert (first["input_tokens"], first["output_tokens"]) == (120, 31)
    assert first["cache_read_input_tokens"] == 64 and first["cache_creation_input_tokens"] == 8
    assert first["reasoning_output_tokens"] == 12 and first["finish_reason"] == "tool_calls"
    assert (second["input_tokens"], second["output_tokens"], second["finish_reason"]) == (210, 17, "stop")
    assert "reasoning_output_tokens" not in second  # the model reported none
    assert all(line["latency_ms"] >= 0 for line in logs.events("llm_result"))

    shown = show(logs, run_id)
    assert "refund" in shown and "ValueError" in shown


def test_user_lines_inside_tools_carry_the_ids(logs: Captured, instrumented: None) -> None:
    """Structlog and stdlib lines inside sync and async tools carry run_id, step_id and tool_call_id."""
    turns: list[Turn] = [
        (
            [
                call("lookup_order", {"order": "A-1"}, "call_a"),
                call("track_parcel", {"order": "A-1"}, "call_b"),
            ],
            (10, 5, 0, 0, 0),
        ),
        ([say("done")], (12, 3, 0, 0, 0)),
    ]
    Runner.run_sync(make_agent(turns, tools=[lookup_order, track_parcel]), PROMPT)
    lines = logs.lines()
    calls = {line["tool_call_id"]: line for line in lines if line["event"] == "tool_call"}
    expected = {
        "order looked up": "call_a",
        "structlog line in tool": "call_a",
        "stdlib line in tool": "call_a",
        "async tool line": "call_b",
        "stdlib line in async tool": "call_b",
    }
    for event, call_id in expected.items():
        (line,) = [line for line in lines if line["event"] == event]
        tool_call = calls[call_id]
        assert line["run_id"] == tool_call["run_id"]
        assert line["step_id"] == tool_call["step_id"]
        assert line["tool_call_id"] == call_id
        assert line["span_id"] == tool_call["span_id"]


def test_nothing_raw_by_default_full_capture_writes_content(logs: Captured, instrumented: None) -> None:
    """Hash mode (default) writes no raw argument, prompt or result; capture="full" writes them."""
    Runner.run_sync(make_agent(two_tools_then_answer(order=RAW_ORDER)), PROMPT)
    text = logs.raw().decode()
    assert "args_hash" in text and "prompt_hash" in text and "completion_hash" in text
    for raw in (RAW_ORDER, "PROMPT-7c41", "You help with orders", "shipped"):
        assert raw not in text, raw

    full = logs.path.with_name("full.jsonl")
    agentlog.configure(service="svc", output=full, capture="full")
    # Fresh values: agentlog remembers the arguments it hashed and redacts them wherever they recur.
    Runner.run_sync(make_agent(two_tools_then_answer(order="mango-yak-order")), "where is order PROMPT-91fe?")
    written = full.read_text()
    assert "mango-yak-order" in written and "PROMPT-91fe" in written and "shipped" in written


def test_concurrent_runs_keep_their_own_ids(logs: Captured, instrumented: None) -> None:
    """Six runs gathered in asyncio: each run's lines carry only its IDs, and totals are per run."""
    agents = [make_agent(two_tools_then_answer(order=f"A-{n}", prefix=f"r{n}")) for n in range(6)]

    async def main() -> list[Any]:
        return list(await asyncio.gather(*(Runner.run(agent, PROMPT) for agent in agents)))

    results = asyncio.run(main())
    assert [result.final_output for result in results] == ["Your order shipped; no refund."] * 6
    lines = logs.lines()
    grouped = runs_of(lines)
    grouped.pop("", None)
    assert len(grouped) == 6
    for run_id, own in grouped.items():
        check_run(lines, run_id, tool_calls=2, llm_calls=2, errors=1)
        prefixes = {line["tool_call_id"].split("_")[0] for line in own if line.get("tool_call_id")}
        assert len(prefixes) == 1, prefixes  # the user's lines too: one run's tool calls only
        assert len({line["trace_id"] for line in own}) == 1
    assert len({own[0]["trace_id"] for own in grouped.values()}) == 6


def test_nested_in_an_agentlog_run(logs: Captured, instrumented: None) -> None:
    """Inside `with agentlog.run()` the SDK run is its child: parent_run_id set, same trace_id."""
    with agentlog.run(task="support") as outer:
        Runner.run_sync(make_agent(two_tools_then_answer()), PROMPT)
    child = [line for line in logs.events("run_started") if line.get("parent_run_id")]
    assert len(child) == 1
    assert child[0]["parent_run_id"] == outer.run_id
    assert child[0]["trace_id"] == outer.trace_id
    check_run(logs.lines(), child[0]["run_id"], tool_calls=2, llm_calls=2, errors=1)


def test_handoff_is_a_child_run(logs: Captured, instrumented: None) -> None:
    """An agent handed off to is a child run of the run that handed off, with its own totals."""
    billing = Agent(name="billing", model=ScriptedModel([([say("refunded")], (30, 4, 0, 0, 0))]))
    triage = make_agent(
        [([call("transfer_to_billing", {}, "call_handoff")], (25, 6, 0, 0, 0))],
        name="triage",
        handoffs=[billing],
    )
    result = Runner.run_sync(triage, PROMPT)
    assert result.final_output == "refunded"
    starts = {line["agent"]: line for line in logs.events("run_started")}
    assert starts["billing"]["parent_run_id"] == starts["triage"]["run_id"]
    assert starts["billing"]["trace_id"] == starts["triage"]["trace_id"]
    lines = logs.lines()
    check_run(lines, starts["triage"]["run_id"], tool_calls=0, llm_calls=1, errors=0)
    end = check_run(lines, starts["billing"]["run_id"], tool_calls=0, llm_calls=1, errors=0)
    assert end["input_tokens"] == 30


def test_agent_as_tool_is_a_child_run_of_the_tool_call(logs: Captured, instrumented: None) -> None:
    """An agent called as a tool runs as a child run under that tool call, the model's ID kept."""
    helper = Agent(name="helper", model=ScriptedModel([([say("helper answer")], (9, 2, 0, 0, 0))]))
    main = make_agent(
        [
            ([call("ask_helper", {"input": "what?"}, "call_helper")], (14, 5, 0, 0, 0)),
            ([say("done")], (20, 2, 0, 0, 0)),
        ],
        name="main",
        tools=[helper.as_tool(tool_name="ask_helper", tool_description="Ask the helper.")],
    )
    Runner.run_sync(main, PROMPT)
    starts = {line["agent"]: line for line in logs.events("run_started")}
    tool = logs.one("tool_call")
    assert tool["tool_call_id"] == "call_helper"
    assert starts["helper"]["parent_run_id"] == starts["main"]["run_id"]
    assert starts["helper"]["parent_span_id"] == tool["span_id"]
    lines = logs.lines()
    check_run(lines, starts["main"]["run_id"], tool_calls=1, llm_calls=2, errors=0)
    check_run(lines, starts["helper"]["run_id"], tool_calls=0, llm_calls=1, errors=0)


def test_streamed_run(logs: Captured, instrumented: None) -> None:
    """``Runner.run_streamed`` is recorded like any run."""

    async def main() -> Any:
        result = Runner.run_streamed(make_agent(two_tools_then_answer()), PROMPT)
        async for _ in result.stream_events():
            pass
        return result.final_output

    assert asyncio.run(main()) == "Your order shipped; no refund."
    check_run(logs.lines(), one_run(logs), tool_calls=2, llm_calls=2, errors=1)


def test_generation_span_models(logs: Captured, instrumented: None) -> None:
    """A model reporting a ``generation`` span (Chat Completions style) gives its model and usage."""
    agent = Agent(
        name="chat",
        model=ChatStyleModel([([say("hi")], (40, 9, 16, 0, 3))], name="gpt-chat-2"),
    )
    Runner.run_sync(agent, PROMPT)
    llm = logs.one("llm_result")
    assert (llm["model"], llm["provider"], llm["finish_reason"]) == ("gpt-chat-2", "openai", "stop")
    assert (llm["input_tokens"], llm["output_tokens"]) == (40, 9)
    assert (llm["cache_read_input_tokens"], llm["reasoning_output_tokens"]) == (16, 3)


REQUEST_FIELDS = ("temperature", "max_tokens", "top_p", "seed")


def chat_completions_model(sent: list[dict[str, Any]]) -> OpenAIChatCompletionsModel:
    """The SDK's own Chat Completions model on an offline client: each request kept in *sent*, one answer."""

    def answer(request: httpx2.Request) -> httpx2.Response:
        sent.append(json.loads(request.content))
        message = {"role": "assistant", "content": "hi"}
        return httpx2.Response(
            200,
            json={
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 0,
                "model": "gpt-4o-mini",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
            },
        )

    client = AsyncOpenAI(
        api_key="offline",
        base_url="http://model.invalid/v1",
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(answer)),
    )
    return OpenAIChatCompletionsModel("gpt-4o-mini", client)


def test_model_settings_of_a_chat_completions_call_are_on_llm_result(
    logs: Captured, instrumented: None
) -> None:
    """The agent's ModelSettings temperature, max_tokens and top_p: sent to the model and written."""
    sent: list[dict[str, Any]] = []
    settings = ModelSettings(temperature=0.2, max_tokens=256, top_p=0.9)
    agent = Agent(name="chat", model=chat_completions_model(sent), model_settings=settings)
    assert Runner.run_sync(agent, PROMPT).final_output == "hi"
    llm = logs.one("llm_result")
    assert (llm["model"], llm["input_tokens"], llm["output_tokens"]) == ("gpt-4o-mini", 5, 1)
    assert {name: llm[name] for name in ("temperature", "max_tokens", "top_p")} == {
        "temperature": 0.2,
        "max_tokens": 256,
        "top_p": 0.9,
    }
    assert (sent[0]["temperature"], sent[0]["max_tokens"], sent[0]["top_p"]) == (0.2, 256, 0.9)
    assert "seed" not in llm  # ModelSettings has no seed


def test_a_call_without_model_settings_writes_no_request_parameters(
    logs: Captured, instrumented: None
) -> None:
    """Settings left unset (None in the span's model_config) are not written: no default is invented."""
    sent: list[dict[str, Any]] = []
    Runner.run_sync(Agent(name="chat", model=chat_completions_model(sent)), PROMPT)
    llm = logs.one("llm_result")
    assert llm["status"] == "ok" and not set(REQUEST_FIELDS) & set(llm)
    assert not set(REQUEST_FIELDS) & set(sent[0])


def test_a_failing_model_call_fails_the_llm_call_and_the_run(logs: Captured, instrumented: None) -> None:
    """The model raising: an llm_result with status error and the exception, and a failed run."""

    class Unreachable(ScriptedModel):
        def _next(self) -> Any:
            raise ConnectionError("model endpoint unreachable")

    with pytest.raises(ConnectionError):
        Runner.run_sync(Agent(name="shop", model=Unreachable([])), PROMPT)
    llm = logs.one("llm_result")
    assert llm["status"] == "error" and llm["error_class"] == "ConnectionError"
    end = logs.one("run_finished")
    assert end["status"] == "error" and end["llm_calls"] == 1 and end["errors"] == 1
    assert end["error_class"] == "ConnectionError"


def test_max_turns_fails_the_run(logs: Captured, instrumented: None) -> None:
    """A run stopped by ``max_turns`` finishes with status error and stop reason max_steps."""
    agent = make_agent(two_tools_then_answer())
    with pytest.raises(MaxTurnsExceeded):
        Runner.run_sync(agent, PROMPT, max_turns=1)
    end = logs.one("run_finished")
    assert end["status"] == "error" and end["stop_reason"] == "max_steps"
    assert end["error_class"] == "MaxTurnsExceeded"


def test_instrument_is_idempotent_and_uninstrument_undoes_it(logs: Captured) -> None:
    """A second instrument() adds nothing; after uninstrument() a run writes no agentlog line."""
    wrapped_before = ToolContext.__dict__["from_agent_context"]
    adapter.instrument()
    adapter.instrument()
    provider: Any = get_trace_provider()
    multi: Any = provider._multi_processor
    assert list(multi._processors) == [adapter.instrumentor.processor]
    Runner.run_sync(make_agent(two_tools_then_answer()), PROMPT)
    assert len(logs.events("run_started")) == 1 and len(logs.events("tool_call")) == 2

    adapter.uninstrument()
    assert list(multi._processors) == []
    assert ToolContext.__dict__["from_agent_context"] is wrapped_before
    count = len(typed(logs))
    result = Runner.run_sync(make_agent(two_tools_then_answer()), PROMPT)
    assert result.final_output == "Your order shipped; no refund."
    assert len(typed(logs)) == count

    adapter.instrument()
    Runner.run_sync(make_agent(two_tools_then_answer()), PROMPT)
    assert len(logs.events("run_started")) == 2


def test_adapter_failure_is_counted_and_the_agent_goes_on(
    logs: Captured, instrumented: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure inside agentlog is counted in problems(); the run ends with the same result."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("agentlog bug")

    _diagnostics.clear()
    monkeypatch.setattr(adapter._TRACKER, "tool", broken)
    monkeypatch.setattr(adapter._TRACKER, "usage", broken)
    result = Runner.run_sync(make_agent(two_tools_then_answer()), PROMPT)
    assert result.final_output == "Your order shipped; no refund."
    assert sum(agentlog.problems().values()) >= 4  # two tool calls, two model calls
    end = logs.one("run_finished")
    assert end["llm_calls"] == 2 and end["status"] == "ok"


def test_otel_spans_one_per_operation(instrumented: None) -> None:
    """The SDK emits no OpenTelemetry spans: agentlog's are the only ones, one per operation."""
    pytest.importorskip("opentelemetry.sdk")
    from tests.otel_support import Recorded

    recorded = Recorded()
    try:
        agentlog.configure(
            service="svc", output=logging_sink(), otel_spans=True, tracer_provider=recorded.provider
        )
        Runner.run_sync(make_agent(two_tools_then_answer()), PROMPT)
        names = sorted(span.name for span in recorded.get_finished_spans())
    finally:
        recorded.provider.shutdown()
    assert names == sorted(
        [
            "invoke_agent svc",
            "step model",
            "step model",
            "step tool",
            "step tool",
            "execute_tool lookup_order",
            "execute_tool refund",
            "chat unknown",
            "chat unknown",
        ]
    ), names


def logging_sink() -> Any:
    """A place for lines the OTel test does not read."""
    import io

    return io.BytesIO()


def test_runs_without_the_sdk_tracing_add_nothing(logs: Captured, instrumented: None) -> None:
    """With SDK tracing off for a run the SDK reports nothing to processors: no agentlog line, no problem."""
    _diagnostics.clear()
    Runner.run_sync(make_agent(two_tools_then_answer()), PROMPT, run_config=RunConfig(tracing_disabled=True))
    assert typed(logs) == []
    assert agentlog.problems() == {}


def test_an_input_guardrail_tripwire_fails_the_run(logs: Captured, instrumented: None) -> None:
    """The SDK raises the tripwire with no error on its spans: the run still ends as an error."""
    from agents import GuardrailFunctionOutput, InputGuardrailTripwireTriggered, input_guardrail

    @input_guardrail
    async def block(ctx: Any, agent: Any, given: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info=None, tripwire_triggered=True)

    agent = make_agent([([say("hello")], (5, 1, 0, 0, 0))], input_guardrails=[block])
    with pytest.raises(InputGuardrailTripwireTriggered):
        asyncio.run(Runner.run(agent, PROMPT))
    (end,) = logs.events("run_finished")
    assert (end["status"], end["error_class"]) == ("error", "InputGuardrailTripwireTriggered")


def test_a_cancelled_run_and_its_tool_call_end_cancelled(logs: Captured, instrumented: None) -> None:
    """A timeout cancels the run mid-tool: the tool call and the run end cancelled, no problem counted."""

    @function_tool
    async def slow(order: str) -> str:
        """Take a long time."""
        await asyncio.sleep(30)
        return "late"

    agent = make_agent([([call("slow", {"order": "A-1"}, "call_slow")], (5, 1, 0, 0, 0))], tools=[slow])
    with pytest.raises(TimeoutError):
        asyncio.run(asyncio.wait_for(Runner.run(agent, PROMPT), 0.5))
    (end,) = logs.events("run_finished")
    assert (end["status"], end["stop_reason"], end["error_class"]) == ("error", "cancelled", "CancelledError")
    result = tool_pairs(logs.lines())["call_slow"][1]
    assert (result["status"], result["error_class"]) == ("error", "CancelledError")
    assert not problems_besides_prices()


def test_an_exception_the_caller_is_handling_does_not_fail_the_run(
    logs: Captured, instrumented: None
) -> None:
    """A run started inside the caller's own ``except`` block completes as ok."""
    agent = make_agent([([say("hello")], (5, 1, 0, 0, 0))])

    async def main() -> None:
        try:
            raise KeyError("the caller's own")
        except KeyError:
            await Runner.run(agent, PROMPT)

    asyncio.run(main())
    (end,) = logs.events("run_finished")
    assert (end["status"], end["stop_reason"]) == ("ok", "completed")
