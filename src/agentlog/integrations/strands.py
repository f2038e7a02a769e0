"""Strands Agents: every agent invocation an agentlog run, every model and tool call in it recorded.

::

    from agentlog.integrations import strands

    strands.instrument()        # every strands.Agent, made before or after, is recorded
    agent = Agent(model=..., tools=[...])
    agent("Where is my order?")

The adapter is a Strands `HookProvider` (`AgentlogHooks`) on each agent's
hook registry: ``instrument()`` adds it to every `strands.Agent` as it is
built (Strands has no global hook registry), ``uninstrument()`` takes that
out again and turns the provider off on agents built meanwhile. To record
only some agents, pass ``hooks=[AgentlogHooks()]`` to them instead.

What each Strands hook becomes:

* ``BeforeInvocationEvent`` / ``AfterInvocationEvent`` — a run (a child run
  inside an agentlog run, or inside the tool call of an agent used as a
  tool), with the agent's name, and a stop reason from the result's
  (``end_turn`` → ``completed``, ``limit_turns`` → ``max_steps``,
  ``cancelled``; others as Strands gives them; ``error`` when the
  invocation raised).
* ``BeforeModelCallEvent`` / ``AfterModelCallEvent`` — a ``model`` step and
  its ``llm_result``: the model's ``model_id``, the provider of its Strands
  model class, the usage the model reported on the response
  (``inputTokens``, ``outputTokens``, ``cacheReadInputTokens``,
  ``cacheWriteInputTokens``), its stop reason, the exception when the call
  failed, the request's ``temperature``, ``max_tokens``, ``top_p`` and
  ``seed`` from the model's config (top level or ``params``) when set; the
  messages sent and the answer under the capture policy.
* ``BeforeToolCallEvent`` / ``AfterToolCallEvent`` — a ``tool`` step and its
  ``tool_call``/``tool_result`` pair under the model's ``toolUseId``; the
  tool's exception (which Strands turns into an error result) as the
  error class and message; the call is the scope in force while the tool
  runs, so the user's own log lines in it carry its IDs.

When Strands' own OpenTelemetry tracer is recording (a real SDK tracer
provider), Strands makes the GenAI spans (``invoke_agent``, ``chat``,
``execute_tool``): agentlog adopts each of them rather than opening a
second one, and its lines carry their IDs. A model or tool call is then
recorded from the moment Strands opens its span, which is after the
``Before…`` hook: the adapter wraps Strands' `Tracer` span-opening methods
to learn the span (only while instrumented).
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from .. import _diagnostics
from .._context import SpanRef
from ._content import ContentFilter
from ._instrumentor import Instrumentor, guarded, require
from ._request import first_set
from ._tracker import Tracker

__all__ = ["AgentlogHooks", "instrument", "uninstrument"]

FRAMEWORK = "strands"
_TRACKER = Tracker(FRAMEWORK)
_REGISTERED = "_agentlog_hooks"
"""Set on a hook registry that holds an `AgentlogHooks` already (a second one is not added)."""

_STOP_REASONS = {
    "end_turn": "completed",
    "stop_sequence": "completed",
    "limit_turns": "max_steps",
    "cancelled": "cancelled",
}

_PROVIDERS = {
    "bedrock": "aws.bedrock",
    "sagemaker": "aws.sagemaker",
    "anthropic": "anthropic",
    "openai": "openai",
    "openai_responses": "openai",
    "gemini": "gcp.gemini",
    "mistral": "mistral_ai",
    "ollama": "ollama",
    "litellm": "litellm",
    "llamaapi": "meta",
    "llamacpp": "llama.cpp",
    "writer": "writer",
}
"""Strands' model modules (``strands.models.<name>``) and the provider each one calls."""


# -- what the hooks see --------------------------------------------------------------------


def _run_key(agent: Any, invocation_state: Any) -> Hashable:
    """One invocation: the agent and its invocation state (one dict per invocation)."""
    return ("run", id(agent), id(invocation_state))


