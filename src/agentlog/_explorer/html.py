"""One run as a self-contained HTML page: a waterfall of its spans, the failure marked.

The page fetches nothing: its style and script are inline, and the run's data
is embedded as JSON in a ``<script type="application/json">`` element, which
the script renders with ``textContent`` only, so logged values are never
parsed as HTML.
"""

from __future__ import annotations

import html
from typing import Any

import orjson

from .tree import Node, RunTree

__all__ = ["html_page"]


def _spans(node: Node, depth: int, rows: list[dict[str, Any]]) -> None:
    """Append a row per span (not per log line) under *node*, depth first, to *rows*."""
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
