r"""Self-contained HTML pages: one run's view (``show --html``) and a report on a whole log (``report``).

A page fetches nothing: its style and script ship in the package
(``_explorer/page/page.css`` and ``page.js``) and are inlined, and the data is
embedded as JSON in a ``<script type="application/json">`` element. In that
JSON every ``<``, ``>`` and ``&`` (and U+2028, U+2029) is written as a
``\u`` escape, so no logged value can end the element, open a comment or a
script in it, and the JSON still reads back to the values as logged. The
script renders with ``textContent`` and ``createElement`` only (never
``innerHTML``), and shows control characters, ANSI escapes and bidi marks
escaped, as the terminal does (`agentlog._explorer.text.safe`).

The run view is the same in both pages: a waterfall on a real time axis (each
bar where its span started and as long as it lasted, inside its parent's
range), the failing span outlined in place, a detail panel for any span (its
fields, the log lines written in it, its error and stack), and the child runs.
The report adds a table of every run with filters and sorting, and charts of
the statistics.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime, timezone
from functools import cache
from typing import Any

import orjson

from agentlog._vocabulary import (
    ERROR,
    ERROR_CLASS,
    LEVEL,
    LOGGER,
    RUN_ID,
    SESSION_ID,
)

from .reader import Counts, read_lines
from .runs import RunSummary, build_runs
from .text import safe
from .times import epoch
from .tree import SPAN_KINDS, Node, RunTree, build_tree, run_metadata, walk

__all__ = [
    "DEFAULT_MAX_VIEWS",
    "MAX_SPANS",
    "build_report",
    "embed_json",
    "html_page",
    "report_page",
    "run_view",
]

DEFAULT_MAX_VIEWS = 200
"""How many runs (with their child runs) a report embeds a full run view for, by default."""
MAX_SPANS = 20_000
"""Spans drawn in one run view; the rest are counted and left out (the text view has them all)."""
_MAX_TEXT = 40_000
"""A logged string longer than this is cut on the page (an ``error_stack`` is at most 32 KiB)."""
_MAX_ITEMS = 500
"""Items of a logged list or object kept on the page."""
_MAX_NESTING = 16
"""Levels of a logged value kept on the page."""
_TOKEN_BUCKETS = 60
"""Bars in the report's tokens-over-time chart."""


def embed_json(data: Any) -> str:
    r"""*data* as JSON safe to place inside a ``<script type="application/json">`` element.

    ``<``, ``>`` and ``&`` only occur inside JSON strings, where ``\u003c``,
    ``\u003e`` and ``\u0026`` mean the same characters: the text stays valid
    JSON that reads back to *data*, yet holds no ``</script>``, ``<!--`` or
    ``<script`` for the HTML parser to act on. U+2028 and U+2029 are escaped too
    (older JavaScript engines end a line there).
    """
    text = orjson.dumps(data, default=str).decode("utf-8")
    for raw, escaped in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


def _page_value(value: Any, depth: int = _MAX_NESTING) -> Any:
    """A logged value as the page embeds it: long strings cut, big or deep containers trimmed, marked."""
    if isinstance(value, str):
        return value if len(value) <= _MAX_TEXT else value[:_MAX_TEXT] + f"… ({len(value) - _MAX_TEXT} more)"
    if not isinstance(value, (dict, list)):
        return value
    if depth <= 0:
        return f"…({type(value).__name__} nested too deep)"
    if isinstance(value, dict):
        kept = {str(key): _page_value(item, depth - 1) for key, item in list(value.items())[:_MAX_ITEMS]}
        if len(value) > _MAX_ITEMS:
            kept["…"] = f"{len(value) - _MAX_ITEMS} more fields"
        return kept
    items = [_page_value(item, depth - 1) for item in value[:_MAX_ITEMS]]
    if len(value) > _MAX_ITEMS:
        items.append(f"… {len(value) - _MAX_ITEMS} more items")
    return items


def _seconds(value: float) -> float:
    """Seconds rounded to the microsecond, the precision of a timestamp."""
    return round(value, 6)


