"""Showing what the explorer found: terminal text, JSON, a self-contained HTML page.

Every logged value printed to a terminal passes through `safe`, which escapes
control characters, ANSI escape sequences and bidirectional overrides, so a
tool result cannot move the cursor, recolour the screen or reorder the text.
"""

from __future__ import annotations

import html
import re
from typing import Any

import orjson

from ._explore import Node, RunSummary, RunTree, epoch

__all__ = ["html_page", "runs_table", "safe", "show_text", "stats_text"]

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


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


def _status(style: Style, status: str | None, width: int = 0) -> str:
    text = {"error": "ERROR", "ok": "ok"}.get(status or "", safe(status or "?"))
    padded = text.ljust(width)
    if status == "error":
        return style.red(padded)
    if status == "ok":
        return style.green(padded)
    return padded


def _ms(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value / 1000:.3f} s" if value >= 1000 else f"{value:.1f} ms"


def runs_table(runs: list[RunSummary], style: Style) -> str:
    """One row per run."""
    header = (
        f"{'run':<10}{'started':<29}{'duration':>10}  {'status':<7}{'stop_reason':<14}{'steps':>6}{'tools':>6}"
        f"{'llm':>5}{'errors':>7}{'tokens in/out':>15}  {'user':<13}{'service':<21}run_id"
    )
    rows = [style.bold(header)]
    for run in runs:
        tokens = f"{run.input_tokens}/{run.output_tokens}"
        rows.append(
            f"{safe(run.run_id[:8]):<10}{safe(run.started or '?', 28):<29}{_ms(run.total_latency_ms):>10}  "
            f"{_status(style, run.status, 7)}{safe(run.stop_reason or '-', 13):<14}{run.total_steps:>6}"
            f"{run.tool_calls:>6}{run.llm_calls:>5}{run.errors:>7}{tokens:>15}  {safe(run.user_id or '-', 12):<13}"
            f"{safe(run.service or '-', 20):<21}{safe(run.run_id)}"
        )
    return "\n".join(rows)


def _describe(node: Node, style: Style) -> str:
    line = node.line
    if node.kind == "run":
        service = f" service={safe(line.get('service'))}" if line.get("service") else ""
        return f"{style.bold('run')} {safe(node.run_id)}{service}  {_status(style, node.status)}  {safe(line.get('stop_reason') or '')}"
    if node.kind == "step":
        return f"step {safe(line.get('step_id'))} {safe(node.name)}  {_ms(node.latency_ms)}  {_status(style, node.status)}"
    if node.kind == "tool":
        return f"tool {safe(node.name)} [{safe(line.get('tool_call_id'))}]  {_ms(node.latency_ms)}  {_status(style, node.status)}"
    if node.kind == "llm":
        tokens = (
            f"  {safe(line.get('input_tokens'))}→{safe(line.get('output_tokens'))} tokens"
            if line.get("input_tokens") is not None
            else ""
        )
        return f"llm {safe(node.name)}{tokens}  {_ms(node.latency_ms)}  {_status(style, node.status)}"
    if node.kind == "decision":
        reason = f" ({safe(line.get('reason'))})" if line.get("reason") else ""
        return f"decision {safe(line.get('kind'))} → {safe(line.get('outcome'))}{reason}"
    logger = f"{safe(line.get('logger'))}: " if line.get("logger") else ""
    return style.dim(f"· {safe(line.get('level'))} {logger}{safe(node.name)}")


