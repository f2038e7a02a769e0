"""The kit's cost, stats, SLO and compare queries on a fleet agentlog wrote (`fleet`), every figure known."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest

from tests.kits.fleet import CALL, Fleet, loaded_fleet


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    """The fleet, written once for the module and loaded into ClickHouse."""
    with loaded_fleet(tmp_path_factory.mktemp("fleet")) as loaded:
        yield loaded


def _everything(**params: str) -> dict[str, str]:
    return {"since": "", "until": "", **params}


def _nearest_rank(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return round(ordered[round(fraction * (len(ordered) - 1))], 3)


def _percentiles(values: list[float]) -> dict[str, float]:
    return {
        f"latency_p{name}_ms": _nearest_rank(values, fraction)
        for name, fraction in (("50", 0.5), ("95", 0.95), ("99", 0.99))
    }


# -- cost --------------------------------------------------------------------------------------------


def test_cost_per_run_is_each_runs_own_and_its_reported_total(fleet: Fleet) -> None:
    """Every run's own cost is one m-a call; run 2's run_finished adds its child's; run 10 reports none."""
    rows = {row["run_id"]: row for row in fleet.store.query("cost_per_run", **_everything())}
    assert len(rows) == 13
    for key, run_id in fleet.run_ids.items():
        row = rows[run_id]
        assert row["cost_usd"] == CALL, key
        assert row["priced_calls"] == 1, key
        unpriced = 1 if isinstance(key, int) and key % 3 == 0 else 0
        assert (row["unpriced_llm_calls"], row["llm_calls"]) == (unpriced, 1 + unpriced), key
        assert (row["input_tokens"], row["output_tokens"]) == (100 + 50 * unpriced, 10 + 5 * unpriced), key
    assert rows[fleet.run_ids[2]]["total_cost_usd"] == 2 * CALL
    assert rows[fleet.run_ids["child"]]["total_cost_usd"] == CALL
    assert rows[fleet.run_ids["child"]]["parent_run_id"] == fleet.run_ids[2]
    assert rows[fleet.run_ids[10]]["total_cost_usd"] is None
    assert rows[fleet.run_ids[9]]["stop_reason"] == "max_steps"


def test_cost_per_user(fleet: Fleet) -> None:
    """u-1 has 7 runs (the child's included) and 9 calls, u-2 6 runs and 8 calls; each run costs one call."""
    rows = fleet.store.query("cost_per_user", **_everything())
    assert rows == [
        {
            "user_id": "u-1",
            "runs": 7,
            "llm_calls": 9,
            "priced_llm_calls": 7,
            "unpriced_llm_calls": 2,
            "input_tokens": 800,
            "output_tokens": 80,
            "cost_usd": 0.00147,
            "cost_per_run": CALL,
        },
        {
            "user_id": "u-2",
            "runs": 6,
            "llm_calls": 8,
            "priced_llm_calls": 6,
            "unpriced_llm_calls": 2,
            "input_tokens": 700,
            "output_tokens": 70,
            "cost_usd": 0.00126,
            "cost_per_run": CALL,
        },
    ]


def test_cost_per_model(fleet: Fleet) -> None:
    """m-a: 13 priced calls; m-x: 4 calls with tokens and no price, so no cost (not 0)."""
    assert fleet.store.query("cost_per_model", **_everything()) == [
        {
            "model": "m-a",
            "runs": 13,
            "calls": 13,
            "errors": 0,
            "input_tokens": 1300,
            "output_tokens": 130,
            "priced_calls": 13,
            "unpriced_calls": 0,
            "cost_usd": 0.00273,
        },
        {
            "model": "m-x",
            "runs": 4,
            "calls": 4,
            "errors": 0,
            "input_tokens": 200,
            "output_tokens": 20,
            "priced_calls": 0,
            "unpriced_calls": 4,
            "cost_usd": None,
        },
    ]


