"""One run rebuilt as a tree of spans (run, step, tool call, LLM call), and where it failed.

Lines are placed by their span IDs: a span opens with its first line and
closes with its last (`agentlog._vocabulary.SPAN_KIND_OPENED` and
``SPAN_KIND_CLOSED``), and every line hangs under the span it names as its
parent. Child runs started from the run (``parent_run_id`` on their typed
lines, at any depth) are part of the tree, so a failure deep inside one is
found from the top.

A tree can be as deep as its input makes it (a chain of child runs thousands
of levels deep, or span IDs that name each other as parents), so nothing here
recurses: every walk keeps its own stack, and a cycle of parents is broken by
hanging its first node under the root.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from agentlog._vocabulary import (
    DECISION,
    ERROR,
    ERROR_CLASS,
    ERROR_MESSAGE,
    ERROR_STACK,
    EVENT,
    PARENT_RUN_ID,
    PARENT_SPAN_ID,
    RUN_ID,
    RUN_STARTED,
    SPAN_ID,
    SPAN_KIND_CLOSED,
    SPAN_KIND_OPENED,
    STEP_ID,
    TIMESTAMP,
    TOOL_CALL_ID,
    TRACE_ID,
)

from .runs import RunSummary, run_metadata, summarize_runs
from .times import epoch
from .typed import typed_event
from .values import number

__all__ = [
    "SPAN_KINDS",
    "Node",
    "RunTree",
    "bounded",
    "build_tree",
    "descendants",
    "first_failure",
    "run_metadata",
    "trace_lines",
    "walk",
]

SPAN_KINDS = ("run", "step", "tool", "llm")
"""The kinds of node that are spans; the others (``log``, ``decision``) are lines inside one."""

_MAX_NESTING = 32
"""How deep a logged value is kept in a JSON view; deeper parts are replaced by a marker."""


def bounded(value: Any, depth: int = _MAX_NESTING) -> Any:
    """*value* with containers nested deeper than *depth* replaced by a marker string.

    JSON encoders refuse deep nesting (orjson past 254 levels), and a logged
    value can be nested as deep as its writer liked: this keeps the first
    *depth* levels and says what was left out.
    """
    if not isinstance(value, (dict, list)):
        return value
    if depth <= 0:
        return f"…({type(value).__name__} nested too deep)"
    if isinstance(value, dict):
        return {str(key): bounded(item, depth - 1) for key, item in value.items()}
    return [bounded(item, depth - 1) for item in value]


@dataclass(eq=False)
class Node:
    """A span of the run (run, step, tool call, LLM call), or a line inside one.

    Nodes compare by identity: two nodes with the same fields (a line given
    twice) are still two places in the tree.
    """

    kind: str
    span_id: str | None
    parent_span_id: str | None
    run_id: str | None
    start: float | None
    timestamp: str | None
    name: str = ""
    end: float | None = None
    status: str | None = None
    latency_ms: float | None = None
    error_class: str | None = None
    error_message: str | None = None
    line: dict[str, Any] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    failed_here: bool = False
    opening: dict[str, Any] = field(default_factory=dict)
    """The span's first line as written (``line`` has the closing line's fields merged in)."""

    @property
    def error_stack(self) -> str | None:
        """The stack the failing line recorded (``error_stack``, redacted as written), if any."""
        stack = self.line.get(ERROR_STACK)
        return stack if isinstance(stack, str) and stack else None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view of the node itself (not its children), its line's values bounded in depth."""
        view = {
            key: value for key, value in self.__dict__.items() if key not in ("children", "line", "opening")
        }
        view["line"] = bounded(self.line)
        return view


def walk(root: Node) -> Iterator[tuple[Node, int, Node | None]]:
    """(node, depth, parent) for *root* and every node under it, depth first, children in order.

    Iterative, so a tree of any depth is walked without `RecursionError`.
    """
    stack: list[tuple[Node, int, Node | None]] = [(root, 0, None)]
    while stack:
        node, depth, parent = stack.pop()
        yield node, depth, parent
        stack.extend((child, depth + 1, node) for child in reversed(node.children))


