"""``agentlog tail``: following growing and rotated files, runs as they finish, failures as they happen."""

from __future__ import annotations

import gzip
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson
import pytest

import agentlog
from agentlog._explorer import follow
from agentlog._explorer.filters import RunFilter
from agentlog._explorer.follow import (
    DirectoryFollower,
    Failure,
    FileFollower,
    Finished,
    Notice,
    StreamFollower,
    Tail,
)
from agentlog._explorer.text import Style
from agentlog._explorer.views import failure_line, run_line

A = "aaaaaaaa-0000-4000-8000-000000000001"
B = "bbbbbbbb-0000-4000-8000-000000000002"
SHAPE = {"task_hash": None, "request_id": None, "session_id": None}


def _line(event: str, run_id: str = A, second: int = 0, /, **fields: Any) -> bytes:
    stamp = f"2026-11-22T03:00:{second:02d}Z"
    line = {"timestamp": stamp, "level": "info", "event": event, "run_id": run_id, **fields}
    return orjson.dumps(line) + b"\n"


def _started(run_id: str = A, user: str = "u-1") -> bytes:
    return _line("run_started", run_id, user_id=user, **SHAPE)


def _finished(run_id: str = A, status: str = "ok", second: int = 9) -> bytes:
    totals = {"total_steps": 1, "tool_calls": 1, "llm_calls": 0, "errors": 0, "total_latency_ms": 900}
    return _line("run_finished", run_id, second, status=status, stop_reason="completed", **totals)


def _tool_failed(run_id: str = A, error: str = "TimeoutError", message: str = "slow") -> bytes:
    return _line(
        "tool_result",
        run_id,
        3,
        tool="search",
        tool_call_id="c1",
        step_id=1,
        status="error",
        error_class=error,
        error_message=message,
        latency_ms=12.5,
    )