def test_cost_per_metadata_key(fleet: Fleet) -> None:
    """Per prompt_version: v8 six runs; v7 six and run 2's child, which has no version and takes run 2's."""
    rows = fleet.store.query("cost_per_metadata", **_everything(key="prompt_version"))
    assert rows == [
        {
            "value": "v7",
            "runs": 7,
            "llm_calls": 9,
            "priced_llm_calls": 7,
            "unpriced_llm_calls": 2,
            "input_tokens": 800,
            "output_tokens": 80,
            "cost_usd": 0.00147,
            "cost_per_run": CALL,
        },
        {
            "value": "v8",
            "runs": 6,
            "llm_calls": 8,
            "priced_llm_calls": 6,
            "unpriced_llm_calls": 2,
            "input_tokens": 700,
            "output_tokens": 70,
            "cost_usd": 0.00126,
            "cost_per_run": CALL,
        },
    ]


def test_numeric_and_sparse_metadata_keys_group_as_text(fleet: Fleet) -> None:
    """Numbers group as text (tier "0", "1", "2", the child's run 2's); route_config_version r2 on 1, 5, 9.

    Run 2 has no route_config_version, so neither has its child: both are in the group NULL.
    """
    tiers = fleet.store.query("cost_per_metadata", **_everything(key="tier"))
    assert [(row["value"], row["runs"]) for row in tiers] == [("0", 4), ("1", 4), ("2", 5)]
    routes = fleet.store.query("cost_per_metadata", **_everything(key="route_config_version"))
    assert [(row["value"], row["runs"]) for row in routes] == [("r2", 3), (None, 10)]


# -- stats_by ----------------------------------------------------------------------------------------


def test_stats_by_prompt_version(fleet: Fleet) -> None:
    """Every figure of each prompt version; v7's runs include run 2's child, which takes run 2's version."""
    rows = fleet.store.query("stats_by", **_everything(by="prompt_version"))
    v7, v8 = rows
    assert v7 == {
        "value": "v7",
        "runs": 7,
        "completed": 6,
        "completion_rate": 6 / 7,
        "failed": 1,
        "unfinished": 0,
        "errors": 1,
        "tool_calls": 13,
        "tool_errors": 1,
        "tool_error_rate": 1 / 13,
        "llm_calls": 9,
        "llm_errors": 0,
        "input_tokens": 800,
        "output_tokens": 80,
        "cost_usd": 0.00147,
        "cost_per_run": CALL,
        "priced_llm_calls": 7,
        "unpriced_llm_calls": 2,
        "repeated_call_runs": 2,
        "repeated_call_rate": 2 / 7,
        **_percentiles([fleet.latency[i] for i in (0, 1, 2, 3, 4, 5, "child")]),
    }
    assert v8 == {
        "value": "v8",
        "runs": 6,
        "completed": 3,
        "completion_rate": 0.5,
        "failed": 1,
        "unfinished": 1,
        "errors": 1,
        "tool_calls": 13,
        "tool_errors": 1,
        "tool_error_rate": 1 / 13,
        "llm_calls": 8,
        "llm_errors": 0,
        "input_tokens": 700,
        "output_tokens": 70,
        "cost_usd": 0.00126,
        "cost_per_run": CALL,
        "priced_llm_calls": 6,
        "unpriced_llm_calls": 2,
        "repeated_call_runs": 1,
        "repeated_call_rate": 1 / 6,
        **_percentiles([fleet.latency[i] for i in (6, 7, 8, 9, 11)]),
    }


def test_stats_by_tool_counts_that_tools_calls_only(fleet: Fleet) -> None:
    """By tool, a group's tool figures are that tool's; its LLM figures are all its runs'."""
    fetch, search = fleet.store.query("stats_by", **_everything(by="tool"))
    assert (search["value"], search["runs"], search["completed"], search["unfinished"]) == (
        "search",
        12,
        8,
        1,
    )
    assert (search["tool_calls"], search["tool_errors"], search["tool_error_rate"]) == (24, 0, 0.0)
    assert (search["llm_calls"], search["cost_usd"], search["unpriced_llm_calls"]) == (16, 0.00252, 4)
    assert (search["repeated_call_runs"], search["repeated_call_rate"]) == (3, 0.25)
    assert (fetch["value"], fetch["runs"], fetch["completed"], fetch["failed"]) == ("fetch", 2, 0, 2)
    assert (fetch["tool_calls"], fetch["tool_errors"], fetch["tool_error_rate"]) == (2, 2, 1.0)
    assert (fetch["llm_calls"], fetch["cost_usd"], fetch["cost_per_run"]) == (2, 0.00042, CALL)


