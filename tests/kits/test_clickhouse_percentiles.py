"""The kit's latency percentiles are the explorer's: nearest rank, index round(q * (n - 1)), half to even.

ClickHouse's own quantile functions interpolate or pick other ranks, so the
kit sorts the latencies and indexes them; these tests run it on groups of
every size from 1 to 41 (where q * (n - 1) falls on .5 for some n, and the
rounding to even decides) against Python's computation.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from agentlog._explorer.stats import _percentiles
from tests.kits.clickhouse_support import Store, open_store

SIZES = range(1, 42)
QUANTILES = (0.5, 0.95, 0.99)


def _nearest_rank(values: list[float], fraction: float) -> float:
    """The value at index round(fraction * (n - 1)) of the sorted values, to 3 places."""
    ordered = sorted(values)
    return round(ordered[round(fraction * (len(ordered) - 1))], 3)


def _latencies() -> dict[int, list[float]]:
    """Per group size, that many latencies: some with 6 decimals, some tied, some whole."""
    chance = random.Random(16)
    groups: dict[int, list[float]] = {}
    for size in SIZES:
        values = [round(chance.uniform(0, 5000), 6) for _ in range(size)]
        values[: size // 4] = [values[0]] * (size // 4)  # ties
        values[size // 4 : size // 3] = [
            float(chance.randrange(100, 900)) for _ in range(size // 3 - size // 4)
        ]
        groups[size] = values
    return groups


def _lines(groups: dict[int, list[float]]) -> str:
    """A finished run per latency, in the group of its size (metadata ``size``), and an unfinished run."""
    out = []
    for size, values in groups.items():
        for index, latency in enumerate(values):
            run_id = f"{size:04d}{index:04d}-0000-4000-8000-000000000000"
            stamp = f"2026-11-22T03:{size:02d}:{index:02d}Z"
            base = {"timestamp": stamp, "level": "info", "run_id": run_id}
            out.append({**base, "event": "run_started", "task_hash": "sha256:t", "size": size})
            out.append(
                {
                    **base,
                    "event": "run_finished",
                    "status": "ok",
                    "stop_reason": "completed",
                    "total_latency_ms": latency,
                }
            )
    # An unfinished run has no latency: it must change no percentile.
    out.append(
        {
            "timestamp": "2026-11-22T03:01:59Z",
            "level": "info",
            "event": "run_started",
            "run_id": "u",
            "size": 1,
        }
    )
    return "\n".join(orjson.dumps(line).decode() for line in out)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, dict[int, list[float]]]]:
    """The runs of every group size, in ClickHouse."""
    groups = _latencies()
    with open_store(tmp_path_factory.mktemp("chdb")) as opened:
        opened.load_lines(_lines(groups))
        yield opened, groups


def _by_size(store: Store) -> dict[int, dict[str, Any]]:
    rows = store.query("stats_by", by="size", since="", until="")
    return {int(row["value"]): row for row in rows}


def test_percentiles_are_the_nearest_rank_of_python(store: tuple[Store, dict[int, list[float]]]) -> None:
    """For every group size, stats_by's p50/p95/p99 are the values at round(q * (n - 1)), to 3 places."""
    opened, groups = store
    found = _by_size(opened)
    for size, values in groups.items():
        row = found[size]
        expected = [_nearest_rank(values, fraction) for fraction in QUANTILES]
        assert [row["latency_p50_ms"], row["latency_p95_ms"], row["latency_p99_ms"]] == expected, size


def test_percentiles_are_the_explorers(store: tuple[Store, dict[int, list[float]]]) -> None:
    """The same figures as the explorer's own percentile function (the one ``stats`` uses)."""
    from array import array

    opened, groups = store
    found = _by_size(opened)
    for size, values in groups.items():
        row = found[size]
        assert [row["latency_p50_ms"], row["latency_p95_ms"], row["latency_p99_ms"]] == _percentiles(
            array("d", values), *QUANTILES
        ), size


def test_half_ranks_round_to_even(store: tuple[Store, dict[int, list[float]]]) -> None:
    """Where q * (n - 1) is a half (p50 of 2 runs: 0.5; of 4 runs: 1.5), the even index is taken."""
    opened, groups = store
    found = _by_size(opened)
    assert found[2]["latency_p50_ms"] == round(sorted(groups[2])[0], 3)  # round(0.5) = 0
    assert found[4]["latency_p50_ms"] == round(sorted(groups[4])[2], 3)  # round(1.5) = 2
    assert found[11]["latency_p95_ms"] == round(sorted(groups[11])[10], 3)  # 0.95 * 10 = 9.5 -> 10


def test_the_unfinished_run_counts_as_a_run_not_a_latency(
    store: tuple[Store, dict[int, list[float]]],
) -> None:
    """The group of size 1 has 2 runs (one unfinished) and its one latency as every percentile."""
    opened, groups = store
    row = _by_size(opened)[1]
    assert (row["runs"], row["unfinished"]) == (2, 1)
    assert row["latency_p99_ms"] == round(groups[1][0], 3)
