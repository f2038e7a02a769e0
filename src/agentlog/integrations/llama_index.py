"""LlamaIndex: workflow agent runs as agentlog runs, model calls as ``llm_result``, tool calls as pairs.

::

    from agentlog.integrations.llama_index import instrument

    instrument()                          # once, at startup
    await FunctionAgent(...).run("...")   # run_started … llm_result, tool_call/tool_result … run_finished

`instrument` adds one span handler and one event handler to LlamaIndex's
root instrumentation dispatcher (``llama_index.core.instrumentation``),
its documented hook; `uninstrument` removes them. Every span LlamaIndex
opens passes through the span handler with its parent's span ID, so the
adapter knows which agent run each model and tool call belongs to, however
the workflow spreads its steps over tasks and threads:

* the run span of a workflow agent (``FunctionAgent``, ``ReActAgent``,
  ``CodeActAgent``, any ``BaseWorkflowAgent``, and ``AgentWorkflow``): a run,
  the child of the tool call or agentlog run it was started in; in an
  ``AgentWorkflow`` each agent's turn (the root agent's, then each one a
  hand-off passes control to) is a child run of the workflow's run;
* the span of the agent's ``call_tool`` step, whose ``ToolCall`` event holds
  the model's ``tool_id``: a tool call under that ID, current while the
  step runs — LlamaIndex runs the tool function inside it (a sync function
  in an executor thread given a copy of that context) — and, when the tool
  raised (LlamaIndex catches it and hands the message to the model), the
  tool's own exception class and message;
* ``LLMChatStartEvent`` / ``LLMChatEndEvent`` (and the completion events): an
  ``llm_result`` with the model, the token counts of the response's raw
  usage (or ``additional_kwargs``), the finish reason and the latency; a
  stream ends with its last chunk. The request's ``temperature``,
  ``max_tokens``, ``top_p`` and ``seed`` are the call's keyword arguments
  over the LLM's ``additional_kwargs`` over its own fields (the LLM is the
  instance the span handler sees the chat method's span opened on).

Prompts, completions, tasks, arguments and results follow agentlog's
capture policy (hashes by default). LlamaIndex's dispatcher emits no
OpenTelemetry spans itself, so with ``configure(otel_spans=True)``
agentlog's are the only ones.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Hashable
from typing import Any

from .. import _diagnostics
from .._context import CURRENT
from .._vocabulary import CANCELLED, COMPLETED, MAX_STEPS
from ._instrumentor import Instrumentor, guarded, require
from ._request import first_set
from ._tracker import Tracker

__all__ = ["LlamaIndexInstrumentor", "instrument", "instrumentor", "uninstrument"]

FRAMEWORK = "llama_index"
HANDOFF = "handoff"
"""The stop reason of an agent's turn in an ``AgentWorkflow`` that handed control to another agent."""

MAX_SPANS = 100_000
"""Open LlamaIndex spans remembered (for their parents); beyond it the oldest are forgotten."""

_TRACKER = Tracker(FRAMEWORK)
_guard = guarded(FRAMEWORK)

# -- content -------------------------------------------------------------------------------------


def _field(value: Any, name: str) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(message: Any) -> Any:
    try:
        return message.content
    except Exception:
        return None


def _tool_call(call: Any) -> dict[str, Any]:
    """A tool call in any of LlamaIndex's shapes (block, selection, OpenAI dict or object) as OpenAI's."""
    function = _field(call, "function")
    if function is not None:
        return {
            "id": _field(call, "id"),
            "type": "function",
            "function": {"name": _field(function, "name"), "arguments": _field(function, "arguments")},
        }
    return {
        "id": _field(call, "tool_call_id") or _field(call, "tool_id"),
        "type": "function",
        "function": {"name": _field(call, "tool_name"), "arguments": _field(call, "tool_kwargs")},
    }


