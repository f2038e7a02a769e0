"""On the same lines, the kit's SQL gives the CLI's figures: stats --by, slo, compare (`fleet`'s log).

Every figure of every group is compared whole, not rounded: a rate is the
same division, a cost the same exact decimal, a percentile the same rank.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from agentlog.cli import main
from tests.kits.fleet import Fleet, loaded_fleet

KEYS = (
    "prompt_version",
    "policy_version",
    "route_config_version",
    "tier",
    "user",
    "session",
    "service",
    "model",
    "tool",
)
"""Every kind of key: metadata (text, number, on some runs only), the named dimensions, model and tool."""


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """The fleet, written once for the module and loaded into ClickHouse."""
    with loaded_fleet(tmp_path_factory.mktemp("fleet")) as loaded:
        yield loaded


def _cli(capsys: pytest.CaptureFixture[str], *argv: str, status: int = 0) -> Any:
    """What ``agentlog ARGV`` prints, parsed; its exit status checked."""
    capsys.readouterr()
    assert main(list(argv)) == status
    return orjson.loads(capsys.readouterr().out)


@pytest.mark.parametrize("key", KEYS)
def test_stats_by_gives_the_clis_figures(fleet: Fleet, capsys: pytest.CaptureFixture[str], key: str) -> None:
    """stats_by's rows are ``stats --by KEY --json``'s groups: same groups, same order, every figure equal."""
    document = _cli(capsys, "stats", str(fleet.path), "--json", "--by", key)
    expected = [{"value": group.pop("key")[key], **group} for group in document["groups"]]
    assert fleet.store.query("stats_by", by=key, since="", until="") == expected


def test_stats_of_all_runs_are_the_clis_all(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    """stats_by with by = '' is the CLI's "all": every run once."""
    document = _cli(capsys, "stats", str(fleet.path), "--json", "--by", "prompt_version")
    assert fleet.store.query("stats_by", by="", since="", until="") == [{"value": None, **document["all"]}]


def test_cost_queries_give_the_clis_figures(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    """cost_per_user, cost_per_model and cost_per_metadata: the cost figures of stats --by."""
    names = ("runs", "llm_calls", "priced_llm_calls", "unpriced_llm_calls", "input_tokens", "output_tokens")
    for query, key, params in (
        ("cost_per_user", "user", {}),
        ("cost_per_metadata", "prompt_version", {"key": "prompt_version"}),
    ):
        groups = _cli(capsys, "stats", str(fleet.path), "--json", "--by", key)["groups"]
        rows = {
            row.get("user_id", row.get("value")): row
            for row in fleet.store.query(query, since="", until="", **params)
        }
        assert len(rows) == len(groups)
        for group in groups:
            row = rows[group["key"][key]]
            assert {name: row[name] for name in (*names, "cost_usd", "cost_per_run")} == {
                name: group[name] for name in (*names, "cost_usd", "cost_per_run")
            }
    groups = _cli(capsys, "stats", str(fleet.path), "--json", "--by", "model")["groups"]
    rows = {row["model"]: row for row in fleet.store.query("cost_per_model", since="", until="")}
    for group in groups:
        row = rows[group["key"]["model"]]
        assert (row["runs"], row["calls"], row["errors"], row["cost_usd"]) == (
            group["runs"],
            group["llm_calls"],
            group["llm_errors"],
            group["cost_usd"],
        )
        assert (row["input_tokens"], row["output_tokens"], row["unpriced_calls"]) == (
            group["input_tokens"],
            group["output_tokens"],
            group["unpriced_llm_calls"],
        )


def _slo_rows(fleet: Fleet, by: str, window: str, until: str) -> dict[tuple[Any, str], dict[str, Any]]:
    """Every objective's row of the three slo_* queries, by (group value, objective)."""
    rows = [
        *fleet.store.query("slo_completion", by=by, window=window, until=until, target_percent="80"),
        *fleet.store.query("slo_latency", by=by, window=window, until=until, quantile="95", target_ms="0.25"),
        *fleet.store.query("slo_latency", by=by, window=window, until=until, quantile="50", target_ms="0.2"),
        *fleet.store.query("slo_error_rate", by=by, window=window, until=until, target_percent="5"),
    ]
    return {(row.pop("value"), row["objective"]): row for row in rows}


@pytest.mark.parametrize("by", ["", "prompt_version", "user", "tool", "model"])
def test_slo_gives_the_clis_objectives(fleet: Fleet, capsys: pytest.CaptureFixture[str], by: str) -> None:
    """The slo_* rows are ``slo --json``'s objectives, group by group: met, burn rate, budget, counts."""
    argv = ["slo", str(fleet.path), "--json", "--completion", "80", "--latency-p95", "0.25ms"]
    argv += ["--latency-p50", "0.2ms", "--error-rate", "5"]
    report = _cli(capsys, *argv, *(["--by", by] if by else []), status=1)
    expected = {
        (group["key"].get(by), objective["objective"]): objective
        for group in report["groups"]
        for objective in group["objectives"]
    }
    assert _slo_rows(fleet, by, "", "") == expected


def test_slo_window_and_until_choose_the_clis_runs(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    """A window ending at --until (run 6's start, excluded) measures runs 0 … 5 and the child, as the CLI."""
    starts = {
        line["run_id"]: line["timestamp"]
        for line in map(orjson.loads, fleet.path.read_bytes().splitlines())
        if line["event"] == "run_started"
    }
    until = starts[fleet.run_ids[6]]
    argv = ["slo", str(fleet.path), "--json", "--completion", "80", "--latency-p95", "0.25ms"]
    argv += ["--latency-p50", "0.2ms", "--error-rate", "5", "--window", "1h", "--until", until]
    report = _cli(capsys, *argv, status=1)
    assert report["runs"] == 7
    expected = {(None, objective["objective"]): objective for objective in report["groups"][0]["objectives"]}
    assert _slo_rows(fleet, "", "1h", until) == expected


@pytest.mark.parametrize(
    ("by", "a", "b"),
    [
        ("prompt_version", "v7", "v8"),
        ("user", "u-2", "u-1"),
        ("tool", "search", "fetch"),
        ("model", "m-a", "m-x"),
    ],
)
def test_compare_gives_the_clis_groups(
    fleet: Fleet, capsys: pytest.CaptureFixture[str], by: str, a: str, b: str
) -> None:
    """Compare's two rows are ``compare --json``'s two groups, every figure, tool and stop reason."""
    document = _cli(capsys, "compare", str(fleet.path), "--json", "--by", by, a, b)
    assert fleet.store.query("compare", by=by, a=a, b=b, since="", until="") == document["groups"]


def test_tool_latency_gives_the_clis_tools(fleet: Fleet, capsys: pytest.CaptureFixture[str]) -> None:
    """tool_latency's rows are ``stats --json``'s tools: calls, errors, error rate, p50/p95/p99."""
    tools = _cli(capsys, "stats", str(fleet.path), "--json")["tools"]
    assert fleet.store.query("tool_latency") == tools
