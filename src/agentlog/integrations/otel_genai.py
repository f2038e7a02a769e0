"""Any library that emits OpenTelemetry GenAI spans: its agent runs, model calls and tool calls recorded.

::

    from agentlog.integrations import otel_genai

    otel_genai.instrument()                     # the global SDK TracerProvider
    otel_genai.instrument(tracer_provider=tp)   # or the one the library was given

Google ADK, Strands, AutoGen, Semantic Kernel, PydanticAI and others
describe their work as spans following the OpenTelemetry GenAI semantic
conventions. ``instrument()`` adds a span processor to an OpenTelemetry SDK
``TracerProvider``; as those spans start and end it writes agentlog's
lines for them:

* ``invoke_agent`` — a run (a child run inside an agentlog run, or inside
  the tool call that started it), named by ``gen_ai.agent.name``; it fails
  with the span (``error.type`` or an ERROR status), and stops with
  ``tool_error`` when its error is the one a tool call of it failed with.
* ``chat`` / ``text_completion`` / ``generate_content`` — a ``model`` step
  and its ``llm_result``: the model (``gen_ai.response.model``, else
  ``gen_ai.request.model``), the provider (``gen_ai.provider.name``, else
  the older ``gen_ai.system``), the token counts (``gen_ai.usage.*``:
  input, output, cache read, cache creation, reasoning), the first of
  ``gen_ai.response.finish_reasons``, the request's parameters
  (``gen_ai.request.temperature``, ``max_tokens``, ``top_p``, ``seed``:
  those set, as numbers of the right kind), and the messages
  (``gen_ai.input.messages``, ``gen_ai.system_instructions``,
  ``gen_ai.output.messages``) under agentlog's capture policy.
* ``execute_tool`` — a ``tool`` step and its ``tool_call``/``tool_result``
  pair under ``gen_ai.tool.call.id`` (the model's own call ID), with
  ``gen_ai.tool.call.arguments`` and ``gen_ai.tool.call.result`` under the
  capture policy and the failure's class and message (``error.type``, the
  span's ``exception`` event, its status description). The tool call is the
  scope in force from the span's start in the context that started it — the
  tool's body runs there — so the user's own lines inside the tool carry its
  IDs.

An operation is recognised by ``gen_ai.operation.name``, or, without it, by
the first word of the span's name. It nests under its nearest recorded
ancestor span (through spans that are none of these), else under the
agentlog scope in force. Latencies are the spans' own (end minus start).

agentlog adopts these spans: its lines carry their trace and span IDs and,
even with ``configure(otel_spans=True)`` on the same provider, it opens no
second span for them; its own spans are never taken for a library's.
Content follows agentlog's capture policy whatever the library captured:
hashed by default, raw only with ``capture="full"``. A library that records
no content gives agentlog none to hash.

Without ``tracer_provider``, the global provider is used; when none has been
set (OpenTelemetry's proxy), a plain SDK ``TracerProvider`` with no exporter
is made the global one, so the libraries' spans are recorded (only by
agentlog) — OpenTelemetry then refuses a later ``set_tracer_provider``, so
set your own first. A global provider that takes no span processor is
counted as a problem (`agentlog.problems`) and nothing is installed.
``uninstrument()`` takes the processor out of the provider again.

For a library that has an agentlog adapter of its own (``pydantic_ai``,
``strands`` …) use that adapter rather than this one for it: with both,
its operations would be recorded twice.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

import orjson

from .. import _diagnostics
from .._context import CURRENT, RunContext, SpanRef
from .._genai import (
    AGENT_NAME,
    CONVERSATION,
    ERROR_TYPE,
    FINISH_REASONS,
    INPUT_MESSAGES,
    OPERATION,
    OUTPUT_MESSAGES,
    PROVIDER,
    REQUEST,
    REQUEST_MODEL,
    TOOL_ARGUMENTS,
    TOOL_CALL_ID,
    TOOL_NAME,
    TOOL_RESULT,
)
from .._scopes import LLMCall, ToolCall
from .._vocabulary import CACHE_CREATION_INPUT_TOKENS, CACHE_READ_INPUT_TOKENS, REASONING_OUTPUT_TOKENS
from ._instrumentor import Instrumentor, require
from ._tracker import MISSING, Tracker

__all__ = ["instrument", "uninstrument"]

FRAMEWORK = "otel_genai"

RUN, LLM, TOOL = "run", "llm", "tool"
OPERATIONS = {
    "invoke_agent": RUN,
    "chat": LLM,
    "text_completion": LLM,
    "generate_content": LLM,
    "execute_tool": TOOL,
}
"""``gen_ai.operation.name`` (or a span name's first word) → what agentlog records."""

RESPONSE_MODEL = "gen_ai.response.model"
SYSTEM = "gen_ai.system"
SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
_TOKENS = (
    ("input_tokens", ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")),
    ("output_tokens", ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")),
    (CACHE_READ_INPUT_TOKENS, ("gen_ai.usage.cache_read.input_tokens",)),
    (
        CACHE_CREATION_INPUT_TOKENS,
        ("gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_write.input_tokens"),
    ),
    (
        REASONING_OUTPUT_TOKENS,
        ("gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.details.reasoning_tokens"),
    ),
)
"""agentlog's token field → the attributes that may hold it, the conventions' name first."""

_SCOPE_FRAMEWORKS = {"pydantic-ai": "pydantic_ai", "pydantic_ai": "pydantic_ai"}
_ZEROS_OMITTED = frozenset({"pydantic-ai"})
"""Instrumentation scopes whose spans leave a token count of zero out rather than write 0."""
"""Instrumentation scope names → the ``framework`` a run is tagged with (else the scope's own name)."""

MAX_OPEN = 10_000
"""Spans in flight remembered for their descendants; beyond it the oldest are forgotten."""

_CANCELLED = frozenset({"CancelledError", "KeyboardInterrupt"})


# -- reading attributes --------------------------------------------------------------------


def operation_of(name: object, attributes: Mapping[str, Any]) -> str | None:
    """What a span is to agentlog (`RUN`, `LLM`, `TOOL`), or None for any other span."""
    operation = attributes.get(OPERATION)
    if isinstance(operation, str):
        return OPERATIONS.get(operation)
    if isinstance(name, str):
        return OPERATIONS.get(name.split(" ", 1)[0])
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _rest_of_name(name: object) -> str | None:
    """What follows the operation in a span's name (``chat gpt-4o`` → ``gpt-4o``)."""
    if isinstance(name, str) and " " in name:
        return name.split(" ", 1)[1].strip() or None
    return None


def _json(value: object) -> Any:
    """A JSON attribute (arguments, a result, messages) parsed; other text as it is."""
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    if isinstance(value, tuple):
        return list(value)
    return value


def _count(attributes: Mapping[str, Any], names: tuple[str, ...]) -> int | None:
    for name in names:
        value = attributes.get(name)
        if type(value) is int and value >= 0:
            return value
    return None


def error_class_name(value: object) -> str:
    """An error's class as agentlog writes it (``pkg.module.Error`` → ``Error``)."""
    text = _text(value)
    if text is None:
        return "Error"
    return text.rsplit(".", 1)[-1] or text


def chat_messages(messages: Any, *, output: bool = False) -> Any:
    """GenAI-convention messages (``{role, parts}``) as chat messages agentlog reads back the same.

    Text, reasoning and tool-call parts become a message's content and
    ``tool_calls``; each tool-call response a ``tool`` message of its own;
    other parts are kept as they are. Anything not in that shape is
    returned unchanged.
    """
    if not isinstance(messages, list):
        return messages
    converted: list[Any] = []
    for message in messages:
        parts = message.get("parts") if isinstance(message, Mapping) else None
        if not isinstance(parts, list):
            converted.append(message)
            continue
        role = _text(message.get("role")) or ("assistant" if output else "user")
        content: list[Any] = []
        calls: list[dict[str, Any]] = []
        for part in parts:
            kind = part.get("type") if isinstance(part, Mapping) else None
            if not isinstance(part, Mapping):
                content.append({"type": "text", "text": str(part)})
            elif kind == "text":
                content.append({"type": "text", "text": part.get("content")})
            elif kind == "reasoning":
                content.append({"type": "thinking", "thinking": part.get("content")})
            elif kind == "tool_call":
                function = {"name": part.get("name"), "arguments": part.get("arguments")}
                calls.append({"id": part.get("id"), "type": "function", "function": function})
            elif kind == "tool_call_response":
                response = part.get("response", part.get("result"))
                converted.append({"role": "tool", "tool_call_id": part.get("id"), "content": response})
            else:
                content.append(dict(part))
        if content or calls:
            chat: dict[str, Any] = {"role": role, "content": content}
            if calls:
                chat["tool_calls"] = calls
            if isinstance(message.get("name"), str):
                chat["name"] = message["name"]
            converted.append(chat)
    return converted


def _prompt(attributes: Mapping[str, Any]) -> Any:
    """The messages a model call was sent (system instructions first), or MISSING when not recorded."""
    messages = _json(attributes.get(INPUT_MESSAGES))
    instructions = _json(attributes.get(SYSTEM_INSTRUCTIONS))
    if messages is None and instructions is None:
        return MISSING
    prompt = chat_messages(messages) if isinstance(messages, list) else messages
    if instructions is None:
        return prompt
    system = {"role": "system", "parts": instructions if isinstance(instructions, list) else [instructions]}
    head = chat_messages([system])
    if prompt is None:
        return head
    return [*head, *(prompt if isinstance(prompt, list) else [prompt])]


# -- the recorder ------------------------------------------------------------------------------


class Failure:
    """How an operation failed, as a span tells it: an exception, or a class and a message.

    Attributes:
        exc: The exception itself, when the span's owner knows it.
        error_class: The class name (``error.type``).
        message: The message.
        escaped: The exception left the operation (a tool's step fails too).
    """

    __slots__ = ("error_class", "escaped", "exc", "message")

    def __init__(
        self,
        exc: BaseException | None = None,
        error_class: str | None = None,
        message: str | None = None,
        *,
        escaped: bool = True,
    ) -> None:
        self.exc = exc
        self.error_class = error_class if error_class else (type(exc).__qualname__ if exc else "Error")
        self.message = message
        self.escaped = escaped


class Recorder:
    """Turns GenAI operations, as their spans start and end, into agentlog's scopes.

    Shared by the span processor here and by adapters that see a library's
    spans another way (``agentlog.integrations.pydantic_ai``). Keys are any
    hashable naming one span.

    Args:
        framework: Tags runs (``framework``) and names the problems counted.
        adopt: Give agentlog's scopes the spans' own IDs (no second span).
        activate: Make a tool call the scope in force where its span starts.
    """

    def __init__(self, framework: str, *, adopt: bool = True, activate: bool = True) -> None:
        self.framework = framework
        self.tracker = Tracker(framework)
        self.adopt = adopt
        self.activate = activate
        self._owners: OrderedDict[Hashable, Hashable] = OrderedDict()
        self._failed: dict[Hashable, set[str]] = {}
        self._tool_parents: dict[Hashable, Hashable] = {}
        self._lock = threading.Lock()

    def owner(self, key: Hashable | None) -> Hashable | None:
        """The recorded operation *key* is (or is inside), or None."""
        if key is None:
            return None
        if key in self.tracker:
            return key
        return self._owners.get(key)

    def started(
        self,
        key: Hashable,
        parent: Hashable | None,
        name: object,
        attributes: Mapping[str, Any],
        span: SpanRef | None = None,
        *,
        framework: str | None = None,
    ) -> RunContext | None:
        """A span started: open its operation's scope; return the scope's IDs (None for other spans).

        Args:
            key: The span.
            parent: Its parent span, if any.
            name: Its name.
            attributes: Its attributes at start.
            span: Its IDs, to adopt.
            framework: The library it came from, for the run's ``framework``.
        """
        owner = self.owner(parent)
        operation = operation_of(name, attributes)
        if operation == TOOL and not attributes:
            # Named a tool call but nothing more yet: its call ID comes at its end (`finished_late`).
            operation = None
        if operation is None:
            if owner is not None:
                self._remember(key, owner)
            return None
        ref = span if self.adopt else None
        tracker = self.tracker
        if operation == RUN:
            agent = _text(attributes.get(AGENT_NAME)) or _rest_of_name(name)
            session = None
            outer = tracker.context(owner) if owner is not None else CURRENT.get()
            if outer is None or outer.session_id is None:
                session = _text(attributes.get(CONVERSATION))
            ctx = tracker.run(
                key,
                parent=owner,
                session_id=session,
                metadata={"agent": agent, "framework": framework or self.framework},
                span=ref,
            )
        elif operation == LLM:
            model = _text(attributes.get(REQUEST_MODEL)) or _rest_of_name(name) or "unknown"
            provider = _text(attributes.get(PROVIDER)) or _text(attributes.get(SYSTEM))
            ctx = tracker.llm(key, model, provider=provider, parent=owner, span=ref)
        else:
            tool = _text(attributes.get(TOOL_NAME)) or _rest_of_name(name) or "tool"
            ctx = tracker.tool(
                key,
                tool,
                _json(attributes.get(TOOL_ARGUMENTS)),
                tool_call_id=_text(attributes.get(TOOL_CALL_ID)),
                parent=owner,
                activate=self.activate,
                span=ref,
            )
            if owner is not None:
                self._tool_parents[key] = owner
        self._remember(key, key)
        return ctx

    def _remember(self, key: Hashable, owner: Hashable) -> None:
        owners = self._owners
        owners[key] = owner
        if len(owners) > MAX_OPEN:
            with self._lock:
                while len(owners) > MAX_OPEN:
                    owners.popitem(last=False)

    def ended(
        self,
        key: Hashable,
        attributes: Mapping[str, Any],
        failure: Failure | None = None,
        duration_ns: int | None = None,
        *,
        omits_zeros: bool = False,
    ) -> None:
        """A span ended: close its operation's scope with what the span says.

        Args:
            key: The span.
            attributes: Its attributes at the end.
            failure: How it failed, if it did.
            duration_ns: Its duration by its own clock.
            omits_zeros: The library leaves out a token count of zero (PydanticAI):
                a model call's missing input or output count is 0.
        """
        owner = self._owners.pop(key, None)
        if owner != key:
            return
        scope = self.tracker.scope(key)
        if scope is None:
            return
        if isinstance(scope, LLMCall):
            self._end_llm(key, attributes, failure, duration_ns, omits_zeros)
        elif isinstance(scope, ToolCall):
            self._end_tool(key, attributes, failure, duration_ns)
        else:
            self._end_run(key, failure, duration_ns)

    def finished_late(
        self,
        key: Hashable,
        parent: Hashable | None,
        name: object,
        attributes: Mapping[str, Any],
        span: SpanRef | None = None,
        failure: Failure | None = None,
        duration_ns: int | None = None,
        *,
        framework: str | None = None,
        omits_zeros: bool = False,
    ) -> None:
        """A span that said what it was only by its end (attributes set late): record it whole now."""
        self._owners.pop(key, None)
        if operation_of(name, attributes) is None or key in self.tracker:
            return
        if self.started(key, parent, name, attributes, span, framework=framework) is not None:
            self.ended(key, attributes, failure, duration_ns, omits_zeros=omits_zeros)

    def _end_llm(
        self,
        key: Hashable,
        attributes: Mapping[str, Any],
        failure: Failure | None,
        duration_ns: int | None,
        omits_zeros: bool,
    ) -> None:
        tracker = self.tracker
        scope: Any = tracker.scope(key)
        provider = _text(attributes.get(PROVIDER)) or _text(attributes.get(SYSTEM))
        if provider is not None:
            scope.provider = provider
        reasons = attributes.get(FINISH_REASONS)
        reason = reasons[0] if isinstance(reasons, (list, tuple)) and reasons else reasons
        usage: dict[str, Any] = {name: _count(attributes, names) for name, names in _TOKENS}
        if omits_zeros and failure is None:
            for name in ("input_tokens", "output_tokens"):
                usage[name] = usage[name] or 0
        usage["finish_reason"] = _text(reason)
        usage["model"] = _text(attributes.get(RESPONSE_MODEL)) or _text(attributes.get(REQUEST_MODEL))
        prompt = _prompt(attributes)
        if prompt is not MISSING:
            usage["prompt"] = prompt
        if OUTPUT_MESSAGES in attributes:
            usage["completion"] = chat_messages(_json(attributes.get(OUTPUT_MESSAGES)), output=True)
        tracker.usage(key, **usage)
        # Read at the end: a library may set them after the span starts (PydanticAI does).
        tracker.request(key, **{name: attributes.get(attribute) for name, attribute in REQUEST.items()})
        self._close(key, failure, duration_ns)

    def _end_tool(
        self, key: Hashable, attributes: Mapping[str, Any], failure: Failure | None, duration_ns: int | None
    ) -> None:
        result = _json(attributes[TOOL_RESULT]) if TOOL_RESULT in attributes else MISSING
        parent = self._tool_parents.pop(key, None)
        if failure is not None and parent is not None:
            with self._lock:
                self._failed.setdefault(parent, set()).add(failure.error_class)
        self._close(key, failure, duration_ns, result=result)

    def _end_run(self, key: Hashable, failure: Failure | None, duration_ns: int | None) -> None:
        with self._lock:
            failed_tools = self._failed.pop(key, set())
        stop_reason = None
        if failure is not None and failure.exc is None:
            if failure.error_class in _CANCELLED:
                stop_reason = "cancelled"
            elif failure.error_class in failed_tools:
                stop_reason = "tool_error"
        self._close(key, failure, duration_ns, stop_reason=stop_reason)

    def _close(
        self,
        key: Hashable,
        failure: Failure | None,
        duration_ns: int | None,
        *,
        result: Any = MISSING,
        stop_reason: str | None = None,
    ) -> None:
        if failure is None:
            self.tracker.end(key, result=result, duration_ns=duration_ns)
            return
        error: BaseException | str = failure.exc if failure.exc is not None else (failure.message or "")
        self.tracker.end(
            key,
            error=error,
            error_class=None if failure.exc is not None else failure.error_class,
            result=result,
            stop_reason=stop_reason,
            escaped=failure.escaped,
            duration_ns=duration_ns,
        )

    def close_all(self) -> None:
        """Close every open operation and forget every span (uninstrumenting)."""
        self.tracker.close_all()
        with self._lock:
            self._owners.clear()
            self._failed.clear()
            self._tool_parents.clear()


# -- the OpenTelemetry SDK processor ------------------------------------------------------------

_AGENTLOG_SCOPE = "agentlog"
"""The instrumentation scope of agentlog's own spans (configure(otel_spans=True)): never recorded again."""


def _key(context: Any) -> tuple[int, int]:
    return (context.trace_id, context.span_id)


def _ref(context: Any) -> SpanRef:
    return SpanRef(f"{context.trace_id:032x}", f"{context.span_id:016x}", f"{int(context.trace_flags):02x}")


def _scope_name(span: Any) -> str | None:
    scope = getattr(span, "instrumentation_scope", None)
    name = getattr(scope, "name", None)
    return name if isinstance(name, str) else None


def _is_agentlogs(span: Any, attributes: Mapping[str, Any]) -> bool:
    if _scope_name(span) == _AGENTLOG_SCOPE:
        return True
    return any(isinstance(key, str) and key.startswith("agentlog.") for key in attributes)


def failure_of(span: Any, attributes: Mapping[str, Any]) -> Failure | None:
    """How a finished SDK span says its operation failed, or None when it did not."""
    status = getattr(span, "status", None)
    code = getattr(getattr(status, "status_code", None), "name", None)
    error_type = _text(attributes.get(ERROR_TYPE))
    if code != "ERROR" and error_type is None:
        return None
    message = None
    event_type = None
    for event in reversed(tuple(getattr(span, "events", ()) or ())):
        if getattr(event, "name", None) == "exception":
            details = getattr(event, "attributes", None) or {}
            message = _text(details.get("exception.message"))
            event_type = _text(details.get("exception.type"))
            break
    if message is None:
        message = _text(getattr(status, "description", None))
    name = error_type if error_type is not None and error_type != "_OTHER" else event_type or error_type
    return Failure(None, error_class_name(name), message or "", escaped=False)


class _Processor:
    """The span processor's work, apart from the SDK class it is made an instance of."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.enabled = True
        self.owners: set[str] = set()

    def start(self, span: Any) -> None:
        if not self.enabled:
            return
        try:
            context = span.get_span_context()
            attributes = span.attributes or {}
            if _is_agentlogs(span, attributes):
                return
            parent = span.parent
            scope = _scope_name(span)
            self.recorder.started(
                _key(context),
                _key(parent) if parent is not None else None,
                span.name,
                attributes,
                _ref(context),
                framework=_SCOPE_FRAMEWORKS.get(scope, scope) if scope else None,
            )
        except Exception as exc:
            _diagnostics.report(f"{FRAMEWORK} adapter failed in on_start", exc)

    def end(self, span: Any) -> None:
        if not self.enabled:
            return
        try:
            key = _key(span.context)
            recorder = self.recorder
            attributes = span.attributes or {}
            if key in recorder.tracker:
                pass
            elif operation_of(span.name, attributes) is None or _is_agentlogs(span, attributes):
                recorder._owners.pop(key, None)
                return
            start, end = span.start_time, span.end_time
            duration = end - start if type(start) is int and type(end) is int and end >= start else None
            scope = _scope_name(span)
            omits_zeros = scope in _ZEROS_OMITTED
            failure = failure_of(span, attributes)
            if key in recorder.tracker:
                recorder.ended(key, attributes, failure, duration, omits_zeros=omits_zeros)
                return
            parent = span.parent
            recorder.finished_late(
                key,
                _key(parent) if parent is not None else None,
                span.name,
                attributes,
                _ref(span.context),
                failure,
                duration,
                framework=_SCOPE_FRAMEWORKS.get(scope, scope) if scope else None,
                omits_zeros=omits_zeros,
            )
        except Exception as exc:
            _diagnostics.report(f"{FRAMEWORK} adapter failed in on_end", exc)


_PROCESSOR_TYPE: type | None = None


def _processor_type() -> type:
    """The SDK `SpanProcessor` subclass, made once the SDK is imported."""
    global _PROCESSOR_TYPE
    if _PROCESSOR_TYPE is None:
        from opentelemetry.sdk.trace import SpanProcessor

        class GenAISpanProcessor(SpanProcessor, _Processor):
            """Records the GenAI spans of the provider it is added to (see the module)."""

            def __init__(self, recorder: Recorder) -> None:
                _Processor.__init__(self, recorder)

            def on_start(self, span: Any, parent_context: Any = None) -> None:
                self.start(span)

            def on_end(self, span: Any) -> None:
                self.end(span)

        _PROCESSOR_TYPE = GenAISpanProcessor
    return _PROCESSOR_TYPE


# -- attaching to providers ---------------------------------------------------------------------

_ATTACHED: dict[int, tuple[Any, Any]] = {}
"""id(a provider's span-processor pipeline) → (that pipeline, agentlog's processor on it)."""
_ATTACH_LOCK = threading.Lock()


def pipeline_of(target: Any) -> Any:
    """The multi-processor spans go through: a provider's, a tracer's, or *target* itself."""
    for name in ("_active_span_processor", "span_processor", "_span_processor"):
        inner = getattr(target, name, None)
        if inner is not None and callable(getattr(inner, "add_span_processor", None)):
            return inner
    return target if callable(getattr(target, "add_span_processor", None)) else None


def attach(target: Any, owner: str, recorder: Recorder | None = None) -> Any:
    """Put agentlog's processor on *target*'s pipeline (once per pipeline); return the pipeline.

    Each *owner* (an adapter) holds it there until it `detach`es; the
    processor records while any owner holds it.
    """
    pipeline = pipeline_of(target)
    if pipeline is None:
        raise TypeError(f"{type(target).__name__} takes no span processor: not an OpenTelemetry SDK provider")
    with _ATTACH_LOCK:
        found = _ATTACHED.get(id(pipeline))
        if found is not None and found[0] is pipeline:
            processor = found[1]
        else:
            processor = _processor_type()(recorder or Recorder(FRAMEWORK))
            pipeline.add_span_processor(processor)
            _ATTACHED[id(pipeline)] = (pipeline, processor)
        processor.owners.add(owner)
        processor.enabled = True
    return pipeline


def detach(pipeline: Any, owner: str) -> None:
    """Release *owner*'s hold; with none left, take the processor out and close what it left open."""
    with _ATTACH_LOCK:
        found = _ATTACHED.get(id(pipeline))
        if found is None or found[0] is not pipeline:
            return
        processor = found[1]
        processor.owners.discard(owner)
        if processor.owners:
            return
        processor.enabled = False
        del _ATTACHED[id(pipeline)]
    _remove(pipeline, processor)
    processor.recorder.close_all()


def _remove(pipeline: Any, processor: Any) -> None:
    """Take *processor* out of an SDK multi-processor (which has no method for it); it stays off if not."""
    processors = getattr(pipeline, "_span_processors", None)
    lock = getattr(pipeline, "_lock", None)
    if not isinstance(processors, tuple) or lock is None:
        return
    try:
        with lock:
            pipeline._span_processors = tuple(p for p in pipeline._span_processors if p is not processor)
    except Exception as exc:
        _diagnostics.report(f"{FRAMEWORK}: the span processor could not be removed; it stays off", exc)


def global_sdk_provider() -> Any:
    """The global tracer provider, made a plain SDK one (no exporter) when none was set; None if unusable."""
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider):
        from opentelemetry.sdk.trace import TracerProvider

        trace.set_tracer_provider(TracerProvider())
        provider = trace.get_tracer_provider()
    return provider if pipeline_of(provider) is not None else None


# -- instrument / uninstrument ------------------------------------------------------------------


class _NotInstalledError(Exception):
    """Nothing could be installed (already counted as a problem)."""


class _OtelGenAI(Instrumentor):
    framework = FRAMEWORK

    def __init__(self) -> None:
        super().__init__()
        self._pipeline: Any = None

    def instrument(self, **options: Any) -> None:
        with contextlib.suppress(_NotInstalledError):
            super().instrument(**options)

    def _install(self, **options: Any) -> None:
        tracer_provider = options.get("tracer_provider")
        require("opentelemetry.sdk.trace", FRAMEWORK)
        if tracer_provider is None:
            provider = global_sdk_provider()
            if provider is None:
                _diagnostics.report(
                    f"{FRAMEWORK}: the global tracer provider takes no span processor; nothing recorded"
                )
                raise _NotInstalledError
            self._pipeline = attach(provider, FRAMEWORK)
        else:
            self._pipeline = attach(tracer_provider, FRAMEWORK)

    def _remove(self) -> None:
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            detach(pipeline, FRAMEWORK)


_INSTRUMENTOR = _OtelGenAI()


def instrument(tracer_provider: Any = None) -> None:
    """Record the GenAI spans of *tracer_provider* (an OpenTelemetry SDK ``TracerProvider``).

    Without one, the global provider (a plain SDK one is installed as the
    global provider when none was set). A second call does nothing.

    Raises:
        ImportError: ``opentelemetry-sdk`` is not installed (the ``otel_genai`` extra).
        TypeError: *tracer_provider* takes no span processor.
    """
    _INSTRUMENTOR.instrument(tracer_provider=tracer_provider)


def uninstrument() -> None:
    """Stop recording: the processor leaves the provider, operations still open are closed."""
    _INSTRUMENTOR.uninstrument()
