"""Showing what the explorer found in a terminal: the runs table, one run's tree, the statistics.

Every logged value printed passes through `safe`, which escapes control
characters, ANSI escape sequences and bidirectional overrides, so a tool
result cannot move the cursor, recolour the screen or reorder the text.
Colour is agentlog's own, and only when asked for or printing to a terminal.
"""

from __future__ import annotations

import math
import os
import re
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

import orjson

from agentlog._vocabulary import (
    COST_USD,
    ERROR,
    ERROR_CLASS,
    ERROR_MESSAGE,
    ERROR_STACK,
    EVENT,
    LEVEL,
    LLM_RESULT,
    LOGGER,
    OK,
    PARENT_RUN_ID,
    PARENT_SPAN_ID,
    REQUEST_ID,
    RUN_ID,
    SESSION_ID,
    SPAN_ID,
    STATIC_FIELDS,
    STEP_ID,
    TIMESTAMP,
    TOOL_CALL_ID,
    TRACE_ID,
    USER_ID,
)

from .times import epoch
from .typed import typed_event
from .values import cost_of

if TYPE_CHECKING:  # types only: `safe` and the reading problems load no model (the CLI starts on them)
    from .reader import Counts
    from .runs import RunSummary
    from .tree import Node, RunTree

__all__ = [
    "Style",
    "metadata_text",
    "ms_text",
    "reading_problems",
    "runs_table",
    "safe",
    "show_text",
    "stack_text",
    "stats_text",
    "style_for",
]

_ROOT_IDS = ((TRACE_ID, "trace"), (SESSION_ID, "session"), (REQUEST_ID, "request"))
"""The IDs of the root run shown under its header, and their labels."""

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls (ESC starts every ANSI sequence), the Arabic letter mark, the bidi marks,
embeddings, overrides and isolates, and the line and paragraph separators."""


def safe(value: Any, limit: int = 300) -> str:
    """Text that cannot drive a terminal: control and bidi characters escaped, length capped."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    text = _UNSAFE.sub(
        lambda match: (
            f"\\x{ord(match.group()):02x}" if ord(match.group()) < 0x100 else f"\\u{ord(match.group()):04x}"
        ),
        text,
    )
    return text if len(text) <= limit else text[:limit] + "…"


