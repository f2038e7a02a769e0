"""Figures across runs: per tool, per model, stop reasons, slowest and repeated tool calls."""

from __future__ import annotations

from typing import Any

from agentlog._explorer.stats import compute_stats

A = "aaaaaaaa-0000-4000-8000-000000000001"
B = "bbbbbbbb-0000-4000-8000-000000000002"


def _line(event: str, run_id: str = A, **fields: Any) -> dict[str, Any]:
    return {"timestamp": "2026-11-22T03:00:00Z", "level": "info", "event": event, "run_id": run_id, **fields}


def _result(tool: str, latency_ms: Any, status: str = "ok", **fields: Any) -> dict[str, Any]:
    return _line("tool_result", tool=tool, latency_ms=latency_ms, status=status, **fields)


def test_per_tool_calls_errors_and_error_rate() -> None:
    """Each tool_result is a call; an error status is an error; tools by most calls first."""
    lines = [_result("search", 1), _result("fetch", 2, "error"), _result("fetch", 3), _result("fetch", 4)]
    rows = compute_stats(lines)["tools"]
    assert [(row["tool"], row["calls"], row["errors"], row["error_rate"]) for row in rows] == [
        ("fetch", 3, 1, 0.3333),
        ("search", 1, 0, 0.0),
    ]


def test_latency_percentiles_are_nearest_rank() -> None:
    """p50, p95 and p99 are values that were seen, picked by nearest rank."""
    [row] = compute_stats([_result("t", ms) for ms in (50, 10, 40, 20, 30)])["tools"]
    assert (row["p50_ms"], row["p95_ms"], row["p99_ms"]) == (30, 50, 50)


def test_a_tool_result_without_a_numeric_latency_has_no_percentile() -> None:
    """A latency that is missing or not a number counts the call but not its time."""
    [row] = compute_stats([_result("t", "slow"), _result("t", None)])["tools"]
    assert (row["calls"], row["p50_ms"]) == (2, None)
    assert compute_stats([_result("t", "slow")])["slowest_tool_calls"] == []


def test_per_model_calls_tokens_and_latency() -> None:
    """llm_result lines add up per model: calls, input and output tokens; bool tokens count 0."""
    lines = [
        _line("llm_result", model="gpt", input_tokens=100, output_tokens=10, latency_ms=200),
        _line("llm_result", model="gpt", input_tokens=50, output_tokens=True, latency_ms=400),
        _line("llm_result", model="claude", input_tokens=1, output_tokens=2),
    ]
    models = {row["model"]: row for row in compute_stats(lines)["models"]}
    assert (models["gpt"]["calls"], models["gpt"]["input_tokens"], models["gpt"]["output_tokens"]) == (
        2,
        150,
        10,
    )
    assert (models["gpt"]["p50_ms"], models["gpt"]["p95_ms"]) == (200, 400)
    assert (models["claude"]["calls"], models["claude"]["p50_ms"]) == (1, None)


def _llm(model: str, latency_ms: Any, status: str = "ok") -> dict[str, Any]:
    return _line("llm_result", model=model, latency_ms=latency_ms, status=status, input_tokens=1)


def test_per_model_errors_and_error_rate() -> None:
    """An llm_result with status error is an error of its model; the rate is errors over calls."""
    lines = [_llm("gpt", 1, "error"), _llm("gpt", 2), _llm("gpt", 3), _llm("claude", 4)]
    rows = compute_stats(lines)["models"]
    assert [(row["model"], row["calls"], row["errors"], row["error_rate"]) for row in rows] == [
        ("gpt", 3, 1, 0.3333),
        ("claude", 1, 0, 0.0),
    ]


def test_per_model_p99_is_nearest_rank_like_the_tools() -> None:
    """A model's p99 is a latency that was seen, picked by nearest rank, as per tool."""
    [row] = compute_stats([_llm("gpt", ms) for ms in range(1, 201)])["models"]
    assert (row["p50_ms"], row["p95_ms"], row["p99_ms"]) == (101, 190, 198)


