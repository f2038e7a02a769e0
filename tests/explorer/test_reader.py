"""The reader: files, directories, gzip and stdin to flat lines; malformed lines counted."""

from __future__ import annotations

import gzip
import io
import os
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentlog._explorer import reader
from agentlog._explorer.reader import (
    Counts,
    collect_run,
    expand_inputs,
    first_match,
    numbered_lines,
    parse,
    read_lines,
    run_id_needle,
    spooled_stdin,
)

RUN = "1f25dfb1-a52b-43f3-b4ac-5d090abce943"
CHILD = "d8e5dbce-3bea-46f4-8052-774fd9781b9c"
OTHER = "78fdff91-2dd7-4569-83e8-c6f486ca59e2"
TRACE = "7bd0acacdbd00b99e797e13a5ac02e6f"


def _line(event: str, run_id: str = RUN, **fields: Any) -> dict[str, Any]:
    return {"timestamp": "2026-11-22T03:00:00Z", "level": "info", "event": event, "run_id": run_id, **fields}


def _jsonl(*lines: dict[str, Any]) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def _write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


class _Stdin:
    """Stands in for sys.stdin: only its byte buffer is read."""

    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


def test_expand_inputs_walks_directories_for_log_files(tmp_path: Path) -> None:
    """A directory becomes its log files at any depth, sorted; other files are left out."""
    for name in ("b.jsonl", "a.log", "sub/c.ndjson", "sub/d.json.gz", "notes.txt", "e.json"):
        _write(tmp_path / name, b"")
    found = [Path(name).relative_to(tmp_path).as_posix() for name in expand_inputs([str(tmp_path)])]
    assert found == ["a.log", "b.jsonl", "e.json", "sub/c.ndjson", "sub/d.json.gz"]


def test_expand_inputs_keeps_files_and_stdin_as_given(tmp_path: Path) -> None:
    """A file (whatever its suffix), a missing path and `-` pass through in order."""
    given = [str(tmp_path / "x.txt"), "-", str(tmp_path / "missing.jsonl")]
    assert expand_inputs(given) == given


def test_read_lines_parses_a_file_in_order(tmp_path: Path) -> None:
    """Each JSON line becomes a flat dict, in file order, and is counted as parsed."""
    path = _write(tmp_path / "a.jsonl", _jsonl(_line("run_started"), _line("hello"), _line("run_finished")))
    counts = Counts()
    events = [line["event"] for line in read_lines([path], counts)]
    assert events == ["run_started", "hello", "run_finished"]
    assert (counts.parsed, counts.skipped, counts.files) == (3, 0, 1)


def test_read_lines_decompresses_gzip_by_content_not_name(tmp_path: Path) -> None:
    """A gzip file is read whatever its name says."""
    path = _write(tmp_path / "looks-plain.jsonl", gzip.compress(_jsonl(_line("hello"))))
    assert [line["event"] for line in read_lines([path], Counts())] == ["hello"]


def test_read_lines_reads_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    """`-` reads the bytes of stdin."""
    monkeypatch.setattr(sys, "stdin", _Stdin(_jsonl(_line("from stdin"))))
    assert [line["event"] for line in read_lines(["-"], Counts())] == ["from stdin"]


def test_read_lines_counts_malformed_lines_and_goes_on(tmp_path: Path) -> None:
    """Text, a non-agentlog object and a cut-off line are skipped and counted; blank lines are not."""
    data = b'not json\n{"valid": "json but not agentlog"}\n\n{truncated\n' + _jsonl(_line("after"))
    counts = Counts()
    lines = list(read_lines([_write(tmp_path / "a.jsonl", data)], counts))
    assert [line["event"] for line in lines] == ["after"]
    assert (counts.parsed, counts.skipped) == (1, 3)


def test_read_lines_records_an_unreadable_file_and_reads_the_rest(tmp_path: Path) -> None:
    """A missing file is a problem noted in the counts, not an exception."""
    good = _write(tmp_path / "good.jsonl", _jsonl(_line("hello")))
    counts = Counts()
    lines = list(read_lines([str(tmp_path / "missing.jsonl"), good], counts))
    assert len(lines) == 1
    assert len(counts.problems) == 1 and "missing.jsonl" in counts.problems[0]
    assert counts.files == 1


def test_read_lines_with_needles_parses_only_matching_lines(tmp_path: Path) -> None:
    """Needles pick lines by their bytes; other lines are neither parsed nor counted."""
    path = _write(tmp_path / "a.jsonl", _jsonl(_line("run_started"), _line("hello"), _line("tool_call")))
    counts = Counts()
    events = [line["event"] for line in read_lines([path], counts, (b"run_started", b"tool_call"))]
    assert events == ["run_started", "tool_call"]
    assert (counts.parsed, counts.skipped) == (2, 0)


