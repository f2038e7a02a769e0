"""The ClickHouse kit on a real ClickHouse engine (chdb), over lines agentlog wrote."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import agentlog
from agentlog import _config, events
from tests.kits.clickhouse_support import KIT, Store, open_store, statements
from tests.kits.delegation import loop_lines


def _write_runs(path: Path) -> dict[str, str]:
    """Three runs; one fails deep inside a child run's tool call."""
    agentlog.configure(output=path, service="kit-test")
    ids: dict[str, str] = {}
    for attempt in range(2):
        with agentlog.run(task=f"ok {attempt}") as ok, agentlog.step("tool"):
            for latency in range(5):
                with agentlog.tool_call("search", {"q": latency}):
                    pass
            ids[f"ok{attempt}"] = ok.run_id
    with pytest.raises(TimeoutError), agentlog.run(task="delegate") as parent:
        ids["parent"] = parent.run_id
        with agentlog.step("delegate"), agentlog.run(task="sub-agent") as child:
            ids["child"] = child.run_id
            with agentlog.step("plan"):
                pass
            with agentlog.step("tool"), agentlog.tool_call("fetch_invoice", {"id": 7}) as call:
                ids["tool_call_id"] = call.tool_call_id
                raise TimeoutError("billing API timed out")
    return ids


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[tuple[Store, dict[str, str]]]:
    path = tmp_path / "agent.jsonl"
    ids = _write_runs(path)
    with open_store(tmp_path / "chdb") as store:
        store.load_each_row(path.read_text())
        yield store, ids


def test_every_line_is_ingested(loaded: tuple[Store, dict[str, str]]) -> None:
    """The DDL takes every line agentlog wrote."""
    session, _ = loaded
    count = session.rows("SELECT count() AS n FROM agentlog.events")[0]["n"]
    assert int(count) > 30


def test_failed_runs_finds_the_failing_runs(loaded: tuple[Store, dict[str, str]]) -> None:
    """failed_runs lists the failing child run and its parent, with stop reasons."""
    session, ids = loaded
    rows = session.query("failed_runs")
    by_run = {row["run_id"]: row for row in rows}
    assert set(by_run) == {ids["parent"], ids["child"]}
    assert by_run[ids["child"]]["stop_reason"] == "tool_error"
    assert by_run[ids["child"]]["parent_run_id"] == ids["parent"]


def test_failing_step_is_found_from_the_parent_run(loaded: tuple[Store, dict[str, str]]) -> None:
    """From the parent's run_id, failing_step finds the child's tool call, step and error."""
    session, ids = loaded
    (row,) = session.query("failing_step", run_id=ids["parent"])
    assert row["run_id"] == ids["child"]
    assert row["tool"] == "fetch_invoice"
    assert row["tool_call_id"] == ids["tool_call_id"]
    assert int(row["step_id"]) == 2
    assert row["error_class"] == "TimeoutError"
    assert row["error_message"] == "billing API timed out"


def test_reconstruct_run_returns_the_run_and_its_child(loaded: tuple[Store, dict[str, str]]) -> None:
    """reconstruct_run returns the parent's and the child's lines, in time order, nothing else."""
    session, ids = loaded
    rows = session.query("reconstruct_run", run_id=ids["parent"])
    assert {row["run_id"] for row in rows} == {ids["parent"], ids["child"]}
    stamps = [row["timestamp"] for row in rows]
    assert stamps == sorted(stamps)
    assert next(row["event"] for row in rows) == "run_started"


def test_tool_latency_percentiles_and_error_rates(loaded: tuple[Store, dict[str, str]]) -> None:
    """tool_latency gives calls, error rate and p50/p95/p99 per tool."""
    session, _ = loaded
    by_tool = {row["tool"]: row for row in session.query("tool_latency")}
    assert int(by_tool["search"]["calls"]) == 10
    assert float(by_tool["search"]["error_rate"]) == 0
    assert float(by_tool["fetch_invoice"]["error_rate"]) == 1
    assert float(by_tool["search"]["p99_ms"]) >= float(by_tool["search"]["p50_ms"]) >= 0


def test_stop_reasons(loaded: tuple[Store, dict[str, str]]) -> None:
    """stop_reasons counts runs by how they ended."""
    session, _ = loaded
    counts = {row["stop_reason"]: int(row["runs"]) for row in session.query("stop_reasons")}
    # The child stopped at its tool; the parent saw the failure come out of its "delegate" step.
    assert counts == {"completed": 2, "tool_error": 1, "step_error": 1}


