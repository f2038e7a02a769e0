"""``agentlog compare``: two groups of runs side by side, and what differs beyond chance.

Most tests read a generated log with a seeded regression whose every figure
is known: prompt_version v7 against v8, 60 runs each, ``search_docs`` failing
three times as often in v8, more runs stopping at ``max_steps``, slower runs,
more tokens and cost, some unfinished runs and some LLM calls without a price.
The p-values are checked against SciPy.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import orjson
import pytest
from scipy import stats  # type: ignore[import-untyped]

import agentlog
from agentlog import events
from agentlog._explorer.compare import CompareError, Comparison, compare_runs, compare_text, statement
from agentlog._explorer.facts import CallFacts, RunFacts
from agentlog._explorer.text import Style
from agentlog.cli import main

HOSTILE = "\x1b[2J\x1b[31mv9\x07\u202eevil\r\n"
RUNS = 60
SEARCH_CALLS, FETCH_CALLS = 5, 2
"""Tool calls per run (unfinished runs made them too)."""


def _stamp(day: int, second: int) -> str:
    """Run *second* of the day's batch: the batch starts at 10:00 and runs start a second apart."""
    return f"2026-11-{day:02d}T10:{second // 60:02d}:{second % 60:02d}.000Z"


def _typed(event: str, run_id: str, timestamp: str, **fields: Any) -> dict[str, Any]:
    return {"timestamp": timestamp, "level": "info", "event": event, "run_id": run_id, **fields}


def _run_lines(
    run_id: str,
    started: str,
    *,
    metadata: dict[str, Any],
    search_errors: int = 0,
    fetch_errors: int = 0,
    repeated: bool = False,
    model: str = "gpt-4o",
    tokens: tuple[int, int] = (1000, 200),
    cost: float | None = 0.01,
    stop_reason: str | None = "completed",
    status: str = "ok",
    latency_ms: float = 1000.0,
    parent_run_id: str | None = None,
) -> list[dict[str, Any]]:
    """One run's lines as agentlog writes them; ``stop_reason=None`` leaves it unfinished."""
    start = {"task_hash": "sha256:0", "request_id": None, "session_id": None, **metadata}
    if parent_run_id is not None:
        start["parent_run_id"] = parent_run_id
    lines = [_typed("run_started", run_id, started, **start)]
    errors = 0
    for index in range(SEARCH_CALLS):
        call_id = f"{run_id}-s{index}"
        args_hash = "sha256:same" if repeated and index < 2 else f"sha256:{index}"
        lines.append(
            _typed(
                "tool_call", run_id, started, tool="search_docs", args_hash=args_hash, tool_call_id=call_id
            )
        )
        failed = index < search_errors
        errors += failed
        lines.append(
            _typed(
                "tool_result",
                run_id,
                started,
                tool="search_docs",
                tool_call_id=call_id,
                status="error" if failed else "ok",
                latency_ms=20.0,
                **({"error_class": "TimeoutError", "error_message": "slow"} if failed else {}),
            )
        )
    for index in range(FETCH_CALLS):
        call_id = f"{run_id}-f{index}"
        lines.append(
            _typed(
                "tool_call",
                run_id,
                started,
                tool="fetch_page",
                args_hash=f"sha256:f{index}",
                tool_call_id=call_id,
            )
        )
        failed = index < fetch_errors
        errors += failed
        lines.append(
            _typed(
                "tool_result",
                run_id,
                started,
                tool="fetch_page",
                tool_call_id=call_id,
                status="error" if failed else "ok",
                latency_ms=50.0,
                **({"error_class": "HTTPError", "error_message": "404"} if failed else {}),
            )
        )
    priced = {} if cost is None else {"cost_usd": cost, "price_source": "configured", "price_version": "t1"}
    lines.append(
        _typed(
            "llm_result",
            run_id,
            started,
            model=model,
            provider="openai",
            input_tokens=tokens[0],
            output_tokens=tokens[1],
            latency_ms=300.0,
            status="ok",
            **priced,
        )
    )
    if stop_reason is not None:
        lines.append(
            _typed(
                "run_finished",
                run_id,
                started,
                status=status,
                stop_reason=stop_reason,
                total_steps=3,
                total_latency_ms=latency_ms,
                tool_calls=SEARCH_CALLS + FETCH_CALLS,
                llm_calls=1,
                errors=errors,
                input_tokens=tokens[0],
                output_tokens=tokens[1],
            )
        )
    return lines


def _v7(index: int) -> list[dict[str, Any]]:
    """v7: search_docs fails 12 times in 300, 3 stop at max_steps, 2 repeat a call; 4 runs without a version.

    The 4 runs (a health check started beside the first 4 v7 runs) have no
    ``prompt_version`` and no parent run: they are in neither group.
    """
    run_id = f"70000000-0000-4000-8000-{index:012d}"
    lines = _run_lines(
        run_id,
        _stamp(20, index),
        metadata={"prompt_version": "v7"},
        search_errors=1 if index < 12 else 0,
        fetch_errors=1 if index < 3 else 0,
        repeated=index < 2,
        stop_reason="max_steps" if index < 3 else "completed",
        latency_ms=1000.0 + 10 * index,
    )
    if index < 4:
        check = _run_lines(
            f"7c000000-0000-4000-8000-{index:012d}",
            _stamp(20, index),
            metadata={},
            cost=None,
            tokens=(0, 0),
        )
        lines[1:1] = check
    return lines


