"""The terminal view: safe text, colour only when wanted, the runs table, a run's tree, stats."""

from __future__ import annotations

import io
from typing import Any

import pytest

from agentlog._explorer.reader import Counts
from agentlog._explorer.runs import RunSummary
from agentlog._explorer.stats import compute_stats
from agentlog._explorer.text import (
    Style,
    reading_problems,
    runs_table,
    safe,
    show_text,
    stats_text,
    style_for,
    usd_text,
)
from agentlog._explorer.tree import build_tree, walk
from agentlog._vocabulary import FREE_FORM

RUN = "aaaaaaaa-0000-4000-8000-000000000001"
CHILD = "bbbbbbbb-0000-4000-8000-000000000002"
HOSTILE = "\x1b[2J\x1b[31mred\x07\u202eevil\r\n"


def _line(event: str, second: int, run_id: str = RUN, **fields: Any) -> dict[str, Any]:
    stamp = f"2026-11-22T03:00:{second:02d}Z"
    return {"timestamp": stamp, "level": "info", "event": event, "run_id": run_id, "trace_id": "t", **fields}


def _failing_run() -> list[dict[str, Any]]:
    """A run whose child run's tool call fails with a hostile error message."""
    call = {"span_id": "t1", "parent_span_id": "c0", "tool": "fetch", "tool_call_id": "call-1", "step_id": 1}
    return [
        _line("run_started", 0, span_id="r0", user_id="u-1", service="svc"),
        _line("agent_step", 1, span_id="s1", parent_span_id="r0", step_id=1, step_type="delegate"),
        _line("run_started", 2, CHILD, span_id="c0", parent_run_id=RUN, parent_span_id="s1"),
        _line("tool_call", 3, CHILD, **call),
        _line(
            "tool_result",
            4,
            CHILD,
            **call,
            status="error",
            latency_ms=1000,
            error_class="TimeoutError",
            error_message=HOSTILE,
        ),
        _line("step_finished", 5, span_id="s1", status="error", latency_ms=4000),
        _line(
            "run_finished", 6, span_id="r0", status="error", stop_reason="step_error", total_latency_ms=6000
        ),
    ]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_safe_escapes_control_characters() -> None:
    """ESC, BEL, CR, LF and DEL are shown as escapes, so they cannot act on the terminal."""
    assert safe("a\x1b[2Jb\x07c\r\nd\x7f") == "a\\x1b[2Jb\\x07c\\x0d\\x0ad\\x7f"


def test_safe_escapes_c1_and_bidirectional_characters() -> None:
    """C1 controls and bidi overrides and isolates are escaped; they could reorder what is read."""
    assert safe("\x9b\u202eevil\u2066x\u200f") == "\\x9b\\u202eevil\\u2066x\\u200f"


def test_safe_escapes_the_arabic_letter_mark_and_line_separators() -> None:
    """U+061C (a bidi mark too) and U+2028/U+2029 (line breaks to some terminals) are escaped."""
    assert safe("a\u061cb\u2028c\u2029d") == "a\\u061cb\\u2028c\\u2029d"


def test_safe_leaves_arabic_and_hebrew_letters_alone() -> None:
    """Right-to-left text itself is data to read, not a control: it passes unchanged."""
    assert safe("مرحبا שלום") == "مرحبا שלום"


def test_safe_leaves_ordinary_text_alone() -> None:
    """Printable text, accents and symbols pass unchanged."""
    assert safe("café → 3 × ok") == "café → 3 × ok"


def test_safe_turns_any_value_into_text() -> None:
    """None is empty; numbers and other values are their str()."""
    assert [safe(None), safe(3), safe([1, "\x1b"])] == ["", "3", "[1, '\\x1b']"]


def test_safe_caps_the_length() -> None:
    """Long text is cut at the limit and marked with an ellipsis."""
    assert safe("x" * 10, limit=4) == "xxxx…"
    assert safe("x" * 4, limit=4) == "xxxx"