def show_text(tree: RunTree, style: Style) -> str:
    """The run as a tree with a time offset per line, the failure marked."""
    root = tree.root
    t0 = (
        root.start if root.start is not None else epoch(tree.lines[0].get("timestamp")) if tree.lines else 0.0
    )
    summary = next((run for run in tree.runs if run.run_id == root.run_id), None)
    out = [
        style.bold(f"Run {safe(root.run_id)}")
        + f"  {_status(style, tree.status)}  stop_reason={safe(tree.stop_reason or 'unknown')}",
    ]
    if summary is not None:
        out.append(
            f"  started {safe(summary.started)}  duration {_ms(summary.total_latency_ms) or '?'}  user={safe(summary.user_id or '-')}"
            f"  service={safe(summary.service or '-')}  steps={summary.total_steps} tools={summary.tool_calls}"
            f" llm={summary.llm_calls} errors={summary.errors} tokens={summary.input_tokens}/{summary.output_tokens}"
        )
    trace_id = root.line.get("trace_id")
    if trace_id:
        out.append(f"  trace {safe(trace_id)}")
    out.append("")

    def walk(node: Node, prefix: str, last: bool) -> None:
        offset = (f"+{node.start - t0:.3f}s" if node.start is not None and t0 is not None else "").rjust(10)
        branch = "└─ " if last else "├─ "
        text = _describe(node, style)
        if node.error_class:
            text += "  " + style.red(f"{safe(node.error_class)}: {safe(node.error_message)}")
        if node.failed_here:
            text += "  " + style.red("◀ failed here")
        out.append(f"{offset}  {prefix}{branch}{text}")
        children = node.children
        for index, child in enumerate(children):
            walk(child, prefix + ("   " if last else "│  "), index == len(children) - 1)

    for index, child in enumerate(root.children):
        walk(child, "", index == len(root.children) - 1)
    out.append("")
    if tree.failure is not None:
        failure = tree.failure
        where = []
        step = failure.line.get("step_id")
        if step is not None:
            where.append(f"step {safe(step)}")
        if failure.kind == "tool":
            where.append(f"tool {safe(failure.name)} [{safe(failure.line.get('tool_call_id'))}]")
        elif failure.kind == "llm":
            where.append(f"llm {safe(failure.name)}")
        else:
            where.append(f"step {safe(failure.name)}")
        if failure.run_id != root.run_id:
            where.insert(0, f"child run {safe(failure.run_id)}")
        out.append(
            style.red("Failed at: ")
            + " › ".join(where)
            + f" › {safe(failure.error_class)}: {safe(failure.error_message)}"
        )
    out.append(f"Stop reason: {safe(tree.stop_reason or 'unknown (no run_finished line)')}")
    return "\n".join(out)


def stats_text(stats: dict[str, Any], style: Style) -> str:
    """Per tool, per model, stop reasons, slowest and repeated tool calls."""
    out = [
        style.bold(
            f"{'tool':<24}{'calls':>7}{'errors':>8}{'error rate':>12}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}"
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
            f"{'model':<24}{'calls':>7}{'tokens in':>11}{'tokens out':>12}{'p50 ms':>10}{'p95 ms':>10}"
        )
    )
    for row in stats["models"]:
        out.append(
            f"{safe(row['model'], 24):<24}{row['calls']:>7}{row['input_tokens']:>11}{row['output_tokens']:>12}"
            f"{row['p50_ms'] or 0:>10.1f}{row['p95_ms'] or 0:>10.1f}"
        )
    out.append("")
    out.append(style.bold("runs by stop reason"))
    for reason, count in stats["stop_reasons"].items():
        out.append(f"  {safe(reason):<20}{count:>7}")
    out.append("")
    out.append(style.bold("slowest tool calls"))
    for row in stats["slowest_tool_calls"]:
        out.append(
            f"  {row['latency_ms']:>10.1f} ms  {safe(row['tool'])} [{safe(row['tool_call_id'])}] run {safe(str(row['run_id'])[:8])} {safe(row['status'])}"
        )
    repeated = stats["repeated_tool_calls"]
    if repeated:
        out.append("")
        out.append(style.bold("same tool, same arguments, many times in one run (a loop?)"))
        for row in repeated:
            out.append(
                f"  {row['count']:>5}×  {safe(row['tool'])}  run {safe(row['run_id'][:8])}  {safe(row['args_hash'][:23])}…"
            )
    return "\n".join(out)


