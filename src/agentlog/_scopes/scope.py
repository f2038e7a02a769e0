"""What every scope does: replace the IDs in force on entry and restore them on exit.

Each scope is a context manager (``with`` and ``async with``) and a
decorator. Entering one replaces the IDs in force with a new immutable
`RunContext` and writes the scope's opening event; leaving restores the
previous IDs and writes its closing event. An exception escaping a scope is
recorded on the closing event and re-raised unchanged: agentlog never
swallows, wraps or replaces it, and a failure of agentlog's own is counted
(`agentlog.problems`), never raised.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import Token
from types import TracebackType
from typing import Any, TypeVar

from .. import _diagnostics
from .._context import CURRENT, RunContext
from .._events.frames import latency_since
from .._otel import OpenSpan
from .._pipeline.errors import error_fields
from .._vocabulary import ERROR, OK
from .decorate import Arguments, decorate

__all__ = ["Scope", "failure_fields", "latency_since"]

_S = TypeVar("_S", bound="Scope")
_F = TypeVar("_F", bound=Callable[..., Any])


def failure_fields(ctx: RunContext | None, exc: BaseException) -> dict[str, Any]:
    """Error fields for *exc* leaving a scope; the stack only where it is first recorded."""
    state = ctx.run_state if ctx is not None else None
    return error_fields(exc, stack=state is None or not state.escaped_kinds(exc))


def _within(current: RunContext | None, ours: RunContext | None) -> bool:
    """Whether *current* is *ours*, or opened inside it: in its run, or a child run opened in it."""
    if current is ours:
        return True
    if current is None or ours is None:
        return False
    if current.run_id == ours.run_id:
        return True
    return current.parent_run_id == ours.run_id and current.parent_span_id == ours.span_id


class Scope:
    """Entering, leaving, and restoring the IDs in force."""

    _ctx: RunContext | None = None
    _token: Token[RunContext | None] | None = None
    _previous: RunContext | None = None
    _span: OpenSpan | None = None
    _start_ns: int = 0
    _entered: bool = False
    _failure: dict[str, Any] | None = None
    """A failure known only as a class and message (a framework caught the exception)."""

    @property
    def span_id(self) -> str | None:
        """This scope's span ID (None outside a run, or before entering)."""
        return self._ctx.span_id if self._ctx is not None else None

    def __call__(self, fn: _F) -> _F:
        """Use the scope as a decorator: each call of *fn* runs in a fresh scope like this one."""
        return decorate(fn, self._for_call)

    def _for_call(self, arguments: Arguments) -> Scope:
        """A fresh scope like this one for one call of a decorated function."""
        raise NotImplementedError

    def _outcome(self, exc: BaseException | None) -> tuple[str, dict[str, Any] | None]:
        """The closing status and error fields: from *exc*, else from a failure given as text."""
        if exc is not None:
            return ERROR, failure_fields(self._ctx, exc)
        if self._failure is not None:
            return ERROR, dict(self._failure)
        return OK, None

    def _returned(self, value: Any) -> None:
        """Note what the decorated function returned (a tool call records it)."""

    def _activate(self, ctx: RunContext | None) -> None:
        self._ctx = ctx
        if ctx is not None:
            self._previous = CURRENT.get()
            self._token = CURRENT.set(ctx)

    def _deactivate(self) -> None:
        token, self._token = self._token, None
        if token is None:
            return
        # Restore only what this scope put in force. A scope left out of order
        # — a generator abandoned in run A and finalized by the garbage
        # collector while run B is in force — must leave B's IDs alone: the
        # token (or the value before entry) belongs to A.
        if not _within(CURRENT.get(), self._ctx):
            _diagnostics.report("a scope ended where other IDs were in force; they were left in place")
            return
        try:
            CURRENT.reset(token)
        except ValueError:
            # Left in another context than it was entered in (a generator
            # resumed elsewhere), whose IDs are still this scope's.
            CURRENT.set(self._previous)

    def __enter__(self: _S) -> _S:
        if self._entered:
            raise RuntimeError(f"this {type(self).__name__} scope was already entered; create a new one")
        self._entered = True
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