def test_style_with_colour_wraps_text_in_ansi_codes() -> None:
    """Each style is its SGR code, then a reset."""
    style = Style(True)
    assert [style.red("a"), style.green("b"), style.dim("c"), style.bold("d")] == [
        "\x1b[31;1ma\x1b[0m",
        "\x1b[32mb\x1b[0m",
        "\x1b[2mc\x1b[0m",
        "\x1b[1md\x1b[0m",
    ]


def test_style_without_colour_changes_nothing() -> None:
    """Without colour every style returns the text as it is."""
    style = Style(False)
    assert [style.red("a"), style.green("b"), style.dim("c"), style.bold("d")] == ["a", "b", "c", "d"]


def test_style_for_follows_the_color_option(monkeypatch: pytest.MonkeyPatch) -> None:
    """The always and never choices win; auto colours a terminal only, and not when NO_COLOR is set."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert style_for("always", io.StringIO()).colour is True
    assert style_for("never", _Terminal()).colour is False
    assert style_for("auto", _Terminal()).colour is True
    assert style_for("auto", io.StringIO()).colour is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert style_for("auto", _Terminal()).colour is False
    assert style_for("always", io.StringIO()).colour is True


def test_reading_problems_reports_files_and_skipped_lines() -> None:
    """One message per unreadable file (made safe), then how many lines were skipped."""
    counts = Counts(skipped=3, problems=["bad\x1b.jsonl: No such file"])
    assert reading_problems(counts) == [
        "agentlog: bad\\x1b.jsonl: No such file",
        "agentlog: 3 lines skipped (not agentlog JSON)",
    ]
    assert reading_problems(Counts(parsed=5)) == []


def test_runs_table_has_a_header_and_a_row_per_run() -> None:
    """Each row has the short and full ID, status, stop reason, totals and tokens."""
    run = RunSummary(
        RUN,
        started="2026-11-22T03:00:00Z",
        status="error",
        stop_reason="tool_error",
        total_steps=2,
        tool_calls=3,
        input_tokens=10,
        output_tokens=4,
        total_latency_ms=1500,
        user_id=HOSTILE,
    )
    header, row = runs_table([run], Style(False)).split("\n")
    assert header.split() == [
        "run",
        "started",
        "duration",
        "status",
        "stop_reason",
        "steps",
        "tools",
        "llm",
        "errors",
        "tokens",
        "in/out",
        "user",
        "service",
        "run_id",
    ]
    assert row.startswith("aaaaaaaa  2026-11-22T03:00:00Z")
    assert "1.500 s  ERROR  tool_error" in row and "10/4" in row and row.endswith(RUN)
    assert "\x1b" not in row and "\\x1b[2J" in row


def test_runs_table_colours_the_status() -> None:
    """With colour, an error status is red and ok is green."""
    table = runs_table([RunSummary(RUN, status="error"), RunSummary(CHILD, status="ok")], Style(True))
    assert "\x1b[31;1mERROR  \x1b[0m" in table and "\x1b[32mok     \x1b[0m" in table


def test_show_text_draws_the_tree_and_names_the_failure() -> None:
    """The tree shows each span at its offset; the failing tool is marked and named below."""
    text = show_text(build_tree(_failing_run(), RUN), Style(False))
    assert text.splitlines()[0] == f"Run {RUN}  ERROR  stop_reason=step_error"
    assert "   +1.000s  └─ step 1 delegate  4.000 s  ERROR" in text
    assert f"   +2.000s     └─ run {CHILD}  unfinished  \n" in text  # no run_finished line
    assert "   +3.000s        └─ tool fetch [call-1]  1.000 s  ERROR  TimeoutError: " in text
    assert "◀ failed here" in text
    assert f"Failed at: child run {CHILD} › step 1 › tool fetch [call-1] › TimeoutError: " in text
    assert text.endswith("Stop reason: step_error")


def test_show_text_escapes_logged_values() -> None:
    """A hostile error message is printed escaped: no escape sequence or bidi override gets out."""
    text = show_text(build_tree(_failing_run(), RUN), Style(True))
    assert "\x1b[2J" not in text and "\u202e" not in text and "\r" not in text and "\x07" not in text
    assert "\\x1b[2J" in text


def _killed_run() -> list[dict[str, Any]]:
    """A run whose process was killed in a tool call: run_started, a step and a tool call, no ends."""
    return [
        _line("run_started", 0, span_id="r0", user_id="u-1", service="svc"),
        _line("agent_step", 1, span_id="s1", parent_span_id="r0", step_id=1, step_type="tool"),
        _line("tool_call", 3, span_id="t1", parent_span_id="s1", tool="fetch", tool_call_id="call-1"),
    ]


def test_show_text_without_run_finished_says_there_is_no_stop_reason_yet() -> None:
    """A run that never finished (killed, crashed, still running) says so instead of a stop reason."""
    text = show_text(build_tree(_failing_run()[:-1], RUN), Style(False))
    assert text.endswith(
        "Stop reason: none, the run is unfinished (no run_finished line: killed, crashed or still running)"
    )


def test_show_text_header_of_an_unfinished_run_says_unfinished() -> None:
    """A killed run's header says `unfinished`, as `agentlog runs` does, not `?` and stop_reason=unknown."""
    header = show_text(build_tree(_killed_run(), RUN), Style(False)).splitlines()[0]
    assert header == f"Run {RUN}  unfinished  no run_finished line: killed, crashed or still running"