def _model_of(agent: Any) -> tuple[str, str | None]:
    """The model's name (its ``model_id``) and its provider (from its Strands model class)."""
    model = getattr(agent, "model", None)
    config = getattr(model, "config", None)
    name = config.get("model_id") if isinstance(config, Mapping) else None
    cls = type(model)
    module = cls.__module__
    provider = None
    if module.startswith("strands.models."):
        provider = _PROVIDERS.get(module.rsplit(".", 1)[-1])
    return (str(name) if name else cls.__name__), provider


_MAX_TOKENS = ("max_tokens", "max_completion_tokens", "max_output_tokens")
"""What Strands' model classes' configs (and the APIs under them) call the output token limit."""


def _request(model: Any) -> dict[str, Any]:
    """The request's parameters from the model's config (``get_config()``), as its class sends them.

    Bedrock, Ollama, Mistral, Writer, LlamaAPI (and Anthropic's
    ``max_tokens``) keep them at the config's top level; OpenAI, Anthropic,
    Gemini, LiteLLM and llama.cpp in its ``params``, which the request
    spreads last, so ``params`` wins.
    """
    try:
        config = model.get_config() if model is not None else None
    except Exception as exc:  # a model class of the user's: its call is still recorded
        _diagnostics.report(f"{FRAMEWORK}: the model's config could not be read", exc)
        return {}
    if not isinstance(config, Mapping):
        return {}
    params = config.get("params")
    sources = (params, config) if isinstance(params, Mapping) else (config,)
    return first_set(sources, _MAX_TOKENS)


def _recording(span: Any) -> SpanRef | None:
    """A Strands span's IDs when it is a real, recording span; else None."""
    if span is None or not span.is_recording():
        return None
    context = span.get_span_context()
    if not context.is_valid:
        return None
    return SpanRef(f"{context.trace_id:032x}", f"{context.span_id:016x}", f"{int(context.trace_flags):02x}")


def _usage(message: Any) -> dict[str, Any]:
    """The usage Strands attached to the model's message (``metadata.usage``), as set_usage arguments."""
    metadata = message.get("metadata") if isinstance(message, Mapping) else None
    usage = metadata.get("usage") if isinstance(metadata, Mapping) else None
    if not isinstance(usage, Mapping):
        return {}
    return {
        "input_tokens": usage.get("inputTokens"),
        "output_tokens": usage.get("outputTokens"),
        "cache_read_input_tokens": usage.get("cacheReadInputTokens"),
        "cache_creation_input_tokens": usage.get("cacheWriteInputTokens"),
    }


class _Pending:
    """A model or tool call whose Strands span is not open yet: opened when Strands opens it."""

    __slots__ = ("key", "kind", "options")

    def __init__(self, kind: str, key: Hashable, options: dict[str, Any]) -> None:
        self.kind = kind
        self.key = key
        self.options = options

    def open(self, span: SpanRef | None) -> None:
        if self.kind == "llm":
            prompt = self.options.pop("prompt")
            _TRACKER.llm(self.key, span=span, **self.options)
            _TRACKER.usage(self.key, prompt=prompt)
        else:
            _TRACKER.tool(self.key, span=span, activate=True, **self.options)


