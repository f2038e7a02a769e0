"""Google ADK: every agent an ADK runner runs is an agentlog run, its model and tool calls in it.

::

    from agentlog.integrations import google_adk

    google_adk.instrument()     # every ADK Runner, made before or after, is recorded
    runner = InMemoryRunner(agent=root_agent, app_name="shop")
    async for event in runner.run_async(user_id=..., session_id=..., new_message=...):
        ...

The adapter is an ADK plugin (`AgentlogPlugin`, a `BasePlugin` named
``"agentlog"``): ``instrument()`` puts it first in the plugin manager of every
`Runner` as the runner is built (ADK has no global plugin registry), so no
other plugin's early answer hides a call from it; ``uninstrument()``
restores `Runner.__init__` and turns the plugin off in runners built
meanwhile. To record only some runners, give them
``plugins=[AgentlogPlugin()]`` (or ``App(plugins=[...])``) instead.

What each ADK callback becomes:

* ``before_agent`` … ``after_agent`` (or ``on_agent_error``; else the
  invocation's ``after_run`` / ``on_run_error``, for an agent whose
  invocation ended early, as a transfer or a callback's answer does) — a run
  with the agent's name, the session and user; a sub-agent (``sub_agents``
  and transfers, an `AgentTool`, the agents of a Sequential/Parallel/Loop
  agent) is a child run of the agent or tool call it ran in.
* ``before_model`` … ``after_model`` (the response that is not partial) /
  ``on_model_error`` — a ``model`` step and its ``llm_result``: the request's
  model, the provider of the model class, ``usage_metadata`` (input =
  ``prompt_token_count`` + ``tool_use_prompt_token_count``, output =
  ``candidates_token_count`` + ``thoughts_token_count``, cache read =
  ``cached_content_token_count``, reasoning = ``thoughts_token_count``, as
  ADK's own telemetry counts them), the finish reason, the error, and the
  request's ``temperature``, ``max_tokens`` (``max_output_tokens``),
  ``top_p`` and ``seed`` from ``LlmRequest.config`` (the agent's
  ``generate_content_config`` as the callbacks left it) when set.
* ``before_tool`` … ``after_tool`` / ``on_tool_error`` — a ``tool`` step and
  its ``tool_call``/``tool_result`` pair under ``ToolContext.function_call_id``
  (the model's ``FunctionCall.id``); the call is the scope in force while
  the tool runs, so the user's own log lines in it carry its IDs.

When ADK's tracer records (an OpenTelemetry SDK tracer provider), ADK makes
the GenAI spans (``invoke_agent``, ``generate_content``, ``execute_tool``):
agentlog adopts each of them rather than opening a second one, and its
lines carry their IDs. ADK opens ``generate_content`` after
``before_model``, so while instrumented the adapter wraps ADK's
``telemetry.tracing.use_inference_span`` to learn it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
import threading
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Any

from .. import _diagnostics
from .._context import CURRENT, SpanRef
from .._vocabulary import COMPLETED, MAX_STEPS
from ._content import ContentFilter
from ._instrumentor import Instrumentor, guarded, require
from ._tracker import Tracker

__all__ = ["AgentlogPlugin", "instrument", "uninstrument"]

FRAMEWORK = "google_adk"
PLUGIN_NAME = "agentlog"
ANSWERED_BY_CALLBACK = "answered_by_callback"
"""The finish reason of a model call opened before a ``before_model`` callback answered for the model."""
_TRACKER = Tracker(FRAMEWORK)

_PROVIDERS_BY_CLASS = {
    "google.adk.models.google_llm": "gcp.gemini",
    "google.adk.models.gemma_llm": "gcp.gemini",
    "google.adk.models.anthropic_llm": "anthropic",
}
"""ADK's model modules and the provider each one calls (LiteLLM: the model name's ``provider/`` prefix)."""


# -- what the callbacks see ----------------------------------------------------------------


def _invocation(context: Any) -> Any:
    """The agent's invocation context behind a callback or tool context (one per agent run)."""
    return getattr(context, "_invocation_context", None)


def _run_key(context: Any) -> Hashable:
    return ("run", id(_invocation(context)))


