"""Hostile and awkward inputs: huge and compressed lines, files cut while read, odd spacing, repeats, typos.

Each is read to an answer or a clear message, never a crash, a hang or
unbounded memory. The big versions of these (a 1 GiB line in a 1 MiB gzip)
are in ``benchmarks/explorer.py``; here the limits are made small instead.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path
from typing import IO, Any, cast

import orjson
import pytest

from agentlog._explorer import reader
from agentlog._explorer.reader import Counts, collect_run, read_lines, run_id_needle
from agentlog._explorer.stats import stats_of_files
from agentlog._explorer.validate import validate
from agentlog.cli import main

RUN = "1f25dfb1-a52b-43f3-b4ac-5d090abce943"
OTHER = "78fdff91-2dd7-4569-83e8-c6f486ca59e2"
TRACE = "7bd0acacdbd00b99e797e13a5ac02e6f"


def _line(event: str, run_id: str = RUN, **fields: Any) -> dict[str, Any]:
    return {
        "timestamp": "2026-11-22T03:00:00Z",
        "level": "info",
        "event": event,
        "run_id": run_id,
        "trace_id": TRACE if run_id == RUN else "f" * 32,
        **fields,
    }


def _run(run_id: str = RUN, tools: int = 1) -> list[dict[str, Any]]:
    """A whole run as agentlog writes it: started, tool calls, finished."""
    lines = [_line("run_started", run_id, task_hash="sha256:x", request_id=None, session_id=None)]
    for index in range(tools):
        lines.append(_line("tool_call", run_id, tool="search", tool_call_id=f"c{index}", args_hash="h"))
        lines.append(_line("tool_result", run_id, tool="search", tool_call_id=f"c{index}", latency_ms=2.5))
    lines.append(
        _line(
            "run_finished",
            run_id,
            status="ok",
            stop_reason="completed",
            total_steps=1,
            tool_calls=tools,
            llm_calls=0,
            errors=0,
        )
    )
    return lines


def _jsonl(lines: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(line) + b"\n" for line in lines)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- bounded work -------------------------------------------------------------------------------


def test_a_huge_line_in_a_small_gzip_is_skipped_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 32 MiB line (a few KiB of gzip) over a 1 MiB cap: skipped, counted, memory near the cap."""
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 1024 * 1024)
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as handle:
        handle.write(_jsonl(_run()[:1]))
        handle.write(b'{"junk":"' + b"a" * (32 * 1024 * 1024) + b'"}\n')
        handle.write(_jsonl(_run()[1:]))
    assert path.stat().st_size < 100 * 1024
    counts = Counts()
    tracemalloc.start()
    try:
        events = [line["event"] for line in read_lines([str(path)], counts)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert events == ["run_started", "tool_call", "tool_result", "run_finished"]
    assert counts.too_long == 1
    assert peak < 6 * 1024 * 1024
    assert counts.problems == [f"{path}: 1 line longer than 1 MiB skipped"]


def test_over_long_lines_are_said_once_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three over-long lines make one message; the lines between them are read."""
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 4096)
    long = b'{"x":"' + b"y" * 10_000 + b'"}\n'
    path = tmp_path / "a.jsonl"
    path.write_bytes(long + _jsonl(_run()[:1]) + long + long + _jsonl(_run()[1:]) + long.rstrip(b"\n"))
    counts = Counts()
    assert len(list(read_lines([str(path)], counts))) == 4
    assert (counts.too_long, counts.problems) == (4, [f"{path}: 4 lines longer than 0.00390625 MiB skipped"])


class _Trickle(io.RawIOBase):
    """A stream handing out at most 4 KiB a read (as any stream may): the most rounds of work per line.

    Reading a plain file fills the buffer each time, and the buffer doubles,
    so a reader that searched the whole line so far after every read would
    still do linear work there; short reads are where that costs the square.
    """

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self.inner.readinto(memoryview(buffer)[:4096])  # type: ignore[attr-defined, no-any-return]

    def close(self) -> None:
        self.inner.close()
        super().close()


def _work_to_read(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, Counts]:
    """(bytes the reader searched and copied in its buffers while reading *path*, the counts).

    Work is counted rather than timed, so the figure is the same on a loaded
    machine: every search of a buffer (``find``, ``rfind``, ``memmem``) adds
    the length of the range it spans, every slice taken or assigned the
    bytes it copies. A reader that looked at a byte of a line once per read
    of it would add up to the square of the line's length.
    """
    work = [0]

    def spanned(size: int, start: int | None, end: int | None) -> int:
        first, last, _ = slice(start, end).indices(size)
        return max(last - first, 0)

    class CountingBytes(bytearray):
        def find(self, sub: Any, start: Any = None, end: Any = None) -> int:
            work[0] += spanned(len(self), start, end)
            return super().find(sub, start, end)

        def rfind(self, sub: Any, start: Any = None, end: Any = None) -> int:
            work[0] += spanned(len(self), start, end)
            return super().rfind(sub, start, end)

        def __getitem__(self, key: Any) -> Any:
            value = super().__getitem__(key)
            if isinstance(key, slice):
                work[0] += len(value)
            return value

        def __setitem__(self, key: Any, value: Any) -> None:
            if isinstance(key, slice):
                work[0] += len(value)
            super().__setitem__(key, value)

    # The reader's buffers are made with the name bytearray: in its module that name is now the counting one.
    monkeypatch.setattr(reader, "bytearray", CountingBytes, raising=False)
    memmem = reader._MEMMEM
    if memmem is not None:  # the C library's search bypasses bytearray.find: counted here instead

        def counting_memmem(address: int, length: int, needle: bytes, size: int) -> int | None:
            work[0] += length
            return memmem(address, length, needle, size)

        monkeypatch.setattr(reader, "_MEMMEM", counting_memmem)
    opened = reader._open
    monkeypatch.setattr(reader, "_open", lambda name: cast("IO[bytes]", _Trickle(opened(name))))
    counts = Counts()
    lines = list(read_lines([str(path)], counts))
    assert len(lines) == counts.parsed
    return work[0], counts


@pytest.mark.parametrize("too_long", [False, True], ids=["read", "skipped-as-too-long"])
def test_reading_a_long_line_is_work_linear_in_its_length(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, too_long: bool
) -> None:
    """An 8 MiB line, read or skipped, is about 8 times the work of a 1 MiB one (not 64), in 4 KiB reads.

    The complexity check of a long line (once quadratic: 8 times the size
    took 23 times as long, from searching the whole line so far for its
    newline after every block), counted in bytes searched and copied rather
    than timed, so that a busy machine cannot fail it. 9 allows for where
    each length falls between the doublings of the buffer; a quadratic
    reader measures near 64.
    """
    monkeypatch.setattr(reader, "_BLOCK", 4096)
    # Under the cap the line is gathered whole and parsed; over it, read past to its newline and dropped.
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 64 * 1024 if too_long else 64 * 1024 * 1024)

    def work(size: int) -> int:
        path = tmp_path / f"{size}.jsonl"
        path.write_bytes(b'{"timestamp":"t","level":"info","event":"e","x":"' + b"y" * size + b'"}\n')
        with monkeypatch.context() as patch:
            done, counts = _work_to_read(path, patch)
        assert (counts.parsed, counts.too_long) == ((0, 1) if too_long else (1, 0))
        # Finding the newline means looking at every byte before it: less is a count that missed the work.
        assert done >= size
        return done

    small, large = work(1024 * 1024), work(8 * 1024 * 1024)
    assert large <= 9 * small


# -- files that change while read ---------------------------------------------------------------

_TRUNCATING_READER = textwrap.dedent(
    """
    import sys
    from agentlog._explorer import reader
    from agentlog.cli import main

    reader._BLOCK = 64 * 1024
    read_into = reader._Reader._read_into
    calls = [0]

    def pausing(self, start):
        calls[0] += 1
        if calls[0] == 2:  # one block read: let the parent cut the file, then go on
            print("ready", flush=True)
            sys.stdin.readline()
        return read_into(self, start)

    reader._Reader._read_into = pausing
    sys.exit(main(sys.argv[1:]))
    """
)


@pytest.mark.parametrize("command", [["show", RUN[:8]], ["stats"], ["runs"]])
def test_a_file_truncated_while_it_is_read_ends_early_without_a_crash(
    tmp_path: Path, command: list[str]
) -> None:
    """copytruncate: the file is cut to nothing half way through the reading; no SIGBUS, no traceback."""
    path = tmp_path / "agent.jsonl"
    lines = [
        line
        for index in range(400)
        for line in _run(RUN if index == 3 else f"{index:08d}-0000-4000-8000-000000000000")
    ]
    path.write_bytes(_jsonl(lines))
    assert path.stat().st_size > 4 * 64 * 1024
    child = subprocess.Popen(
        [sys.executable, "-c", _TRUNCATING_READER, *command, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "AGENTLOG_NO_PARALLEL": "1"},
    )
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline() == b"ready\n"
    os.truncate(path, 0)
    child.stdin.write(b"go\n")
    child.stdin.flush()
    _, err = child.communicate(timeout=60)
    assert child.returncode != -signal.SIGBUS
    assert child.returncode in (0, 1), err.decode()
    assert b"Traceback" not in err
    assert b"cut short while being read" in err


# -- spacing, repeats --------------------------------------------------------------------------


def test_show_finds_a_run_written_with_spaces_as_runs_lists_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Valid JSON with ": " and ", " separators: listed by runs, shown by show (prefix and whole ID)."""
    path = tmp_path / "spaced.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in _run(tools=2)))
    code, out, _ = _cli(capsys, "runs", str(path), "--json")
    assert code == 0 and [row["run_id"] for row in orjson.loads(out)] == [RUN]
    for given in (RUN[:8], RUN):
        code, out, err = _cli(capsys, "show", given, str(path), "--json")
        assert code == 0, err
        assert RUN in out and "search" in out


def test_stats_reads_lines_with_spaces_like_compact_ones(tmp_path: Path) -> None:
    """The same lines, compact or spaced, give the same figures."""
    compact, spaced = tmp_path / "compact.jsonl", tmp_path / "spaced.jsonl"
    compact.write_bytes(_jsonl(_run(tools=3)))
    spaced.write_text("".join(json.dumps(line) + "\n" for line in _run(tools=3)))
    assert stats_of_files([str(spaced)], Counts()) == stats_of_files([str(compact)], Counts())
    assert stats_of_files([str(compact)], Counts())["tools"][0]["calls"] == 3


def test_a_log_and_its_gzip_copy_in_one_folder_are_read_once(tmp_path: Path) -> None:
    """x.jsonl and x.jsonl.gz hold the same lines: each line is counted once, and that is said."""
    data = _jsonl(_run(tools=2) + _run(OTHER))
    (tmp_path / "x.jsonl").write_bytes(data)
    (tmp_path / "x.jsonl.gz").write_bytes(gzip.compress(data))
    counts = Counts()
    events = [line["event"] for line in read_lines([str(tmp_path)], counts)]
    assert len(events) == data.count(b"\n")
    assert (counts.files, counts.repeated) == (1, 1)
    assert counts.problems == [
        f"{tmp_path / 'x.jsonl.gz'}: the same lines as {tmp_path / 'x.jsonl'}: read once"
    ]
    assert stats_of_files([str(tmp_path)], Counts())["tools"][0]["calls"] == 3


def test_a_copy_taken_before_the_log_grew_adds_only_the_new_lines(tmp_path: Path) -> None:
    """An older gzip copy holds the first lines of the live log: the lines are counted once, none lost."""
    first, later = _jsonl(_run()), _jsonl(_run(OTHER))
    (tmp_path / "agent.jsonl").write_bytes(first + later)
    (tmp_path / "agent.jsonl.1.gz").write_bytes(gzip.compress(first))
    (tmp_path / "other.jsonl").write_bytes(first + _jsonl(_run("0" * 8 + RUN[8:])))
    runs = [
        line["run_id"] for line in read_lines([str(tmp_path)], Counts()) if line["event"] == "run_started"
    ]
    assert runs == [RUN, OTHER, "0" * 8 + RUN[8:]]


def test_the_same_file_named_twice_is_read_once(tmp_path: Path) -> None:
    """Named twice, or named and inside a folder given too: read once."""
    path = tmp_path / "a.jsonl"
    path.write_bytes(_jsonl(_run()))
    counts = Counts()
    lines = list(read_lines([str(path), str(tmp_path), str(path)], counts))
    assert len(lines) == 4 and counts.files == 1


# -- in parallel ----------------------------------------------------------------------------------


def test_stats_split_across_processes_equals_stats_read_in_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts of 16 KiB read in forked processes give the figures (and counts) one reading gives."""
    lines = []
    for index in range(300):
        run_id = f"{index:08d}-0000-4000-8000-000000000000"
        lines.extend(_run(run_id, tools=1 + index % 3))
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"garbage\n" + _jsonl(lines) + b"more garbage\n")
    one_counts = Counts()
    monkeypatch.setenv("AGENTLOG_NO_PARALLEL", "1")
    one = stats_of_files([str(path)], one_counts)
    monkeypatch.delenv("AGENTLOG_NO_PARALLEL")
    monkeypatch.setattr(reader, "_PART", 16 * 1024)
    monkeypatch.setattr(reader, "_workers", lambda: 4)
    split_counts = Counts()
    split = stats_of_files([str(path)], split_counts)
    assert split == one
    assert (split_counts.parsed, split_counts.skipped, split_counts.files) == (
        one_counts.parsed,
        one_counts.skipped,
        1,
    )
    assert split["repeated_tool_calls"][0]["count"] == 3


# -- inputs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["runs"],
        ["stats"],
        ["validate"],
        ["show", RUN[:8]],
        ["diff", RUN[:8], OTHER[:8]],
        ["report", "-o", "page.html"],
    ],
)
def test_a_missing_input_is_an_error_for_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Exit 2 and the name of what is missing, even with a good file beside it; nothing else printed."""
    good = tmp_path / "good.jsonl"
    good.write_bytes(_jsonl(_run()))
    missing = tmp_path / "missing.jsonl"
    code, out, err = _cli(capsys, *argv[:1], *argv[1:], str(good), str(missing))
    assert code == 2
    assert out == ""
    assert err == f"agentlog: {missing}: no such file or directory\n"


def test_an_empty_folder_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A folder with no log files in it is not an empty answer."""
    code, _, err = _cli(capsys, "stats", str(tmp_path))
    assert code == 2 and "no .jsonl" in err


def test_a_run_id_and_a_file_swapped_get_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`agentlog show FILE RUN_ID` says which is which and the right order."""
    path = tmp_path / "agent.jsonl"
    path.write_bytes(_jsonl(_run()))
    code, _, err = _cli(capsys, "show", str(path), RUN[:8])
    assert code == 2
    assert err.splitlines() == [
        f"agentlog: {RUN[:8]}: no such file or directory",
        f"agentlog: '{RUN[:8]}' looks like a run ID and '{path}' is a file: "
        "the run comes first: agentlog show RUN_ID FILE...",
    ]


def test_a_hostile_file_name_is_printed_inert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing file whose name holds escapes and a bidi mark is named with them escaped."""
    name = str(tmp_path / "x\x1b[2J\u202e.jsonl")
    code, _, err = _cli(capsys, "runs", name)
    assert code == 2
    assert "\x1b" not in err and "\u202e" not in err and "\\x1b[2J" in err


def test_validate_escapes_the_file_names_it_prints(tmp_path: Path) -> None:
    """An invalid line in a file whose name holds terminal escapes: the name is printed escaped."""
    path = tmp_path / "evil\x1b]0;owned\x07\u061c.jsonl"
    path.write_bytes(b"not json\n")
    result = validate([str(path)])
    [message] = result.errors
    assert "\x1b" not in message and "\x07" not in message and "\u061c" not in message
    assert message.endswith(":1: not an agentlog JSON line")


def test_validate_reports_an_over_long_line_and_keeps_counting_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line over the cap is invalid (not read), and the line numbers after it stay right."""
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 1024)
    good = orjson.dumps({"timestamp": "2026-11-22T03:00:00Z", "level": "info", "event": "hello"})
    path = tmp_path / "a.jsonl"
    path.write_bytes(good + b"\n" + b"x" * 5000 + b"\n\nnot json\n")
    result = validate([str(path)])
    assert (result.checked, result.invalid) == (3, 2)
    assert result.errors == [
        f"{path}:2: longer than 0.000976562 MiB: not checked",
        f"{path}:4: not an agentlog JSON line",
    ]


