"""The OpenTelemetry GenAI semantic conventions, as agentlog's spans speak them: written once.

The attribute names, the schema URL, the rules for values the conventions
require even when the caller did not give them (a provider, an error type),
and the conversion of prompts and completions — plain strings, OpenAI- and
Anthropic-shaped messages — into the ``{role, parts}`` messages the
conventions' JSON schemas define. Pure functions: what may be written (the
capture policy, redaction) is decided by the caller.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import orjson

from ._serialize import safe_str
from ._vocabulary import CACHE_CREATION_INPUT_TOKENS, CACHE_READ_INPUT_TOKENS, REASONING_OUTPUT_TOKENS

__all__ = [
    "CONTENT_ENV",
    "SCHEMA_URL",
    "SEMCONV_VERSION",
    "USAGE",
    "ContentSetting",
    "content_setting",
    "error_type",
    "input_messages",
    "output_messages",
    "provider_name",
    "request_attributes",
    "run_attributes",
    "usage_attributes",
]

SEMCONV_VERSION = "1.41.0"
"""The semantic conventions release agentlog's spans follow: the last to hold the GenAI
conventions before they moved to their own repository (where they are still in development)."""
SCHEMA_URL = f"https://opentelemetry.io/schemas/{SEMCONV_VERSION}"
"""Given to the tracer, so every span agentlog starts names the conventions it follows."""

OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
AGENT_NAME = "gen_ai.agent.name"
CONVERSATION = "gen_ai.conversation.id"
REQUEST_MODEL = "gen_ai.request.model"
FINISH_REASONS = "gen_ai.response.finish_reasons"
INPUT_MESSAGES = "gen_ai.input.messages"
OUTPUT_MESSAGES = "gen_ai.output.messages"
TOOL_NAME = "gen_ai.tool.name"
TOOL_CALL_ID = "gen_ai.tool.call.id"
TOOL_TYPE = "gen_ai.tool.type"
FUNCTION = "function"
"""The tool type of a tool agentlog sees called: code the agent runs."""
TOOL_ARGUMENTS = "gen_ai.tool.call.arguments"
TOOL_RESULT = "gen_ai.tool.call.result"
ERROR_TYPE = "error.type"
INVOKE_AGENT, CHAT, EXECUTE_TOOL = "invoke_agent", "chat", "execute_tool"

USAGE = {
    "input_tokens": "gen_ai.usage.input_tokens",
    "output_tokens": "gen_ai.usage.output_tokens",
    CACHE_READ_INPUT_TOKENS: "gen_ai.usage.cache_read.input_tokens",
    CACHE_CREATION_INPUT_TOKENS: "gen_ai.usage.cache_creation.input_tokens",
    REASONING_OUTPUT_TOKENS: "gen_ai.usage.reasoning.output_tokens",
}
"""agentlog's token field → the conventions' usage attribute (on ``chat`` and ``invoke_agent`` spans)."""
REQUEST = {
    "temperature": "gen_ai.request.temperature",
    "max_tokens": "gen_ai.request.max_tokens",
    "top_p": "gen_ai.request.top_p",
    "seed": "gen_ai.request.seed",
}
"""agentlog's request parameter field → the conventions' request attribute (on ``chat`` spans)."""
CACHE_WRITE = "gen_ai.usage.cache_write.input_tokens"
"""The GenAI repository's later name for cache creation: written too, so either registry finds it."""


def usage_attributes(source: Any) -> dict[str, int]:
    """The usage attributes for the token counts *source* holds (an ``llm_result`` record or run totals).

    Only counts that are there (non-negative ints) are given.
    """
    attributes: dict[str, int] = {}
    for name, attribute in USAGE.items():
        value = source.get(name) if isinstance(source, Mapping) else getattr(source, name, None)
        if type(value) is int and value >= 0:
            attributes[attribute] = value
            if name == CACHE_CREATION_INPUT_TOKENS:
                attributes[CACHE_WRITE] = value
    return attributes


def request_attributes(record: Any) -> dict[str, Any]:
    """The request attributes for the parameters an ``llm_result`` record was given."""
    return {
        attribute: value
        for name, attribute in REQUEST.items()
        if (value := getattr(record, name)) is not None
    }