@dataclass
class RunTree:
    """A run, its descendants, and where it failed."""

    root: Node
    runs: list[RunSummary]
    lines: list[dict[str, Any]]
    failure: Node | None
    stop_reason: str | None
    status: str | None

    @property
    def summary(self) -> RunSummary | None:
        """The root run's summary, or None when none of its typed lines is among the lines."""
        return next((run for run in self.runs if run.run_id == self.root.run_id), None)

    @property
    def unfinished(self) -> bool:
        """The root run has lines but no ``run_finished`` line: killed, crashed, or still running."""
        summary = self.summary
        return summary is not None and summary.unfinished

    @property
    def outcome(self) -> str:
        """``ok``, ``error`` (or the status the run logged), ``unfinished``, or ``?`` with no line of it."""
        summary = self.summary
        return summary.outcome if summary is not None else "?"

    @property
    def duration_ms(self) -> float | None:
        """The run's reported latency; an unfinished run's, what its lines cover (at least that long)."""
        summary = self.summary
        return summary.duration_ms if summary is not None else None

    @property
    def metadata(self) -> dict[str, Any]:
        """The root run's metadata (see `run_metadata`), from its ``run_started`` line."""
        return run_metadata(self.root.opening) if self.root.opening.get(EVENT) == RUN_STARTED else {}

    def failure_view(self) -> dict[str, Any] | None:
        """Where the run failed, in the fields a reader looks for first (None if nothing failed)."""
        return _failure_view(self.failure)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: the outcome, where it failed, the metadata, every run's summary, the nodes.

        ``status`` and ``stop_reason`` are as the ``run_finished`` line gave
        them (null without one); ``outcome`` is what `agentlog runs` says
        (``unfinished`` for a run with no ``run_finished`` line, ``unfinished``
        true, and ``duration_ms`` then the time its lines cover).

        The tree is given flat, since a nested one could be nested deeper than
        any JSON encoder allows: ``nodes`` lists every node depth first, each
        with its ``index``, its parent's index (``parent``, null for the root)
        and its ``depth``.
        """
        nodes: list[dict[str, Any]] = []
        index_of: dict[int, int] = {}
        for node, depth, parent in walk(self.root):
            index_of[id(node)] = len(nodes)
            nodes.append(
                {
                    "index": len(nodes),
                    "parent": index_of[id(parent)] if parent is not None else None,
                    "depth": depth,
                    **node.as_dict(),
                }
            )
        return {
            "run_id": self.root.run_id,
            "status": self.status,
            "stop_reason": self.stop_reason,
            "outcome": self.outcome,
            "unfinished": self.unfinished,
            "duration_ms": self.duration_ms,
            "metadata": bounded(self.metadata),
            "failure": _failure_view(self.failure),
            "runs": [run.as_dict() for run in self.runs],
            "nodes": nodes,
        }


def _failure_view(node: Node | None) -> dict[str, Any] | None:
    """Where the run failed, in the fields a reader looks for first."""
    if node is None:
        return None
    return {
        "kind": node.kind,
        "run_id": node.run_id,
        "step_id": node.line.get(STEP_ID),
        "tool": node.line.get("tool"),
        "tool_call_id": node.line.get(TOOL_CALL_ID),
        "model": node.line.get("model"),
        "step_type": node.line.get("step_type"),
        "error_class": node.error_class,
        "error_message": node.error_message,
        "error_stack": node.error_stack,
        "latency_ms": node.latency_ms,
        "timestamp": node.timestamp,
    }


def _name(kind: str, line: dict[str, Any]) -> str:
    """How the text and the HTML page label a span of *kind*."""
    if kind == "run":
        return str(line.get(RUN_ID, ""))
    if kind == "step":
        tool = f" {line['tool']}" if isinstance(line.get("tool"), str) else ""
        return f"{line.get('step_type', '')}{tool}"
    if kind == "tool":
        return str(line.get("tool", ""))
    if kind == "llm":
        provider = line.get("provider")
        return f"{line.get('model', '')}" + (f" ({provider})" if provider else "")
    return str(line.get(EVENT, ""))


def _close(node: Node, line: dict[str, Any], moment: float | None) -> None:
    """End *node* with its closing *line*: status, latency, error, and the line's fields merged in."""
    node.end = moment
    node.status = line.get("status", node.status)
    latency = number(line.get("latency_ms", line.get("total_latency_ms")))
    if latency is not None:
        node.latency_ms = latency
    if line.get(ERROR_CLASS) is not None:
        node.error_class = str(line.get(ERROR_CLASS))
        node.error_message = str(line.get(ERROR_MESSAGE, ""))
    node.line = {**node.line, **line}


