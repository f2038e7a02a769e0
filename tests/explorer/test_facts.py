"""One RunFacts per run, read from a log: run figures, calls per tool and model, own and total cost."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentlog._explorer.facts import (
    CallFacts,
    FactsBuilder,
    RunFacts,
    facts_of_files,
    facts_of_lines,
    select_facts,
)
from agentlog._explorer.filters import RunFilter
from agentlog._explorer.reader import Counts
from agentlog._explorer.times import epoch
from agentlog._explorer.values import cost_of
from agentlog._formats.datadog import to_datadog
from agentlog._formats.ecs import to_ecs
from tests.explorer.known_runs import (
    finished,
    known_lines,
    line,
    llm,
    run_id,
    run_lines,
    stamp,
    started,
    tool,
)


def _write(path: Path, lines: list[dict[str, Any]]) -> str:
    path.write_bytes(b"".join(orjson.dumps(each) + b"\n" for each in lines))
    return str(path)


def _by_id(runs: list[RunFacts]) -> dict[str, RunFacts]:
    return {run.run_id: run for run in runs}


def test_a_finished_run_has_its_run_figures_and_its_calls_per_tool_and_model() -> None:
    """Run 0: completed in 100 ms; search twice (a repeat), m-a priced, m-b not."""
    [run] = facts_of_lines(run_lines(0))
    assert (run.user_id, run.session_id, run.service, run.metadata["prompt_version"]) == (
        "u-1",
        "s-0",
        "agent",
        "v1",
    )
    assert (run.status, run.stop_reason, run.completed, run.unfinished, run.duration_ms) == (
        "ok",
        "completed",
        True,
        False,
        100.0,
    )
    assert (run.tool_calls, run.llm_calls, run.input_tokens, run.output_tokens) == (2, 2, 150, 15)
    assert run.tools == {"search": CallFacts(calls=2)}
    assert run.models == {
        "m-a": CallFacts(calls=1, input_tokens=100, output_tokens=10, cost_usd=Decimal("0.1"), priced=1),
        "m-b": CallFacts(calls=1, input_tokens=50, output_tokens=5, unpriced=1),
    }
    assert (run.cost_usd, run.priced_calls, run.unpriced_llm_calls, run.repeated_calls) == (
        Decimal("0.1"),
        1,
        1,
        1,
    )
    assert run.total_cost_usd == Decimal("0.1")


def test_a_failed_run_counts_the_failed_tool_call_per_tool() -> None:
    """Run 9 stops tool_error with status error: fetch has one call and one error."""
    [run] = facts_of_lines(run_lines(9))
    assert (run.status, run.failed, run.completed, run.errors) == ("error", True, False, 1)
    assert run.tools["fetch"] == CallFacts(calls=1, errors=1)
    assert run.tool_errors == 1


def test_an_unfinished_run_has_the_counts_its_lines_prove_and_no_latency() -> None:
    """Run 37 has no run_finished: unfinished, no duration, its calls counted from its lines."""
    [run] = facts_of_lines(run_lines(37))
    assert run.unfinished and run.status is None and run.duration_ms is None and not run.completed
    assert (run.tool_calls, run.llm_calls, run.input_tokens) == (2, 1, 100)
    assert run.cost_usd == Decimal("0.1")


def test_costs_add_up_as_decimals_without_float_drift() -> None:
    """Forty calls of 0.1 USD are 4.0 USD exactly (as floats they would not be)."""
    runs = facts_of_lines(known_lines())
    assert sum(0.1 for _ in runs) != 4.0
    assert sum((run.cost_usd for run in runs), Decimal(0)) == Decimal("4.0")


def test_cost_of_takes_only_finite_non_negative_numbers() -> None:
    """A float is its shortest repr; ints are exact; bools, text, negatives and no value are no cost."""
    assert cost_of(0.1) == Decimal("0.1")
    assert cost_of(1e-12) == Decimal("1E-12")
    assert cost_of(3) == Decimal(3)
    assert cost_of(0) == Decimal(0)
    for not_a_cost in (True, "0.1", -0.5, -1, None, float("inf"), float("nan"), [1]):
        assert cost_of(not_a_cost) is None, not_a_cost


def test_a_call_without_tokens_or_cost_is_neither_priced_nor_unpriced() -> None:
    """A failed call that reported no tokens is not an unpriced call: nothing was there to price."""
    lines = [
        started(0),
        {**llm(0, "m", (0, 0)), "input_tokens": None, "output_tokens": None, "status": "error"},
    ]
    [run] = facts_of_lines(lines)
    assert run.models["m"] == CallFacts(calls=1, errors=1)


def test_free_form_lines_named_like_typed_events_count_toward_nothing() -> None:
    """Log messages named run_started, llm_result, tool_result or run_finished (free_form) change nothing."""
    spoofs = [
        {**started(0, user_id="mallory", prompt_version="evil"), "free_form": True},
        {**llm(0, "m-a", (10_000, 10_000), 100.0), "free_form": True},
        {**tool(0, "fetch", "h-x", "c-x", status="error")[1], "free_form": True},
        {**finished(0, status="error", stop_reason="error", errors=9), "free_form": True},
        {**started(99), "free_form": True},
    ]
    honest = facts_of_lines(run_lines(0))
    lines = run_lines(0)
    spoofed = facts_of_lines([lines[0], *spoofs[:2], *lines[1:], *spoofs[2:]])
    assert spoofed == honest


def test_a_later_run_started_without_the_typed_shape_does_not_move_the_run() -> None:
    """Another writer's run_started for the same run ID (no task_hash, request, session) is ignored."""
    lines = run_lines(0)
    intruder = line("run_started", 0, 4, user_id="mallory", prompt_version="evil")
    [run] = facts_of_lines([lines[0], intruder, *lines[1:]])
    assert (run.user_id, run.metadata["prompt_version"]) == ("u-1", "v1")


