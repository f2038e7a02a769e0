"""Pipes: whole lines from several processes at any size, a reader that goes away, a full pipe."""

from __future__ import annotations

import collections
import fcntl
import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import IO, cast

import pytest

import agentlog
from agentlog import _output
from tests.output.helpers import TIMEOUT, PipeReader, parse_lines, problems_from, run_python

WRITER = r"""
import os, sys, time
import orjson
import agentlog

how, index, size, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if how == "stream":
    agentlog.configure(output=os.fdopen(int(sys.argv[5]), "wb"), stdlib=False)
else:
    agentlog.configure(stdlib=False)  # the default: sys.stdout, here a pipe shared with the others
log = agentlog.get_logger()
start = float(sys.argv[6])
while time.time() < start:
    pass
for i in range(count):
    log.info("line", index=index, i=i, pad=str(i % 10) * size)
sys.stderr.write(orjson.dumps(agentlog.problems()).decode() + "\n")
"""


def _start_together(
    how: str, size: int, count: int, write_end: int, processes: int
) -> list[subprocess.Popen[bytes]]:
    start = str(time.time() + 0.5)  # every child starts writing at the same moment
    return [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, how, str(n), str(size), str(count), str(write_end), start],
            stdout=write_end if how == "stdout" else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(write_end,),
        )
        for n in range(processes)
    ]


@pytest.mark.parametrize("how", ["stream", "stdout"])
@pytest.mark.parametrize(("size", "count"), [(8 * 1024, 150), (64 * 1024, 40), (200 * 1024, 12)])
def test_long_lines_from_several_processes_to_one_pipe_are_whole(how: str, size: int, count: int) -> None:
    """Four processes writing lines past PIPE_BUF to one pipe (a stream on it, or shared stdout): no tear."""
    read_end, write_end = os.pipe()
    reader = PipeReader(read_end)
    children = _start_together(how, size, count, write_end, 4)
    os.close(write_end)
    try:
        for child in children:
            _, err = child.communicate(timeout=TIMEOUT * 2)
            assert child.returncode == 0, err
            assert problems_from(err) == {}
    finally:
        for child in children:
            child.kill()
            child.communicate()
    lines = parse_lines(reader.data())
    assert collections.Counter((line["index"], line["i"]) for line in lines) == {
        (n, i): 1 for n in range(4) for i in range(count)
    }
    assert all(len(line["pad"]) == size for line in lines)


FORKED = r"""
import multiprocessing, os, sys
import agentlog

def work(index):
    log = agentlog.get_logger()
    for i in range(25):
        log.info("line", index=index, i=i, pad="f" * 100_000)

if __name__ == "__main__":
    agentlog.configure(output=os.fdopen(int(sys.argv[1]), "wb"), stdlib=False)
    agentlog.get_logger().info("parent", pad="p" * 100_000)  # the parent has written before it forks
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=work, args=(n,)) for n in range(3)]
    for worker in workers:
        worker.start()
    work(3)
    for worker in workers:
        worker.join()
        assert worker.exitcode == 0
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_processes_sharing_a_configured_pipe_write_whole_lines() -> None:
    """Children forked after configure() inherit its writer; long lines from all four stay whole."""
    read_end, write_end = os.pipe()
    reader = PipeReader(read_end)
    try:
        done = run_python(FORKED, str(write_end), pass_fds=(write_end,), timeout=TIMEOUT * 2)
    finally:
        os.close(write_end)
    assert done.returncode == 0, done.stderr
    lines = parse_lines(reader.data())
    assert len(lines) == 101
    assert {(line["index"], line["i"]) for line in lines if line["event"] == "line"} == {
        (n, i) for n in range(4) for i in range(25)
    }


HEAD = r"""
import sys
import orjson
import agentlog

agentlog.configure(stdlib=False)
log = agentlog.get_logger()
log.info("first")
sys.stdin.readline()  # the reader has gone: every later line meets a broken pipe
for i in range(200):
    log.info("after", i=i)
