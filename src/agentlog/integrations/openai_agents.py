"""OpenAI Agents SDK: a ``Runner`` run is an agentlog run, a model call an ``llm_result``, a tool call a pair.

::

    from agentlog.integrations.openai_agents import instrument

    instrument()                          # once, at startup
    await Runner.run(agent, "...")        # run_started … llm_result, tool_call/tool_result … run_finished

The SDK reports what an agent does to *trace processors*: an ``agent``
span per agent turn-taking, a ``generation`` or ``response`` span per model
call (every model class of the SDK opens one, with the usage the model
returned), a ``function`` span per tool call, a ``handoff`` span per
hand-off, inside a ``task`` span per ``Runner`` run. `instrument` adds one
processor beside those already registered (the SDK's OpenAI exporter
stays) and maps them:

* the first agent of a ``Runner`` run: the run (a child of the agentlog run
  in force; the trace's ``group_id`` as its session), closed when the
  ``Runner`` run ends; each agent handed off to: a child run of it; an
  agent called as a tool: a child run of that tool call;
* a ``generation``/``response`` span: an ``llm_result`` with the model's
  token counts (cache read and write, reasoning when reported), the model
  that answered, latency, finish reason and status; a ``generation`` span
  also gives the request's ``temperature``, ``max_tokens`` and ``top_p``
  (its ``model_config``: the call's ``ModelSettings``);
* a ``function`` span: a ``tool_call``/``tool_result`` pair.

Two things the spans do not carry are taken where the SDK makes them, by
wrapping two of its functions (put back by `uninstrument`):
``ToolContext.from_agent_context`` — called in the tool's own task just
before the tool runs, with the model's ``call_id`` and arguments — opens
the tool call under the model's ID and puts it in force, so the user's
log lines inside the tool carry ``run_id``, ``step_id`` and
``tool_call_id``; ``agents.tool.maybe_invoke_function_tool_failure_error_function``
— through which the SDK turns a tool's exception into a message for the
model — gives the tool's own exception class and message.

Prompts, completions, arguments and results follow agentlog's capture
policy (hashes by default), whatever the SDK's ``trace_include_sensitive_data``;
agentlog only reads what the SDK puts on its spans (with that setting off
there is no content to capture, and a ``response`` span does not name its
model). The SDK's spans are not OpenTelemetry spans: with
``configure(otel_spans=True)`` agentlog's are the only ones.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections.abc import Hashable, Mapping
from contextvars import ContextVar
from typing import Any

from .._events.payloads import MISSING
from .._vocabulary import CANCELLED, COMPLETED, MAX_STEPS
from ._instrumentor import Instrumentor, guarded, require
from ._tracker import Tracker

__all__ = ["OpenAIAgentsInstrumentor", "instrument", "instrumentor", "uninstrument"]

FRAMEWORK = "openai_agents"
UNKNOWN_MODEL = "unknown"
"""The model of a ``response`` span until its response names it (the span says nothing before)."""

_TRACKER = Tracker(FRAMEWORK)
_guard = guarded(FRAMEWORK)

_PENDING_TOOL: ContextVar[tuple[str | None, str, str, Any] | None] = ContextVar(
    "agentlog_openai_agents_pending_tool", default=None
)
"""A tool context made before its function span (custom tools): (parent span, name, call ID, arguments)."""


class _Group:
    """The spans of one ``Runner`` run (a ``task`` span, else a trace or the tool that ran it)."""

    __slots__ = ("failure", "first_agent_open", "handoff", "key", "kind")

    def __init__(self, key: Hashable, kind: str) -> None:
        self.key = key
        self.kind = kind
        self.failure: BaseException | str | None = None
        self.first_agent_open = True
        self.handoff = False


class _Tool:
    """A function span: its tool call opens once the model's call ID is known."""

    __slots__ = ("failure", "name", "opened", "owner")

    def __init__(self, name: str, owner: Hashable | None) -> None:
        self.name = name
        self.owner = owner
        self.opened = False
        self.failure: BaseException | None = None


def _get(source: Any, name: str) -> Any:
    """*name* of a mapping or an object, or None."""
    if source is None:
        return None
    if isinstance(source, Mapping):
        return source.get(name)
    return getattr(source, name, None)


def _count(value: Any) -> int | None:
    return value if type(value) is int and value >= 0 else None


def _positive(value: Any) -> int | None:
    return value if type(value) is int and value > 0 else None