def test_show_text_gives_an_unfinished_runs_duration_as_at_least_what_its_lines_cover() -> None:
    """With no total latency logged, the duration is ≥ first to last line (3 s), not `?`."""
    details = show_text(build_tree(_killed_run(), RUN), Style(False)).splitlines()[1]
    assert "  duration ≥3.000 s  " in details and "steps=1 tools=1" in details


def test_show_text_marks_spans_that_never_closed_unfinished() -> None:
    """The step and the tool call the process died in say `unfinished` instead of `?`."""
    text = show_text(build_tree(_killed_run(), RUN), Style(False))
    tree_lines = [line for line in text.splitlines() if "─ " in line]
    assert [line.rsplit("  ", 1)[-1] for line in tree_lines] == ["unfinished", "unfinished"]


def test_stats_text_has_a_section_per_figure() -> None:
    """Tools, models, stop reasons and slowest calls; the loop section only when a call repeats."""
    lines = [
        _line("tool_result", 0, tool="fetch", status="error", latency_ms=12.5, tool_call_id="c1"),
        _line("llm_result", 0, model="gpt", input_tokens=5, output_tokens=6, latency_ms=100),
        _line("run_finished", 0, stop_reason="completed"),
    ]
    text = stats_text(compute_stats(lines), Style(False))
    assert "fetch                         1       1     100.00%      12.5      12.5      12.5" in text
    assert (
        "gpt                           1       0       0.00%          5           6     100.0     100.0"
        in text
    )
    assert "  completed                 1" in text
    assert "        12.5 ms  fetch [c1] run aaaaaaaa error" in text
    assert "a loop?" not in text
    repeated = [_line("tool_call", 0, tool="search", args_hash="sha256:" + "0" * 64) for _ in range(2)]
    assert "    2×  search  run aaaaaaaa  sha256:0000000000000000…" in stats_text(
        compute_stats(repeated), Style(False)
    )


def test_stats_text_gives_each_model_its_errors_error_rate_and_p99() -> None:
    """The model table has the tool table's columns: errors, error rate and p99 beside the tokens."""
    lines = [
        _line("llm_result", 0, model="gpt", status="error", input_tokens=5, output_tokens=6, latency_ms=100),
        _line("llm_result", 0, model="gpt", status="ok", input_tokens=5, output_tokens=6, latency_ms=300),
    ]
    header, row = stats_text(compute_stats(lines), Style(False)).split("\n\n")[1].splitlines()[:2]
    assert header.split() == [
        "model", "calls", "errors", "error", "rate", "tokens", "in", "tokens", "out",
        "p50", "ms", "p95", "ms", "p99", "ms",
    ]  # fmt: skip
    assert row.split() == ["gpt", "2", "1", "50.00%", "10", "12", "100.0", "300.0", "300.0"]