def descendants(lines: list[dict[str, Any]], root_run_id: str) -> set[str]:
    """The root run and every run started from it, at any depth.

    Only agentlog's typed lines say which run started which (`typed_event`):
    a plain log line whose caller passed a ``parent_run_id`` field, or a line
    marked free-form, does not attach its run under another.
    """
    children: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        if typed_event(line) is None:
            continue
        parent, run_id = line.get(PARENT_RUN_ID), line.get(RUN_ID)
        if isinstance(parent, str) and isinstance(run_id, str):
            children[parent].add(run_id)
    found, todo = {root_run_id}, [root_run_id]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def trace_lines(lines: list[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    """The lines on *run_id*'s trace (its first line's ``trace_id``), and the run's own lines.

    A search by run ID prefix also finds lines of other runs that share the
    prefix; this keeps only the chosen run's trace, where its child runs are.
    """
    trace_id = next((line.get(TRACE_ID) for line in lines if line.get(RUN_ID) == run_id), None)
    return [line for line in lines if line.get(TRACE_ID) == trace_id or line.get(RUN_ID) == run_id]


def _text_or_none(value: Any) -> str | None:
    """*value* if it is a string (an ID as logged), else None."""
    return value if isinstance(value, str) else None


def build_tree(lines: list[dict[str, Any]], root_run_id: str) -> RunTree:
    """Rebuild run *root_run_id* and its child runs from their lines.

    A line whose span was never opened (a ``tool_result`` with no
    ``tool_call`` line) becomes a span of its own, already closed. A line
    whose parent span is not among the lines hangs under its run, or under
    the root run if its run is missing too. Parents that form a cycle (span
    IDs naming each other) are cut: the cycle's earliest node hangs under the
    root.
    """
    keep = descendants(lines, root_run_id)
    own = sorted(
        (line for line in lines if _text_or_none(line.get(RUN_ID)) in keep),
        key=lambda line: epoch(line.get(TIMESTAMP)) or 0.0,
    )
    spans: dict[str, Node] = {}
    run_nodes: dict[str, Node] = {}
    placed: list[Node] = []
    for line in own:
        moment = epoch(line.get(TIMESTAMP))
        event = line.get(EVENT)
        typed = typed_event(line)  # None for a log line, also one named like a typed event (free_form)
        span_id = _text_or_none(line.get(SPAN_ID))
        run_id = _text_or_none(line.get(RUN_ID))
        opens = SPAN_KIND_OPENED.get(typed) if typed else None
        closes = SPAN_KIND_CLOSED.get(typed) if typed else None
        node = spans.get(span_id) if span_id else None
        # A line that opens its span too (an LLM call, written once when it ends) is always a new span.
        if opens is None and closes is not None and node is not None and node.kind == closes:
            _close(node, line, moment)
            continue
        if opens is not None or closes is not None:
            latency = number(line.get("latency_ms"))
            start = moment
            if opens is not None and closes is not None and latency is not None and moment is not None:
                start = moment - latency / 1000
            kind = opens or closes or "line"
            node = Node(
                kind=kind,
                span_id=span_id,
                parent_span_id=_text_or_none(line.get(PARENT_SPAN_ID)),
                run_id=run_id,
                start=start,
                timestamp=_text_or_none(line.get(TIMESTAMP)),
                name=_name(kind, line),
                line=dict(line),
                opening=line,
            )
            if closes is not None:
                _close(node, line, moment)
            if span_id:
                spans[span_id] = node
            if node.kind == "run" and run_id is not None:
                run_nodes[run_id] = node
            placed.append(node)
            continue
        error_class = line.get(ERROR_CLASS)
        error_message = line.get(ERROR_MESSAGE)
        placed.append(
            Node(
                kind="decision" if typed == DECISION else "log",
                span_id=span_id,
                parent_span_id=span_id,
                run_id=run_id,
                start=moment,
                timestamp=_text_or_none(line.get(TIMESTAMP)),
                name=str(event),
                status=_text_or_none(line.get("status")),
                error_class=None if error_class is None else str(error_class),
                error_message=None if error_message is None else str(error_message),
                line=dict(line),
            )
        )
    root = run_nodes.get(root_run_id) or Node("run", None, None, root_run_id, None, None, name=root_run_id)
    parent_of: dict[int, Node] = {}
    for node in placed:
        if node is root:
            continue
        parent = spans.get(node.parent_span_id) if node.parent_span_id else None
        if parent is None and node.kind in ("log", "decision"):
            # A line in a span no typed line opens (an HTTP request's client span) names its parent.
            outer = node.line.get(PARENT_SPAN_ID) if node.line else None
            parent = spans.get(outer) if isinstance(outer, str) else None
        if parent is node:
            parent = None
        if parent is None:
            parent = run_nodes.get(node.run_id) if node.run_id is not None else None
            if parent is node or parent is None:
                parent = root
        parent.children.append(node)
        parent_of[id(node)] = parent
    _cut_cycles(root, placed, parent_of)
    failure = first_failure(root)
    if failure is not None:
        failure.failed_here = True
    summaries = {s.run_id: s for s in summarize_runs(own)}
    root_summary = summaries.get(root_run_id)
    return RunTree(
        root=root,
        runs=[summaries[r] for r in summaries],
        lines=own,
        failure=failure,
        stop_reason=root_summary.stop_reason if root_summary else None,
        status=root_summary.status if root_summary else None,
    )


def _cut_cycles(root: Node, placed: list[Node], parent_of: dict[int, Node]) -> None:
    """Hang under *root* every node that a cycle of parents keeps out of its reach.

    Each node has one parent, so a node not reached from the root sits on, or
    under, a cycle: the earliest such node is moved to the root, which brings
    its cycle (and what hangs under it) back into the tree.
    """
    reached = {id(node) for node, _, _ in walk(root)}
    moved = False
    for node in placed:
        if id(node) in reached or node is root:
            continue
        parent = parent_of[id(node)]
        parent.children = [child for child in parent.children if child is not node]
        root.children.append(node)
        reached.update(id(found) for found, _, _ in walk(node))
        moved = True
    if moved:
        root.children.sort(key=lambda child: child.start if child.start is not None else float("-inf"))


def first_failure(root: Node) -> Node | None:
    """The innermost, earliest failed tool call, LLM call or step under *root*.

    A failing step whose own child failed is not the place: of the failed
    spans with no failed span below them, the one that ended first.
    """
    order = list(walk(root))
    failed_below: set[int] = set()  # nodes with a failed span somewhere under them
    leaves: list[Node] = []
    for node, _, parent in reversed(order):  # children before their parents
        failed = node.kind in ("tool", "llm", "step") and node.status == ERROR
        if failed and id(node) not in failed_below:
            leaves.append(node)
        if parent is not None and (failed or id(node) in failed_below):
            failed_below.add(id(parent))
    if not leaves:
        return None
    # min keeps the first of equal ends: walk the leaves in tree order.
    leaves.reverse()
    return min(leaves, key=lambda node: node.end if node.end is not None else float("inf"))