class _Spans:
    """Strands' span-opening methods, wrapped so a pending call opens under Strands' own span."""

    def __init__(self) -> None:
        self.pending: dict[tuple[int, str | None], _Pending] = {}
        self.originals: dict[str, Callable[..., Any]] = {}
        self.lock = threading.Lock()

    @property
    def active(self) -> bool:
        return bool(self.originals)

    def defer(self, parent_span: Any, tool_use_id: str | None, pending: _Pending) -> bool:
        """Hold *pending* until Strands opens its span under *parent_span*; False if it cannot."""
        if not self.active or _recording(parent_span) is None:
            return False
        with self.lock:
            self.pending[(id(parent_span), tool_use_id)] = pending
        return True

    def take(self, key: Hashable) -> _Pending | None:
        """The pending call under *key* whose span never opened (a hook or middleware skipped it)."""
        with self.lock:
            for slot, pending in self.pending.items():
                if pending.key == key:
                    del self.pending[slot]
                    return pending
        return None

    def _opened(self, parent_span: Any, tool_use_id: str | None, span: Any) -> None:
        if parent_span is None or not self.pending:
            return
        with self.lock:
            pending = self.pending.pop((id(parent_span), tool_use_id), None)
        if pending is not None:
            pending.open(_recording(span))

    def opened(self, parent_span: Any, tool_use_id: str | None, span: Any) -> None:
        """Strands opened *span* under *parent_span*: open the call waiting for it (never raises)."""
        try:
            self._opened(parent_span, tool_use_id, span)
        except Exception as exc:
            _diagnostics.report(f"{FRAMEWORK} adapter failed to adopt a span", exc)

    def install(self, tracer_class: Any) -> None:
        if self.active:
            return
        spans = self

        model_original = tracer_class.start_model_invoke_span
        tool_original = tracer_class.start_tool_call_span

        @functools.wraps(model_original)
        def start_model_invoke_span(tracer: Any, *args: Any, **kwargs: Any) -> Any:
            span = model_original(tracer, *args, **kwargs)
            parent = kwargs.get("parent_span", args[1] if len(args) > 1 else None)
            spans.opened(parent, None, span)
            return span

        @functools.wraps(tool_original)
        def start_tool_call_span(tracer: Any, *args: Any, **kwargs: Any) -> Any:
            span = tool_original(tracer, *args, **kwargs)
            tool = kwargs.get("tool", args[0] if args else None)
            parent = kwargs.get("parent_span", args[1] if len(args) > 1 else None)
            tool_use_id = tool.get("toolUseId") if isinstance(tool, Mapping) else None
            spans.opened(parent, tool_use_id, span)
            return span

        self.originals = {
            "start_model_invoke_span": model_original,
            "start_tool_call_span": tool_original,
        }
        tracer_class.start_model_invoke_span = start_model_invoke_span
        tracer_class.start_tool_call_span = start_tool_call_span

    def remove(self, tracer_class: Any) -> None:
        for name, original in self.originals.items():
            setattr(tracer_class, name, original)
        self.originals = {}
        with self.lock:
            pending, self.pending = list(self.pending.values()), {}
        for entry in pending:  # calls in flight: opened now, so their end hooks close them
            guarded(FRAMEWORK)(entry.open)(None)


_SPANS = _Spans()

_TOOLS: dict[Hashable, set[Hashable]] = {}
"""Each run's tool calls not ended yet (an interrupt stops a tool call before it runs, with no end hook)."""
_TOOLS_LOCK = threading.Lock()


def _close_tools(run: Hashable) -> None:
    """End the tool calls of *run* that Strands never ended: interrupted before they ran."""
    with _TOOLS_LOCK:
        keys = _TOOLS.pop(run, None)
    for key in keys or ():
        if _SPANS.take(key) is None and key in _TRACKER:
            _TRACKER.end(key, error="the tool call was interrupted before it ran", error_class="Interrupted")


def _cycle_span(invocation_state: Any) -> Any:
    """The event-loop cycle span Strands opens a model or tool span under."""
    if isinstance(invocation_state, Mapping):
        return invocation_state.get("event_loop_cycle_span")
    return None


def _on_bridge() -> bool:
    """Whether the invocation runs on Strands' sync bridge (``agent(...)``): a thread and context of its own.

    There the run is made the scope in force, so Strands' own log lines
    during it carry its IDs; nothing outlives the call. An async invocation
    runs in the caller's context, which an abandoned ``stream_async`` would
    leave holding a finished run, so there the run is only the parent of its
    model and tool calls.
    """
    bridge = sys.modules.get("strands._async")
    check = getattr(bridge, "is_run_async_bridge", None)
    return bool(check()) if callable(check) else False


def _open_run(key: Hashable, agent: Any, task: Any) -> None:
    """Open the run, adopting Strands' ``invoke_agent`` span when it records one."""
    metadata = {"agent": getattr(agent, "name", None) or type(agent).__name__, "framework": FRAMEWORK}
    activate = _on_bridge()
    span = getattr(agent, "trace_span", None)
    ref = _recording(span)
    if ref is None:
        _TRACKER.run(key, task=task, metadata=metadata, activate=activate)
        return
    # Strands' span is the current one here: open the run as if under its parent, so the run's
    # parent span is the span's parent, not the span itself.
    from opentelemetry import context as otel_context
    from opentelemetry import trace as otel_trace

    parent = getattr(span, "parent", None)
    outer = otel_trace.NonRecordingSpan(parent) if parent is not None else otel_trace.INVALID_SPAN
    token = otel_context.attach(otel_trace.set_span_in_context(outer))
    try:
        _TRACKER.run(key, task=task, metadata=metadata, span=ref, activate=activate)
    finally:
        otel_context.detach(token)