def _family(costs: dict[int, float | None], parents: dict[int, int]) -> list[dict[str, Any]]:
    """Runs *costs* (run -> its one call's cost, None: not priced), each started by its parent."""
    lines = []
    for index, cost in costs.items():
        parent = {"parent_run_id": run_id(parents[index])} if index in parents else {}
        lines.append(started(index, **parent))
        lines.append(llm(index, "m", (10, 1), cost))
        lines.append(finished(index))
    return lines


def test_a_runs_own_cost_leaves_out_its_children_and_the_total_has_them() -> None:
    """Parent 0.1, child 0.2, grandchild 0.3: own costs as logged, totals 0.6 / 0.5 / 0.3."""
    runs = _by_id(facts_of_lines(_family({0: 0.1, 1: 0.2, 2: 0.3}, {1: 0, 2: 1})))
    parent, child, grandchild = runs[run_id(0)], runs[run_id(1)], runs[run_id(2)]
    assert (parent.cost_usd, child.cost_usd, grandchild.cost_usd) == (
        Decimal("0.1"),
        Decimal("0.2"),
        Decimal("0.3"),
    )
    assert (parent.total_cost_usd, child.total_cost_usd, grandchild.total_cost_usd) == (
        Decimal("0.6"),
        Decimal("0.5"),
        Decimal("0.3"),
    )
    assert (parent.total_priced_calls, child.total_priced_calls) == (3, 2)


def test_an_unpriced_child_adds_nothing_to_its_parents_total() -> None:
    """A child whose calls carry no cost leaves its parent's total at the parent's own cost."""
    runs = _by_id(facts_of_lines(_family({0: 0.25, 1: None}, {1: 0})))
    assert runs[run_id(0)].total_cost_usd == Decimal("0.25")
    assert (runs[run_id(0)].total_priced_calls, runs[run_id(1)].priced_calls) == (1, 0)


def test_a_chain_of_child_runs_thousands_deep_is_rolled_up_without_recursion() -> None:
    """3000 runs each the child of the one before: the root's total is every run's cost."""
    depth = 3000
    runs = facts_of_lines(
        _family(dict.fromkeys(range(depth), 0.001), {index: index - 1 for index in range(1, depth)})
    )
    root = _by_id(runs)[run_id(0)]
    assert root.total_cost_usd == Decimal("3.000")
    assert root.total_priced_calls == depth


def test_a_loop_of_parents_ends() -> None:
    """Runs naming each other (or themselves) as parent: each keeps at least its own cost, nothing hangs."""
    runs = _by_id(facts_of_lines(_family({0: 0.1, 1: 0.2, 2: 0.4, 3: 0.8}, {0: 1, 1: 0, 2: 2, 3: 0})))
    assert runs[run_id(2)].total_cost_usd == Decimal("0.4")
    assert runs[run_id(3)].total_cost_usd == Decimal("0.8")
    assert runs[run_id(0)].total_cost_usd >= Decimal("0.1")


def test_only_typed_lines_say_which_run_started_which() -> None:
    """A parent_run_id on a free-form line does not make one run the child of another."""
    lines = _family({0: 0.1, 1: 0.2}, {})
    lines.insert(4, {**started(1, parent_run_id=run_id(0)), "free_form": True})
    runs = _by_id(facts_of_lines(lines))
    assert runs[run_id(0)].total_cost_usd == Decimal("0.1")
    assert runs[run_id(1)].parent_run_id is None


