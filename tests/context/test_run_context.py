"""RunContext: immutable, cheap to nest, one field list, IDs in line order, one span shape."""

from __future__ import annotations

import pytest

from agentlog._context import CURRENT, LineIds, RunContext, RunState, SpanRef
from agentlog._vocabulary import LINE_IDS
from agentlog.propagation import RemoteParent

RUN = "6f1c2b9e-8d3a-4c1e-9b7a-2e5d4c3b2a10"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def _root(**extra: object) -> RunContext:
    return RunContext.create(run_id=RUN, trace_id=TRACE, span_id="1" * 16, run_state=RunState(), **extra)


def test_child_names_its_parent_and_keeps_the_run() -> None:
    """A child context gets its own span, names the parent's as its parent, and keeps the run's fields."""
    root = _root(session_id="s", user_id="u", tracestate="k=v", baggage=("a=b",))
    child = root.child("2" * 16, tool_call_id="tc", tool="search")
    assert (child.span_id, child.parent_span_id) == ("2" * 16, "1" * 16)
    assert (child.tool_call_id, child.tool) == ("tc", "search")
    assert (child.run_id, child.session_id, child.user_id) == (RUN, "s", "u")
    assert (child.tracestate, child.baggage, child.run_state) == ("k=v", ("a=b",), root.run_state)


def test_child_leaves_its_parent_unchanged() -> None:
    """Nesting replaces, never mutates: the parent context is the same value afterwards."""
    root = _root()
    before = tuple(root)
    root.child("2" * 16, step_id=1, step_type="plan")
    assert tuple(root) == before


def test_attributes_cannot_be_set() -> None:
    """A context's attributes are read-only."""
    with pytest.raises(AttributeError):
        _root().span_id = "3" * 16  # type: ignore[misc]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda ids: ids.__setitem__("run_id", "x"),
        lambda ids: ids.__delitem__("run_id"),
        lambda ids: ids.update(run_id="x"),
        lambda ids: ids.pop("run_id"),
        lambda ids: ids.popitem(),
        lambda ids: ids.setdefault("new", 1),
        lambda ids: ids.clear(),
    ],
)
def test_ids_refuse_every_change(mutate: object) -> None:
    """The IDs a line carries cannot be altered through the context's view of them."""
    ids = _root().ids
    assert isinstance(ids, LineIds)
    with pytest.raises(TypeError):
        mutate(ids)  # type: ignore[operator]
    assert ids["run_id"] == RUN


def test_ids_follow_the_line_order_and_skip_what_is_unset() -> None:
    """Ids holds the IDs that are set, in the vocabulary's line order, however the context was made."""
    ctx = _root(request_id="r").child("2" * 16, tool_call_id="tc").child("3" * 16, step_id=4)
    assert list(ctx.ids) == [name for name in LINE_IDS if getattr(ctx, name) is not None]
    assert ctx.ids["step_id"] == 4


def test_event_ids_add_the_parent_span() -> None:
    """A typed event's IDs are the line IDs plus the parent span, for nested scopes only."""
    root = _root()
    child = root.child("2" * 16)
    assert root.event_ids == root.ids
    assert child.event_ids == {**child.ids, "parent_span_id": "1" * 16}


def test_replace_recomputes_the_ids() -> None:
    """replace() gives a context whose line IDs match its new attributes."""
    ctx = _root().replace(session_id="new")
    assert ctx.ids["session_id"] == "new"


def test_span_is_the_one_parent_shape() -> None:
    """A context, a caller's carrier and an OpenTelemetry span all name a parent as a SpanRef."""
    assert _root().span == SpanRef(TRACE, "1" * 16, "01", False)
    remote = RemoteParent(trace_id=TRACE, span_id="a" * 16, trace_flags="00")
    assert remote.span == SpanRef(TRACE, "a" * 16, "00", True)


def test_equal_contexts_hash_alike_and_repr_shows_only_ids() -> None:
    """Contexts compare by value, hash by run and span, and print their IDs (not the run's state)."""
    state = RunState()
    a = RunContext.create(run_id=RUN, trace_id=TRACE, span_id="1" * 16, run_state=state)
    b = RunContext.create(run_id=RUN, trace_id=TRACE, span_id="1" * 16, run_state=state)
    assert a == b and hash(a) == hash(b)
    assert "RunState" not in repr(a) and RUN in repr(a)
    assert a.as_dict() == {"run_id": RUN, "trace_id": TRACE, "span_id": "1" * 16}


def test_current_is_none_outside_a_scope() -> None:
    """Nothing is in force until a scope sets it."""
    assert CURRENT.get() is None


def test_equality_is_about_the_ids_not_the_pass_through_state() -> None:
    """Contexts naming the same IDs in one run are equal, whatever flags or baggage they carry."""
    ctx = _root()
    assert ctx.replace(trace_flags="00", baggage=("k=v",)) == ctx
    assert ctx.replace(session_id="other") != ctx


def test_read_only_errors_name_the_attribute() -> None:
    """Setting or deleting any attribute says the context is read-only."""
    ctx = _root()
    with pytest.raises(AttributeError, match="read-only; cannot set 'anything'"):
        ctx.anything = 1
    with pytest.raises(AttributeError, match="read-only; cannot delete 'run_id'"):
        del ctx.run_id


def test_replacing_an_unknown_attribute_is_a_type_error() -> None:
    """replace() with a name that is not an attribute raises TypeError, as a bad keyword does."""
    with pytest.raises(TypeError, match="bogus"):
        _root().replace(bogus=1)
