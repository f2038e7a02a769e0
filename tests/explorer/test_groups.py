"""stats --by: figures per group of runs, on a log whose every figure is worked out by hand."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentlog._explorer.facts import facts_of_lines
from agentlog._explorer.groups import FIGURES, group_runs, groups_text, stats_by, value_text
from agentlog._explorer.text import Style
from agentlog._formats.datadog import to_datadog
from agentlog._formats.ecs import to_ecs
from agentlog.cli import main
from tests.explorer.known_runs import finished, known_lines, llm, run_id, run_lines, started, tool

HOSTILE = "\x1b[2J\x1b[31mred\x07\u202eevil"

ALL = {
    "runs": 40,
    "completed": 35,
    "completion_rate": 0.875,
    "failed": 4,
    "unfinished": 1,
    "errors": 4,
    "tool_calls": 84,
    "tool_errors": 4,
    "tool_error_rate": 4 / 84,
    "llm_calls": 48,
    "llm_errors": 0,
    "input_tokens": 4400,
    "output_tokens": 440,
    "cost_usd": 4.0,
    "cost_per_run": 0.1,
    "priced_llm_calls": 40,
    "unpriced_llm_calls": 8,
    "repeated_call_runs": 10,
    "repeated_call_rate": 0.25,
    "latency_p50_ms": 2000.0,  # 39 finished runs (not 37): index round(0.5 * 38) = 19
    "latency_p95_ms": 3700.0,  # index round(36.1) = 36
    "latency_p99_ms": 4000.0,  # index round(37.62) = 38
}
"""The figures of all 40 runs of `known_runs`."""


def _rows(by: list[str], lines: list[dict[str, Any]] | None = None) -> dict[tuple[Any, ...], dict[str, Any]]:
    document = stats_by(facts_of_lines(known_lines() if lines is None else lines), by)
    return {tuple(group["key"].values()): group for group in document["groups"]}


def _write(path: Path, lines: list[dict[str, Any]]) -> str:
    path.write_bytes(b"".join(orjson.dumps(each) + b"\n" for each in lines))
    return str(path)


def test_all_runs_figures_are_known_exactly() -> None:
    """Completion (an unfinished run in the denominator), tool error rate, cost, percentiles, repeats."""
    document = stats_by(facts_of_lines(known_lines()), ["user"])
    assert document["all"] == ALL
    assert list(document["all"]) == list(FIGURES)


def test_by_user() -> None:
    """u-1 has the even runs (all completed, every repeat), u-2 the odd (4 failed, 1 unfinished)."""
    rows = _rows(["user"])
    assert list(rows) == [("u-1",), ("u-2",)]
    assert rows["u-1",] == {
        "key": {"user": "u-1"},
        "runs": 20,
        "completed": 20,
        "completion_rate": 1.0,
        "failed": 0,
        "unfinished": 0,
        "errors": 0,
        "tool_calls": 40,
        "tool_errors": 0,
        "tool_error_rate": 0.0,
        "llm_calls": 24,
        "llm_errors": 0,
        "input_tokens": 2200,
        "output_tokens": 220,
        "cost_usd": 2.0,
        "cost_per_run": 0.1,
        "priced_llm_calls": 20,
        "unpriced_llm_calls": 4,
        "repeated_call_runs": 10,
        "repeated_call_rate": 0.5,
        "latency_p50_ms": 2100.0,  # 100, 300 … 3900: index round(9.5) = 10
        "latency_p95_ms": 3700.0,  # index round(18.05) = 18
        "latency_p99_ms": 3900.0,  # index round(18.81) = 19
    }
    u2 = rows["u-2",]
    assert (u2["runs"], u2["completed"], u2["completion_rate"], u2["failed"], u2["unfinished"]) == (
        20,
        15,
        0.75,
        4,
        1,
    )
    assert (u2["tool_calls"], u2["tool_errors"], u2["tool_error_rate"]) == (44, 4, 4 / 44)
    assert (u2["cost_usd"], u2["repeated_call_rate"]) == (2.0, 0.0)
    # 200, 400 … 3600, 4000 (3800 is the unfinished run's): indexes 9, round(17.1) = 17, round(17.82) = 18
    assert (u2["latency_p50_ms"], u2["latency_p95_ms"], u2["latency_p99_ms"]) == (2000.0, 3600.0, 4000.0)


def test_by_a_metadata_key() -> None:
    """prompt_version v1 (runs 0-19) and v2 (20-39): completion, failures, latency of each."""
    rows = _rows(["prompt_version"])
    v1, v2 = rows["v1",], rows["v2",]
    assert (v1["runs"], v1["completed"], v1["completion_rate"], v1["unfinished"]) == (20, 18, 0.9, 0)
    assert (v2["runs"], v2["completed"], v2["completion_rate"], v2["unfinished"]) == (20, 17, 0.85, 1)
    assert (v1["tool_calls"], v1["tool_errors"], v1["repeated_call_runs"]) == (42, 2, 5)
    assert (v1["latency_p50_ms"], v1["latency_p95_ms"], v1["latency_p99_ms"]) == (1100.0, 1900.0, 2000.0)
    assert (v2["latency_p50_ms"], v2["latency_p95_ms"], v2["latency_p99_ms"]) == (3000.0, 3900.0, 4000.0)


def test_by_several_keys_the_groups_are_the_combinations() -> None:
    """By user and prompt_version: four groups of ten runs, in key order."""
    rows = _rows(["user", "prompt_version"])
    assert list(rows) == [("u-1", "v1"), ("u-1", "v2"), ("u-2", "v1"), ("u-2", "v2")]
    assert [row["runs"] for row in rows.values()] == [10, 10, 10, 10]
    late = rows["u-2", "v2"]
    assert late["key"] == {"user": "u-2", "prompt_version": "v2"}
    assert (late["completed"], late["failed"], late["unfinished"], late["completion_rate"]) == (7, 2, 1, 0.7)
    # 2200, 2400 … 3600, 4000: indexes 4, round(7.6) = 8, round(7.92) = 8
    assert (late["latency_p50_ms"], late["latency_p95_ms"], late["latency_p99_ms"]) == (
        3000.0,
        4000.0,
        4000.0,
    )


def test_by_model_counts_that_models_calls_and_the_runs_that_called_it() -> None:
    """m-b (runs 0, 5 … 35): its 8 calls, unpriced, so no cost; its runs' completion and latency."""
    rows = _rows(["model"])
    assert list(rows) == [("m-a",), ("m-b",)]
    priced, unpriced = rows["m-a",], rows["m-b",]
    assert (priced["runs"], priced["llm_calls"], priced["input_tokens"], priced["output_tokens"]) == (
        40,
        40,
        4000,
        400,
    )
    assert (priced["cost_usd"], priced["cost_per_run"], priced["unpriced_llm_calls"]) == (4.0, 0.1, 0)
    assert (unpriced["runs"], unpriced["completed"], unpriced["llm_calls"], unpriced["input_tokens"]) == (
        8,
        8,
        8,
        400,
    )
    assert (unpriced["cost_usd"], unpriced["cost_per_run"], unpriced["priced_llm_calls"]) == (None, None, 0)
    assert unpriced["unpriced_llm_calls"] == 8
    assert (unpriced["tool_calls"], unpriced["repeated_call_runs"]) == (
        16,
        2,
    )  # all their tool calls; 0 and 20
    # 100, 600 … 3600: indexes round(3.5) = 4, round(6.65) = 7, 7
    assert (unpriced["latency_p50_ms"], unpriced["latency_p95_ms"], unpriced["latency_p99_ms"]) == (
        2100.0,
        3600.0,
        3600.0,
    )


