"""`agentlog report`: one self-contained page for a whole log — what it embeds, and the command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentlog._explorer.html import build_report
from agentlog._explorer.reader import Counts
from agentlog.cli import main

TOP = "aaaaaaaa-0000-4000-8000-000000000001"
CHILD = "bbbbbbbb-0000-4000-8000-000000000002"
FAILED = "cccccccc-0000-4000-8000-000000000003"
NEWEST = "dddddddd-0000-4000-8000-000000000004"


def _line(event: str, second: float, run_id: str, **fields: Any) -> dict[str, Any]:
    stamp = f"2026-11-22T03:{int(second // 60):02d}:{second % 60:09.6f}Z"
    return {"timestamp": stamp, "level": "info", "event": event, "run_id": run_id, **fields}


def _run(
    run_id: str, start: float, status: str = "ok", tokens: int = 10, **fields: Any
) -> list[dict[str, Any]]:
    """A run of one second with a tool call; *fields* go on its run_started line."""
    span = run_id[:4]
    return [
        _line("run_started", start, run_id, span_id=span, **fields),
        _line("tool_call", start + 0.1, run_id, span_id=span + "t", parent_span_id=span, tool="search"),
        _line("tool_result", start + 0.2, run_id, span_id=span + "t", parent_span_id=span, tool="search",
              status=status, latency_ms=100),
        _line("run_finished", start + 1, run_id, span_id=span, status=status, total_latency_ms=1000,
              input_tokens=tokens, output_tokens=1, errors=int(status == "error")),
    ]  # fmt: skip


def _log(folder: Path) -> Path:
    """A top run with a child run, an older failed run, a newest ok run."""
    lines = [
        *_run(FAILED, 0, status="error", tokens=5),
        *_run(TOP, 60, tokens=20),
        *_run(CHILD, 60.5, parent_run_id=TOP, parent_span_id=TOP[:4]),
        *_run(NEWEST, 120, tokens=40),
    ]
    path = folder / "agent.jsonl"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path


def _data(page: str) -> Any:
    match = re.search(r'<script id="data" type="application/json">(.*?)</script>', page, re.S)
    assert match is not None
    return orjson.loads(match.group(1))


def test_the_report_has_a_row_for_every_run_child_runs_included(tmp_path: Path) -> None:
    """Every run is a row, with the fields the table's filters and sorting use."""
    data = _data(build_report([str(_log(tmp_path))], Counts()))
    rows = {row["run_id"]: row for row in data["runs"]}
    assert set(rows) == {TOP, CHILD, FAILED, NEWEST}
    assert rows[FAILED]["failed"] is True and rows[TOP]["failed"] is False
    assert rows[CHILD]["parent_run_id"] == TOP
    assert rows[TOP]["tools"] == ["search"]
    assert rows[NEWEST]["start_epoch"] > rows[TOP]["start_epoch"] > rows[FAILED]["start_epoch"]


def test_a_view_per_top_run_holds_its_child_runs(tmp_path: Path) -> None:
    """A child run has no view of its own: its row points at its top run's view, which draws it."""
    data = _data(build_report([str(_log(tmp_path))], Counts()))
    assert set(data["views"]) == {TOP, FAILED, NEWEST}
    rows = {row["run_id"]: row for row in data["runs"]}
    assert rows[CHILD]["view"] == TOP
    view = data["views"][TOP]
    assert view["spans"][view["run_span"][CHILD]]["run_id"] == CHILD


def test_failed_runs_get_a_view_first(tmp_path: Path) -> None:
    """With room for one view, the failed run has it though it is the oldest; the others say why not."""
    data = _data(build_report([str(_log(tmp_path))], Counts(), max_views=1))
    assert set(data["views"]) == {FAILED}
    assert data["views_left_out"] == 2
    assert {row["run_id"]: row["view"] for row in data["runs"]}[NEWEST] is None


def test_with_no_views_the_table_and_charts_remain(tmp_path: Path) -> None:
    """--max-views 0: no run view, every run still in the table, the statistics still there."""
    data = _data(build_report([str(_log(tmp_path))], Counts(), max_views=0))
    assert data["views"] == {} and len(data["runs"]) == 4
    assert data["stats"]["tools"][0]["tool"] == "search" and data["stats"]["tools"][0]["calls"] == 4


def test_tokens_over_time_add_up_to_the_runs_tokens(tmp_path: Path) -> None:
    """The buckets of the tokens chart hold every run's tokens, the earliest run in the first."""
    data = _data(build_report([str(_log(tmp_path))], Counts()))
    buckets = data["tokens"]
    assert sum(bucket["input"] for bucket in buckets) == 5 + 20 + 10 + 40
    assert sum(bucket["output"] for bucket in buckets) == 4
    assert buckets[0]["input"] == 5 and buckets[0]["label"] == "2026-11-22 03:00:00Z"
    assert buckets[-1]["input"] == 40


