"""smolagents: each agent run an agentlog run, each model call an ``llm_result``, each tool call a pair.

::

    from agentlog.integrations.smolagents import instrument

    instrument()            # once, at startup
    agent.run("...")        # run_started … llm_result, tool_call/tool_result … run_finished

smolagents offers step callbacks, but they run after a step is over: too
late to time a model call, to put the IDs in force inside a tool, or to
see a tool's own exception (smolagents folds it into an
``AgentToolExecutionError`` fed back to the model). So `instrument` wraps
the library's own entry points, once, at class level, and `uninstrument`
puts the very same functions back:

* ``MultiStepAgent.run`` (``ToolCallingAgent``, ``CodeAgent``, managed
  agents called as team members): a run, a child of the run in force —
  a managed agent's run is a child of the parent's tool call that called
  it; ``run(stream=True)`` is followed step by step until the stream ends;
* ``generate`` / ``generate_stream`` of every ``Model`` class (also one
  defined after `instrument`, wrapped when an agent using it first runs):
  an ``llm_result`` with ``ChatMessage.token_usage``, the model ID, the
  latency and the finish reason (the raw response's, else ``tool_calls`` or
  ``stop``); cache and reasoning counts when the raw response reports them;
  the request's ``temperature``, ``max_tokens``, ``top_p`` and ``seed``
  (the model's ``kwargs`` over the call's, as smolagents merges them);
* ``ToolCallingAgent.execute_tool_call``: a tool call under the ID of the
  model's own ``ChatMessageToolCall`` (matched through
  ``process_tool_calls``), in force while the tool runs — in smolagents'
  worker threads too — and, when it fails, the tool's own exception class
  and message, not smolagents' wrapper whose message repeats the arguments;
* ``Tool.__call__`` for tools called from a ``CodeAgent``'s code (the model
  wrote code, so there is no model tool-call ID: agentlog makes one), with
  the executor's time-limit thread given the run's context.

Prompts, completions, arguments and results follow agentlog's capture
policy (hashes by default). smolagents emits no OpenTelemetry spans of its
own, so with ``configure(otel_spans=True)`` agentlog's are the only ones.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar, copy_context
from types import GeneratorType
from typing import Any

from .. import _diagnostics
from .._vocabulary import CANCELLED, COMPLETED, MAX_STEPS
from ._instrumentor import Instrumentor, guarded, require
from ._request import first_set
from ._tracker import Tracker

__all__ = ["SmolagentsInstrumentor", "instrument", "instrumentor", "uninstrument"]

FRAMEWORK = "smolagents"
_TRACKER = Tracker(FRAMEWORK)
_guard = guarded(FRAMEWORK)


class _Run:
    """One tracked agent run: its key and the model tool calls not yet matched to an execution."""

    __slots__ = ("key", "lock", "pending")

    def __init__(self, key: object) -> None:
        self.key = key
        self.lock = threading.Lock()
        self.pending: list[Any] = []

    def offer(self, message: Any) -> None:
        """The model tool calls about to be executed (``process_tool_calls``)."""
        calls = list(getattr(message, "tool_calls", None) or ())
        with self.lock:
            self.pending.extend(calls)

    def claim(self, name: str, arguments: Any) -> str | None:
        """The model's ID for the call of tool *name* with *arguments* (the same object), once."""
        with self.lock:
            chosen = None
            for call in self.pending:
                function = getattr(call, "function", None)
                if getattr(function, "name", None) != name:
                    continue
                if getattr(function, "arguments", None) is arguments:
                    chosen = call
                    break
                if chosen is None:
                    chosen = call  # smolagents passed a fresh {} for empty arguments
            if chosen is None:
                return None
            self.pending.remove(chosen)
        call_id = getattr(chosen, "id", None)
        return str(call_id) if call_id is not None else None


_RUN: ContextVar[_Run | None] = ContextVar("agentlog.smolagents_run", default=None)
_IN_MODEL: ContextVar[object | None] = ContextVar("agentlog.smolagents_model", default=None)
_IN_TOOL: ContextVar[object | None] = ContextVar("agentlog.smolagents_tool", default=None)

