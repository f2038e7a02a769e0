"""The docs' way of taking a query out of queries.sql works as written: sed takes it whole, and it runs.

docs/clickhouse.md takes a query out of ``queries.sql`` with
``sed -n '/-- name: NAME/,/;/p'``: from the ``-- name:`` line to the first
line after it that holds a semicolon. So a semicolon anywhere but at a
statement's end (in a comment, say) would cut the query short there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator

import orjson
import pytest

from tests.explorer.known_runs import known_lines, run_id
from tests.kits.clickhouse_support import KIT, Store, extract, open_store, query_names

ROOT = KIT.parents[1]
DOCS = ROOT / "docs" / "clickhouse.md"
SED = re.compile(r"sed -n '/-- name: (\w+)/,/;/p' kits/clickhouse/queries.sql")
"""The one form of extraction the docs show (NAME aside)."""

PARAMS: dict[str, dict[str, str]] = {
    "reconstruct_run": {"run_id": run_id(9)},
    "failing_step": {"run_id": run_id(9)},
    "failed_runs": {},
    "tool_latency": {},
    "stop_reasons": {},
    "cost_per_run": {"since": "", "until": ""},
    "cost_per_user": {"since": "", "until": ""},
    "cost_per_model": {"since": "", "until": ""},
    "cost_per_metadata": {"key": "prompt_version", "since": "", "until": ""},
    "stats_by": {"by": "prompt_version", "since": "", "until": ""},
    "slo_completion": {"by": "", "window": "7d", "until": "", "target_percent": "99.5"},
    "slo_latency": {"by": "user", "window": "", "until": "", "quantile": "95", "target_ms": "2000"},
    "slo_error_rate": {"by": "tool", "window": "", "until": "", "target_percent": "1"},
    "compare": {"by": "prompt_version", "a": "v1", "b": "v2", "since": "", "until": ""},
}
"""Parameters for each query of ``queries.sql`` (a query added there must be added here)."""


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The explorer's known log (40 runs, failures, an unfinished run) in ClickHouse."""
    directory = tmp_path_factory.mktemp("known")
    with open_store(directory / "chdb") as store:
        store.load_lines(b"\n".join(orjson.dumps(line) for line in known_lines()).decode() + "\n")
        yield store


def _section(text: str, name: str) -> str:
    """The query *name* as the file holds it: its ``-- name:`` line to its statement's end.

    That is the last line with a semicolon before the next query, after which
    come only comments and blank lines.
    """
    lines = text.splitlines(keepends=True)
    first = lines.index(f"-- name: {name}\n")
    following = [number for number in range(first + 1, len(lines)) if lines[number].startswith("-- name: ")]
    section = lines[first : following[0] if following else len(lines)]
    last = max(number for number, line in enumerate(section) if ";" in line)
    assert all(not line.strip() or line.startswith("--") for line in section[last + 1 :])
    return "".join(section[: last + 1])


def test_the_docs_show_one_form_of_extraction() -> None:
    """Every sed command in docs/clickhouse.md is ``sed -n '/-- name: NAME/,/;/p'`` on a query of the file."""
    commands = re.findall(r"sed [^)]*", DOCS.read_text())
    assert commands
    for command in commands:
        match = SED.fullmatch(command)
        assert match is not None, command
        assert match.group(1) in query_names()


def test_every_query_has_parameters_here() -> None:
    """PARAMS covers every named query of the file, so the next test runs each."""
    assert sorted(PARAMS) == sorted(query_names())


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_sed_takes_out_the_whole_query(name: str) -> None:
    """The docs' sed command prints the query whole: from its name to its statement's end, nothing cut."""
    text = (KIT / "queries.sql").read_text()
    whole = _section(text, name)
    assert extract(text, name) == whole
    assert whole.count(";") == 1
    sed = shutil.which("sed")
    if sed is None:
        pytest.skip("no sed here: the emulation alone is checked")
    printed = subprocess.run(
        [sed, "-n", f"/-- name: {name}/,/;/p", "kits/clickhouse/queries.sql"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed == whole


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_the_extracted_query_runs(known: Store, name: str) -> None:
    """What sed takes out runs on ClickHouse as it is, comments and all, and finds rows."""
    text = extract((KIT / "queries.sql").read_text(), name)
    assert known.rows(text, **PARAMS[name])


def test_no_semicolon_but_at_a_statements_end() -> None:
    """In every .sql file of the kit a semicolon only ends a line of code, never in a comment or mid-line."""
    for path in sorted(KIT.glob("*.sql")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if ";" in line:
                assert line.endswith(";") and line.count(";") == 1, f"{path.name}:{number}: {line}"
                assert not line.lstrip().startswith("--"), f"{path.name}:{number}: {line}"
