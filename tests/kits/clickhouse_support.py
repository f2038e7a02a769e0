"""The ClickHouse kit on a real ClickHouse engine (chdb): its DDL loaded, lines ingested, its queries run.

chdb runs one embedded server per process, on one data directory at a time:
a `Store` must be closed before the next one opens (a test module keeps one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest

__all__ = ["KIT", "Store", "extract", "open_store", "queries", "query_names", "statements"]

KIT = Path(__file__).resolve().parents[2] / "kits" / "clickhouse"


def statements(sql: str) -> list[str]:
    """The statements of a SQL file, its comment lines left out."""
    body = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return [statement.strip() for statement in body.split(";") if statement.strip()]


def extract(text: str, name: str) -> str:
    """What ``sed -n '/-- name: NAME/,/;/p'`` prints of *text*: the way the docs take a query out.

    sed prints from each line that holds ``-- name: NAME`` to the next line
    (not that one) that holds a semicolon, both included, and starts again at
    the next line that holds the name. Both patterns have no character special
    to sed, so "holds" is a plain substring test.
    """
    start = f"-- name: {name}"
    printed: list[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        if inside:
            printed.append(line)
            inside = ";" not in line
        elif start in line:
            printed.append(line)
            inside = True
    return "".join(printed)


def query_names() -> list[str]:
    """The names of ``queries.sql``'s queries, in the file's order."""
    return re.findall(r"^-- name: (\w+)$", (KIT / "queries.sql").read_text(), flags=re.MULTILINE)


def queries() -> dict[str, str]:
    """The named queries of ``queries.sql``, each taken out as the docs take it (`extract`)."""
    text = (KIT / "queries.sql").read_text()
    return {name: extract(text, name) for name in query_names()}


class Store:
    """A ClickHouse database with the kit's schema."""

    def __init__(self, session: Any) -> None:
        self.session = session
        for statement in statements((KIT / "schema.sql").read_text()):
            session.query(statement)

    def load_lines(self, text: str) -> None:
        """Ingest JSON lines whole, the recommended way (``agentlog.lines``, every metadata key kept)."""
        self.session.query("INSERT INTO agentlog.lines FORMAT JSONAsString\n" + text)

    def load_each_row(self, text: str) -> None:
        """Ingest JSON lines field by field (``JSONEachRow`` straight into ``agentlog.events``)."""
        self.session.query(
            "INSERT INTO agentlog.events SETTINGS input_format_skip_unknown_fields = 1, "
            "date_time_input_format = 'best_effort' FORMAT JSONEachRow\n" + text
        )

    def rows(self, sql: str, **params: str) -> list[dict[str, Any]]:
        """The rows *sql* returns (JSON numbers parsed as Python's json does: decimals as floats)."""
        result = (
            self.session.query(sql, "JSONEachRow", params=params)
            if params
            else self.session.query(sql, "JSONEachRow")
        )
        return [orjson.loads(line) for line in result.bytes().splitlines() if line.strip()]

    def query(self, name: str, **params: str) -> list[dict[str, Any]]:
        """The rows of the named query *name* of ``queries.sql``."""
        return self.rows(queries()[name], **params)


@contextmanager
def open_store(directory: Path) -> Iterator[Store]:
    """A `Store` in *directory*, closed on leaving (chdb allows one at a time); skipped without chdb."""
    chdb_session = pytest.importorskip("chdb.session")
    session = chdb_session.Session(str(directory))
    try:
        yield Store(session)
    finally:
        session.close()
