"""The pages' data and markup: JSON embedded safely, one run's view (its spans on a time axis)."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentlog._explorer import html as html_module
from agentlog._explorer.html import embed_json, html_page, run_view
from agentlog._explorer.text import Style, show_text
from agentlog._explorer.tree import build_tree

RUN = "aaaaaaaa-0000-4000-8000-000000000001"
CHILD = "bbbbbbbb-0000-4000-8000-000000000002"
HOSTILE = "<!-- </script><script>alert(1)</script> <script> & \u2028\u2029 \u202e\u061c \x1b[2J"


def _line(event: str, second: float, run_id: str = RUN, **fields: Any) -> dict[str, Any]:
    stamp = f"2026-11-22T03:00:{second:09.6f}Z"
    return {"timestamp": stamp, "level": "info", "event": event, "run_id": run_id, **fields}


def _lines(error_message: str = "slow", **tool_fields: Any) -> list[dict[str, Any]]:
    call = {"span_id": "t1", "parent_span_id": "s1", "tool": "fetch", "tool_call_id": "c1", **tool_fields}
    return [
        _line("run_started", 0, span_id="r0", prompt_version="v7"),
        _line("agent_step", 1, span_id="s1", parent_span_id="r0", step_id=1, step_type="tool"),
        _line("hello", 1.5, span_id="s1", logger="app", size=3),
        _line("tool_call", 2, **call),
        _line(
            "tool_result",
            3,
            **call,
            status="error",
            latency_ms=1000,
            error_class="E",
            error_message=error_message,
            error_stack="Traceback:\n  line 1\nE: boom\n",
        ),
        _line("step_finished", 4, span_id="s1", status="error"),
        _line("run_finished", 5, span_id="r0", status="error", stop_reason="tool_error"),
    ]


def _data(page: str) -> Any:
    """The JSON the page embeds for its script."""
    match = re.search(r'<script id="data" type="application/json">(.*?)</script>', page, re.S)
    assert match is not None
    return orjson.loads(match.group(1))


def _spans(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {span["span_id"]: span for span in view["spans"]}


# -- embedding -----------------------------------------------------------------------------------


def test_embedded_json_reads_back_to_the_values_as_logged() -> None:
    """Escaping changes the text, not the data: the JSON reads back equal."""
    data = {"value": HOSTILE, HOSTILE: [1, 2.5, None, True]}
    assert orjson.loads(embed_json(data)) == data


def test_embedded_json_holds_no_markup_characters() -> None:
    """No `<`, `>` or `&` is left for the HTML parser, nor U+2028/U+2029 for old script engines."""
    text = embed_json({"value": HOSTILE})
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in text
    assert "\\u003c!--" in text and "\\u003c/script\\u003e" in text and "\\u0026" in text


def test_a_logged_comment_opener_leaves_the_page_valid() -> None:
    """A value with `<!--` and `<script>` (which blanked the old page) is nowhere raw in the markup."""
    page = html_page(build_tree(_lines(error_message="<!-- <script>"), RUN))
    assert "<!--" not in page and page.count("<script") == 2
    assert _data(page)["view"]["failure"]["error_message"] == "<!-- <script>"


def test_logged_text_cannot_close_the_script_element() -> None:
    """A logged `</script>` is escaped inside the embedded JSON, and still reads back as logged."""
    hostile = "</script><script>alert(1)</script>"
    page = html_page(build_tree(_lines(error_message=hostile), RUN))
    assert page.count("</script>") == 2  # the data element's and the page script's own
    assert _spans(_data(page)["view"])["t1"]["error_message"] == hostile


def test_the_page_fetches_nothing() -> None:
    """No URL at all (not even the SVG namespace), no src or href: the page works offline."""
    for page in (
        html_page(build_tree(_lines(), RUN)),
        html_module._asset("page.js"),
        html_module._asset("page.css"),
    ):
        assert "http:" not in page and "https:" not in page and "src=" not in page and "href" not in page
        assert "url(" not in page and "@import" not in page


def test_the_script_never_parses_data_as_html() -> None:
    """The page script builds elements and sets textContent; it never assigns HTML."""
    script = html_module._asset("page.js")
    assert "innerHTML" not in script and "outerHTML" not in script and "insertAdjacentHTML" not in script
    assert "document.write" not in script and "eval(" not in script
    assert "</script" not in script and "<!--" not in script


def test_the_title_escapes_the_run_id() -> None:
    """A run ID with markup or a bidi override in it is escaped in the title."""
    lines = [
        {"timestamp": "2026-11-22T03:00:00Z", "level": "info", "event": "run_started", "run_id": "<b>\u202e"}
    ]
    assert "<title>agentlog run &lt;b&gt;\\u202e</title>" in html_page(build_tree(lines, "<b>\u202e"))


# -- the run view --------------------------------------------------------------------------------


def test_the_view_has_one_span_per_run_step_and_call_in_tree_order() -> None:
    """Run, step and tool call are spans (the log line is not), each with its parent and depth."""
    view = run_view(build_tree(_lines(), RUN))
    assert [(span["kind"], span["name"], span["parent"], span["depth"]) for span in view["spans"]] == [
        ("run", RUN, None, 0),
        ("step", "tool", 0, 1),
        ("tool", "fetch", 1, 2),
    ]


def test_span_times_are_seconds_from_the_runs_start() -> None:
    """Start and end of each span, and the axis length, in seconds from the first moment."""
    view = run_view(build_tree(_lines(), RUN))
    spans = _spans(view)
    assert view["total"] == 5.0
    assert [(spans[key]["start"], spans[key]["end"]) for key in ("r0", "s1", "t1")] == [
        (0.0, 5.0),
        (1.0, 4.0),
        (2.0, 3.0),
    ]
    assert all(
        span["shown_start"] == span["start"] and span["shown_end"] == span["end"] for span in spans.values()
    )


def test_a_span_outside_its_parent_is_drawn_inside_it_and_says_so() -> None:
    """A child run on a skewed clock ends after its parent step: its bar is cut at the step's end."""
    lines = [
        *_lines()[:2],
        _line("run_started", 2, CHILD, span_id="c0", parent_span_id="s1", parent_run_id=RUN),
        _line("run_finished", 4.5, CHILD, span_id="c0", status="ok"),
        *_lines()[5:],
    ]
    child = _spans(run_view(build_tree(lines, RUN)))["c0"]
    assert (child["start"], child["end"], child["shown_start"], child["shown_end"]) == (2.0, 4.5, 2.0, 4.0)
    assert child["clamped"] is True