def test_model_errors_add_up_when_builders_merge() -> None:
    """A model's errors counted by two builders of consecutive parts add up to the whole's."""
    from agentlog._explorer.stats import StatsBuilder

    lines = [_llm("gpt", 1, "error"), _llm("gpt", 2), _llm("gpt", 3, "error")]
    first, later = StatsBuilder(), StatsBuilder()
    first.add_all(lines[:1])
    later.add_all(lines[1:])
    first.merge(later)
    [row] = first.result()["models"]
    assert (row["errors"], row["error_rate"]) == (2, 0.6667)


def test_stop_reasons_are_counted_per_run_finished() -> None:
    """Each run_finished adds one to its stop reason, most frequent first."""
    lines = [_line("run_finished", stop_reason=reason) for reason in ("completed", "tool_error", "completed")]
    stats = compute_stats([*lines, _line("run_finished")])
    assert list(stats["stop_reasons"].items()) == [("completed", 2), ("tool_error", 1), ("None", 1)]


def test_slowest_tool_calls_are_the_top_n_by_latency() -> None:
    """The slowest calls, slowest first, at most `top` of them, with their run and call IDs."""
    lines = [_result("t", ms, tool_call_id=f"c{ms}") for ms in range(1, 60)]
    slowest = compute_stats(lines, top=3)["slowest_tool_calls"]
    assert [(row["latency_ms"], row["tool_call_id"], row["run_id"]) for row in slowest] == [
        (59.0, "c59", A),
        (58.0, "c58", A),
        (57.0, "c57", A),
    ]


def test_repeated_tool_calls_are_the_same_arguments_in_one_run() -> None:
    """The same tool with the same args_hash more than once in one run is listed; once is not."""
    lines = [
        *[_line("tool_call", tool="search", args_hash="h1") for _ in range(3)],
        _line("tool_call", B, tool="search", args_hash="h1"),
        _line("tool_call", tool="search", args_hash="h2"),
        _line("tool_call", tool="search", args_hash=None),
    ]
    assert compute_stats(lines)["repeated_tool_calls"] == [
        {"run_id": A, "tool": "search", "args_hash": "h1", "count": 3}
    ]


def test_other_lines_are_ignored() -> None:
    """Log lines and other events add nothing."""
    stats = compute_stats([_line("hello"), _line("agent_step"), _line("tool_call", tool="t")])
    assert (stats["tools"], stats["models"], stats["stop_reasons"], stats["repeated_tool_calls"]) == (
        [],
        [],
        {},
        [],
    )


def test_a_finished_runs_calls_are_not_kept() -> None:
    """Memory does not grow with runs: once a run_finished counts all its tool calls, they are let go."""
    from agentlog._explorer.stats import StatsBuilder

    builder = StatsBuilder()
    for index in range(100):
        run_id = f"{index:08d}-0000-4000-8000-000000000000"
        calls = [_line("tool_call", run_id, tool="search", args_hash="h") for _ in range(2)]
        builder.add_all([*calls, _line("run_finished", run_id, stop_reason="completed", tool_calls=2)])
    assert (builder.open, builder.closed_elsewhere) == ({}, {})
    assert len(builder.result()["repeated_tool_calls"]) == 10


def test_builders_of_consecutive_parts_merge_into_the_whole() -> None:
    """Cut anywhere, two builders merged hold what one fed every line holds."""
    from agentlog._explorer.stats import StatsBuilder

    lines = []
    for index, run_id in enumerate((A, B, A.replace("a", "c"))):
        lines += [_line("tool_call", run_id, tool="t", args_hash="h") for _ in range(index + 1)]
        lines += [_result("t", index * 10 + 1, tool_call_id=f"c{index}", run_id=run_id)]
        lines += [_line("run_finished", run_id, stop_reason="completed", tool_calls=index + 1)]
    whole = compute_stats(lines)
    for cut in range(len(lines) + 1):
        first, later = StatsBuilder(), StatsBuilder()
        first.add_all(lines[:cut])
        later.add_all(lines[cut:])
        first.merge(later)
        assert first.result() == whole, cut
