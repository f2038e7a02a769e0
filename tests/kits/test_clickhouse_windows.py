"""Which runs the kit's queries measure: --since/--until and the SLO window, by hand and as the CLI.

The log is the explorer's `known_runs` (run ``i`` starts at 03:00 + ``i``
minutes; runs 9, 19, 29, 39 fail; run 37 is unfinished; a finished run took
``(i + 1) * 100`` ms; each calls ``m-a`` for 0.1 USD).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentlog.cli import main
from tests.explorer.known_runs import known_lines
from tests.kits.clickhouse_support import Store, open_store


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    """The known log, as a file and in ClickHouse."""
    directory = tmp_path_factory.mktemp("known")
    path = directory / "known.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in known_lines()) + b"\n")
    with open_store(directory / "chdb") as store:
        store.load_lines(path.read_text())
        yield store, path


def _cli(capsys: pytest.CaptureFixture[str], *argv: str, status: int = 0) -> Any:
    capsys.readouterr()
    assert main(list(argv)) == status
    return orjson.loads(capsys.readouterr().out)


def test_window_ends_at_the_newest_start(known: tuple[Store, Path]) -> None:
    """10 minutes back from run 39's start, that start included: runs 30 … 39, of which 8 completed."""
    store, _ = known
    (row,) = store.query("slo_completion", by="", window="10m", until="", target_percent="90")
    assert (row["runs"], row["total"], row["bad"], row["actual"], row["met"]) == (10, 10, 2, 0.8, 0)
    assert (row["burn_rate"], row["error_budget_remaining"]) == (2.0, -1.0)


def test_window_ends_at_until_which_is_excluded(known: tuple[Store, Path]) -> None:
    """A window of 10 minutes up to 03:30: runs 21 … 29 (run 30 starts at 03:30, not before)."""
    store, _ = known
    (row,) = store.query(
        "slo_completion", by="", window="10m", until="2026-11-22T03:30:00Z", target_percent="90"
    )
    assert (row["runs"], row["bad"]) == (9, 1)


def test_until_without_a_window(known: tuple[Store, Path]) -> None:
    """Every run before 03:30: runs 0 … 29, of which 9, 19 and 29 failed."""
    store, _ = known
    (row,) = store.query(
        "slo_completion", by="", window="", until="2026-11-22T03:30:00Z", target_percent="90"
    )
    assert (row["runs"], row["bad"], row["met"]) == (30, 3, 1)


def test_latency_in_the_window(known: tuple[Store, Path]) -> None:
    """Runs 30 … 39 less the unfinished 37 took 3100 … 4000 ms: all slower than 3 s, p95 4000 ms."""
    store, _ = known
    (row,) = store.query("slo_latency", by="", window="10m", until="", quantile="95", target_ms="3000")
    assert (row["runs"], row["total"], row["bad"], row["actual"], row["met"]) == (10, 9, 9, 4000.0, 0)
    assert (row["burn_rate"], row["error_budget_remaining"]) == (20.0, -19.0)


def test_since_and_until_sum_costs_exactly(known: tuple[Store, Path]) -> None:
    """Runs 10 … 19 cost 10 × 0.1 USD = 1 USD exactly (a float sum would give 0.9999999999999999)."""
    store, _ = known
    (row,) = store.query(
        "stats_by", by="prompt_version", since="2026-11-22T03:10:00Z", until="2026-11-22T03:20:00Z"
    )
    assert (row["value"], row["runs"], row["completed"], row["failed"]) == ("v1", 10, 9, 1)
    assert (row["cost_usd"], row["cost_per_run"]) == (1.0, 0.1)


@pytest.mark.parametrize(
    ("window", "until"),
    [("10m", ""), ("10m", "2026-11-22T03:30:00Z"), ("", "2026-11-22T03:30:00Z"), ("25m", ""), ("1h", "")],
)
def test_slo_windows_are_the_clis(
    known: tuple[Store, Path], capsys: pytest.CaptureFixture[str], window: str, until: str
) -> None:
    """For each window and --until, the slo_* rows are ``slo --json``'s objectives per prompt version."""
    store, path = known
    argv = ["slo", str(path), "--json", "--completion", "95", "--latency-p99", "3500ms", "--error-rate", "10"]
    argv += ["--by", "prompt_version"]
    argv += ["--window", window] if window else []
    argv += ["--until", until] if until else []
    report = _cli(capsys, *argv, status=1)
    expected = {
        (group["key"]["prompt_version"], objective["objective"]): objective
        for group in report["groups"]
        for objective in group["objectives"]
    }
    params = {"by": "prompt_version", "window": window, "until": until}
    rows = [
        *store.query("slo_completion", target_percent="95", **params),
        *store.query("slo_latency", quantile="99", target_ms="3500", **params),
        *store.query("slo_error_rate", target_percent="10", **params),
    ]
    assert {(row.pop("value"), row["objective"]): row for row in rows} == expected


def test_since_and_until_are_the_clis(known: tuple[Store, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """Stats --by and compare with --since and --until choose the same runs and give the same figures."""
    store, path = known
    bounds = {"since": "2026-11-22T03:15:00Z", "until": "2026-11-22T03:25:00Z"}
    flags = ["--since", bounds["since"], "--until", bounds["until"]]
    document = _cli(capsys, "stats", str(path), "--json", *flags, "--by", "prompt_version", "user")
    assert len(document["groups"]) == 4
    for key in ("prompt_version", "user"):
        groups = _cli(capsys, "stats", str(path), "--json", *flags, "--by", key)["groups"]
        expected = [{"value": group.pop("key")[key], **group} for group in groups]
        assert store.query("stats_by", by=key, **bounds) == expected
    comparison = _cli(capsys, "compare", str(path), "--json", *flags, "--by", "prompt_version", "v1", "v2")
    assert store.query("compare", by="prompt_version", a="v1", b="v2", **bounds) == comparison["groups"]