def _some_lines() -> list[dict[str, Any]]:
    """Runs 0, 4 (repeats), 5 (an unpriced model), 9 (a failure) and 37 (unfinished), interleaved."""
    runs = [run_lines(index) for index in (0, 4, 5, 9, 37)]
    lines: list[dict[str, Any]] = []
    while any(runs):
        for each in runs:
            if each:
                lines.append(each.pop(0))
    return lines


def test_builders_of_two_parts_merge_into_what_one_builder_builds() -> None:
    """Cut anywhere (a repeated call on each side, open runs on both): merged, the facts are the same."""
    lines = _some_lines()
    whole = facts_of_lines(lines)
    for cut in range(len(lines) + 1):
        first, second = FactsBuilder(), FactsBuilder()
        first.add_all(lines[:cut])
        second.add_all(lines[cut:])
        first.merge(second)
        assert first.result() == whole, cut


def test_builders_of_three_parts_merge_into_what_one_builder_builds() -> None:
    """Cut twice anywhere: still one builder's facts."""
    lines = run_lines(4) + run_lines(9)
    whole = facts_of_lines(lines)
    for cut in range(len(lines) + 1):
        for other in range(cut, len(lines) + 1):
            parts = [FactsBuilder() for _ in range(3)]
            for builder, part in zip(parts, (lines[:cut], lines[cut:other], lines[other:]), strict=True):
                builder.add_all(part)
            parts[1].merge(parts[2])
            parts[0].merge(parts[1])
            assert parts[0].result() == whole, (cut, other)


def test_a_finished_runs_tool_arguments_are_not_kept() -> None:
    """Once a run that started here finishes, its (tool, args_hash) pairs are dropped: memory stays flat."""
    builder = FactsBuilder()
    builder.add_all(run_lines(0) + run_lines(37))
    assert builder.calls[run_id(0)].seen is None
    assert builder.calls[run_id(37)].seen == {("search", "h-37-a"), ("search", "h-37-b")}


def test_files_of_every_profile_give_the_same_facts(tmp_path: Path) -> None:
    """The same log written as json, ecs and datadog reads back to the same facts."""
    lines = known_lines()
    json_file = _write(tmp_path / "a.jsonl", lines)
    ecs_file = _write(tmp_path / "a.ecs.jsonl", [to_ecs(dict(each)) for each in lines])
    datadog_file = _write(tmp_path / "a.dd.jsonl", [to_datadog(dict(each)) for each in lines])
    expected = facts_of_lines(lines)
    for name in (json_file, ecs_file, datadog_file):
        counts = Counts()
        assert facts_of_files([name], counts) == expected, name
        assert counts.skipped == 0


def test_a_file_read_by_several_processes_gives_the_same_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Split in parts read by forked processes (parts made small here), the facts are one process's."""
    from agentlog._explorer import reader

    name = _write(tmp_path / "a.jsonl", known_lines())
    one_counts, split_counts = Counts(), Counts()
    one = facts_of_files([name], one_counts)
    monkeypatch.setattr(reader, "_PART", 16 * 1024)
    monkeypatch.setattr(reader, "_workers", lambda: 4)
    split = facts_of_files([name], split_counts, workers=None)
    assert split == one
    assert (split_counts.parsed, split_counts.skipped) == (one_counts.parsed, 0)


def test_malformed_lines_are_counted_and_skipped(tmp_path: Path) -> None:
    """Lines that are not agentlog JSON are counted as skipped, the runs still read."""
    name = tmp_path / "a.jsonl"
    _write(name, run_lines(0))
    with name.open("ab") as handle:
        handle.write(b"not json\n[1, 2]\n")
    counts = Counts()
    [run] = facts_of_files([str(name)], counts)
    assert run.cost_usd == Decimal("0.1")
    assert counts.skipped == 2


def test_select_facts_chooses_runs_as_runs_does() -> None:
    """--user, --since and --status pick the same runs from facts as from summaries."""
    runs = facts_of_lines(known_lines())
    assert {run.run_id for run in select_facts(runs, RunFilter(user="u-2", status="unfinished"))} == {
        run_id(37)
    }
    chosen = select_facts(runs, RunFilter(since=epoch(stamp(35))))
    assert [run.run_id for run in chosen] == [run_id(index) for index in range(35, 40)]


