"""Spans against the OpenTelemetry GenAI semantic conventions, with the real SDK.

The vectors come from the conventions' own published material:

* the attribute registry as the ``opentelemetry-semantic-conventions`` package
  publishes it (release 1.41, ``gen_ai_attributes``), read here to check every
  ``gen_ai.*`` name agentlog writes and the provider list;
* the GenAI span definitions (``docs/gen-ai/gen-ai-spans.md`` and
  ``gen-ai-agent-spans.md``): required attributes of ``chat`` and
  ``invoke_agent``, ``error.type`` on failure;
* the message JSON schemas (``gen-ai-input-messages.json``,
  ``gen-ai-output-messages.json``), whose required properties are written out
  below as JSON Schemas of our own;
* ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` as the Python GenAI
  utilities define it (``NO_CONTENT``, ``SPAN_ONLY``, ``EVENT_ONLY``,
  ``SPAN_AND_EVENT``; the older ``true``/``false``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import jsonschema
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes

import agentlog
from agentlog import _genai, events
from tests.otel_support import Recorded, json_lines
from tests.secret_corpus import PASSWORD

CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


@pytest.fixture
def exporter(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorded]:
    monkeypatch.delenv(CONTENT_ENV, raising=False)
    recorded = Recorded()
    yield recorded
    recorded.provider.shutdown()


def _configure(exporter: Recorded, **options: Any) -> io.BytesIO:
    out = io.BytesIO()
    agentlog.configure(
        output=out, service="agent", otel_spans=True, tracer_provider=exporter.provider, **options
    )
    return out


def _attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def _named(exporter: Recorded, prefix: str) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.name.startswith(prefix)]


# -- the registry ------------------------------------------------------------------------------

REGISTRY = {
    value
    for name, value in vars(gen_ai_attributes).items()
    if name.startswith("GEN_AI_") and isinstance(value, str)
}
PROVIDERS = {member.value for member in gen_ai_attributes.GenAiProviderNameValues}


def _full_run(exporter: Recorded, **options: Any) -> io.BytesIO:
    out = _configure(exporter, **options)
    with agentlog.run("task", session_id="s-1"):
        with agentlog.step("model"), agentlog.llm_call("gpt-4o", provider="openai") as llm:
            llm.prompt = [{"role": "user", "content": "hello"}]
            llm.completion = "hi"
            llm.set_usage(
                10,
                4,
                "stop",
                cache_read_input_tokens=6,
                cache_creation_input_tokens=2,
                reasoning_output_tokens=1,
            )
        with agentlog.tool_call("search", {"q": "x"}) as call:
            call.result = {"hits": 1}
        events.llm_result("gpt-4o", provider="openai", input_tokens=3, output_tokens=2, finish_reason="stop")
    return out


def test_every_gen_ai_attribute_is_in_the_registry(exporter: Recorded) -> None:
    """Registry (semconv 1.41 gen_ai attributes): each gen_ai.* name agentlog writes is defined there.

    The one exception is ``gen_ai.usage.cache_write.input_tokens``, the GenAI
    repository's later name for cache creation, written alongside it.
    """
    _full_run(exporter, capture="full")
    written = {
        key
        for span in exporter.get_finished_spans()
        for key in _attributes(span)
        if key.startswith("gen_ai.")
    }
    assert written, "no gen_ai attribute written"
    assert written - REGISTRY == {_genai.CACHE_WRITE}


def test_spans_name_the_conventions_schema_url(exporter: Recorded) -> None:
    """Span conventions: the instrumentation scope carries the schema URL of the release followed."""
    _full_run(exporter)
    scopes = {
        span.instrumentation_scope.schema_url if span.instrumentation_scope else None
        for span in exporter.get_finished_spans()
    }
    assert scopes == {f"https://opentelemetry.io/schemas/{_genai.SEMCONV_VERSION}"}


# -- required attributes ------------------------------------------------------------------------


def test_chat_span_without_a_provider_names_the_models_provider(exporter: Recorded) -> None:
    """Inference span (gen-ai-spans.md): gen_ai.provider.name is Required; best knowledge from the model."""
    _configure(exporter)
    with agentlog.run("t"):
        with agentlog.llm_call("claude-sonnet-4"):
            pass
        events.llm_result("gpt-4o-mini", input_tokens=1, output_tokens=1)
        events.llm_result("my-own-model", input_tokens=1, output_tokens=1)
    providers = {span.name: _attributes(span)["gen_ai.provider.name"] for span in _named(exporter, "chat")}
    assert providers == {
        "chat claude-sonnet-4": "anthropic",
        "chat gpt-4o-mini": "openai",
        "chat my-own-model": "_OTHER",
    }
    assert {"anthropic", "openai"} <= PROVIDERS


def test_a_given_provider_is_kept_as_given(exporter: Recorded) -> None:
    """Registry: a provider outside the list is a custom value the conventions allow."""
    _configure(exporter)
    with agentlog.run("t"), agentlog.llm_call("gpt-4o", provider="my-gateway"):
        pass
    (chat,) = _named(exporter, "chat")
    assert _attributes(chat)["gen_ai.provider.name"] == "my-gateway"


def test_invoke_agent_always_has_a_provider(exporter: Recorded) -> None:
    """Agent span (gen-ai-agent-spans.md): provider set; the run's model calls' provider when one."""
    _configure(exporter)
    with agentlog.run("one provider"):
        events.llm_result("m", provider="anthropic", input_tokens=1, output_tokens=1)
        events.llm_result("m", provider="anthropic", input_tokens=1, output_tokens=1)
    with agentlog.run("two providers"):
        events.llm_result("m", provider="anthropic", input_tokens=1, output_tokens=1)
        events.llm_result("m", provider="openai", input_tokens=1, output_tokens=1)
    with agentlog.run("no model call"):
        pass
    agents = [_attributes(span)["gen_ai.provider.name"] for span in _named(exporter, "invoke_agent")]
    assert agents == ["anthropic", "_OTHER", "_OTHER"]


def test_invoke_agent_carries_the_run_usage(exporter: Recorded) -> None:
    """Agent span: the run's token totals under gen_ai.usage.* (cache and reasoning included)."""
    out = _full_run(exporter)
    (agent,) = _named(exporter, "invoke_agent")
    attributes = _attributes(agent)
    finished = json_lines(out)[-1]
    assert attributes["gen_ai.usage.input_tokens"] == finished["input_tokens"] == 13
    assert attributes["gen_ai.usage.output_tokens"] == finished["output_tokens"] == 6
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == finished["cache_read_input_tokens"] == 6
    assert attributes["gen_ai.usage.cache_creation.input_tokens"] == 2
    assert attributes["gen_ai.usage.cache_write.input_tokens"] == 2
    assert attributes["gen_ai.usage.reasoning.output_tokens"] == finished["reasoning_output_tokens"] == 1


