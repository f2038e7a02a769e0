"""Without a server: the docs' chdb lines load the schema and a log file, run as written."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.explorer.known_runs import known_lines
from tests.kits.clickhouse_support import KIT

DOCS = KIT.parents[1] / "docs" / "clickhouse.md"
LOAD_FROM_FILE = "INSERT INTO agentlog.lines FROM INFILE 'agent.jsonl' FORMAT JSONAsString"
"""The loading line for clickhouse-local and chdb, where no server reads lines from a pipe."""


def _chdb_block() -> str:
    """The docs' Python block that loads a log into chdb."""
    blocks: list[str] = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.DOTALL)
    (block,) = [block for block in blocks if LOAD_FROM_FILE in block]
    return block


def test_clickhouse_local_loads_with_the_same_line() -> None:
    """clickhouse-local is shown the same INFILE line as chdb."""
    assert f'clickhouse-local --path agentlog-db --query "{LOAD_FROM_FILE}"' in DOCS.read_text()


def test_the_docs_chdb_lines_load_a_log_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run where agent.jsonl and the kit are, the docs' block makes the tables and loads every line whole."""
    pytest.importorskip("chdb.session")
    (tmp_path / "kits").mkdir()
    shutil.copytree(KIT, tmp_path / "kits" / "clickhouse")
    lines = known_lines()
    (tmp_path / "agent.jsonl").write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(_chdb_block(), namespace)  # noqa: S102 - the docs' own lines, the point of the test
    db = namespace["db"]
    try:
        counted = db.query(
            "SELECT count(), countIf(run_metadata['prompt_version'] = 'v2') FROM agentlog.events", "CSV"
        )
    finally:
        db.close()
    assert counted.bytes().decode().strip() == f"{len(lines)},20"
    assert (tmp_path / "agentlog-db").is_dir()
