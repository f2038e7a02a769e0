"""The self-contained HTML page of one run."""

from __future__ import annotations

import re
from typing import Any

import orjson

from agentlog._explorer.html import html_page
from agentlog._explorer.tree import build_tree

RUN = "aaaaaaaa-0000-4000-8000-000000000001"


def _line(event: str, second: int, **fields: Any) -> dict[str, Any]:
    stamp = f"2026-11-22T03:00:{second:02d}Z"
    return {"timestamp": stamp, "level": "info", "event": event, "run_id": RUN, **fields}


def _lines(error_message: str = "slow") -> list[dict[str, Any]]:
    call = {"span_id": "t1", "parent_span_id": "s1", "tool": "fetch", "tool_call_id": "c1"}
    return [
        _line("run_started", 0, span_id="r0"),
        _line("agent_step", 1, span_id="s1", parent_span_id="r0", step_id=1, step_type="tool"),
        _line("hello", 1, span_id="s1"),
        _line("tool_call", 2, **call),
        _line(
            "tool_result",
            3,
            **call,
            status="error",
            latency_ms=1000,
            error_class="E",
            error_message=error_message,
        ),
        _line("step_finished", 4, span_id="s1", status="error"),
        _line("run_finished", 5, span_id="r0", status="error", stop_reason="tool_error"),
    ]


def _data(page: str) -> Any:
    """The JSON the page embeds for its script."""
    match = re.search(r'<script id="data" type="application/json">(.*?)</script>', page, re.S)
    assert match is not None
    return orjson.loads(match.group(1))


def test_the_page_embeds_one_row_per_span() -> None:
    """Run, step and tool call are rows (log lines are not), with depth, times and status."""
    data = _data(html_page(build_tree(_lines(), RUN)))
    assert [(span["kind"], span["depth"], span["label"]) for span in data["spans"]] == [
        ("run", 0, f"run {RUN}"),
        ("step", 1, "step tool"),
        ("tool", 2, "tool fetch"),
    ]
    tool = data["spans"][2]
    assert (tool["status"], tool["failed"], tool["error"], tool["end"] - tool["start"]) == (
        "error",
        True,
        "E: slow",
        1.0,
    )


def test_the_page_names_the_run_and_its_failure() -> None:
    """The title has the run ID; the data has status, stop reason and where it failed."""
    page = html_page(build_tree(_lines(), RUN))
    assert f"<title>agentlog run {RUN}</title>" in page
    data = _data(page)
    assert (data["run_id"], data["status"], data["stop_reason"]) == (RUN, "error", "tool_error")
    assert data["failure"] == f"tool fetch (run {RUN}): E: slow"


def test_the_page_fetches_nothing() -> None:
    """No external script, style or link: the page works offline."""
    page = html_page(build_tree(_lines(), RUN))
    assert "http://" not in page and "https://" not in page and "src=" not in page


def test_logged_text_cannot_close_the_script_element() -> None:
    """A logged `</script>` is escaped inside the embedded JSON, and still reads back as logged."""
    hostile = "</script><script>alert(1)</script>"
    page = html_page(build_tree(_lines(error_message=hostile), RUN))
    assert page.count("</script>") == 2  # the data element's and the page script's own
    assert _data(page)["spans"][2]["error"] == f"E: {hostile}"


def test_logged_text_cannot_open_a_comment_in_the_script_element() -> None:
    """A logged `<!--` (which would change how the script element is parsed) is not left as it is."""
    page = html_page(build_tree(_lines(error_message="<!-- <script>"), RUN))
    assert "<!--" not in page


def test_the_title_escapes_the_run_id() -> None:
    """A run ID with markup in it is escaped in the title."""
    lines = [{"timestamp": "2026-11-22T03:00:00Z", "level": "info", "event": "run_started", "run_id": "<b>"}]
    assert "<title>agentlog run &lt;b&gt;</title>" in html_page(build_tree(lines, "<b>"))