def _calls(message: Any) -> list[Any]:
    calls = [
        block for block in getattr(message, "blocks", None) or () if type(block).__name__ == "ToolCallBlock"
    ]
    extra = getattr(message, "additional_kwargs", None)
    if not calls and isinstance(extra, dict) and isinstance(extra.get("tool_calls"), list):
        calls = list(extra["tool_calls"])
    return calls


def _message(message: Any) -> dict[str, Any]:
    """A LlamaIndex ``ChatMessage`` as an OpenAI-shaped dict (text, tool calls, the answered call's ID)."""
    role = getattr(message, "role", None)
    plain: dict[str, Any] = {"role": str(getattr(role, "value", role) or "user"), "content": _text(message)}
    calls = _calls(message)
    if calls:
        plain["tool_calls"] = [_tool_call(call) for call in calls]
    extra = getattr(message, "additional_kwargs", None)
    if isinstance(extra, dict) and extra.get("tool_call_id") is not None:
        plain["tool_call_id"] = extra["tool_call_id"]
    return plain


# -- what the model reported ---------------------------------------------------------------------


def _usage(response: Any) -> dict[str, Any]:
    """Token counts from a response's raw usage (OpenAI or Anthropic shape), else its ``additional_kwargs``.

    ``input_tokens`` counts cached tokens too (the GenAI conventions' way):
    an Anthropic-shaped usage, which counts them apart, is summed.
    """
    usage = _field(_field(response, "raw"), "usage")
    counts: dict[str, Any] = {}
    if usage is not None:
        prompt, completion = _int(_field(usage, "prompt_tokens")), _int(_field(usage, "completion_tokens"))
        read = _int(_field(_field(usage, "prompt_tokens_details"), "cached_tokens"))
        read = (
            read if read is not None else _int(_field(_field(usage, "input_tokens_details"), "cached_tokens"))
        )
        reasoning = _int(_field(_field(usage, "completion_tokens_details"), "reasoning_tokens"))
        reasoning = (
            reasoning
            if reasoning is not None
            else _int(_field(_field(usage, "output_tokens_details"), "reasoning_tokens"))
        )
        created = None
        if prompt is None:  # Anthropic's (or the Responses API's) names
            prompt, completion = _int(_field(usage, "input_tokens")), _int(_field(usage, "output_tokens"))
            anthropic_read = _int(_field(usage, "cache_read_input_tokens"))
            created = _int(_field(usage, "cache_creation_input_tokens"))
            if prompt is not None and (anthropic_read is not None or created is not None):
                prompt += (anthropic_read or 0) + (created or 0)
                read = anthropic_read
        counts = {
            "input_tokens": prompt,
            "output_tokens": completion,
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": created,
            "reasoning_output_tokens": reasoning,
        }
    extra = _field(response, "additional_kwargs")
    if counts.get("input_tokens") is None and isinstance(extra, dict):
        counts["input_tokens"] = _int(extra.get("prompt_tokens")) or _int(extra.get("input_tokens"))
        counts["output_tokens"] = _int(extra.get("completion_tokens")) or _int(extra.get("output_tokens"))
    return counts


def _finish_reason(response: Any) -> str | None:
    raw = _field(response, "raw")
    choices = _field(raw, "choices")
    if isinstance(choices, (list, tuple)) and choices:
        reason = _field(choices[0], "finish_reason")
        if reason:
            return str(reason)
    for name in ("stop_reason", "finish_reason"):
        reason = _field(raw, name)
        if isinstance(reason, str) and reason:
            return reason
    message = _field(response, "message")
    if message is not None:
        return "tool_calls" if _calls(message) else "stop"
    return "stop"


_PROVIDERS = (
    ("azure", "azure.ai.openai"),
    ("openai", "openai"),
    ("anthropic", "anthropic"),
    ("bedrock", "aws.bedrock"),
    ("vertex", "gcp.vertex_ai"),
    ("gemini", "gcp.gemini"),
    ("mistral", "mistral_ai"),
    ("groq", "groq"),
    ("cohere", "cohere"),
    ("deepseek", "deepseek"),
)