def _usage(usage: Any) -> dict[str, Any]:
    """The token counts agentlog records, from the SDK's usage (a span's dict, or a response's ``usage``)."""
    if usage is None:
        return {}
    input_tokens = _count(_get(usage, "input_tokens"))
    if input_tokens is None:
        input_tokens = _count(_get(usage, "prompt_tokens"))
    output_tokens = _count(_get(usage, "output_tokens"))
    if output_tokens is None:
        output_tokens = _count(_get(usage, "completion_tokens"))
    details_in = _get(usage, "input_tokens_details")
    details_out = _get(usage, "output_tokens_details")
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_read_input_tokens": _positive(_get(details_in, "cached_tokens")),
        "cache_creation_input_tokens": _positive(_get(details_in, "cache_write_tokens")),
        "reasoning_output_tokens": _positive(_get(details_out, "reasoning_tokens")),
    }


_LENGTH_REASONS = {"max_output_tokens": "length", "max_tokens": "length"}


_HOSTED_CALLS = frozenset(
    {"web_search_call", "file_search_call", "code_interpreter_call", "image_generation_call", "mcp_call"}
)
"""Output items of tools the provider runs itself: the model has not stopped for the agent to call a tool."""


def _finish_reason(response: Any, output: Any) -> str | None:
    """Why the model stopped: an incomplete response's reason, else ``tool_calls`` or ``stop``."""
    if response is not None and _get(response, "status") == "incomplete":
        reason = _get(_get(response, "incomplete_details"), "reason")
        return _LENGTH_REASONS.get(reason, reason) if isinstance(reason, str) else "incomplete"
    if output is None:
        return None
    items = output if isinstance(output, (list, tuple)) else [output]
    for item in items:
        given = _get(item, "finish_reason")
        if isinstance(given, str):
            return given
        kind = _get(item, "type")
        client_call = isinstance(kind, str) and kind.endswith("_call") and kind not in _HOSTED_CALLS
        if client_call or _get(item, "tool_calls"):
            return "tool_calls"
        nested = _get(item, "output")  # a dumped Response (Chat Completions adapters)
        if isinstance(nested, list) and _finish_reason(None, nested) == "tool_calls":
            return "tool_calls"
    return "stop"


def _provider(data: Any, model: str | None) -> str | None:
    """The provider of a model call: OpenAI for the Responses API, else what the model config says."""
    if _get(data, "type") == "response":
        return "openai"
    base_url = _get(_get(data, "model_config"), "base_url")
    if isinstance(base_url, str) and "openai.com" in base_url:
        return "openai"
    if model and "/" in model:  # LiteLLM and any-llm name models "provider/model"
        return model.split("/", 1)[0] or None
    return None


def _request(data: Any) -> dict[str, Any]:
    """The request's parameters: the ``ModelSettings`` a ``generation`` span's ``model_config`` holds.

    The SDK's Chat Completions, LiteLLM and any-llm models put the call's
    settings there (unset ones as None); ``ModelSettings`` has no seed. A
    ``response`` span carries no settings (its ``Response`` echoes the
    values the API applied, defaults included), so it gives none.
    """
    config = _get(data, "model_config")
    if not isinstance(config, Mapping):
        return {}
    return {
        "temperature": config.get("temperature"),
        "max_tokens": config.get("max_tokens"),
        "top_p": config.get("top_p"),
    }


