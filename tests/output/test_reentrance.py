"""Re-entrance: signal handlers and finalizers that log while a write is under way, and fork.

Each scenario runs in a child interpreter with a time limit, so a deadlock
fails the test rather than hanging the suite.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.output.helpers import TIMEOUT, PipeReader, parse_lines, problems_from, run_python

pytestmark = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX signals and timers")

SIGNALS = r"""
import os, signal, sys
import orjson
import agentlog

target, where = sys.argv[1], sys.argv[2]
if target == "file":
    agentlog.configure(output=where, stdlib=False)
elif target == "pipe":
    agentlog.configure(output=os.fdopen(int(where), "wb"), stdlib=False)
else:
    agentlog.configure(stdlib=False)
log = agentlog.get_logger()
fired = 0
handling = False

def on_alarm(signum, frame):
    # One handler at a time: on a loaded machine the next alarm can come due
    # while this one runs, and handlers nested without end overflow the stack.
    global fired, handling
    if handling:
        return
    handling = True
    fired += 1
    log.info("from_signal", n=fired)
    handling = False

signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.0002, 0.0002)
for i in range(2000):
    log.info("main", i=i, pad="x" * int(sys.argv[3]))
    if i % 500 == 0:
        os.kill(os.getpid(), signal.SIGALRM)
signal.setitimer(signal.ITIMER_REAL, 0)
sys.stderr.write(orjson.dumps({"fired": fired, **agentlog.problems()}).decode() + "\n")
"""


@pytest.mark.parametrize(
    ("target", "size"), [("file", 3000), ("pipe", 6000), ("stdout", 6000), ("stdout", 300)]
)
def test_signal_handler_that_logs_mid_write_neither_deadlocks_nor_tears(
    tmp_path: Path, target: str, size: int
) -> None:
    """A signal handler logging while the main thread is in the writer: no hang, lines whole, none lost."""
    reader = None
    pass_fds: tuple[int, ...] = ()
    where = str(tmp_path / "out.jsonl")
    if target == "pipe":
        read_end, write_end = os.pipe()
        reader, pass_fds, where = PipeReader(read_end), (write_end,), str(write_end)
    try:
        done = run_python(SIGNALS, target, where, str(size), pass_fds=pass_fds)
    finally:
        if pass_fds:
            os.close(pass_fds[0])
    assert done.returncode == 0, done.stderr
    if target == "file":
        data = Path(where).read_bytes()
    elif reader is not None:
        data = reader.data()
    else:
        data = done.stdout
    counts = problems_from(done.stderr)
    events = collections.Counter(line["event"] for line in parse_lines(data))
    assert counts.pop("fired") > 20
    assert counts == {}
    assert events["main"] == 2000
    assert events["from_signal"] == problems_from(done.stderr)["fired"]


FINALIZER_MID_WRITE = r"""
import gc, io, sys
import agentlog

class CollectingStream(io.StringIO):
    # Half the line, a garbage collection (a finalizer that logs runs here), the other half.
    def write(self, text):
        half = len(text) // 2
        count = super().write(text[:half])
        gc.collect()
        return count + super().write(text[half:])

out = CollectingStream()
agentlog.configure(output=out, stdlib=False)
log = agentlog.get_logger()

class Noisy:
    def __init__(self):
        self.cycle = self
    def __del__(self):
        log.info("finalizer")

gc.disable()
Noisy()
log.info("outer")
sys.stdout.write(out.getvalue())
"""


def test_finalizer_that_logs_during_a_write_is_written_after_the_line() -> None:
    """A __del__ run by a collection inside the write queues its line behind the one being written."""
    done = run_python(FINALIZER_MID_WRITE)
    assert done.returncode == 0, done.stderr
    assert [line["event"] for line in parse_lines(done.stdout)] == ["outer", "finalizer"]


FINALIZERS_UNDER_GC_PRESSURE = r"""
import gc, os, sys
import orjson
import agentlog

target = sys.argv[1]
if target == "pipe":
    agentlog.configure(output=os.fdopen(int(sys.argv[2]), "wb"), stdlib=False)
else:
    agentlog.configure(stdlib=False)
log = agentlog.get_logger()
freed = 0

class Noisy:
    def __init__(self):
        self.cycle = self
    def __del__(self):
        global freed
        freed += 1
        log.info("finalizer", n=freed)

gc.set_threshold(1)
for i in range(800):
    Noisy()
    log.info("main", i=i, pad="y" * 5000)
