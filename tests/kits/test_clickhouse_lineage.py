"""Child runs in metadata groups: a run without a metadata key takes its nearest ancestor's value.

On `delegation`'s log, every figure known: v7 runs make their own calls, v8
runs delegate the dear call to a child run with no version of its own. Read
without the rule, v8 would be 3 runs costing 0.0075 USD and the children a
group NULL of 0.06; with it, v8 is 6 runs costing 0.0675, as much as v7's 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentlog.cli import main
from tests.kits.clickhouse_support import Store, open_store
from tests.kits.delegation import CHEAP, DEAR, delegation_lines, run_id, stamp


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The delegation log, as a file."""
    path = tmp_path_factory.mktemp("delegation") / "delegation.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in delegation_lines()) + b"\n")
    return path


@pytest.fixture(scope="module")
def store(log: Path) -> Iterator[Store]:
    """The delegation log in ClickHouse."""
    with open_store(log.parent / "chdb") as loaded:
        loaded.load_lines(log.read_text())
        yield loaded


def _everything(**params: str) -> dict[str, str]:
    return {"since": "", "until": "", **params}


def _run(store: Store, index: int) -> dict[str, Any]:
    """Run *index*'s row of agentlog.runs."""
    (row,) = store.rows(
        "SELECT * FROM agentlog.runs(since = '1970-01-01 00:00:00') WHERE run_id = {run_id:String}",
        run_id=run_id(index),
    )
    return row


def test_a_child_is_in_its_parents_version_with_its_own_cost(store: Store) -> None:
    """Per prompt_version: v8's 3 runs and their 3 children, 0.0025 + 0.02 USD a pair; v7's 3 runs alike."""
    version: dict[str, Any] = {"unpriced_llm_calls": 0}
    assert store.query("cost_per_metadata", **_everything(key="prompt_version")) == [
        {"value": "v-deep", "runs": 11, "llm_calls": 11, "priced_llm_calls": 11, **version}
        | {"input_tokens": 1100, "output_tokens": 110, "cost_usd": 11 * CHEAP, "cost_per_run": CHEAP},
        {"value": "v7", "runs": 3, "llm_calls": 6, "priced_llm_calls": 6, **version}
        | {"input_tokens": 900, "output_tokens": 90, "cost_usd": 0.0675, "cost_per_run": 0.0225},
        {"value": "v8", "runs": 6, "llm_calls": 6, "priced_llm_calls": 6, **version}
        | {"input_tokens": 900, "output_tokens": 90, "cost_usd": 0.0675, "cost_per_run": 0.01125},
        {"value": "v9", "runs": 2, "llm_calls": 2, "priced_llm_calls": 2, **version}
        | {"input_tokens": 200, "output_tokens": 20, "cost_usd": 2 * CHEAP, "cost_per_run": CHEAP},
        {"value": "v9b", "runs": 2, "llm_calls": 2, "priced_llm_calls": 2, **version}
        | {"input_tokens": 200, "output_tokens": 20, "cost_usd": 2 * CHEAP, "cost_per_run": CHEAP},
    ]


def test_stats_by_version_own_calls_against_delegated_ones(store: Store) -> None:
    """Every figure of v7 (calls of its own) and v8 (half its runs children, one failing its fetch)."""
    rows = {row["value"]: row for row in store.query("stats_by", **_everything(by="prompt_version"))}
    common = {"llm_errors": 0, "input_tokens": 900, "output_tokens": 90, "cost_usd": 0.0675}
    common |= {
        "priced_llm_calls": 6,
        "unpriced_llm_calls": 0,
        "repeated_call_runs": 0,
        "repeated_call_rate": 0,
    }
    assert rows["v7"] == {
        "value": "v7",
        "runs": 3,
        "completed": 3,
        "completion_rate": 1,
        "failed": 0,
        "unfinished": 0,
        "errors": 0,
        "tool_calls": 3,
        "tool_errors": 0,
        "tool_error_rate": 0,
        "llm_calls": 6,
        **common,
        "cost_per_run": 0.0225,
        "latency_p50_ms": 5000,
        "latency_p95_ms": 6000,
        "latency_p99_ms": 6000,
    }
    assert rows["v8"] == {
        "value": "v8",
        "runs": 6,
        "completed": 5,
        "completion_rate": 5 / 6,
        "failed": 1,
        "unfinished": 0,
        "errors": 1,
        "tool_calls": 4,
        "tool_errors": 1,
        "tool_error_rate": 0.25,
        "llm_calls": 6,
        **common,
        "cost_per_run": 0.01125,
        "latency_p50_ms": 10000,
        "latency_p95_ms": 20000,
        "latency_p99_ms": 20000,
    }