OTHER = "_OTHER"
"""The conventions' value for something outside their list: an unnamed provider, an unknown error."""


def run_attributes(
    status: str, stop_reason: str, totals: Mapping[str, Any], provider: str | None
) -> dict[str, Any]:
    """The closing attributes of a run's ``invoke_agent`` span.

    agentlog's own status, stop reason and totals (``agentlog.*``), the
    run's token totals under the conventions' usage names once it made a
    model call, and the provider its model calls named, when they all named
    the same one.
    """
    attributes: dict[str, Any] = {"agentlog.status": status, "agentlog.stop_reason": stop_reason}
    attributes.update({f"agentlog.{key}": value for key, value in totals.items()})
    if totals.get("llm_calls"):
        attributes.update(usage_attributes(totals))
    if provider is not None:
        attributes[PROVIDER] = provider
    return attributes


# Model name prefixes → the provider the conventions name, for a call that named none.
_MODEL_PROVIDERS = (
    (("gpt-", "gpt4", "chatgpt", "o1", "o3", "o4", "text-embedding-", "davinci", "babbage"), "openai"),
    (("claude",), "anthropic"),
    (("gemini", "models/gemini"), "gcp.gemini"),
    (("mistral", "mixtral", "codestral", "magistral", "ministral", "pixtral"), "mistral_ai"),
    (("command", "embed-english", "embed-multilingual"), "cohere"),
    (("deepseek",), "deepseek"),
    (("grok",), "x_ai"),
    (("sonar",), "perplexity"),
)


def provider_name(provider: object, model: object = None) -> str:
    """``gen_ai.provider.name`` (required on ``chat`` and ``invoke_agent``).

    The provider given; else, as the conventions ask, agentlog's best
    knowledge — the provider whose models are named like *model*
    (``gpt-…`` → ``openai``, ``claude…`` → ``anthropic``, ``gemini…`` →
    ``gcp.gemini`` …); else ``_OTHER``.
    """
    if isinstance(provider, str) and provider.strip():
        return provider.strip()
    if isinstance(model, str):
        name = model.strip().lower()
        for prefixes, known in _MODEL_PROVIDERS:
            if name.startswith(prefixes):
                return known
    return OTHER


def error_type(exc: BaseException | None, error: Mapping[str, Any] | None, status: str | None) -> str | None:
    """``error.type`` for an operation: the exception's class, else the error class given, else ``_OTHER``.

    None when the operation did not fail.
    """
    if exc is not None:
        return type(exc).__qualname__
    error_class = error.get("error_class") if error else None
    if isinstance(error_class, str) and error_class:
        return error_class
    if status == "error" or error:
        return OTHER
    return None


# -- the content switch ---------------------------------------------------------------------

CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


@dataclasses.dataclass(frozen=True, slots=True)
class ContentSetting:
    """What ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` asks for.

    Attributes:
        lines: Content on the log lines (the conventions' events); None when
            the variable is unset.
        spans: Content on the spans; None when the variable is unset.
        valid: False when the variable holds a value the conventions do not define.
    """

    lines: bool | None = None
    spans: bool | None = None
    valid: bool = True


_CONTENT_VALUES = {
    "true": ContentSetting(True, True),
    "span_and_event": ContentSetting(True, True),
    "false": ContentSetting(False, False),
    "no_content": ContentSetting(False, False),
    "span_only": ContentSetting(False, True),
    "event_only": ContentSetting(True, False),
}


def content_setting(environ: Mapping[str, str]) -> ContentSetting:
    """Read the content switch from *environ* (case and surrounding spaces ignored)."""
    value = environ.get(CONTENT_ENV)
    if value is None or not value.strip():
        return ContentSetting()
    return _CONTENT_VALUES.get(value.strip().lower(), ContentSetting(False, False, valid=False))


# -- messages -----------------------------------------------------------------------------

_FINISH_REASONS = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "length": "length",
    "max_tokens": "length",
    "model_length": "length",
    "tool_calls": "tool_call",
    "tool_call": "tool_call",
    "tool_use": "tool_call",
    "function_call": "tool_call",
    "content_filter": "content_filter",
    "refusal": "content_filter",
    "safety": "content_filter",
    "error": "error",
}