def _v8(index: int) -> list[dict[str, Any]]:
    """v8: search_docs fails 36 times in 300; max_steps 12, tool_error 2, unfinished 3; 5 unpriced calls."""
    if index < 12:
        stop_reason, status = "max_steps", "ok"
    elif index < 14:
        stop_reason, status = "tool_error", "error"
    elif index < 17:
        stop_reason, status = None, "ok"  # unfinished: the process was killed
    else:
        stop_reason, status = "completed", "ok"
    return _run_lines(
        f"80000000-0000-4000-8000-{index:012d}",
        _stamp(21, index),
        metadata={"prompt_version": "v8"},
        search_errors=1 if index < 36 else 0,
        fetch_errors=1 if index < 3 else 0,
        repeated=index < 10,
        model="mystery-model" if index < 5 else "gpt-4o",
        tokens=(1500, 300),
        cost=None if index < 5 else 0.015,
        stop_reason=stop_reason,
        status=status,
        latency_ms=1500.0 + 10 * index,
    )


def _write(path: Path, lines: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path


@pytest.fixture(scope="module")
def regression(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded regression, v8's runs written first (so that A must be found by start time)."""
    folder = tmp_path_factory.mktemp("compare")
    lines = [line for index in range(RUNS) for line in _v8(index)]
    lines += [line for index in range(RUNS) for line in _v7(index)]
    return _write(folder / "agent.jsonl", lines)


def _compare(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["compare", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _json(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    code, out, err = _compare(str(path), "--by", "prompt_version", *extra, "--json", capsys=capsys)
    assert (code, err) == (0, "")
    document: dict[str, Any] = orjson.loads(out)
    return document


def _figure(document: dict[str, Any], figure: str, name: str | None = None) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        row for row in document["figures"] if row["figure"] == figure and row["name"] == name
    ]
    assert len(found) == 1
    return found[0]


def _scipy_fisher(x1: int, n1: int, x2: int, n2: int) -> float:
    return float(stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]], alternative="two-sided")[1])


def _scipy_mann_whitney(x: list[float], y: list[float]) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic", use_continuity=True)
    return float(result.pvalue)


# -- the seeded regression, end to end ---------------------------------------------------------------

V7_LATENCIES = [1000.0 + 10 * index for index in range(RUNS)]
V8_LATENCIES = [1500.0 + 10 * index for index in range(RUNS) if not 14 <= index < 17]


def test_the_groups_are_the_two_versions_earlier_first(
    regression: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without values given, the key's two values are compared, A the one whose first run started earlier."""
    document = _json(regression, capsys)
    assert (document["by"], document["a"], document["b"], document["alpha"]) == (
        "prompt_version",
        "v7",
        "v8",
        0.05,
    )
    assert [group["value"] for group in document["groups"]] == ["v7", "v8"]
    assert document["runs_without_value"] == 4  # the health checks
    assert list(document) == ["by", "a", "b", "alpha", "runs_without_value", "groups", "figures"]
    assert all(
        list(row) == ["figure", "name", "test", "a", "b", "ratio", "p_value", "larger_than_chance"]
        for row in document["figures"]
    )


def test_every_figure_of_the_first_group(regression: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """v7: every count, rate, percentile, token and cost figure, exactly."""
    [v7, _] = _json(regression, capsys)["groups"]
    assert v7 == {
        "value": "v7",
        "runs": 60,
        "completed": 57,
        "completion_rate": 57 / 60,
        "failed": 0,
        "unfinished": 0,
        "errors": 15,
        "tool_calls": 420,
        "tool_errors": 15,
        "tool_error_rate": 15 / 420,
        "llm_calls": 60,
        "llm_errors": 0,
        "input_tokens": 60_000,
        "output_tokens": 12_000,
        "cost_usd": 0.6,
        "cost_per_run": 0.01,
        "priced_llm_calls": 60,
        "unpriced_llm_calls": 0,
        "repeated_call_runs": 2,
        "repeated_call_rate": 2 / 60,
        # Nearest rank over 1000 ... 1590: indexes round(29.5) = 30, round(56.05) = 56, round(58.41) = 58
        "latency_p50_ms": 1300.0,
        "latency_p95_ms": 1560.0,
        "latency_p99_ms": 1580.0,
        "failed_rate": 0.0,
        "tokens_per_run": 1200.0,
        "tools": [
            {"tool": "search_docs", "calls": 300, "errors": 12, "error_rate": 0.04},
            {"tool": "fetch_page", "calls": 120, "errors": 3, "error_rate": 0.025},
        ],
        "stop_reasons": [
            {"stop_reason": "completed", "runs": 57, "share": 0.95},
            {"stop_reason": "max_steps", "runs": 3, "share": 0.05},
        ],
    }


def test_every_figure_of_the_second_group(regression: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """v8: unfinished runs count as runs (never completed), not in latency; unpriced calls have no cost."""
    [_, v8] = _json(regression, capsys)["groups"]
    assert v8 == {
        "value": "v8",
        "runs": 60,
        "completed": 43,
        "completion_rate": 43 / 60,
        "failed": 2,
        "unfinished": 3,
        "errors": 39,
        "tool_calls": 420,
        "tool_errors": 39,
        "tool_error_rate": 39 / 420,
        "llm_calls": 60,
        "llm_errors": 0,
        "input_tokens": 90_000,
        "output_tokens": 18_000,
        "cost_usd": 0.825,  # 55 priced calls at 0.015
        "cost_per_run": 0.825 / 60,
        "priced_llm_calls": 55,
        "unpriced_llm_calls": 5,
        "repeated_call_runs": 10,
        "repeated_call_rate": 10 / 60,
        # 57 finished runs: 1500 ... 1630, then 1670 ... 2090; indexes 28, 53, 55.
        "latency_p50_ms": 1810.0,
        "latency_p95_ms": 2060.0,
        "latency_p99_ms": 2080.0,
        "failed_rate": 2 / 60,
        "tokens_per_run": 1800.0,
        "tools": [
            {"tool": "search_docs", "calls": 300, "errors": 36, "error_rate": 0.12},
            {"tool": "fetch_page", "calls": 120, "errors": 3, "error_rate": 0.025},
        ],
        "stop_reasons": [
            {"stop_reason": "completed", "runs": 43, "share": 43 / 60},
            {"stop_reason": "max_steps", "runs": 12, "share": 0.2},
            {"stop_reason": "unfinished", "runs": 3, "share": 0.05},
            {"stop_reason": "tool_error", "runs": 2, "share": 2 / 60},
        ],
    }


RATES = [
    ("completion_rate", None, (57, 60), (43, 60)),
    ("failed_rate", None, (0, 60), (2, 60)),
    ("tool_error_rate", None, (15, 420), (39, 420)),
    ("tool_error_rate", "fetch_page", (3, 120), (3, 120)),
    ("tool_error_rate", "search_docs", (12, 300), (36, 300)),
    ("stop_reason_share", "max_steps", (3, 60), (12, 60)),
    ("stop_reason_share", "tool_error", (0, 60), (2, 60)),
    ("stop_reason_share", "unfinished", (0, 60), (3, 60)),
    ("repeated_call_rate", None, (2, 60), (10, 60)),
]


def test_the_figures_compared_in_order(regression: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Rates first (completed not again as a stop reason), then the measures per run."""
    document = _json(regression, capsys)
    assert [(row["figure"], row["name"], row["test"]) for row in document["figures"]] == [
        *((figure, name, "fisher_exact") for figure, name, _, _ in RATES),
        ("latency_ms", None, "mann_whitney_u"),
        ("tokens_per_run", None, "mann_whitney_u"),
        ("cost_per_run", None, "mann_whitney_u"),
    ]


@pytest.mark.parametrize(("figure", "name", "a", "b"), RATES, ids=[f"{f}-{n}" for f, n, _, _ in RATES])
def test_each_rate_is_tested_with_fisher_as_scipy_computes_it(
    regression: Path,
    capsys: pytest.CaptureFixture[str],
    figure: str,
    name: str | None,
    a: tuple[int, int],
    b: tuple[int, int],
) -> None:
    """The counts of each rate, its ratio and its p-value (SciPy's, on the same 2x2 table)."""
    row = _figure(_json(regression, capsys), figure, name)
    assert row["a"] == {"count": a[0], "of": a[1], "rate": a[0] / a[1]}
    assert row["b"] == {"count": b[0], "of": b[1], "rate": b[0] / b[1]}
    if a[0]:
        assert row["ratio"] == pytest.approx((b[0] / b[1]) / (a[0] / a[1]), rel=1e-12)
    else:
        assert row["ratio"] is None
    p = _scipy_fisher(*a, *b)
    assert row["p_value"] == pytest.approx(p, rel=1e-9)
    assert row["larger_than_chance"] is (p < 0.05)


def test_the_regression_is_larger_than_chance_and_the_unchanged_tool_is_not(
    regression: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """search_docs 4% → 12% is a finding; fetch_page 2.5% → 2.5% is within chance (p = 1)."""
    document = _json(regression, capsys)
    search = _figure(document, "tool_error_rate", "search_docs")
    assert search["ratio"] == pytest.approx(3.0)
    assert search["larger_than_chance"] and search["p_value"] < 0.001
    fetch = _figure(document, "tool_error_rate", "fetch_page")
    assert (fetch["ratio"], fetch["p_value"], fetch["larger_than_chance"]) == (1.0, 1.0, False)


def test_latency_tokens_and_cost_are_tested_with_mann_whitney(
    regression: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Per-run samples (finished runs' latency, every run's tokens, priced runs' cost); SciPy's p-values."""
    document = _json(regression, capsys)
    latency = _figure(document, "latency_ms")
    assert latency["a"] == {"n": 60, "median": 1300.0, "mean": sum(V7_LATENCIES) / 60}
    assert latency["b"] == {"n": 57, "median": 1810.0, "mean": sum(V8_LATENCIES) / 57}
    assert latency["p_value"] == pytest.approx(_scipy_mann_whitney(V7_LATENCIES, V8_LATENCIES), rel=1e-9)
    assert latency["ratio"] is None and latency["larger_than_chance"]
    tokens = _figure(document, "tokens_per_run")
    assert (tokens["a"], tokens["b"]) == (
        {"n": 60, "median": 1200.0, "mean": 1200.0},
        {"n": 60, "median": 1800.0, "mean": 1800.0},
    )
    assert tokens["p_value"] == pytest.approx(_scipy_mann_whitney([1200.0] * 60, [1800.0] * 60), rel=1e-9)
    cost = _figure(document, "cost_per_run")
    assert (cost["a"]["n"], cost["a"]["median"], cost["b"]["n"], cost["b"]["median"]) == (60, 0.01, 55, 0.015)
    assert cost["p_value"] == pytest.approx(_scipy_mann_whitney([0.01] * 60, [0.015] * 55), rel=1e-9)


def test_the_text_states_each_finding_with_its_test_and_p_value(
    regression: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sentence per difference larger than chance (a rate's ratio too); the figures within chance named."""
    code, out, err = _compare(str(regression), "--by", "prompt_version", "--color", "never", capsys=capsys)
    assert (code, err) == (0, "")
    p = _scipy_fisher(12, 300, 36, 300)
    assert f"{p:.2g}" in out
    assert (
        "  search_docs error rate 4.0% (12/300) → 12.0% (36/300), 3.0× — larger than chance"
        f" (Fisher's exact test, p = {p:.2g})"
    ) in out.splitlines()
    assert "  completion rate 95.0% (57/60) → 71.7% (43/60), 0.75× — larger than chance" in out
    assert "latency median 1.300 s → 1.810 s (60 → 57 runs) — larger than chance (Mann-Whitney U test" in out
    lines = out.splitlines()
    within = lines[lines.index("Within chance:") + 1 :]
    assert within[:2] == [
        "  failed runs 0.0% (0/60) → 3.3% (2/60) — within chance (Fisher's exact test, p = 0.5)",
        "  fetch_page error rate 2.5% (3/120) → 2.5% (3/120), 1.0× — within chance"
        " (Fisher's exact test, p = 1)",
    ]
    assert out.splitlines()[0] == "prompt_version: v7 (A) → v8 (B)"
    assert "4 runs without prompt_version (nor a parent run with it): in neither group" in out


def test_the_text_shows_both_groups_side_by_side(
    regression: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The table: a row per figure, A's value then B's, with counts."""
    _, out, _ = _compare(str(regression), "--by", "prompt_version", capsys=capsys)
    rows = {line[:30].strip(): line[30:].split() for line in out.splitlines() if len(line) > 30}
    assert rows["runs"] == ["60", "60"]
    assert rows["unfinished runs"] == ["0", "3"]
    assert rows["unfinished"] == ["0.0%", "(0/60)", "5.0%", "(3/60)"]
    assert rows["search_docs"] == ["4.0%", "(12/300)", "12.0%", "(36/300)"]
    assert rows["tool_error"] == ["0.0%", "(0/60)", "3.3%", "(2/60)"]
    assert rows["latency p95"] == ["1.560", "s", "2.060", "s"]
    assert rows["tokens per run"] == ["1,200.0", "1,800.0"]
    assert rows["cost per run"] == ["$0.01000", "$0.01375"]
    assert rows["unpriced LLM calls"] == ["0", "5"]


def test_values_given_choose_the_order(regression: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--by KEY B A`` compares the other way round: A is the first value given."""
    document = _json(regression, capsys, "v8", "v7")
    assert (document["a"], document["b"]) == ("v8", "v7")
    search = _figure(document, "tool_error_rate", "search_docs")
    assert (search["a"]["count"], search["b"]["count"]) == (36, 12)
    assert search["ratio"] == pytest.approx(1 / 3)


def test_a_window_keeps_the_runs_started_in_it(regression: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--since/--until choose runs by their start: at or after since, before until."""
    document = _json(regression, capsys, "--since", "2026-11-20T10:00:30Z")
    v7 = document["groups"][0]
    assert (v7["value"], v7["runs"], v7["tools"][0]) == (
        "v7",
        30,
        {"tool": "search_docs", "calls": 150, "errors": 0, "error_rate": 0.0},
    )
    assert document["runs_without_value"] == 0  # the health checks started before the window
    code, _, err = _compare(
        str(regression),
        "--by",
        "prompt_version",
        "v7",
        "v8",
        "--until",
        "2026-11-21T00:00:00Z",
        capsys=capsys,
    )
    assert code == 2
    assert err == "agentlog: no run has prompt_version = 'v8'; values: 'v7' (60 runs)\n"


# -- choosing the groups ---------------------------------------------------------------------------


def _run(run_id: str, started: str | None = "2026-11-20T10:00:00Z", **fields: Any) -> RunFacts:
    """A finished, completed run in the group ``prompt_version`` = *version* (a keyword), built by hand."""
    version = fields.pop("version", None)
    metadata = {"prompt_version": version} if version is not None else {}
    defaults: dict[str, Any] = {
        "status": "ok",
        "stop_reason": "completed",
        "unfinished": False,
        "duration_ms": 100.0,
        "metadata": metadata,
    }
    return RunFacts(run_id, started=started, **{**defaults, **fields})


def test_a_is_the_group_whose_first_run_started_earlier() -> None:
    """The first run of each group decides, whatever the order of the runs or the values' names."""
    runs = [
        _run("1", "2026-11-20T12:00:00Z", version="alpha"),
        _run("2", "2026-11-20T09:00:00Z", version="zeta"),
        _run("3", "2026-11-20T08:00:00Z", version="alpha"),
    ]
    comparison = compare_runs(runs, "prompt_version")
    assert (comparison.a, comparison.b) == ("alpha", "zeta")
    assert compare_runs(runs[:2], "prompt_version").a == "zeta"


def test_a_group_without_a_start_time_comes_second() -> None:
    """Runs with no readable start come after any that has one; with none, the values' order decides."""
    runs = [_run("1", None, version="a"), _run("2", "2026-11-20T09:00:00Z", version="b")]
    assert (compare_runs(runs, "prompt_version").a, compare_runs(runs, "prompt_version").b) == ("b", "a")
    undated = [_run("1", None, version="y"), _run("2", "not a time", version="x")]
    assert compare_runs(undated, "prompt_version").a == "x"


def test_more_than_two_values_must_be_named() -> None:
    """Three values and none chosen: an error listing them, most runs first."""
    runs = [_run(str(i), version=version) for i, version in enumerate(["v1", "v2", "v2", "v3"])]
    with pytest.raises(CompareError) as raised:
        compare_runs(runs, "prompt_version")
    assert str(raised.value) == (
        "prompt_version has 3 values: name the two to compare (--by KEY A B);"
        " values: 'v2' (2 runs), 'v1' (1 run), 'v3' (1 run)"
    )
    assert compare_runs(runs, "prompt_version", "v3", "v1").groups[0]["value"] == "v3"


def test_a_long_list_of_values_is_cut_short() -> None:
    """A key with thousands of values (a user ID) names twenty and counts the rest."""
    runs = [_run(str(i), version=f"u{i:03d}") for i in range(25)]
    with pytest.raises(CompareError, match=r"'u019' \(1 run\) and 5 more$"):
        compare_runs(runs, "prompt_version")


@pytest.mark.parametrize(
    ("runs", "message"),
    [
        ([], "no run has prompt_version: nothing to compare"),
        ([_run("1")], "no run has prompt_version: nothing to compare"),
        (
            [_run("1", version="v1"), _run("2", version="v1")],
            "every run has the same prompt_version: nothing to compare it with; values: 'v1' (2 runs)",
        ),
    ],
    ids=["no-runs", "no-value", "one-value"],
)
def test_fewer_than_two_values_is_an_error(runs: list[RunFacts], message: str) -> None:
    """No run, no run with the key, or one value only: nothing to compare."""
    with pytest.raises(CompareError) as raised:
        compare_runs(runs, "prompt_version")
    assert str(raised.value) == message


def test_values_that_no_run_has_or_the_same_twice_are_errors() -> None:
    """A value with no runs (a typo, or none in the window), the same value twice, or only one value given."""
    runs = [_run("1", version="v1"), _run("2", version="v2")]
    with pytest.raises(CompareError, match=r"^no run has prompt_version = 'v9'; values: 'v1' \(1 run\)"):
        compare_runs(runs, "prompt_version", "v1", "v9")
    with pytest.raises(CompareError, match="the two values are the same"):
        compare_runs(runs, "prompt_version", "v1", "v1")
    with pytest.raises(CompareError, match="both values"):
        compare_runs(runs, "prompt_version", "v1")


def test_a_run_without_a_value_is_in_neither_group() -> None:
    """Without the key, with it null, or with an object for a value: left out of both groups, and counted."""
    runs = [
        _run("1", version="v1"),
        _run("2"),
        _run("3", metadata={"prompt_version": None}),
        _run("4", metadata={"prompt_version": {"a": 1}}),
        _run("5", "2026-11-20T11:00:00Z", version="v2"),
    ]
    comparison = compare_runs(runs, "prompt_version")
    assert (comparison.a, comparison.b, comparison.without_value) == ("v1", "v2", 3)
    assert comparison.as_dict()["runs_without_value"] == 3


def test_by_user_and_by_service_use_the_run_fields() -> None:
    """The named keys read the run's own fields, not its metadata; a run without one is in neither group."""
    runs = [
        _run("1", user_id="alice", service="api"),
        _run("2", user_id="bob", service="api"),
        _run("3", service="worker"),
    ]
    by_user = compare_runs(runs, "user")
    assert (by_user.a, by_user.b, by_user.without_value) == ("alice", "bob", 1)
    assert compare_runs(runs, "service", "worker", "api").groups[1]["runs"] == 2


def test_by_model_counts_that_models_calls_only() -> None:
    """A run that called two models is in both groups; each group's tokens and cost are its model's calls."""
    both = {
        "gpt": CallFacts(calls=1, input_tokens=100, output_tokens=10, cost_usd=Decimal("0.5"), priced=1),
        "claude": CallFacts(calls=1, input_tokens=200, output_tokens=20, unpriced=1),
    }
    runs = [_run("1", models=both), _run("2", "2026-11-20T11:00:00Z", models={"claude": both["claude"]})]
    comparison = compare_runs(runs, "model", "gpt", "claude")
    gpt, claude = comparison.groups
    assert (gpt["runs"], gpt["tokens_per_run"], gpt["cost_usd"]) == (1, 110.0, 0.5)
    assert (claude["runs"], claude["tokens_per_run"], claude["cost_usd"], claude["unpriced_llm_calls"]) == (
        2,
        220.0,
        None,
        2,
    )
    cost = next(figure for figure in comparison.figures if figure.figure == "cost_per_run")
    assert (cost.a["n"], cost.b["n"], cost.p_value) == (1, 0, None)  # claude's cost is unknown: not tested


def test_by_tool_counts_that_tools_calls_only() -> None:
    """In a tool's group, the tool rows and the tool error rate are that tool's calls."""
    tools = {"search": CallFacts(calls=4, errors=1), "fetch": CallFacts(calls=2, errors=2)}
    runs = [_run("1", tools=tools), _run("2", "2026-11-20T11:00:00Z", tools={"fetch": tools["fetch"]})]
    search, fetch = compare_runs(runs, "tool", "search", "fetch").groups
    assert (search["runs"], search["tool_calls"], search["tool_errors"]) == (1, 4, 1)
    assert [row["tool"] for row in search["tools"]] == ["search"]
    assert (fetch["runs"], fetch["tool_calls"], fetch["tool_errors"]) == (2, 4, 4)


# -- child runs: a sub-agent is in its parent's group ----------------------------------------------

TASKS = 3


def _delegation_lines() -> list[dict[str, Any]]:
    """The reviewer's log: v7 does each task itself (0.0125 USD); v8 hands it to a child run.

    A v8 run costs 0.0025 USD itself and starts a child run (no
    prompt_version of its own) that costs 0.02 USD: a task costs 0.0225 USD
    on v8, more than on v7, though v8's own runs look 5× cheaper.
    """
    lines = []
    for index in range(TASKS):
        lines += _run_lines(
            f"70000000-0000-4000-8000-{index:012d}",
            _stamp(20, index),
            metadata={"prompt_version": "v7"},
            cost=0.0125,
        )
    for index in range(TASKS):
        parent = f"80000000-0000-4000-8000-{index:012d}"
        lines += _run_lines(parent, _stamp(21, index), metadata={"prompt_version": "v8"}, cost=0.0025)
        lines += _run_lines(
            f"8c000000-0000-4000-8000-{index:012d}",
            _stamp(21, index),
            metadata={},
            parent_run_id=parent,
            cost=0.02,
        )
    return lines


def test_child_runs_are_in_their_parents_group_with_their_cost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """v8's group holds its 3 runs and their 3 child runs: 6 runs, 0.0675 USD, more than v7's 0.0375."""
    document = _json(_write(tmp_path / "agent.jsonl", _delegation_lines()), capsys, "v7", "v8")
    v7, v8 = document["groups"]
    assert document["runs_without_value"] == 0
    assert (v7["runs"], v7["cost_usd"], v7["cost_per_run"], v7["priced_llm_calls"]) == (3, 0.0375, 0.0125, 3)
    assert (v8["runs"], v8["cost_usd"], v8["cost_per_run"], v8["priced_llm_calls"]) == (6, 0.0675, 0.01125, 6)
    assert (v8["completed"], v8["tool_calls"], v8["input_tokens"]) == (
        6,
        6 * (SEARCH_CALLS + FETCH_CALLS),
        6000,
    )
    cost = _figure(document, "cost_per_run")
    assert cost["a"] == {"n": 3, "median": 0.0125, "mean": 0.0125}
    # The median of 0.0025 ×3 and 0.02 ×3 is at index round(2.5) = 2: a parent's own cost.
    assert cost["b"] == {"n": 6, "median": 0.0025, "mean": 0.01125}


def test_child_runs_cost_shows_in_the_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The table gives each group's whole cost beside its cost per run, in dollars as the explorer does."""
    path = _write(tmp_path / "agent.jsonl", _delegation_lines())
    code, out, err = _compare(str(path), "--by", "prompt_version", "v7", "v8", capsys=capsys)
    assert (code, err) == (0, "")
    rows = {line[:30].strip(): line[30:].split() for line in out.splitlines() if line[:30].strip()}
    assert rows["runs"] == ["3", "6"]
    assert rows["cost"] == ["$0.03750", "$0.06750"]
    assert rows["cost per run"] == ["$0.01250", "$0.01125"]
    assert "without prompt_version" not in out


def test_a_child_run_written_by_agentlog_is_in_its_parents_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real lines: a run started inside a v8 run, without metadata, is compared as a v8 run, with its cost."""
    path = tmp_path / "agent.jsonl"
    agentlog.configure(output=path, prices={"m-priced": {"input": 1000, "output": 2000}})
    try:
        with (
            agentlog.run("task", metadata={"prompt_version": "v7"}),
            agentlog.llm_call("m-priced", provider="openai") as call,
        ):
            call.set_usage(10, 1, "stop")
        with agentlog.run("task", metadata={"prompt_version": "v8"}):
            with agentlog.llm_call("m-priced", provider="openai") as call:
                call.set_usage(1, 0, "stop")
            with agentlog.run("sub-task"), agentlog.llm_call("m-priced", provider="openai") as call:
                call.set_usage(20, 5, "stop")
    finally:
        agentlog.configure(output=io.StringIO())
    document = _json(path, capsys, "v7", "v8")
    v7, v8 = document["groups"]
    assert document["runs_without_value"] == 0
    # v7: 10 × 0.001 + 1 × 0.002 = 0.012; v8: 0.001 itself, 20 × 0.001 + 5 × 0.002 = 0.03 its child.
    assert (v7["runs"], v7["cost_usd"]) == (1, 0.012)
    assert (v8["runs"], v8["cost_usd"]) == (2, 0.031)


# -- exact medians and means ------------------------------------------------------------------------


def _priced(run_id: str, cost: str, version: str) -> RunFacts:
    model = CallFacts(calls=1, cost_usd=Decimal(cost), priced=1)
    return _run(run_id, version=version, models={"m": model})


def test_cost_medians_and_means_are_exact() -> None:
    """0.0125 stays 0.0125 (not 0.013), a cheap run's 0.0000012 is not 0.0, and 0.1 and 0.2 mean 0.15."""
    runs = [
        _priced("1", "0.0125", "a"),
        _priced("2", "0.1", "b"),
        _priced("3", "0.2", "b"),
        _priced("4", "0.0000012", "c"),
    ]
    cost = next(figure for figure in compare_runs(runs, "prompt_version", "a", "b").figures[-1:])
    assert cost.a == {"n": 1, "median": 0.0125, "mean": 0.0125}
    assert cost.b == {"n": 2, "median": 0.1, "mean": 0.15}
    assert 0.1 + 0.2 != 0.3  # the mean was computed in decimals, not as this float sum
    cheap = compare_runs(runs, "prompt_version", "c", "a").figures[-1]
    assert cheap.a == {"n": 1, "median": 0.0000012, "mean": 0.0000012}


def test_cost_medians_read_in_dollars_to_four_significant_digits() -> None:
    """The statement shows $0.01250 → $0.01350 and $0.000001200 → $0.000002500, never $0.00 → $0.00."""
    runs = [_priced(str(index), "0.0125", "a") for index in range(5)]
    runs += [_priced(str(index), "0.0135", "b") for index in range(5, 10)]
    runs += [_priced(str(index), "0.0000012", "c") for index in range(10, 15)]
    runs += [_priced(str(index), "0.0000025", "d") for index in range(15, 20)]
    figure = compare_runs(runs, "prompt_version", "a", "b").figures[-1]
    assert statement(figure).startswith(
        "cost per run median $0.01250 → $0.01350 (5 → 5 runs) — larger than chance"
    )
    cheap = compare_runs(runs, "prompt_version", "c", "d").figures[-1]
    assert statement(cheap).startswith("cost per run median $0.000001200 → $0.000002500 (5 → 5 runs)")


def test_latency_medians_below_10_ms_show_three_significant_digits() -> None:
    """Runs of 0.12 ms against 0.14 ms read 0.120 ms → 0.140 ms (not 0.1 ms); from 10 ms as elsewhere."""
    fast = [_run(str(index), duration_ms=0.12) for index in range(5)]
    slower = [_run(str(index), duration_ms=0.14) for index in range(5, 10)]
    comparison = _two_groups(fast, slower)
    latency = next(figure for figure in comparison.figures if figure.figure == "latency_ms")
    assert (latency.a["median"], latency.b["median"]) == (0.12, 0.14)
    assert statement(latency).startswith(
        "latency median 0.120 ms → 0.140 ms (5 → 5 runs) — larger than chance"
    )
    text = compare_text(comparison, Style(False))
    [row] = [line for line in text.splitlines() if line.startswith("latency p50")]
    assert row.split() == ["latency", "p50", "0.120", "ms", "0.140", "ms"]
    for duration, shown in ((5.5, "5.50 ms"), (0.004, "0.00400 ms"), (12.34, "12.3 ms"), (1500.0, "1.500 s")):
        one = _two_groups([_run("1", duration_ms=duration)], [_run("2", duration_ms=duration)])
        figure = next(figure for figure in one.figures if figure.figure == "latency_ms")
        assert statement(figure).startswith(f"latency median {shown} → {shown} "), duration


# -- what is tested, and how it reads ---------------------------------------------------------------


def _two_groups(first: list[RunFacts], second: list[RunFacts]) -> Comparison:
    for run in first:
        run.metadata = {"prompt_version": "A"}
    for run in second:
        run.metadata = {"prompt_version": "B"}
    return compare_runs([*first, *second], "prompt_version", "A", "B")


def test_a_figure_with_no_data_in_one_group_is_not_tested() -> None:
    """A tool only B called, latency when A has no finished run, cost when nothing was priced: no p-value."""
    first = [_run("1", unfinished=True, status=None, stop_reason=None, duration_ms=None)]
    second = [_run("2", tools={"new_tool": CallFacts(calls=3, errors=3)})]
    comparison = _two_groups(first, second)
    untested = {(figure.figure, figure.name) for figure in comparison.figures if not figure.tested}
    assert untested == {
        ("tool_error_rate", None),
        ("tool_error_rate", "new_tool"),
        ("latency_ms", None),
        ("cost_per_run", None),
    }
    text = compare_text(comparison, Style(False))
    assert (
        "Not tested (no data in one group): tool error rate (all tools); new_tool error rate; latency;"
        " cost per run"
    ) in text
    assert not any(figure.larger_than_chance for figure in comparison.figures)
    figure = next(figure for figure in comparison.figures if figure.name == "new_tool")
    assert statement(figure) == (
        "new_tool error rate - (0/0) → 100.0% (3/3) — not tested (no data in one group)"
    )


def test_an_unfinished_run_counts_as_a_run_under_stop_reason_unfinished() -> None:
    """No run_finished line: counted in the runs, never completed, stop reason ``unfinished``, no latency."""
    comparison = _two_groups(
        [_run("1"), _run("2", unfinished=True, status=None, stop_reason=None, duration_ms=None)],
        [_run("3"), _run("4", stop_reason=None)],
    )
    first, second = comparison.groups
    assert (first["runs"], first["completed"], first["unfinished"], first["latency_p50_ms"]) == (
        2,
        1,
        1,
        100.0,
    )
    assert first["stop_reasons"] == [
        {"stop_reason": "completed", "runs": 1, "share": 0.5},
        {"stop_reason": "unfinished", "runs": 1, "share": 0.5},
    ]
    assert second["stop_reasons"][1] == {"stop_reason": "unknown", "runs": 1, "share": 0.5}


@pytest.mark.parametrize(
    ("p", "shown"),
    [
        (0.0024574, "p = 0.0025"),
        (1.0, "p = 1"),
        (0.049_96, "p = 0.04996"),  # "0.05" would read as within chance
        (0.050_04, "p = 0.05"),
        (1.4e-19, "p = 1.4e-19"),
        (0.0, "p < 1e-300"),
    ],
)
def test_p_values_read_on_the_right_side_of_alpha(p: float, shown: str) -> None:
    """Two significant digits, more where rounding would put a finding on the wrong side of 0.05."""
    figure = compare_runs([_run("1", version="a"), _run("2", version="b")], "prompt_version").figures[0]
    figure.p_value = p
    assert statement(figure).endswith(f"(Fisher's exact test, {shown})")


def test_the_text_names_how_many_figures_were_tested() -> None:
    """The reader is told that about one figure in twenty passes by chance alone."""
    text = compare_text(_two_groups([_run("1")], [_run("2")]), Style(False))
    assert "No difference larger than chance (α = 0.05)." in text
    assert text.endswith(
        "5 figures tested, each at α = 0.05: with no real change,"
        " about 1 in 20 would still show as larger than chance."
    )


# -- hostile values, inputs and exit codes ----------------------------------------------------------

_RAW = ("\x1b", "\x07", "\u202e", "\r")


def _hostile_log(path: Path) -> Path:
    lines = [line for index in range(3) for line in _v7(index)]
    for index in range(3):
        lines += _run_lines(
            f"90000000-0000-4000-8000-{index:012d}",
            _stamp(22, index),
            metadata={"prompt_version": HOSTILE},
        )
        lines[-1]["stop_reason"] = HOSTILE
        lines[-2]["model"] = HOSTILE
        lines[-3]["tool"] = lines[-4]["tool"] = HOSTILE
    return _write(path, lines)


def test_hostile_values_are_inert_in_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A group value, tool and stop reason full of escapes print escaped: nothing reaches the terminal raw."""
    path = _hostile_log(tmp_path / "hostile.jsonl")
    code, out, err = _compare(str(path), "--by", "prompt_version", "--color", "never", capsys=capsys)
    assert (code, err) == (0, "")
    assert not any(raw in out for raw in _RAW)
    assert "\\x1b[2J\\x1b[31mv9\\x07\\u202eevil\\x0d\\x0a" in out


def test_hostile_values_are_inert_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The JSON holds the values as logged (escaped in the JSON text): no raw bidi or control character."""
    path = _hostile_log(tmp_path / "hostile.jsonl")
    code, out, _ = _compare(str(path), "--by", "prompt_version", "--json", capsys=capsys)
    assert code == 0
    assert not any(raw in out for raw in _RAW)
    document = orjson.loads(out)
    assert document["b"] == HOSTILE
    assert HOSTILE in {row["tool"] for row in document["groups"][1]["tools"]}


def test_hostile_values_are_inert_in_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Listing the values (three of them, none chosen) or naming an unknown one escapes them too."""
    path = _hostile_log(tmp_path / "hostile.jsonl")
    with open(path, "ab") as handle:
        handle.write(b"".join(orjson.dumps(line) + b"\n" for line in _v8(0)))
    code, out, err = _compare(str(path), "--by", "prompt_version", capsys=capsys)
    assert (code, out) == (2, "")
    assert "prompt_version has 3 values" in err and not any(raw in err for raw in _RAW[:3])
    assert err.count("\n") == 1
    code, _, err = _compare(str(path), "--by", HOSTILE, "v7", HOSTILE, capsys=capsys)
    assert code == 2 and not any(raw in err.rstrip("\n") for raw in _RAW)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--by", "prompt_version", "v7"], "--by takes a KEY, or a KEY and the two values"),
        (["--by", "prompt_version", "v7", "v8", "v9"], "--by takes a KEY, or a KEY and the two values"),
        (["--by", "prompt_version", "v7", "v9"], "no run has prompt_version = 'v9'"),
        (["--by", "prompt_version", "v7", "v7"], "the two values are the same"),
        (["--by", "nothing_like_it"], "no run has nothing_like_it"),
    ],
)
def test_usage_and_input_errors_exit_2(
    regression: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """Wrong values or a wrong --by: exit 2 with the reason on stderr, nothing on stdout."""
    code, out, err = _compare(str(regression), *argv, capsys=capsys)
    assert (code, out) == (2, "")
    assert message in err


def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An input that cannot be read is an error, not an empty comparison."""
    code, out, err = _compare(str(tmp_path / "absent.jsonl"), "--by", "prompt_version", capsys=capsys)
    assert (code, out) == (2, "")
    assert "absent.jsonl" in err


def test_without_by_argparse_refuses(regression: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--by is required."""
    with pytest.raises(SystemExit) as raised:
        main(["compare", str(regression)])
    assert raised.value.code == 2
    assert "--by" in capsys.readouterr().err


def test_a_regression_is_a_finding_not_an_error(regression: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 0 whatever the comparison found; skipped lines are said on stderr as every command says them."""
    with open(regression, "rb") as source:
        content = source.read()
    noisy = regression.with_name("noisy.jsonl")
    noisy.write_bytes(content + b"not json\n")
    code, _, err = _compare(str(noisy), "--by", "prompt_version", capsys=capsys)
    assert code == 0
    assert err == "agentlog: 1 lines skipped (not agentlog JSON)\n"


# -- real lines, every profile ----------------------------------------------------------------------


def _agent_runs(path: Path, log_format: Literal["ecs", "json"]) -> None:
    """Four runs per prompt version written by agentlog itself; v2's search calls all fail."""
    agentlog.configure(output=path, format=log_format, prices={"gpt-4o": {"input": 2.5, "output": 10}})
    for version in ("v1", "v2"):
        for index in range(4):
            with agentlog.run("answer", metadata={"prompt_version": version}, user_id=f"u{index}"):
                try:
                    with agentlog.tool_call("search", {"q": index}):
                        if version == "v2":
                            raise TimeoutError("slow")
                except TimeoutError:
                    pass
                with agentlog.llm_call("gpt-4o", provider="openai") as call:
                    call.set_usage(1000, 100, "stop")
                events.llm_result("unknown-model", provider="openai", input_tokens=10, output_tokens=1)
    agentlog.configure(output=io.StringIO())


def _without_latency(document: dict[str, Any]) -> dict[str, Any]:
    """The comparison without what the clock decides (latencies and their test)."""
    for group in document["groups"]:
        for key in ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms"):
            group.pop(key)
    document["figures"] = [row for row in document["figures"] if row["figure"] != "latency_ms"]
    return document


def test_ecs_lines_compare_as_json_lines_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same runs written in the ecs and the json profile give the same comparison (latency aside)."""
    found = {}
    formats: tuple[Literal["ecs", "json"], ...] = ("ecs", "json")
    for log_format in formats:
        path = tmp_path / f"{log_format}.jsonl"
        _agent_runs(path, log_format)
        found[log_format] = _without_latency(_json(path, capsys))
    assert found["ecs"] == found["json"]
    v1, v2 = found["ecs"]["groups"]
    assert (v1["value"], v1["runs"], v1["tool_errors"], v2["tool_errors"], v2["tool_calls"]) == (
        "v1",
        4,
        0,
        4,
        4,
    )
    # Each run: 1000 + 100 priced tokens (2.5 and 10 USD per million: 0.0035) and 11 unpriced ones.
    assert (v1["tokens_per_run"], v1["cost_per_run"], v1["unpriced_llm_calls"]) == (1111.0, 0.0035, 4)
    search = _figure(found["ecs"], "tool_error_rate", "search")
    assert (search["p_value"], search["ratio"]) == (pytest.approx(_scipy_fisher(0, 4, 4, 4), rel=1e-9), None)


def test_files_after_by_get_a_hint(regression: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--by takes several values, so a file after it is taken for one: the error says where files go."""
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "--by", "prompt_version", "v7", "v8", str(regression)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "the following arguments are required: FILE" in err
    assert err.endswith(
        f"agentlog: --by took {str(regression)!r} as a key or value; --by takes several values:"
        " put the files before it (agentlog compare FILE... --by KEY A B), or end its values with --\n"
    )


def test_files_after_by_and_a_double_dash_are_read(
    regression: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ending --by's values with -- puts the files after it."""
    code, out, err = _compare("--by", "prompt_version", "v7", "v8", "--", str(regression), capsys=capsys)
    assert (code, err) == (0, "")
    assert out.startswith("prompt_version: v7 (A) → v8 (B)")
