"""Scopes: a run, its steps, tool calls and LLM calls.

Each scope is a context manager (``with`` and ``async with``). Entering one
replaces the IDs in force with a new immutable `RunContext` and writes the
scope's opening event; leaving restores the previous IDs and writes its
closing event. An exception escaping a scope is recorded on the closing event
and re-raised unchanged: agentlog never swallows, wraps or replaces it.
"""

from __future__ import annotations

import functools
import inspect
import sys
import time
from collections.abc import Callable, Mapping
from contextvars import Token
from types import FunctionType, MethodType, TracebackType
from typing import Any, TypeVar, overload

from . import _diagnostics, _otel
from ._context import _CURRENT, RunContext, RunState
from ._ids import new_run_id, new_span_id, new_tool_call_id, new_trace_id
from ._serialize import dumps_line
from .events import (
    MISSING,
    capture_payload,
    emit_agent_step,
    emit_llm_result,
    emit_run_finished,
    emit_run_started,
    emit_step_finished,
    emit_tool_call,
    emit_tool_result,
    failure_fields,
    latency_since,
    llm_payloads,
    run_totals,
)
from .propagation import RemoteParent

__all__ = ["LLMCall", "Run", "Step", "ToolCall", "llm_call", "run", "step", "tool", "tool_call"]


def _is_cancellation(exc: BaseException) -> bool:
    # asyncio is looked up, not imported: without it loaded there is no asyncio cancellation.
    asyncio = sys.modules.get("asyncio")
    return isinstance(exc, KeyboardInterrupt) or (
        asyncio is not None and isinstance(exc, asyncio.CancelledError)
    )


_S = TypeVar("_S", bound="_Scope")
_F = TypeVar("_F", bound=Callable[..., Any])