def finish_reason_of(reason: object, failed: bool) -> str:
    """An output message's ``finish_reason`` (required there): the conventions' word for *reason*.

    A reason they have no word for is kept as given; none given is ``error``
    for a failed call and ``stop`` otherwise.
    """
    if isinstance(reason, str) and reason:
        return _FINISH_REASONS.get(reason.lower(), reason)
    return "error" if failed else "stop"


def _plain(value: Any) -> Any:
    """SDK objects (pydantic models, dataclasses) as plain data; anything else unchanged."""
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        try:
            return dump(mode="json")
        except Exception:
            return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        try:
            return dataclasses.asdict(value)
        except Exception:
            return value
    return value


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value, default=safe_str, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
    except Exception:
        return safe_str(value)


def _arguments(value: Any) -> Any:
    """A tool call's arguments: JSON text (OpenAI's form) parsed, so they read as a structure."""
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _media(url: str, modality: str) -> dict[str, Any]:
    """An image or file given by URL: a data URL is a blob, any other a reference."""
    if url.startswith("data:") and "," in url:
        header, _, data = url[5:].partition(",")
        mime_type = header.split(";", 1)[0] or None
        return {"type": "blob", "modality": modality, "mime_type": mime_type, "content": data}
    return {"type": "uri", "modality": modality, "uri": url}


def _modality(mime_type: object, default: str) -> str:
    if isinstance(mime_type, str):
        kind = mime_type.split("/", 1)[0]
        if kind in ("image", "video", "audio"):
            return kind
    return default


def _part(block: Any) -> dict[str, Any]:
    """One content block (OpenAI or Anthropic shaped) as a message part."""
    block = _plain(block)
    if isinstance(block, str):
        return {"type": "text", "content": block}
    if not isinstance(block, Mapping):
        return {"type": "text", "content": _text(block)}
    kind = block.get("type")
    if kind in ("text", "input_text", "output_text") and isinstance(block.get("text"), str):
        return {"type": "text", "content": block["text"]}
    if kind in ("thinking", "reasoning") and isinstance(block.get("thinking", block.get("text")), str):
        return {"type": "reasoning", "content": block.get("thinking", block.get("text"))}
    if kind == "redacted_thinking":
        return {"type": "reasoning", "content": ""}
    if kind in ("tool_use", "server_tool_use"):
        return {
            "type": "tool_call",
            "id": block.get("id"),
            "name": _text(block.get("name", "")),
            "arguments": block.get("input"),
        }
    if kind == "tool_result":
        return {
            "type": "tool_call_response",
            "id": block.get("tool_use_id"),
            "response": block.get("content"),
        }
    if kind == "image_url":
        image = block.get("image_url")
        url = image.get("url") if isinstance(image, Mapping) else image
        if isinstance(url, str):
            return _media(url, "image")
    if kind in ("image", "document", "audio", "input_audio"):
        source = block.get("source") or block.get("input_audio")
        if isinstance(source, Mapping):
            mime_type = source.get("media_type") or (
                f"audio/{source['format']}" if isinstance(source.get("format"), str) else None
            )
            modality = _modality(
                mime_type, "image" if kind == "image" else "audio" if "audio" in kind else "document"
            )
            if isinstance(source.get("data"), str):
                return {
                    "type": "blob",
                    "modality": modality,
                    "mime_type": mime_type,
                    "content": source["data"],
                }
            if isinstance(source.get("url"), str):
                return {"type": "uri", "modality": modality, "mime_type": mime_type, "uri": source["url"]}
            if isinstance(source.get("file_id"), str):
                return {
                    "type": "file",
                    "modality": modality,
                    "mime_type": mime_type,
                    "file_id": source["file_id"],
                }
    if isinstance(kind, str) and kind:
        # A part the conventions have no type for: a generic part that says what it was.
        return {**block, "type": "generic", "generic_type": kind}
    return {"type": "text", "content": _text(block)}


