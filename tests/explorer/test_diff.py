"""``agentlog diff``: two runs side by side, spans aligned, the first divergence marked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

import agentlog
from agentlog import events
from agentlog._explorer import diff as diff_module
from agentlog._explorer.diff import SpanView, diff_runs, find_run, spans_of
from agentlog._explorer.reader import Counts
from agentlog._explorer.text import Style
from agentlog._explorer.tree import build_tree
from agentlog._explorer.views import diff_text
from agentlog.cli import main


def _agent(
    order: str = "A-1",
    fail: bool = False,
    extra_search: bool = False,
    tool: str = "lookup_order",
    tokens: int = 100,
) -> str:
    """One run as the demo agent does it: plan (LLM), a tool step, maybe a search, a model step."""
    log = agentlog.get_logger("agent")
    with agentlog.run(task=order, user_id="u") as run:
        with agentlog.step("plan"), agentlog.llm_call("sim-1", provider="offline") as llm:
            llm.set_usage(tokens, 10, "stop")
        try:
            with agentlog.step("tool", tool=tool), agentlog.tool_call(tool, {"order": order}):
                log.info("calling the orders API")
                if fail:
                    raise TimeoutError("orders API did not answer")
        except TimeoutError:
            events.decision("fallback", "next_tool", reason="lookup failed")
        if extra_search:
            with agentlog.step("tool", tool="search_notes"), agentlog.tool_call("search_notes", {"q": order}):
                pass
        with agentlog.step("model"), agentlog.llm_call("sim-1", provider="offline") as llm:
            llm.set_usage(tokens + 1, 20, "stop")
    return str(run.run_id)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "agent.jsonl"
    agentlog.configure(output=path)
    return path


def _tree(path: Path, run_id: str) -> Any:
    found = find_run([str(path)], run_id, Counts())
    assert found.tree is not None
    return found.tree


def _keys(rows: list[Any]) -> list[tuple[str | None, str | None]]:
    return [(row.a.kind if row.a else None, row.b.kind if row.b else None) for row in rows]


def test_spans_are_steps_calls_and_decisions_in_time_order(log: Path) -> None:
    """Log lines are left out; tool calls and LLM calls sit one level under their steps."""
    run_id = _agent(fail=True)
    spans = spans_of(_tree(log, run_id))
    assert [(span.depth, span.kind, span.name) for span in spans] == [
        (0, "step", "plan"),
        (1, "llm", "sim-1 (offline)"),
        (0, "step", "tool lookup_order"),
        (1, "tool", "lookup_order"),
        (0, "decision", "fallback"),
        (0, "step", "model"),
        (1, "llm", "sim-1 (offline)"),
    ]
    tool = spans[3]
    assert tool.status == "error" and tool.error_class == "TimeoutError"
    assert tool.args_hash is not None and tool.args_hash.startswith("sha256:")


def test_two_runs_that_did_the_same_things_do_not_diverge(log: Path) -> None:
    """Same spans, arguments and outcomes: every row '=', no divergence, whatever latency and tokens did."""
    a, b = _agent(tokens=100), _agent(tokens=900)
    result = diff_runs(_tree(log, a), _tree(log, b))
    assert all(not row.differences for row in result.rows)
    assert result.first_divergence is None
    assert "Same steps and calls" in diff_text(result, Style(False))


def test_the_first_divergence_is_the_failing_call_not_its_step(log: Path) -> None:
    """The failed tool call (other arguments, an error) is marked; its step (outcome only) yields to it."""
    good, bad = _agent("A-1"), _agent("A-2", fail=True)
    result = diff_runs(_tree(log, good), _tree(log, bad))
    first = result.rows[result.first_divergence or 0]
    assert first.a is not None and first.a.kind == "tool"
    assert first.differences == ["status", "args_hash", "error_class"]
    step = result.rows[(result.first_divergence or 0) - 1]
    assert step.a is not None and step.a.kind == "step" and step.differences == ["status", "error_class"]


def test_a_span_one_run_has_more_stands_alone(log: Path) -> None:
    """An extra step and call in B pair with nothing, and the later model step still lines up."""
    a, b = _agent("A-1"), _agent("A-1", extra_search=True)
    result = diff_runs(_tree(log, a), _tree(log, b))
    assert _keys(result.rows) == [
        ("step", "step"),
        ("llm", "llm"),
        ("step", "step"),
        ("tool", "tool"),
        (None, "step"),
        (None, "tool"),
        ("step", "step"),
        ("llm", "llm"),
    ]
    assert result.rows[4].differences == ["only in B"] and result.rows[4].first_divergence
    assert result.rows[6].differences == []


def test_different_calls_at_the_same_place_pair_up_as_different(log: Path) -> None:
    """Where A called one tool and B another, the two pair by position and differ in 'span'."""
    a, b = _agent(tool="lookup_order"), _agent(tool="lookup_invoice")
    result = diff_runs(_tree(log, a), _tree(log, b))
    first = result.rows[result.first_divergence or 0]
    assert first.a is not None and first.b is not None
    assert (first.a.name, first.b.name) == ("tool lookup_order", "tool lookup_invoice")
    assert "span" in first.differences
    text = diff_text(result, Style(False))
    assert "A has step 2 tool lookup_order where B has step 2 tool lookup_invoice" in text


def test_long_runs_beyond_the_cap_pair_up_by_position(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_ALIGNED spans in the differing middle, no quadratic alignment: rows pair by position."""
    monkeypatch.setattr(diff_module, "MAX_ALIGNED", 3)
    left = [SpanView("tool", name, 0) for name in "xabcdy"]
    right = [SpanView("tool", name, 0) for name in "xbcdey"]
    pairs = list(diff_module._pairs(left, right))
    assert [(a.name if a else None, b.name if b else None) for a, b in pairs] == [
        ("x", "x"),
        ("a", "b"),
        ("b", "c"),
        ("c", "d"),
        ("d", "e"),
        ("y", "y"),
    ]
    monkeypatch.setattr(diff_module, "MAX_ALIGNED", 100)
    pairs = list(diff_module._pairs(left, right))
    assert [(a.name if a else None, b.name if b else None) for a, b in pairs][1:3] == [
        ("a", None),
        ("b", "b"),
    ]