# -- content -------------------------------------------------------------------------------------


def _role(message: Any) -> str:
    role = getattr(message, "role", None)
    return str(getattr(role, "value", role) or "user")


def _content(content: Any) -> Any:
    if isinstance(content, list):
        # Text parts as they are; images and audio named by type only.
        return [
            part if not isinstance(part, dict) or part.get("type") == "text" else {"type": part.get("type")}
            for part in content
        ]
    return content


def _tool_calls(calls: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": getattr(call, "id", None),
            "type": "function",
            "function": {
                "name": getattr(getattr(call, "function", None), "name", None),
                "arguments": getattr(getattr(call, "function", None), "arguments", None),
            },
        }
        for call in calls or ()
    ]


def _message(message: Any) -> dict[str, Any]:
    """A smolagents message (``ChatMessage`` or dict) as an OpenAI-shaped dict."""
    if isinstance(message, dict):
        return message
    plain: dict[str, Any] = {"role": _role(message), "content": _content(getattr(message, "content", None))}
    calls = getattr(message, "tool_calls", None)
    if calls:
        plain["tool_calls"] = _tool_calls(calls)
    return plain


# -- what the model reported ---------------------------------------------------------------------


def _field(value: Any, name: str) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _raw_details(raw: Any) -> dict[str, Any]:
    """Cache and reasoning counts and the finish reason in a provider's raw response, when it has them."""
    usage = _field(raw, "usage")
    details: dict[str, Any] = {}
    cached = _int(_field(_field(usage, "prompt_tokens_details"), "cached_tokens"))
    if cached is None:
        cached = _int(_field(usage, "cache_read_input_tokens"))
    details["cache_read_input_tokens"] = cached
    details["cache_creation_input_tokens"] = _int(_field(usage, "cache_creation_input_tokens"))
    details["reasoning_output_tokens"] = _int(
        _field(_field(usage, "completion_tokens_details"), "reasoning_tokens")
    )
    choices = _field(raw, "choices")
    if isinstance(choices, (list, tuple)) and choices:
        reason = _field(choices[0], "finish_reason")
        details["finish_reason"] = str(reason) if reason else None
    model = _field(raw, "model")
    details["model"] = model if isinstance(model, str) else None
    return details


_PROVIDERS = {
    "OpenAIModel": "openai",
    "AzureOpenAIModel": "azure.ai.openai",
    "AmazonBedrockModel": "aws.bedrock",
}


def _provider(model: Any) -> str | None:
    """The provider a smolagents model class names, when it names one."""
    for cls in type(model).__mro__:
        known = _PROVIDERS.get(cls.__name__)
        if known is not None:
            return known
        if cls.__name__ in ("LiteLLMModel", "LiteLLMRouterModel"):
            model_id = getattr(model, "model_id", None)
            if isinstance(model_id, str) and "/" in model_id:
                return model_id.split("/", 1)[0]
            return None
    return None


# -- model calls ---------------------------------------------------------------------------------


_MAX_TOKENS = ("max_tokens", "max_completion_tokens", "max_new_tokens")
"""What smolagents' model classes (and the APIs under them) call the output token limit."""