def _arguments(text: Any) -> Any:
    """A tool call's arguments: the JSON object the model sent, else its text."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _in_flight() -> BaseException | None:
    """The SDK's own exception or a cancellation in flight as a span ends without an error of its own.

    The SDK sets no error on the agent, task or tool span a guardrail
    tripwire or a cancellation (a timeout) ends. Other exceptions are not
    taken: one being handled by the caller's own ``except`` around the run
    would be in flight too.
    """
    exc = sys.exc_info()[1]
    if isinstance(exc, asyncio.CancelledError) or (
        exc is not None and type(exc).__module__.partition(".")[0] == "agents"
    ):
        return exc
    return None


def _failure(span: Any) -> BaseException | str | None:
    """Why an SDK span failed: the exception in flight as it ends, else its error message."""
    error = span.error
    if not error:
        return _in_flight()
    exc = sys.exc_info()[1]
    if isinstance(exc, Exception):
        return exc
    message = _get(error, "message")
    return str(message) if message else "error"


def _stop_reason(failure: BaseException | str | None) -> str | None:
    if failure is None:
        return COMPLETED
    if type(failure).__name__ == "MaxTurnsExceeded":
        return MAX_STEPS
    if isinstance(failure, asyncio.CancelledError):
        return CANCELLED
    return None


class _Processor:
    """The trace processor `instrument` registers: SDK spans in, agentlog scopes out.

    It follows the SDK's ``TracingProcessor`` interface; after `uninstrument`
    it does nothing (should it still be registered).
    """

    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self.active = False
        self._lock = threading.Lock()
        self._groups: dict[str, _Group] = {}
        self._run_group: dict[Hashable, str] = {}
        self._group_parent: dict[str, str | None] = {}
        self._owners: dict[str, Hashable] = {}
        self._tools: dict[str, _Tool] = {}
        self._sessions: dict[str, str] = {}

    # -- the SDK's TracingProcessor interface ---------------------------------

    @_guard
    def on_trace_start(self, trace: Any) -> None:
        """A trace began: remember its ``group_id`` (the conversation) as the runs' session."""
        if not self.active:
            return
        group_id = getattr(trace, "group_id", None)
        if isinstance(group_id, str) and group_id:
            self._sessions[trace.trace_id] = group_id

    @_guard
    def on_trace_end(self, trace: Any) -> None:
        """A trace ended: close a run that spanned it (the SDK made no task span)."""
        if not self.active:
            return
        self._end_group(trace.trace_id)
        self._sessions.pop(trace.trace_id, None)

    @_guard
    def on_span_start(self, span: Any) -> None:
        """A span began: open the scope it stands for."""
        if not self.active:
            return
        data = span.span_data
        kind = data.type
        if kind == "agent":
            self._agent_started(span)
        elif kind in ("generation", "response"):
            self._model_started(span)
        elif kind == "function":
            self._tool_started(span)
        else:
            if kind == "task":
                self._group_parent[span.span_id] = span.parent_id
            owner = self._owners.get(span.parent_id) if span.parent_id else None
            if owner is not None:
                self._owners[span.span_id] = owner

    @_guard
    def on_span_end(self, span: Any) -> None:
        """A span ended: close its scope."""
        if not self.active:
            return
        data = span.span_data
        kind = data.type
        if kind == "agent":
            self._agent_ended(span)
        elif kind in ("generation", "response"):
            self._model_ended(span)
        elif kind == "function":
            self._tool_ended(span)
        elif kind == "task":
            self._end_group(span.span_id)
            self._group_parent.pop(span.span_id, None)
        elif kind == "handoff" and data.to_agent:
            group = self._groups.get(self._run_group.get(self._owners.get(span.span_id), ""))
            if group is not None:
                group.handoff = True
        self._owners.pop(span.span_id, None)

    @_guard
    def shutdown(self) -> None:
        """The SDK's provider shuts down (at exit): close what is still open."""
        if self.active:
            self.tracker.close_all()

    def force_flush(self) -> None:
        """Nothing is buffered: agentlog writes each line as it happens."""

    # -- runs ------------------------------------------------------------------

    def _agent_started(self, span: Any) -> None:
        group_id = span.parent_id or span.trace_id
        name = getattr(span.span_data, "name", None)
        metadata = {"agent": name, "framework": FRAMEWORK}
        session = self._sessions.get(span.trace_id)
        group = self._groups.get(group_id)
        if group is not None and group.kind != "task" and not group.handoff and not group.first_agent_open:
            # No task spans: a second Runner run in the same trace (or tool), not a hand-off.
            self._end_group(group_id)
            group = None
        if group is None:
            kind = "task" if group_id in self._group_parent else "other"
            outer = self._group_parent.get(group_id, group_id)
            parent = self._owners.get(outer) if outer else None
            key: Hashable = ("run", span.span_id)
            self.tracker.run(key, parent=parent, session_id=session, metadata=metadata, activate=True)
            self._groups[group_id] = _Group(key, kind)
        else:
            key = ("agent", span.span_id)
            group.handoff = False
            self.tracker.run(key, parent=group.key, session_id=session, metadata=metadata, activate=True)
        self._run_group[key] = group_id
        self._owners[span.span_id] = key

    def _agent_ended(self, span: Any) -> None:
        key = self._owners.get(span.span_id)
        if key is None:
            return
        failure = _failure(span)
        group = self._groups.get(self._run_group.get(key, ""))
        if group is not None and failure is not None and group.failure is None:
            group.failure = failure  # what failed an agent fails its Runner run
        if group is not None and key == group.key:
            group.first_agent_open = False
            return
        self._run_group.pop(key, None)
        self.tracker.end(key, error=failure, stop_reason=_stop_reason(failure))

    def _end_group(self, group_id: str) -> None:
        group = self._groups.pop(group_id, None)
        if group is None:
            return
        self._run_group.pop(group.key, None)
        self.tracker.end(group.key, error=group.failure, stop_reason=_stop_reason(group.failure))

    # -- model calls -------------------------------------------------------------

    def _model_started(self, span: Any) -> None:
        data = span.span_data
        model = _get(data, "model")
        model = str(model) if model else UNKNOWN_MODEL
        owner = self._owners.get(span.parent_id) if span.parent_id else None
        self.tracker.llm(
            ("llm", span.span_id),
            model,
            provider=_provider(data, model),
            parent=owner,
            activate=True,
            request=_request(data),
        )

    def _model_ended(self, span: Any) -> None:
        key = ("llm", span.span_id)
        if key not in self.tracker:
            return
        data = span.span_data
        response = _get(data, "response")
        usage = _get(data, "usage") or _get(response, "usage")
        output = _get(response, "output") if response is not None else _get(data, "output")
        model = _get(response, "model") if response is not None else None
        prompt = _get(data, "input")
        self.tracker.usage(
            key,
            **_usage(usage),
            finish_reason=_finish_reason(response, output),
            model=str(model) if model else None,
            prompt=prompt if prompt is not None else MISSING,
            completion=output if output is not None else MISSING,
        )
        failure = _failure(span)
        self.tracker.end(key, error=failure, escaped=failure is not None)

    # -- tool calls --------------------------------------------------------------

    def _tool_started(self, span: Any) -> None:
        owner = self._owners.get(span.parent_id) if span.parent_id else None
        tool = _Tool(str(span.span_data.name), owner)
        self._tools[span.span_id] = tool
        self._owners[span.span_id] = ("tool", span.span_id)
        pending = _PENDING_TOOL.get()
        if pending is not None:
            _PENDING_TOOL.set(None)
            parent_span, name, call_id, arguments = pending
            if parent_span == span.parent_id and name == tool.name:
                self._open_tool(span.span_id, tool, call_id, arguments)

    def _open_tool(self, span_id: str, tool: _Tool, call_id: str | None, arguments: Any) -> None:
        tool.opened = True
        self.tracker.tool(
            ("tool", span_id),
            tool.name,
            _arguments(arguments),
            tool_call_id=call_id,
            parent=tool.owner,
            activate=True,
        )

    def tool_context_made(self, context: Any, current_span: Any) -> None:
        """The SDK made a tool's context (model call ID, arguments) in the task the tool runs in."""
        if not self.active:
            return
        call_id = getattr(context, "tool_call_id", None)
        arguments = getattr(context, "tool_arguments", None)
        span_id = getattr(current_span(), "span_id", None)
        if isinstance(span_id, str) and span_id in self._tools:
            tool = self._tools[span_id]
            if not tool.opened:
                self._open_tool(span_id, tool, call_id, arguments)
            return
        name = getattr(context, "tool_name", None)
        if isinstance(call_id, str) and isinstance(name, str):
            # Made before its span (custom tools): the span that starts next in this task claims it.
            _PENDING_TOOL.set((span_id, name, call_id, arguments))

    def tool_failed(self, error: BaseException, current_span: Any) -> None:
        """The SDK caught a tool's exception (to tell the model): keep it for the tool's result."""
        if not self.active:
            return
        tool = self._tools.get(getattr(current_span(), "span_id", None) or "")
        if tool is not None and tool.failure is None:
            tool.failure = error

    def _tool_ended(self, span: Any) -> None:
        self._end_group(span.span_id)  # an agent run as this tool, without task spans
        tool = self._tools.pop(span.span_id, None)
        if tool is None:
            return
        if not tool.opened:  # a tool kind the SDK makes no tool context for (shell, computer)
            self._open_tool(span.span_id, tool, None, getattr(span.span_data, "input", None))
        failure: BaseException | str | None = None
        escaped = False
        if span.error:
            in_flight = sys.exc_info()[1]
            escaped = isinstance(in_flight, Exception)
            failure = tool.failure or _failure(span)
        else:
            failure = _in_flight()  # cancelled while it ran
            escaped = failure is not None
        output = getattr(span.span_data, "output", None)
        self.tracker.end(
            ("tool", span.span_id),
            error=failure,
            result=output if failure is None and output is not None else MISSING,
            escaped=escaped,
        )

    def forget(self) -> None:
        """Drop every span's state (uninstrumenting)."""
        with self._lock:
            for table in (
                self._groups,
                self._run_group,
                self._group_parent,
                self._owners,
                self._tools,
                self._sessions,
            ):
                table.clear()