def test_by_tool_counts_that_tools_calls_and_all_the_llm_calls_of_its_runs() -> None:
    """fetch: 4 runs, 4 calls all failed; the cost is its runs' (0.4 USD)."""
    rows = _rows(["tool"])
    assert list(rows) == [("fetch",), ("search",)]
    fetch, search = rows["fetch",], rows["search",]
    assert (fetch["runs"], fetch["completed"], fetch["failed"], fetch["completion_rate"]) == (4, 0, 4, 0.0)
    assert (fetch["tool_calls"], fetch["tool_errors"], fetch["tool_error_rate"]) == (4, 4, 1.0)
    assert (fetch["llm_calls"], fetch["cost_usd"], fetch["cost_per_run"]) == (4, 0.4, 0.1)
    assert (fetch["latency_p50_ms"], fetch["latency_p95_ms"], fetch["latency_p99_ms"]) == (
        3000.0,
        4000.0,
        4000.0,
    )
    assert (search["runs"], search["tool_calls"], search["tool_errors"], search["tool_error_rate"]) == (
        40,
        80,
        0,
        0.0,
    )


def test_by_tool_and_model_both_restrict_their_calls() -> None:
    """(search, m-b): search's 16 calls and m-b's 8 calls of the 8 runs that called both."""
    rows = _rows(["tool", "model"])
    assert list(rows) == [("fetch", "m-a"), ("search", "m-a"), ("search", "m-b")]
    both = rows["search", "m-b"]
    assert (both["runs"], both["tool_calls"], both["llm_calls"], both["cost_usd"]) == (8, 16, 8, None)