def _tool_call(call: Any) -> dict[str, Any]:
    """An OpenAI ``tool_calls`` entry (or legacy ``function_call``) as a tool-call part."""
    call = _plain(call)
    if not isinstance(call, Mapping):
        return {"type": "tool_call", "id": None, "name": _text(call), "arguments": None}
    function = call.get("function", call)
    function = function if isinstance(function, Mapping) else {}
    return {
        "type": "tool_call",
        "id": call.get("id"),
        "name": _text(function.get("name", "")),
        "arguments": _arguments(function.get("arguments")),
    }


def _parts(content: Any) -> list[dict[str, Any]]:
    content = _plain(content)
    if content is None:
        return []
    if isinstance(content, (list, tuple)):
        return [_part(block) for block in content]
    return [_part(content)]


def _message(message: Any, default_role: str) -> dict[str, Any]:
    """One message, OpenAI or Anthropic shaped (or a bare value), as ``{role, parts}``."""
    message = _plain(message)
    if not isinstance(message, Mapping) or ("role" not in message and "content" not in message):
        return {"role": default_role, "parts": _parts(message)}
    role = message.get("role")
    role = role if isinstance(role, str) and role else default_role
    if role == "tool" or role == "function":
        response = {
            "type": "tool_call_response",
            "id": message.get("tool_call_id"),
            "response": message.get("content"),
        }
        converted: dict[str, Any] = {"role": "tool", "parts": [response]}
    else:
        parts = _parts(message.get("content"))
        parts.extend(_tool_call(call) for call in message.get("tool_calls") or ())
        if message.get("function_call") is not None:
            parts.append(_tool_call({"function": message["function_call"]}))
        converted = {"role": role, "parts": parts}
    name = message.get("name")
    if isinstance(name, str) and role != "function":
        converted["name"] = name
    return converted


def input_messages(prompt: Any) -> list[dict[str, Any]]:
    """*prompt* as the conventions' ``gen_ai.input.messages``: a list of ``{role, parts}``.

    A string is one user message; a message or a list of messages in
    OpenAI's or Anthropic's shape is converted part by part (text, images,
    tool calls and their responses, reasoning); a request body with
    ``messages`` (and Anthropic's ``system``) gives its messages. Anything
    else becomes a user message holding its JSON text.
    """
    prompt = _plain(prompt)
    if isinstance(prompt, Mapping) and "messages" in prompt and "role" not in prompt:
        messages = []
        if prompt.get("system") is not None:
            messages.append({"role": "system", "parts": _parts(prompt["system"])})
        body = prompt.get("messages")
        messages.extend(input_messages(body) if body is not None else [])
        return messages
    if isinstance(prompt, (list, tuple)):
        return [_message(message, "user") for message in prompt]
    return [_message(prompt, "user")]


def output_messages(completion: Any, finish_reason: object, failed: bool = False) -> list[dict[str, Any]]:
    """*completion* as the conventions' ``gen_ai.output.messages``: ``{role, parts, finish_reason}``.

    A string is one assistant message; an OpenAI chat completion gives one
    message per choice (with that choice's finish reason); an Anthropic
    message or an OpenAI message is converted part by part; a list of
    content blocks is one assistant message.
    """
    completion = _plain(completion)
    if isinstance(completion, Mapping) and isinstance(completion.get("choices"), (list, tuple)):
        messages = []
        for choice in completion["choices"]:
            choice = _plain(choice)
            if isinstance(choice, Mapping):
                message = _message(choice.get("message", choice.get("delta")), "assistant")
                message["finish_reason"] = finish_reason_of(
                    choice.get("finish_reason") or finish_reason, failed
                )
                messages.append(message)
        return messages
    reason = finish_reason
    if (
        isinstance(completion, Mapping)
        and completion.get("stop_reason") is not None
        and finish_reason is None
    ):
        reason = completion["stop_reason"]
    if isinstance(completion, (list, tuple)):
        items = [_plain(item) for item in completion]
        if any(isinstance(item, Mapping) and "role" in item for item in items):
            messages = [_message(item, "assistant") for item in items]
        else:  # content blocks of one answer
            messages = [{"role": "assistant", "parts": _parts(items)}]
    else:
        messages = [_message(completion, "assistant")]
    for message in messages:
        message["finish_reason"] = finish_reason_of(reason, failed)
    return messages