class Style:
    """ANSI styling, or none (not a terminal, or NO_COLOR)."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def red(self, text: str) -> str:
        """Errors."""
        return self._wrap("31;1", text)

    def green(self, text: str) -> str:
        """Success."""
        return self._wrap("32", text)

    def dim(self, text: str) -> str:
        """Ordinary log lines."""
        return self._wrap("2", text)

    def bold(self, text: str) -> str:
        """Headings."""
        return self._wrap("1", text)


def style_for(colour: str, stream: IO[str]) -> Style:
    """The style for ``--color`` *colour* (always, never, auto) when printing to *stream*.

    ``auto`` colours a terminal unless ``NO_COLOR`` is set (https://no-color.org).
    """
    if colour == "always":
        return Style(True)
    if colour == "never" or os.environ.get("NO_COLOR"):
        return Style(False)
    return Style(stream.isatty())


def reading_problems(counts: Counts) -> list[str]:
    """What went wrong while reading, one message per line: unreadable files, skipped lines."""
    messages = [f"agentlog: {safe(problem)}" for problem in counts.problems]
    if counts.skipped:
        messages.append(f"agentlog: {counts.skipped} lines skipped (not agentlog JSON)")
    return messages


def _status(style: Style, status: Any, width: int = 0) -> str:
    """A logged status (of any type: it is data) as the terminal shows it, coloured when known."""
    text = (
        {ERROR: "ERROR", OK: "ok"}.get(status, safe(status or "?"))
        if isinstance(status, str)
        else safe(status or "?")
    )
    padded = text.ljust(width)
    if status == ERROR:
        return style.red(padded)
    if status == OK:
        return style.green(padded)
    return padded


def ms_text(value: float | None) -> str:
    """A latency in milliseconds as the terminal shows it: ``12.3 ms``, ``1.500 s``; empty when unknown."""
    if value is None:
        return ""
    return f"{value / 1000:.3f} s" if value >= 1000 else f"{value:.1f} ms"


def _cost_text(lines: list[dict[str, Any]]) -> str:
    """`` cost=$…``: the run's calls and its child runs' (every process's), when one was priced."""
    costs = [cost_of(line.get(COST_USD)) for line in lines if typed_event(line) == LLM_RESULT]
    known = [cost for cost in costs if cost is not None]
    return f" cost={usd_text(float(sum(known, Decimal(0))))}" if known else ""


def usd_text(value: float | None) -> str:
    """A cost in USD as the terminal shows it: cents from a dollar up, else four significant digits.

    ``$12.35``, ``$0.001003``, ``$0.0000025``: a cost per run of a cheap model
    is a fraction of a cent, and two of them differ in their fourth digit.
    Empty when unknown.
    """
    if value is None:
        return ""
    if value >= 1 or value == 0:
        return f"${value:,.2f}"
    places = min(12, 3 - math.floor(math.log10(abs(value))))
    return f"${value:.{places}f}"


def runs_table(runs: list[RunSummary], style: Style) -> str:
    """One row per run."""
    header = (
        f"{'run':<10}{'started':<29}{'duration':>10}  {'status':<7}{'stop_reason':<14}{'steps':>6}"
        f"{'tools':>6}{'llm':>5}{'errors':>7}{'tokens in/out':>15}  {'user':<13}{'service':<21}run_id"
    )
    rows = [style.bold(header)]
    for run in runs:
        tokens = f"{run.input_tokens}/{run.output_tokens}"
        duration = ms_text(run.total_latency_ms)
        rows.append(
            f"{safe(run.run_id[:8]):<10}{safe(run.started or '?', 28):<29}{duration:>10}  "
            f"{_status(style, run.status, 7)}{safe(run.stop_reason or '-', 13):<14}{run.total_steps:>6}"
            f"{run.tool_calls:>6}{run.llm_calls:>5}{run.errors:>7}{tokens:>15}  "
            f"{safe(run.user_id or '-', 12):<13}{safe(run.service or '-', 20):<21}{safe(run.run_id)}"
        )
    return "\n".join(rows)


def _describe(node: Node, style: Style) -> str:
    """One node of the tree, as its line of text (without the branch and the error)."""
    line = node.line
    # A span opened by a line but never closed (its process killed) says so, as the page does.
    unfinished = node.end is None and node.status is None and node.kind in ("run", "step", "tool")
    status = "unfinished" if unfinished else _status(style, node.status)
    if node.kind == "run":
        service = f" service={safe(line.get('service'))}" if line.get("service") else ""
        stop_reason = safe(line.get("stop_reason") or "")
        duration = f"  {ms_text(node.latency_ms)}" if node.latency_ms is not None else ""
        return f"{style.bold('run')} {safe(node.run_id)}{service}{duration}  {status}  {stop_reason}"
    if node.kind == "step":
        return f"step {safe(line.get(STEP_ID))} {safe(node.name)}  {ms_text(node.latency_ms)}  {status}"
    if node.kind == "tool":
        call = safe(line.get(TOOL_CALL_ID))
        return f"tool {safe(node.name)} [{call}]  {ms_text(node.latency_ms)}  {status}"
    if node.kind == "llm":
        tokens = (
            f"  {safe(line.get('input_tokens'))}→{safe(line.get('output_tokens'))} tokens"
            if line.get("input_tokens") is not None
            else ""
        )
        cost = cost_of(line.get(COST_USD))
        priced = f"  {usd_text(float(cost))}" if cost is not None else ""
        return f"llm {safe(node.name)}{tokens}{priced}  {ms_text(node.latency_ms)}  {status}"
    if node.kind == "decision":
        reason = f" ({safe(line.get('reason'))})" if line.get("reason") else ""
        return f"decision {safe(line.get('kind'))} → {safe(line.get('outcome'))}{reason}"
    logger = f"{safe(line.get(LOGGER))}: " if line.get(LOGGER) else ""
    fields = _fields(line, _LINE_IDS)
    return style.dim(
        f"· {safe(line.get(LEVEL))} {logger}{safe(node.name)}" + (f"  {fields}" if fields else "")
    )


_MAX_DRAWN_DEPTH = 40
"""Past this depth the tree's branches are drawn no further right: the depth is written instead."""
_MAX_STACK_LINES = 200
_LINE_IDS = frozenset(
    {TIMESTAMP, LEVEL, EVENT, LOGGER, *STATIC_FIELDS, TRACE_ID, SPAN_ID, PARENT_SPAN_ID, PARENT_RUN_ID}
    | {
        RUN_ID,
        STEP_ID,
        TOOL_CALL_ID,
        SESSION_ID,
        REQUEST_ID,
        USER_ID,
        ERROR_CLASS,
        ERROR_MESSAGE,
        ERROR_STACK,
    }
)
"""Fields every line of a span repeats, and the error (shown on its own): not beside a log line's message."""


def _value(value: Any) -> str:
    """A logged value as one line of text (JSON for anything but a string), not yet made safe."""
    if isinstance(value, str):
        return value
    try:
        return orjson.dumps(value, default=str).decode()
    except (TypeError, orjson.JSONEncodeError):
        return str(value)


def _fields(line: dict[str, Any], skip: frozenset[str], limit: int = 200) -> str:
    """The fields of *line* not in *skip*, as ``key=value`` pairs, made safe, at most *limit* characters."""
    pairs = " ".join(f"{key}={_value(value)}" for key, value in line.items() if key not in skip)
    return safe(pairs, limit)


def metadata_text(metadata: dict[str, Any]) -> str:
    """A run's metadata as ``key=value`` pairs, every key and value made safe."""
    return "  ".join(f"{safe(key, 60)}={safe(_value(value), 120)}" for key, value in metadata.items())


def stack_text(stack: str, indent: str = "  ") -> list[str]:
    """An ``error_stack`` as it was written, one safe line per line of it, at most 200 lines."""
    lines = stack.rstrip("\n").split("\n")  # any other line break is shown escaped, like a control
    shown = [indent + safe(line, 1000) for line in lines[:_MAX_STACK_LINES]]
    if len(lines) > _MAX_STACK_LINES:
        shown.append(f"{indent}… {len(lines) - _MAX_STACK_LINES} more lines")
    return shown


def _stack_of(failure: Node) -> str | None:
    """The failing call's stack; else the first one a line inside it recorded (a ``log.exception``)."""
    if failure.error_stack is not None:
        return failure.error_stack
    from .tree import walk  # here, not at the top: see the imports

    return next((node.error_stack for node, _, _ in walk(failure) if node.error_stack is not None), None)


def show_text(tree: RunTree, style: Style) -> str:
    """The run as a tree with a time offset per line, the failure marked, its stack and metadata shown.

    The tree is drawn without recursion, so a chain of child runs thousands
    deep is drawn too; past `_MAX_DRAWN_DEPTH` levels the branches stop moving
    right and each line says its depth.
    """
    root = tree.root
    t0 = root.start if root.start is not None else epoch(tree.lines[0].get(TIMESTAMP)) if tree.lines else 0.0
    summary = tree.summary
    if tree.unfinished:  # no run_finished line: said as `runs` says it, with what the lines cover
        head = f"  unfinished  {_UNFINISHED}"
        duration = f"≥{ms_text(tree.duration_ms)}" if tree.duration_ms is not None else "?"
    else:
        head = f"  {_status(style, tree.status)}  stop_reason={safe(tree.stop_reason or 'unknown')}"
        duration = (ms_text(summary.total_latency_ms) or "?") if summary is not None else "?"
    out = [style.bold(f"Run {safe(root.run_id)}") + head]
    if summary is not None:
        out.append(
            f"  started {safe(summary.started)}  duration {duration}"
            f"  user={safe(summary.user_id or '-')}  service={safe(summary.service or '-')}"
            f"  steps={summary.total_steps} tools={summary.tool_calls} llm={summary.llm_calls}"
            f" errors={summary.errors} tokens={summary.input_tokens}/{summary.output_tokens}"
            + _cost_text(tree.lines)
        )
    ids = [f"{name} {safe(root.line.get(key))}" for key, name in _ROOT_IDS if root.line.get(key)]
    if ids:
        out.append("  " + "  ".join(ids))
    if tree.metadata:
        out.append(f"  metadata {metadata_text(tree.metadata)}")
    out.append("")
    # (node, prefix, last, depth): the prefix draws the branches of the levels above.
    stack = [(child, "", index == 0, 1) for index, child in enumerate(reversed(root.children))]
    while stack:
        node, prefix, last, depth = stack.pop()
        offset = (f"+{node.start - t0:.3f}s" if node.start is not None and t0 is not None else "").rjust(10)
        branch = "└─ " if last else "├─ "
        deep = f"[depth {depth}] " if depth > _MAX_DRAWN_DEPTH else ""
        text = _describe(node, style)
        if node.error_class:
            text += "  " + style.red(f"{safe(node.error_class)}: {safe(node.error_message)}")
        if node.failed_here:
            text += "  " + style.red("◀ failed here")
        out.append(f"{offset}  {prefix}{branch}{deep}{text}")
        below = prefix + ("   " if last else "│  ") if depth < _MAX_DRAWN_DEPTH else prefix
        stack.extend(
            (child, below, index == 0, depth + 1) for index, child in enumerate(reversed(node.children))
        )
    out.append("")
    if tree.failure is not None:
        out.append(_failed_at(tree.failure, root, style))
        stack_lines = _stack_of(tree.failure)
        if stack_lines is not None:
            out.extend(style.dim(line) for line in stack_text(stack_lines))
    if tree.unfinished:
        out.append(f"Stop reason: none, the run is unfinished ({_UNFINISHED})")
    else:
        out.append(f"Stop reason: {safe(tree.stop_reason or 'unknown (no run_finished line)')}")
    return "\n".join(out)


_UNFINISHED = "no run_finished line: killed, crashed or still running"


def _failed_at(failure: Node, root: Node, style: Style) -> str:
    """The failure's place, from the child run (if not the root) down to the error."""
    where = []
    step = failure.line.get(STEP_ID)
    if step is not None:
        where.append(f"step {safe(step)}")
    if failure.kind == "tool":
        where.append(f"tool {safe(failure.name)} [{safe(failure.line.get(TOOL_CALL_ID))}]")
    elif failure.kind == "llm":
        where.append(f"llm {safe(failure.name)}")
    else:
        where.append(f"step {safe(failure.name)}")
    if failure.run_id != root.run_id:
        where.insert(0, f"child run {safe(failure.run_id)}")
    error = f"{safe(failure.error_class)}: {safe(failure.error_message)}"
    return style.red("Failed at: ") + " › ".join(where) + f" › {error}"


def stats_text(stats: dict[str, Any], style: Style) -> str:
    """Per tool, per model, stop reasons, slowest and repeated tool calls."""
    out = [
        style.bold(
            f"{'tool':<24}{'calls':>7}{'errors':>8}{'error rate':>12}"
            f"{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}"
        )
    ]
    for row in stats["tools"]:
        out.append(
            f"{safe(row['tool'], 24):<24}{row['calls']:>7}{row['errors']:>8}{row['error_rate']:>12.2%}"
            f"{row['p50_ms'] or 0:>10.1f}{row['p95_ms'] or 0:>10.1f}{row['p99_ms'] or 0:>10.1f}"
        )
    out.append("")
    out.append(
        style.bold(
            f"{'model':<24}{'calls':>7}{'errors':>8}{'error rate':>12}{'tokens in':>11}{'tokens out':>12}"
            f"{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}"
        )
    )
    for row in stats["models"]:
        out.append(
            f"{safe(row['model'], 24):<24}{row['calls']:>7}{row['errors']:>8}{row['error_rate']:>12.2%}"
            f"{row['input_tokens']:>11}{row['output_tokens']:>12}"
            f"{row['p50_ms'] or 0:>10.1f}{row['p95_ms'] or 0:>10.1f}{row['p99_ms'] or 0:>10.1f}"
        )
    out.append("")
    out.append(style.bold("runs by stop reason"))
    for reason, count in stats["stop_reasons"].items():
        out.append(f"  {safe(reason):<20}{count:>7}")
    out.append("")
    out.append(style.bold("slowest tool calls"))
    for row in stats["slowest_tool_calls"]:
        out.append(
            f"  {row['latency_ms']:>10.1f} ms  {safe(row['tool'])} [{safe(row['tool_call_id'])}]"
            f" run {safe(str(row['run_id'])[:8])} {safe(row['status'])}"
        )
    repeated = stats["repeated_tool_calls"]
    if repeated:
        out.append("")
        out.append(style.bold("same tool, same arguments, many times in one run (a loop?)"))
        for row in repeated:
            out.append(
                f"  {row['count']:>5}×  {safe(row['tool'])}  run {safe(row['run_id'][:8])}"
                f"  {safe(row['args_hash'][:23])}…"
            )
    return "\n".join(out)