def test_a_run_without_the_key_falls_in_the_group_none_listed_last() -> None:
    """A run with no prompt_version (and one with null) is in the group None, after v1 and v2."""
    extra = [
        {key: value for key, value in started(40).items() if key != "prompt_version"},
        finished(40),
        started(41, prompt_version=None),
        finished(41),
    ]
    rows = _rows(["prompt_version"], known_lines() + extra)
    assert list(rows) == [("v1",), ("v2",), (None,)]
    assert rows[None,]["runs"] == 2
    assert rows[None,]["cost_usd"] is None  # no priced call


def test_a_run_that_called_no_model_is_in_no_model_group() -> None:
    """By model, a run without LLM calls is left out of the groups (but counted in all runs)."""
    document = stats_by(facts_of_lines([started(0), finished(0)]), ["model"])
    assert document["groups"] == []
    assert document["all"]["runs"] == 1


def test_spoofed_lines_add_nothing_to_any_group() -> None:
    """Free-form lines named like typed events (another user, a huge cost, failures) change no figure."""
    spoofs = [
        {**started(3, user_id="mallory"), "free_form": True},
        {**llm(3, "m-a", (10**6, 10**6), 1000.0), "free_form": True},
        {**tool(3, "search", "h", "c", status="error")[1], "free_form": True},
        {**finished(3, status="error", stop_reason="error"), "free_form": True},
    ]
    assert _rows(["user"], known_lines() + spoofs) == _rows(["user"])


def test_no_runs_no_groups() -> None:
    """An empty selection has no groups and no figures for all runs."""
    assert stats_by([], ["user"]) == {"by": ["user"], "groups": [], "all": None}


_RUN = st.fixed_dictionaries(
    {
        "user": st.sampled_from(["a", "b", "c", None]),
        "tools": st.lists(st.tuples(st.sampled_from(["x", "y"]), st.booleans()), max_size=4),
        "calls": st.lists(
            st.tuples(st.sampled_from(["m1", "m2"]), st.sampled_from([None, 0.1, 0.2, 0.3, 1e-6])), max_size=3
        ),
        "finished": st.booleans(),
        "completed": st.booleans(),
        "latency": st.integers(min_value=0, max_value=10_000),
    }
)


