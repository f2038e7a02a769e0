"""The IDs in force, held in one ContextVar.

The variable holds one immutable `RunContext` per scope. Entering a scope
replaces the value; leaving it restores the previous one. Nothing stored in
the variable is ever mutated, so a task or thread that copied the context
keeps exactly the IDs it copied. The one mutable thing a context points to is
its run's `RunState`, the accumulator every task and thread of the run
updates under a lock.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

__all__ = ["RunContext", "RunState", "current"]

_MAX_REMEMBERED_ERRORS = 64


class RunState:
    """The per-run accumulator: step counter and totals.

    Shared by every scope, task and thread of one run; all updates take the
    run's lock, so concurrent tool calls never lose a count.
    """

    __slots__ = (
        "_errors_seen",
        "_lock",
        "errors",
        "input_tokens",
        "llm_calls",
        "output_tokens",
        "started_ns",
        "steps",
        "tool_calls",
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started_ns = time.perf_counter_ns()
        self.steps = 0
        self.tool_calls = 0
        self.llm_calls = 0
        self.errors = 0
        self.input_tokens = 0
        self.output_tokens = 0
        # Exceptions already counted, by identity, with the kind of scope they
        # first escaped. Strong references (exceptions cannot be weakly
        # referenced), bounded so a long run cannot grow without limit.
        self._errors_seen: OrderedDict[int, tuple[BaseException, set[str]]] = OrderedDict()

    def next_step(self) -> int:
        """Advance the step counter and return the new step_id."""
        with self._lock:
            self.steps += 1
            return self.steps

    def note_step(self, step_id: int) -> None:
        """Account for a step numbered by the caller rather than the counter."""
        with self._lock:
            if isinstance(step_id, int) and step_id > self.steps:
                self.steps = step_id

    def add_tool_call(self, failed: bool, exc: BaseException | None) -> None:
        """Count one finished tool call (the hot path of `record`)."""
        with self._lock:
            self.tool_calls += 1
            if failed and self._first_sighting(exc, "tool"):
                self.errors += 1

    def record(
        self,
        *,
        tool_calls: int = 0,
        llm_calls: int = 0,
        input_tokens: int = 0,
        output_tokens: int = 0,
        failed: bool = False,
        exc: BaseException | None = None,
        kind: str = "",
    ) -> None:
        """Add one finished call or step to the totals.

        Args:
            tool_calls: Tool calls to add.
            llm_calls: LLM calls to add.
            input_tokens: Input tokens to add.
            output_tokens: Output tokens to add.
            failed: Whether the call or step failed.
            exc: The exception that made it fail, if any. An exception is
                counted once, at the innermost scope it escaped; later scopes
                it escapes do not count it again.
            kind: The kind of scope (``tool``, ``llm``, ``step``) *exc* escaped;
                remembered for the run's ``stop_reason``.
        """
        with self._lock:
            self.tool_calls += tool_calls
            self.llm_calls += llm_calls
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens
            if failed and self._first_sighting(exc, kind):
                self.errors += 1

    def _first_sighting(self, exc: BaseException | None, kind: str) -> bool:
        if exc is None:
            return True
        key = id(exc)
        seen = self._errors_seen.get(key)
        if seen is not None and seen[0] is exc:
            seen[1].add(kind)
            return False
        self._errors_seen[key] = (exc, {kind})
        if len(self._errors_seen) > _MAX_REMEMBERED_ERRORS:
            self._errors_seen.popitem(last=False)
        return True

    def escaped_kinds(self, exc: BaseException) -> frozenset[str]:
        """Return the kinds of scope (``tool``, ``llm``, ``step``) *exc* escaped."""
        with self._lock:
            seen = self._errors_seen.get(id(exc))
            return frozenset(seen[1]) if seen is not None and seen[0] is exc else frozenset()

    def forget_errors(self) -> None:
        """Drop the remembered exceptions (and the frames they hold)."""
        with self._lock:
            self._errors_seen.clear()


class RunContext:
    """A read-only view of the IDs in force.

    Returned by `agentlog.current()`. Attributes that do not apply in the
    current scope are None (``step_id`` outside a step, ``tool_call_id``
    outside a tool call).

    Attributes:
        run_id: The run's UUID.
        trace_id: 32 lowercase hex digits, shared by a run and its child runs.
        span_id: 16 lowercase hex digits naming the innermost scope.
        parent_span_id: The span that encloses this scope, if any.
        parent_run_id: The run that started this one, for a child run.
        step_id: The step counter value of the enclosing step.
        step_type: The enclosing step's type.
        tool_call_id: The enclosing tool call's ID.
        tool: The enclosing tool call's tool name.
        session_id: The conversation that groups runs.
        request_id: The inbound request.
        user_id: The user the run acts for.
        trace_flags: The W3C trace flags sent on (``"01"``: sampled).
        tracestate: The W3C ``tracestate`` received, passed on unchanged.
        baggage: Baggage members received from other systems, passed on.
    """

    __slots__ = (
        "_fields",
        "_state",
        "baggage",
        "parent_run_id",
        "parent_span_id",
        "request_id",
        "run_id",
        "session_id",
        "span_id",
        "step_id",
        "step_type",
        "tool",
        "tool_call_id",
        "trace_flags",
        "trace_id",
        "tracestate",
        "user_id",
    )

    run_id: str
    trace_id: str
    span_id: str
    parent_span_id: str | None
    parent_run_id: str | None
    step_id: int | None
    step_type: str | None
    tool_call_id: str | None
    tool: str | None
    session_id: str | None
    request_id: str | None
    user_id: str | None
    trace_flags: str
    tracestate: str | None
    baggage: tuple[str, ...]
    _state: RunState | None
    _fields: Mapping[str, Any]

    def __init__(
        self,
        *,
        run_id: str,
        trace_id: str,
        span_id: str,
        parent_span_id: str | None = None,
        parent_run_id: str | None = None,
        step_id: int | None = None,
        step_type: str | None = None,
        tool_call_id: str | None = None,
        tool: str | None = None,
        session_id: str | None = None,
        request_id: str | None = None,
        user_id: str | None = None,
        trace_flags: str = "01",
        tracestate: str | None = None,
        baggage: tuple[str, ...] = (),
        state: RunState | None = None,
    ) -> None:
        init = object.__setattr__
        init(self, "run_id", run_id)
        init(self, "trace_id", trace_id)
        init(self, "span_id", span_id)
        init(self, "parent_span_id", parent_span_id)
        init(self, "parent_run_id", parent_run_id)
        init(self, "step_id", step_id)
        init(self, "step_type", step_type)
        init(self, "tool_call_id", tool_call_id)
        init(self, "tool", tool)
        init(self, "session_id", session_id)
        init(self, "request_id", request_id)
        init(self, "user_id", user_id)
        init(self, "trace_flags", trace_flags)
        init(self, "tracestate", tracestate)
        init(self, "baggage", baggage)
        init(self, "_state", state)
        # The fields every line in this scope carries, built once.
        fields: dict[str, Any] = {
            "run_id": run_id,
            "trace_id": trace_id,
            "span_id": span_id,
        }
        if parent_run_id is not None:
            fields["parent_run_id"] = parent_run_id
        if step_id is not None:
            fields["step_id"] = step_id
        if tool_call_id is not None:
            fields["tool_call_id"] = tool_call_id
        if session_id is not None:
            fields["session_id"] = session_id
        if request_id is not None:
            fields["request_id"] = request_id
        # A plain dict, never mutated after this: copying from it into each
        # line is several times faster than from a read-only proxy.
        init(self, "_fields", fields)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"RunContext is read-only; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"RunContext is read-only; cannot delete {name!r}")

    def __repr__(self) -> str:
        return f"RunContext({', '.join(f'{k}={v!r}' for k, v in self.as_dict().items())})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RunContext):
            return NotImplemented
        return self.as_dict() == other.as_dict() and self._state is other._state

    def __hash__(self) -> int:
        return hash((self.run_id, self.span_id))

    def as_dict(self) -> dict[str, Any]:
        """Return the IDs as a new dict, leaving out those that are None."""
        names = (
            "run_id",
            "trace_id",
            "span_id",
            "parent_span_id",
            "parent_run_id",
            "step_id",
            "step_type",
            "tool_call_id",
            "tool",
            "session_id",
            "request_id",
            "user_id",
        )
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def replace(self, **changes: Any) -> RunContext:
        """Return a copy of this context with some attributes replaced."""
        values: dict[str, Any] = {
            "run_id": self.run_id,
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_span_id": self.parent_span_id,
            "parent_run_id": self.parent_run_id,
            "step_id": self.step_id,
            "step_type": self.step_type,
            "tool_call_id": self.tool_call_id,
            "tool": self.tool,
            "session_id": self.session_id,
            "request_id": self.request_id,
            "user_id": self.user_id,
            "trace_flags": self.trace_flags,
            "tracestate": self.tracestate,
            "baggage": self.baggage,
            "state": self._state,
        }
        values.update(changes)
        return RunContext(**values)

    def child(self, *, span_id: str, **changes: Any) -> RunContext:
        """Return a context for a scope nested in this one.

        Args:
            span_id: The new scope's span ID; this context's span becomes its
                parent span.
            changes: Other attributes to replace.
        """
        return self.replace(span_id=span_id, parent_span_id=self.span_id, **changes)


_CURRENT: ContextVar[RunContext | None] = ContextVar("agentlog.current", default=None)

get_context = _CURRENT.get


def current() -> RunContext | None:
    """Return the IDs in force here, or None outside a run.

    The result is immutable: it describes this point of the program and stays
    valid after the scope ends.
    """
    return _CURRENT.get()