def test_stats_of_all_runs_in_one_group(fleet: Fleet) -> None:
    """With by = '' every run is in one group: 13 runs, 9 completed, 26 tool calls, 2 failed.

    Its cost per run is the exact 0.00273 / 13 = 0.00021, not the float division's 0.00020999999999999998.
    """
    (row,) = fleet.store.query("stats_by", **_everything(by=""))
    assert (row["value"], row["runs"], row["completed"], row["completion_rate"]) == (None, 13, 9, 9 / 13)
    assert (row["tool_calls"], row["tool_errors"], row["failed"], row["unfinished"]) == (26, 2, 2, 1)
    assert (row["llm_calls"], row["cost_usd"], row["cost_per_run"]) == (17, 0.00273, CALL)


def test_since_and_until_choose_runs_by_their_start(fleet: Fleet) -> None:
    """Runs started from run 3's start (included) to run 6's (excluded): runs 3, 4 and 5."""
    starts = {
        line["run_id"]: line["timestamp"]
        for line in map(orjson.loads, fleet.path.read_bytes().splitlines())
        if line["event"] == "run_started"
    }
    since, until = starts[fleet.run_ids[3]], starts[fleet.run_ids[6]]
    (row,) = fleet.store.query("stats_by", since=since, until=until, by="")
    assert (row["runs"], row["completed"], row["failed"]) == (3, 2, 1)


# -- SLO ---------------------------------------------------------------------------------------------


def test_slo_completion_burns_the_budget(fleet: Fleet) -> None:
    """9 of 13 runs completed against 99.5 %: burn rate (4/13) / (1/200) = 800/13, budget 1 − 800/13."""
    (row,) = fleet.store.query("slo_completion", by="", window="", until="", target_percent="99.5")
    assert row == {
        "value": None,
        "objective": "completion",
        "target": 0.995,
        "actual": 9 / 13,
        "met": 0,
        "no_data": 0,
        "bad": 4,
        "total": 13,
        "bad_fraction": 4 / 13,
        "allowed_bad_fraction": 0.005,
        "burn_rate": 800 / 13,
        "error_budget_remaining": -787 / 13,
        "runs": 13,
    }


def test_slo_latency(fleet: Fleet) -> None:
    """p95 of the 12 finished runs against their median: 6 slower than it are bad, of 5 % allowed."""
    latencies = sorted(fleet.latency.values())
    target = latencies[5]
    slower = sum(1 for value in latencies if value > target)
    (row,) = fleet.store.query(
        "slo_latency", by="", window="", until="", quantile="95", target_ms=str(target)
    )
    assert row == {
        "value": None,
        "objective": "latency_p95",
        "target": target,
        "actual": _nearest_rank(latencies, 0.95),
        "met": int(_nearest_rank(latencies, 0.95) <= target),
        "no_data": 0,
        "bad": slower,
        "total": 12,
        "bad_fraction": slower / 12,
        "allowed_bad_fraction": 0.05,
        "burn_rate": slower * 100 / (12 * 5),
        "error_budget_remaining": (12 * 5 - slower * 100) / (12 * 5),
        "runs": 13,
    }


def test_slo_error_rate_by_tool(fleet: Fleet) -> None:
    """At most 10 % of tool calls fail: search (0 of 24) meets it; fetch (2 of 2) burns 10× its budget."""
    fetch, search = fleet.store.query("slo_error_rate", by="tool", window="", until="", target_percent="10")
    assert (search["value"], search["met"], search["burn_rate"], search["error_budget_remaining"]) == (
        "search",
        1,
        0.0,
        1.0,
    )
    assert (fetch["value"], fetch["met"], fetch["bad"], fetch["total"]) == ("fetch", 0, 2, 2)
    assert (fetch["actual"], fetch["burn_rate"], fetch["error_budget_remaining"]) == (1.0, 10.0, -9.0)
    assert (fetch["target"], fetch["allowed_bad_fraction"]) == (0.1, 0.1)


def test_slo_target_that_allows_nothing(fleet: Fleet) -> None:
    """A 0 % error rate with failures burns without bound: burn rate and budget are NULL, not a number."""
    (row,) = fleet.store.query("slo_error_rate", by="", window="", until="", target_percent="0")
    assert (row["met"], row["bad"], row["burn_rate"], row["error_budget_remaining"]) == (0, 2, None, None)