STACK = 'Traceback (most recent call last):\n  File "tools.py", line 9, in fetch\nTimeoutError: [REDACTED]\n'


def _with_stack(stack: str = STACK) -> list[dict[str, Any]]:
    """The failing run, its tool call's result carrying an error_stack."""
    lines = _failing_run()
    lines[4] = {**lines[4], "error_stack": stack}
    return lines


def test_show_text_prints_the_failing_calls_stack_under_the_failure() -> None:
    """The stack follows the 'Failed at' line, indented, line by line as written."""
    text = show_text(build_tree(_with_stack(), RUN), Style(False))
    failed_at = text.index("Failed at: ")
    assert text[failed_at:].splitlines()[1:5] == [
        "  Traceback (most recent call last):",
        '    File "tools.py", line 9, in fetch',
        "  TimeoutError: [REDACTED]",
        "Stop reason: step_error",
    ]


def test_show_text_escapes_a_hostile_stack() -> None:
    """Escape sequences and bidi marks in a stack are printed escaped, its line breaks kept."""
    text = show_text(build_tree(_with_stack(f"line one {HOSTILE}\nline two \u061c"), RUN), Style(False))
    assert "  line one \\x1b[2J\\x1b[31mred\\x07\\u202eevil\\x0d" in text
    assert "  line two \\u061c" in text
    assert "\x1b" not in text and "\u202e" not in text and "\u061c" not in text


def test_show_text_takes_the_stack_of_a_line_inside_the_failing_call() -> None:
    """No stack on the result, but a `log.exception` inside the call recorded one: that one is shown."""
    lines = _failing_run()
    lines.insert(4, _line("boom", 3, CHILD, span_id="t1", level="error", error_stack="Traceback: inner\n"))
    text = show_text(build_tree(lines, RUN), Style(False))
    assert text.splitlines()[-2:] == ["  Traceback: inner", "Stop reason: step_error"]


def test_show_text_caps_a_very_long_stack() -> None:
    """A stack of 1000 lines shows its first 200 and says how many more there were."""
    stack = "\n".join(f"frame {number}" for number in range(1000))
    text = show_text(build_tree(_with_stack(stack), RUN), Style(False))
    assert "  frame 199\n  … 800 more lines\nStop reason" in text and "frame 200" not in text


def test_show_text_prints_the_runs_metadata_and_ids() -> None:
    """Metadata (top-level and under `metadata`) and the session and request IDs are in the header."""
    lines = _failing_run()
    lines[0] = {**lines[0], "session_id": "sess-1", "request_id": "req-9", "prompt_version": "v7"}
    lines[0]["metadata"] = {"service": "billing", "flags": [1, 2]}
    header = show_text(build_tree(lines, RUN), Style(False)).split("\n\n")[0]
    assert "  trace t  session sess-1  request req-9" in header
    assert "  metadata prompt_version=v7  service=billing  flags=[1,2]" in header


def test_show_text_escapes_hostile_metadata() -> None:
    """A metadata key or value with escapes or bidi marks is printed escaped."""
    lines = _failing_run()
    lines[0] = {**lines[0], f"k{HOSTILE}": f"v{HOSTILE}\u061c"}
    text = show_text(build_tree(lines, RUN), Style(False))
    assert "metadata k\\x1b[2J" in text and "=v\\x1b[2J" in text and "\\u061c" in text
    assert "\x1b" not in text and "\u202e" not in text and "\u061c" not in text


def test_show_text_prints_a_log_lines_own_fields_beside_it() -> None:
    """A log line in a span shows its message and its own fields, not the IDs every line repeats."""
    lines = _failing_run()
    lines.insert(4, _line("cache miss", 3, CHILD, span_id="t1", logger="cache", key="k1", size=3))
    text = show_text(build_tree(lines, RUN), Style(False))
    assert "└─ · info cache: cache miss  key=k1 size=3" in text