def test_a_run_without_model_calls_has_no_usage(exporter: Recorded) -> None:
    """Agent span: usage attributes are Recommended when known; a run with no model call knows none."""
    _configure(exporter)
    with agentlog.run("t"):
        pass
    (agent,) = _named(exporter, "invoke_agent")
    assert not [key for key in _attributes(agent) if key.startswith("gen_ai.usage.")]


def test_standalone_llm_result_sets_finish_reasons_and_usage(exporter: Recorded) -> None:
    """Inference span: gen_ai.response.finish_reasons is a string array; usage as reported."""
    _configure(exporter)
    with agentlog.run("t"):
        events.llm_result(
            "gpt-4o",
            input_tokens=9,
            output_tokens=3,
            finish_reason="length",
            cache_read_input_tokens=4,
            reasoning_output_tokens=2,
        )
    (chat,) = _named(exporter, "chat")
    attributes = _attributes(chat)
    assert attributes["gen_ai.response.finish_reasons"] == ("length",)
    assert attributes["gen_ai.usage.input_tokens"] == 9
    assert attributes["gen_ai.usage.cache_read.input_tokens"] == 4
    assert attributes["gen_ai.usage.reasoning.output_tokens"] == 2


# -- error.type ---------------------------------------------------------------------------------


def test_error_type_is_the_given_error_class(exporter: Recorded) -> None:
    """Spans (recording errors): error.type is the error's class; _OTHER only when none is known."""
    _configure(exporter)
    with agentlog.run("t"):
        events.tool_result("lookup", error_class="KeyError")
        events.tool_result("lookup", status="error")
        events.llm_result("gpt-4o", error_class="RateLimitError")
        events.tool_call("fetch")
        events.tool_result("fetch", error_class="TimeoutError", error_message="slow")
    errors = [_attributes(span).get("error.type") for span in exporter.get_finished_spans()]
    assert errors.count("KeyError") == 1
    assert errors.count("_OTHER") == 1
    assert errors.count("RateLimitError") == 1
    assert errors.count("TimeoutError") == 1
    failed = [span for span in exporter.get_finished_spans() if "error.type" in _attributes(span)]
    assert all(span.status.status_code.name == "ERROR" for span in failed)