_MAX_TOKENS = ("max_tokens", "max_completion_tokens", "max_output_tokens", "max_new_tokens", "num_predict")
"""What LLM classes and their APIs call the output token limit."""


def _request(llm: Any, call_kwargs: Any) -> dict[str, Any]:
    """The request's parameters, in the order LLM classes merge them into the request.

    The call's own keyword arguments (``llm.chat(messages, temperature=0)``)
    over the LLM's ``additional_kwargs`` over its own fields
    (``OpenAI(temperature=..., max_tokens=...)``, ``MockLLM(max_tokens=...)``).
    ``LLMMetadata.num_output`` is not read: it is a budget LlamaIndex keeps
    for prompts, with a default of its own, not something the request sends.
    """
    sources: list[Any] = [call_kwargs] if isinstance(call_kwargs, dict) else []
    if llm is not None:
        extra = getattr(llm, "additional_kwargs", None)
        if isinstance(extra, dict):
            sources.append(extra)
        sources.append(llm)
    try:
        return first_set(sources, _MAX_TOKENS)
    except Exception as exc:  # an LLM class's property that raises: the call is still recorded
        _diagnostics.report(f"{FRAMEWORK}: the model's settings could not be read", exc)
        return {}


def _provider(model_dict: Any) -> str | None:
    name = str(_field(model_dict, "class_name") or "").lower()
    for part, provider in _PROVIDERS:
        if part in name:
            return provider
    return None


# -- the dispatcher's spans ----------------------------------------------------------------------


class _Run:
    """A tracked workflow run: its key and, in an ``AgentWorkflow``, the agent whose turn it is."""

    __slots__ = ("agent", "cancelled", "key", "multi", "turn", "turns")

    def __init__(self, key: Hashable, multi: bool) -> None:
        self.key = key
        self.multi = multi
        self.agent: str | None = None
        self.turn: Hashable | None = None
        self.turns = 0
        self.cancelled = False


class _State:
    """What the handlers know: each open span's parent, and the agentlog scope each tracked span is."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.parents: dict[str, str | None] = {}
        self.runs: dict[str, _Run] = {}
        self.tools: set[str] = set()
        self.llms: dict[str, Hashable] = {}
        self.models: dict[str, Any] = {}
        """The LLM whose method each open span is: its settings are the request's."""

    def remember(self, id_: str, parent: str | None, model: Any = None) -> None:
        with self.lock:
            self.parents[id_] = parent
            if len(self.parents) > MAX_SPANS:
                del self.parents[next(iter(self.parents))]
            if model is not None:
                self.models[id_] = model
                if len(self.models) > MAX_SPANS:
                    del self.models[next(iter(self.models))]

    def forget(self, id_: str) -> None:
        with self.lock:
            self.parents.pop(id_, None)
            self.models.pop(id_, None)

    def chain(self, id_: str | None) -> list[str]:
        """*id_* and its open ancestors, innermost first."""
        found: list[str] = []
        seen: set[str] = set()
        while id_ is not None and id_ not in seen:
            seen.add(id_)
            found.append(id_)
            id_ = self.parents.get(id_)
        return found

    def scope(self, id_: str | None) -> tuple[Hashable | None, _Run | None]:
        """The innermost tracked scope at *id_* (tool call, agent turn or run) and the run holding it."""
        for span in self.chain(id_):
            if span in self.tools:
                return span, self.run_of(span)
            run = self.runs.get(span)
            if run is not None:
                return (run.turn if run.turn is not None else run.key), run
        return None, None

    def run_of(self, id_: str | None) -> _Run | None:
        for span in self.chain(id_):
            run = self.runs.get(span)
            if run is not None:
                return run
        return None

    def llm_open_at(self, id_: str | None) -> bool:
        return any(span in self.llms for span in self.chain(id_))


_STATE = _State()