def _generated(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines = []
    for index, run in enumerate(runs):
        lines.append(started(index, user_id=run["user"]))
        for number, (name, failed) in enumerate(run["tools"]):
            lines += tool(index, name, f"h{number}", f"c{number}", status="error" if failed else "ok")
        for number, (model, cost) in enumerate(run["calls"]):
            lines.append({**llm(index, model, (10, 1), cost), "span_id": f"s{index}-{number}"})
        if run["finished"]:
            lines.append(
                finished(
                    index,
                    stop_reason="completed" if run["completed"] else "max_steps",
                    total_latency_ms=run["latency"],
                )
            )
    return lines


@settings(max_examples=60, deadline=None)
@given(st.lists(_RUN, max_size=12))
def test_groups_of_a_partition_add_up_to_all_runs(runs: list[dict[str, Any]]) -> None:
    """By user every run is in one group: runs, calls, tokens and exact costs of the groups add up."""
    facts = facts_of_lines(_generated(runs))
    document = stats_by(facts, ["user"])
    if not runs:
        assert document["all"] is None
        return
    for name in ("runs", "completed", "failed", "unfinished", "tool_calls", "tool_errors", "llm_calls"):
        assert sum(group[name] for group in document["groups"]) == document["all"][name], name
    costs = [
        sum((member.run.cost_usd for member in group.members), Decimal(0))
        for group in group_runs(facts, ["user"])
    ]
    assert sum(costs, Decimal(0)) == sum((run.cost_usd for run in facts), Decimal(0))


@settings(max_examples=60, deadline=None)
@given(st.lists(_RUN, max_size=12))
def test_by_model_and_by_tool_each_call_is_counted_once(runs: list[dict[str, Any]]) -> None:
    """A run is in several model (tool) groups, but each call in one: the call figures add up."""
    facts = facts_of_lines(_generated(runs))
    if not facts:
        return
    total = stats_by(facts, [])["all"]
    by_model = stats_by(facts, ["model"])["groups"]
    by_tool = stats_by(facts, ["tool"])["groups"]
    assert sum(group["llm_calls"] for group in by_model) == total["llm_calls"]
    assert sum(group["unpriced_llm_calls"] for group in by_model) == total["unpriced_llm_calls"]
    assert sum(group["tool_calls"] for group in by_tool) == total["tool_calls"]
    assert sum(group["tool_errors"] for group in by_tool) == total["tool_errors"]


def test_the_table_shows_hostile_group_names_inert() -> None:
    """A user ID with terminal escapes and a bidi override is printed escaped, and the row still lines up."""
    lines = run_lines(0)
    lines[0] = started(0, user_id=HOSTILE, prompt_version="v\u202e1")
    text = groups_text(stats_by(facts_of_lines(lines), ["user", "prompt_version"]), Style(False))
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "\\x1b[2J\\x1b[31mred\\x07\\u202eevil" in text
    assert "v\\u202e1" in text
    header, row, total = text.splitlines()
    assert len(header) == len(row) == len(total)


def test_the_table_has_a_row_per_group_and_one_for_all_runs() -> None:
    """By user: two rows, then all runs; unknown cost shown as -, percentages and latencies."""
    text = groups_text(stats_by(facts_of_lines(known_lines()), ["user"]), Style(False))
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["user", "runs", "completed"]
    assert lines[1].split()[:3] == ["u-1", "20", "100.00%"]
    assert lines[3].startswith("(all runs)")
    assert "87.50%" in lines[3] and "$4.00" in lines[3] and "2.000 s" in lines[3]


def test_cli_stats_by_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`agentlog stats FILE --by user prompt_version --json` prints `stats_by`'s document."""
    name = _write(tmp_path / "a.jsonl", known_lines())
    assert main(["stats", name, "--by", "user", "prompt_version", "--json"]) == 0
    document = orjson.loads(capsys.readouterr().out)
    assert document == stats_by(facts_of_lines(known_lines()), ["user", "prompt_version"])
    assert document["by"] == ["user", "prompt_version"]


@pytest.mark.parametrize("profile", ["ecs", "datadog"])
def test_cli_stats_by_reads_ecs_and_datadog(
    profile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same log in another profile gives the same groups and figures."""
    convert = to_ecs if profile == "ecs" else to_datadog
    name = _write(tmp_path / f"a.{profile}.jsonl", [convert(dict(each)) for each in known_lines()])
    assert main(["stats", name, "--by", "user", "--json"]) == 0
    assert orjson.loads(capsys.readouterr().out) == stats_by(facts_of_lines(known_lines()), ["user"])


def test_cli_stats_by_takes_the_run_filters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--since, --until and --user choose the runs grouped (runs 30 to 34 of u-1: 30, 32, 34)."""
    name = _write(tmp_path / "a.jsonl", known_lines())
    window = ["--since", "2026-11-22T03:30:00Z", "--until", "2026-11-22T03:35:00Z"]
    assert main(["stats", name, "--by", "prompt_version", *window, "--user", "u-1", "--json"]) == 0
    document = orjson.loads(capsys.readouterr().out)
    assert [(group["key"], group["runs"]) for group in document["groups"]] == [({"prompt_version": "v2"}, 3)]


def test_cli_stats_by_text_is_inert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Printed to a terminal, a hostile group name is escaped."""
    lines = run_lines(0)
    lines[0] = started(0, user_id=HOSTILE)
    name = _write(tmp_path / "a.jsonl", lines)
    assert main(["stats", name, "--by", "user", "--color", "always"]) == 0
    out = capsys.readouterr().out
    assert "\\x1b[2J" in out and "\x1b[2J" not in out and "\u202e" not in out


def test_cli_stats_by_json_is_inert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """In JSON a bidi override in a group name is written as an escape, and reads back as it was."""
    lines = run_lines(0)
    lines[0] = started(0, user_id=HOSTILE)
    name = _write(tmp_path / "a.jsonl", lines)
    assert main(["stats", name, "--by", "user", "--json"]) == 0
    out = capsys.readouterr().out
    assert "\u202e" not in out and "\x1b" not in out
    assert orjson.loads(out)["groups"][0]["key"] == {"user": HOSTILE}


def test_cli_stats_without_by_refuses_run_filters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Run filters choose runs for --by; plain stats says so and exits 2 rather than ignoring them."""
    name = _write(tmp_path / "a.jsonl", known_lines())
    assert main(["stats", name, "--since", "2h"]) == 2
    assert "stats --by" in capsys.readouterr().err


def test_cli_stats_without_by_is_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --by, stats prints its per tool and per model figures as before."""
    name = _write(tmp_path / "a.jsonl", known_lines())
    assert main(["stats", name, "--json"]) == 0
    document = orjson.loads(capsys.readouterr().out)
    assert set(document) == {"tools", "models", "stop_reasons", "slowest_tool_calls", "repeated_tool_calls"}


def test_cli_stats_by_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing input is an error, not an empty table."""
    assert main(["stats", str(tmp_path / "nope.jsonl"), "--by", "user"]) == 2
    assert "nope.jsonl" in capsys.readouterr().err


# -- child runs, keys no run has, how values read ---------------------------------------------------


def _child(index: int, parent: int) -> list[dict[str, Any]]:
    """Run *index*: a child run of run *parent* without prompt_version, one call of 0.25 USD, completed."""
    start = started(index, parent_run_id=run_id(parent))
    del start["prompt_version"]
    return [
        start,
        llm(index, "m-a", (10, 1), 0.25),
        finished(index, llm_calls=1, input_tokens=10, output_tokens=1),
    ]


def _with_children() -> list[dict[str, Any]]:
    """`known_runs` and two child runs: 40 (u-1) of run 0 (v1), 41 (u-2) of run 25 (v2)."""
    return [*known_lines(), *_child(40, 0), *_child(41, 25)]


def test_by_a_metadata_key_a_child_run_is_in_its_parents_group() -> None:
    """Each version gains its child run and its cost: 21 runs, 2.0 + 0.25 USD; the group None stays empty."""
    rows = _rows(["prompt_version"], _with_children())
    assert set(rows) == {("v1",), ("v2",)}
    v1, v2 = rows[("v1",)], rows[("v2",)]
    assert (v1["runs"], v1["completed"], v1["cost_usd"], v1["priced_llm_calls"]) == (21, 19, 2.25, 21)
    assert v1["cost_per_run"] == float(Decimal("2.25") / 21)
    assert (v2["runs"], v2["completed"], v2["unfinished"], v2["cost_usd"]) == (21, 18, 1, 2.25)


def test_by_user_a_child_run_without_one_is_in_the_group_none() -> None:
    """A child run without a user (41, of u-1's run 0) is in the group None: a run field is not inherited."""
    lines = [*known_lines(), *_child(41, 0)]
    lines[-3]["user_id"] = None
    rows = _rows(["user"], lines)
    assert rows[(None,)]["runs"] == 1
    assert (rows[("u-1",)]["runs"], rows[("u-2",)]["runs"]) == (20, 20)


def test_cli_meta_filter_keeps_the_child_runs_of_that_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--meta prompt_version=v1 keeps v1's 20 runs and child run 40 (u-1): 11 runs of u-1, 10 of u-2."""
    name = _write(tmp_path / "a.jsonl", _with_children())
    assert main(["stats", name, "--by", "user", "--meta", "prompt_version=v1", "--json"]) == 0
    document = orjson.loads(capsys.readouterr().out)
    assert [(group["key"], group["runs"]) for group in document["groups"]] == [
        ({"user": "u-1"}, 11),
        ({"user": "u-2"}, 10),
    ]


def test_cli_says_which_key_no_run_has(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A typo of a key: the table (every run in the group None), exit 0, a warning naming the close key."""
    name = _write(tmp_path / "a.jsonl", known_lines())
    assert main(["stats", name, "--by", "promt_version", "user"]) == 0
    captured = capsys.readouterr()
    assert captured.err == (
        "agentlog: no run has promt_version; every run is in its null group (did you mean prompt_version?)\n"
    )
    assert captured.out.splitlines()[1].split()[:3] == ["(none)", "u-1", "20"]


def test_cli_says_when_no_run_called_a_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """By model, with no llm_result at all: no group, said so."""
    name = _write(tmp_path / "a.jsonl", [started(0), finished(0)])
    assert main(["stats", name, "--by", "model", "--json"]) == 0
    captured = capsys.readouterr()
    assert orjson.loads(captured.out)["groups"] == []
    assert captured.err == "agentlog: no run called a model: there is no model group\n"


def test_cli_the_key_no_run_has_is_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The key is what the user typed, but printed escaped all the same."""
    name = _write(tmp_path / "a.jsonl", known_lines())
    assert main(["stats", name, "--by", "\x1b[2Jk", "--json"]) == 0
    assert capsys.readouterr().err == "agentlog: no run has \\x1b[2Jk; every run is in its null group\n"


def test_a_key_some_run_has_is_not_warned_of(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One run with the key is enough: no warning."""
    lines = known_lines()
    lines[0]["policy_version"] = "p1"
    name = _write(tmp_path / "a.jsonl", lines)
    assert main(["stats", name, "--by", "policy_version", "--json"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "(none)"),
        ("v7", "v7"),
        ("-", "-"),
        ("", '""'),
        ("(none)", '"(none)"'),
        ("(all runs)", '"(all runs)"'),
        (" v7", '" v7"'),
        ("v7 ", '"v7 "'),
        ('"v7"', '"\\"v7\\""'),
        ("a\x1bb", "a\\x1bb"),
    ],
)
def test_a_value_reads_apart_from_the_group_none_and_from_other_values(value: str | None, shown: str) -> None:
    """The group None is (none); a value that could be read as another is quoted; escapes stay escaped."""
    assert value_text(value) == shown


def test_values_cut_short_keep_a_digest_of_the_whole_value() -> None:
    """Two values alike in their first 40 characters are cut to 40 and still differ: …# and a digest."""
    first, second = "x" * 45 + "-v7", "x" * 45 + "-v8"
    shown = value_text(first, 40), value_text(second, 40)
    assert shown[0] != shown[1]
    assert [len(text) for text in shown] == [40, 40]
    assert shown[0].startswith("x" * 32 + "…#")
    assert value_text(first, 40) == shown[0]  # the same value always reads the same
    assert value_text("x" * 40, 40) == "x" * 40


def test_the_table_tells_the_group_none_from_a_dash_and_an_empty_value() -> None:
    """Runs with prompt_version "-", "" and none: three rows, -, "" and (none) last."""
    lines = [*run_lines(0), *run_lines(1), *run_lines(2)]
    lines[0]["prompt_version"] = "-"
    lines[len(run_lines(0))]["prompt_version"] = ""
    del lines[len(run_lines(0)) + len(run_lines(1))]["prompt_version"]
    text = groups_text(stats_by(facts_of_lines(lines), ["prompt_version"]), Style(False))
    assert [line.split()[0] for line in text.splitlines()[1:4]] == ['""', "-", "(none)"]


def test_cli_files_after_by_get_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`stats --by user FILE` reads FILE as a key: the error says to put the files first, or end with --."""
    name = _write(tmp_path / "a.jsonl", known_lines())
    with pytest.raises(SystemExit) as exit_:
        main(["stats", "--by", "user", name])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.endswith(
        f"agentlog: --by took {name!r} as a key or value; --by takes several values:"
        " put the files before it (agentlog stats FILE... --by KEY...), or end its values with --\n"
    )
    assert main(["stats", "--json", "--by", "user", "--", name]) == 0
    assert len(orjson.loads(capsys.readouterr().out)["groups"]) == 2


def test_cli_no_file_without_by_gets_no_hint(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --by, a missing FILE is argparse's error alone."""
    with pytest.raises(SystemExit):
        main(["stats"])
    err = capsys.readouterr().err
    assert "required: FILE" in err and "--by takes" not in err
