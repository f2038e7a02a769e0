"""Where the walk up through a run's ancestors stops: 64 generations up, and a loop of parents.

On `delegation.loop_lines`: a chain 66 runs deep (runs 100 … 165, only 100
with ``depth``), and loops of parents (200 ⇄ 201, 202 ⇄ 203, 204 its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from agentlog.cli import main
from tests.kits.clickhouse_support import Store, open_store
from tests.kits.delegation import loop_lines, run_id


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The log of the chain and loops, as a file."""
    path = tmp_path_factory.mktemp("loops") / "loops.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in loop_lines()) + b"\n")
    return path


@pytest.fixture(scope="module")
def store(log: Path) -> Iterator[Store]:
    """The log of the chain and loops in ClickHouse."""
    with open_store(log.parent / "chdb") as loaded:
        loaded.load_lines(log.read_text())
        yield loaded


def _metadata(store: Store, *indexes: int) -> list[dict[str, str]]:
    """The metadata agentlog.runs gives runs *indexes* (their own, and what they inherit)."""
    rows = {
        row["run_id"]: row["metadata"]
        for row in store.rows("SELECT run_id, metadata FROM agentlog.runs(since = '1970-01-01 00:00:00')")
    }
    return [rows[run_id(index)] for index in indexes]


def test_the_walk_goes_up_64_generations(store: Store) -> None:
    """Run 164, 64 generations below run 100, takes its depth; run 165, 65 below, does not."""
    assert _metadata(store, 101, 164, 165) == [{"depth": "top"}, {"depth": "top"}, {}]
    rows = store.query("cost_per_metadata", key="depth", since="", until="")
    assert [(row["value"], row["runs"]) for row in rows] == [("top", 65), (None, 6)]


def test_a_loop_of_parents_ends_the_walk(store: Store) -> None:
    """200 and 201 are each other's parent: 201 takes 200's value; the loops without one have none."""
    assert _metadata(store, 200, 201, 202, 203, 204) == [{"loop": "a"}, {"loop": "a"}, {}, {}, {}]
    rows = store.query("stats_by", by="loop", since="", until="")
    assert [(row["value"], row["runs"]) for row in rows] == [("a", 2), (None, 69)]


def test_loops_group_as_in_the_cli(store: Store, log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """By loop, stats_by's rows are ``stats --by loop --json``'s groups: the explorer ends a loop alike."""
    capsys.readouterr()
    assert main(["stats", str(log), "--json", "--by", "loop"]) == 0
    groups = orjson.loads(capsys.readouterr().out)["groups"]
    expected = [{"value": group.pop("key")["loop"], **group} for group in groups]
    assert store.query("stats_by", by="loop", since="", until="") == expected