def _log_view(node: Node, t0: float) -> dict[str, Any]:
    """A log line or decision inside a span, as the detail panel lists it."""
    line = node.line
    return {
        "kind": node.kind,
        "t": _seconds(node.start - t0) if node.start is not None else None,
        "timestamp": node.timestamp,
        "level": line.get(LEVEL),
        "logger": line.get(LOGGER),
        "event": _page_value(node.name),
        "error_class": node.error_class,
        "error_message": _page_value(node.error_message),
        "error_stack": _page_value(node.error_stack),
        "fields": _page_value(line),
    }


def _time_range(root: Node) -> tuple[float, float]:
    """(first, last) moment of anything in the tree; (0, 0) when no line has a time."""
    moments = [
        moment
        for node, _, _ in walk(root)
        for moment in (node.start, node.end)
        if moment is not None  # a node's end is None while it is unfinished
    ]
    if not moments:
        return 0.0, 0.0
    return min(moments), max(moments)


def run_view(tree: RunTree) -> dict[str, Any]:
    """The data of one run's view: its spans on a time axis, the failure, the runs, the metadata.

    Times are seconds from the earliest moment in the tree (``t0``). Each
    span has its logged ``start`` and ``end`` and the ``shown_start`` and
    ``shown_end`` its bar is drawn at: the same, except that a bar is kept
    inside its parent's range (a child run on a host whose clock is skewed) —
    then ``clamped`` is true — and a span that never ended (``unfinished``)
    is drawn to the end of its parent. Log lines and decisions are listed
    under the span they were written in, not drawn as rows.
    """
    root = tree.root
    t0, t_end = _time_range(root)
    total = max(t_end - t0, 1e-6)
    spans: list[dict[str, Any]] = []
    index_of: dict[int, int] = {}
    shown: dict[int, tuple[float, float]] = {}
    run_span: dict[str, int] = {}
    omitted = 0
    for node, depth, parent in walk(root):
        if parent is not None and id(parent) not in shown:
            omitted += node.kind in SPAN_KINDS  # under a span that was left out
            continue
        if node.kind not in SPAN_KINDS:
            # A line inside a span (lines hang under spans only): listed in its span's detail.
            if parent is not None:
                spans[index_of[id(parent)]]["logs"].append(_log_view(node, t0))
            continue
        if len(spans) >= MAX_SPANS:
            omitted += 1
            continue
        parent_range = shown[id(parent)] if parent is not None else (0.0, total)
        start = node.start - t0 if node.start is not None else None
        end = node.end - t0 if node.end is not None else None
        unfinished = node.end is None and node.kind != "llm"
        low, high = parent_range
        shown_start = min(max(start if start is not None else low, low), high)
        shown_end = min(max(end if end is not None else high, shown_start), high)
        clamped = (start is not None and abs(shown_start - start) > 1e-6) or (
            end is not None and abs(shown_end - end) > 1e-6
        )
        index = len(spans)
        index_of[id(node)] = index
        shown[id(node)] = (shown_start, shown_end)
        if node.kind == "run" and node.run_id is not None and node.run_id not in run_span:
            run_span[node.run_id] = index
        spans.append(
            {
                "index": index,
                "parent": index_of.get(id(parent)) if parent is not None else None,
                "depth": depth,
                "kind": node.kind,
                "name": _page_value(node.name),
                "run_id": node.run_id,
                "span_id": node.span_id,
                "status": node.status,
                "failed": node.failed_here,
                "start": _seconds(start) if start is not None else None,
                "end": _seconds(end) if end is not None else None,
                "shown_start": _seconds(shown_start),
                "shown_end": _seconds(shown_end),
                "unfinished": unfinished,
                "clamped": clamped,
                "latency_ms": node.latency_ms,
                "timestamp": node.timestamp,
                "error_class": _page_value(node.error_class),
                "error_message": _page_value(node.error_message),
                "error_stack": _page_value(node.error_stack),
                "metadata": _page_value(run_metadata(node.opening)) if node.kind == "run" else None,
                "fields": _page_value(node.line),
                "logs": [],
            }
        )
    failure = tree.failure_view()
    if failure is not None and tree.failure is not None:
        failure = {key: _page_value(value) for key, value in failure.items()}
        failure["span"] = index_of.get(id(tree.failure))
    summaries = [_run_row(run) for run in tree.runs]
    return {
        "run_id": root.run_id,
        "status": tree.status,
        "stop_reason": tree.stop_reason,
        "outcome": _page_value(tree.outcome),
        "unfinished": tree.unfinished,
        "metadata": _page_value(tree.metadata),
        "started": root.timestamp,
        "t0": t0,
        "total": _seconds(total),
        "failure": failure,
        "runs": summaries,
        "run_span": run_span,
        "spans": spans,
        "omitted_spans": omitted,
    }


