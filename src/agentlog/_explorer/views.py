"""Terminal views of ``runs``, ``tail`` and ``diff``: the runs table, tail's lines, two runs side by side.

Every logged value printed passes through `text.safe` (control characters,
ANSI escapes and bidirectional marks escaped); JSON for scripts goes
through `inert_json`, which escapes in the JSON text itself the characters
JSON allows raw but a terminal acts on, so it stays valid JSON and inert.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import orjson

from agentlog._vocabulary import ERROR, OK

from .text import Style, ms_text, safe

if TYPE_CHECKING:  # types only: `show` and `runs` print through here without loading diff or tail
    from .diff import DiffRow, RunDiff, SpanView
    from .follow import Failure
    from .runs import RunSummary

__all__ = ["diff_text", "failure_line", "inert_json", "run_line", "runs_table"]

_RAW_IN_JSON = re.compile("[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""What orjson writes as it is (it escapes C0 controls, quotes, backslashes) and a terminal acts on."""


def inert_json(document: Any, indent: bool = True) -> str:
    """*document* as JSON text with DEL, C1 controls and bidirectional marks written as escapes."""
    option = orjson.OPT_INDENT_2 if indent else 0
    raw = orjson.dumps(document, option=option, default=str)
    text = raw.decode()
    if raw.isascii() and b"\x7f" not in raw:
        return text  # nothing to escape: the usual case, checked at C speed (a long listing is tens of MB)
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _outcome(style: Style, run: RunSummary, width: int = 0) -> str:
    outcome = run.outcome
    text = {ERROR: "ERROR", OK: "ok"}.get(outcome, safe(outcome, 10))
    padded = text.ljust(width)
    if outcome == ERROR:
        return style.red(padded)
    if outcome == OK:
        return style.green(padded)
    return padded


def _duration(run: RunSummary) -> str:
    """The run's duration; an unfinished run's as ``≥`` what its lines prove."""
    duration = run.duration_ms
    if duration is None:
        return ""
    return ("≥" if run.unfinished else "") + ms_text(duration)


def runs_table(runs: list[RunSummary], style: Style) -> str:
    """One row per run; an unfinished run says so, with the steps and calls its lines prove."""
    header = (
        f"{'run':<10}{'started':<29}{'duration':>11}  {'status':<11}{'stop_reason':<14}{'steps':>6}"
        f"{'tools':>6}{'llm':>5}{'errors':>7}{'tokens in/out':>15}  {'user':<13}{'service':<21}run_id"
    )
    rows = [style.bold(header)]
    for run in runs:
        tokens = f"{run.input_tokens}/{run.output_tokens}"
        rows.append(
            f"{safe(run.run_id[:8], 8):<10}{safe(run.started or '?', 28):<29}{_duration(run):>11}  "
            f"{_outcome(style, run, 11)}{safe(run.stop_reason or '-', 13):<14}{run.total_steps:>6}"
            f"{run.tool_calls:>6}{run.llm_calls:>5}{run.errors:>7}{tokens:>15}  "
            f"{safe(run.user_id or '-', 12):<13}{safe(run.service or '-', 20):<21}{safe(run.run_id, 40)}"
        )
    return "\n".join(rows)


def run_line(run: RunSummary, style: Style) -> str:
    """One line for a run that finished (``tail``), or one still open when tail ends."""
    when = run.finished if not run.unfinished else run.last_seen
    parts = [
        safe(when or "?", 40),
        _outcome(style, run, 10),
        f"run {safe(run.run_id, 40)}",
    ]
    if run.stop_reason:
        parts.append(safe(run.stop_reason, 40))
    elif run.unfinished:
        parts.append("no run_finished line")
    parts.append(_duration(run) or "?")
    parts.append(
        f"steps={run.total_steps} tools={run.tool_calls} llm={run.llm_calls} errors={run.errors}"
        f" tokens={run.input_tokens}/{run.output_tokens}"
    )
    for label, value in (("user", run.user_id), ("session", run.session_id), ("service", run.service)):
        if value:
            parts.append(f"{label}={safe(value, 60)}")
    return "  ".join(parts)


def failure_line(failure: Failure, style: Style) -> str:
    """One line for a failure as it happens: when, which run, where in it, the error."""
    where = []
    if failure.step_id is not None:
        where.append(f"step {safe(failure.step_id)}")
    if failure.kind == "tool":
        call = f" [{safe(failure.tool_call_id, 60)}]" if failure.tool_call_id else ""
        where.append(f"tool {safe(failure.name, 80)}{call}")
    elif failure.kind == "llm":
        where.append(f"llm {safe(failure.name, 80)}")
    else:
        where.append(f"step {safe(failure.name, 80)}")
    error = f"{safe(failure.error_class or 'error', 80)}: {safe(failure.error_message or '', 300)}"
    latency = f"  {ms_text(failure.latency_ms)}" if failure.latency_ms is not None else ""
    return (
        f"{safe(failure.timestamp or '?', 40)}  {style.red('FAILED'.ljust(10))}  "
        f"run {safe(failure.run_id, 40)}  " + " › ".join(where) + "  " + style.red(error) + latency
    )