@pytest.fixture(autouse=True)
def _closed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every file a test's followers opened is closed when it ends."""
    made: list[FileFollower] = []
    original = FileFollower.__init__

    def remembered(self: FileFollower, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(FileFollower, "__init__", remembered)
    yield
    for follower in made:
        follower.close()


def _append(path: Path, *lines: bytes) -> None:
    with open(path, "ab") as handle:
        handle.write(b"".join(lines))


# -- one file followed ---------------------------------------------------------------------------


def test_following_starts_at_the_end_of_the_file(tmp_path: Path) -> None:
    """What the file already holds is not returned; what is appended is, line by line."""
    path = tmp_path / "a.jsonl"
    _append(path, b'{"old":1}\n')
    follower = FileFollower(str(path))
    assert follower.poll() == []
    _append(path, b'{"new":1}\n{"new":2}\n')
    assert follower.poll() == [b'{"new":1}', b'{"new":2}']


def test_from_start_reads_what_the_file_holds(tmp_path: Path) -> None:
    """--from-start: existing lines first."""
    path = tmp_path / "a.jsonl"
    _append(path, b'{"old":1}\n')
    assert FileFollower(str(path), from_start=True).poll() == [b'{"old":1}']


def test_a_line_is_returned_only_once_it_is_whole(tmp_path: Path) -> None:
    """A line still being written waits for its newline."""
    path = tmp_path / "a.jsonl"
    path.touch()
    follower = FileFollower(str(path))
    _append(path, b'{"half":')
    assert follower.poll() == []
    _append(path, b"1}\n")
    assert follower.poll() == [b'{"half":1}']


def test_rename_and_recreate_is_followed(tmp_path: Path) -> None:
    """The old file's last lines, then the new file from its start; the rotation is said."""
    path = tmp_path / "a.jsonl"
    path.touch()
    follower = FileFollower(str(path))
    _append(path, b'{"n":1}\n')
    os.rename(path, tmp_path / "a.jsonl.1")
    _append(tmp_path / "a.jsonl.1", b'{"n":2}\n')
    assert follower.poll() == [b'{"n":1}', b'{"n":2}']  # renamed away, not recreated yet
    _append(path, b'{"n":3}\n')
    assert follower.poll() == [b'{"n":3}']
    assert follower.notices() == [f"{path}: replaced (rotated); following the new file"]


def test_copytruncate_is_followed(tmp_path: Path) -> None:
    """A file truncated in place is read again from its start."""
    path = tmp_path / "a.jsonl"
    path.touch()
    follower = FileFollower(str(path))
    _append(path, b'{"n":1}\n' * 5)
    assert len(follower.poll()) == 5
    with open(path, "r+b") as handle:
        handle.truncate(0)
    _append(path, b'{"n":2}\n')
    assert follower.poll() == [b'{"n":2}']
    assert follower.notices() == [f"{path}: truncated; reading it again from its start"]


def test_a_file_truncated_and_refilled_past_the_point_read_is_caught(tmp_path: Path) -> None:
    """Refilled beyond where it was read before the next poll: the bytes there changed, so it is reread."""
    path = tmp_path / "a.jsonl"
    path.touch()
    follower = FileFollower(str(path))
    _append(path, b'{"n":1}\n' * 3)
    assert len(follower.poll()) == 3
    with open(path, "r+b") as handle:
        handle.truncate(0)
    _append(path, b'{"m":22}\n' * 10)
    assert follower.poll() == [b'{"m":22}'] * 10


def test_a_missing_file_is_waited_for_and_read_from_its_start(tmp_path: Path) -> None:
    """Missing at first (said once), then read whole once it appears."""
    path = tmp_path / "later.jsonl"
    follower = FileFollower(str(path))
    assert follower.poll() == [] and follower.poll() == []
    assert follower.notices() == [f"{path}: no such file yet; waiting for it"]
    _append(path, b'{"n":1}\n')
    assert follower.poll() == [b'{"n":1}']
    assert follower.notices() == [f"{path}: appeared; following it from its start"]


def test_overlong_lines_are_skipped_and_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A line over the cap (here 32 bytes) is dropped whole, even written in pieces; the next one is read."""
    monkeypatch.setattr(follow, "MAX_LINE_BYTES", 32)
    path = tmp_path / "a.jsonl"
    path.touch()
    follower = FileFollower(str(path))
    _append(path, b"x" * 20)
    assert follower.poll() == []
    _append(path, b"x" * 40)
    assert follower.poll() == []
    _append(path, b'xx\n{"ok":1}\n' + b"y" * 50 + b'\n{"ok":2}\n')
    assert follower.poll() == [b'{"ok":1}', b'{"ok":2}']
    assert follower.too_long == 2


def test_a_stream_is_read_to_its_end(tmp_path: Path) -> None:
    """A pipe: lines as they come, the last one without a newline too, then done."""
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as reader:
        follower = StreamFollower(reader)
        assert follower.poll() == []
        os.write(write_end, b'{"n":1}\n{"n":')
        assert follower.poll() == [b'{"n":1}']
        os.write(write_end, b"2}")
        os.close(write_end)
        assert follower.poll() == [b'{"n":2}']
        assert follower.done


# -- runs and failures as they happen ------------------------------------------------------------


def _tail(
    tmp_path: Path, chosen: RunFilter | None = None, existing: bytes = b"", name: str = "a.jsonl"
) -> tuple[Tail, Path]:
    path = tmp_path / name
    path.write_bytes(existing)
    tail = Tail([FileFollower(str(path))], chosen or RunFilter())
    tail.prime()
    return tail, path


def test_a_failure_is_reported_as_it_happens_and_the_run_when_it_finishes(tmp_path: Path) -> None:
    """The failing tool call before the run ends; the run (with its user) on run_finished."""
    tail, path = _tail(tmp_path)
    _append(path, _started(), _tool_failed())
    [failure] = tail.poll()
    assert isinstance(failure, follow.Failure)
    assert (failure.run_id, failure.kind, failure.name, failure.error_class) == (
        A,
        "tool",
        "search",
        "TimeoutError",
    )
    _append(path, _finished(status="error"))
    [done] = tail.poll()
    assert isinstance(done, Finished)
    assert (done.run.run_id, done.run.status, done.run.user_id) == (A, "error", "u-1")


def test_a_step_failing_with_its_calls_exception_is_not_reported_twice(tmp_path: Path) -> None:
    """The step that failed because its tool call did adds no second failure; another exception does."""
    tail, path = _tail(tmp_path)
    step = {"step_id": 1, "step_type": "tool", "status": "error"}
    _append(
        path, _started(), _tool_failed(), _line("step_finished", second=4, error_class="TimeoutError", **step)
    )
    assert len(tail.poll()) == 1
    _append(path, _line("step_finished", second=5, error_class="ValueError", **step))
    assert [event.error_class for event in tail.poll() if isinstance(event, follow.Failure)] == ["ValueError"]


def test_runs_started_before_tail_are_learnt_from_the_end_of_the_file(tmp_path: Path) -> None:
    """A run already in progress keeps its user: --user finds it when it finishes."""
    tail, path = _tail(tmp_path, RunFilter(user="u-1"), existing=_started() + _started(B, "u-2"))
    _append(path, _finished(B), _finished(A))
    assert [event.run.run_id for event in tail.poll() if isinstance(event, Finished)] == [A]


def test_filters_apply_to_runs_and_failures(tmp_path: Path) -> None:
    """--user and --error-class choose failures too; --status ok prints no failure, only ok runs."""
    tail, path = _tail(tmp_path, RunFilter(user="u-1", error_class="TimeoutError"))
    _append(
        path, _started(), _started(B, "u-2"), _tool_failed(B), _tool_failed(A, "KeyError"), _tool_failed(A)
    )
    found = tail.poll()
    assert [(event.run_id, event.error_class) for event in found if isinstance(event, follow.Failure)] == [
        (A, "TimeoutError")
    ]
    assert len(found) == 1
    quiet, path = _tail(tmp_path, RunFilter(status="ok"), name="b.jsonl")
    _append(path, _started(), _tool_failed(), _finished(status="error"), _started(B), _finished(B))
    found = quiet.poll()
    assert [event.run.run_id for event in found if isinstance(event, Finished)] == [B]
    assert len(found) == 1


def test_lines_marked_free_form_neither_fail_nor_finish_a_run(tmp_path: Path) -> None:
    """A log message named tool_result or run_finished is no failure and ends no run."""
    tail, path = _tail(tmp_path)
    fake_failure = _line("tool_result", status="error", error_class="Fake", free_form=True)
    fake_end = _line("run_finished", status="error", stop_reason="x", free_form=True, **{"total_steps": 0})
    _append(path, _started(), fake_failure, fake_end)
    assert tail.poll() == []
    assert tail.builder.open_runs() == [A]


def test_lines_of_a_finished_run_start_no_new_run(tmp_path: Path) -> None:
    """A late line of a run already printed is ignored, so the run is not printed again as unfinished."""
    tail, path = _tail(tmp_path)
    _append(path, _started(), _finished(), _line("tool_call", second=10, tool="late"))
    assert len(tail.poll()) == 1
    assert tail.unfinished() == []


def test_runs_still_open_are_listed_at_the_end(tmp_path: Path) -> None:
    """unfinished(): the open runs that pass the filters, with what their lines prove."""
    tail, path = _tail(tmp_path, RunFilter(status="unfinished"))
    _append(path, _started(), _line("agent_step", second=2, step_id=1), _started(B), _finished(B))
    assert tail.poll() == []
    [still] = tail.unfinished()
    assert (still.run.run_id, still.run.total_steps, still.run.unfinished) == (A, 1, True)


def test_memory_is_bounded_by_dropping_the_oldest_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_OPEN_RUNS open runs the oldest are dropped; finished IDs are remembered up to a cap."""
    monkeypatch.setattr(follow, "MAX_OPEN_RUNS", 20)
    monkeypatch.setattr(follow, "MAX_DONE_RUNS", 5)
    tail, path = _tail(tmp_path)
    _append(path, *(_started(f"run-{index}") for index in range(100)))
    tail.poll()
    assert len(tail.builder) <= 21
    assert len(tail._done) <= 5


def test_hostile_values_are_printed_inert() -> None:
    """A failure's message and a run's user with escapes and bidi marks are shown escaped."""
    failure = follow.Failure(
        A, "tool", "se\x1b[2Jarch", None, 1, "c\u202e1", "E\x07", "\x1b]0;x\x07\u061c", 1.0, "f"
    )
    text = failure_line(failure, Style(False))
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text and "\u061c" not in text
    from agentlog._explorer.runs import RunSummary

    line = run_line(RunSummary(A, user_id="\x1b[31mred", status="ok", ended=True), Style(False))
    assert "\x1b" not in line and "\\x1b[31mred" in line


# -- the command, against a real writer --------------------------------------------------------------

_WRITER = """
import os, sys, time, agentlog
path, go = sys.argv[1], sys.argv[2]


def wait(name):
    while not os.path.exists(name):
        time.sleep(0.01)


agentlog.configure(output=path, service="worker")
def run(user, fail=False):
    with agentlog.run(task=user, user_id=user):
        try:
            with agentlog.step("tool"), agentlog.tool_call("search", {"q": user}):
                if fail:
                    raise TimeoutError("upstream slow for " + user)
        except TimeoutError:
            pass
run("u-1")
run("u-2", fail=True)
wait(go + "1")
os.rename(path, path + ".1")
run("u-3")
wait(go + "2")
with open(path, "r+") as handle:
    handle.truncate(0)
run("u-4", fail=True)
"""


class _Output:
    """A child's stdout (or *stream*) read line by line in a thread, waited on with a deadline."""

    def __init__(self, process: subprocess.Popen[bytes], stream: IO[bytes] | None = None) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        stream = stream if stream is not None else process.stdout
        assert stream is not None

        def pump() -> None:
            for raw in stream:
                self.lines.put(raw.decode())

        self.thread = threading.Thread(target=pump, daemon=True)
        self.thread.start()

    def until(self, text: str, timeout: float = 20.0) -> list[str]:
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                seen.append(self.lines.get(timeout=0.1))
            except queue.Empty:
                continue
            if text in seen[-1]:
                return seen
        raise AssertionError(f"no {text!r} within {timeout} s; saw {seen}")


def test_tail_follows_a_real_writer_through_rotation_and_exits_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    """Agentlog's writer renames, then truncates its file: each run and failure shown once; SIGINT: exit 0."""
    path, go = tmp_path / "agent.jsonl", tmp_path / "go"
    command = [sys.executable, "-m", "agentlog", "tail", str(path), "--interval", "0.05", "--color", "never"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as tail:
        output = _Output(tail)
        writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(go)])
        try:
            printed = output.until("user=u-2")
            Path(f"{go}1").touch()
            printed += output.until("user=u-3")
            Path(f"{go}2").touch()
            printed += output.until("user=u-4")
            assert writer.wait(timeout=30) == 0
            tail.send_signal(signal.SIGINT)
            assert tail.wait(timeout=10) == 0
        finally:
            for process in (tail, writer):
                if process.poll() is None:
                    process.kill()
                    process.wait()
        output.thread.join(timeout=10)
        assert tail.stderr is not None
        err = tail.stderr.read().decode()
    runs = [line for line in printed if " run " in line and "FAILED" not in line]
    failures = [line for line in printed if "FAILED" in line]
    assert [line.rsplit("user=", 1)[1].split()[0] for line in runs] == ["u-1", "u-2", "u-3", "u-4"]
    assert len(failures) == 2 and all("TimeoutError: upstream slow" in line for line in failures)
    assert "Traceback" not in err
    assert "replaced (rotated)" in err and "truncated" in err