class OpenAIAgentsInstrumentor(Instrumentor):
    """Adds agentlog's trace processor to the SDK and wraps the two functions the spans lack."""

    framework = FRAMEWORK

    def __init__(self) -> None:
        super().__init__()
        self.processor = _Processor(_TRACKER)
        self._registered = False
        self._originals: dict[str, Any] = {}

    def _install(self, **options: Any) -> None:
        agents = require("agents", "openai_agents")
        tool_module: Any = require("agents.tool", "openai_agents")
        tool_context = require("agents.tool_context", "openai_agents")
        tracing = require("agents.tracing", "openai_agents")
        processor = self.processor
        current_span = tracing.get_current_span
        context_made = _guard(processor.tool_context_made)
        tool_failed = _guard(processor.tool_failed)

        context_class = tool_context.ToolContext
        made = context_class.__dict__.get("from_agent_context")
        if isinstance(made, classmethod):
            original_made = made.__func__

            def from_agent_context(cls: Any, *args: Any, **kwargs: Any) -> Any:
                context = original_made(cls, *args, **kwargs)
                context_made(context, current_span)
                return context

            from_agent_context.__wrapped__ = original_made  # type: ignore[attr-defined]
            context_class.from_agent_context = classmethod(from_agent_context)
            self._originals["from_agent_context"] = made

        failing = getattr(tool_module, "maybe_invoke_function_tool_failure_error_function", None)
        if failing is not None:

            async def maybe_invoke_function_tool_failure_error_function(*args: Any, **kwargs: Any) -> Any:
                error = kwargs.get("error")
                if isinstance(error, BaseException):
                    tool_failed(error, current_span)
                return await failing(*args, **kwargs)

            maybe_invoke_function_tool_failure_error_function.__wrapped__ = failing  # type: ignore[attr-defined]
            tool_module.maybe_invoke_function_tool_failure_error_function = (
                maybe_invoke_function_tool_failure_error_function
            )
            self._originals["failure"] = failing

        processor.active = True
        if not self._registered:
            agents.add_trace_processor(processor)
            self._registered = True

    def _remove(self) -> None:
        processor = self.processor
        processor.active = False
        tool_module: Any = sys.modules.get("agents.tool")
        context_module = sys.modules.get("agents.tool_context")
        failing = self._originals.pop("failure", None)
        if tool_module is not None and failing is not None:
            current = tool_module.maybe_invoke_function_tool_failure_error_function
            if getattr(current, "__wrapped__", None) is failing:
                tool_module.maybe_invoke_function_tool_failure_error_function = failing
        made = self._originals.pop("from_agent_context", None)
        if context_module is not None and made is not None:
            context_class = context_module.ToolContext
            current = context_class.__dict__.get("from_agent_context")
            if getattr(getattr(current, "__func__", None), "__wrapped__", None) is made.__func__:
                context_class.from_agent_context = made
        self._unregister()
        _TRACKER.close_all()
        processor.forget()

    def _unregister(self) -> None:
        """Take the processor off the SDK's list, keeping every other processor in its place."""
        tracing = sys.modules.get("agents.tracing")
        if tracing is None or not self._registered:
            return
        try:
            multi = getattr(tracing.get_trace_provider(), "_multi_processor", None)
            registered = getattr(multi, "_processors", None)
            if isinstance(registered, tuple):
                tracing.set_trace_processors([p for p in registered if p is not self.processor])
                self._registered = False
        except Exception:  # an SDK without that list: the processor stays, inactive
            return


instrumentor = OpenAIAgentsInstrumentor()
"""The one instrumentor `instrument` and `uninstrument` drive."""


def instrument() -> None:
    """Record every OpenAI Agents SDK run in agentlog; a second call does nothing.

    Adds agentlog's trace processor beside the SDK's others (its OpenAI
    exporter stays: call ``agents.set_trace_processors([])`` first to drop
    it), and wraps ``ToolContext.from_agent_context`` and the SDK's tool
    failure handler. SDK tracing must stay on: with
    ``set_tracing_disabled(True)`` or ``RunConfig(tracing_disabled=True)``
    the SDK reports nothing to any processor.

    Raises:
        ImportError: The ``openai-agents`` package is not installed.
    """
    instrumentor.instrument()


def uninstrument() -> None:
    """Undo `instrument`: the processor leaves the SDK's list, the wrapped functions are put back."""
    instrumentor.uninstrument()