def test_error_type_is_the_exception_class(exporter: Recorded) -> None:
    """Spans: an exception escaping a scope gives its class name as error.type."""
    _configure(exporter)
    with pytest.raises(ValueError), agentlog.run("t"), agentlog.tool_call("parse"):
        raise ValueError("bad")
    types = {span.name: _attributes(span).get("error.type") for span in exporter.get_finished_spans()}
    assert types["execute_tool parse"] == "ValueError"
    assert types["invoke_agent agent"] == "ValueError"


def test_a_run_finished_with_an_error_class_marks_its_span(exporter: Recorded) -> None:
    """Agent span: a helper run finished as failed with an error class has that error.type."""
    _configure(exporter)
    events.run_started("t")
    events.run_finished(status="error", error_class="BudgetExceeded")
    (agent,) = _named(exporter, "invoke_agent")
    assert _attributes(agent)["error.type"] == "BudgetExceeded"


# -- messages ---------------------------------------------------------------------------------

_PART = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"type": "string"}},
    "allOf": [
        {
            "if": {"properties": {"type": {"const": "text"}}},
            "then": {"required": ["content"], "properties": {"content": {"type": "string"}}},
        },
        {
            "if": {"properties": {"type": {"const": "reasoning"}}},
            "then": {"required": ["content"], "properties": {"content": {"type": "string"}}},
        },
        {
            "if": {"properties": {"type": {"const": "tool_call"}}},
            "then": {"required": ["name"], "properties": {"name": {"type": "string"}}},
        },
        {"if": {"properties": {"type": {"const": "tool_call_response"}}}, "then": {"required": ["response"]}},
        {
            "if": {"properties": {"type": {"const": "blob"}}},
            "then": {"required": ["modality", "content"], "properties": {"content": {"type": "string"}}},
        },
        {"if": {"properties": {"type": {"const": "uri"}}}, "then": {"required": ["modality", "uri"]}},
        {"if": {"properties": {"type": {"const": "file"}}}, "then": {"required": ["modality", "file_id"]}},
    ],
}
INPUT_MESSAGES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["role", "parts"],
        "properties": {"role": {"type": "string"}, "parts": {"type": "array", "items": _PART}},
    },
}
"""gen-ai-input-messages.json: ChatMessage requires role and parts; each part its own fields."""
OUTPUT_MESSAGES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["role", "parts", "finish_reason"],
        "properties": {
            "role": {"type": "string"},
            "parts": {"type": "array", "items": _PART},
            "finish_reason": {"type": "string"},
        },
    },
}
"""gen-ai-output-messages.json: OutputMessage requires role, parts and finish_reason."""

OPENAI_CONVERSATION = [
    {"role": "system", "content": "be brief"},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "weather?"},
            {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
        ],
    },
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
]
ANTHROPIC_CONVERSATION = {
    "system": "be brief",
    "messages": [
        {
            "role": "user",
            "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}}
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "look it up"},
                {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Paris"}},
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}]},
    ],
}


def test_openai_messages_become_role_and_parts() -> None:
    """Input messages schema: OpenAI messages convert part by part (text, uri, tool_call, its response)."""
    messages = _genai.input_messages(OPENAI_CONVERSATION)
    jsonschema.validate(messages, INPUT_MESSAGES)
    assert messages[0] == {"role": "system", "parts": [{"type": "text", "content": "be brief"}]}
    assert messages[1]["parts"][1] == {"type": "uri", "modality": "image", "uri": "https://x/y.png"}
    assert messages[2]["parts"] == [
        {"type": "tool_call", "id": "call_1", "name": "weather", "arguments": {"city": "Paris"}}
    ]
    assert messages[3] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "call_1", "response": "sunny"}],
    }


