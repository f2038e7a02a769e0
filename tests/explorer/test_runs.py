"""Run summaries, choosing runs by filter, and finding runs by ID prefix."""

from __future__ import annotations

from typing import Any

from agentlog._explorer.filters import sort_runs
from agentlog._explorer.runs import (
    RunBuilder,
    RunSummary,
    build_runs,
    matching_run_ids,
    select_runs,
    summarize_runs,
)
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
        last_seen="2026-11-22T03:00:09Z",
        ended=True,
    )


def test_the_tools_a_run_called_are_collected() -> None:
    """Tool names come from tool_call and tool_result lines; a non-string tool is ignored."""
    lines = [
        _line("tool_call", tool="search"),
        _line("tool_result", tool="fetch"),
        _line("tool_call", tool=5),
    ]
    assert summarize_runs(lines)[0].tools == {"search", "fetch"}


def test_a_run_without_run_started_starts_at_its_first_typed_line() -> None:
    """A run whose first line was lost starts at its first typed line, and is unfinished until it ends."""
    [run] = summarize_runs([_line("hello", second=4), _line("tool_call", second=5), _line("x", second=6)])
    assert run.started == "2026-11-22T03:00:05Z"
    assert run.status is None and run.finished is None and run.unfinished


def test_totals_that_are_not_integers_count_as_zero() -> None:
    """A bool or string total is not trusted; a non-numeric latency is absent."""
    [run] = summarize_runs([_finished(tool_calls=True, errors="2", total_latency_ms="slow")])
    assert (run.tool_calls, run.errors, run.total_latency_ms) == (0, 0, None)


def test_a_runs_cost_is_what_its_run_finished_says_and_never_a_bad_value() -> None:
    """cost_usd as run_finished says (its in-process children included); a string, bool or negative: none."""
    runs = summarize_runs(
        [
            _finished(A, cost_usd=0.25),
            _finished(B, cost_usd="0.25"),
            _finished("c", cost_usd=-1.0),
            _finished("d", cost_usd=True),
            _finished("e"),
        ]
    )
    assert [run.cost_usd for run in runs] == [0.25, None, None, None, None]
    assert runs[0].as_dict()["cost_usd"] == 0.25


def test_runs_sort_costliest_first_and_unknown_costs_last() -> None:
    """--sort cost: the costliest run first; a run with no known cost after every priced one."""
    runs = summarize_runs([_finished(A, cost_usd=0.1), _finished(B), _finished("c", cost_usd=2)])
    assert [run.run_id for run in sort_runs(runs, "cost")] == ["c", A, B]


def test_the_service_falls_back_to_run_finished() -> None:
    """Without a service on run_started, run_finished's is used."""
    [run] = summarize_runs([_line("run_started"), _finished(service="late")])
    assert run.service == "late"


def test_runs_come_in_order_of_first_appearance_and_lines_without_run_are_ignored() -> None:
    """One summary per run ID, in the order runs first appear; lines outside a run add none."""
    lines = [
        _line("agent_step", B),
        {"timestamp": "t", "level": "info", "event": "run_started"},
        _line("tool_call", A),
        _line("run_finished", B),
    ]
    assert [run.run_id for run in summarize_runs(lines)] == [B, A]


def test_log_lines_alone_make_no_run() -> None:
    """A run ID on plain log lines only (no typed line) is no run: only typed lines define one."""
    assert summarize_runs([_line("hello", A), _line("working", A, 3)]) == []


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


# -- only typed lines define a run ---------------------------------------------------------

_SHAPE: dict[str, Any] = {"task_hash": None, "request_id": None, "session_id": None}


def test_a_marked_line_never_starts_finishes_or_reattributes_a_run() -> None:
    """Lines marked free_form (log messages named like typed events) are ignored entirely."""
    lines = [
        _line("run_started", user_id="alice", **_SHAPE),
        _line("run_started", second=1, user_id="mallory", session_id="s-x", free_form=True),
        _line("tool_result", second=2, tool="t", status="error", error_class="Boom", free_form=True),
        _line("run_finished", second=3, status="error", stop_reason="x", free_form=True),
    ]
    [run] = summarize_runs(lines)
    assert run.user_id == "alice" and run.session_id is None
    assert run.unfinished and run.errors == 0 and run.tool_calls == 0
    assert run.error_classes == set() and run.tools == set()


def test_a_marked_line_alone_makes_no_run() -> None:
    """A run ID seen only on marked lines is no run."""
    assert summarize_runs([_line("run_started", free_form=True, **_SHAPE)]) == []