class AgentlogHooks:
    """A Strands hook provider that records an agent's invocations, model calls and tool calls.

    ``instrument()`` adds one to every agent; to record only some agents,
    give them ``hooks=[AgentlogHooks()]``. A registry holds at most one.
    """

    def __init__(self) -> None:
        self.enabled = True

    def register_hooks(self, registry: Any, **kwargs: Any) -> None:
        """Add the callbacks to an agent's hook registry (Strands calls this)."""
        if getattr(registry, _REGISTERED, False):
            return
        from strands.hooks import (
            AfterInvocationEvent,
            AfterModelCallEvent,
            AfterToolCallEvent,
            BeforeInvocationEvent,
            BeforeModelCallEvent,
            BeforeToolCallEvent,
        )

        registry.add_callback(BeforeInvocationEvent, self._before_invocation)
        registry.add_callback(AfterInvocationEvent, self._after_invocation)
        registry.add_callback(BeforeModelCallEvent, self._before_model)
        registry.add_callback(AfterModelCallEvent, self._after_model)
        registry.add_callback(BeforeToolCallEvent, self._before_tool)
        registry.add_callback(AfterToolCallEvent, self._after_tool)
        setattr(registry, _REGISTERED, True)

    # -- runs --------------------------------------------------------------------------------

    @guarded(FRAMEWORK)
    def _before_invocation(self, event: Any) -> None:
        if not self.enabled:
            return
        _open_run(_run_key(event.agent, event.invocation_state), event.agent, event.messages)

    @guarded(FRAMEWORK)
    def _after_invocation(self, event: Any) -> None:
        key = _run_key(event.agent, event.invocation_state)
        if key not in _TRACKER:
            return
        _close_tools(key)
        result = event.result
        if result is not None:
            reason = str(getattr(result, "stop_reason", "") or "")
            _TRACKER.end(key, stop_reason=_STOP_REASONS.get(reason, reason or None))
            return
        # No result: the invocation raised (this hook runs in its ``finally``), or it was a
        # structured-output call, which gives none.
        failure = sys.exc_info()[1]
        if failure is None:
            _TRACKER.end(key, stop_reason="completed")
        elif isinstance(failure, Exception):
            _TRACKER.end(key, error=failure)
        else:
            _TRACKER.end(key, error=failure, stop_reason="cancelled")

    # -- model calls -------------------------------------------------------------------------

    @guarded(FRAMEWORK)
    def _before_model(self, event: Any) -> None:
        run = _run_key(event.agent, event.invocation_state)
        if run not in _TRACKER:
            return
        agent = event.agent
        model, provider = _model_of(agent)
        prompt: list[Any] = []
        system = getattr(agent, "system_prompt", None)
        if system:
            prompt.append({"role": "system", "content": system})
        prompt.extend(getattr(agent, "messages", None) or ())
        options = {
            "model": model,
            "provider": provider,
            "parent": run,
            "prompt": prompt,
            "request": _request(getattr(agent, "model", None)),
        }
        pending = _Pending("llm", ("llm", run), options)
        if not _SPANS.defer(_cycle_span(event.invocation_state), None, pending):
            pending.open(None)

    @guarded(FRAMEWORK)
    def _after_model(self, event: Any) -> None:
        key = ("llm", _run_key(event.agent, event.invocation_state))
        pending = _SPANS.take(key) if _SPANS.pending else None
        if pending is not None:
            pending.open(None)  # Strands never opened its span (a middleware answered)
        if key not in _TRACKER:
            return
        response = event.stop_response
        if response is not None:
            message = response.message
            _TRACKER.usage(
                key,
                finish_reason=str(response.stop_reason) if response.stop_reason else None,
                completion=[message] if message is not None else None,
                **_usage(message),
            )
        if event.exception is not None:
            _TRACKER.end(key, error=event.exception, escaped=True)
        else:
            _TRACKER.end(key)

    # -- tool calls --------------------------------------------------------------------------

    @guarded(FRAMEWORK)
    def _before_tool(self, event: Any) -> None:
        run = _run_key(event.agent, event.invocation_state)
        if run not in _TRACKER and not self.enabled:
            return
        tool_use = event.tool_use
        tool_use_id = tool_use.get("toolUseId")
        options = {
            "tool": str(tool_use.get("name")),
            "args": tool_use.get("input"),
            "tool_call_id": str(tool_use_id) if tool_use_id is not None else None,
            "parent": run if run in _TRACKER else None,
        }
        key = ("tool", run, tool_use_id)
        if options["parent"] is not None:
            with _TOOLS_LOCK:
                _TOOLS.setdefault(run, set()).add(key)
        pending = _Pending("tool", key, options)
        if not _SPANS.defer(_cycle_span(event.invocation_state), tool_use_id, pending):
            pending.open(None)

    @guarded(FRAMEWORK)
    def _after_tool(self, event: Any) -> None:
        tool_use = event.tool_use
        run = _run_key(event.agent, event.invocation_state)
        key = ("tool", run, tool_use.get("toolUseId"))
        with _TOOLS_LOCK:
            open_tools = _TOOLS.get(run)
            if open_tools is not None:
                open_tools.discard(key)
        pending = _SPANS.take(key) if _SPANS.pending else None
        if pending is not None:
            pending.open(None)  # cancelled by a hook, or answered by a middleware: no span
        if key not in _TRACKER:
            return
        result = event.result
        content = result.get("content") if isinstance(result, Mapping) else result
        if event.exception is not None:
            _TRACKER.end(key, error=event.exception, result=content)
        elif event.cancel_message is not None:
            _TRACKER.end(key, error=event.cancel_message, error_class="ToolCancelled", result=content)
        elif isinstance(result, Mapping) and result.get("status") == "error":
            failure = "the tool returned an error result"
            _TRACKER.end(key, error=failure, error_class="ToolError", result=content)
        else:
            _TRACKER.end(key, result=content)