def test_anthropic_messages_become_role_and_parts() -> None:
    """Input messages schema: an Anthropic request (system, blocks) becomes system + role/parts messages."""
    messages = _genai.input_messages(ANTHROPIC_CONVERSATION)
    jsonschema.validate(messages, INPUT_MESSAGES)
    assert [message["role"] for message in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["parts"][0] == {
        "type": "blob",
        "modality": "image",
        "mime_type": "image/png",
        "content": "iVBOR",
    }
    assert messages[2]["parts"] == [
        {"type": "reasoning", "content": "look it up"},
        {"type": "tool_call", "id": "toolu_1", "name": "weather", "arguments": {"city": "Paris"}},
    ]
    assert messages[3]["parts"][0] == {"type": "tool_call_response", "id": "toolu_1", "response": "sunny"}


def test_completions_become_output_messages_with_a_finish_reason() -> None:
    """Output messages schema: a string, an OpenAI completion, an Anthropic reply; all with finish_reason."""
    plain = _genai.output_messages("hi", "stop")
    assert plain == [
        {"role": "assistant", "parts": [{"type": "text", "content": "hi"}], "finish_reason": "stop"}
    ]
    openai = _genai.output_messages(
        {"choices": [{"message": {"role": "assistant", "content": "x"}, "finish_reason": "tool_calls"}]}, None
    )
    assert openai[0]["finish_reason"] == "tool_call"
    anthropic = _genai.output_messages(
        {"role": "assistant", "content": [{"type": "text", "text": "done"}], "stop_reason": "max_tokens"},
        None,
    )
    assert anthropic == [
        {"role": "assistant", "parts": [{"type": "text", "content": "done"}], "finish_reason": "length"}
    ]
    for messages in (plain, openai, anthropic, _genai.output_messages(None, None, failed=True)):
        jsonschema.validate(messages, OUTPUT_MESSAGES)


def test_unknown_blocks_become_generic_parts() -> None:
    """Input messages schema: a part of a type the conventions do not define is a generic part, typed."""
    (message,) = _genai.input_messages({"role": "user", "content": [{"type": "audio_ref", "ref": "a1"}]})
    assert message["parts"] == [{"type": "generic", "generic_type": "audio_ref", "ref": "a1"}]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
_BLOCK = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["text", "tool_use", "tool_result", "image", "thinking", "image_url", "odd", ""]
        )
    },
    optional={
        "text": _JSON,
        "id": _JSON,
        "name": _JSON,
        "input": _JSON,
        "content": _JSON,
        "source": _JSON,
        "image_url": _JSON,
        "thinking": _JSON,
    },
)
_MESSAGE = st.fixed_dictionaries(
    {},
    optional={
        "role": _JSON,
        "content": st.one_of(_JSON, st.lists(_BLOCK | _JSON, max_size=4)),
        "tool_calls": st.lists(_JSON, max_size=3),
        "tool_call_id": _JSON,
        "name": _JSON,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_JSON, _MESSAGE, st.lists(st.one_of(_MESSAGE, _JSON), max_size=5)))
def test_any_prompt_converts_to_valid_messages(prompt: Any) -> None:
    """Input and output messages schemas: whatever the caller gives, the result is a valid array."""
    jsonschema.validate(_genai.input_messages(prompt), INPUT_MESSAGES)
    jsonschema.validate(_genai.output_messages(prompt, None), OUTPUT_MESSAGES)


def test_span_messages_follow_the_schemas_with_content_on(exporter: Recorded) -> None:
    """Opt-in content attributes: gen_ai.input.messages / output.messages are JSON arrays per the schemas."""
    _configure(exporter, capture="full")
    with agentlog.run("t"):
        with agentlog.llm_call("gpt-4o") as llm:
            llm.prompt = OPENAI_CONVERSATION
            llm.completion = {
                "choices": [{"message": {"role": "assistant", "content": "sunny"}, "finish_reason": "stop"}]
            }
        events.llm_result(
            "claude-x", prompt="plain question", completion="plain answer", finish_reason="end_turn"
        )
    for chat in _named(exporter, "chat"):
        attributes = _attributes(chat)
        jsonschema.validate(orjson.loads(attributes["gen_ai.input.messages"]), INPUT_MESSAGES)
        jsonschema.validate(orjson.loads(attributes["gen_ai.output.messages"]), OUTPUT_MESSAGES)


def test_span_messages_are_redacted_and_fit_the_limit(exporter: Recorded) -> None:
    """Content on spans follows agentlog's privacy: secrets replaced, capped, still a valid array."""
    _configure(exporter, capture="full", capture_limit=512)
    with agentlog.run("t"), agentlog.llm_call("gpt-4o") as llm:
        llm.prompt = [{"role": "user", "content": f"password={PASSWORD} " + "long text " * 500}] * 3
    (chat,) = _named(exporter, "chat")
    text = _attributes(chat)["gen_ai.input.messages"]
    assert PASSWORD not in text
    assert len(text.encode("utf-8")) <= 512
    jsonschema.validate(orjson.loads(text), INPUT_MESSAGES)


def test_no_content_on_spans_in_the_default_mode(exporter: Recorded) -> None:
    """Opt-in content: off by default — no messages, arguments or results on any span."""
    _full_run(exporter)
    content = {
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
    }
    for span in exporter.get_finished_spans():
        assert not content & set(_attributes(span))


# -- the content switch ------------------------------------------------------------------------

_CONTENT = ("gen_ai.input.messages", "gen_ai.tool.call.arguments")