# -- diff ------------------------------------------------------------------------------------

_SIDE = 61


def _label(span: SpanView) -> str:
    if span.kind == "step":
        number = f" {safe(span.step_id)}" if span.step_id is not None else ""
        return f"step{number} {safe(span.name, 40)}"
    if span.kind == "tool":
        return f"tool {safe(span.name, 40)}"
    if span.kind == "llm":
        return f"llm {safe(span.name, 40)}"
    if span.kind == "decision":
        return f"decision {safe(span.name, 20)} → {safe(span.outcome, 20)}"
    return f"child run {safe((span.run_id or '?')[:8], 8)}"


def _extra(span: SpanView) -> str:
    if span.kind == "tool" and span.args_hash:
        digest = span.args_hash.rpartition(":")[2]
        return f"args {safe(digest[:8], 8)}"
    if span.kind == "llm" and (span.input_tokens is not None or span.output_tokens is not None):
        return f"{span.input_tokens or 0}→{span.output_tokens or 0}"
    return ""


def _status_text(style: Style, status: str | None) -> str:
    text = {ERROR: "ERROR", OK: "ok"}.get(status or "", safe(status or "-", 6))
    padded = text.ljust(6)
    return style.red(padded) if status == ERROR else style.green(padded) if status == OK else padded


def _side(span: SpanView | None, style: Style) -> str:
    """One run's half of a row, *_SIDE* columns wide (colour codes aside)."""
    if span is None:
        return " " * _SIDE
    label = ("  " * min(span.depth, 8) + _label(span))[:30]
    extra = _extra(span)[:13]
    return f"{label:<30} {_status_text(style, span.status)} {ms_text(span.latency_ms):>9} {extra:<13}"


def _mark(row: DiffRow) -> str:
    if row.a is None:
        return ">"
    if row.b is None:
        return "<"
    return "≠" if row.differences else "="


def _summary_line(label: str, run: RunSummary | None, run_id: str, style: Style) -> str:
    if run is None:
        return f"{label}  run {safe(run_id, 40)}  (no typed line of this run)"
    return (
        f"{label}  run {safe(run.run_id, 40)}  {_outcome(style, run, 10)}"
        f" {safe(run.stop_reason or '-', 14):<14}"
        f" {_duration(run) or '?':>10}  steps={run.total_steps} tools={run.tool_calls} llm={run.llm_calls}"
        f" errors={run.errors} tokens={run.input_tokens}/{run.output_tokens}"
    )


def diff_text(diff: RunDiff, style: Style) -> str:
    """Both runs' summaries, then their spans side by side: ``=`` same, ``≠`` not, ``<``/``>`` one only."""
    out = [
        style.bold(_summary_line("A", diff.a, diff.a_run_id, Style(False))),
        style.bold(_summary_line("B", diff.b, diff.b_run_id, Style(False))),
        "",
        style.dim(
            "aligned by kind and name (step type and tool, tool, model, decision kind) in time order, "
            "as diff aligns lines"
        ),
        style.bold(f"{'':>4}  {'A':<{_SIDE}}   B"),
    ]
    for index, row in enumerate(diff.rows, start=1):
        text = f"{index:>4}  {_side(row.a, style)} {_mark(row)} {_side(row.b, style)}"
        if row.differences:
            text += "  " + style.red(", ".join(row.differences))
        if row.first_divergence:
            text += "  " + style.red("◀ first divergence")
        out.append(text.rstrip())
    out.append("")
    first = diff.first_divergence
    if first is None:
        out.append("Same steps and calls, same arguments and outcomes (latency and tokens aside).")
    else:
        row = diff.rows[first]
        out.append(style.red("First divergence: ") + f"row {first + 1}: " + _divergence(row))
    return "\n".join(out)


def _short(value: Any) -> str:
    """A value of a span as the divergence line says it: ``-`` for none, a hash by its first digits."""
    if value is None:
        return "-"
    text = safe(value, 80)
    scheme, colon, digest = text.rpartition(":")
    return f"{scheme}:{digest[:12]}…" if colon and len(digest) == 64 else text


def _divergence(row: DiffRow) -> str:
    """What differs at the first divergence, in words."""
    if row.a is None and row.b is not None:
        return f"only B has {_label(row.b)}"
    if row.b is None and row.a is not None:
        return f"only A has {_label(row.a)}"
    assert row.a is not None
    assert row.b is not None
    if "span" in row.differences:
        return f"A has {_label(row.a)} where B has {_label(row.b)}"
    said = []
    for name in row.differences:
        left, right = (_short(getattr(span, name)) for span in (row.a, row.b))
        said.append(f"{name} {left} → {right}")
    error = row.b.error_message or row.a.error_message
    tail = f" ({safe(error, 200)})" if error and "error_class" in row.differences else ""
    return f"{_label(row.a)}: " + "; ".join(said) + tail
