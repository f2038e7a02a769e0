"""Scopes driven by a framework's callbacks: opened on one hook, closed on another, keyed by its IDs.

A with-block opens and closes a scope in one place. A framework reports an
agent run, a model call or a tool call through a start hook and an end hook
instead, often in different contexts (a task, an executor thread), and names
each operation by an ID of its own. The `Tracker` keeps agentlog's scopes
under those IDs: a run, LLM call or tool call is the same `Run`, `LLMCall`
or `ToolCall` a with-block opens, so it writes the same lines and totals.

Each scope opens in a copy of the current context, under the parent the
framework names (or the agentlog scope in force), so opening never disturbs
the caller's IDs; `Tracker.start` then makes it current in the calling
context when asked (the tool body runs there), and `Tracker.end` puts the
previous IDs back only where they are still the scope's. Given the
framework's own span for an operation (``span=``), the scope adopts it
rather than opening a second one. Every method
counts its own failures (`agentlog.problems`) and never raises into the
framework.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Mapping
from contextvars import copy_context
from typing import Any

from .. import _diagnostics
from .._context import CURRENT, RunContext, SpanRef
from .._events.openings import ADOPTED
from .._events.payloads import MISSING
from .._scopes import LLMCall, Run, Step, ToolCall
from .._scopes.scope import Scope
from .._vocabulary import ERROR_CLASS, ERROR_MESSAGE
from ._request import request_parameters

__all__ = ["MISSING", "Tracker"]

MAX_OPEN = 10_000
"""Open scopes one tracker keeps; beyond it the oldest is closed (a framework that never ends its calls)."""


class _Open:
    """One open scope and what its end needs."""

    __slots__ = ("activated", "children", "key", "parent", "previous", "scope", "step")

    def __init__(self, key: Hashable, scope: Scope, parent: _Open | None, step: Step | None) -> None:
        self.key = key
        self.scope = scope
        self.parent = parent
        self.step = step
        self.activated = False
        self.previous: RunContext | None = None
        self.children: list[_Open] = []


def _enter(scope: Scope, under: RunContext | None, span: SpanRef | None = None) -> None:
    """Open *scope* nested in *under*, in a copy of the current context (the caller's stays as it was).

    With *span* (the framework's own span for the operation), the scope
    opens no span of its own and its lines carry that span's IDs.
    """

    def opening() -> None:
        CURRENT.set(under)
        ADOPTED.set(span)
        scope.__enter__()
        opened = scope._span
        if opened is not None:
            opened.release()

    copy_context().run(opening)
    scope._token = None  # it was put in force in the copy only


def _exit(scope: Scope, exc: BaseException | None) -> None:
    """Close *scope* wherever its end is reported: its closing line, totals and span."""
    try:
        scope._close(exc)
    except Exception as failure:
        _diagnostics.report("scope failed to close", failure)


def _backdate(entry: _Open, duration_ns: int) -> None:
    """Make *entry*'s scope (and its step, a run's totals) measure *duration_ns* when it closes now."""
    if type(duration_ns) is not int or duration_ns < 0:
        return
    start = time.perf_counter_ns() - duration_ns
    entry.scope._start_ns = start
    if entry.step is not None:
        entry.step._start_ns = start
    ctx = entry.scope._ctx
    if isinstance(entry.scope, Run) and ctx is not None and ctx.run_state is not None:
        ctx.run_state.started_ns = start


def _set_request(scope: LLMCall, framework: str, parameters: Mapping[str, Any]) -> None:
    try:
        for name, value in request_parameters(**parameters).items():
            setattr(scope, name, value)
    except Exception as exc:
        _diagnostics.report(f"{framework}: the model request's parameters could not be recorded", exc)


class Tracker:
    """Open agentlog scopes under a framework's own IDs, from its start and end hooks.

    Args:
        framework: The framework's name, for the problems it counts.
    """

    def __init__(self, framework: str) -> None:
        self.framework = framework
        self._open: OrderedDict[Hashable, _Open] = OrderedDict()
        self._lock = threading.Lock()

    # -- looking up ----------------------------------------------------------

    def context(self, key: Hashable) -> RunContext | None:
        """The IDs of the scope open under *key*, or None."""
        entry = self._open.get(key)
        return entry.scope._ctx if entry is not None else None

    def scope(self, key: Hashable) -> Scope | None:
        """The scope open under *key*, or None."""
        entry = self._open.get(key)
        return entry.scope if entry is not None else None

    def __contains__(self, key: object) -> bool:
        return key in self._open

    def __len__(self) -> int:
        return len(self._open)

    @contextlib.contextmanager
    def current(self, key: Hashable) -> Iterator[RunContext | None]:
        """Make the scope under *key* the one in force for the block (the tool body, say)."""
        ctx = self.context(key)
        if ctx is None:
            yield CURRENT.get()
            return
        token = CURRENT.set(ctx)
        try:
            yield ctx
        finally:
            with contextlib.suppress(ValueError):
                CURRENT.reset(token)

    # -- opening -------------------------------------------------------------

    def _parent(self, parent: Hashable | None) -> tuple[_Open | None, RunContext | None]:
        entry = self._open.get(parent) if parent is not None else None
        if entry is not None:
            return entry, entry.scope._ctx
        return None, CURRENT.get()

    def _start(
        self,
        key: Hashable,
        scope: Scope,
        parent: Hashable | None,
        activate: bool,
        step: Step | None = None,
        span: SpanRef | None = None,
    ) -> RunContext | None:
        try:
            with self._lock:
                if key in self._open:
                    _diagnostics.report(f"{self.framework}: an operation started twice; the first is kept")
                    return self.context(key)
            parent_entry, under = self._parent(parent)
            if step is not None:
                _enter(step, under, span)
                under = step._ctx if step._ctx is not None else under
            _enter(scope, under, span)
            entry = _Open(key, scope, parent_entry, step)
            with self._lock:
                self._open[key] = entry
                if parent_entry is not None:
                    parent_entry.children.append(entry)
                overflow = len(self._open) > MAX_OPEN
            if overflow:
                self._evict()
            if activate and scope._ctx is not None:
                entry.activated = True
                entry.previous = CURRENT.get()
                CURRENT.set(scope._ctx)
            return scope._ctx
        except Exception as exc:
            _diagnostics.report(f"{self.framework}: agentlog could not open a scope", exc)
            return None

    def _evict(self) -> None:
        with self._lock:
            oldest = next(iter(self._open), None)
        if oldest is not None:
            _diagnostics.report(f"{self.framework}: too many operations never ended; the oldest was closed")
            self.end(oldest)

    def run(
        self,
        key: Hashable,
        *,
        parent: Hashable | None = None,
        task: Any = None,
        user_id: str | None = None,
        session_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        activate: bool = False,
        span: SpanRef | None = None,
    ) -> RunContext | None:
        """Open a run under *key*: a child of *parent* (another tracked scope) or of the run in force.

        Returns the run's IDs, or None if agentlog could not open it.
        """
        scope = Run(task, user_id=user_id, session_id=session_id, metadata=metadata)
        return self._start(key, scope, parent, activate, span=span)

    def tool(
        self,
        key: Hashable,
        tool: str,
        args: Any = None,
        *,
        tool_call_id: str | None = None,
        parent: Hashable | None = None,
        step: bool = True,
        activate: bool = False,
        span: SpanRef | None = None,
    ) -> RunContext | None:
        """Open a tool call under *key*, in a ``tool`` step of its own unless *step* is False."""
        scope = ToolCall(tool, args, tool_call_id=tool_call_id)
        return self._start(key, scope, parent, activate, Step("tool", tool=tool) if step else None, span)

    def llm(
        self,
        key: Hashable,
        model: str,
        *,
        provider: str | None = None,
        parent: Hashable | None = None,
        step: bool = True,
        activate: bool = False,
        span: SpanRef | None = None,
        request: Mapping[str, Any] | None = None,
    ) -> RunContext | None:
        """Open a model call under *key*, in a ``model`` step of its own unless *step* is False.

        *request* holds the request's parameters as `request_parameters`
        takes them (``temperature``, ``max_tokens``, ``top_p``, ``seed``);
        only numbers of the right kind are written.
        """
        scope = LLMCall(model, provider)
        if request:
            _set_request(scope, self.framework, request)
        return self._start(key, scope, parent, activate, Step("model") if step else None, span)

    # -- closing -------------------------------------------------------------

    def end(
        self,
        key: Hashable,
        *,
        error: BaseException | str | None = None,
        error_class: str | None = None,
        result: Any = MISSING,
        stop_reason: str | None = None,
        escaped: bool = False,
        duration_ns: int | None = None,
    ) -> RunContext | None:
        """Close the scope under *key* (and whatever it still holds open); return its IDs.

        Args:
            key: The framework's ID for the operation.
            error: The exception that failed it, or its message.
            error_class: The error's class, with a message-only *error*.
            result: A tool call's result, recorded per the capture policy.
            stop_reason: A run's stop reason.
            escaped: The error escaped the tool or model call (its step fails too).
            duration_ns: How long the operation took by the framework's own clock
                (its span's end minus start): the latency written (its step's, a
                run's total) instead of the time between the two hooks.
        """
        try:
            with self._lock:
                entry = self._open.pop(key, None)
            if entry is None:
                return None
            exc = error if isinstance(error, BaseException) else None
            self._end_children(entry, exc if isinstance(exc, asyncio.CancelledError) else None)
            scope = entry.scope
            if exc is None and (error is not None or error_class is not None):
                scope._failure = {
                    ERROR_CLASS: error_class or "Error",
                    ERROR_MESSAGE: str(error) if error is not None else "",
                }
            if result is not MISSING and isinstance(scope, ToolCall):
                scope.result = result
            if stop_reason is not None and isinstance(scope, Run):
                scope.finish(stop_reason)
            if duration_ns is not None:
                _backdate(entry, duration_ns)
            _exit(scope, exc)
            if entry.step is not None:
                if escaped and exc is None and scope._failure is not None:
                    entry.step._failure = scope._failure  # a text-only failure fails its step too
                _exit(entry.step, exc if escaped else None)
            ctx = scope._ctx
            if entry.activated and ctx is not None and CURRENT.get() is ctx:
                CURRENT.set(entry.previous)
            parent = entry.parent
            if parent is not None:
                with self._lock, contextlib.suppress(ValueError):
                    parent.children.remove(entry)
            return ctx
        except Exception as exc:
            _diagnostics.report(f"{self.framework}: agentlog could not close a scope", exc)
            return None

    def _end_children(self, entry: _Open, cancelled: BaseException | None = None) -> None:
        with self._lock:
            children = list(entry.children)
        for child in reversed(children):
            if child.key in self._open:
                if cancelled is not None:  # cancelled with its parent: nothing more to report
                    self.end(child.key, error=cancelled, escaped=True)
                    continue
                _diagnostics.report(
                    f"{self.framework}: an operation never reported its end; closed with its parent"
                )
                self.end(child.key)

    def usage(self, key: Hashable, **usage: Any) -> None:
        """Set an open model call's usage (`LLMCall.set_usage` arguments), model and content.

        Besides the token counts and ``finish_reason``: ``model`` (the
        model that answered), ``prompt`` and ``completion``.
        """
        scope = self.scope(key)
        if not isinstance(scope, LLMCall):
            return
        try:
            model = usage.pop("model", None)
            if model:
                scope.model = str(model)
            for name in ("prompt", "completion"):
                value = usage.pop(name, MISSING)
                if value is not MISSING:
                    setattr(scope, name, value)
            scope.set_usage(**{name: value for name, value in usage.items() if value is not None})
        except Exception as exc:
            _diagnostics.report(f"{self.framework}: model usage could not be recorded", exc)

    def request(self, key: Hashable, **parameters: Any) -> None:
        """Set an open model call's request parameters, where the framework gives them only later.

        The keywords are `request_parameters`'s; only numbers of the right
        kind are written, and a parameter given as None leaves one set before.
        """
        scope = self.scope(key)
        if isinstance(scope, LLMCall):
            _set_request(scope, self.framework, parameters)

    def close_all(self) -> None:
        """Close every open scope (uninstrumenting, or at exit): innermost first."""
        while True:
            with self._lock:
                if not self._open:
                    return
                key = next(reversed(self._open))
            self.end(key)
