"""LangChain and LangGraph: every chain, graph, model call and tool call as agentlog runs and events.

::

    from agentlog.integrations import langchain

    langchain.instrument()              # every LangChain / LangGraph call from now on
    graph.invoke({"messages": [...]})   # no call site changes

    # or for one call only:
    graph.invoke(inputs, config={"callbacks": [langchain.AgentlogCallbackHandler()]})

`instrument` registers one `AgentlogCallbackHandler` with langchain-core's
configure hooks (``langchain_core.tracers.context.register_configure_hook``,
the mechanism LangSmith's tracer uses), so every callback manager langchain
builds — in any thread or task — includes it; `uninstrument` takes it out
of that list again. A handler passed per call wins over the global one
(langchain adds the global handler only where no handler of its class is
present), so a run is never recorded twice.

What maps to what:

* the outermost chain or graph (a callback run without a parent) → an
  agentlog run (a child run inside ``with agentlog.run()``), named by the
  chain's or graph's name (``metadata agent``); chains nested in it (graph
  nodes, sequences, prompts) are not runs;
* a LangGraph graph nested in another (a subgraph or sub-agent used as a
  node) and any chain run inside a tool (an agent called as a tool) → a
  child run;
* ``on_chat_model_start`` / ``on_llm_start`` … ``on_llm_end`` → an
  ``llm_result`` in a ``model`` step: the model and provider (``ls_provider``),
  the request's ``temperature``, ``max_tokens``, ``top_p`` and ``seed`` (its
  invocation parameters, the call's own keyword arguments over the model's
  settings; else ``ls_temperature`` / ``ls_max_tokens``), the token counts
  of ``AIMessage.usage_metadata`` (cache reads and writes, reasoning
  tokens), the finish reason, the latency; ``on_llm_error`` → the
  same, failed;
* ``on_tool_start`` … ``on_tool_end`` / ``on_tool_error`` → a ``tool_call``
  / ``tool_result`` pair in a ``tool`` step, under the model's own
  tool-call ID; a tool that raised (or answered with an error
  ``ToolMessage``) with its error class and message.

The tool call is the scope in force while the tool body runs (langchain
copies the context for the tool after ``on_tool_start``), so the user's own
structlog and stdlib lines inside a tool carry ``run_id``, ``step_id`` and
``tool_call_id``; the run is in force inside the graph's own nodes.
Arguments, results, prompts and completions follow agentlog's capture
policy (hashed by default). LangChain emits no OpenTelemetry spans of its
own: with ``configure(otel_spans=True)`` agentlog's span per operation is
the only one.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from .. import _diagnostics
from .._context import CURRENT, RunContext
from .._scopes import Run, ToolCall
from ._instrumentor import Instrumentor, guarded, require
from ._request import first_set
from ._tracker import Tracker

__all__ = ["AgentlogCallbackHandler", "instrument", "uninstrument"]

FRAMEWORK = "langchain"

MAX_CHAINS = 10_000
"""Nested chains one handler remembers at once; beyond it the oldest is forgotten (chains that never end)."""

_ROOT: Hashable = object()
"""A callback run with no parent this handler knows: the outermost one."""

_GRAPH_STEP = "graph:step:"
"""The tag LangGraph gives each node it runs: the node's parent is a graph."""

_INTERRUPTED = "interrupted"
_HANDOFF = "handoff"

_MAX_DEPTH = 6


# -- content under the capture policy -------------------------------------------


def _plain(value: Any, depth: int = 0) -> Any:
    """*value* with LangChain messages as OpenAI-shaped dicts (what the capture policy and spans read)."""
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if _is_message(value):
        return _message(value)
    if isinstance(value, Mapping):
        return {key: _plain(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item, depth + 1) for item in value]
    return value


_MESSAGE: Any = None


def _is_message(value: Any) -> bool:
    global _MESSAGE
    if _MESSAGE is None:
        from langchain_core.messages import BaseMessage

        _MESSAGE = BaseMessage
    return isinstance(value, _MESSAGE)


_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool", "function": "function"}


