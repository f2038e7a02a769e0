"""Failing outputs: a full file system, broken or closed streams, a closed descriptor: counted, not raised."""

from __future__ import annotations

import errno
import io
import os
from pathlib import Path
from typing import IO, cast

import pytest

import agentlog
from tests.output.helpers import parse_lines, problems_from, run_python

FILE_SIZE_LIMIT = r"""
import resource, signal, sys
import orjson
import agentlog

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit a write fails with EFBIG instead
agentlog.configure(output=sys.argv[1], stdlib=False)
log = agentlog.get_logger()
_, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (5000, hard))  # the disk is "full" at 5000 bytes
for i in range(30):
    log.info("before", i=i, pad="x" * 300)
resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))  # room again
for i in range(3):
    log.info("after", i=i)
sys.stderr.write(orjson.dumps(agentlog.problems()).decode() + "\n")
"""


def test_line_cut_by_a_full_file_never_glues_the_next(tmp_path: Path) -> None:
    """A short write at the size limit leaves a fragment on a line of its own; cut and dropped lines count."""
    pytest.importorskip("resource")
    path = tmp_path / "out.jsonl"
    done = run_python(FILE_SIZE_LIMIT, str(path))
    assert done.returncode == 0, done.stderr
    *whole, fragment, after1, after2, after3 = path.read_bytes().splitlines()
    assert len(path.read_bytes().splitlines()[-4]) < 400
    after = parse_lines(b"\n".join([after1, after2, after3]) + b"\n")
    assert [line["event"] for line in after] == ["after"] * 3
    assert [line["i"] for line in parse_lines(b"\n".join(whole) + b"\n")] == list(range(len(whole)))
    assert fragment.startswith(b'{"timestamp"')
    counts = problems_from(done.stderr)
    assert counts == {"write failed, line cut short": 1, "write failed, line dropped": 30 - len(whole) - 1}


class _Failing(io.RawIOBase):
    """A raw stream that takes 10 bytes a call and fails with ENOSPC while *full* is set."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.full_after: int | None = None

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        if self.full_after is not None and len(self.data) >= self.full_after:
            raise OSError(errno.ENOSPC, "No space left on device")
        chunk = bytes(memoryview(b))[:10]  # type: ignore[arg-type]
        self.data += chunk
        return len(chunk)


def test_stream_failing_mid_line_never_glues_the_next() -> None:
    """A stream that raises after taking part of a line: cut, counted; the next line starts on its own."""
    out = _Failing()
    agentlog.configure(output=cast("IO[bytes]", out), stdlib=False)
    log = agentlog.get_logger()
    log.info("whole")
    out.full_after = len(out.data) + 30
    log.info("cut")
    log.info("dropped")
    out.full_after = None
    log.info("next")
    whole, fragment, following = bytes(out.data).splitlines()
    assert len(fragment) == 30
    assert [line["event"] for line in parse_lines(whole + b"\n" + following + b"\n")] == ["whole", "next"]
    assert agentlog.problems() == {"write failed, line cut short": 1, "write failed, line dropped": 1}


def test_text_stream_failing_mid_line_never_glues_the_next() -> None:
    """The same for a text stream: a partial write then an error leaves the fragment on its own line."""

    class Flaky(io.StringIO):
        failing = False

        def write(self, s: str) -> int:
            if self.failing:
                super().write(s[:5])
                raise OSError(errno.EIO, "I/O error")
            return super().write(s)

    out = Flaky()
    agentlog.configure(output=out, stdlib=False)
    out.failing = True
    agentlog.get_logger().info("cut")
    out.failing = False
    agentlog.get_logger().info("next")
    fragment, following = out.getvalue().splitlines()
    assert len(fragment) == 5
    assert parse_lines(following.encode() + b"\n")[0]["event"] == "next"


def test_write_returning_nothing_written_is_a_dropped_line_not_a_loop() -> None:
    """A stream that keeps taking zero bytes does not spin forever: the line is counted as dropped."""

    class Stuck(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, b: object) -> int:
            return 0

    agentlog.configure(output=cast("IO[bytes]", Stuck()), stdlib=False)
    agentlog.get_logger().info("lost")
    assert agentlog.problems() == {"write failed, line dropped": 1}


CLOSED_STDOUT = r"""
import os, sys
import orjson
import agentlog

agentlog.configure(stdlib=False)
log = agentlog.get_logger()
how = sys.argv[1]
if how == "closed":
    sys.stdout.close()
elif how == "none":
    sys.stdout = None
else:
    os.close(1)
for i in range(100):
    log.info("lost", i=i)
sys.stderr.write(orjson.dumps(agentlog.problems()).decode() + "\n")
"""


@pytest.mark.parametrize("how", ["closed", "none", "descriptor"])
def test_stdout_gone_never_raises_and_says_so_once(how: str) -> None:
    """sys.stdout closed, set to None or its descriptor closed: every line counted, one notice, clean exit."""
    done = run_python(CLOSED_STDOUT, how)
    assert done.returncode == 0, done.stderr
    assert problems_from(done.stderr) == {"write failed, line dropped": 100}
    assert done.stderr.count(b"agentlog:") == 1
    assert b"Traceback" not in done.stderr


def test_stdout_redirected_to_a_file_gets_whole_lines_in_order(tmp_path: Path) -> None:
    """`python agent.py > out`, print() between log lines: the program's text and the lines stay in order."""
    code = (
        "import agentlog\n"
        "agentlog.configure(stdlib=False)\n"
        "print('user 1')\n"
        "agentlog.get_logger().info('line 1')\n"
        "print('user 2', end='\\n')\n"
        "agentlog.get_logger().info('line 2')\n"
    )
    path = tmp_path / "out.txt"
    with path.open("wb") as out:
        fd = out.fileno()
        done = run_python(code, stdout=fd)
    assert done.returncode == 0, done.stderr
    first, line1, second, line2 = path.read_bytes().splitlines()
    assert (first, second) == (b"user 1", b"user 2")
    assert [line["event"] for line in parse_lines(line1 + b"\n" + line2 + b"\n")] == ["line 1", "line 2"]


def test_fragment_of_one_writer_is_ended_before_another_writer_to_the_same_pipe_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two writers on one pipe share its state: a line cut by one never has the other's glued to it."""
    monkeypatch.setattr(agentlog._output, "WAIT_FOR_READER", 0.05)
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    os.set_blocking(read_end, False)
    streams = [os.fdopen(os.dup(write_end), "wb") for _ in range(2)]
    try:
        first, second = (agentlog.processors.LoggerFactory(stream)() for stream in streams)
        os.write(write_end, b"." * 65535 + b"\n")  # the pipe is full
        os.read(read_end, 4096)
        first.msg(b'{"event":"cut","pad":"' + b"c" * 10_000 + b'"}')
        assert os.read(read_end, 1 << 20).endswith(b"c" * 100)
        second.msg(b'{"event":"next"}')
        assert os.read(read_end, 1 << 20) == b'\n{"event":"next"}\n'
        assert agentlog.problems() == {"write failed, line cut short": 1}
    finally:
        for stream in streams:
            stream.close()
        os.close(read_end)
        os.close(write_end)