def test_an_unfinished_span_is_drawn_to_its_parents_end() -> None:
    """A tool call with no result (the process was killed) runs to the end of its step, marked unfinished."""
    lines = [line for line in _lines() if line["event"] != "tool_result"]
    tool = _spans(run_view(build_tree(lines, RUN)))["t1"]
    assert (tool["start"], tool["end"], tool["shown_end"], tool["unfinished"]) == (2.0, None, 4.0, True)


def test_the_view_of_an_unfinished_run_says_unfinished() -> None:
    """A run with no run_finished line has outcome `unfinished` in its view, for the page's header."""
    lines = [
        line for line in _lines() if line["event"] not in ("tool_result", "step_finished", "run_finished")
    ]
    view = run_view(build_tree(lines, RUN))
    assert (view["status"], view["outcome"], view["unfinished"]) == (None, "unfinished", True)


def test_log_lines_are_listed_under_their_span() -> None:
    """The line written in the step is in the step's logs, with its offset, logger and fields."""
    [log] = _spans(run_view(build_tree(_lines(), RUN)))["s1"]["logs"]
    assert (log["t"], log["level"], log["logger"], log["event"], log["fields"]["size"]) == (
        1.5,
        "info",
        "app",
        "hello",
        3,
    )


def test_the_failure_names_its_span_and_carries_the_stack() -> None:
    """The failure points at the tool call's span, with its error and stack as written."""
    view = run_view(build_tree(_lines(), RUN))
    failure = view["failure"]
    assert view["spans"][failure["span"]]["span_id"] == "t1"
    assert (failure["error_class"], failure["error_message"]) == ("E", "slow")
    assert failure["error_stack"] == "Traceback:\n  line 1\nE: boom\n"
    assert [span["failed"] for span in view["spans"]] == [False, False, True]


def test_the_view_has_the_runs_metadata_and_summaries() -> None:
    """The root run's metadata and each run's summary are in the view."""
    view = run_view(build_tree(_lines(), RUN))
    assert view["metadata"] == {"prompt_version": "v7"}
    assert [run["run_id"] for run in view["runs"]] == [RUN]
    assert view["spans"][0]["metadata"] == {"prompt_version": "v7"}


def test_long_values_are_cut_on_the_page() -> None:
    """A 100 000-character value is cut, and says how much was left out."""
    view = run_view(build_tree(_lines(error_message="x" * 100_000), RUN))
    message = _spans(view)["t1"]["error_message"]
    assert message.startswith("x" * 1000) and message.endswith("… (60000 more)")


def test_a_view_draws_at_most_max_spans(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the limit, spans are counted, not drawn (so a huge run still makes a page)."""
    monkeypatch.setattr(html_module, "MAX_SPANS", 2)
    view = run_view(build_tree(_lines(), RUN))
    assert [span["span_id"] for span in view["spans"]] == ["r0", "s1"]
    assert view["omitted_spans"] == 1


def test_the_run_page_embeds_the_view() -> None:
    """`show --html` embeds the run view in run mode, titled with the run ID."""
    page = html_page(build_tree(_lines(), RUN))
    assert f"<title>agentlog run {RUN}</title>" in page
    data = _data(page)
    assert data["mode"] == "run" and data["view"]["run_id"] == RUN


_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
_KEYS = st.sampled_from(
    ["event", "run_id", "span_id", "parent_span_id", "parent_run_id", "timestamp", "status", "latency_ms",
     "error_class", "error_message", "error_stack", "tool", "model", "metadata", "step_id", "level", "logger"]
)  # fmt: skip
_EVENTS = st.sampled_from(
    ["run_started", "agent_step", "step_finished", "tool_call", "tool_result", "llm_result", "decision",
     "run_finished", "hello"]
)  # fmt: skip
_LINES = st.lists(
    st.builds(
        lambda event, run, span, parent, second, extra: {
            "event": event, "run_id": run, "span_id": span, "parent_span_id": parent, "level": "info",
            "timestamp": f"2026-11-22T03:00:{second:02d}Z", **extra,
        },
        _EVENTS, st.sampled_from([RUN, CHILD]), st.sampled_from(["a", "b", "c"]),
        st.sampled_from(["a", "b", "c", None]), st.integers(0, 59),
        st.dictionaries(_KEYS, _VALUES, max_size=4),
    ),
    max_size=12,
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(_LINES)
def test_any_lines_make_a_text_a_json_view_and_a_page(lines: list[dict[str, Any]]) -> None:
    """Lines of any shape (IDs of any type, parents naming each other): no exception, valid JSON out."""
    tree = build_tree(lines, RUN)
    show_text(tree, Style(False))
    orjson.dumps(tree.as_dict(), default=str)
    page = html_page(tree)
    assert page.count("<script") == 2 and "<!--" not in page
    _data(page)