def _classes() -> tuple[Any, Any, Any, Any, Any]:
    events = importlib.import_module("llama_index.core.agent.workflow.workflow_events")
    agents = importlib.import_module("llama_index.core.agent.workflow")
    llms = importlib.import_module("llama_index.core.base.llms.base")
    return agents.BaseWorkflowAgent, agents.AgentWorkflow, events.ToolCall, events.AgentSetup, llms.BaseLLM


def _task(start_event: Any) -> Any:
    user_msg = _field(start_event, "user_msg")
    if user_msg is None:
        return None
    return user_msg if isinstance(user_msg, str) else _text(user_msg)


@_guard
def _span_enter(id_: str, bound_args: Any, instance: Any, parent_id: str | None) -> None:
    agent_cls, workflow_cls, tool_call_cls, setup_cls, llm_cls = _CLASSES
    # A model call's events name the span of the LLM method that made it.
    _STATE.remember(id_, parent_id, instance if isinstance(instance, llm_cls) else None)
    arguments = getattr(bound_args, "arguments", None) or {}
    if instance is not None and "start_event" in arguments and "init_state" in arguments:
        if isinstance(instance, (agent_cls, workflow_cls)):
            _open_run(id_, instance, arguments.get("start_event"))
        return
    event = arguments.get("ev")
    if type(event) is tool_call_cls:
        _open_tool(id_, event)
    elif type(event) is setup_cls:
        _agent_turn(id_, event)


def _open_run(id_: str, workflow: Any, start_event: Any) -> None:
    parent, _ = _STATE.scope(_STATE.parents.get(id_))
    key = ("run", id_)
    multi = isinstance(workflow, _CLASSES[1])
    name = type(workflow).__name__ if multi else (getattr(workflow, "name", None) or type(workflow).__name__)
    metadata = {"agent": str(name), "framework": FRAMEWORK}
    if (
        _TRACKER.run(key, parent=parent, task=_task(start_event), metadata=metadata, activate=True)
        is not None
    ):
        _STATE.runs[id_] = _Run(key, multi)


def _agent_turn(id_: str, setup: Any) -> None:
    """``run_agent_step`` in an ``AgentWorkflow``: a new agent's turn opens a child run; the last one ends."""
    run = _STATE.run_of(id_)
    name = getattr(setup, "current_agent_name", None)
    if run is None or not run.multi or name is None or name == run.agent:
        return
    if run.turn is not None:
        _TRACKER.end(run.turn, stop_reason=HANDOFF)
    run.turns += 1
    turn = ("turn", run.key, run.turns)
    opened = _TRACKER.run(turn, parent=run.key, metadata={"agent": str(name), "framework": FRAMEWORK})
    run.agent, run.turn = name, turn if opened is not None else None


def _open_tool(id_: str, event: Any) -> None:
    parent, run = _STATE.scope(_STATE.parents.get(id_))
    if run is None:
        return
    opened = _TRACKER.tool(
        id_,
        str(event.tool_name),
        event.tool_kwargs,
        tool_call_id=str(event.tool_id) if event.tool_id is not None else None,
        parent=parent,
        activate=True,
    )
    if opened is not None:
        _STATE.tools.add(id_)


def _end_run(id_: str, *, error: BaseException | None = None) -> None:
    run = _STATE.runs.pop(id_, None)
    if run is None:
        return
    stop = CANCELLED if run.cancelled else COMPLETED
    if error is not None and "max iterations" in str(error).lower():
        stop = MAX_STEPS
    if run.turn is not None:
        _TRACKER.end(run.turn, error=error, stop_reason=stop if error is None else None)
    _TRACKER.end(run.key, error=error, stop_reason=stop if error is None or stop == MAX_STEPS else None)


def _end_tool(id_: str, result: Any) -> None:
    _STATE.tools.discard(id_)
    output = getattr(result, "tool_output", None)
    if output is None:
        _TRACKER.end(id_)
        return
    if getattr(output, "is_error", False):
        exception = getattr(output, "exception", None)
        if isinstance(exception, BaseException):
            _TRACKER.end(id_, error=exception)
        else:
            _TRACKER.end(
                id_, error=str(getattr(output, "content", "") or "tool error"), error_class="ToolError"
            )
        return
    _TRACKER.end(id_, result=getattr(output, "raw_output", None))


