"""Every published benchmark figure comes from one run: the docs and README say what results.json says."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import publish  # noqa: E402 - the repository root is on the path only now


def test_the_docs_and_readme_show_the_figures_of_results_json() -> None:
    """The generated blocks of docs/performance.md and README.md are what publish renders from the file."""
    assert publish.main(["--check"]) == 0


def test_every_target_has_its_ratio_spread_and_limit() -> None:
    """The run reports each target of issue 17 as a ratio with median, spread and limit."""
    figures = json.loads(publish.RESULTS.read_text())
    names = {row["target"] for row in figures["targets"]}
    for expected in (
        "typed event inside a scope vs a floor with the same timestamp",
        "events.tool_result standalone in a run vs structlog fastest",
        "scoped tool call (1 KiB args hashed) vs its floor (two lines + hash)",
        "cost per extra field vs structlog's",
        "10 KB string field vs structlog (redaction on)",
        "stdlib line through the bridge vs structlog fastest",
        "per-event cost with 10,000 live runs vs 1 live run",
    ):
        assert expected in names
    for row in figures["targets"]:
        assert row["min"] <= row["median"] <= row["max"]
        assert row["met"] == (row["median"] <= row["limit"])