# -- compare -----------------------------------------------------------------------------------------


def test_compare_prompt_versions(fleet: Fleet) -> None:
    """v7 (run 2's child among its runs) against v8: tool error rates, stop reasons, tokens per run."""
    v7, v8 = fleet.store.query("compare", **_everything(by="prompt_version", a="v7", b="v8"))
    assert (v7["value"], v8["value"]) == ("v7", "v8")
    assert v7["tools"] == [
        {"tool": "search", "calls": 12, "errors": 0, "error_rate": 0.0},
        {"tool": "fetch", "calls": 1, "errors": 1, "error_rate": 1.0},
    ]
    assert v8["tools"] == v7["tools"]
    assert v7["stop_reasons"] == [
        {"stop_reason": "completed", "runs": 6, "share": 6 / 7},
        {"stop_reason": "tool_error", "runs": 1, "share": 1 / 7},
    ]
    assert v8["stop_reasons"] == [
        {"stop_reason": "completed", "runs": 3, "share": 0.5},
        {"stop_reason": "max_steps", "runs": 1, "share": 1 / 6},
        {"stop_reason": "tool_error", "runs": 1, "share": 1 / 6},
        {"stop_reason": "unfinished", "runs": 1, "share": 1 / 6},
    ]
    assert (v7["failed_rate"], v7["tokens_per_run"], v7["cost_per_run"]) == (1 / 7, 880 / 7, CALL)
    assert (v8["failed_rate"], v8["tokens_per_run"], v8["cost_per_run"]) == (1 / 6, 770 / 6, CALL)
    assert (v7["completion_rate"], v8["completion_rate"]) == (6 / 7, 0.5)
    assert (v7["repeated_call_rate"], v8["repeated_call_rate"]) == (2 / 7, 1 / 6)


def test_compare_lists_a_first_whatever_the_order_of_values(fleet: Fleet) -> None:
    """A is the first row even when it sorts after B."""
    rows = fleet.store.query("compare", **_everything(by="prompt_version", a="v8", b="v7"))
    assert [row["value"] for row in rows] == ["v8", "v7"]


# -- the new fields ----------------------------------------------------------------------------------


def test_request_parameters_and_price_identity_are_columns(fleet: Fleet) -> None:
    """temperature, max_tokens, top_p, seed, price_source and price_version land in their columns."""
    rows = fleet.store.rows(
        "SELECT DISTINCT temperature, max_tokens, top_p, seed, price_source, price_version"
        " FROM agentlog.events WHERE event = 'llm_result' AND model = 'm-a' AND temperature IS NOT NULL"
    )
    assert rows == [
        {
            "temperature": 0.2,
            "max_tokens": 256,
            "top_p": 0.9,
            "seed": 7,
            "price_source": "configured",
            "price_version": "rates-2026-11",
        }
    ]


def test_run_finished_costs_are_columns(fleet: Fleet) -> None:
    """Run 2's run_finished: cost_usd with its child's, child_cost_usd; run 0's unpriced_llm_calls."""
    rows = {
        row["run_id"]: row
        for row in fleet.store.rows(
            "SELECT run_id, cost_usd, child_cost_usd, unpriced_llm_calls FROM agentlog.events"
            " WHERE event = 'run_finished'"
        )
    }
    assert rows[fleet.run_ids[2]]["cost_usd"] == 2 * CALL
    assert rows[fleet.run_ids[2]]["child_cost_usd"] == CALL
    assert rows[fleet.run_ids[0]]["unpriced_llm_calls"] == 1
    assert rows[fleet.run_ids[1]]["unpriced_llm_calls"] is None


def test_version_metadata_are_columns_and_in_run_metadata(fleet: Fleet) -> None:
    """prompt_version and policy_version have columns; every key, tier included, is in run_metadata."""
    row = fleet.store.rows(
        "SELECT prompt_version, policy_version, route_config_version, run_metadata FROM agentlog.events"
        " WHERE event = 'run_started' AND run_id = {run_id:String}",
        run_id=fleet.run_ids[1],
    )[0]
    assert row == {
        "prompt_version": "v7",
        "policy_version": "p1",
        "route_config_version": "r2",
        "run_metadata": {
            "prompt_version": "v7",
            "policy_version": "p1",
            "tier": "1",
            "route_config_version": "r2",
        },
    }