METADATA = {
    "prompt_version": "v8",
    "policy_version": "p2",
    "route_config_version": "r1",
    "tool_contract_version": "t3",
    "experiment": "blue",
    "attempt": 2,
    "ratio": 0.5,
    "canary": True,
    "note": None,
    "nested": {"a": 1},
    "listed": [1],
    "event": "clash",
}
"""Metadata of every kind: the four version keys, text, numbers, a boolean, null, an object, an
array, and a name that clashes with agentlog's own (kept under ``metadata`` in the line)."""


def _write_rich(path: Path) -> None:
    """The failing runs of `_write_runs`, then a run with `METADATA` and a priced LLM call."""
    _write_runs(path)
    _config.reset()
    prices = agentlog.PriceTable({"m": {"input": 2, "output": 8}}, version="v-test", bundled=False)
    with path.open("ab") as out:
        agentlog.configure(output=out, service="kit-test", prices=prices)
        with agentlog.run(task="versions", user_id="u", metadata=METADATA), agentlog.step("model"):
            events.llm_result("m", provider="p", input_tokens=10, output_tokens=5, temperature=0.7, seed=-3)
        _config.reset()


@pytest.fixture
def rich(tmp_path: Path) -> Iterator[tuple[Store, str]]:
    """`_write_rich`'s lines, and a store they are not loaded into yet."""
    path = tmp_path / "agent.jsonl"
    _write_rich(path)
    with open_store(tmp_path / "chdb") as store:
        yield store, path.read_text()


_EVERY_COLUMN = (
    "SELECT * EXCEPT (run_metadata) FROM agentlog.events ORDER BY run_id, timestamp, event, span_id"
)


def test_both_ways_in_give_the_same_columns(rich: tuple[Store, str]) -> None:
    """Whole lines (agentlog.lines) and JSONEachRow fill every column alike, run_metadata aside."""
    store, text = rich
    store.load_lines(text)
    whole = store.rows(_EVERY_COLUMN)
    store.rows("TRUNCATE TABLE agentlog.events")
    store.load_each_row(text)
    assert store.rows(_EVERY_COLUMN) == whole
    assert len(whole) == len(text.splitlines())


def test_whole_lines_keep_every_metadata_key(rich: tuple[Store, str]) -> None:
    """run_metadata has each key, as text, as the explorer reads it; null, objects and arrays left out."""
    from agentlog._explorer.filters import meta_text
    from agentlog._explorer.runs import run_metadata

    store, text = rich
    store.load_lines(text)
    (row,) = store.rows(
        "SELECT run_metadata FROM agentlog.events WHERE event = 'run_started' AND user_id = 'u'"
    )
    assert row["run_metadata"] == {
        "prompt_version": "v8",
        "policy_version": "p2",
        "route_config_version": "r1",
        "tool_contract_version": "t3",
        "experiment": "blue",
        "attempt": "2",
        "ratio": "0.5",
        "canary": "true",
        "event": "clash",
    }
    line = next(
        each
        for each in map(orjson.loads, text.splitlines())
        if each["event"] == "run_started" and each.get("user_id") == "u"
    )
    # The explorer's groups: a key with null (or an object, an array) is the group None, as here.
    explorer = {key: meta_text(value) for key, value in run_metadata(line).items() if value is not None}
    assert row["run_metadata"] == {key: value for key, value in explorer.items() if value is not None}


def test_json_each_row_keeps_the_four_version_columns(rich: tuple[Store, str]) -> None:
    """Straight into events, the version keys still land in their columns and in run_metadata."""
    store, text = rich
    store.load_each_row(text)
    (row,) = store.rows(
        "SELECT prompt_version, policy_version, route_config_version, tool_contract_version, run_metadata"
        " FROM agentlog.events WHERE event = 'run_started' AND user_id = 'u'"
    )
    versions = {
        "prompt_version": "v8",
        "policy_version": "p2",
        "route_config_version": "r1",
        "tool_contract_version": "t3",
    }
    assert row == {**versions, "run_metadata": versions}