def _content_where(exporter: Recorded, out: io.BytesIO) -> tuple[bool, bool]:
    spans = any(key in _attributes(span) for span in exporter.get_finished_spans() for key in _CONTENT)
    lines = any("prompt" in line or "args" in line for line in json_lines(out))
    return lines, spans


@pytest.mark.parametrize(
    ("value", "lines", "spans"),
    [
        ("NO_CONTENT", False, False),
        ("no_content", False, False),
        ("SPAN_ONLY", False, True),
        ("EVENT_ONLY", True, False),
        ("SPAN_AND_EVENT", True, True),
        (" span_and_event ", True, True),
        ("true", True, True),
        ("TRUE", True, True),
        ("false", False, False),
    ],
)
def test_the_content_variable_decides_where_content_goes(
    exporter: Recorded, monkeypatch: pytest.MonkeyPatch, value: str, lines: bool, spans: bool
) -> None:
    """OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT (case-insensitive): lines are the events."""
    monkeypatch.setenv(CONTENT_ENV, value)
    out = _full_run(exporter)
    assert _content_where(exporter, out) == (lines, spans)


def test_an_explicit_capture_mode_wins_forlines(exporter: Recorded, monkeypatch: pytest.MonkeyPatch) -> None:
    """configure(capture=...) decides the lines; the variable still takes content off the spans."""
    monkeypatch.setenv(CONTENT_ENV, "EVENT_ONLY")
    out = _full_run(exporter, capture="redacted")
    assert _content_where(exporter, out) == (True, False)
    exporter.clear()
    monkeypatch.setenv(CONTENT_ENV, "SPAN_ONLY")
    out = _full_run(exporter, capture="hash")
    assert _content_where(exporter, out) == (False, True)


def test_an_undefined_value_keeps_content_off_and_says_so(
    exporter: Recorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An undefined value falls back to no content (as the GenAI utilities do), counted in problems."""
    monkeypatch.setenv(CONTENT_ENV, "yes please")
    out = _full_run(exporter)
    assert _content_where(exporter, out) == (False, False)
    assert any(CONTENT_ENV in problem for problem in agentlog.problems())


def test_span_only_content_is_redacted(exporter: Recorded, monkeypatch: pytest.MonkeyPatch) -> None:
    """SPAN_ONLY puts arguments on the span with secrets replaced, never on the lines."""
    monkeypatch.setenv(CONTENT_ENV, "SPAN_ONLY")
    out = _configure(exporter)
    with agentlog.run("t"), agentlog.tool_call("login", {"user": "ann", "password": PASSWORD}):
        pass
    (tool,) = _named(exporter, "execute_tool")
    arguments = _attributes(tool)["gen_ai.tool.call.arguments"]
    assert "ann" in arguments and PASSWORD not in arguments
    assert PASSWORD not in out.getvalue().decode() and "ann" not in out.getvalue().decode()


# -- log fields ------------------------------------------------------------------------------


def test_token_details_are_written_only_when_reported(exporter: Recorded) -> None:
    """llm_result lines carry cache and reasoning counts when given; run_finished totals them when any was."""
    out = _configure(exporter)
    with agentlog.run("plain"):
        events.llm_result("m", input_tokens=1, output_tokens=1)
    with agentlog.run("cached"):
        events.llm_result("m", input_tokens=10, output_tokens=1, cache_read_input_tokens=8)
        events.llm_result("m", input_tokens=10, output_tokens=1, cache_read_input_tokens=2)
    lines = json_lines(out)
    plain = [line for line in lines if line.get("event") in ("llm_result", "run_finished")][:2]
    assert all("cache_read_input_tokens" not in line for line in plain)
    finished = lines[-1]
    assert finished["cache_read_input_tokens"] == 10
    assert "cache_creation_input_tokens" not in finished


def test_an_api_without_sdk_never_gives_lines_its_ids() -> None:
    """With only the OpenTelemetry API (a no-op provider), lines keep IDs of their own; agentlog says so."""
    from opentelemetry.trace import NoOpTracerProvider

    out = io.BytesIO()
    agentlog.configure(output=out, otel_spans=True, tracer_provider=NoOpTracerProvider())
    with agentlog.run("t"):
        with agentlog.tool_call("a"):
            pass
        with agentlog.tool_call("b"):
            pass
    lines = json_lines(out)
    span_ids = {line["span_id"] for line in lines}
    assert len(span_ids) == 3 and "0" * 16 not in span_ids
    assert lines[0]["trace_id"] != "0" * 32
    assert any("no OpenTelemetry SDK" in problem for problem in agentlog.problems())