def test_the_first_run_started_wins_over_later_ones() -> None:
    """An unmarked second run_started (another writer) cannot re-attribute the run."""
    lines = [
        _line("run_started", user_id="alice", **_SHAPE),
        _line("run_started", second=1, user_id="mallory", task_hash="x", request_id="r", session_id="s"),
    ]
    [run] = summarize_runs(lines)
    assert (run.user_id, run.request_id, run.started) == ("alice", None, "2026-11-22T03:00:00Z")


def test_a_run_started_with_the_typed_shape_replaces_one_without() -> None:
    """A plain line lacking task_hash/request_id/session_id loses to the typed run_started, in any order."""
    lines = [
        _line("run_started", user_id="mallory"),
        _line("run_started", second=1, user_id="alice", **_SHAPE),
        _line("run_started", second=2, user_id="eve"),
    ]
    [run] = summarize_runs(lines)
    assert run.user_id == "alice"


def test_a_run_finished_with_the_typed_shape_replaces_one_without() -> None:
    """A run_finished lacking the totals loses to the typed one, which then stays."""
    totals: dict[str, Any] = {"total_steps": 1, "tool_calls": 2, "llm_calls": 0, "errors": 1}
    lines = [
        _line("run_finished", second=5, status="error", stop_reason="bogus"),
        _line("run_finished", second=6, status="ok", stop_reason="completed", **totals),
        _line("run_finished", second=7, status="error", stop_reason="late", **totals),
    ]
    [run] = summarize_runs(lines)
    assert (run.status, run.stop_reason, run.tool_calls, run.errors) == ("ok", "completed", 2, 1)


def test_real_spoofing_lines_change_nothing(tmp_path: Any) -> None:
    """Written by agentlog itself: log messages named run_started/run_finished leave the run as it was."""
    import logging

    import agentlog
    from agentlog._explorer.reader import Counts, read_lines

    path = tmp_path / "a.jsonl"
    agentlog.configure(output=path)
    try:
        with agentlog.run(task="t", user_id="alice", session_id="s-1") as real:
            agentlog.get_logger().info("run_started", user_id="mallory", session_id="s-evil")
            logging.getLogger("lib").error("run_finished")
            agentlog.get_logger().info("tool_result", status="error", error_class="Fake", tool="x")
    finally:
        agentlog.configure(output=tmp_path / "other.jsonl")
    [run] = summarize_runs(read_lines([str(path)], Counts()))
    assert (run.run_id, run.user_id, run.session_id) == (real.run_id, "alice", "s-1")
    assert (run.status, run.errors, run.tools, run.error_classes) == ("ok", 0, set(), set())


# -- what a run's lines say beyond its totals --------------------------------------------------


def test_session_request_and_metadata_come_from_run_started() -> None:
    """Top-level metadata fields and those kept under metadata (clashes) are the run's metadata."""
    started = _line(
        "run_started",
        task_hash=None,
        task_size=3,
        user_id="u",
        request_id="r-1",
        session_id="s-1",
        service="svc",
        prompt_version="v7",
        metadata={"run_id": "clash", "prompt_version": "nested"},
        trace_id="t",
        span_id="s",
    )
    [run] = summarize_runs([started])
    assert (run.session_id, run.request_id) == ("s-1", "r-1")
    assert run.metadata == {"prompt_version": "v7", "run_id": "clash"}


def test_error_classes_come_from_failed_calls_steps_and_the_run() -> None:
    """Every exception class a failed line names, including a recovered run's failed tool call."""
    lines = [
        _line("tool_result", tool="a", status="error", error_class="TimeoutError"),
        _line("llm_result", status="error", error_class="RateLimitError"),
        _line("tool_result", tool="a", status="ok", error_class="NotAFailure"),
        _finished(errors=2),
    ]
    [run] = summarize_runs(lines)
    assert run.error_classes == {"TimeoutError", "RateLimitError"}
    assert run.status == "ok" and run.errors == 2


# -- unfinished runs ---------------------------------------------------------------------------


def _killed_run() -> list[dict[str, Any]]:
    """A run killed in its third step: two steps done, a tool call in flight."""
    return [
        _line("run_started", user_id="u", **_SHAPE),
        _line("agent_step", second=1, step_id=1, span_id="s1"),
        _line("llm_result", second=1, step_id=1, span_id="l1", input_tokens=100, output_tokens=7),
        _line("step_finished", second=2, step_id=1, span_id="s1", status="ok"),
        _line("agent_step", second=2, step_id=2, span_id="s2"),
        _line("tool_call", second=2, step_id=2, tool="search", tool_call_id="c1", span_id="t1"),
        _line(
            "tool_result",
            second=3,
            step_id=2,
            tool="search",
            tool_call_id="c1",
            status="error",
            error_class="TimeoutError",
        ),
        _line("step_finished", second=3, step_id=2, span_id="s2", status="error", error_class="TimeoutError"),
        _line("agent_step", second=4, step_id=3, span_id="s3"),
        _line("tool_call", second=5, step_id=3, tool="fetch", tool_call_id="c2", span_id="t2"),
    ]


