"""Rebuilding runs from lines: summaries, one run's tree, statistics."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

_DIGITS = re.compile(r"[0-9]+")

__all__ = ["Node", "RunSummary", "RunTree", "build_tree", "compute_stats", "epoch", "summarize_runs"]


def epoch(stamp: Any) -> float | None:
    """Seconds since the epoch for an RFC 3339 timestamp (None if it is not one)."""
    if not isinstance(stamp, str) or len(stamp) < 19:
        return None
    text = stamp.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    head, dot, tail = text.partition(".")
    if dot:  # fromisoformat takes at most microseconds
        digits = _DIGITS.match(tail)
        fraction = digits.group() if digits else ""
        text = f"{head}.{(fraction + '000000')[:6]}{tail[len(fraction) :]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _int(value: Any) -> int:
    return value if type(value) is int else 0


def _number(value: Any) -> float | None:
    return float(value) if type(value) in (int, float) else None


@dataclass
class RunSummary:
    """One run as its ``run_started`` and ``run_finished`` lines describe it."""

    run_id: str
    started: str | None = None
    finished: str | None = None
    user_id: str | None = None
    service: str | None = None
    parent_run_id: str | None = None
    status: str | None = None
    stop_reason: str | None = None
    total_steps: int = 0
    tool_calls: int = 0
    llm_calls: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_latency_ms: float | None = None
    tools: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view (``tools`` as a sorted list)."""
        view = dict(self.__dict__)
        view["short_id"] = self.run_id[:8]
        view["tools"] = sorted(self.tools)
        return view


def summarize_runs(lines: Iterable[dict[str, Any]]) -> list[RunSummary]:
    """One summary per run, in order of first appearance."""
    runs: dict[str, RunSummary] = {}
    for line in lines:
        run_id = line.get("run_id")
        if not isinstance(run_id, str):
            continue
        summary = runs.get(run_id)
        if summary is None:
            summary = runs[run_id] = RunSummary(run_id)
        event = line.get("event")
        if event == "run_started":
            summary.started = line.get("timestamp")
            summary.user_id = line.get("user_id")
            summary.service = line.get("service")
            summary.parent_run_id = line.get("parent_run_id")
        elif event == "run_finished":
            summary.finished = line.get("timestamp")
            summary.status = line.get("status")
            summary.stop_reason = line.get("stop_reason")
            summary.total_steps = _int(line.get("total_steps"))
            summary.tool_calls = _int(line.get("tool_calls"))
            summary.llm_calls = _int(line.get("llm_calls"))
            summary.errors = _int(line.get("errors"))
            summary.input_tokens = _int(line.get("input_tokens"))
            summary.output_tokens = _int(line.get("output_tokens"))
            latency = line.get("total_latency_ms")
            summary.total_latency_ms = latency if type(latency) in (int, float) else None
            summary.service = summary.service or line.get("service")
        elif event in ("tool_call", "tool_result") and isinstance(line.get("tool"), str):
            summary.tools.add(line["tool"])
        if summary.started is None:
            summary.started = line.get("timestamp")
    return list(runs.values())


# -- one run's tree ------------------------------------------------------------------

_OPENERS = {"run_started": "run", "agent_step": "step", "tool_call": "tool", "llm_result": "llm"}
_CLOSERS = {"run_finished": "run", "step_finished": "step", "tool_result": "tool"}


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


def _name(kind: str, line: dict[str, Any]) -> str:
    if kind == "run":
        return str(line.get("run_id", ""))
    if kind == "step":
        tool = f" {line['tool']}" if isinstance(line.get("tool"), str) else ""
        return f"{line.get('step_type', '')}{tool}"
    if kind == "tool":
        return str(line.get("tool", ""))
    if kind == "llm":
        provider = line.get("provider")
        return f"{line.get('model', '')}" + (f" ({provider})" if provider else "")
    return str(line.get("event", ""))


def _close(node: Node, line: dict[str, Any], moment: float | None) -> None:
    node.end = moment
    node.status = line.get("status", node.status)
    latency = _number(line.get("latency_ms", line.get("total_latency_ms")))
    if latency is not None:
        node.latency_ms = latency
    if line.get("error_class") is not None:
        node.error_class = str(line.get("error_class"))
        node.error_message = str(line.get("error_message", ""))
    node.line = {**node.line, **line}