def _run_row(run: RunSummary) -> dict[str, Any]:
    """A run's summary as the page shows it, with the fields the filters and sorting need."""
    row = {key: _page_value(value) for key, value in run.as_dict().items()}
    row["start_epoch"] = epoch(run.started)
    row["failed"] = run.status == ERROR or run.errors >= 1
    return row


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>__TITLE__</title>
<style>__STYLE__</style>
</head><body>
<svg id="svgns" width="0" height="0" aria-hidden="true"></svg>
<main id="app"></main>
<script id="data" type="application/json">__DATA__</script>
<script>__SCRIPT__</script>
</body></html>
"""


@cache
def _asset(name: str) -> str:
    """The text of a file of the page (``page.css``, ``page.js``) shipped in the package."""
    from importlib import resources  # here: only a page being written needs its assets

    return resources.files("agentlog._explorer").joinpath("page").joinpath(name).read_text("utf-8")


def _page(title: str, data: dict[str, Any]) -> str:
    """A whole page: *title* (escaped), the style, the data (embedded safely), the script."""
    return (
        _PAGE.replace("__TITLE__", html.escape(safe(title, 200)))
        .replace("__STYLE__", _asset("page.css"))
        .replace("__SCRIPT__", _asset("page.js"))
        .replace("__DATA__", embed_json(data))
    )


def html_page(tree: RunTree) -> str:
    """One run's page (``show --html``): the run view, self-contained, fetching nothing."""
    return _page(f"agentlog run {tree.root.run_id}", {"mode": "run", "view": run_view(tree)})


def _tokens_over_time(runs: list[RunSummary]) -> list[dict[str, Any]]:
    """Input and output tokens of the runs, summed in up to 60 equal buckets of their start times."""
    dated = [(moment, run) for run in runs if (moment := epoch(run.started)) is not None]
    if not dated:
        return []
    first = min(moment for moment, _ in dated)
    last = max(moment for moment, _ in dated)
    width = max((last - first) / _TOKEN_BUCKETS, 1e-3)
    count = min(_TOKEN_BUCKETS, int((last - first) / width) + 1)
    inputs, outputs = [0] * count, [0] * count
    for moment, run in dated:
        index = min(count - 1, int((moment - first) / width))
        inputs[index] += run.input_tokens
        outputs[index] += run.output_tokens
    return [
        {
            "t": first + index * width,
            "width": width,
            "label": datetime.fromtimestamp(first + index * width, tz=timezone.utc).strftime(
                "%Y-%m-%d %H:%M:%SZ"
            ),
            "input": inputs[index],
            "output": outputs[index],
        }
        for index in range(count)
    ]


def _roots(runs: list[RunSummary]) -> dict[str, str]:
    """Each run's top run: the ancestor (through ``parent_run_id``) that has no parent among *runs*."""
    parent_of = {run.run_id: run.parent_run_id for run in runs}
    top: dict[str, str] = {}
    for run_id in parent_of:
        chain = [run_id]
        seen = {run_id}
        current = run_id
        while True:
            parent = parent_of.get(current)
            if parent is None or parent not in parent_of or parent in seen:
                break  # a parent that is not in the log, or a cycle: this one is the top
            if parent in top:
                current = top[parent]
                break
            chain.append(parent)
            seen.add(parent)
            current = parent
        for member in chain:
            top[member] = current
    return top