def _plain(value: Any) -> Any:
    """ADK's pydantic content (``types.Content``, parts) as plain JSON-able data."""
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_none=True)
    return value


def _recording(span: Any) -> SpanRef | None:
    """An OpenTelemetry span's IDs when it is a real, recording span; else None."""
    if span is None or not span.is_recording():
        return None
    context = span.get_span_context()
    if not context.is_valid:
        return None
    return SpanRef(f"{context.trace_id:032x}", f"{context.span_id:016x}", f"{int(context.trace_flags):02x}")


def _current_span() -> Any:
    trace = sys.modules.get("opentelemetry.trace")
    return trace.get_current_span() if trace is not None else None


def _provider_of_litellm(name: str | None) -> str:
    prefix, _, rest = (name or "").partition("/")
    return prefix if rest else "litellm"


def _provider(model: Any, name: str | None) -> str | None:
    """The provider of an ADK model object (by its class), or of a LiteLLM ``provider/model`` name."""
    module = type(model).__module__
    if module == "google.adk.models.lite_llm":
        return _provider_of_litellm(name)
    return _PROVIDERS_BY_CLASS.get(module)


def _model_class(name: str | None) -> Any:
    """The ADK model class its registry gives a model name (``gemini-2.5-flash`` → ``Gemini``), or None."""
    if not name:
        return None
    try:
        from google.adk.models.registry import LLMRegistry

        return LLMRegistry.resolve(name)
    except Exception:  # a name no registered class claims
        return None


def _model_of(context: Any, llm_request: Any) -> tuple[str, str | None]:
    """The model the request names (else the agent's) and its provider."""
    agent = getattr(_invocation(context), "agent", None)
    model = getattr(agent, "model", None)
    name = getattr(llm_request, "model", None) or (model if isinstance(model, str) else None)
    if not name:
        name = getattr(model, "model", None)
    if isinstance(model, str) or model is None:
        cls = _model_class(name)
        provider = _PROVIDERS_BY_CLASS.get(cls.__module__) if cls is not None else None
        if cls is not None and cls.__module__ == "google.adk.models.lite_llm":
            provider = _provider_of_litellm(name)
    else:
        provider = _provider(model, name)
    return (str(name) if name else "unknown"), provider


def _usage(metadata: Any) -> dict[str, Any]:
    """ADK's ``usage_metadata`` as set_usage arguments, counted as ADK's own telemetry counts them."""
    if metadata is None:
        return {}
    prompt = getattr(metadata, "prompt_token_count", None)
    tool_prompt = getattr(metadata, "tool_use_prompt_token_count", None)
    candidates = getattr(metadata, "candidates_token_count", None)
    thoughts = getattr(metadata, "thoughts_token_count", None)
    return {
        "input_tokens": None
        if prompt is None and tool_prompt is None
        else (prompt or 0) + (tool_prompt or 0),
        "output_tokens": None
        if candidates is None and thoughts is None
        else (candidates or 0) + (thoughts or 0),
        "cache_read_input_tokens": getattr(metadata, "cached_content_token_count", None),
        "reasoning_output_tokens": thoughts,
    }


def _finish_reason(reason: Any) -> str | None:
    if reason is None:
        return None
    name = getattr(reason, "name", None) or str(reason)
    return str(name).lower()


def _request(llm_request: Any) -> dict[str, Any]:
    """The request's parameters: its ``GenerateContentConfig`` (the agent's ``generate_content_config``)."""
    config = getattr(llm_request, "config", None)
    return {
        "temperature": getattr(config, "temperature", None),
        "max_tokens": getattr(config, "max_output_tokens", None),
        "top_p": getattr(config, "top_p", None),
        "seed": getattr(config, "seed", None),
    }


def _prompt(llm_request: Any) -> list[Any]:
    """The request's system instruction and contents, as plain messages."""
    prompt: list[Any] = []
    config = getattr(llm_request, "config", None)
    system = getattr(config, "system_instruction", None)
    if system:
        prompt.append({"role": "system", "content": _plain(system)})
    prompt.extend(_plain(getattr(llm_request, "contents", None) or []))
    return prompt