gc.set_threshold(700)
gc.collect()
sys.stderr.write(orjson.dumps({"freed": freed, **agentlog.problems()}).decode() + "\n")
"""


@pytest.mark.parametrize("target", ["pipe", "stdout"])
def test_finalizers_run_by_allocations_inside_the_writer_are_written(target: str) -> None:
    """With a collection at nearly every allocation, finalizers that log land as whole lines of their own."""
    reader = None
    pass_fds: tuple[int, ...] = ()
    if target == "pipe":
        read_end, write_end = os.pipe()
        reader, pass_fds = PipeReader(read_end), (write_end,)
    try:
        done = run_python(
            FINALIZERS_UNDER_GC_PRESSURE, target, *(str(fd) for fd in pass_fds), pass_fds=pass_fds
        )
    finally:
        for fd in pass_fds:
            os.close(fd)
    assert done.returncode == 0, done.stderr
    counts = problems_from(done.stderr)
    events = collections.Counter(
        line["event"] for line in parse_lines(reader.data() if reader is not None else done.stdout)
    )
    assert counts.pop("freed") == events["finalizer"] == 800
    assert counts == {}
    assert events["main"] == 800


FORK_WHILE_HELD = r"""
import fcntl, os, sys, termios, threading, time
import agentlog

read_end, write_end = os.pipe()
out = os.fdopen(write_end, "wb")
agentlog.configure(output=out, stdlib=False)
log = agentlog.get_logger()
# Nobody reads yet: the thread fills the pipe and blocks inside the writer, holding it.
writer = threading.Thread(target=lambda: log.info("thread", pad="t" * 200_000))
writer.start()
waiting = bytearray(4)
deadline = time.monotonic() + 5
while time.monotonic() < deadline:
    fcntl.ioctl(read_end, termios.FIONREAD, waiting)
    if int.from_bytes(waiting, sys.byteorder) >= 65536:
        break
    time.sleep(0.01)
pid = os.fork()
if pid == 0:
    os.close(read_end)
    log.info("child", pad="c" * 100_000)
    os._exit(0)
chunks = []
def drain():
    while chunk := os.read(read_end, 1 << 20):
        chunks.append(chunk)
reader = threading.Thread(target=drain, daemon=True)
reader.start()
writer.join()
_, status = os.waitpid(pid, 0)
log.info("parent")
out.close()
reader.join(5)
sys.stdout.buffer.write(b"".join(chunks))
sys.stderr.write(str(os.waitstatus_to_exitcode(status)) + "\n")
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_logs_while_a_parent_thread_holds_the_writer() -> None:
    """Fork while another thread is blocked mid-line in the writer: the child logs, after that line, whole."""
    done = run_python(FORK_WHILE_HELD)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == b"0"
    lines = parse_lines(done.stdout)
    assert sorted(line["event"] for line in lines) == ["child", "parent", "thread"]
    assert lines[0]["event"] == "thread"


PRINTS_AND_SIGNALS = r"""
import signal, sys
import orjson
import agentlog

agentlog.configure(stdlib=False)
log = agentlog.get_logger()
fired = 0
handling = False

def on_alarm(signum, frame):
    global fired, handling
    if handling:
        return
    handling = True
    fired += 1
    log.info("from_signal", n=fired)
    handling = False

signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.0002, 0.0002)
for i in range(3000):
    print("program output", i, "." * 40)
    if i % 10 == 0:
        log.info("main", i=i)
signal.setitimer(signal.ITIMER_REAL, 0)
sys.stdout.flush()
sys.stderr.write(orjson.dumps({"fired": fired, **agentlog.problems()}).decode() + "\n")
"""


def test_signal_handler_logging_while_the_program_prints_to_stdout() -> None:
    """Signals inside the program's print() to stdout: no hang, no line lost, agentlog's bytes contiguous.

    A handler can run between the separate writes one print() makes, so the
    program's half-printed text may precede a line (the program's text, not
    agentlog's, is what is split); every line agentlog writes is whole.
    """
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", PRINTS_AND_SIGNALS],
            capture_output=True,
            env=env,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:  # pragma: no cover - the regression this guards
        raise AssertionError("child hung (deadlock?)") from None
    assert done.returncode == 0, done.stderr
    ours = [
        line[line.index(b'{"timestamp"') :] for line in done.stdout.splitlines() if b'{"timestamp"' in line
    ]
    events = collections.Counter(line["event"] for line in parse_lines(b"".join(x + b"\n" for x in ours)))
    counts = problems_from(done.stderr)
    assert events["from_signal"] == counts.pop("fired") > 20
    assert counts == {}
    assert events["main"] == 300