def test_show_text_escapes_a_log_lines_fields() -> None:
    """A hostile value beside a log line is escaped like every other."""
    lines = _failing_run()
    lines.insert(4, _line("tool output", 3, CHILD, span_id="t1", value=HOSTILE))
    text = show_text(build_tree(lines, RUN), Style(False))
    assert "tool output  value=\\x1b[2J" in text and "\x1b" not in text


def _chain(depth: int) -> list[dict[str, Any]]:
    """Runs each started from the step of the one before, *depth* deep."""
    ids = [f"{index:08x}-0000-4000-8000-000000000000" for index in range(depth)]
    lines: list[dict[str, Any]] = []
    for index, run_id in enumerate(ids):
        parent = {"parent_run_id": ids[index - 1], "parent_span_id": f"s{index - 1}"} if index else {}
        lines.append(_line("run_started", 0, run_id, span_id=f"r{index}", **parent))
        lines.append(
            _line("agent_step", 0, run_id, span_id=f"s{index}", parent_span_id=f"r{index}", step_id=1)
        )
    return lines


def test_show_text_draws_a_chain_of_2000_child_runs() -> None:
    """4000 levels deep: every span is drawn, the branches stop moving right and the depth is written."""
    lines = _chain(2000)
    text = show_text(build_tree(lines, lines[0]["run_id"]), Style(False))
    body = text.split("\n\n")[1].splitlines()
    assert len(body) == 3999  # every node but the root
    assert "└─ [depth 3999] step 1" in body[-1]
    assert max(len(line) for line in body) < 300


def test_show_text_draws_deep_branches_like_shallow_ones() -> None:
    """Up to the cap, each level moves three columns right."""
    lines = _chain(3)
    text = show_text(build_tree(lines, lines[0]["run_id"]), Style(False))
    tree = build_tree(lines, lines[0]["run_id"])
    depths = [depth for _, depth, _ in walk(tree.root)][1:]
    body = text.split("\n\n")[1].splitlines()
    assert [line.index("└─") for line in body] == [12 + 3 * (depth - 1) for depth in depths]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (0.0, "$0.00"),
        (12.345, "$12.35"),
        (1234.5, "$1,234.50"),
        (0.0010034, "$0.001003"),
        (0.0010031, "$0.001003"),
        (0.0000025, "$0.000002500"),
        (1e-12, "$0.000000000001"),
    ],
)
def test_costs_keep_the_digits_that_tell_them_apart(value: float | None, text: str) -> None:
    """Cents from a dollar up; below, four significant digits (two per-run costs differ in the fourth)."""
    assert usd_text(value) == text


def test_show_text_gives_the_runs_cost_with_its_child_runs_and_each_calls() -> None:
    """The header's cost adds every priced llm_result of the run and its children; each call shows its own."""
    llm: dict[str, Any] = {
        "model": "m",
        "input_tokens": 10,
        "output_tokens": 2,
        "status": "ok",
        "latency_ms": 1.0,
    }
    lines = _failing_run()
    lines[1:1] = [_line("llm_result", 1, span_id="l1", parent_span_id="r0", cost_usd=0.1, **llm)]
    lines[4:4] = [_line("llm_result", 3, CHILD, span_id="l2", parent_span_id="c0", cost_usd=0.2, **llm)]
    lines[4:4] = [_line("llm_result", 3, CHILD, span_id="l3", parent_span_id="c0", **llm)]  # unpriced
    lines.append({**lines[1], "event": "llm_result", "cost_usd": 99.0, FREE_FORM: True})  # a log line
    text = show_text(build_tree(lines, RUN), Style(False))
    assert " cost=$0.3000" in text.splitlines()[1]
    assert "$0.1000" in text and "$0.2000" in text


def test_show_text_has_no_cost_when_no_call_was_priced() -> None:
    """Unknown is not zero: without a priced call the header names no cost."""
    assert "cost=" not in show_text(build_tree(_failing_run(), RUN), Style(False))