def test_a_runs_own_cost_stays_its_own(store: Store) -> None:
    """cost_per_run: a v8 parent's own 0.0025 (0.0225 with its child's, as it reports), the child's 0.02."""
    rows = {row["run_id"]: row for row in store.query("cost_per_run", **_everything())}
    parent, child = rows[run_id(3)], rows[run_id(13)]
    assert (parent["cost_usd"], parent["total_cost_usd"]) == (CHEAP, CHEAP + DEAR)
    assert (child["cost_usd"], child["parent_run_id"]) == (DEAR, run_id(3))


def test_a_chain_where_only_the_root_has_the_key(store: Store) -> None:
    """policy_version p-root is run 20's alone: 21, 22 and 23 below it take it (23 through 22 and 21)."""
    members = store.rows(
        "SELECT value, groupArray(run_id) AS runs FROM agentlog.run_groups("
        "since = '1970-01-01 00:00:00', by = 'policy_version') GROUP BY value ORDER BY value"
    )
    assert [(row["value"], sorted(row["runs"])) for row in members if row["value"] is not None] == [
        ("p-root", sorted(run_id(index) for index in (20, 21, 22, 23)))
    ]
    assert [row["runs"] for row in store.query("cost_per_metadata", **_everything(key="policy_version"))] == [
        4,
        20,
    ]


def test_a_child_with_a_value_of_its_own_keeps_it_and_passes_it_on(store: Store) -> None:
    """Run 22's own v9b is its version, and 23's (its nearest ancestor with one); the policy is still 20's."""
    for index in (22, 23):
        assert _run(store, index)["metadata"] == {"prompt_version": "v9b", "policy_version": "p-root"}
    assert (_run(store, 22)["own_metadata"], _run(store, 23)["own_metadata"]) == (
        {"prompt_version": "v9b"},
        {},
    )
    assert _run(store, 21)["metadata"] == {"prompt_version": "v9", "policy_version": "p-root"}


def test_a_deep_chain_takes_the_roots_value(store: Store) -> None:
    """Run 40, ten generations below run 30, is a v-deep run, as are the nine between."""
    assert _run(store, 40)["metadata"] == {"prompt_version": "v-deep"}
    (row,) = store.rows(
        "SELECT count() AS runs FROM agentlog.run_groups(since = '1970-01-01 00:00:00',"
        " by = 'prompt_version') WHERE value = 'v-deep'"
    )
    assert row["runs"] == 11


def test_a_null_value_is_no_value(store: Store) -> None:
    """Child 14's prompt_version is null: none of its own, its parent's v8 is its group."""
    row = _run(store, 14)
    assert (row["own_metadata"], row["metadata"]) == ({}, {"prompt_version": "v8"})


def test_user_session_and_service_are_not_inherited(store: Store) -> None:
    """By user: the v8 children have no user of their own, and stay in the group NULL."""
    rows = store.query("stats_by", **_everything(by="user"))
    assert [(row["value"], row["runs"]) for row in rows] == [("u-a", 6), (None, 18)]


def test_an_ancestor_that_started_before_since_still_gives_its_value(store: Store) -> None:
    """From child 13's start to run 4's: child 13 alone, in v8 (its parent, run 3, started before)."""
    (row,) = store.query("stats_by", since=stamp(182), until=stamp(240), by="prompt_version")
    assert (row["value"], row["runs"], row["cost_usd"]) == ("v8", 1, DEAR)


def test_slo_by_version_counts_the_children(store: Store) -> None:
    """Completion of at least 90 %: v8's 5 of 6 (a child failed) misses it, v7's 3 of 3 meets it."""
    rows = {
        row["value"]: row
        for row in store.query(
            "slo_completion", by="prompt_version", window="", until="", target_percent="90"
        )
    }
    assert (rows["v8"]["total"], rows["v8"]["bad"], rows["v8"]["met"]) == (6, 1, 0)
    assert (rows["v7"]["total"], rows["v7"]["bad"], rows["v7"]["met"]) == (3, 0, 1)


