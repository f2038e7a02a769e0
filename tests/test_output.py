"""Outputs and profiles: paths, streams, stdout, whole lines, failures that never raise."""

from __future__ import annotations

import io
import multiprocessing
import os
import sys
import threading
from pathlib import Path

import orjson
import pytest

import agentlog
from agentlog import events


def test_path_output_appends(tmp_path: Path) -> None:
    """A path is appended to, never truncated."""
    path = tmp_path / "out.jsonl"
    path.write_text('{"event":"earlier","timestamp":"x","level":"info"}\n')
    agentlog.configure(output=path)
    events.decision("route", "a")
    assert [orjson.loads(x)["event"] for x in path.read_bytes().splitlines()] == ["earlier", "decision"]


def test_binary_stream_gets_bytes() -> None:
    """A binary stream receives whole JSON lines."""
    out = io.BytesIO()
    agentlog.configure(output=out)
    events.decision("route", "a")
    assert orjson.loads(out.getvalue())["event"] == "decision"
    assert out.getvalue().endswith(b"\n")


def test_text_stream_gets_text() -> None:
    """A text stream receives text lines."""
    out = io.StringIO()
    agentlog.configure(output=out)
    events.decision("route", "a")
    assert orjson.loads(out.getvalue())["kind"] == "route"


def test_default_output_follows_sys_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    """Without output=, lines go to whatever sys.stdout is at the time."""
    agentlog.configure()
    events.decision("route", "a")
    assert orjson.loads(capsys.readouterr().out)["event"] == "decision"


def test_line_is_written_when_the_call_returns(tmp_path: Path) -> None:
    """The default writer is synchronous: no buffering between call and file."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    events.decision("route", "a")
    assert path.read_bytes().count(b"\n") == 1


def test_closed_stream_does_not_raise_and_is_counted() -> None:
    """Writing to a closed output never raises; the failure is counted once."""
    out = io.StringIO()
    agentlog.configure(output=out)
    out.close()
    with agentlog.run(), agentlog.tool_call("t", {}):
        agentlog.get_logger().info("lost")
    problems = agentlog.problems()
    assert problems.get("write failed, line dropped", 0) >= 4


def test_broken_stream_write_does_not_raise() -> None:
    """A stream whose write raises does not take the caller down."""

    class Broken(io.StringIO):
        def write(self, s: str) -> int:
            raise OSError(28, "No space left on device")

    agentlog.configure(output=Broken())
    events.decision("route", "a")
    assert agentlog.problems()["write failed, line dropped"] == 1


def test_invalid_configuration_is_a_clear_error() -> None:
    """Unknown format or level, or a bad output, raises at configure time."""
    with pytest.raises(ValueError, match="unknown format"):
        agentlog.configure(format="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="invalid level"):
        agentlog.configure(level="loud")
    with pytest.raises(TypeError, match="output"):
        agentlog.configure(output=42)  # type: ignore[arg-type]


def test_levels_accept_names_and_numbers(tmp_path: Path) -> None:
    """level= takes names in any case and stdlib numbers."""
    for level in ("DEBUG", "Warning", "warn", 40):
        agentlog.configure(output=tmp_path / "x.jsonl", level=level)


def test_lines_from_many_threads_are_whole(tmp_path: Path) -> None:
    """32 threads writing long lines to one file: every line is whole JSON."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    payload = "x" * 20_000
    log = agentlog.get_logger()

    def worker(index: int) -> None:
        for i in range(100):
            log.info("big", index=index, i=i, payload=payload)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = path.read_bytes().splitlines()
    assert len(lines) == 3200
    parsed = [orjson.loads(line) for line in lines]
    assert {(p["index"], p["i"]) for p in parsed} == {(n, i) for n in range(32) for i in range(100)}


def _append_from_process(path: str, index: int) -> None:
    agentlog.configure(output=path, stdlib=False)
    log = agentlog.get_logger()
    for i in range(300):
        log.info("proc", index=index, i=i, payload="y" * 3000)


def test_lines_from_several_processes_are_whole(tmp_path: Path) -> None:
    """4 processes appending to one file: every line whole, none lost."""
    path = str(tmp_path / "out.jsonl")
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_append_from_process, args=(path, n)) for n in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    parsed = [orjson.loads(line) for line in Path(path).read_bytes().splitlines()]
    assert len(parsed) == 1200
    assert {(p["index"], p["i"]) for p in parsed} == {(n, i) for n in range(4) for i in range(300)}


def test_console_format_is_readable_and_escapes_control_characters() -> None:
    """console: one line per event; escape sequences in values are neutralized."""
    out = io.StringIO()
    agentlog.configure(output=out, format="console")
    with agentlog.run():
        agentlog.get_logger().info("tool said", result="\x1b[31mred\x1b[0m\nnext line")
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert "\x1b" not in out.getvalue()
    assert "tool said" in lines[1]
    assert "run_id=" in lines[1]
    assert "\\u001b[31mred" in lines[1]


def test_console_format_prints_a_stack_trace_as_indented_lines() -> None:
    """Console: the traceback follows its line as Python prints it, a frame per line, escapes neutralized."""
    out = io.StringIO()
    agentlog.configure(output=out, format="console")

    def fail() -> None:
        raise ValueError("bad \x1b[2J value")

    try:
        fail()
    except ValueError:
        agentlog.get_logger().exception("boom")
    head, *stack = out.getvalue().splitlines()
    assert "boom" in head and "error_class=ValueError" in head and "error_stack" not in head
    assert stack[0] == "    Traceback (most recent call last):"
    assert any(line.strip().startswith('File "') and "in fail" in line for line in stack)
    assert stack[-1] == "    ValueError: bad \\u001b[2J value"
    assert "\x1b" not in out.getvalue()


def test_file_written_by_os_write_survives_fork(tmp_path: Path) -> None:
    """A forked child writes through the inherited configuration."""
    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path, stdlib=False)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            events.decision("route", "child")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    events.decision("route", "parent")
    outcomes = sorted(orjson.loads(x)["outcome"] for x in path.read_bytes().splitlines())
    assert outcomes == ["child", "parent"]
    assert sys.platform != "win32"


def test_full_disk_does_not_raise(capfd: pytest.CaptureFixture[str]) -> None:
    """Writing to a full device (ENOSPC) never raises; reported once, counted per line."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    agentlog.configure(output="/dev/full")
    with agentlog.run():
        for _ in range(5):
            events.decision("route", "a")
    assert agentlog.problems() == {"write failed, line dropped": 7}  # and run_started, run_finished
    err = capfd.readouterr().err
    assert err.count("agentlog: write failed") == 1
    assert "OSError" in err