def _message(message: Any) -> dict[str, Any]:
    """A LangChain message as an OpenAI-shaped message (role, content, tool calls), cheaply."""
    kind = getattr(message, "type", None)
    role = _ROLES.get(kind) if isinstance(kind, str) else None
    if role is None:
        custom = getattr(message, "role", None)  # ChatMessage
        role = custom if isinstance(custom, str) else str(kind or "user")
    converted: dict[str, Any] = {"role": role}
    content = getattr(message, "content", None)
    calls = getattr(message, "tool_calls", None)
    if content or not calls:
        converted["content"] = content
    if calls:
        converted["tool_calls"] = [
            {
                "id": call.get("id"),
                "type": "function",
                "function": {"name": call.get("name"), "arguments": call.get("args")},
            }
            for call in calls
            if isinstance(call, Mapping)
        ]
    tool_call_id = getattr(message, "tool_call_id", None)
    if tool_call_id is not None:
        converted["tool_call_id"] = tool_call_id
    name = getattr(message, "name", None)
    if isinstance(name, str) and name:
        converted["name"] = name
    return converted


# -- what a model reported ------------------------------------------------------


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _model_of(serialized: Any, kwargs: Mapping[str, Any], metadata: Mapping[str, Any]) -> str:
    """The model a call asks for: invocation parameters, LangSmith's ``ls_model_name``, else the class."""
    params = kwargs.get("invocation_params")
    if isinstance(params, Mapping):
        for name in ("model", "model_name", "model_id", "deployment_name"):
            found = _text(params.get(name))
            if found:
                return found
    found = _text(metadata.get("ls_model_name"))
    if found:
        return found
    if isinstance(serialized, Mapping):
        found = _text(serialized.get("name"))
        if found:
            return found
        ids = serialized.get("id")
        if isinstance(ids, list) and ids and isinstance(ids[-1], str):
            return ids[-1]
    return _text(kwargs.get("name")) or "unknown"


_MAX_TOKENS = ("max_tokens", "max_completion_tokens", "max_output_tokens", "max_new_tokens", "num_predict")
"""What providers' chat models call the output token limit in their invocation parameters."""