sys.stderr.write(orjson.dumps(agentlog.problems()).decode() + "\n")
"""


def test_reader_gone_from_stdout_never_raises_and_says_so_once() -> None:
    """Like `| head -1`: later lines meet EPIPE; counted, one notice, no traceback, a clean exit."""
    child = subprocess.Popen(
        [sys.executable, "-c", HEAD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert child.stdout is not None and child.stdin is not None
    first = child.stdout.readline()
    child.stdout.close()
    child.stdin.write(b"go\n")
    child.stdin.close()
    assert child.stderr is not None
    with child.stderr:
        err = child.stderr.read()
    assert child.wait(TIMEOUT) == 0, err
    assert parse_lines(first)[0]["event"] == "first"
    assert problems_from(err) == {"write failed, line dropped": 200}
    assert err.count(b"agentlog:") == 1
    assert b"Traceback" not in err and b"Exception ignored" not in err


@pytest.fixture
def full_pipe(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, io.BufferedWriter]]:
    """A non-blocking pipe filled to the brim (its read end, a stream on its write end); a short wait."""
    monkeypatch.setattr(_output, "WAIT_FOR_READER", 0.05)
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        while True:
            os.write(write_end, b"f" * 4095 + b"\n")
    except BlockingIOError:
        pass
    with os.fdopen(write_end, "wb") as out:
        try:
            yield read_end, out
        finally:
            os.close(read_end)


def _drain(fd: int) -> bytes:
    os.set_blocking(fd, False)
    chunks = []
    try:
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    except BlockingIOError:
        pass
    return b"".join(chunks)


def test_full_nonblocking_pipe_drops_and_counts_and_the_next_line_is_whole(
    full_pipe: tuple[int, io.BufferedWriter],
) -> None:
    """EAGAIN on a full non-blocking pipe: the line is dropped and counted, never half-written or raised."""
    read_end, out = full_pipe
    agentlog.configure(output=out, stdlib=False)
    agentlog.get_logger().info("lost")
    assert agentlog.problems() == {"write failed, line dropped": 1}
    _drain(read_end)
    agentlog.get_logger().info("kept")
    assert [line["event"] for line in parse_lines(_drain(read_end))] == ["kept"]


def test_line_cut_short_by_a_full_pipe_never_glues_the_next(full_pipe: tuple[int, io.BufferedWriter]) -> None:
    """A long line only partly taken by a stalled reader: counted as cut; the next line starts on its own."""
    read_end, out = full_pipe
    agentlog.configure(output=out, stdlib=False)
    os.read(read_end, 8192)  # room for part of the next line only
    agentlog.get_logger().info("cut", pad="c" * 20_000)
    assert agentlog.problems() == {"write failed, line cut short": 1}
    rest = _drain(read_end)
    agentlog.get_logger().info("kept")
    data = rest + _drain(read_end)
    fragment, kept = data.splitlines()[-2:]
    assert fragment.startswith(b'{"timestamp"') and b"cut" in fragment
    assert [line["event"] for line in parse_lines(kept + b"\n")] == ["kept"]


def test_pipe_lock_is_taken_by_short_lines_too() -> None:
    """A short line waits while another process holds the pipe's lock (it could land inside a long line)."""
    read_end, write_end = os.pipe()
    reader = PipeReader(read_end)
    lock_path = _output.pipe_lock_path(os.fstat(write_end))
    holder = os.open(lock_path, os.O_RDONLY | os.O_CREAT, 0o600)
    code = (
        "import os, sys, agentlog\n"
        "agentlog.configure(output=os.fdopen(int(sys.argv[1]), 'wb'), stdlib=False)\n"
        "sys.stderr.write('about to log\\n'); sys.stderr.flush()\n"
        "agentlog.get_logger().info('short')\n"
    )
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)  # as another process writing a long line would
        child = subprocess.Popen(
            [sys.executable, "-c", code, str(write_end)], pass_fds=(write_end,), stderr=subprocess.PIPE
        )
        try:
            assert child.stderr is not None
            assert child.stderr.readline() == b"about to log\n"
            time.sleep(0.5)
            assert reader.chunks == []  # the line waits for the lock
            fcntl.flock(holder, fcntl.LOCK_UN)
            assert child.wait(TIMEOUT) == 0
        finally:
            child.kill()
            child.communicate()
    finally:
        os.close(holder)
        os.close(write_end)
    assert [line["event"] for line in parse_lines(reader.data())] == ["short"]


def test_stream_returning_short_counts_gets_whole_lines() -> None:
    """A raw binary stream that takes a few bytes per call is written until the line is whole."""

    class Trickle(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: object) -> int:
            chunk = bytes(memoryview(b))[:7]  # type: ignore[arg-type]
            self.data += chunk
            return len(chunk)

    out = Trickle()
    agentlog.configure(output=cast("IO[bytes]", out), stdlib=False)
    agentlog.get_logger().info("one", pad="p" * 100)
    agentlog.get_logger().info("two")
    assert [line["event"] for line in parse_lines(bytes(out.data))] == ["one", "two"]
    assert agentlog.problems() == {}


PLANTED = r"""
import os, sys
import orjson
import agentlog
from agentlog import _output

read_end, write_end = os.pipe()
os.set_blocking(read_end, False)
lock_path = _output.pipe_lock_path(os.fstat(write_end))
if sys.argv[1] == "fifo":
    os.mkfifo(lock_path)  # opening it to read would wait for a writer forever
else:
    open(lock_path, "w").close()
    os.chown(lock_path, 65534, 65534)  # someone else's: they could hold the lock
try:
    with os.fdopen(write_end, "wb") as out:
        agentlog.configure(output=out, stdlib=False)
        agentlog.get_logger().info("still written")
        agentlog.get_logger().info("and again")
        sys.stdout.buffer.write(os.read(read_end, 1 << 16))
finally:
    os.unlink(lock_path)
sys.stderr.write(orjson.dumps(agentlog.problems()).decode() + "\n")
"""


@pytest.mark.parametrize("how", ["fifo", "foreign"])
def test_lock_file_planted_by_someone_else_is_refused_and_lines_go_on(how: str) -> None:
    """A FIFO or another user's file at the lock path: not used, counted, lines written, no hang."""
    if how == "foreign" and os.geteuid() != 0:
        pytest.skip("making another user's file needs root")
    done = run_python(PLANTED, how)
    assert done.returncode == 0, done.stderr
    assert [line["event"] for line in parse_lines(done.stdout)] == ["still written", "and again"]
    assert problems_from(done.stderr) == {_output.NO_PIPE_LOCK: 1}