def test_cost_and_request_parameters_are_ingested(rich: tuple[Store, str]) -> None:
    """The priced call's cost (exact: 10 × 2 + 5 × 8 = 60 per million), price identity, parameters."""
    store, text = rich
    store.load_lines(text)
    rows = store.rows(
        "SELECT event, cost_usd, price_source, price_version, temperature, seed FROM agentlog.events"
        " WHERE model = 'm' OR (event = 'run_finished' AND cost_usd IS NOT NULL) ORDER BY timestamp"
    )
    assert rows == [
        {
            "event": "llm_result",
            "cost_usd": 0.00006,
            "price_source": "configured",
            "price_version": "v-test",
            "temperature": 0.7,
            "seed": -3,
        },
        {
            "event": "run_finished",
            "cost_usd": 0.00006,
            "price_source": "",
            "price_version": "",
            "temperature": None,
            "seed": None,
        },
    ]


def _columns(store: Store) -> list[dict[str, Any]]:
    return store.rows(
        "SELECT name, type, default_kind, default_expression FROM system.columns"
        " WHERE database = 'agentlog' AND table = 'events' ORDER BY position"
    )


def test_upgrade_brings_an_earlier_table_to_the_schema(tmp_path: Path) -> None:
    """A table without the columns added since (as an earlier schema.sql made it) gets them all, alike."""
    with open_store(tmp_path / "chdb") as store:
        current = _columns(store)
        added = [column["name"] for column in current if column["name"] not in _EARLIER_COLUMNS]
        store.rows("DROP VIEW agentlog.lines_to_events")
        store.rows(
            "ALTER TABLE agentlog.events " + ", ".join(f"DROP COLUMN {name}" for name in reversed(added))
        )
        assert [column["name"] for column in _columns(store)] == list(_EARLIER_COLUMNS)
        for statement in statements((KIT / "upgrade.sql").read_text()):
            store.rows(statement)
        assert _columns(store) == current


def test_a_log_loaded_twice_walks_each_chain_once(tmp_path: Path) -> None:
    """Every line twice (a file loaded again): runs 64 generations down still take the root's value.

    Each run's start is taken once on the walk up, so the rows do not double
    at each of the 64 generations (2 to the 64th of them for the deepest run).
    """
    text = b"\n".join(orjson.dumps(line) for line in loop_lines()).decode() + "\n"
    with open_store(tmp_path / "chdb") as store:
        store.load_lines(text)
        store.load_lines(text)
        rows = store.query("cost_per_metadata", key="depth", since="", until="")
    assert [(row["value"], row["runs"]) for row in rows] == [("top", 65), (None, 6)]


def _views(store: Store) -> list[dict[str, Any]]:
    return store.rows(
        "SELECT name, as_select FROM system.tables"
        " WHERE database = 'agentlog' AND engine = 'View' ORDER BY name"
    )


def test_upgrade_then_schema_make_the_views_anew(tmp_path: Path) -> None:
    """Views an earlier schema.sql made (a stale agentlog.runs here) go; schema.sql makes them anew."""
    with open_store(tmp_path / "chdb") as store:
        current = _views(store)
        assert [view["name"] for view in current] == ["run_calls", "run_groups", "runs"]
        store.rows(
            "CREATE OR REPLACE VIEW agentlog.runs AS SELECT run_id, run_metadata AS metadata"
            " FROM agentlog.events WHERE timestamp >= {since:DateTime64(6, 'UTC')}"
        )
        assert _views(store) != current
        for name in ("upgrade.sql", "schema.sql"):
            for statement in statements((KIT / name).read_text()):
                store.rows(statement)
        assert _views(store) == current


_EARLIER_COLUMNS = (
    "timestamp",
    "level",
    "event",
    "service",
    "env",
    "version",
    "logger",
    "run_id",
    "parent_run_id",
    "trace_id",
    "span_id",
    "parent_span_id",
    "step_id",
    "step_type",
    "tool_call_id",
    "tool",
    "session_id",
    "request_id",
    "user_id",
    "status",
    "stop_reason",
    "latency_ms",
    "total_latency_ms",
    "model",
    "provider",
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "reasoning_output_tokens",
    "finish_reason",
    "total_steps",
    "tool_calls",
    "llm_calls",
    "errors",
    "task_hash",
    "args_hash",
    "result_hash",
    "kind",
    "outcome",
    "reason",
    "error_class",
    "error_message",
    "error_stack",
)
"""The columns of agentlog.events before costs, request parameters and run metadata, in order."""