@_guard
def _span_exit(id_: str, result: Any) -> None:
    try:
        if id_ in _STATE.runs:
            _end_run(id_)
        elif id_ in _STATE.tools:
            _end_tool(id_, result)
    finally:
        _STATE.forget(id_)


@_guard
def _span_drop(id_: str, err: BaseException | None) -> None:
    try:
        if id_ in _STATE.runs:
            _end_run(id_, error=err)
        elif id_ in _STATE.tools:
            _STATE.tools.discard(id_)
            _TRACKER.end(id_, error=err)
        key = _STATE.llms.pop(id_, None)
        if key is not None:
            _TRACKER.end(key, error=err, escaped=True)
    finally:
        _STATE.forget(id_)


# -- the dispatcher's events ---------------------------------------------------------------------


def _start_llm(span_id: Any, model_dict: Any, prompt: Any, call_kwargs: Any) -> None:
    if not isinstance(span_id, str) or _STATE.llm_open_at(span_id):
        return  # no span to match its end by, or a call inside another (a chat made of a completion)
    parent, run = _STATE.scope(span_id)
    if run is None and CURRENT.get() is None:
        return  # outside any agent run or agentlog scope
    model = _field(model_dict, "model_name") or _field(model_dict, "model")
    if not model or model == "unknown":  # LLMMetadata's default: the class names the model better
        model = _field(model_dict, "class_name")
    key = ("llm", span_id)
    request = _request(_STATE.models.get(span_id), call_kwargs)
    if _TRACKER.llm(
        key,
        str(model or "unknown"),
        provider=_provider(model_dict),
        parent=parent,
        activate=True,
        request=request,
    ):
        _STATE.llms[span_id] = key
        _TRACKER.usage(key, prompt=prompt)


def _end_llm(span_id: Any, response: Any, completion: Any) -> None:
    key = _STATE.llms.pop(span_id, None) if isinstance(span_id, str) else None
    if key is None:
        return
    counts = {name: value for name, value in _usage(response).items() if value is not None}
    raw_model = _field(_field(response, "raw"), "model")
    if isinstance(raw_model, str):
        counts["model"] = raw_model
    _TRACKER.usage(key, finish_reason=_finish_reason(response), completion=completion, **counts)
    _TRACKER.end(key)


@_guard
def _handle(event: Any) -> None:
    name = type(event).__name__
    if name == "LLMChatStartEvent":
        messages = [_message(m) for m in event.messages or ()]
        _start_llm(event.span_id, event.model_dict, messages, event.additional_kwargs)
    elif name == "LLMCompletionStartEvent":
        _start_llm(event.span_id, event.model_dict, event.prompt, event.additional_kwargs)
    elif name == "LLMChatEndEvent":
        response = event.response
        message = getattr(response, "message", None)
        _end_llm(event.span_id, response, _message(message) if message is not None else None)
    elif name == "LLMCompletionEndEvent":
        _end_llm(event.span_id, event.response, getattr(event.response, "text", None))
    elif name == "ExceptionEvent":
        key = _STATE.llms.pop(event.span_id, None) if isinstance(event.span_id, str) else None
        if key is not None:
            _TRACKER.end(key, error=event.exception, escaped=True)
    elif name == "SpanCancelledEvent" and isinstance(event.span_id, str):
        run = _STATE.runs.get(event.span_id)
        if run is not None:
            run.cancelled = True
        elif event.span_id in _STATE.tools:
            _STATE.tools.discard(event.span_id)
            _TRACKER.end(event.span_id, error="the tool call was cancelled", error_class="CancelledError")


# -- installing ----------------------------------------------------------------------------------

_CLASSES: tuple[Any, Any, Any, Any, Any] = (None, None, None, None, None)