_GLOBAL = AgentlogHooks()


class _StrandsInstrumentor(Instrumentor):
    framework = FRAMEWORK

    def __init__(self) -> None:
        super().__init__()
        self._init: Callable[..., Any] | None = None

    def _install(self, **options: Any) -> None:
        require("strands", "strands")
        import strands.agent.agent as agent_module
        from strands.telemetry.tracer import Tracer

        agent_class: Any = agent_module.Agent
        original = agent_class.__init__

        @functools.wraps(original)
        def init(agent: Any, *args: Any, **kwargs: Any) -> None:
            original(agent, *args, **kwargs)
            _attach(agent)

        _SPANS.install(Tracer)
        _CONTENT.cover()
        _GLOBAL.enabled = True
        self._init = original
        agent_class.__init__ = init

    def _remove(self) -> None:
        import strands.agent.agent as agent_module
        from strands.telemetry.tracer import Tracer

        agent_class: Any = agent_module.Agent
        if self._init is not None:
            agent_class.__init__ = self._init
            self._init = None
        _GLOBAL.enabled = False
        _SPANS.remove(Tracer)
        _CONTENT.uncover()


@guarded(FRAMEWORK)
def _attach(agent: Any) -> None:
    agent.hooks.add_hook(_GLOBAL)
    _CONTENT.cover()


_CONTENT = ContentFilter("strands", f"{FRAMEWORK}: a Strands log line")
"""Strands logs a tool call's input and each model request whole, as arguments of its debug lines."""


_INSTRUMENTOR = _StrandsInstrumentor()


def instrument() -> None:
    """Record every Strands agent: its invocations as runs, its model and tool calls in them.

    Idempotent. Raises `ImportError` (naming the ``strands`` extra) when
    Strands Agents is not installed.
    """
    _INSTRUMENTOR.instrument()


def uninstrument() -> None:
    """Stop recording: agents built from now on get no hooks, and those built meanwhile write nothing."""
    _INSTRUMENTOR.uninstrument()