def test_file_names_are_embedded_made_safe(tmp_path: Path) -> None:
    """A file name with an escape sequence or a bidi override is shown escaped in the page's header."""
    hostile = tmp_path / "a\x1b[2J\u202eb.jsonl"
    hostile.write_bytes(_log(tmp_path).read_bytes())
    data = _data(build_report([str(hostile)], Counts()))
    assert data["files"] == [str(tmp_path / "a\\x1b[2J\\u202eb.jsonl")]


def test_parent_runs_that_form_a_cycle_still_make_a_report(tmp_path: Path) -> None:
    """Two runs naming each other as parent (a hostile file): each is somebody's top, nothing loops."""
    lines = [*_run(TOP, 0, parent_run_id=CHILD), *_run(CHILD, 1, parent_run_id=TOP)]
    path = tmp_path / "cycle.jsonl"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    data = _data(build_report([str(path)], Counts()))
    assert {row["run_id"] for row in data["runs"]} == {TOP, CHILD}
    assert all(row["view"] in data["views"] for row in data["runs"])


def test_report_writes_the_page_and_says_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`agentlog report FILE -o PAGE` writes a self-contained page, and names it."""
    page = tmp_path / "report.html"
    assert main(["report", str(_log(tmp_path)), "-o", str(page)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"wrote {page} (") and out.endswith(" MB)\n")
    text = page.read_text("utf-8")
    assert text.startswith("<!doctype html>") and "<title>agentlog report</title>" in text
    assert "http:" not in text and "https:" not in text


def test_report_reads_stdin(tmp_path: Path) -> None:
    """`-` reads the log from stdin (spooled, since the report reads it more than once)."""
    page = tmp_path / "report.html"
    done = subprocess.run(
        [sys.executable, "-m", "agentlog", "report", "-", "-o", str(page)],
        input=_log(tmp_path).read_bytes(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(_data(page.read_text("utf-8"))["runs"]) == 4


def test_report_to_a_path_it_cannot_write_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An output in a missing directory: a one-line reason and exit 2, no traceback."""
    target = tmp_path / "missing" / "report.html"
    assert main(["report", str(_log(tmp_path)), "-o", str(target)]) == 2
    assert capsys.readouterr().err == f"agentlog: cannot write {target}: No such file or directory\n"


def test_report_refuses_a_negative_number_of_views(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--max-views below 0 is a usage error."""
    assert main(["report", str(_log(tmp_path)), "-o", str(tmp_path / "r.html"), "--max-views", "-1"]) == 2
    assert "--max-views" in capsys.readouterr().err


def test_show_html_to_a_path_it_cannot_write_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`show --html` into a missing directory: the reason, exit 2."""
    target = tmp_path / "missing" / "run.html"
    assert main(["show", TOP[:8], str(_log(tmp_path)), "--html", str(target), "--json"]) == 2
    assert f"agentlog: cannot write {target}: No such file or directory" in capsys.readouterr().err


def test_show_json_is_valid_and_inert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`show --json` escapes bidi marks and controls in the JSON text itself; the values read back whole."""
    hostile = "\x1b[2J\u202eevil\u061c\x9b"
    lines = [*_run(TOP, 0, prompt_version=hostile)]
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    assert main(["show", TOP[:8], str(path), "--json"]) == 0
    out = capsys.readouterr().out
    assert not any(raw in out for raw in ("\x1b", "\u202e", "\u061c", "\x9b"))
    assert orjson.loads(out)["metadata"] == {"prompt_version": hostile}


def test_lines_with_ids_of_the_wrong_type_make_a_report(tmp_path: Path) -> None:
    """Run, span and parent IDs that are lists or objects (a hostile file) are skipped, not fatal."""
    path = _log(tmp_path)
    odd = [
        {**_line("run_started", 1, TOP), "run_id": [TOP]},
        {**_line("hello", 60.2, TOP), "span_id": {"a": 1}, "parent_span_id": [TOP]},
        {**_line("tool_call", 60.3, TOP), "parent_run_id": {"x": 1}, "span_id": [1]},
    ]
    with path.open("ab") as handle:
        handle.write(b"".join(orjson.dumps(line) + b"\n" for line in odd))
    data = _data(build_report([str(path)], Counts()))
    assert {row["run_id"] for row in data["runs"]} == {TOP, CHILD, FAILED, NEWEST}