def _chosen(runs: list[RunSummary], top: dict[str, str], max_views: int) -> list[str]:
    """The top runs given a full view: those with a failure first, then unfinished, then the rest; newest first."""
    failed = {top[run.run_id] for run in runs if run.status == ERROR or run.errors >= 1}
    unfinished = {top[run.run_id] for run in runs if run.status is None}
    started = {run.run_id: epoch(run.started) or 0.0 for run in runs}
    roots = sorted(set(top.values()), key=lambda run_id: -started.get(run_id, 0.0))
    ordered = sorted(roots, key=lambda run_id: 0 if run_id in failed else 1 if run_id in unfinished else 2)
    return ordered[:max_views]


def report_page(
    runs: list[RunSummary],
    stats: dict[str, Any],
    trees: Iterable[RunTree],
    *,
    files: list[str],
    counts: Counts,
    views_left_out: int = 0,
) -> str:
    """The report page: every run in a table, a run view for each of *trees*, the statistics as charts.

    Args:
        runs: Every run's summary (the table's rows).
        stats: What `stats.compute_stats` found.
        trees: The runs given a full view, each with its child runs.
        files: The inputs, named in the page's header.
        counts: What reading found (lines parsed and skipped, problems).
        views_left_out: Top runs with no view, past the limit.
    """
    top = _roots(runs)
    views = {str(tree.root.run_id): run_view(tree) for tree in trees}
    rows = []
    for run in runs:
        row = _run_row(run)
        root = top.get(run.run_id, run.run_id)
        view = views.get(root)
        row["view"] = root if view is not None else None
        if view is not None:
            span = view["spans"][view["run_span"][run.run_id]] if run.run_id in view["run_span"] else None
            opening = span["fields"] if span is not None else {}
            row.setdefault("metadata", span["metadata"] if span is not None else None)
            row.setdefault(SESSION_ID, opening.get(SESSION_ID) if isinstance(opening, dict) else None)
            row.setdefault(ERROR_CLASS, opening.get(ERROR_CLASS) if isinstance(opening, dict) else None)
        rows.append(row)
    data = {
        "mode": "report",
        "files": [safe(name, 300) for name in files],
        "counts": {
            "parsed": counts.parsed,
            "skipped": counts.skipped,
            "files": counts.files,
            "problems": counts.problems[:100],
        },
        "runs": rows,
        "stats": _page_value(stats, depth=4),
        "tokens": _tokens_over_time(runs),
        "views": views,
        "views_left_out": views_left_out,
    }
    return _page("agentlog report", data)


def build_report(files: list[str], counts: Counts, max_views: int = DEFAULT_MAX_VIEWS) -> str:
    """Read *files* (not stdin: they are read three times) and return the report page.

    The runs (every figure the table's filters use) and the statistics are read first;
    then the lines of the runs given a view (at most *max_views* top runs,
    with all their child runs: failed runs first, then unfinished ones, then
    the newest) are gathered in one more pass and rebuilt as trees.
    """
    # Every line, not only those with the needles of `runs`: on a realistic log parsing them all is
    # faster than finding the needles, and an unfinished run is counted from all its typed lines.
    from .stats import stats_of_files  # here: `show --html` (and the CLI's start) need no statistics

    runs = build_runs(read_lines(files, counts)).summaries()
    stats = stats_of_files(files, Counts())  # as `agentlog stats` computes them
    top = _roots(runs)
    chosen = _chosen(runs, top, max_views)
    wanted = set(chosen)
    members = {run_id: root for run_id, root in top.items() if root in wanted}
    grouped: dict[str, list[dict[str, Any]]] = {root: [] for root in chosen}
    if members:
        for line in read_lines(files, Counts()):
            run_id = line.get(RUN_ID)
            root = members.get(run_id) if isinstance(run_id, str) else None
            if root is not None:
                grouped[root].append(line)
    trees = [build_tree(grouped[root], root) for root in chosen]
    left_out = len(set(top.values())) - len(chosen)
    return report_page(runs, stats, trees, files=files, counts=counts, views_left_out=left_out)