def test_validate_names_a_corrupt_gzip_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A gzip cut short is an error naming the file, not a traceback."""
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(_jsonl(_run() * 50))[:300])
    code, out, err = _cli(capsys, "validate", str(path))
    assert code == 2 and out == ""
    assert err.startswith(f"agentlog: {path}: line ")


def test_collect_run_leaves_out_a_line_that_only_holds_the_prefix_elsewhere(tmp_path: Path) -> None:
    """The show needle is any string starting with the prefix: a span ID that does is not the run."""
    decoy = _line("hello", OTHER, span_id=RUN[:8] + "00000000")
    path = tmp_path / "a.jsonl"
    path.write_bytes(_jsonl([decoy, *_run()]))
    lines = collect_run([str(path)], run_id_needle(RUN[:8]), Counts())
    assert {line["run_id"] for line in lines} == {RUN}


class _Stdin:
    """Stands in for sys.stdin: only its byte buffer is read."""

    def __init__(self, data: bytes) -> None:
        self.buffer = io.BufferedReader(io.BytesIO(data))


def test_gzip_on_stdin_is_decompressed(monkeypatch: pytest.MonkeyPatch) -> None:
    """`zcat`-less: a gzip stream piped in is recognised by its first bytes, which are not lost."""
    monkeypatch.setattr(sys, "stdin", _Stdin(gzip.compress(_jsonl(_run()))))
    assert [line["event"] for line in read_lines(["-"], Counts())][::3] == ["run_started", "run_finished"]


def test_a_pipe_is_read_whole(tmp_path: Path) -> None:
    """A named pipe (as `<(zcat x.gz)` gives) is read once, from its first byte: nothing is peeked away."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    data = gzip.compress(_jsonl(_run(tools=2)))
    writer = subprocess.Popen([sys.executable, "-c", f"open({str(fifo)!r}, 'wb').write({data!r})"])
    try:
        counts = Counts()
        lines = list(read_lines([str(fifo)], counts))
    finally:
        writer.wait(timeout=30)
    assert lines[0]["event"] == "run_started" and len(lines) == 6
    assert counts.problems == []


