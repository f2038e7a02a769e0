"""The IDs in force: one immutable `RunContext` per scope, held in one ContextVar.

Entering a scope replaces the variable's value; leaving restores the previous
one. Nothing stored in the variable is ever mutated, so a task or thread that
copied the context keeps exactly the IDs it copied. The one mutable thing a
context points to is its run's `RunState`.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, NamedTuple, NoReturn

from .._vocabulary import LINE_IDS, PARENT_SPAN_ID
from .run_state import RunState
from .span import SpanRef

__all__ = ["CURRENT", "LineIds", "RunContext", "current", "get_context"]


class LineIds(dict[str, Any]):
    """The IDs every line of a scope carries: a dict that refuses changes.

    Copying from it into a line is as fast as copying from a plain dict (a
    read-only proxy costs twice as much), and no caller can alter a context
    through it.
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a RunContext's IDs are read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse


NO_IDS = LineIds()


class RunContext(NamedTuple):
    """A read-only view of the IDs in force, as `agentlog.current` returns it.

    Attributes that do not apply in the current scope are None (``step_id``
    outside a step, ``tool_call_id`` outside a tool call). A new scope gets a
    new context (`child`); a context is never changed.

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
        run_state: The run's step counter and totals (agentlog's bookkeeping).
        ids: The IDs every line written in this scope carries, in line order
            (read-only).
        event_ids: The IDs a typed event written in this scope carries: `ids`
            and, for a nested scope, ``parent_span_id`` (so a span is placed
            in the run's tree by any one of its lines).
    """

    run_id: str
    trace_id: str
    span_id: str
    parent_span_id: str | None = None
    parent_run_id: str | None = None
    step_id: int | None = None
    step_type: str | None = None
    tool_call_id: str | None = None
    tool: str | None = None
    session_id: str | None = None
    request_id: str | None = None
    user_id: str | None = None
    trace_flags: str = "01"
    tracestate: str | None = None
    baggage: tuple[str, ...] = ()
    run_state: RunState | None = None
    ids: LineIds = NO_IDS
    event_ids: LineIds = NO_IDS

    @classmethod
    def create(cls, **fields: Any) -> RunContext:
        """Return a context with the given attributes and the line IDs they imply."""
        return _with_ids(list(cls(**fields)))

    @property
    def span(self) -> SpanRef:
        """This scope's span, as a child names its parent."""
        return SpanRef(self.trace_id, self.span_id, self.trace_flags)

    def child(self, span_id: str, **changes: Any) -> RunContext:
        """Return the context of a scope nested in this one.

        Args:
            span_id: The new scope's span ID; this context's span becomes its
                parent span.
            changes: Other attributes to replace (``step_id``, ``tool_call_id`` …).
        """
        values = list(self)
        values[_PARENT_SPAN_ID] = values[_SPAN_ID]
        values[_SPAN_ID] = span_id
        for name, value in changes.items():
            index = _INDEX.get(name)
            if index is None:
                raise TypeError(f"RunContext has no attribute {name!r} to replace")
            values[index] = value
        return _with_ids(values)

    def replace(self, **changes: Any) -> RunContext:
        """Return a copy of this context with some attributes replaced.

        Raises:
            TypeError: a name is not an attribute that can be replaced.
        """
        values = list(self)
        for name, value in changes.items():
            index = _INDEX.get(name)
            if index is None:
                raise TypeError(f"RunContext has no attribute {name!r} to replace")
            values[index] = value
        return _with_ids(values)

    def as_dict(self) -> dict[str, Any]:
        """Return the IDs as a new dict, leaving out those that are None."""
        return {name: value for name, value in zip(_DESCRIBED, self, strict=False) if value is not None}

    def __repr__(self) -> str:
        return f"RunContext({', '.join(f'{k}={v!r}' for k, v in self.as_dict().items())})"

    # Two views of the IDs are equal when they name the same IDs in the same run
    # (the pass-through trace flags, tracestate and baggage do not make a scope).
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RunContext):
            return NotImplemented
        return self.as_dict() == other.as_dict() and self.run_state is other.run_state

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash((self.run_id, self.span_id))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"RunContext is read-only; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"RunContext is read-only; cannot delete {name!r}")


_DERIVED = ("ids", "event_ids")
_INDEX = {name: index for index, name in enumerate(RunContext._fields) if name not in _DERIVED}
_SPAN_ID, _PARENT_SPAN_ID = _INDEX["span_id"], _INDEX["parent_span_id"]
_IDS, _EVENT_IDS = RunContext._fields.index("ids"), RunContext._fields.index("event_ids")
_LINE_ID_INDEXES = tuple((name, _INDEX[name]) for name in LINE_IDS)
# What as_dict and repr describe: the IDs and names, not the pass-through state.
_DESCRIBED = RunContext._fields[: _INDEX["user_id"] + 1]


def _with_ids(values: list[Any]) -> RunContext:
    ids = {}
    for name, index in _LINE_ID_INDEXES:
        value = values[index]
        if value is not None:
            ids[name] = value
    values[_IDS] = line_ids = LineIds(ids)
    parent = values[_PARENT_SPAN_ID]
    if parent is not None:
        ids[PARENT_SPAN_ID] = parent
        values[_EVENT_IDS] = LineIds(ids)
    else:
        values[_EVENT_IDS] = line_ids
    return tuple.__new__(RunContext, values)


CURRENT: ContextVar[RunContext | None] = ContextVar("agentlog.current", default=None)

get_context = CURRENT.get


def current() -> RunContext | None:
    """Return the IDs in force here, or None outside a run.

    The result is immutable: it describes this point of the program and stays
    valid after the scope ends.
    """
    return CURRENT.get()