def _spans(node: Node, depth: int, rows: list[dict[str, Any]]) -> None:
    if node.kind in ("run", "step", "tool", "llm"):
        rows.append(
            {
                "kind": node.kind,
                "depth": depth,
                "label": f"{node.kind} {node.name}",
                "start": node.start,
                "end": node.end if node.end is not None else node.start,
                "status": node.status,
                "failed": node.failed_here,
                "error": f"{node.error_class}: {node.error_message}" if node.error_class else "",
            }
        )
    for child in node.children:
        _spans(child, depth + 1, rows)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>agentlog run</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:18px;margin:0 0 4px} .meta{color:#555;margin-bottom:12px}
.failure{background:#fde8e8;border-left:4px solid #c81e1e;padding:8px 12px;margin:12px 0}
.row{display:flex;align-items:center;height:24px;border-bottom:1px solid #f0f0f0}
.label{width:360px;flex:none;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.lane{position:relative;flex:1;height:16px;background:#fafafa}
.bar{position:absolute;height:16px;min-width:2px;border-radius:2px;background:#4a7bd0}
.bar.step{background:#7a8fb8}.bar.run{background:#2f4f8f}.bar.llm{background:#8a5cc9}
.bar.error{background:#e07b7b}.bar.failed{background:#c81e1e;outline:2px solid #7a0b0b}
.tag{margin-left:8px;color:#c81e1e;font-weight:600}
</style></head><body>
<h1 id="title"></h1><div class="meta" id="meta"></div><div id="failure"></div><div id="waterfall"></div>
<script id="data" type="application/json">__DATA__</script>
<script>
const data = JSON.parse(document.getElementById("data").textContent);
document.getElementById("title").textContent = "Run " + data.run_id + " — " + (data.status || "?");
document.getElementById("meta").textContent = "stop reason: " + (data.stop_reason || "unknown") + " · " + data.spans.length + " spans";
if (data.failure) {
  const box = document.getElementById("failure");
  box.className = "failure"; box.id = "failure";
  box.textContent = "Failed at " + data.failure;
}
const starts = data.spans.map(s => s.start).filter(v => v !== null);
const ends = data.spans.map(s => s.end).filter(v => v !== null);
const t0 = Math.min(...starts), t1 = Math.max(...ends, t0 + 1e-6);
const lanes = document.getElementById("waterfall");
for (const span of data.spans) {
  const row = document.createElement("div"); row.className = "row";
  const label = document.createElement("div"); label.className = "label";
  label.style.paddingLeft = (span.depth * 14) + "px"; label.textContent = span.label;
  const lane = document.createElement("div"); lane.className = "lane";
  const bar = document.createElement("div");
  bar.className = "bar " + span.kind + (span.status === "error" ? " error" : "") + (span.failed ? " failed" : "");
  const start = span.start === null ? t0 : span.start, end = span.end === null ? start : span.end;
  bar.style.left = (100 * (start - t0) / (t1 - t0)) + "%";
  bar.style.width = Math.max(0.2, 100 * (end - start) / (t1 - t0)) + "%";
  bar.title = span.error || span.label;
  lane.appendChild(bar); row.appendChild(label); row.appendChild(lane);
  if (span.failed) { const tag = document.createElement("span"); tag.className = "tag"; tag.textContent = "failed here: " + span.error; row.appendChild(tag); }
  lanes.appendChild(row);
}
</script></body></html>
"""


def html_page(tree: RunTree) -> str:
    """A self-contained page (no network) with a waterfall of the run's spans, the failure marked."""
    rows: list[dict[str, Any]] = []
    _spans(tree.root, 0, rows)
    failure = None
    if tree.failure is not None:
        node = tree.failure
        failure = f"{node.kind} {node.name} (run {node.run_id}): {node.error_class}: {node.error_message}"
    data = {
        "run_id": tree.root.run_id,
        "status": tree.status,
        "stop_reason": tree.stop_reason,
        "failure": failure,
        "spans": rows,
    }
    payload = orjson.dumps(data, default=str).decode("utf-8")
    # Inside <script>, "</" could end the element early: escape it (and "<!--").
    payload = payload.replace("</", "<\\/").replace("<!--", "<\\!--")
    return _PAGE.replace("__DATA__", payload).replace(
        "<title>agentlog run</title>", f"<title>agentlog run {html.escape(str(tree.root.run_id))}</title>"
    )