def _request_of(kwargs: Mapping[str, Any], metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The request's sampling parameters: its invocation parameters, else LangSmith's ``ls_*`` metadata.

    The invocation parameters are the model's own settings with the call's
    keyword arguments (``bind``, ``invoke(..., temperature=...)``) over
    them; a provider that leaves a setting unset gives None, never a default.
    """
    params = kwargs.get("invocation_params")
    found = first_set([params if isinstance(params, Mapping) else {}], _MAX_TOKENS)
    for name in ("temperature", "max_tokens"):
        if found[name] is None:
            found[name] = metadata.get(f"ls_{name}")
    return found


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _response_usage(response: Any) -> dict[str, Any]:
    """Token counts, finish reason, model and completion from an ``LLMResult``."""
    usage: dict[str, Any] = {}
    generations = getattr(response, "generations", None) or []
    first = generations[0][0] if generations and generations[0] else None
    message = getattr(first, "message", None)
    reported = getattr(message, "usage_metadata", None)
    if isinstance(reported, Mapping):
        usage["input_tokens"] = _count(reported.get("input_tokens"))
        usage["output_tokens"] = _count(reported.get("output_tokens"))
        details = reported.get("input_token_details")
        if isinstance(details, Mapping):
            usage["cache_read_input_tokens"] = _count(details.get("cache_read"))
            usage["cache_creation_input_tokens"] = _count(details.get("cache_creation"))
        details = reported.get("output_token_details")
        if isinstance(details, Mapping):
            usage["reasoning_output_tokens"] = _count(details.get("reasoning"))
    llm_output = getattr(response, "llm_output", None)
    if not isinstance(llm_output, Mapping):
        llm_output = {}
    if not isinstance(reported, Mapping):
        token_usage = llm_output.get("token_usage") or llm_output.get("usage")
        if isinstance(token_usage, Mapping):
            usage["input_tokens"] = _count(token_usage.get("prompt_tokens", token_usage.get("input_tokens")))
            usage["output_tokens"] = _count(
                token_usage.get("completion_tokens", token_usage.get("output_tokens"))
            )
    metadata = getattr(message, "response_metadata", None)
    if not isinstance(metadata, Mapping):
        metadata = {}
    info = getattr(first, "generation_info", None)
    if not isinstance(info, Mapping):
        info = {}
    for source, name in (
        (info, "finish_reason"),
        (metadata, "finish_reason"),
        (metadata, "stop_reason"),
        (metadata, "done_reason"),
        (info, "stop_reason"),
    ):
        reason = source.get(name)
        if reason is not None:
            value = reason if isinstance(reason, str) else getattr(reason, "value", reason)
            usage["finish_reason"] = str(value)
            break
    for source, name in (
        (metadata, "model_name"),
        (metadata, "model"),
        (metadata, "model_id"),
        (llm_output, "model_name"),
        (llm_output, "model"),
    ):
        model = _text(source.get(name))
        if model:
            usage["model"] = model
            break
    if message is not None:
        usage["completion"] = _plain(message)
    elif first is not None:
        usage["completion"] = getattr(first, "text", None)
    return usage


def _failed_tool_message(output: Any) -> str | None:
    """The error text of a ``ToolMessage`` a tool answered with ``status="error"``, else None."""
    if getattr(output, "status", None) != "error":
        return None
    content = getattr(output, "content", "")
    return content if isinstance(content, str) else str(content)


def _tool_result(output: Any) -> Any:
    """What a tool returned: a ``ToolMessage``'s content (and artifact), else the value."""
    if _is_message(output):
        artifact = getattr(output, "artifact", None)
        content = _plain(getattr(output, "content", None))
        return content if artifact is None else {"content": content, "artifact": _plain(artifact)}
    return _plain(output)


def _bubble_up(error: BaseException) -> str | None:
    """LangGraph's control flow raised as exceptions: a hand-off to the parent graph or an interrupt."""
    names = {cls.__name__ for cls in type(error).__mro__}
    if "ParentCommand" in names:
        return _HANDOFF
    if "GraphInterrupt" in names:
        return _INTERRUPTED
    if "GraphBubbleUp" in names:
        return "cancelled"  # GraphDrained: the graph was asked to stop
    return None


def _stop_reason(error: BaseException) -> str | None:
    """The stop reason an error gives a run where agentlog would not infer it."""
    if type(error).__name__ == "GraphRecursionError":
        return "max_steps"
    if isinstance(error, GeneratorExit):
        return "cancelled"  # the caller stopped reading the stream
    return None


_LAST_RUN: ContextVar[tuple[Hashable, RunContext | None, Hashable | None] | None] = ContextVar(
    "agentlog.langchain_last_run", default=None
)
"""The run last put in force in this context: its key, what was in force before it, its parent."""


class _Chain:
    """A chain nested in a tracked scope: that scope, and what a run needs should the chain prove a graph."""

    __slots__ = ("metadata", "name", "owner")

    def __init__(self, owner: Hashable, name: str, metadata: Mapping[str, Any] | None) -> None:
        self.owner = owner
        self.name = name
        self.metadata = metadata


class _Hooks:
    """The callback methods; `AgentlogCallbackHandler` adds langchain-core's base class to them."""

    run_inline = True
    """Called in the calling context (never on an executor thread): the tool call is in force in its body."""

    raise_error = False

    def __init__(self, tracker: Tracker | None = None) -> None:
        self._tracker = tracker if tracker is not None else Tracker(FRAMEWORK)
        self._chains: dict[Hashable, _Chain] = {}
        self._wrapped: set[Hashable] = set()
        self._fresh: set[Hashable] = set()  # runs put in force that have not begun their work
        self._interrupted: set[Hashable] = set()
        self._lock = threading.Lock()

    @property
    def tracker(self) -> Tracker:
        """The tracker holding this handler's open scopes."""
        return self._tracker

    # -- where a callback run belongs ------------------------------------------

    def _owner(self, parent_run_id: Hashable | None) -> Hashable:
        """The tracked scope a callback run with this parent belongs to, or `_ROOT`."""
        if parent_run_id is None:
            return _ROOT
        if parent_run_id in self._tracker:
            self._fresh.discard(parent_run_id)
            return parent_run_id
        chain = self._chains.get(parent_run_id)
        return chain.owner if chain is not None else _ROOT

    def _remember(self, run_id: Hashable, chain: _Chain) -> None:
        self._chains[run_id] = chain
        if len(self._chains) > MAX_CHAINS:
            with self._lock:
                oldest = next(iter(self._chains), None)
                if oldest is not None:
                    self._chains.pop(oldest, None)
            _diagnostics.report(f"{FRAMEWORK}: too many chains never ended; the oldest was forgotten")

    def _open_run(
        self,
        key: Hashable,
        name: str,
        metadata: Mapping[str, Any] | None,
        *,
        parent: Hashable | None,
        task: Any = None,
        activate: bool = True,
    ) -> RunContext | None:
        meta = metadata if isinstance(metadata, Mapping) else {}
        user_id = _text(meta.get("user_id"))
        session_id = _text(meta.get("session_id")) or _text(meta.get("thread_id"))
        last = _LAST_RUN.get()
        if activate and last is not None and last[0] in self._fresh and last[2] == parent:
            # RunnableSequence.batch starts every input's run in one context before any of them
            # has begun its work: none is put in force there (the first is taken out again), and
            # each is a run of its own under what was in force before the first.
            activate = False
            if CURRENT.get() is self._tracker.context(last[0]):
                CURRENT.set(last[1])
        previous = CURRENT.get()
        ctx = self._tracker.run(
            key,
            parent=parent,
            task=task,
            user_id=user_id,
            session_id=session_id,
            metadata={"agent": name, "framework": FRAMEWORK},
            activate=activate,
        )
        if activate and ctx is not None:
            self._fresh.add(key)
            _LAST_RUN.set((key, previous, parent))
        return ctx

    def _end_run(self, key: Hashable, **outcome: Any) -> None:
        self._tracker.end(key, **outcome)
        self._fresh.discard(key)

    def _call_parent(self, run_id: Hashable, parent_run_id: Hashable | None, name: str) -> Hashable | None:
        """The tracker parent for a model or tool call: its scope, the one in force, or a run of its own."""
        owner = self._owner(parent_run_id)
        if owner is not _ROOT:
            return owner
        if CURRENT.get() is not None:
            return None  # a bare call inside an agentlog scope: part of it
        key = ("run", run_id)
        self._open_run(key, name, None, parent=None, activate=False)
        self._wrapped.add(key)
        return key

    def _end_wrapper(self, run_id: Hashable, **outcome: Any) -> None:
        key = ("run", run_id)
        if key in self._wrapped:
            self._wrapped.discard(key)
            self._end_run(key, **outcome)

    # -- chains and graphs ------------------------------------------------------

    @guarded(FRAMEWORK)
    def on_chain_start(
        self,
        serialized: Any,
        inputs: Any,
        *,
        run_id: Hashable,
        parent_run_id: Hashable | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """A chain or graph starts: the outermost one (or one inside a tool) opens a run."""
        name = _text(kwargs.get("name")) or (
            _text(serialized.get("name")) if isinstance(serialized, Mapping) else None
        )
        owner = self._owner(parent_run_id)
        if owner is _ROOT:
            self._open_run(run_id, name or "chain", metadata, parent=None, task=_plain(inputs))
            return
        if isinstance(self._tracker.scope(owner), ToolCall):
            self._open_run(run_id, name or "chain", metadata, parent=owner, task=_plain(inputs))
            return
        if tags and parent_run_id is not None and any(tag.startswith(_GRAPH_STEP) for tag in tags):
            owner = self._promote(parent_run_id, owner)
        self._remember(run_id, _Chain(owner, name or "chain", metadata))

    def _promote(self, graph_run_id: Hashable, owner: Hashable) -> Hashable:
        """A nested chain whose children are LangGraph steps is a (sub)graph: a child run."""
        with self._lock:  # parallel first nodes: the graph opens once, before any of them goes on
            chain = self._chains.pop(graph_run_id, None)
            if chain is not None:
                owner = chain.owner
                self._open_run(graph_run_id, chain.name, chain.metadata, parent=owner, activate=False)
        return graph_run_id if graph_run_id in self._tracker else owner

    @guarded(FRAMEWORK)
    def on_chain_end(self, outputs: Any, *, run_id: Hashable, **kwargs: Any) -> None:
        """A chain ends; a run ends with it (``interrupted`` when a LangGraph node paused it)."""
        if self._chains.pop(run_id, None) is not None:
            return
        if isinstance(self._tracker.scope(run_id), Run):
            interrupted = run_id in self._interrupted
            self._interrupted.discard(run_id)
            self._end_run(run_id, stop_reason=_INTERRUPTED if interrupted else None)

    @guarded(FRAMEWORK)
    def on_chain_error(self, error: BaseException, *, run_id: Hashable, **kwargs: Any) -> None:
        """A chain failed; a run fails with it (a LangGraph hand-off or interrupt is no failure)."""
        flow = _bubble_up(error)
        chain = self._chains.pop(run_id, None)
        if chain is not None:
            if flow == _INTERRUPTED and isinstance(self._tracker.scope(chain.owner), Run):
                self._interrupted.add(chain.owner)  # a node called interrupt(): the graph pauses
            return
        if not isinstance(self._tracker.scope(run_id), Run):
            return
        self._interrupted.discard(run_id)
        if flow is not None:
            self._end_run(run_id, stop_reason=flow)
        else:
            self._end_run(run_id, error=error, stop_reason=_stop_reason(error))

    # -- model calls ----------------------------------------------------------

    def _start_llm(
        self,
        serialized: Any,
        prompt: Any,
        run_id: Hashable,
        parent_run_id: Hashable | None,
        metadata: Mapping[str, Any] | None,
        kwargs: Mapping[str, Any],
    ) -> None:
        meta = metadata if isinstance(metadata, Mapping) else {}
        model = _model_of(serialized, kwargs, meta)
        parent = self._call_parent(run_id, parent_run_id, model)
        batch = kwargs.get("batch_size")
        self._tracker.llm(
            run_id,
            model,
            provider=_text(meta.get("ls_provider")),
            parent=parent,
            # one start per prompt of a batch, all in one context: none put in force
            activate=not isinstance(batch, int) or batch <= 1,
            request=_request_of(kwargs, meta),
        )
        self._tracker.usage(run_id, prompt=prompt)

    @guarded(FRAMEWORK)
    def on_chat_model_start(
        self,
        serialized: Any,
        messages: list[list[Any]],
        *,
        run_id: Hashable,
        parent_run_id: Hashable | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """A chat model call starts: an LLM call in a ``model`` step, its messages as the prompt."""
        prompt = _plain(messages[0] if len(messages) == 1 else messages)
        self._start_llm(serialized, prompt, run_id, parent_run_id, metadata, kwargs)

    @guarded(FRAMEWORK)
    def on_llm_start(
        self,
        serialized: Any,
        prompts: list[str],
        *,
        run_id: Hashable,
        parent_run_id: Hashable | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """A text-completion model call starts: an LLM call, its prompt text as the prompt."""
        prompt = prompts[0] if len(prompts) == 1 else list(prompts)
        self._start_llm(serialized, prompt, run_id, parent_run_id, metadata, kwargs)

    @guarded(FRAMEWORK)
    def on_llm_end(self, response: Any, *, run_id: Hashable, **kwargs: Any) -> None:
        """A model call answered: its usage, finish reason, model and completion; ``llm_result``."""
        if run_id in self._tracker:
            self._tracker.usage(run_id, **_response_usage(response))
            self._tracker.end(run_id)
        self._end_wrapper(run_id)

    @guarded(FRAMEWORK)
    def on_llm_error(self, error: BaseException, *, run_id: Hashable, **kwargs: Any) -> None:
        """A model call failed: ``llm_result`` with the error."""
        self._tracker.end(run_id, error=error, escaped=True)
        self._end_wrapper(run_id, error=error)

    # -- tool calls -----------------------------------------------------------

    @guarded(FRAMEWORK)
    def on_tool_start(
        self,
        serialized: Any,
        input_str: str,
        *,
        run_id: Hashable,
        parent_run_id: Hashable | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """A tool starts: ``tool_call`` under the model's tool-call ID, in force while the tool runs."""
        name = (_text(serialized.get("name")) if isinstance(serialized, Mapping) else None) or _text(
            kwargs.get("name")
        )
        name = name or "tool"
        parent = self._call_parent(run_id, parent_run_id, name)
        tool_call_id = kwargs.get("tool_call_id")
        self._tracker.tool(
            run_id,
            name,
            _plain(inputs) if inputs is not None else input_str,
            tool_call_id=tool_call_id if isinstance(tool_call_id, str) and tool_call_id else None,
            parent=parent,
            activate=True,
        )

    @guarded(FRAMEWORK)
    def on_tool_end(self, output: Any, *, run_id: Hashable, **kwargs: Any) -> None:
        """A tool returned: ``tool_result`` (failed when it answered with an error ``ToolMessage``)."""
        failure = _failed_tool_message(output)
        if failure is not None:
            self._tracker.end(run_id, error=failure, error_class="ToolException", result=_tool_result(output))
            self._end_wrapper(run_id, error=failure, error_class="ToolException")
            return
        self._tracker.end(run_id, result=_tool_result(output))
        self._end_wrapper(run_id)

    @guarded(FRAMEWORK)
    def on_tool_error(self, error: BaseException, *, run_id: Hashable, **kwargs: Any) -> None:
        """A tool raised: ``tool_result`` with its error class and message."""
        self._tracker.end(run_id, error=error, escaped=True)
        self._end_wrapper(run_id, error=error)

    # -- lifetime -------------------------------------------------------------

    def close(self) -> None:
        """Close every scope still open (the handler is being dropped)."""
        self._tracker.close_all()
        self._chains.clear()
        self._wrapped.clear()
        self._fresh.clear()
        self._interrupted.clear()


if TYPE_CHECKING:
    from langchain_core.callbacks import BaseCallbackHandler

    class AgentlogCallbackHandler(_Hooks, BaseCallbackHandler):
        """A langchain-core callback handler writing agentlog lines (made on first use)."""

        def __init__(self, tracker: Tracker | None = None) -> None: ...


_CLASS: type[Any] | None = None
_CLASS_LOCK = threading.Lock()


def _handler_class() -> type[Any]:
    """`AgentlogCallbackHandler`, made on first use (langchain-core is imported only then)."""
    global _CLASS
    with _CLASS_LOCK:
        if _CLASS is None:
            base: Any = require("langchain_core.callbacks", FRAMEWORK).BaseCallbackHandler

            class AgentlogCallbackHandler(_Hooks, base):  # type: ignore[misc]
                """A langchain-core callback handler writing agentlog lines for what it sees.

                Pass it per call (``config={"callbacks": [AgentlogCallbackHandler()]}``)
                or let `instrument` register one globally. Each handler
                keeps its own open scopes, keyed by langchain's run IDs.

                Args:
                    tracker: The `Tracker` to keep scopes in (a new one by default).
                """

                def __init__(self, tracker: Tracker | None = None) -> None:
                    base.__init__(self)
                    _Hooks.__init__(self, tracker)

            AgentlogCallbackHandler.__module__ = __name__
            _CLASS = AgentlogCallbackHandler
        return _CLASS


def __getattr__(name: str) -> Any:
    if name == "AgentlogCallbackHandler":
        return _handler_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _Switch:
    """What langchain-core's configure hook reads (``.get()`` as on a ContextVar): the handler or None."""

    __slots__ = ("handler",)

    def __init__(self) -> None:
        self.handler: Any = None

    def get(self) -> Any:
        """The handler every callback manager gets while instrumented, else None."""
        return self.handler


_SWITCH = _Switch()


def _hooks() -> list[Any] | None:
    """langchain-core's list of configure hooks, where it still has one."""
    hooks = getattr(require("langchain_core.tracers.context", FRAMEWORK), "_configure_hooks", None)
    return hooks if isinstance(hooks, list) else None


def _is_ours(hook: Any) -> bool:
    return isinstance(hook, tuple) and bool(hook) and hook[0] is _SWITCH


def _registered(hooks: Sequence[Any]) -> bool:
    return any(_is_ours(hook) for hook in hooks)


class _LangChain(Instrumentor):
    framework = FRAMEWORK

    def _install(self, **options: Any) -> None:
        context = require("langchain_core.tracers.context", FRAMEWORK)
        cls = _handler_class()
        _SWITCH.handler = cls()
        hooks = _hooks()
        if hooks is None or not _registered(hooks):
            context.register_configure_hook(_SWITCH, True, cls)

    def _remove(self) -> None:
        handler, _SWITCH.handler = _SWITCH.handler, None
        try:
            hooks = _hooks()
            if hooks is not None:
                hooks[:] = [hook for hook in hooks if not _is_ours(hook)]
        except Exception as exc:
            _diagnostics.report(f"{FRAMEWORK}: the configure hook could not be removed (it is inert)", exc)
        del handler  # runs in flight finish: their callback managers still hold it


_INSTRUMENTOR = _LangChain()


def instrument() -> None:
    """Record every LangChain and LangGraph call in this process; a second call does nothing.

    Registers one `AgentlogCallbackHandler` with langchain-core's configure
    hooks, so every chain, graph, model and tool invoked from now on — in
    any thread or task — reports to it, with no change at the call sites.

    Raises:
        ImportError: langchain-core is not installed (the ``langchain`` extra).
    """
    _INSTRUMENTOR.instrument()


def uninstrument() -> None:
    """Take the global handler out of langchain-core again: runs started from now on are not recorded.

    A run already in flight still reports to the handler its callback
    managers hold, so it finishes with complete lines.
    """
    _INSTRUMENTOR.uninstrument()
