"""Run summaries, choosing runs by filter, and finding runs by ID prefix."""

from __future__ import annotations

from typing import Any

from agentlog._explorer.runs import RunSummary, matching_run_ids, select_runs, summarize_runs
from agentlog._explorer.times import epoch

A = "aaaaaaaa-0000-4000-8000-000000000001"
B = "bbbbbbbb-0000-4000-8000-000000000002"


def _line(event: str, run_id: str = A, second: int = 0, **fields: Any) -> dict[str, Any]:
    stamp = f"2026-11-22T03:00:{second:02d}Z"
    return {"timestamp": stamp, "level": "info", "event": event, "run_id": run_id, **fields}


def _finished(run_id: str = A, **fields: Any) -> dict[str, Any]:
    return _line("run_finished", run_id, 9, status="ok", stop_reason="completed", **fields)


def test_a_run_is_described_by_its_first_and_last_lines() -> None:
    """run_started gives user, service, parent; run_finished gives status, stop reason and totals."""
    lines = [
        _line("run_started", user_id="u-1", service="svc", parent_run_id=B),
        _finished(
            total_steps=2,
            tool_calls=3,
            llm_calls=1,
            errors=0,
            input_tokens=10,
            output_tokens=4,
            total_latency_ms=1500,
        ),
    ]
    [run] = summarize_runs(lines)
    assert run == RunSummary(
        run_id=A,
        started="2026-11-22T03:00:00Z",
        finished="2026-11-22T03:00:09Z",
        user_id="u-1",
        service="svc",
        parent_run_id=B,
        status="ok",
        stop_reason="completed",
        total_steps=2,
        tool_calls=3,
        llm_calls=1,
        input_tokens=10,
        output_tokens=4,
        total_latency_ms=1500,
    )


def test_the_tools_a_run_called_are_collected() -> None:
    """Tool names come from tool_call and tool_result lines; a non-string tool is ignored."""
    lines = [
        _line("tool_call", tool="search"),
        _line("tool_result", tool="fetch"),
        _line("tool_call", tool=5),
    ]
    assert summarize_runs(lines)[0].tools == {"search", "fetch"}


def test_a_run_without_run_started_starts_at_its_first_line() -> None:
    """A run whose first line was lost still has a start time, and no status until it finishes."""
    [run] = summarize_runs([_line("hello", second=4), _line("tool_call", second=5)])
    assert run.started == "2026-11-22T03:00:04Z"
    assert run.status is None and run.finished is None


def test_totals_that_are_not_integers_count_as_zero() -> None:
    """A bool or string total is not trusted; a non-numeric latency is absent."""
    [run] = summarize_runs([_finished(tool_calls=True, errors="2", total_latency_ms="slow")])
    assert (run.tool_calls, run.errors, run.total_latency_ms) == (0, 0, None)


def test_the_service_falls_back_to_run_finished() -> None:
    """Without a service on run_started, run_finished's is used."""
    [run] = summarize_runs([_line("run_started"), _finished(service="late")])
    assert run.service == "late"


def test_runs_come_in_order_of_first_appearance_and_lines_without_run_are_ignored() -> None:
    """One summary per run ID, in the order runs first appear; lines outside a run add none."""
    lines = [
        _line("hello", B),
        {"timestamp": "t", "level": "info", "event": "x"},
        _line("hello", A),
        _line("x", B),
    ]
    assert [run.run_id for run in summarize_runs(lines)] == [B, A]


def test_as_dict_adds_the_short_id_and_sorts_the_tools() -> None:
    """The JSON view has the first 8 characters of the ID and tools as a sorted list."""
    view = RunSummary(A, tools={"b", "a"}).as_dict()
    assert view["short_id"] == "aaaaaaaa"
    assert view["tools"] == ["a", "b"]


def _runs() -> list[RunSummary]:
    return [
        RunSummary(
            A, started="2026-11-22T03:00:00Z", status="ok", user_id="u-1", service="s1", tools={"search"}
        ),
        RunSummary(B, started="2026-11-22T04:00:00Z", status="error", user_id="u-2", service="s2"),
        RunSummary("c", started=None, status="ok"),
    ]


def test_select_runs_lists_newest_first() -> None:
    """Without filters every run is kept, newest start first; a run with no start is last."""
    assert [run.run_id for run in select_runs(_runs())] == [B, A, "c"]


def test_select_runs_by_status_user_service_and_tool() -> None:
    """Each filter keeps only the runs that match it."""
    assert [run.run_id for run in select_runs(_runs(), status="error")] == [B]
    assert [run.run_id for run in select_runs(_runs(), user="u-1")] == [A]
    assert [run.run_id for run in select_runs(_runs(), service="s2")] == [B]
    assert [run.run_id for run in select_runs(_runs(), tool="search")] == [A]


def test_select_runs_since_is_inclusive_and_until_exclusive() -> None:
    """A run started exactly at `since` is kept, one started at `until` is not; no start fails both."""
    four = epoch("2026-11-22T04:00:00Z")
    assert [run.run_id for run in select_runs(_runs(), since=four)] == [B]
    assert [run.run_id for run in select_runs(_runs(), until=four)] == [A]


def test_select_runs_limit() -> None:
    """A limit keeps the newest runs; 0 means no limit."""
    assert [run.run_id for run in select_runs(_runs(), limit=1)] == [B]
    assert len(select_runs(_runs(), limit=0)) == 3


def test_matching_run_ids_are_distinct_and_sorted() -> None:
    """Every run ID starting with the prefix, once, sorted; other lines and runs ignored."""
    lines = [_line("x", B), _line("x", A), _line("y", A), {"event": "no run"}, _line("x", "ab-other")]
    assert matching_run_ids(lines, "a") == ["aaaaaaaa-0000-4000-8000-000000000001", "ab-other"]
    assert matching_run_ids(lines, "aaaa") == [A]
    assert matching_run_ids(lines, "ffff") == []