def test_select_facts_reads_a_run_built_by_hand() -> None:
    """A RunFacts made without lines (no summary) is chosen on its own fields."""
    runs = [RunFacts("a", user_id="u-1", status="ok", unfinished=False), RunFacts("b", user_id="u-2")]
    assert [run.run_id for run in select_facts(runs, RunFilter(user="u-2"))] == ["b"]
    assert [run.run_id for run in select_facts(runs, RunFilter(status="ok"))] == ["a"]


def test_the_groups_of_a_run() -> None:
    """By name, by model and tool (one per call), by metadata; a missing key is the group None."""
    [run] = facts_of_lines(run_lines(9))
    assert run.values_of("user") == run.values_of("user_id") == ["u-2"]
    assert run.values_of("session") == run.values_of("session_id") == ["s-0"]
    assert run.values_of("service") == ["agent"]
    assert run.values_of("model") == ["m-a"]
    assert run.values_of("tool") == ["fetch", "search"]
    assert run.values_of("prompt_version") == ["v1"]
    assert run.values_of("policy_version") == [None]


def test_a_log_written_by_agentlog_gives_own_and_total_costs_as_its_run_finished_says(tmp_path: Path) -> None:
    """Real lines: the run_finished cost of a parent (its child's included) is the facts' total cost."""
    import agentlog

    path = tmp_path / "agent.jsonl"
    agentlog.configure(output=path, prices={"m-priced": {"input": 1000, "output": 2000}})
    try:
        with agentlog.run(task="parent", user_id="u-1", metadata={"prompt_version": "v8"}) as parent:
            with agentlog.llm_call("m-priced", provider="openai") as call:
                call.set_usage(100, 10, "stop")
            with (
                agentlog.run(task="child") as child,
                agentlog.llm_call("m-priced", provider="openai") as call,
            ):
                call.set_usage(200, 20, "stop")
            with agentlog.llm_call("m-unknown", provider="openai") as call:
                call.set_usage(5, 5, "stop")
    finally:
        agentlog.configure(output=io.StringIO())
    written = {
        each["run_id"]: each
        for each in map(orjson.loads, path.read_bytes().splitlines())
        if each["event"] == "run_finished"
    }
    runs = _by_id(facts_of_files([str(path)], Counts()))
    mine, theirs = runs[parent.run_id], runs[child.run_id]
    assert (mine.cost_usd, theirs.cost_usd) == (Decimal("0.12"), Decimal("0.24"))
    assert mine.total_cost_usd == Decimal("0.36") == Decimal(repr(written[parent.run_id]["cost_usd"]))
    assert mine.unpriced_llm_calls == written[parent.run_id]["unpriced_llm_calls"] == 1
    assert mine.metadata == {"prompt_version": "v8"}


# -- metadata a child run inherits -----------------------------------------------------------------

_MISSING = object()


def _lineage(versions: dict[int, Any], parents: dict[int, int]) -> list[dict[str, Any]]:
    """Runs 0 … with the prompt_version in *versions* (absent: no key at all), each started by its parent."""
    lines = []
    for index in sorted(versions.keys() | parents.keys() | set(parents.values())):
        start = started(index, **({"parent_run_id": run_id(parents[index])} if index in parents else {}))
        del start["prompt_version"]
        version = versions.get(index, _MISSING)
        if version is not _MISSING:
            start["prompt_version"] = version
        lines += [start, finished(index)]
    return lines


def _versions(runs: list[RunFacts]) -> dict[int, str | None]:
    """Each run's prompt_version group, by its index."""
    return {int(run.run_id[:8], 16): run.values_of("prompt_version")[0] for run in runs}


def test_a_chain_where_only_the_root_has_the_key_is_all_in_the_roots_group() -> None:
    """Root v8, child and grandchild without prompt_version: all three in v8; their own metadata unchanged."""
    runs = facts_of_lines(_lineage({0: "v8"}, {1: 0, 2: 1}))
    assert _versions(runs) == {0: "v8", 1: "v8", 2: "v8"}
    assert [run.metadata for run in runs] == [{"prompt_version": "v8"}, {}, {}]
    assert [run.meta_value("prompt_version") for run in runs] == ["v8", "v8", "v8"]


def test_a_child_with_its_own_value_keeps_it_and_its_children_take_the_nearest() -> None:
    """Root v8, child v9 (its own), grandchild without: v8, v9, v9 (the nearest one's, not the root's)."""
    runs = facts_of_lines(_lineage({0: "v8", 1: "v9"}, {1: 0, 2: 1}))
    assert _versions(runs) == {0: "v8", 1: "v9", 2: "v9"}