def test_compare_versions_with_the_children(store: Store) -> None:
    """v7 against v8: v8's tools are its children's calls, its stop reasons theirs too."""
    v7, v8 = store.query("compare", **_everything(by="prompt_version", a="v7", b="v8"))
    assert v7["tools"] == [{"tool": "search", "calls": 3, "errors": 0, "error_rate": 0}]
    assert v8["tools"] == [
        {"tool": "search", "calls": 3, "errors": 0, "error_rate": 0},
        {"tool": "fetch", "calls": 1, "errors": 1, "error_rate": 1},
    ]
    assert v8["stop_reasons"] == [
        {"stop_reason": "completed", "runs": 5, "share": 5 / 6},
        {"stop_reason": "tool_error", "runs": 1, "share": 1 / 6},
    ]
    assert (v7["cost_per_run"], v8["cost_per_run"]) == (0.0225, 0.01125)


# -- the same figures as the CLI ---------------------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *argv: str, status: int = 0) -> Any:
    """What ``agentlog ARGV`` prints, parsed; its exit status checked."""
    capsys.readouterr()
    assert main(list(argv)) == status
    return orjson.loads(capsys.readouterr().out)


@pytest.mark.parametrize("key", ["prompt_version", "policy_version", "user"])
def test_stats_by_gives_the_clis_groups(
    store: Store, log: Path, capsys: pytest.CaptureFixture[str], key: str
) -> None:
    """stats_by's rows are ``stats --by KEY --json``'s groups: children where the CLI puts them."""
    document = _cli(capsys, "stats", str(log), "--json", "--by", key)
    expected = [{"value": group.pop("key")[key], **group} for group in document["groups"]]
    assert store.query("stats_by", by=key, since="", until="") == expected


def test_stats_since_gives_the_clis_groups(
    store: Store, log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """From child 13's start to run 4's, both take child 13 as a v8 run (its parent started before)."""
    since, until = stamp(182), stamp(240)
    document = _cli(
        capsys, "stats", str(log), "--json", "--by", "prompt_version", "--since", since, "--until", until
    )
    expected = [{"value": group.pop("key")["prompt_version"], **group} for group in document["groups"]]
    assert store.query("stats_by", by="prompt_version", since=since, until=until) == expected


def test_slo_by_version_gives_the_clis_objectives(
    store: Store, log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The slo_* rows by prompt_version are ``slo --by prompt_version --json``'s objectives."""
    argv = ["slo", str(log), "--json", "--by", "prompt_version", "--completion", "90"]
    report = _cli(capsys, *argv, "--latency-p95", "15s", "--error-rate", "5", status=1)
    expected = {
        (group["key"]["prompt_version"], objective["objective"]): objective
        for group in report["groups"]
        for objective in group["objectives"]
    }
    params = {"by": "prompt_version", "window": "", "until": ""}
    rows = [
        *store.query("slo_completion", **params, target_percent="90"),
        *store.query("slo_latency", **params, quantile="95", target_ms="15000"),
        *store.query("slo_error_rate", **params, target_percent="5"),
    ]
    assert {(row.pop("value"), row["objective"]): row for row in rows} == expected


@pytest.mark.parametrize(("a", "b"), [("v7", "v8"), ("v8", "v9b")])
def test_compare_gives_the_clis_groups(
    store: Store, log: Path, capsys: pytest.CaptureFixture[str], a: str, b: str
) -> None:
    """Compare's two rows are ``compare --by prompt_version A B --json``'s groups, children included."""
    document = _cli(capsys, "compare", str(log), "--json", "--by", "prompt_version", a, b)
    assert store.query("compare", by="prompt_version", a=a, b=b, since="", until="") == document["groups"]


def test_meta_filter_is_a_where_on_the_inherited_metadata(
    store: Store, log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``stats --by user --meta prompt_version=v8``: u-a's 3 v8 runs, the 3 children (no user), as in SQL."""
    document = _cli(capsys, "stats", str(log), "--json", "--by", "user", "--meta", "prompt_version=v8")
    rows = store.rows(
        "SELECT value, count() AS runs, sum(cost_usd) AS cost_usd"
        " FROM agentlog.run_groups(since = '1970-01-01 00:00:00', by = 'user')"
        " WHERE run_id IN (SELECT run_id FROM agentlog.runs(since = '1970-01-01 00:00:00')"
        " WHERE metadata['prompt_version'] = 'v8') GROUP BY value ORDER BY value IS NULL, value"
    )
    expected = [
        {"value": group["key"]["user"], "runs": group["runs"], "cost_usd": group["cost_usd"]}
        for group in document["groups"]
    ]
    assert (
        rows
        == expected
        == [
            {"value": "u-a", "runs": 3, "cost_usd": 3 * CHEAP},
            {"value": None, "runs": 3, "cost_usd": 3 * DEAR},
        ]
    )