def test_an_unfinished_run_counts_what_its_lines_prove() -> None:
    """Steps, calls (one still in flight), the failure once (not again for its step), tokens, duration."""
    [run] = summarize_runs(_killed_run())
    assert run.unfinished and run.outcome == "unfinished" and run.status is None
    assert (run.total_steps, run.tool_calls, run.llm_calls) == (3, 2, 1)
    assert run.errors == 1
    assert (run.input_tokens, run.output_tokens) == (100, 7)
    assert run.last_seen == "2026-11-22T03:00:05Z"
    assert run.duration_ms == 5000.0
    assert run.tools == {"search", "fetch"}


def test_lines_read_twice_are_counted_once() -> None:
    """The same lines twice (a file and its copy) prove the same steps, calls and errors."""
    [run] = summarize_runs(_killed_run() + _killed_run())
    assert (run.total_steps, run.tool_calls, run.llm_calls, run.errors) == (3, 2, 1, 1)


def test_a_step_failing_with_its_own_exception_counts_as_an_error() -> None:
    """A failed step with no failed call inside it (or another exception class) is an error of its own."""
    lines = [
        _line("agent_step", step_id=1),
        _line("step_finished", second=1, step_id=1, status="error", error_class="ValueError"),
        _line("agent_step", second=2, step_id=2),
        _line("tool_result", second=3, step_id=2, tool_call_id="c", status="error", error_class="KeyError"),
        _line("step_finished", second=4, step_id=2, status="error", error_class="RuntimeError"),
    ]
    [run] = summarize_runs(lines)
    assert run.errors == 3


def test_a_finished_run_reports_its_own_totals_not_the_lines() -> None:
    """Once run_finished is read its totals win, whatever lines come after it."""
    lines = [*_killed_run(), _finished(total_steps=9, tool_calls=9, errors=0, total_latency_ms=9000)]
    lines.append(_line("tool_call", second=9, tool="late", tool_call_id="c9"))
    [run] = summarize_runs(lines)
    assert not run.unfinished and run.outcome == "ok"
    assert (run.total_steps, run.tool_calls, run.errors, run.duration_ms) == (9, 9, 0, 9000.0)


def test_the_builder_hands_back_each_run_as_it_finishes() -> None:
    """add() returns the summary for the run_finished line that ends a run, once; None otherwise."""
    builder = RunBuilder()
    returned = [builder.add(line) for line in [*_killed_run(), _finished(), _finished()]]
    assert [summary.run_id if summary else None for summary in returned][-2:] == [A, None]
    assert all(summary is None for summary in returned[:-2])
    assert builder.open_runs() == []


def test_the_builder_lists_open_runs_and_forgets_on_request() -> None:
    """Runs without run_finished are open, oldest first; forget() drops one."""
    builder = RunBuilder()
    for line in [_line("run_started", A, **_SHAPE), _line("run_started", B, 1, **_SHAPE)]:
        builder.add(line)
    assert builder.open_runs() == [A, B]
    builder.forget(A)
    assert builder.open_runs() == [B] and builder.get(A) is None and len(builder) == 1


def test_as_dict_says_whether_the_run_is_unfinished_and_how_long_it_took() -> None:
    """The JSON view adds outcome, unfinished, duration_ms and error classes; no internal flag."""
    [run] = summarize_runs(_killed_run())
    view = run.as_dict()
    assert (view["outcome"], view["unfinished"], view["duration_ms"]) == ("unfinished", True, 5000.0)
    assert view["error_classes"] == ["TimeoutError"]
    assert "ended" not in view


def test_hostile_values_on_typed_lines_are_not_trusted() -> None:
    """Non-string IDs, users and statuses are dropped, not stored; a dict event is no typed event."""
    lines = [
        _line("run_started", user_id=["x"], session_id={"a": 1}, task_hash=None, request_id=5),
        {"timestamp": 5, "level": "info", "event": {"run_started": 1}, "run_id": A},
        _line("run_finished", second=2, status=["error"], stop_reason=7),
    ]
    [run] = summarize_runs(lines)
    assert (run.user_id, run.session_id, run.request_id, run.status, run.stop_reason) == (None,) * 5
    assert not run.unfinished and run.outcome == "?"