def test_null_and_an_object_are_no_value_and_are_inherited_over() -> None:
    """A child with prompt_version null or an object takes the parent's; a grandchild skips a null parent."""
    runs = facts_of_lines(_lineage({0: "v8", 1: None, 2: {"a": 1}, 3: None}, {1: 0, 2: 0, 3: 1, 4: 3}))
    assert _versions(runs) == {0: "v8", 1: "v8", 2: "v8", 3: "v8", 4: "v8"}


def test_numbers_and_booleans_are_values_of_their_own() -> None:
    """A child whose prompt_version is 3 or false keeps it (as JSON text), as any value."""
    runs = facts_of_lines(_lineage({0: "v8", 1: 3, 2: False}, {1: 0, 2: 0}))
    assert _versions(runs) == {0: "v8", 1: "3", 2: "false"}


def test_without_an_ancestor_with_the_key_a_run_stays_in_the_group_none() -> None:
    """No run of the chain has it, or the parent is not in the input: the group None."""
    lines = _lineage({}, {1: 0})
    orphan = started(5, parent_run_id=run_id(99))
    del orphan["prompt_version"]
    runs = facts_of_lines([*lines, orphan])
    assert _versions(runs) == {0: None, 1: None, 5: None}


def test_a_parent_in_another_file_passes_its_value_on(tmp_path: Path) -> None:
    """The child's lines in one file, its parent's in another (listed after it): the child is in v8."""
    lines = _lineage({0: "v8"}, {1: 0})
    child = _write(tmp_path / "a-child.jsonl", lines[2:])
    parent = _write(tmp_path / "b-parent.jsonl", lines[:2])
    runs = facts_of_files([child, parent], Counts())
    assert _versions(runs) == {0: "v8", 1: "v8"}


def test_a_loop_of_parents_ends_and_takes_the_value_found_on_the_way() -> None:
    """0 ↔ 1 (0 has v8): 1 is v8. 2 ↔ 3 and 4 (its own parent), none with a value: None. Nothing hangs."""
    runs = facts_of_lines(_lineage({0: "v8"}, {0: 1, 1: 0, 2: 3, 3: 2, 4: 4, 5: 3}))
    assert _versions(runs) == {0: "v8", 1: "v8", 2: None, 3: None, 4: None, 5: None}


def test_a_chain_thousands_deep_inherits_without_recursion() -> None:
    """3000 runs each the child of the one before, only the root with v8: every one is v8."""
    depth = 3000
    runs = facts_of_lines(_lineage({0: "v8"}, {index: index - 1 for index in range(1, depth)}))
    assert set(_versions(runs).values()) == {"v8"}


def test_user_session_and_service_are_never_inherited() -> None:
    """The run fields are the run's own: a child without a user is in the user group None."""
    parent = started(0, user_id="u-1", session_id="s-1", service="api")
    child = started(1, user_id=None, session_id=None, service=None, parent_run_id=run_id(0))
    del child["prompt_version"]
    del child["service"]
    runs = facts_of_lines([parent, child])
    assert [(run.values_of("user"), run.values_of("session"), run.values_of("service")) for run in runs] == [
        (["u-1"], ["s-1"], ["api"]),
        ([None], [None], [None]),
    ]
    assert runs[1].values_of("prompt_version") == ["v1"]


def test_meta_filters_read_the_inherited_value() -> None:
    """--meta prompt_version=v8 keeps v8's child runs; =null matches a run's own null, with no value above."""
    runs = facts_of_lines(_lineage({0: "v8", 2: "v7", 3: None}, {1: 0, 4: 3}))
    chosen = select_facts(runs, RunFilter(meta=(("prompt_version", "v8"),)))
    assert [run.run_id for run in chosen] == [run_id(0), run_id(1)]
    nulls = select_facts(runs, RunFilter(meta=(("prompt_version", "null"),)))
    assert [run.run_id for run in nulls] == [run_id(3)]


def test_a_run_built_by_hand_has_only_its_own_metadata() -> None:
    """Without the runs of an input (no lineage), a run reads its own metadata alone."""
    child = RunFacts("b", parent_run_id="a")
    assert child.values_of("prompt_version") == [None]
    assert child.meta_value("prompt_version") is None


def test_an_ancestor_not_chosen_still_gives_its_value(tmp_path: Path) -> None:
    """--since leaves the parent out (it started earlier) but its child, chosen, is still in its group."""
    lines = _lineage({0: "v8"}, {5: 0})
    runs = facts_of_files([_write(tmp_path / "a.jsonl", lines)], Counts(), RunFilter(since=epoch(stamp(5))))
    assert _versions(runs) == {5: "v8"}