def _request(model: Any, call_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The request's parameters: the model's ``kwargs`` over the call's, as smolagents merges them.

    ``Model(..., temperature=0.2)`` keeps its extra keyword arguments in
    ``model.kwargs``, and ``_prepare_completion_kwargs`` lets them override
    the call's own; one set to ``REMOVE_PARAMETER`` removes it (it is no
    number, so it is left out here too).
    """
    try:
        given = getattr(model, "kwargs", None)
    except Exception as exc:  # a model class of the user's: its call is still recorded
        _diagnostics.report(f"{FRAMEWORK}: the model's kwargs could not be read", exc)
        given = None
    sources = [source for source in (given, call_kwargs) if isinstance(source, dict)]
    return first_set(sources, _MAX_TOKENS)


@_guard
def _open_llm(model: Any, call_kwargs: dict[str, Any]) -> object | None:
    run = _RUN.get()
    if run is None or not _INSTRUMENTOR.installed or _IN_MODEL.get() is model:
        return None
    key = object()
    model_id = getattr(model, "model_id", None) or type(model).__name__
    opened = _TRACKER.llm(
        key,
        str(model_id),
        provider=_provider(model),
        parent=run.key,
        request=_request(model, call_kwargs),
    )
    return key if opened is not None else None


@_guard
def _usage(key: object, messages: Any, message: Any, input_tokens: Any, output_tokens: Any) -> None:
    details = _raw_details(getattr(message, "raw", None))
    reason = details.pop("finish_reason", None)
    if reason is None:
        reason = "tool_calls" if getattr(message, "tool_calls", None) else "stop"
    _TRACKER.usage(
        key,
        input_tokens=_int(input_tokens),
        output_tokens=_int(output_tokens),
        finish_reason=reason,
        prompt=[_message(item) for item in messages or ()],
        completion=_message(message) if message is not None else None,
        **details,
    )


@_guard
def _end(key: object, **outcome: Any) -> None:
    _TRACKER.end(key, **outcome)


@_guard
def _enter(key: object) -> Any:
    """Put the scope under *key* in force here; returns what `_leave` needs."""
    manager = _TRACKER.current(key)
    manager.__enter__()
    return manager


@_guard
def _leave(manager: Any) -> None:
    if manager is not None:
        manager.__exit__(None, None, None)


def _wrap_generate(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def generate(self: Any, messages: Any, *args: Any, **kwargs: Any) -> Any:
        key = _open_llm(self, kwargs)
        if key is None:
            return original(self, messages, *args, **kwargs)
        token = _IN_MODEL.set(self)
        manager = _enter(key)
        try:
            message = original(self, messages, *args, **kwargs)
        except BaseException as exc:
            _end(key, error=exc, escaped=True)
            raise
        finally:
            _leave(manager)
            _IN_MODEL.reset(token)
        usage = getattr(message, "token_usage", None)
        _usage(
            key,
            messages,
            message,
            getattr(usage, "input_tokens", None),
            getattr(usage, "output_tokens", None),
        )
        _end(key)
        return message

    generate._agentlog_original = original  # type: ignore[attr-defined]
    return generate


class _Stream:
    """What a streamed model answer reported, delta by delta."""

    def __init__(self) -> None:
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.text: list[str] = []
        self.calls: dict[Any, dict[str, Any]] = {}

    def add(self, delta: Any) -> None:
        usage = getattr(delta, "token_usage", None)
        if usage is not None:
            self.input_tokens = (self.input_tokens or 0) + (getattr(usage, "input_tokens", 0) or 0)
            self.output_tokens = (self.output_tokens or 0) + (getattr(usage, "output_tokens", 0) or 0)
        content = getattr(delta, "content", None)
        if isinstance(content, str):
            self.text.append(content)
        for call in getattr(delta, "tool_calls", None) or ():
            index = getattr(call, "index", None)
            slot = self.calls.setdefault(index, {"id": None, "name": None, "arguments": ""})
            if getattr(call, "id", None):
                slot["id"] = call.id
            function: Any = getattr(call, "function", None)
            name = getattr(function, "name", None)
            if name:
                slot["name"] = name
            arguments = getattr(function, "arguments", None)
            if isinstance(arguments, str):
                slot["arguments"] += arguments

    def message(self) -> dict[str, Any]:
        plain: dict[str, Any] = {"role": "assistant", "content": "".join(self.text)}
        if self.calls:
            plain["tool_calls"] = [
                {
                    "id": c["id"],
                    "type": "function",
                    "function": {"name": c["name"], "arguments": c["arguments"]},
                }
                for c in self.calls.values()
            ]
        return plain


@_guard
def _stream_add(stream: _Stream, delta: Any) -> None:
    stream.add(delta)


@_guard
def _stream_usage(key: object, messages: Any, stream: _Stream) -> None:
    completion = stream.message()
    _TRACKER.usage(
        key,
        input_tokens=stream.input_tokens,
        output_tokens=stream.output_tokens,
        finish_reason="tool_calls" if completion.get("tool_calls") else "stop",
        prompt=[_message(item) for item in messages or ()],
        completion=completion,
    )


def _wrap_generate_stream(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def generate_stream(self: Any, messages: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        key = _open_llm(self, kwargs)
        if key is None:
            yield from original(self, messages, *args, **kwargs)
            return
        stream = _Stream()
        inner = original(self, messages, *args, **kwargs)
        try:
            while True:
                token = _IN_MODEL.set(self)
                manager = _enter(key)
                try:
                    delta = next(inner)
                except StopIteration:
                    break
                finally:
                    _leave(manager)
                    _IN_MODEL.reset(token)
                _stream_add(stream, delta)
                yield delta
        except GeneratorExit:
            _stream_usage(key, messages, stream)
            _end(key, error="the stream was closed before its end", error_class="GeneratorExit")
            inner.close()
            raise
        except BaseException as exc:
            _end(key, error=exc, escaped=True)
            raise
        _stream_usage(key, messages, stream)
        _end(key)

    generate_stream._agentlog_original = original  # type: ignore[attr-defined]
    return generate_stream


# -- tool calls ----------------------------------------------------------------------------------


def _wrap_process_tool_calls(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def process_tool_calls(self: Any, chat_message: Any, *args: Any, **kwargs: Any) -> Any:
        _offer(chat_message)
        return original(self, chat_message, *args, **kwargs)

    return process_tool_calls


@_guard
def _offer(chat_message: Any) -> None:
    run = _RUN.get()
    if run is not None and _INSTRUMENTOR.installed:
        run.offer(chat_message)


def _cause(exc: BaseException) -> BaseException:
    """The tool's own exception inside smolagents' ``AgentToolExecutionError`` / ``AgentToolCallError``."""
    execution_error = importlib.import_module("smolagents.utils").AgentExecutionError
    if isinstance(exc, execution_error) and isinstance(exc.__cause__, Exception):
        return exc.__cause__
    return exc


@_guard
def _open_tool(name: str, arguments: Any, call_id: str | None, parent: object | None) -> object | None:
    key = object()
    if _TRACKER.tool(key, name, arguments, tool_call_id=call_id, parent=parent) is None:
        return None
    return key


@_guard
def _open_model_tool(agent: Any, name: Any, arguments: Any) -> tuple[object, Any] | None:
    run = _RUN.get()
    if run is None or not _INSTRUMENTOR.installed:
        return None
    name = str(name)
    call_id = run.claim(name, arguments)
    key = _open_tool(name, arguments, call_id, run.key)
    if key is None:
        return None
    tools = {**(getattr(agent, "tools", None) or {}), **(getattr(agent, "managed_agents", None) or {})}
    return key, tools.get(name)


def _wrap_execute_tool_call(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def execute_tool_call(self: Any, tool_name: Any, arguments: Any, *args: Any, **kwargs: Any) -> Any:
        opened = _open_model_tool(self, tool_name, arguments)
        if opened is None:
            return original(self, tool_name, arguments, *args, **kwargs)
        key, tool = opened
        token = _IN_TOOL.set(tool)
        manager = _enter(key)
        try:
            result = original(self, tool_name, arguments, *args, **kwargs)
        except BaseException as exc:
            _end(key, error=_cause(exc))
            raise
        finally:
            _leave(manager)
            _IN_TOOL.reset(token)
        _end(key, result=result)
        return result

    return execute_tool_call


def _call_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    kwargs = {name: value for name, value in kwargs.items() if name != "sanitize_inputs_outputs"}
    if not args:
        return kwargs
    if len(args) == 1 and not kwargs:
        return args[0]
    return {"args": list(args), **kwargs}


@_guard
def _open_code_tool(tool: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> object | None:
    if _RUN.get() is None or not _INSTRUMENTOR.installed:
        return None
    name = getattr(tool, "name", None) or type(tool).__name__
    return _open_tool(str(name), _call_arguments(args, kwargs), None, None)


def _wrap_tool_call(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N807 - the wrapped dunder's name
        if _IN_TOOL.get() is self:
            # execute_tool_call recorded this call already; calls made from inside the tool are its own.
            token = _IN_TOOL.set(None)
            try:
                return original(self, *args, **kwargs)
            finally:
                _IN_TOOL.reset(token)
        key = _open_code_tool(self, args, kwargs)
        if key is None:
            return original(self, *args, **kwargs)
        manager = _enter(key)
        try:
            result = original(self, *args, **kwargs)
        except BaseException as exc:
            if type(exc).__name__ == "FinalAnswerException":
                _end(key, result=getattr(exc, "value", None))
            else:
                _end(key, error=exc)
            raise
        finally:
            _leave(manager)
        _end(key, result=result)
        return result

    return __call__


def _wrap_timeout(original: Callable[..., Any]) -> Callable[..., Any]:
    """The code executor's time limit runs the code in a thread: give that thread the caller's context."""

    @functools.wraps(original)
    def timeout(*args: Any, **kwargs: Any) -> Any:
        decorate = original(*args, **kwargs)

        def decorator(func: Callable[..., Any]) -> Any:
            if _RUN.get() is None:
                return decorate(func)
            context = copy_context()

            @functools.wraps(func)
            def in_context(*fargs: Any, **fkwargs: Any) -> Any:
                return context.run(func, *fargs, **fkwargs)

            return decorate(in_context)

        return decorator

    return timeout


# -- runs ----------------------------------------------------------------------------------------


def _task(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return args[0] if args else kwargs.get("task")


@_guard
def _open_run(agent: Any, task: Any) -> _Run | None:
    if not _INSTRUMENTOR.installed:
        return None
    _wrap_model_class(type(getattr(agent, "model", None)))
    key = object()
    name = getattr(agent, "name", None) or type(agent).__name__
    opened = _TRACKER.run(key, task=task, metadata={"agent": str(name), "framework": FRAMEWORK})
    return _Run(key) if opened is not None else None


def _stop_reason(agent: Any) -> str:
    try:
        max_steps_error = importlib.import_module("smolagents.utils").AgentMaxStepsError
        steps = agent.memory.steps
        for step in reversed(steps):
            if type(step).__name__ == "ActionStep":
                return MAX_STEPS if isinstance(step.error, max_steps_error) else COMPLETED
    except Exception:  # noqa: S110 - an agent without the usual memory: completed
        pass
    return COMPLETED


@_guard
def _end_run(run: _Run, agent: Any, exc: BaseException | None) -> None:
    if exc is None:
        _TRACKER.end(run.key, stop_reason=_stop_reason(agent))
    elif isinstance(exc, GeneratorExit):
        _TRACKER.end(run.key, stop_reason=CANCELLED)
    else:
        _TRACKER.end(run.key, error=exc)


@_guard
def _in_run(run: _Run) -> tuple[Any, Any]:
    return _RUN.set(run), _enter(run.key)


@_guard
def _out_of_run(entered: tuple[Any, Any] | None) -> None:
    if entered is not None:
        token, manager = entered
        _leave(manager)
        _RUN.reset(token)


def _streamed(run: _Run, agent: Any, inner: Iterator[Any]) -> Iterator[Any]:
    """``run(stream=True)``: each step taken in the run's context; the run ends with the stream."""
    try:
        while True:
            entered = _in_run(run)
            try:
                item = next(inner)
            except StopIteration:
                break
            finally:
                _out_of_run(entered)
            yield item
    except BaseException as exc:
        _end_run(run, agent, exc)
        close = getattr(inner, "close", None)
        if isinstance(exc, GeneratorExit) and close is not None:
            close()
        raise
    _end_run(run, agent, None)