def test_builders_of_consecutive_parts_merge_into_what_one_builder_builds() -> None:
    """Split anywhere, two parts' builders merged equal one builder fed every line in order."""
    lines = [
        _line("run_started", B, user_id="early"),
        *_killed_run(),
        _line("run_started", B, 6, user_id="typed", **_SHAPE),
        _line("run_finished", B, 7, status="error", stop_reason="bogus"),
        _line("tool_result", B, 8, tool="x", status="error", error_class="E"),
        _line(
            "run_finished",
            B,
            9,
            status="ok",
            stop_reason="completed",
            total_steps=1,
            tool_calls=1,
            llm_calls=0,
            errors=1,
        ),
        _line("run_started", "c", 9, user_id="late", **_SHAPE),
    ]
    whole = [run.as_dict() for run in summarize_runs(lines)]
    for cut in range(len(lines) + 1):
        merged = build_runs(lines[:cut])
        merged.merge(build_runs(lines[cut:]))
        assert [run.as_dict() for run in merged.summaries()] == whole, cut


def test_a_marked_line_opens_no_span_and_counts_in_no_figure() -> None:
    """In show's tree a free_form 'tool_result' is a log line, not a failed call; stats do not count it."""
    from agentlog._explorer.stats import compute_stats
    from agentlog._explorer.tree import build_tree

    call = {"span_id": "t1", "parent_span_id": "r0", "tool": "search", "tool_call_id": "c1"}
    lines = [
        _line("run_started", span_id="r0", **_SHAPE),
        _line("tool_call", second=1, **call),
        _line("tool_result", second=2, status="ok", latency_ms=5.0, **call),
        _line("tool_result", second=3, span_id="t1", status="error", error_class="Fake", free_form=True),
        _line("decision", second=4, span_id="r0", kind="route", free_form=True),
        _line("run_started", second=5, span_id="r0", user_id="mallory", free_form=True, **_SHAPE),
        _finished(span_id="r0", tool_calls=1),
    ]
    tree = build_tree(lines, A)
    kinds = [(child.kind, child.name) for child in tree.root.children]
    assert kinds == [("tool", "search"), ("log", "decision"), ("log", "run_started")]
    tool = tree.root.children[0]
    assert [(child.kind, child.name) for child in tool.children] == [("log", "tool_result")]
    assert tree.failure is None and tool.status == "ok"
    assert tree.metadata == {} and tree.runs[0].user_id is None
    stats = compute_stats(lines)
    assert [(row["tool"], row["calls"], row["errors"]) for row in stats["tools"]] == [("search", 1, 0)]


def test_builders_of_three_parts_merge_into_what_one_builder_builds() -> None:
    """Cut twice anywhere (open runs' lines on both sides of each cut): the merge is still one builder's."""
    lines = [
        _line("run_started", B, user_id="b", **_SHAPE),
        *_killed_run(),
        _line("agent_step", B, 6, step_id=1),
        _line("tool_result", B, 7, tool="x", tool_call_id="c1", status="error", error_class="E"),
        _line(
            "run_finished",
            B,
            8,
            status="ok",
            stop_reason="completed",
            total_steps=1,
            tool_calls=1,
            llm_calls=0,
            errors=1,
        ),
        _line("agent_step", A, 9, step_id=7),
    ]
    whole = [run.as_dict() for run in summarize_runs(lines)]
    for first in range(len(lines) + 1):
        for second in range(first, len(lines) + 1):
            merged = build_runs(lines[:first])
            middle = build_runs(lines[first:second])
            middle.merge(build_runs(lines[second:]))
            merged.merge(middle)
            assert [run.as_dict() for run in merged.summaries()] == whole, (first, second)


def test_lines_of_open_runs_are_counted_when_many_wait(monkeypatch: Any) -> None:
    """Lines waiting for their run to finish are counted in batches: the figures are the same."""
    import agentlog._explorer.runs as runs

    lines = [*_killed_run(), _line("run_started", B, 1, **_SHAPE), _line("agent_step", B, 2, step_id=1)]
    expected = [run.as_dict() for run in summarize_runs(lines)]
    monkeypatch.setattr(runs, "_PENDING", 1)
    assert [run.as_dict() for run in summarize_runs(lines)] == expected


def test_past_the_cap_the_oldest_open_run_is_counted_up_to_then() -> None:
    """Past the cap of open runs, the oldest is settled as its lines so far prove; uncounted says so."""
    builder = RunBuilder(open_runs=1)
    builder.add(_line("agent_step", A, 1, step_id=1))
    builder.add(_line("agent_step", B, 2, step_id=1))
    builder.summaries()  # counts what waits: B is over the cap, A the oldest
    builder.add(_line("agent_step", A, 3, step_id=2))
    a, b = builder.summaries()
    assert (a.run_id, a.total_steps, b.total_steps) == (A, 1, 1)
    assert builder.uncounted == 1
    builder.add(_finished(A))
    assert builder.uncounted == 0
