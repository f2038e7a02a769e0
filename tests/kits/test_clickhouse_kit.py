"""The ClickHouse kit on a real ClickHouse engine (chdb), over lines agentlog wrote."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import agentlog

chdb_session = pytest.importorskip("chdb.session")

KIT = Path(__file__).resolve().parents[2] / "kits" / "clickhouse"


def _statements(sql: str) -> list[str]:
    body = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return [statement.strip() for statement in body.split(";") if statement.strip()]


def _queries() -> dict[str, str]:
    text = (KIT / "queries.sql").read_text()
    named = re.split(r"^-- name: (\w+)\n", text, flags=re.MULTILINE)[1:]
    return {name: _statements(body)[0] for name, body in zip(named[::2], named[1::2], strict=False)}


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
def loaded(tmp_path: Path) -> tuple[Any, dict[str, str]]:
    path = tmp_path / "agent.jsonl"
    ids = _write_runs(path)
    session = chdb_session.Session(str(tmp_path / "chdb"))
    for statement in _statements((KIT / "schema.sql").read_text()):
        session.query(statement)
    session.query(
        "INSERT INTO agentlog.events SETTINGS input_format_skip_unknown_fields = 1, "
        "date_time_input_format = 'best_effort' FORMAT JSONEachRow\n" + path.read_text()
    )
    return session, ids


def _rows(session: Any, sql: str, **params: str) -> list[dict[str, Any]]:
    result = session.query(sql, "JSONEachRow", params=params) if params else session.query(sql, "JSONEachRow")
    import orjson

    return [orjson.loads(line) for line in result.bytes().splitlines() if line.strip()]


def test_every_line_is_ingested(loaded: tuple[Any, dict[str, str]]) -> None:
    """The DDL takes every line agentlog wrote."""
    session, _ = loaded
    count = _rows(session, "SELECT count() AS n FROM agentlog.events")[0]["n"]
    assert int(count) > 30


def test_failed_runs_finds_the_failing_runs(loaded: tuple[Any, dict[str, str]]) -> None:
    """failed_runs lists the failing child run and its parent, with stop reasons."""
    session, ids = loaded
    rows = _rows(session, _queries()["failed_runs"])
    by_run = {row["run_id"]: row for row in rows}
    assert set(by_run) == {ids["parent"], ids["child"]}
    assert by_run[ids["child"]]["stop_reason"] == "tool_error"
    assert by_run[ids["child"]]["parent_run_id"] == ids["parent"]


def test_failing_step_is_found_from_the_parent_run(loaded: tuple[Any, dict[str, str]]) -> None:
    """From the parent's run_id, failing_step finds the child's tool call, step and error."""
    session, ids = loaded
    (row,) = _rows(session, _queries()["failing_step"], run_id=ids["parent"])
    assert row["run_id"] == ids["child"]
    assert row["tool"] == "fetch_invoice"
    assert row["tool_call_id"] == ids["tool_call_id"]
    assert int(row["step_id"]) == 2
    assert row["error_class"] == "TimeoutError"
    assert row["error_message"] == "billing API timed out"


def test_reconstruct_run_returns_the_run_and_its_child(loaded: tuple[Any, dict[str, str]]) -> None:
    """reconstruct_run returns the parent's and the child's lines, in time order, nothing else."""
    session, ids = loaded
    rows = _rows(session, _queries()["reconstruct_run"], run_id=ids["parent"])
    assert {row["run_id"] for row in rows} == {ids["parent"], ids["child"]}
    stamps = [row["timestamp"] for row in rows]
    assert stamps == sorted(stamps)
    assert next(row["event"] for row in rows) == "run_started"


def test_tool_latency_percentiles_and_error_rates(loaded: tuple[Any, dict[str, str]]) -> None:
    """tool_latency gives calls, error rate and p50/p95/p99 per tool."""
    session, _ = loaded
    by_tool = {row["tool"]: row for row in _rows(session, _queries()["tool_latency"])}
    assert int(by_tool["search"]["calls"]) == 10
    assert float(by_tool["search"]["error_rate"]) == 0
    assert float(by_tool["fetch_invoice"]["error_rate"]) == 1
    assert float(by_tool["search"]["p99_ms"]) >= float(by_tool["search"]["p50_ms"]) >= 0


def test_stop_reasons(loaded: tuple[Any, dict[str, str]]) -> None:
    """stop_reasons counts runs by how they ended."""
    session, _ = loaded
    counts = {row["stop_reason"]: int(row["runs"]) for row in _rows(session, _queries()["stop_reasons"])}
    # The child stopped at its tool; the parent saw the failure come out of its "delegate" step.
    assert counts == {"completed": 2, "tool_error": 1, "step_error": 1}
