"""One run rebuilt as a tree of spans (run, step, tool call, LLM call), and where it failed.

Lines are placed by their span IDs: a span opens with its first line and
closes with its last (`agentlog._vocabulary.SPAN_KIND_OPENED` and
``SPAN_KIND_CLOSED``), and every line hangs under the span it names as its
parent. Child runs started from the run (``parent_run_id``, at any depth)
are part of the tree, so a failure deep inside one is found from the top.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from agentlog._vocabulary import (
    DECISION,
    ERROR,
    ERROR_CLASS,
    ERROR_MESSAGE,
    EVENT,
    PARENT_RUN_ID,
    PARENT_SPAN_ID,
    RUN_ID,
    SPAN_ID,
    SPAN_KIND_CLOSED,
    SPAN_KIND_OPENED,
    STEP_ID,
    TIMESTAMP,
    TOOL_CALL_ID,
    TRACE_ID,
)

from .runs import RunSummary, summarize_runs
from .times import epoch
from .values import number

__all__ = ["Node", "RunTree", "build_tree", "descendants", "first_failure", "trace_lines"]


@dataclass
class Node:
    """A span of the run (run, step, tool call, LLM call), or a line inside one."""

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

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view, children included."""
        view = {key: value for key, value in self.__dict__.items() if key not in ("children", "line")}
        view["line"] = self.line
        view["children"] = [child.as_dict() for child in self.children]
        return view


@dataclass
class RunTree:
    """A run, its descendants, and where it failed."""

    root: Node
    runs: list[RunSummary]
    lines: list[dict[str, Any]]
    failure: Node | None
    stop_reason: str | None
    status: str | None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: the outcome, where it failed, every run's summary, the tree."""
        return {
            "run_id": self.root.run_id,
            "status": self.status,
            "stop_reason": self.stop_reason,
            "failure": _failure_view(self.failure),
            "runs": [run.as_dict() for run in self.runs],
            "tree": self.root.as_dict(),
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
    """The root run and every run started from it, at any depth."""
    children: dict[str, set[str]] = defaultdict(set)
    for line in lines:
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


def build_tree(lines: list[dict[str, Any]], root_run_id: str) -> RunTree:
    """Rebuild run *root_run_id* and its child runs from their lines.

    A line whose span was never opened (a ``tool_result`` with no
    ``tool_call`` line) becomes a span of its own, already closed. A line
    whose parent span is not among the lines hangs under its run, or under
    the root run if its run is missing too.
    """
    keep = descendants(lines, root_run_id)
    own = sorted(
        (line for line in lines if line.get(RUN_ID) in keep),
        key=lambda line: epoch(line.get(TIMESTAMP)) or 0.0,
    )
    spans: dict[str, Node] = {}
    run_nodes: dict[str, Node] = {}
    placed: list[Node] = []
    for line in own:
        moment = epoch(line.get(TIMESTAMP))
        event = line.get(EVENT)
        span_id = line.get(SPAN_ID) if isinstance(line.get(SPAN_ID), str) else None
        run_id = line.get(RUN_ID)
        opens = SPAN_KIND_OPENED.get(event) if isinstance(event, str) else None
        closes = SPAN_KIND_CLOSED.get(event) if isinstance(event, str) else None
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
                parent_span_id=line.get(PARENT_SPAN_ID),
                run_id=run_id,
                start=start,
                timestamp=line.get(TIMESTAMP),
                name=_name(kind, line),
                line=dict(line),
            )
            if closes is not None:
                _close(node, line, moment)
            if span_id:
                spans[span_id] = node
            if node.kind == "run" and isinstance(run_id, str):
                run_nodes[run_id] = node
            placed.append(node)
            continue
        placed.append(
            Node(
                kind="decision" if event == DECISION else "log",
                span_id=span_id,
                parent_span_id=span_id,
                run_id=run_id,
                start=moment,
                timestamp=line.get(TIMESTAMP),
                name=str(event),
                status=line.get("status"),
                error_class=line.get(ERROR_CLASS),
                error_message=line.get(ERROR_MESSAGE),
                line=dict(line),
            )
        )
    root = run_nodes.get(root_run_id) or Node("run", None, None, root_run_id, None, None, name=root_run_id)
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
            parent = run_nodes.get(node.run_id) if isinstance(node.run_id, str) else None
            if parent is node or parent is None:
                parent = root
        parent.children.append(node)
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


def first_failure(root: Node) -> Node | None:
    """The innermost, earliest failed tool call, LLM call or step under *root*.

    A failing step whose own child failed is not the place: of the failed
    spans with no failed span below them, the one that ended first.
    """
    failed: list[Node] = []

    def walk(node: Node) -> None:
        if node.kind in ("tool", "llm", "step") and node.status == ERROR:
            failed.append(node)
        for child in node.children:
            walk(child)

    walk(root)
    if not failed:
        return None
    leaves = [node for node in failed if not any(child in failed for child in _below(node))]
    return min(leaves, key=lambda node: node.end if node.end is not None else float("inf"))


def _below(node: Node) -> list[Node]:
    """Every node under *node*, depth first."""
    found: list[Node] = []
    for child in node.children:
        found.append(child)
        found.extend(_below(child))
    return found