def _wrap_run(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        tracked = _open_run(self, _task(args, kwargs))
        if tracked is None:
            return original(self, *args, **kwargs)
        entered = _in_run(tracked)
        try:
            result = original(self, *args, **kwargs)
        except BaseException as exc:
            _end_run(tracked, self, exc)
            raise
        finally:
            _out_of_run(entered)
        if isinstance(result, GeneratorType):
            return _streamed(tracked, self, result)
        _end_run(tracked, self, None)
        return result

    return run


# -- installing ----------------------------------------------------------------------------------


class _Patches:
    """Class attributes replaced by wrappers, to put back exactly."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done: list[tuple[Any, str, Any, Any]] = []

    def patch(self, owner: Any, name: str, wrap: Callable[[Any], Any]) -> None:
        with self.lock:
            original = vars(owner).get(name)
            if original is None or any(o is owner and n == name for o, n, _, _ in self.done):
                return
            wrapper = wrap(original)
            setattr(owner, name, wrapper)
            self.done.append((owner, name, original, wrapper))

    def undo(self) -> None:
        with self.lock:
            done, self.done = self.done, []
        for owner, name, original, wrapper in reversed(done):
            if vars(owner).get(name) is wrapper:
                setattr(owner, name, original)
            # else someone wrapped it again since: ours stays, passing through while uninstalled


_PATCHES = _Patches()


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    stack = [cls]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(current.__subclasses__())
    return found


@_guard
def _wrap_model_class(cls: Any) -> None:
    """Wrap ``generate`` / ``generate_stream`` where *cls* (a model class) and its bases define them."""
    model = importlib.import_module("smolagents.models").Model
    if not isinstance(cls, type) or not issubclass(cls, model) or not _INSTRUMENTOR.installed:
        return
    _patch_model_class(cls)


def _patch_model_class(cls: type) -> None:
    for owner in cls.__mro__:
        if owner is object:
            continue
        _PATCHES.patch(owner, "generate", _wrap_generate)
        _PATCHES.patch(owner, "generate_stream", _wrap_generate_stream)


class SmolagentsInstrumentor(Instrumentor):
    """Wraps smolagents' agent, model and tool entry points; `uninstrument` puts them back."""

    framework = FRAMEWORK

    def _install(self, **options: Any) -> None:
        require("smolagents", "smolagents")
        agents = importlib.import_module("smolagents.agents")
        local_python_executor = importlib.import_module("smolagents.local_python_executor")
        tools = importlib.import_module("smolagents.tools")
        model = importlib.import_module("smolagents.models").Model

        try:
            _PATCHES.patch(agents.MultiStepAgent, "run", _wrap_run)
            _PATCHES.patch(agents.ToolCallingAgent, "process_tool_calls", _wrap_process_tool_calls)
            _PATCHES.patch(agents.ToolCallingAgent, "execute_tool_call", _wrap_execute_tool_call)
            for cls in _subclasses(tools.Tool):
                _PATCHES.patch(cls, "__call__", _wrap_tool_call)
            _PATCHES.patch(local_python_executor, "timeout", _wrap_timeout)
            for cls in _subclasses(model):
                _patch_model_class(cls)
        except BaseException:
            _PATCHES.undo()
            raise

    def _remove(self) -> None:
        _PATCHES.undo()
        _TRACKER.close_all()


_INSTRUMENTOR = SmolagentsInstrumentor()


def instrumentor() -> SmolagentsInstrumentor:
    """The one `SmolagentsInstrumentor` (whether it is installed: ``instrumentor().installed``)."""
    return _INSTRUMENTOR


def instrument() -> None:
    """Record every smolagents agent run from now on (idempotent).

    Raises:
        ImportError: smolagents is not installed (the ``smolagents`` extra).
    """
    _INSTRUMENTOR.instrument()


def uninstrument() -> None:
    """Stop recording: every wrapped smolagents function is the original again."""
    _INSTRUMENTOR.uninstrument()