def test_tail_reads_stdin_to_its_end_and_lists_open_runs(tmp_path: Path) -> None:
    """From a pipe: one JSON event per line; --status unfinished lists the runs never finished, at its end."""
    data = _started() + _tool_failed() + _finished(status="error") + _started(B, "u-2")
    done = subprocess.run(
        [sys.executable, "-m", "agentlog", "tail", "-", "--json"], input=data, capture_output=True, timeout=60
    )
    assert done.returncode == 0
    events = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert [(event["type"], event["run_id"]) for event in events] == [("failure", A), ("run", A)]
    done = subprocess.run(
        [sys.executable, "-m", "agentlog", "tail", "-", "--status", "unfinished", "--color", "never"],
        input=data,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0
    [line] = done.stdout.decode().splitlines()
    assert B in line and "unfinished" in line and "no run_finished line" in line


def test_tail_refuses_a_compressed_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A .gz cannot be followed: exit 2 with a clear message, nothing read."""
    from agentlog.cli import main

    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00")
    assert main(["tail", str(path)]) == 2
    assert "compressed" in capsys.readouterr().err


def test_tail_notices_go_to_stderr_escaped(tmp_path: Path) -> None:
    """A file name with control characters is printed escaped in the notice that it is missing."""
    tail = Tail([FileFollower(str(tmp_path / "x\x1b[2J.jsonl"))], RunFilter())
    [notice] = tail.poll()
    assert isinstance(notice, Notice) and "\x1b" in notice.message
    from agentlog._explorer.text import safe

    assert "\x1b" not in safe(notice.message)


def test_agentlog_writes_the_lines_tail_reads(tmp_path: Path) -> None:
    """In-process: a run written by agentlog while followed is printed once it ends."""
    path = tmp_path / "a.jsonl"
    tail = Tail([FileFollower(str(path))], RunFilter())
    tail.prime()
    agentlog.configure(output=path)
    with agentlog.run(task="t", user_id="u-9") as run:
        pass
    [event] = [event for event in tail.poll() if isinstance(event, Finished)]
    assert (event.run.run_id, event.run.user_id) == (run.run_id, "u-9")


# -- a directory followed: files come and go -----------------------------------------------------


def _watch(directory: Path, chosen: RunFilter | None = None) -> tuple[Tail, DirectoryFollower]:
    watched = DirectoryFollower(str(directory))
    tail = Tail([], chosen or RunFilter(), [watched])
    tail.prime()
    return tail, watched


def _said(events: list[Any]) -> tuple[list[str | None], list[str], list[str]]:
    """The failures' messages, the finished runs' IDs and the notices, in the order they came."""
    failures = [event.error_message for event in events if isinstance(event, Failure)]
    runs = [event.run.run_id for event in events if isinstance(event, Finished)]
    notices = [event.message for event in events if isinstance(event, Notice)]
    return failures, runs, notices


def test_a_file_created_in_a_followed_directory_is_read_from_its_first_line(tmp_path: Path) -> None:
    """A new service's file, there after tail started: all of it is new, so all of it is read, and said."""
    (tmp_path / "old.jsonl").write_bytes(_started(B))
    tail, _ = _watch(tmp_path)
    assert tail.poll() == []
    new = tmp_path / "new.jsonl"
    new.write_bytes(_started() + _tool_failed(message="first") + _finished(status="error"))
    failures, runs, notices = _said(tail.poll())
    assert (failures, runs) == (["first"], [A])
    assert notices == [f"{new}: new file; following it from its start"]


def test_files_in_subdirectories_that_appear_later_are_followed(tmp_path: Path) -> None:
    """A new pod's directory in a shared volume, and its file: found at any depth, as at start."""
    tail, _ = _watch(tmp_path)
    pod = tmp_path / "pod-7"
    pod.mkdir()
    _append(pod / "agent.ndjson", _started(), _finished())
    assert _said(tail.poll())[1] == [A]


def test_a_run_split_by_daily_rotation_is_one_run(tmp_path: Path) -> None:
    """Begun in agent-2026-12-02.jsonl, ended in agent-2026-12-03.jsonl: one run, its user from the first."""
    old = tmp_path / "agent-2026-12-02.jsonl"
    old.touch()
    tail, _ = _watch(tmp_path)
    _append(old, _started(user="u-7"), _tool_failed(message="before midnight"))
    assert _said(tail.poll())[0] == ["before midnight"]
    _append(tmp_path / "agent-2026-12-03.jsonl", _line("agent_step", A, 5, step_id=2), _finished())
    [done] = [event for event in tail.poll() if isinstance(event, Finished)]
    assert (done.run.run_id, done.run.user_id, done.run.status) == (A, "u-7", "ok")
    assert tail.unfinished() == []


@pytest.mark.parametrize(
    "seen_in_between", [False, True], ids=["rename-and-recreate", "rename-then-recreate"]
)
def test_a_file_renamed_within_the_directory_is_read_once(tmp_path: Path, seen_in_between: bool) -> None:
    """Rotated to another log name: read on under its new name (late lines too), in order, never again."""
    live, dated = tmp_path / "agent.jsonl", tmp_path / "agent-2026-12-02.jsonl"
    live.touch()
    tail, _ = _watch(tmp_path)
    _append(live, _started(), _tool_failed(message="one"))
    said = tail.poll()
    os.rename(live, dated)
    _append(dated, _tool_failed(message="two"))  # the writer has not reopened yet
    if seen_in_between:
        said += tail.poll()
    _append(live, _tool_failed(message="three"), _finished(status="error"))
    said += tail.poll() + tail.poll()
    failures, runs, notices = _said(said)
    assert (failures, runs) == (["one", "two", "three"], [A])
    assert f"{live}: renamed to {dated}; following it by its new name" in notices
    assert sorted(follower.path for follower in tail.followers) == sorted([str(dated), str(live)])
    _append(dated, _started(B), _finished(B))  # still followed, by its new name
    assert _said(tail.poll())[1] == [B]


def test_numbered_rotation_among_followed_names_reads_each_line_once(tmp_path: Path) -> None:
    """app.1.jsonl → app.2.jsonl, app.jsonl → app.1.jsonl, a new app.jsonl: no file is read again."""
    names = [tmp_path / "app.jsonl", tmp_path / "app.1.jsonl", tmp_path / "app.2.jsonl"]
    for name in names:
        name.write_bytes(_started(f"old-{name.name}") + _finished(f"old-{name.name}"))
    tail, _ = _watch(tmp_path)
    _append(names[0], _started(), _tool_failed(message="before"))
    said = tail.poll()
    os.rename(names[1], names[2])
    os.rename(names[0], names[1])
    _append(names[0], _tool_failed(message="after"), _finished(status="error"))
    said += tail.poll() + tail.poll()
    assert _said(said)[:2] == (["before", "after"], [A])


def test_compressed_files_appearing_are_not_followed(tmp_path: Path) -> None:
    """A rotated copy compressed (.gz), or gzip bytes under a log name: read with runs, never followed."""
    tail, watched = _watch(tmp_path)
    tail.poll()  # says the directory has no log files yet
    run = gzip.compress(_started() + _finished())
    (tmp_path / "agent-2026-12-02.jsonl.gz").write_bytes(run)
    (tmp_path / "agent-2026-12-01.jsonl").write_bytes(run)
    assert tail.poll() == []
    assert tail.followers == [] and watched.followers == []


def test_a_deleted_files_last_lines_are_read_and_its_follower_forgotten(tmp_path: Path) -> None:
    """Files that come and go leave no follower behind; what was written before deletion still counts."""
    tail, watched = _watch(tmp_path)
    for index in range(30):
        path = tmp_path / f"pod-{index}.jsonl"
        _append(path, _started(f"run-{index}"))
        tail.poll()
        _append(path, _finished(f"run-{index}"))
        path.unlink()
        assert _said(tail.poll())[1] == [f"run-{index}"]
        assert tail.followers == [] and watched.followers == []


def test_a_directory_unchanged_is_not_listed_again(tmp_path: Path) -> None:
    """Its mtime as before (and not recent): a poll costs one stat, no listing; a new file lists it again."""
    (tmp_path / "a.jsonl").touch()
    past = time.time() - 3600
    os.utime(tmp_path, (past, past))
    tail, watched = _watch(tmp_path)
    listed = watched.listings
    for _ in range(5):
        tail.poll()
    assert watched.listings == listed
    _append(tmp_path / "b.jsonl", _started(), _finished())
    assert _said(tail.poll())[1] == [A]
    assert watched.listings == listed + 1


def test_a_file_named_and_inside_a_followed_directory_is_followed_once(tmp_path: Path) -> None:
    """Named on its own and found in the directory: one follower, so each run is printed once."""
    path = tmp_path / "a.jsonl"
    path.touch()
    named = FileFollower(str(path), ledger=(ledger := follow.Ledger()))
    tail = Tail([named], RunFilter(), [DirectoryFollower(str(tmp_path), ledger=ledger)])
    _append(path, _started(), _finished())
    assert _said(tail.poll())[1] == [A]
    assert tail.followers == [named]


def _tail_command(*arguments: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "agentlog", "tail", *arguments, "--interval", "0.05", "--color", "never"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _stopped(tail: subprocess.Popen[bytes], *outputs: _Output) -> None:
    if tail.poll() is None:
        tail.send_signal(signal.SIGINT)
    try:
        assert tail.wait(timeout=10) == 0
    finally:
        if tail.poll() is None:
            tail.kill()
            tail.wait()
        for output in outputs:  # read to the end before the pipes are closed
            output.thread.join(timeout=10)


def test_tail_of_an_empty_directory_waits_for_files(tmp_path: Path) -> None:
    """No log file yet (a .gz copy only): said; then the first file written there is read from its start."""
    (tmp_path / "old.jsonl.gz").write_bytes(gzip.compress(_started() + _finished()))
    with _tail_command(str(tmp_path)) as tail:
        assert tail.stderr is not None
        out, err = _Output(tail), _Output(tail, tail.stderr)
        try:
            err.until("no log files yet; waiting for them")
            _append(tmp_path / "agent.jsonl", _started(B, "u-2"), _finished(B))
            assert "user=u-2" in out.until("user=u-2")[-1]
            err.until("agent.jsonl: new file; following it from its start")
        finally:
            _stopped(tail, out, err)


def test_new_file_names_are_printed_escaped(tmp_path: Path) -> None:
    """A file named with a terminal escape and a bidi override: its notice and its JSON source are inert."""
    with _tail_command(str(tmp_path), "--json") as tail:
        assert tail.stderr is not None
        out, err = _Output(tail), _Output(tail, tail.stderr)
        try:
            err.until("waiting for them")
            hostile = tmp_path / "x\x1b]0;owned\x07\u202eevil.jsonl"
            _append(hostile, _started(), _tool_failed())
            [printed] = out.until('"failure"')
            notice = err.until("new file")[-1]
        finally:
            _stopped(tail, out, err)
    for text in (printed, notice):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b]0;owned\\x07\\u202eevil.jsonl" in notice
    assert orjson.loads(printed)["source"] == str(hostile)