def descendants(lines: list[dict[str, Any]], root_run_id: str) -> set[str]:
    """The root run and every run started from it, at any depth."""
    children: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        parent, run_id = line.get("parent_run_id"), line.get("run_id")
        if isinstance(parent, str) and isinstance(run_id, str):
            children[parent].add(run_id)
    found, todo = {root_run_id}, [root_run_id]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def build_tree(lines: list[dict[str, Any]], root_run_id: str) -> RunTree:
    """Rebuild run *root_run_id* and its child runs from their lines."""
    keep = descendants(lines, root_run_id)
    own = sorted(
        (line for line in lines if line.get("run_id") in keep),
        key=lambda line: epoch(line.get("timestamp")) or 0.0,
    )
    spans: dict[str, Node] = {}
    run_nodes: dict[str, Node] = {}
    orphans: list[Node] = []
    for line in own:
        moment = epoch(line.get("timestamp"))
        event = line.get("event")
        span_id = line.get("span_id") if isinstance(line.get("span_id"), str) else None
        run_id = line.get("run_id")
        kind = _OPENERS.get(event) if isinstance(event, str) else None
        closer = _CLOSERS.get(event) if isinstance(event, str) else None
        node = spans.get(span_id) if span_id else None
        if closer is not None and node is not None and node.kind == closer:
            _close(node, line, moment)
            continue
        if kind is not None or closer is not None:
            latency = _number(line.get("latency_ms"))
            start = moment
            if event == "llm_result" and latency is not None and moment is not None:
                start = moment - latency / 1000
            node = Node(
                kind=kind or closer or "line",
                span_id=span_id,
                parent_span_id=line.get("parent_span_id"),
                run_id=run_id,
                start=start,
                timestamp=line.get("timestamp"),
                name=_name(kind or closer or "", line),
                line=dict(line),
            )
            if closer is not None or event == "llm_result":
                _close(node, line, moment)
            if span_id:
                spans[span_id] = node
            if node.kind == "run" and isinstance(run_id, str):
                run_nodes[run_id] = node
            orphans.append(node)
            continue
        item = Node(
            kind="decision" if event == "decision" else "log",
            span_id=span_id,
            parent_span_id=span_id,
            run_id=run_id,
            start=moment,
            timestamp=line.get("timestamp"),
            name=str(event),
            status=line.get("status"),
            error_class=line.get("error_class"),
            error_message=line.get("error_message"),
            line=dict(line),
        )
        orphans.append(item)
    root = run_nodes.get(root_run_id) or Node("run", None, None, root_run_id, None, None, name=root_run_id)
    for node in orphans:
        if node is root:
            continue
        parent = spans.get(node.parent_span_id) if node.parent_span_id else None
        if parent is node:
            parent = None
        if parent is None:
            parent = run_nodes.get(node.run_id) if isinstance(node.run_id, str) else None
            if parent is node or parent is None:
                parent = root
        parent.children.append(node)
    failure = _first_failure(root)
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


def _first_failure(root: Node) -> Node | None:
    """The innermost, earliest failed tool call, LLM call or step."""
    failed: list[Node] = []

    def walk(node: Node, depth: int) -> None:
        if node.kind in ("tool", "llm", "step") and node.status == "error":
            failed.append(node)
        for child in node.children:
            walk(child, depth + 1)

    walk(root, 0)
    if not failed:
        return None
    # A failing step whose own child failed is not the place: take the deepest first-ending one.
    leaves = [node for node in failed if not any(child in failed for child in _all(node))]
    return min(leaves, key=lambda node: node.end if node.end is not None else float("inf"))


def _all(node: Node) -> list[Node]:
    found: list[Node] = []
    for child in node.children:
        found.append(child)
        found.extend(_all(child))
    return found


# -- statistics -------------------------------------------------------------------------


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return round(ordered[index], 3)


def compute_stats(lines: Iterable[dict[str, Any]], top: int = 10) -> dict[str, Any]:
    """Per tool, per model, stop reasons, slowest and most repeated tool calls."""
    tool_latency: dict[str, list[float]] = defaultdict(list)
    tool_calls: Counter[str] = Counter()
    tool_errors: Counter[str] = Counter()
    model_calls: Counter[str] = Counter()
    model_tokens: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    model_latency: dict[str, list[float]] = defaultdict(list)
    stop_reasons: Counter[str] = Counter()
    slowest: list[tuple[float, dict[str, Any]]] = []
    repeats: Counter[tuple[str, str, str]] = Counter()
    for line in lines:
        event = line.get("event")
        if event == "tool_result":
            tool = str(line.get("tool"))
            tool_calls[tool] += 1
            if line.get("status") == "error":
                tool_errors[tool] += 1
            latency = _number(line.get("latency_ms"))
            if latency is not None:
                tool_latency[tool].append(latency)
                slowest.append((latency, line))
                if len(slowest) > 4 * top:
                    slowest = sorted(slowest, key=lambda item: -item[0])[:top]
        elif event == "tool_call" and isinstance(line.get("args_hash"), str):
            repeats[(str(line.get("run_id")), str(line.get("tool")), line["args_hash"])] += 1
        elif event == "llm_result":
            model = str(line.get("model"))
            model_calls[model] += 1
            model_tokens[model][0] += _int(line.get("input_tokens"))
            model_tokens[model][1] += _int(line.get("output_tokens"))
            latency = _number(line.get("latency_ms"))
            if latency is not None:
                model_latency[model].append(latency)
        elif event == "run_finished":
            stop_reasons[str(line.get("stop_reason"))] += 1
    return {
        "tools": [
            {
                "tool": tool,
                "calls": calls,
                "errors": tool_errors[tool],
                "error_rate": round(tool_errors[tool] / calls, 4),
                "p50_ms": _percentile(tool_latency[tool], 0.5),
                "p95_ms": _percentile(tool_latency[tool], 0.95),
                "p99_ms": _percentile(tool_latency[tool], 0.99),
            }
            for tool, calls in tool_calls.most_common()
        ],
        "models": [
            {
                "model": model,
                "calls": calls,
                "input_tokens": model_tokens[model][0],
                "output_tokens": model_tokens[model][1],
                "p50_ms": _percentile(model_latency[model], 0.5),
                "p95_ms": _percentile(model_latency[model], 0.95),
            }
            for model, calls in model_calls.most_common()
        ],
        "stop_reasons": dict(stop_reasons.most_common()),
        "slowest_tool_calls": [
            {
                "tool": line.get("tool"),
                "latency_ms": latency,
                "run_id": line.get("run_id"),
                "tool_call_id": line.get("tool_call_id"),
                "status": line.get("status"),
            }
            for latency, line in sorted(slowest, key=lambda item: -item[0])[:top]
        ],
        "repeated_tool_calls": [
            {"run_id": run_id, "tool": tool, "args_hash": args_hash, "count": count}
            for (run_id, tool, args_hash), count in repeats.most_common(top)
            if count > 1
        ],
    }