# -- model calls whose ADK span opens after before_model -------------------------------------


class _Pending:
    """A model call waiting for ADK's ``generate_content`` span."""

    __slots__ = ("key", "llm_request", "options", "prompt")

    def __init__(self, key: Hashable, options: dict[str, Any], prompt: Any, llm_request: Any) -> None:
        self.key = key
        self.options = options
        self.prompt = prompt
        self.llm_request = llm_request

    def open(self, span: SpanRef | None) -> None:
        # The request's settings are read as late as possible: once ADK opens
        # its span, every before_model callback has had its say on them.
        _TRACKER.llm(self.key, span=span, request=_request(self.llm_request), **self.options)
        _TRACKER.usage(self.key, prompt=self.prompt)


class _Spans:
    """ADK's ``use_inference_span``, wrapped so a pending model call opens under ADK's own span."""

    def __init__(self) -> None:
        self.pending: dict[int, _Pending] = {}
        self.original: Callable[..., Any] | None = None
        self.lock = threading.Lock()

    def defer(self, llm_request: Any, pending: _Pending) -> bool:
        """Hold *pending* until ADK really calls the model; False when the wrapper is not installed.

        ADK enters ``use_inference_span`` for every model call it makes (its
        span recording or not) and for none a ``before_model`` callback
        answers: a call that never gets there is no model call.
        """
        if self.original is None:
            return False
        with self.lock:
            self.pending[id(llm_request)] = pending
        return True

    def take(self, key: Hashable) -> _Pending | None:
        """The pending call under *key* that ADK never made (a callback answered instead)."""
        with self.lock:
            for slot, pending in self.pending.items():
                if pending.key == key:
                    del self.pending[slot]
                    return pending
        return None

    def opened(self, llm_request: Any, gc_span: Any) -> None:
        """ADK opened the span for *llm_request* (never raises)."""
        try:
            if not self.pending:
                return
            with self.lock:
                pending = self.pending.pop(id(llm_request), None)
            if pending is not None:
                pending.open(_recording(getattr(gc_span, "span", None)))
        except Exception as exc:
            _diagnostics.report(f"{FRAMEWORK} adapter failed to adopt a span", exc)

    def install(self, tracing: Any) -> None:
        if self.original is not None:
            return
        original = tracing.use_inference_span
        spans = self

        @contextlib.asynccontextmanager
        @functools.wraps(original)
        async def use_inference_span(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            async with original(*args, **kwargs) as gc_span:
                spans.opened(kwargs.get("llm_request", args[0] if args else None), gc_span)
                yield gc_span

        self.original = original
        tracing.use_inference_span = use_inference_span

    def remove(self, tracing: Any) -> None:
        if self.original is not None:
            tracing.use_inference_span = self.original
            self.original = None
        with self.lock:
            pending, self.pending = list(self.pending.values()), {}
        for entry in pending:  # calls in flight: opened now, so their end callbacks close them
            guarded(FRAMEWORK)(entry.open)(None)


_SPANS = _Spans()

_RUNS: dict[str, list[Hashable]] = {}
"""Each ADK invocation's runs not ended yet (an agent whose invocation ended early gets no after_agent)."""
_RUNS_LOCK = threading.Lock()


def _forget(invocation_id: Any, key: Hashable) -> None:
    with _RUNS_LOCK:
        keys = _RUNS.get(invocation_id)
        if keys is not None and key in keys:
            keys.remove(key)


def _parent_run(invocation_id: Any) -> Hashable | None:
    """The run a new agent run of *invocation_id* is the child of; None for the scope in force.

    The scope in force when it is this invocation's (a Sequential or Parallel
    agent's children run under it); else the invocation's innermost open run:
    an agent transferred to runs elsewhere, in a task of ADK's own.
    """
    with _RUNS_LOCK:
        keys = list(_RUNS.get(invocation_id, ()))
    if not keys:
        return None
    current = CURRENT.get()
    if current is not None:
        for key in keys:
            ctx = _TRACKER.context(key)
            if ctx is not None and ctx.run_id == current.run_id:
                return None
    return keys[-1]


def _open_run(key: Hashable, agent: Any, invocation: Any) -> None:
    """Open the run, adopting ADK's ``invoke_agent`` span when it records one."""
    session = getattr(invocation, "session", None)
    options: dict[str, Any] = {
        "parent": _parent_run(getattr(invocation, "invocation_id", "")),
        "task": _plain(getattr(invocation, "user_content", None)),
        "metadata": {"agent": getattr(agent, "name", None) or type(agent).__name__, "framework": FRAMEWORK},
        "session_id": getattr(session, "id", None),
        "user_id": getattr(invocation, "user_id", None),
        "activate": True,
    }
    span = _current_span()
    ref = _recording(span)
    if ref is None:
        _TRACKER.run(key, **options)
    else:
        # ADK's span is the current one here: open the run as if under its parent, so the run's
        # parent span is the span's parent, not the span itself.
        from opentelemetry import context as otel_context
        from opentelemetry import trace as otel_trace

        parent = getattr(span, "parent", None)
        outer = otel_trace.NonRecordingSpan(parent) if parent is not None else otel_trace.INVALID_SPAN
        token = otel_context.attach(otel_trace.set_span_in_context(outer))
        try:
            _TRACKER.run(key, span=ref, **options)
        finally:
            otel_context.detach(token)
    if key in _TRACKER:
        with _RUNS_LOCK:
            _RUNS.setdefault(getattr(invocation, "invocation_id", ""), []).append(key)


def _close_runs(invocation_id: Any, error: BaseException | None) -> None:
    """End the runs of an invocation that no after_agent ended, innermost first."""
    with _RUNS_LOCK:
        keys = _RUNS.pop(invocation_id, None)
    for key in reversed(keys or ()):
        _settle(key)
        _end_run(key, error)


def _make_plugin_class() -> type:
    """The plugin class, built on ADK's `BasePlugin` once ADK is imported."""
    from google.adk.plugins.base_plugin import BasePlugin

    class _Plugin(BasePlugin):
        def __init__(self, name: str = PLUGIN_NAME) -> None:
            super().__init__(name=name)
            self.enabled = True

        # -- runs ----------------------------------------------------------------------------

        async def before_agent_callback(self, *, agent: Any, callback_context: Any) -> None:
            if self.enabled:
                _CONTENT.cover()  # also for a plugin given to a runner without instrument()
                _before_agent(agent, callback_context)

        async def after_agent_callback(self, *, agent: Any, callback_context: Any) -> None:
            _after_agent(agent, callback_context, None)

        async def on_agent_error_callback(
            self, *, agent: Any, callback_context: Any, error: Exception
        ) -> None:
            _after_agent(agent, callback_context, error)

        async def after_run_callback(self, *, invocation_context: Any) -> None:
            _after_run(invocation_context, None)

        async def on_run_error_callback(self, *, invocation_context: Any, error: Exception) -> None:
            _after_run(invocation_context, error)

        # -- model calls ---------------------------------------------------------------------

        async def before_model_callback(self, *, callback_context: Any, llm_request: Any) -> None:
            _before_model(callback_context, llm_request)

        async def after_model_callback(self, *, callback_context: Any, llm_response: Any) -> None:
            _after_model(callback_context, llm_response)

        async def on_model_error_callback(
            self, *, callback_context: Any, llm_request: Any, error: Exception
        ) -> None:
            _model_error(callback_context, error)

        # -- tool calls ----------------------------------------------------------------------

        async def before_tool_callback(self, *, tool: Any, tool_args: Any, tool_context: Any) -> None:
            if self.enabled or _run_key(tool_context) in _TRACKER:
                _before_tool(tool, tool_args, tool_context)

        async def after_tool_callback(
            self, *, tool: Any, tool_args: Any, tool_context: Any, result: Any
        ) -> None:
            _after_tool(tool_context, result, None)

        async def on_tool_error_callback(
            self, *, tool: Any, tool_args: Any, tool_context: Any, error: BaseException
        ) -> None:
            _after_tool(tool_context, None, error)

    _Plugin.__name__ = _Plugin.__qualname__ = "AgentlogPlugin"
    _Plugin.__module__ = __name__
    _Plugin.__doc__ = AgentlogPlugin.__doc__
    return _Plugin


@guarded(FRAMEWORK)
def _before_agent(agent: Any, callback_context: Any) -> None:
    invocation = _invocation(callback_context)
    if invocation is not None:
        _open_run(("run", id(invocation)), agent, invocation)


@guarded(FRAMEWORK)
def _after_agent(agent: Any, callback_context: Any, error: BaseException | None) -> None:
    invocation = _invocation(callback_context)
    key = ("run", id(invocation))
    if key not in _TRACKER:
        return
    _forget(getattr(invocation, "invocation_id", ""), key)
    _settle(key)
    _end_run(key, error if error is not None else sys.exc_info()[1])


def _end_run(key: Hashable, failure: BaseException | None) -> None:
    if isinstance(failure, asyncio.CancelledError):
        _TRACKER.end(key, error=failure, stop_reason="cancelled")
    elif type(failure).__name__ == "LlmCallsLimitExceededError":  # RunConfig(max_llm_calls=...)
        _TRACKER.end(key, error=failure, stop_reason=MAX_STEPS)
    elif failure is not None:
        _TRACKER.end(key, error=failure)
    else:
        _TRACKER.end(key, stop_reason=COMPLETED)


@guarded(FRAMEWORK)
def _after_run(invocation_context: Any, error: BaseException | None) -> None:
    _close_runs(getattr(invocation_context, "invocation_id", ""), error)


@guarded(FRAMEWORK)
def _settle(run: Hashable) -> None:
    """Forget the run's model call a ``before_model`` callback answered (ADK calls no after_model then).

    Deferred, it was never opened: dropped. Opened already (a plugin given
    to a runner without ``instrument()``, so no deferral), it is ended as
    answered by a callback, so the run's next model call is not refused.
    """
    key = ("llm", run)
    if _SPANS.pending:
        _SPANS.take(key)
    if key in _TRACKER:
        _TRACKER.usage(key, finish_reason=ANSWERED_BY_CALLBACK)
        _TRACKER.end(key)


@guarded(FRAMEWORK)
def _before_model(callback_context: Any, llm_request: Any) -> None:
    run = _run_key(callback_context)
    if run not in _TRACKER:
        return
    _settle(run)
    model, provider = _model_of(callback_context, llm_request)
    pending = _Pending(
        ("llm", run),
        {"model": model, "provider": provider, "parent": run},
        _prompt(llm_request),
        llm_request,
    )
    if not _SPANS.defer(llm_request, pending):
        pending.open(None)


def _started(key: Hashable) -> bool:
    """Whether the model call under *key* is open, opening it now if ADK never opened its span."""
    pending = _SPANS.take(key) if _SPANS.pending else None
    if pending is not None:
        pending.open(None)  # a callback answered for the model: ADK opened no span
    return key in _TRACKER


@guarded(FRAMEWORK)
def _after_model(callback_context: Any, llm_response: Any) -> None:
    if getattr(llm_response, "partial", None):
        return  # a streamed chunk: the call ends with the response that is not partial
    key = ("llm", _run_key(callback_context))
    if not _started(key):
        return
    _TRACKER.usage(
        key,
        finish_reason=_finish_reason(getattr(llm_response, "finish_reason", None)),
        model=getattr(llm_response, "model_version", None),
        completion=_plain(getattr(llm_response, "content", None)),
        **_usage(getattr(llm_response, "usage_metadata", None)),
    )
    code = getattr(llm_response, "error_code", None)
    if code:
        message = getattr(llm_response, "error_message", None) or ""
        _TRACKER.end(key, error=str(message), error_class=str(code), escaped=True)
    else:
        _TRACKER.end(key)


@guarded(FRAMEWORK)
def _model_error(callback_context: Any, error: BaseException) -> None:
    key = ("llm", _run_key(callback_context))
    if _started(key):
        _TRACKER.end(key, error=error, escaped=True)


@guarded(FRAMEWORK)
def _before_tool(tool: Any, tool_args: Any, tool_context: Any) -> None:
    run = _run_key(tool_context)
    call_id = getattr(tool_context, "function_call_id", None)
    _TRACKER.tool(
        ("tool", run, call_id),
        str(getattr(tool, "name", None) or type(tool).__name__),
        tool_args,
        tool_call_id=str(call_id) if call_id is not None else None,
        parent=run if run in _TRACKER else None,
        activate=True,
        span=_recording(_current_span()),
    )


@guarded(FRAMEWORK)
def _after_tool(tool_context: Any, result: Any, error: BaseException | None) -> None:
    key = ("tool", _run_key(tool_context), getattr(tool_context, "function_call_id", None))
    if key not in _TRACKER:
        return  # ended already: an error callback answered for the tool
    if error is not None:
        _TRACKER.end(key, error=error)
    else:
        _TRACKER.end(key, result=result)


class _PluginFactory:
    """Makes the ADK plugin class on first use (ADK is imported only then)."""

    def __init__(self) -> None:
        self.cls: type | None = None
        self.lock = threading.Lock()

    def get(self) -> type:
        with self.lock:
            if self.cls is None:
                require("google.adk", "google_adk")
                self.cls = _make_plugin_class()
            return self.cls


_FACTORY = _PluginFactory()


class AgentlogPlugin:
    """An ADK plugin that records each agent a runner runs, and its model and tool calls.

    ``AgentlogPlugin()`` makes an instance of an ADK `BasePlugin` subclass
    named ``"agentlog"``: give it to a runner (``Runner(..., plugins=[...])``
    or ``App(plugins=[...])``) to record only that runner's agents;
    ``instrument()`` adds one to every runner. A runner holds at most one
    (``instrument()`` leaves a runner that has one as it is).
    """

    def __new__(cls, name: str = PLUGIN_NAME) -> Any:  # noqa: D102 - the class docstring says it
        return _FACTORY.get()(name)


_CONTENT = ContentFilter("google_adk", f"{FRAMEWORK}: an ADK log line", "google_adk.google.adk.models")
"""ADK's model classes log each request and response whole at debug level, as text already built."""


class _AdkInstrumentor(Instrumentor):
    framework = FRAMEWORK

    def __init__(self) -> None:
        super().__init__()
        self._init: Callable[..., Any] | None = None
        self.plugin: Any = None

    def _install(self, **options: Any) -> None:
        require("google.adk", "google_adk")
        import google.adk.runners as runners
        import google.adk.telemetry.tracing as tracing

        if self.plugin is None:
            self.plugin = AgentlogPlugin()
        plugin = self.plugin
        runner_class: Any = runners.Runner
        original = runner_class.__init__

        @functools.wraps(original)
        def init(runner: Any, *args: Any, **kwargs: Any) -> None:
            original(runner, *args, **kwargs)
            _attach(runner, plugin)

        _SPANS.install(tracing)
        _CONTENT.cover()
        plugin.enabled = True
        self._init = original
        runner_class.__init__ = init

    def _remove(self) -> None:
        import google.adk.runners as runners
        import google.adk.telemetry.tracing as tracing

        runner_class: Any = runners.Runner
        if self._init is not None:
            runner_class.__init__ = self._init
            self._init = None
        if self.plugin is not None:
            self.plugin.enabled = False
        _SPANS.remove(tracing)
        _CONTENT.uncover()


@guarded(FRAMEWORK)
def _attach(runner: Any, plugin: Any) -> None:
    manager = getattr(runner, "plugin_manager", None)
    plugins = getattr(manager, "plugins", None)
    if isinstance(plugins, list) and not any(getattr(p, "name", None) == PLUGIN_NAME for p in plugins):
        plugins.insert(0, plugin)
    _CONTENT.cover()


_INSTRUMENTOR = _AdkInstrumentor()


def instrument() -> None:
    """Record every ADK runner's agents: each agent a run, its model and tool calls in it.

    Idempotent. Raises `ImportError` (naming the ``google_adk`` extra) when
    Google ADK is not installed.
    """
    _INSTRUMENTOR.instrument()


def uninstrument() -> None:
    """Stop recording: runners built from now on get no plugin, and those built meanwhile write nothing."""
    _INSTRUMENTOR.uninstrument()