def _argument_reader(fn: Callable[..., Any]) -> Callable[[tuple[Any, ...], dict[str, Any]], dict[str, Any]]:
    """Return a function mapping a call's (args, kwargs) to {parameter: value}.

    Defaults are filled in (so a call hashes the same whether or not it spells
    them out) and a leading ``self``/``cls`` is left out.
    """
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        signature = None
    skip_first = bool(signature and next(iter(signature.parameters), None) in ("self", "cls"))

    def read(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if signature is None:
            return {"args": list(args), "kwargs": kwargs}
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return {"args": list(args), "kwargs": kwargs}
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        if skip_first:
            arguments.pop(next(iter(signature.parameters)), None)
        return arguments

    return read


class _Scope:
    """Entering, leaving, and restoring the IDs in force."""

    _ctx: RunContext | None = None
    _token: Token[RunContext | None] | None = None
    _previous: RunContext | None = None
    _start_ns: int = 0
    _entered: bool = False
    _spec: tuple[tuple[Any, ...], dict[str, Any]] = ((), {})

    def __call__(self, fn: _F) -> _F:
        """Use the scope as a decorator: each call of *fn* runs in a fresh scope like this one."""
        fresh = self._fresh
        read = _argument_reader(fn)
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def in_scope_async(*args: Any, **kwargs: Any) -> Any:
                async with fresh(read, args, kwargs) as scope:
                    value = await fn(*args, **kwargs)
                    scope._returned(value)
                    return value

            return in_scope_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def in_scope(*args: Any, **kwargs: Any) -> Any:
            with fresh(read, args, kwargs) as scope:
                value = fn(*args, **kwargs)
                scope._returned(value)
                return value

        return in_scope  # type: ignore[return-value]

    def _returned(self, value: Any) -> None:
        """Note what the decorated function returned (a tool call records it)."""

    def _fresh(
        self,
        read: Callable[[tuple[Any, ...], dict[str, Any]], dict[str, Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> _Scope:
        spec_args, spec_kwargs = self._spec
        return type(self)(*spec_args, **spec_kwargs)

    @property
    def span_id(self) -> str | None:
        """This scope's span ID (None outside a run, or before entering)."""
        return self._ctx.span_id if self._ctx is not None else None

    _otel_span: Any = None
    _otel_token: Any = None
    _otel_bridge: _otel.Bridge | None = None

    def _start_span(
        self,
        name: str,
        parent: tuple[str, str, str] | None,
        attributes: dict[str, Any],
        *,
        client: bool = False,
        remote: bool = False,
    ) -> tuple[str, str, str] | None:
        """Start this scope's OpenTelemetry span, if spans are on; return its IDs."""
        bridge = _otel.active()
        if bridge is None:
            return None
        span = bridge.start(name, client=client, parent=parent, remote=remote, attributes=attributes)
        if span is None:
            return None
        self._otel_bridge, self._otel_span = bridge, span
        self._otel_token = bridge.attach(span)
        return bridge.ids(span)

    def _end_span(self, attributes: dict[str, Any], exc: BaseException | None) -> None:
        bridge, span = self._otel_bridge, self._otel_span
        if bridge is None or span is None:
            return
        self._otel_span = None
        bridge.detach(self._otel_token)
        bridge.end(span, attributes, type(exc).__qualname__ if exc is not None else None)

    def _child_ids(
        self, outer: RunContext, name: str, attributes: dict[str, Any], *, client: bool = False
    ) -> str:
        """The span ID of a scope nested in *outer* (its OpenTelemetry span's, when spans are on)."""
        ids = self._start_span(
            name, (outer.trace_id, outer.span_id, outer.trace_flags), attributes, client=client
        )
        return ids[1] if ids is not None else new_span_id()

    def _activate(self, ctx: RunContext | None) -> None:
        self._ctx = ctx
        if ctx is not None:
            self._previous = _CURRENT.get()
            self._token = _CURRENT.set(ctx)

    def _deactivate(self) -> None:
        token, self._token = self._token, None
        if token is None:
            return
        try:
            _CURRENT.reset(token)
        except ValueError:
            # Left in another context than it was entered in (a generator
            # resumed elsewhere): restore by value instead.
            _CURRENT.set(self._previous)

    def _check_fresh(self) -> None:
        if self._entered:
            raise RuntimeError(f"this {type(self).__name__} scope was already entered; create a new one")
        self._entered = True

    def __enter__(self: _S) -> _S:
        self._check_fresh()
        self._start_ns = time.perf_counter_ns()
        try:
            self._open()
        except Exception as exc:
            _diagnostics.report("scope failed to open", exc)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._close(exc)
        except Exception as failure:
            _diagnostics.report("scope failed to close", failure)
        finally:
            self._deactivate()

    async def __aenter__(self: _S) -> _S:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def _open(self) -> None:
        raise NotImplementedError

    def _close(self, exc: BaseException | None) -> None:
        raise NotImplementedError


class Run(_Scope):
    """One agent execution. Create it with `agentlog.run`."""

    def __init__(
        self,
        task: Any = None,
        *,
        user_id: str | None = None,
        request_id: str | None = None,
        session_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        parent: RunContext | RemoteParent | None = None,
        run_id: str | None = None,
    ) -> None:
        self._spec = (
            (task,),
            {
                "user_id": user_id,
                "request_id": request_id,
                "session_id": session_id,
                "metadata": metadata,
                "parent": parent,
            },
        )
        self._task = task
        self._user_id = user_id
        self._request_id = request_id
        self._session_id = session_id
        self._metadata = metadata
        self._parent = parent
        self._run_id = run_id if run_id is not None else new_run_id()
        self._stop_reason: str | None = None
        self._finish_fields: dict[str, Any] = {}

    @property
    def run_id(self) -> str:
        """The run's UUID (known before the run is entered)."""
        return self._run_id

    @property
    def trace_id(self) -> str | None:
        """The run's trace ID (set on entering)."""
        return self._ctx.trace_id if self._ctx is not None else None

    @property
    def parent_run_id(self) -> str | None:
        """The run that started this one, for a child run."""
        return self._ctx.parent_run_id if self._ctx is not None else None

    @property
    def context(self) -> RunContext | None:
        """The run's IDs, as `agentlog.current` returns them inside the run."""
        return self._ctx

    def _fresh(
        self,
        read: Callable[[tuple[Any, ...], dict[str, Any]], dict[str, Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> _Scope:
        (task,), options = self._spec
        # A decorated entry point without a given task: its arguments are the task.
        return Run(task if task is not None else read(args, kwargs), **options)

    def finish(self, stop_reason: str | None = None, **fields: Any) -> None:
        """Say why the run stopped; ``run_finished`` is still written on exit.

        Args:
            stop_reason: ``completed``, ``max_steps``, ``tool_error`` … or your
                own. Without it, agentlog infers one on exit.
            fields: Further fields for the ``run_finished`` line.
        """
        if stop_reason is not None:
            self._stop_reason = stop_reason
        self._finish_fields.update(fields)

    def _open(self) -> None:
        origin: RunContext | RemoteParent | None = (
            self._parent if self._parent is not None else _CURRENT.get()
        )
        inherited: dict[str, Any] = {}
        parent: tuple[str, str, str] | None = None
        if origin is not None:
            parent = (origin.trace_id, origin.span_id, origin.trace_flags)
            parent_run_id: str | None = origin.run_id
            user_id = self._user_id if self._user_id is not None else origin.user_id
            request_id = self._request_id if self._request_id is not None else origin.request_id
            session_id = self._session_id if self._session_id is not None else origin.session_id
            inherited = {"tracestate": origin.tracestate, "baggage": origin.baggage}
        else:
            # An active OpenTelemetry span (the application's own tracing) is the parent.
            parent = _otel.parent_from_current_span()
            parent_run_id = None
            user_id, request_id, session_id = self._user_id, self._request_id, self._session_id
        bridge = _otel.active()
        ids = self._start_span(
            f"invoke_agent {bridge.service}" if bridge is not None and bridge.service else "invoke_agent",
            parent,
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": bridge.service if bridge is not None else None,
                "gen_ai.conversation.id": session_id,
                "agentlog.run_id": self._run_id,
                "agentlog.parent_run_id": parent_run_id,
            },
            remote=isinstance(origin, RemoteParent),
        )
        if ids is not None:
            trace_id, span_id, flags = ids
        elif parent is not None:
            trace_id, span_id, flags = parent[0], new_span_id(), parent[2]
        else:
            trace_id, span_id, flags = new_trace_id(), new_span_id(), "01"
        ctx = RunContext(
            run_id=self._run_id,
            trace_id=trace_id,
            span_id=span_id,
            trace_flags=flags,
            parent_span_id=parent[1] if parent is not None else None,
            parent_run_id=parent_run_id,
            user_id=user_id,
            request_id=request_id,
            session_id=session_id,
            state=RunState(),
            **inherited,
        )
        self._activate(ctx)
        task = capture_payload("task", self._task) if self._task is not None else None
        emit_run_started(ctx, task, user_id, request_id, session_id, self._metadata, None)

    def _close(self, exc: BaseException | None) -> None:
        ctx = self._ctx
        if ctx is None:
            return
        state = ctx._state
        status = "ok" if exc is None else "error"
        stop_reason = self._stop_reason
        if stop_reason is None:
            stop_reason = self._infer_stop_reason(state, exc)
        errors = failure_fields(ctx, exc) if exc is not None else {}
        totals = run_totals(state)
        emit_run_finished(ctx, status, stop_reason, totals, errors, self._finish_fields)
        self._end_span(
            {"agentlog.status": status, "agentlog.stop_reason": stop_reason, **_prefixed(totals)}, exc
        )
        if state is not None:
            state.forget_errors()

    @staticmethod
    def _infer_stop_reason(state: RunState | None, exc: BaseException | None) -> str:
        if exc is None:
            return "completed"
        if _is_cancellation(exc):
            return "cancelled"
        kinds = state.escaped_kinds(exc) if state is not None else frozenset()
        if "tool" in kinds:
            return "tool_error"
        if "step" in kinds:
            return "step_error"
        return "error"


class Step(_Scope):
    """One step of a run. Create it with `agentlog.step`."""

    def __init__(self, step_type: str, *, tool: str | None = None, **fields: Any) -> None:
        self._spec = ((step_type,), {"tool": tool, **fields})
        self.step_type = step_type
        self.tool = tool
        self.step_id: int | None = None
        self._fields = fields

    def _open(self) -> None:
        outer = _CURRENT.get()
        ctx = None
        if outer is not None:
            state = outer._state
            if state is not None:
                self.step_id = state.next_step()
            span_id = self._child_ids(
                outer,
                f"step {self.step_type}",
                {"agentlog.step_id": self.step_id, "agentlog.step_type": self.step_type},
            )
            ctx = outer.child(span_id=span_id, step_id=self.step_id, step_type=self.step_type)
        self._activate(ctx)
        emit_agent_step(ctx, self.step_type, self.step_id, self.tool, self._fields)

    def _close(self, exc: BaseException | None) -> None:
        status = "ok" if exc is None else "error"
        errors = failure_fields(self._ctx, exc) if exc is not None else {}
        emit_step_finished(
            self._ctx,
            self.step_type,
            self.step_id,
            latency_since(self._start_ns),
            status,
            errors,
            exc,
            None,
        )
        self._end_span({"agentlog.status": status}, exc)


class ToolCall(_Scope):
    """One tool invocation. Create it with `agentlog.tool_call`.

    Attributes:
        tool: The tool's name.
        tool_call_id: The provider's call ID, or a generated one.
    """

    def __init__(
        self,
        tool: str,
        args: Any = None,
        *,
        tool_call_id: str | None = None,
        capture: str | None = None,
        **fields: Any,
    ) -> None:
        self._spec = ((tool,), {"capture": capture, **fields})
        self.tool = tool
        self.args = args
        self.tool_call_id = tool_call_id if tool_call_id is not None else new_tool_call_id()
        self._capture = capture
        self._result: Any = MISSING
        self._fields = fields

    def _fresh(
        self,
        read: Callable[[tuple[Any, ...], dict[str, Any]], dict[str, Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> _Scope:
        (tool,), options = self._spec
        return ToolCall(tool, read(args, kwargs), **options)

    def _returned(self, value: Any) -> None:
        self.result = value

    @property
    def result(self) -> Any:
        """The tool's result, once set (None before).

        Set it inside the scope; ``tool_result`` records it per the capture
        policy (``result_hash`` and ``result_size`` by default).
        """
        return None if self._result is MISSING else self._result

    @result.setter
    def result(self, value: Any) -> None:
        self._result = value

    def _open(self) -> None:
        outer = _CURRENT.get()
        ctx = None
        args = capture_payload("args", self.args, self.tool, self._capture)
        if outer is not None:
            span_id = self._child_ids(
                outer,
                f"execute_tool {self.tool}",
                {
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": self.tool,
                    "gen_ai.tool.call.id": self.tool_call_id,
                    # Content only where the capture policy writes it to the logs too.
                    "gen_ai.tool.call.arguments": _json_text(args, "args"),
                },
            )
            ctx = outer.child(span_id=span_id, tool_call_id=self.tool_call_id, tool=self.tool)
        self._activate(ctx)
        emit_tool_call(ctx, self.tool, self.tool_call_id, args, self._fields)

    def _close(self, exc: BaseException | None) -> None:
        status = "ok" if exc is None else "error"
        errors = failure_fields(self._ctx, exc) if exc is not None else {}
        result = None
        if self._result is not MISSING:
            result = capture_payload("result", self._result, self.tool, self._capture)
        emit_tool_result(
            self._ctx,
            self.tool,
            self.tool_call_id,
            latency_since(self._start_ns),
            status,
            errors,
            exc,
            result,
            None,
        )
        self._end_span(
            {"agentlog.status": status, "gen_ai.tool.call.result": _json_text(result, "result")}, exc
        )


class LLMCall(_Scope):
    """One model call. Create it with `agentlog.llm_call`.

    Attributes:
        model: The model name.
        provider: The provider.
        input_tokens: Set by `set_usage`.
        output_tokens: Set by `set_usage`.
        finish_reason: Set by `set_usage`.
        prompt: Set it to the messages sent; recorded per the capture policy.
        completion: Set it to the model's answer; recorded per the capture policy.
    """

    def __init__(
        self, model: str, provider: str | None = None, *, capture: str | None = None, **fields: Any
    ) -> None:
        self._spec = ((model, provider), {"capture": capture, **fields})
        self.model = model
        self.provider = provider
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.finish_reason: str | None = None
        self.prompt: Any = MISSING
        self.completion: Any = MISSING
        self._capture = capture
        self._fields = fields

    def set_usage(
        self,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        finish_reason: str | None = None,
    ) -> None:
        """Record what the model reported; written on ``llm_result``.

        Args:
            input_tokens: Prompt tokens.
            output_tokens: Completion tokens.
            finish_reason: Why the model stopped.
        """
        if input_tokens is not None:
            self.input_tokens = input_tokens
        if output_tokens is not None:
            self.output_tokens = output_tokens
        if finish_reason is not None:
            self.finish_reason = finish_reason

    def _open(self) -> None:
        outer = _CURRENT.get()
        ctx = None
        if outer is not None:
            span_id = self._child_ids(
                outer,
                f"chat {self.model}",
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.provider.name": self.provider,
                    "gen_ai.request.model": self.model,
                },
                client=True,
            )
            ctx = outer.child(span_id=span_id)
        self._activate(ctx)

    def _close(self, exc: BaseException | None) -> None:
        status = "ok" if exc is None else "error"
        errors = failure_fields(self._ctx, exc) if exc is not None else {}
        payloads = llm_payloads(self.prompt, self.completion, self._capture)
        emit_llm_result(
            self._ctx,
            self.model,
            self.provider,
            self.input_tokens,
            self.output_tokens,
            latency_since(self._start_ns),
            status,
            self.finish_reason,
            errors,
            exc,
            payloads,
            self._fields,
        )
        self._end_span(
            {
                "agentlog.status": status,
                "gen_ai.usage.input_tokens": self.input_tokens,
                "gen_ai.usage.output_tokens": self.output_tokens,
                "gen_ai.response.finish_reasons": [self.finish_reason] if self.finish_reason else None,
                "gen_ai.input.messages": _json_text(payloads, "prompt"),
                "gen_ai.output.messages": _json_text(payloads, "completion"),
            },
            exc,
        )


def _json_text(captured: dict[str, Any] | None, name: str) -> str | None:
    """A captured value as JSON text, for a span attribute (None when not captured)."""
    if not captured or name not in captured:
        return None
    value = captured[name]
    return value if type(value) is str else dumps_line(value)[:-1].decode("utf-8")


def _prefixed(totals: dict[str, Any]) -> dict[str, Any]:
    return {f"agentlog.{key}": value for key, value in totals.items()}


@overload
def run(task: _F, /) -> _F: ...


@overload
def run(
    task: Any = None,
    *,
    user_id: str | None = None,
    request_id: str | None = None,
    session_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    parent: RunContext | RemoteParent | None = None,
    run_id: str | None = None,
) -> Run: ...


def run(
    task: Any = None,
    *,
    user_id: str | None = None,
    request_id: str | None = None,
    session_id: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    parent: RunContext | RemoteParent | None = None,
    run_id: str | None = None,
) -> Any:
    """Open a run: ``with agentlog.run(task=...) as run: ...``.

    Writes ``run_started`` on entry and always ``run_finished`` on exit, with
    the run's totals and a stop reason. Inside another run (or given
    *parent*), the new run is a child run: a new ``run_id``, the parent's
    ``trace_id``, and ``parent_run_id`` set.

    Also a decorator for agent entry points, sync or async: ``@agentlog.run``,
    ``@agentlog.run()`` or ``@agentlog.run(user_id=...)`` runs each call in a
    new run whose task is the call's arguments unless *task* is given.

    Args:
        task: The task (any value); written only as ``task_hash``.
        user_id: The user the run acts for.
        request_id: The inbound request.
        session_id: The conversation that groups runs.
        metadata: Written as top-level fields of ``run_started``
            (``prompt_version`` …).
        parent: The context to continue (a `propagation.RemoteParent` from
            ``agentlog.propagation.extract``, or `agentlog.current`);
            defaults to the run in force, if any.
        run_id: Use this run ID instead of a generated one.
    """
    # type(), not isinstance(): a hostile task's __class__ may raise.
    if type(task) in (FunctionType, MethodType) and not any(
        value is not None for value in (user_id, request_id, session_id, metadata, parent, run_id)
    ):
        # Used bare, as @agentlog.run: decorate the function.
        return Run()(task)
    return Run(
        task,
        user_id=user_id,
        request_id=request_id,
        session_id=session_id,
        metadata=metadata,
        parent=parent,
        run_id=run_id,
    )


def step(step_type: str, *, tool: str | None = None, **fields: Any) -> Step:
    """Open a step: ``with agentlog.step("tool"): ...``.

    Advances the run's step counter (``step_id`` 1, 2, 3 …, shared by all the
    run's tasks and threads), writes ``agent_step`` on entry and
    ``step_finished`` (latency, status) on exit.

    Args:
        step_type: ``plan``, ``retrieve``, ``model``, ``tool``, ``validate``
            or your own.
        tool: The tool the step is about, when there is one.
        fields: Further fields for the ``agent_step`` line.
    """
    return Step(step_type, tool=tool, **fields)


def tool_call(
    tool: str,
    args: Any = None,
    *,
    tool_call_id: str | None = None,
    capture: str | None = None,
    **fields: Any,
) -> ToolCall:
    """Open a tool call: ``with agentlog.tool_call("search", args) as call: ...``.

    Writes ``tool_call`` on entry and ``tool_result`` (latency, status,
    error) on exit. The arguments and the result (``call.result = ...``) are
    written per the capture policy: by default only as ``args_hash`` /
    ``result_hash`` and their sizes, never raw.

    Args:
        tool: The tool's name.
        args: The arguments (any value).
        tool_call_id: The LLM provider's call ID; generated when not given.
        capture: A capture mode for this call's arguments and result
            (``hash``, ``redacted``, ``full``, ``none``), overriding the policy.
        fields: Further fields for the ``tool_call`` line.
    """
    return ToolCall(tool, args, tool_call_id=tool_call_id, capture=capture, **fields)


def llm_call(
    model: str, provider: str | None = None, *, capture: str | None = None, **fields: Any
) -> LLMCall:
    """Open an LLM call: ``with agentlog.llm_call("gpt-4o", provider="openai") as llm: ...``.

    Writes ``llm_result`` on exit, with the usage given to
    `LLMCall.set_usage`, the latency and the status; ``llm.prompt`` and
    ``llm.completion``, when set, are written per the capture policy.

    Args:
        model: The model name.
        provider: The provider (``openai``, ``anthropic`` …).
        capture: A capture mode for the prompt and completion, overriding the policy.
        fields: Further fields for the ``llm_result`` line.
    """
    return LLMCall(model, provider, capture=capture, **fields)


@overload
def tool(fn: _F, /) -> _F: ...


@overload
def tool(*, name: str | None = None, capture: str | None = None) -> Callable[[_F], _F]: ...


def tool(
    fn: _F | None = None, /, *, name: str | None = None, capture: str | None = None
) -> _F | Callable[[_F], _F]:
    """Make a function a tool: each call runs in `agentlog.tool_call`.

    ``@agentlog.tool`` or ``@agentlog.tool(name="search_docs", capture="redacted")``,
    on sync and async functions alike. The tool name is the function's name
    unless given; the call's arguments (by parameter name, defaults filled
    in, ``self`` left out) are the tool's arguments, and its return value the
    result, both recorded per the capture policy.

    Args:
        fn: The function (when used without parentheses).
        name: The tool name.
        capture: A capture mode for this tool's arguments and result.
    """

    def decorate(function: _F) -> _F:
        return ToolCall(name if name is not None else function.__name__, capture=capture)(function)

    return decorate(fn) if fn is not None else decorate