def _handlers() -> tuple[Any, Any]:
    """A span handler and an event handler: LlamaIndex's own base classes, subclassed here (lazily)."""
    span_base: Any = importlib.import_module("llama_index.core.instrumentation.span_handlers").BaseSpanHandler
    event_base: Any = importlib.import_module(
        "llama_index.core.instrumentation.event_handlers"
    ).BaseEventHandler

    class AgentlogSpanHandler(span_base):  # type: ignore[misc]
        """Turns LlamaIndex's workflow-agent and tool-call spans into agentlog runs and tool calls."""

        @classmethod
        def class_name(cls) -> str:
            return "AgentlogSpanHandler"

        def span_enter(
            self, id_: str, bound_args: Any, instance: Any = None, parent_id: str | None = None, **kwargs: Any
        ) -> None:
            _span_enter(id_, bound_args, instance, parent_id)

        def span_exit(
            self, id_: str, bound_args: Any, instance: Any = None, result: Any = None, **kwargs: Any
        ) -> None:
            _span_exit(id_, result)

        def span_drop(
            self,
            id_: str,
            bound_args: Any,
            instance: Any = None,
            err: BaseException | None = None,
            **kwargs: Any,
        ) -> None:
            _span_drop(id_, err)

        def new_span(self, *args: Any, **kwargs: Any) -> None:
            return None

        def prepare_to_exit_span(self, *args: Any, **kwargs: Any) -> None:
            return None

        def prepare_to_drop_span(self, *args: Any, **kwargs: Any) -> None:
            return None

    class AgentlogEventHandler(event_base):  # type: ignore[misc]
        """Turns LlamaIndex's model-call events into agentlog ``llm_result`` lines."""

        @classmethod
        def class_name(cls) -> str:
            return "AgentlogEventHandler"

        def handle(self, event: Any, **kwargs: Any) -> None:
            _handle(event)

    return AgentlogSpanHandler(), AgentlogEventHandler()


class LlamaIndexInstrumentor(Instrumentor):
    """Adds agentlog's span and event handlers to LlamaIndex's root dispatcher; `uninstrument` drops them."""

    framework = FRAMEWORK

    def __init__(self) -> None:
        super().__init__()
        self._handlers: tuple[Any, Any] | None = None

    def _install(self, **options: Any) -> None:
        global _CLASSES
        instrumentation = require("llama_index.core.instrumentation", "llama_index")
        _CLASSES = _classes()
        span_handler, event_handler = _handlers()
        dispatcher = instrumentation.get_dispatcher()
        dispatcher.add_span_handler(span_handler)
        dispatcher.add_event_handler(event_handler)
        self._handlers = (span_handler, event_handler)

    def _remove(self) -> None:
        handlers, self._handlers = self._handlers, None
        if handlers is not None:
            dispatcher = importlib.import_module("llama_index.core.instrumentation").get_dispatcher()
            span_handler, event_handler = handlers
            dispatcher.span_handlers = [h for h in dispatcher.span_handlers if h is not span_handler]
            dispatcher.event_handlers = [h for h in dispatcher.event_handlers if h is not event_handler]
        _TRACKER.close_all()
        with _STATE.lock:
            _STATE.parents.clear()
            _STATE.runs.clear()
            _STATE.tools.clear()
            _STATE.llms.clear()
            _STATE.models.clear()


_INSTRUMENTOR = LlamaIndexInstrumentor()


def instrumentor() -> LlamaIndexInstrumentor:
    """The one `LlamaIndexInstrumentor` (whether it is installed: ``instrumentor().installed``)."""
    return _INSTRUMENTOR


def instrument() -> None:
    """Record every LlamaIndex workflow agent run from now on (idempotent).

    Raises:
        ImportError: llama-index-core is not installed (the ``llama_index`` extra).
    """
    _INSTRUMENTOR.instrument()


def uninstrument() -> None:
    """Stop recording: agentlog's handlers leave LlamaIndex's dispatcher."""
    _INSTRUMENTOR.uninstrument()