def test_a_reading_process_that_dies_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A forked process killed before it answers: its part is read again here, and nothing is lost."""
    lines = [line for index in range(200) for line in _run(f"{index:08d}-0000-4000-8000-000000000000")]
    path = tmp_path / "a.jsonl"
    path.write_bytes(_jsonl(lines))
    whole = Counts()
    expected = stats_of_files([str(path)], whole, workers=1)
    monkeypatch.setattr(reader, "_PART", 8 * 1024)
    monkeypatch.setattr(reader, "_workers", lambda: 3)
    in_child = reader._in_child

    def dying(task: Any) -> tuple[int, int]:
        def slow() -> Any:
            time.sleep(60)  # killed long before it answers
            return task()

        pid, read_end = in_child(slow)
        os.kill(pid, signal.SIGKILL)
        return pid, read_end

    monkeypatch.setattr(reader, "_in_child", dying)
    counts = Counts()
    assert stats_of_files([str(path)], counts) == expected
    assert expected["stop_reasons"] == {"completed": 200}
    assert counts.parsed == whole.parsed


def test_a_line_claiming_another_trace_does_not_hide_the_run(tmp_path: Path) -> None:
    """A first line naming the run with a made-up trace: the run's own lines are still all found."""
    spoof = _line("hello", RUN, trace_id="0" * 32, logger="x")
    path = tmp_path / "a.jsonl"
    path.write_bytes(_jsonl([spoof, *_run(tools=2)]))
    for given in (RUN, RUN[:8]):
        lines = collect_run([str(path)], run_id_needle(given), Counts(), unique=len(given) == 36)
        assert [line["event"] for line in lines if line.get("trace_id") == TRACE] == [
            "run_started",
            "tool_call",
            "tool_result",
            "tool_call",
            "tool_result",
            "run_finished",
        ]


def test_the_trace_is_not_learnt_from_a_free_form_line(tmp_path: Path) -> None:
    """A log message marked free-form names the run first: the trace comes from agentlog's own line."""
    child = "d8e5dbce-3bea-46f4-8052-774fd9781b9c"
    spoof = _line("run_started", RUN, trace_id="0" * 32, free_form=True)
    child_lines = [_line("hello", child, trace_id=TRACE)]
    path = tmp_path / "a.jsonl"
    path.write_bytes(_jsonl([spoof, *_run(), *child_lines]))
    lines = collect_run([str(path)], run_id_needle(RUN[:8]), Counts())
    assert child in {line["run_id"] for line in lines}