def test_an_unfinished_run_can_be_compared(log: Path) -> None:
    """A run with no run_finished line (its last lines lost) is compared as far as its lines go."""
    good = _agent("A-1")
    lines = log.read_bytes().splitlines()
    cut = _agent("A-2")
    kept = [
        line for line in log.read_bytes().splitlines() if b"run_finished" not in line or good.encode() in line
    ]
    log.write_bytes(b"\n".join(kept) + b"\n")
    result = diff_runs(_tree(log, good), _tree(log, cut))
    assert result.b is not None and result.b.unfinished
    assert len(lines) > 0 and len(result.rows) == 6


# -- the command -------------------------------------------------------------------------------------


def test_diff_prints_both_runs_and_marks_the_first_divergence(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Text: both runs' summaries, one row per aligned pair, the divergence named in words."""
    good, bad = _agent("A-1"), _agent("A-2", fail=True)
    assert main(["diff", good[:8], bad[:8], str(log), "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(f"A  run {good}")
    assert out.splitlines()[1].startswith(f"B  run {bad}")
    marked = [line for line in out.splitlines() if "◀ first divergence" in line]
    assert len(marked) == 1 and "tool lookup_order" in marked[0] and "ERROR" in marked[0]
    assert "First divergence: row 4: tool lookup_order: status ok → error" in out


def test_diff_json_for_scripts(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json: both summaries, how rows were aligned, each row with a, b, same, differences."""
    good, bad = _agent("A-1"), _agent("A-2", fail=True)
    assert main(["diff", good, bad, str(log), "--json"]) == 0
    document = orjson.loads(capsys.readouterr().out)
    assert (document["a"]["run_id"], document["b"]["run_id"]) == (good, bad)
    assert "aligned as diff aligns lines" in document["alignment"]
    first = document["rows"][document["first_divergence"]]
    assert first["a"]["kind"] == "tool" and first["b"]["status"] == "error" and not first["same"]


def test_diff_resolves_prefixes_and_refuses_what_it_cannot(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No match: exit 1; a non-hex or short prefix: exit 2; the file given first: a hint."""
    good = _agent("A-1")
    assert main(["diff", good[:8], "ffffffff", str(log)]) == 1
    assert "no run matches 'ffffffff'" in capsys.readouterr().err
    assert main(["diff", "ab", good[:8], str(log)]) == 2
    assert "not a run_id" in capsys.readouterr().err
    assert main(["diff", str(log), good[:8], good[:8]]) == 2
    assert "agentlog diff RUN_A RUN_B FILE..." in capsys.readouterr().err


def test_an_ambiguous_prefix_lists_the_runs_it_matches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two runs sharing a prefix: exit 2 and both IDs listed."""
    path = tmp_path / "a.jsonl"
    agentlog.configure(output=path)
    for run_id in ("abcd0000-0000-4000-8000-000000000001", "abcd0000-0000-4000-8000-000000000002"):
        with agentlog.run(run_id=run_id):
            pass
    assert main(["diff", "abcd0000", "abcd0000-0000-4000-8000-000000000001", str(path)]) == 2
    err = capsys.readouterr().err
    assert "matches 2 runs" in err and "000000000002" in err


def test_hostile_names_in_a_diff_are_printed_inert(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A tool named with escapes and bidi marks is escaped in the text, and in the JSON text too."""
    a, b = _agent(tool="t\x1b[2J\u202e"), _agent(tool="t\x1b[2J\u202e", fail=True)
    assert main(["diff", a, b, str(log), "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "\\x1b[2J" in out
    assert main(["diff", a, b, str(log), "--json"]) == 0
    out = capsys.readouterr().out
    assert "\u202e" not in out and orjson.loads(out)["rows"][2]["a"]["name"] == "tool t\x1b[2J\u202e"


def test_build_tree_of_a_prefix_search_keeps_only_the_chosen_run(log: Path) -> None:
    """find_run builds the tree of the run asked for, not of another run sharing the file."""
    a, b = _agent("A-1"), _agent("A-2")
    found = find_run([str(log)], a, Counts())
    assert found.tree is not None and found.tree.root.run_id == a
    assert build_tree(found.tree.lines, a).root.run_id == a != b
