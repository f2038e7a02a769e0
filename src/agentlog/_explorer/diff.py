"""Two runs side by side: their steps, calls and decisions aligned, what differs, where they first diverge.

How spans are aligned: each run's tree (`tree.build_tree`, child runs
included) is walked depth first in time order, keeping its steps, tool
calls, LLM calls, decisions and child runs (log lines are left out). Each
span is keyed by its kind and name — a step by its type (and tool), a tool
call by its tool, an LLM call by its model, a decision by its kind — and the
two sequences of keys are aligned the way ``diff`` aligns lines (longest
matching blocks, `difflib.SequenceMatcher`): spans with the same key in the
same order pair up; where the runs did different things, spans pair up by
position (shown as different), and what one run did more of stands alone.
Step numbers and call IDs are not part of the key, so one extra step early
on does not misalign every later one.

A pair differs when its key, status, ``args_hash`` (a tool call's
arguments), error class, finish reason or decision outcome differ, or when
only one run has the span; latency and tokens are shown side by side but are
expected to vary, so they never count as a divergence. The first differing
row is the first divergence — where the good run and the bad one parted —
except that a span that differs only in its outcome (status, error class)
because a span inside it failed yields to that inner span: a step that
failed because its tool call did diverges at the tool call.

Work is bounded: beyond `MAX_ALIGNED` spans on a side (after the common
beginning and end are taken off) the middles pair up by position.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from agentlog._vocabulary import STEP_ID, TOOL_CALL_ID

from .reader import Counts, collect_run, run_id_needle
from .runs import RunSummary, matching_run_ids
from .tree import Node, RunTree, build_tree, trace_lines, walk

__all__ = ["MAX_ALIGNED", "DiffRow", "Found", "RunDiff", "SpanView", "diff_runs", "find_run", "spans_of"]

MAX_ALIGNED = 2000
"""The most spans per side aligned as a diff; beyond it, the middles pair up by position."""
_KINDS = ("step", "tool", "llm", "decision", "run")
_RUN_ID_LENGTH = 36


@dataclass
class SpanView:
    """One span of a run, as the diff compares it."""

    kind: str
    name: str
    depth: int
    status: str | None = None
    latency_ms: float | None = None
    step_id: Any = None
    tool_call_id: str | None = None
    args_hash: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    finish_reason: str | None = None
    outcome: str | None = None
    error_class: str | None = None
    error_message: str | None = None
    run_id: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """What aligns it with a span of the other run: its kind and name."""
        return (self.kind, self.name)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return dict(self.__dict__)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def _view(node: Node, depth: int) -> SpanView:
    line = node.line
    opening = node.opening or line
    name = node.name
    if node.kind == "decision":
        name = str(line.get("kind", ""))
    elif node.kind == "run":
        name = ""  # every child run is keyed alike: their IDs always differ
    return SpanView(
        kind=node.kind,
        name=name,
        depth=depth,
        status=_text(node.status),
        latency_ms=node.latency_ms,
        step_id=line.get(STEP_ID) if type(line.get(STEP_ID)) is int else None,
        tool_call_id=_text(line.get(TOOL_CALL_ID)),
        args_hash=_text(opening.get("args_hash", line.get("args_hash"))) if node.kind == "tool" else None,
        input_tokens=_int(line.get("input_tokens")) if node.kind == "llm" else None,
        output_tokens=_int(line.get("output_tokens")) if node.kind == "llm" else None,
        finish_reason=_text(line.get("finish_reason")) if node.kind == "llm" else None,
        outcome=_text(line.get("outcome")) if node.kind == "decision" else None,
        error_class=_text(node.error_class),
        error_message=_text(node.error_message),
        run_id=_text(node.run_id) if node.kind == "run" else None,
    )


def spans_of(tree: RunTree) -> list[SpanView]:
    """The run's steps, calls, decisions and child runs, depth first in time order (the root left out)."""
    views = []
    for node, depth, _ in walk(tree.root):
        if depth > 0 and node.kind in _KINDS:
            views.append(_view(node, depth - 1))
    return views


@dataclass
class DiffRow:
    """One row of the diff: a span of run A, of run B, or a pair, and how they differ."""

    a: SpanView | None
    b: SpanView | None
    differences: list[str] = field(default_factory=list)
    first_divergence: bool = False

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "a": self.a.as_dict() if self.a else None,
            "b": self.b.as_dict() if self.b else None,
            "same": not self.differences,
            "differences": self.differences,
            "first_divergence": self.first_divergence,
        }


def _differences(a: SpanView | None, b: SpanView | None) -> list[str]:
    if a is None:
        return ["only in B"]
    if b is None:
        return ["only in A"]
    found = []
    if a.key != b.key:
        found.append("span")
    for name in ("status", "args_hash", "error_class", "finish_reason", "outcome"):
        if getattr(a, name) != getattr(b, name):
            found.append(name)
    return found