def test_read_lines_count_all_still_counts_malformed_lines(tmp_path: Path) -> None:
    """With count_all, a malformed line without the needle is still counted as skipped."""
    path = _write(tmp_path / "a.jsonl", b"garbage\n" + _jsonl(_line("run_started"), _line("hello")))
    counts = Counts()
    events = [line["event"] for line in read_lines([path], counts, (b"run_started",), count_all=True)]
    assert events == ["run_started"]
    assert (counts.parsed, counts.skipped) == (1, 1)


def test_read_lines_finds_lines_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines that straddle the blocks a file is read in are found whole, once each."""
    lines = [_line("tool_call", tool="t", padding="x" * 300, n=n) for n in range(60)]
    path = _write(tmp_path / "a.jsonl", _jsonl(*lines))
    monkeypatch.setattr(reader, "_BLOCK", 4096)
    found = list(read_lines([path], Counts(), (b"tool_call",)))
    assert [line["n"] for line in found] == list(range(60))


def test_parse_reads_any_profile_and_refuses_the_rest() -> None:
    """A json or ecs line parses to the flat form; an array, text or a foreign object does not."""
    assert parse(b'  {"timestamp":"t","level":"info","event":"e"}\n') == {
        "timestamp": "t",
        "level": "info",
        "event": "e",
    }
    ecs = {"@timestamp": "t", "log.level": "info", "message": "e", "agentlog": {"run_id": RUN}}
    assert parse(orjson.dumps(ecs)) == {"timestamp": "t", "level": "info", "event": "e", "run_id": RUN}
    assert [parse(raw) for raw in (b"[1, 2]", b"text", b"", b'{"other": 1}', b"{bad")] == [None] * 5


def test_run_id_needle_matches_a_run_in_every_profile() -> None:
    """The prefix needle is in a json line, an ecs line (nested) and a datadog line (dotted)."""
    needle = run_id_needle(RUN[:8])
    json_line = orjson.dumps(_line("hello"))
    ecs_line = orjson.dumps({"@timestamp": "t", "log.level": "info", "agentlog": {"run_id": RUN}})
    datadog_line = orjson.dumps({"timestamp": "t", "status": "info", "agentlog.run_id": RUN})
    assert all(needle in raw for raw in (json_line, ecs_line, datadog_line))
    assert needle not in orjson.dumps(_line("hello", run_id=OTHER))


def test_collect_run_follows_the_trace_into_files_read_before(tmp_path: Path) -> None:
    """Lines of the run's trace in a file listed first (not naming the run) are found on a second search."""
    grandchild = _write(
        tmp_path / "grandchild.jsonl",
        _jsonl(
            _line("run_started", CHILD, trace_id=TRACE, parent_run_id=OTHER),
            _line("hello", OTHER, trace_id="f" * 32),
        ),
    )
    parent = _write(tmp_path / "parent.jsonl", _jsonl(_line("run_started", trace_id=TRACE)))
    lines = collect_run([grandchild, parent], run_id_needle(RUN), Counts(), unique=True)
    assert sorted((line["run_id"], line["event"]) for line in lines) == [
        (RUN, "run_started"),
        (CHILD, "run_started"),
    ]


def test_first_match_says_where_the_first_matching_line_is(tmp_path: Path) -> None:
    """The file, byte offset and flat line of the first line with the needle."""
    first = _jsonl(_line("hello", OTHER))
    path = _write(tmp_path / "a.jsonl", first + _jsonl(_line("hello"), _line("again")))
    assert first_match([path], RUN.encode()) == (path, len(first), _line("hello"))
    assert first_match([path], b"nowhere") is None


def test_numbered_lines_numbers_as_an_editor_does(tmp_path: Path) -> None:
    """Blank lines are not yielded but are counted, so numbers match the file's lines."""
    path = _write(tmp_path / "a.jsonl", b"first\n\n  \nfourth\n")
    assert list(numbered_lines([path])) == [(path, 1, b"first"), (path, 4, b"fourth")]


def test_numbered_lines_raises_for_a_missing_file(tmp_path: Path) -> None:
    """A file that cannot be read is an error here, not something to skip."""
    with pytest.raises(FileNotFoundError):
        list(numbered_lines([str(tmp_path / "missing.jsonl")]))


def test_spooled_stdin_copies_stdin_to_a_file_removed_afterwards(monkeypatch: pytest.MonkeyPatch) -> None:
    """`-` becomes a temporary file holding stdin's bytes, deleted when the block ends."""
    monkeypatch.setattr(sys, "stdin", _Stdin(b"from stdin\n"))
    with spooled_stdin(["a.jsonl", "-"]) as inputs:
        assert inputs[0] == "a.jsonl"
        spool = inputs[1]
        assert Path(spool).read_bytes() == b"from stdin\n"
    assert not os.path.exists(spool)


def test_spooled_stdin_leaves_files_alone() -> None:
    """Without `-`, the inputs are used as given and nothing is created."""
    with spooled_stdin(["a.jsonl"]) as inputs:
        assert inputs == ["a.jsonl"]