def _pairs(left: list[SpanView], right: list[SpanView]) -> Iterable[tuple[SpanView | None, SpanView | None]]:
    """The two sequences aligned (see the module docstring)."""
    keys_a, keys_b = [span.key for span in left], [span.key for span in right]
    head = 0
    while head < min(len(left), len(right)) and keys_a[head] == keys_b[head]:
        head += 1
    tail = 0
    while tail < min(len(left), len(right)) - head and keys_a[-1 - tail] == keys_b[-1 - tail]:
        tail += 1
    yield from zip(left[:head], right[:head], strict=True)
    mid_a, mid_b = left[head : len(left) - tail], right[head : len(right) - tail]
    if len(mid_a) <= MAX_ALIGNED and len(mid_b) <= MAX_ALIGNED:
        matcher = difflib.SequenceMatcher(
            None, keys_a[head : len(left) - tail], keys_b[head : len(right) - tail], autojunk=False
        )
        for _, a0, a1, b0, b1 in matcher.get_opcodes():
            yield from zip_longest(mid_a[a0:a1], mid_b[b0:b1])
    else:
        yield from zip_longest(mid_a, mid_b)
    yield from zip(left[len(left) - tail :], right[len(right) - tail :], strict=True)


@dataclass
class RunDiff:
    """Two runs compared: their summaries, the aligned rows, the first divergence."""

    a: RunSummary | None
    b: RunSummary | None
    a_run_id: str
    b_run_id: str
    rows: list[DiffRow]

    @property
    def first_divergence(self) -> int | None:
        """The index of the first row that differs, or None if the runs did the same things."""
        return next((index for index, row in enumerate(self.rows) if row.first_divergence), None)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: both runs, how spans were aligned, the rows, the first divergence."""
        return {
            "a": self.a.as_dict() if self.a else {"run_id": self.a_run_id},
            "b": self.b.as_dict() if self.b else {"run_id": self.b_run_id},
            "alignment": ALIGNMENT,
            "first_divergence": self.first_divergence,
            "rows": [row.as_dict() for row in self.rows],
        }


ALIGNMENT = (
    "steps, tool calls, LLM calls, decisions and child runs of each run, depth first in time order, "
    "aligned as diff aligns lines on their kind and name (step type and tool, tool, model, decision kind); "
    "where the runs differ, spans pair up by position and the extra ones stand alone"
)
"""How the rows were aligned, as ``diff --json`` says it."""


def diff_runs(a: RunTree, b: RunTree) -> RunDiff:
    """Run *a* and run *b* side by side (see the module docstring)."""
    rows = [
        DiffRow(left, right, _differences(left, right)) for left, right in _pairs(spans_of(a), spans_of(b))
    ]
    first = _first_divergence(rows)
    if first is not None:
        rows[first].first_divergence = True
    return RunDiff(
        a=_summary(a),
        b=_summary(b),
        a_run_id=str(a.root.run_id),
        b_run_id=str(b.root.run_id),
        rows=rows,
    )


_OUTCOME_ONLY = frozenset({"status", "error_class"})


def _depth(row: DiffRow) -> int:
    return min(span.depth for span in (row.a, row.b) if span is not None)


def _first_divergence(rows: list[DiffRow]) -> int | None:
    """The first row that differs; a span that only failed because a span inside it did yields to that one."""
    index = next((index for index, row in enumerate(rows) if row.differences), None)
    if index is None:
        return None
    while (
        index + 1 < len(rows)
        and set(rows[index].differences) <= _OUTCOME_ONLY
        and rows[index + 1].differences
        and _depth(rows[index + 1]) > _depth(rows[index])
    ):
        index += 1
    return index


def _summary(tree: RunTree) -> RunSummary | None:
    return next((run for run in tree.runs if run.run_id == tree.root.run_id), None)


@dataclass
class Found:
    """What looking for a run by ID prefix found: the run's tree, or the runs it could be."""

    prefix: str
    tree: RunTree | None = None
    candidates: list[str] = field(default_factory=list)


def find_run(inputs: list[str], prefix: str, counts: Counts) -> Found:
    """The run whose ID is or starts with *prefix* (as ``show`` finds it), with its child runs.

    ``tree`` is None when no run or more than one matches; ``candidates`` says which.
    """
    lines = collect_run(inputs, run_id_needle(prefix), counts, unique=len(prefix) == _RUN_ID_LENGTH)
    candidates = matching_run_ids(lines, prefix)
    if prefix in candidates:
        candidates = [prefix]
    if len(candidates) != 1:
        return Found(prefix, None, candidates)
    run_id = candidates[0]
    return Found(prefix, build_tree(trace_lines(lines, run_id), run_id), candidates)
