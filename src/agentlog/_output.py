"""Writers: where finished lines go.

Every writer takes one complete line (bytes ending in a newline) and puts it
in the output whole, never interleaved with another line, whatever the
number of threads and processes writing:

* A file path is opened with ``O_APPEND`` and written with one ``os.write``
  per line: the kernel appends each write whole, so threads and processes
  need no lock. Before each line the path is compared with the open file,
  as the standard library's ``WatchedFileHandler`` does; after a rename or a
  deletion (logrotate) the path is opened again.
* A stream backed by a descriptor (``sys.stdout`` as the interpreter made
  it, a file or a pipe from ``open``) is first flushed of what the program
  left in its buffer, then the line goes to the descriptor with ``os.write``.
  On a pipe or a socket the kernel keeps a write whole only up to
  ``PIPE_BUF`` bytes, so every line (short ones too) is written holding an
  ``flock`` on a lock file named after the pipe, shared by every agentlog
  process writing to that pipe.
* Any other stream gets the line through its ``write``, then is flushed.

A call that re-enters a writer on the same thread — a signal handler or a
finalizer that logs while the thread is writing — never waits: its line is
queued and written right after the one under way. A write cut short (a full
disk, a reader that stopped reading) leaves no half line for the next one to
be glued to: the next line starts with a newline. Writers are synchronous
and never raise; every line they lose or cut is counted (see
`agentlog.problems`).
"""

from __future__ import annotations

import codecs
import collections
import contextlib
import errno
import functools
import io
import os
import select
import stat
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from typing import IO, Any, Protocol

from . import _diagnostics

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock shared between processes
    fcntl = None  # type: ignore[assignment]

__all__ = ["Writer", "make_writer"]

DROPPED = "write failed, line dropped"
CUT = "write failed, line cut short"
REOPEN_FAILED = "output file reopen failed, line written to the old file"
NO_PIPE_LOCK = "no lock file for a pipe, long lines from several processes may interleave"

PIPE_BUF: int = getattr(select, "PIPE_BUF", 512)
"""The longest write a pipe keeps whole without a lock (4096 bytes on Linux)."""

WAIT_FOR_READER = 10.0
"""Seconds a line waits for room in a full non-blocking pipe before it is given up.

Once a line has been given up, later lines to that output do not wait until
one gets through, so a reader that has stopped reading costs one wait only.
"""


class Writer(Protocol):
    """Something that writes one finished line."""

    def __call__(self, line: bytes) -> None:
        """Write *line* (never raises)."""


Step = Callable[[bytes], None]
"""Writes one line to one output; called only by `_Guard.run`, so it may report problems."""

_guards: weakref.WeakSet[_Guard] = weakref.WeakSet()
_get_ident = threading.get_ident


class _Guard:
    """Serializes the writes to one output; a call re-entering on the same thread never waits.

    Every line joins ``pending`` before the lock is taken, and whoever holds
    the lock writes what is pending. A call made on a thread that is already
    inside (a signal handler or a finalizer running in the middle of a write)
    leaves its line there and returns: the outer call writes it right after
    its own, before it lets go. ``late`` marks the threads that queued a line
    so while they were inside, so that one queued after the outer call's last
    look is written too.
    """

    __slots__ = ("__weakref__", "inside", "late", "lock", "pending")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inside: set[int] = set()
        self.late: set[int] = set()
        self.pending: collections.deque[tuple[Step, bytes]] = collections.deque()
        _guards.add(self)

    def run(self, step: Step, line: bytes) -> None:
        """Have *step* write *line* in turn (never raises an ``Exception``)."""
        me = _get_ident()
        pending = self.pending
        pending.append((step, line))
        inside = self.inside
        if me in inside:
            self.late.add(me)
            return
        late = self.late
        while True:
            try:
                inside.add(me)
                lock = self.lock
                lock.acquire()
                try:
                    while pending:
                        queued_step, queued = pending.popleft()
                        try:
                            queued_step(queued)
                        except Exception as exc:
                            _diagnostics.report(DROPPED, exc)
                finally:
                    lock.release()
            finally:
                inside.discard(me)
            if not late or me not in late:
                return
            late.discard(me)

    def reset_in_child(self) -> bool:
        """After fork: a fresh lock and no thread inside. Whether another thread held it."""
        held = self.lock.locked()
        self.lock = threading.Lock()
        self.inside.clear()
        self.late.clear()
        self.pending.clear()  # the parent writes them
        return held


class _State(Protocol):
    """What a write remembers about its output between lines."""

    mid_line: bool
    stalled: bool


def _write_out(fd: int, state: _State, line: bytes, done: int = 0) -> None:
    """Write *line* (its first *done* bytes already written) to *fd*, in as many writes as it takes.

    A line that follows a cut one starts with a newline, so the fragment is
    a broken line of its own rather than the start of this one. A full
    non-blocking pipe is waited on, at most `WAIT_FOR_READER` seconds.
    """
    if not done and not state.mid_line:  # the usual case: one write, all of it
        try:
            done = os.write(fd, line)
        except BlockingIOError:
            pass
        except OSError as exc:
            _diagnostics.report(DROPPED, exc)
            return
        else:
            if done == len(line):
                if state.stalled:
                    state.stalled = False
                return
            state.mid_line = done > 0
    prefix = 1 if state.mid_line and not done else 0
    data = b"\n" + line if prefix else line
    total = len(data)
    view = memoryview(data) if done else None
    deadline: float | None = None
    error: OSError | None = None
    while done < total:
        try:
            written = os.write(fd, data if view is None else view[done:])
        except BlockingIOError as exc:
            now = time.monotonic()
            if deadline is None:
                deadline = now + (0.0 if state.stalled else WAIT_FOR_READER)
            if now < deadline and _writable(fd, deadline - now):
                continue
            state.stalled = True
            error = exc
            break
        except OSError as exc:
            error = exc
            break
        if written <= 0:
            error = OSError(errno.EIO, "the output took nothing")
            break
        done += written
        state.mid_line = done != prefix and done < total
        if view is None and done < total:
            view = memoryview(data)
    if error is None:
        state.stalled = False
        return
    if done > prefix:
        _diagnostics.report(CUT, error)
        _end_fragment(fd, state)
    else:
        _diagnostics.report(DROPPED, error)


def _end_fragment(fd: int, state: _State) -> None:
    """Try at once to end the cut line, so that no other process's line is glued to it."""
    try:
        if os.write(fd, b"\n") == 1:
            state.mid_line = False
    except OSError:
        pass  # the next line starts with the newline instead


def _writable(fd: int, seconds: float) -> bool:
    """Wait until *fd* takes bytes again, at most *seconds*."""
    try:
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        return bool(poller.poll(max(1, int(seconds * 1000))))
    except (AttributeError, OSError, ValueError):  # pragma: no cover - no poll() here
        time.sleep(min(seconds, 0.01))
        return True


def _lock_directory() -> str:
    # tempfile.gettempdir() without its lock (a signal handler may be the
    # first to write to a pipe while the program is inside tempfile) and
    # without its probe: TMPDIR, TEMP or TMP if it is a directory, else the
    # platform's temporary directory.
    for name in ("TMPDIR", "TEMP", "TMP"):
        value = os.environ.get(name)
        if value and os.path.isdir(value):
            return os.path.abspath(value)
    return "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()  # noqa: S108 - only lock files, never data


LOCK_DIRECTORY = _lock_directory()
"""Where the pipes' lock files are: the same for every process with the same TMPDIR."""


def pipe_lock_path(status: os.stat_result) -> str:
    """The lock file every agentlog process of this user writing to the pipe *status* describes takes."""
    name = f"agentlog-pipe-{_euid()}-{status.st_dev}-{status.st_ino}.lock"
    return os.path.join(LOCK_DIRECTORY, name)


def _euid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else 0


class _Target:
    """An output written by descriptor (a pipe, a socket, a terminal, a device), shared by all its writers.

    One per open file in this process, found by device and inode, so that
    two writers on one pipe (a reconfiguration, ``LoggerFactory``) take the
    same lock and know of each other's cut lines.
    """

    __slots__ = (
        "__weakref__",
        "guard",
        "lock_failed",
        "lock_fd",
        "lock_path",
        "mid_line",
        "skip_flush",
        "stalled",
    )

    def __init__(self, status: os.stat_result) -> None:
        self.guard = _Guard()
        shared = stat.S_ISFIFO(status.st_mode) or stat.S_ISSOCK(status.st_mode)
        self.lock_path = pipe_lock_path(status) if shared and fcntl is not None else None
        self.lock_fd: int | None = None
        self.lock_failed = False
        self.mid_line = False
        self.stalled = False
        self.skip_flush = False

    def write(self, fd: int, line: bytes) -> None:
        """Write *line* to *fd*; on a pipe, holding the pipe's lock file (shared for short lines)."""
        if self.lock_path is None:
            _write_out(fd, self, line)
            return
        # Short lines take the lock too, shared: a write of up to PIPE_BUF is
        # whole by itself, but could land inside another process's long line.
        lock_fd = self.lock_fd if self.lock_fd is not None else self._open_lock()
        if lock_fd is not None:
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX if len(line) >= PIPE_BUF else fcntl.LOCK_SH)
            except OSError as exc:
                _diagnostics.report(NO_PIPE_LOCK, exc)
                lock_fd = None
        try:
            _write_out(fd, self, line)
        finally:
            if lock_fd is not None:
                fcntl.flock(lock_fd, fcntl.LOCK_UN)

    def _open_lock(self) -> int | None:
        # The name is predictable, in a directory every user writes to: only
        # a regular file of this user's, never followed through a symlink,
        # never waited on to open (a FIFO planted there). Anyone else who
        # could open it could hold the lock and stop every line.
        if self.lock_failed or self.lock_path is None:
            return None
        flags = os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.lock_path, flags, 0o600)
        except OSError as exc:
            self.lock_failed = True
            _diagnostics.report(NO_PIPE_LOCK, exc)
            return None
        try:
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode) or status.st_uid != _euid():
                raise PermissionError(errno.EPERM, "not a lock file of this user's")
        except OSError as exc:
            os.close(fd)
            self.lock_failed = True
            _diagnostics.report(NO_PIPE_LOCK, exc)
            return None
        self.lock_fd = fd
        return fd

    def reset_in_child(self) -> None:
        # An flock belongs to the open file, which a forked child shares with
        # its parent: the child opens its own, so that the two exclude each
        # other. Closing the shared one (never unlocking it) leaves the
        # parent's lock alone.
        if self.lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.lock_fd)
            self.lock_fd = None
        # A thread of the parent was writing: it may have held the stream's
        # own buffer lock too, which nothing in the child would ever release.
        # The line it was writing is the parent's to finish.
        if self.guard.reset_in_child():
            self.skip_flush = True
            self.mid_line = False


_targets: dict[tuple[int, int], _Target] = {}


def _target_for(fd: int) -> _Target:
    status = os.fstat(fd)
    key = (status.st_dev, status.st_ino)
    target = _targets.get(key)
    if target is None:
        target = _targets.setdefault(key, _Target(status))  # no lock: a signal handler may be here too
    return target


def _reset_after_fork() -> None:
    for target in list(_targets.values()):
        target.reset_in_child()
    for guard in list(_guards):
        guard.reset_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


class _Route(Protocol):
    guard: _Guard

    def write(self, line: bytes) -> None: ...


class _DescriptorRoute:
    """A line to a descriptor, after flushing the stream that owns it (if any)."""

    __slots__ = ("fd", "guard", "keep", "stream", "target")

    def __init__(self, stream: Any, fd: int, target: _Target, keep: object = None) -> None:
        self.stream = stream
        self.fd = fd
        self.target = target
        self.guard = target.guard
        self.keep = keep  # what keeps fd open

    def write(self, line: bytes) -> None:
        stream = self.stream
        if stream is not None:
            # The program's own output first, in order. If that fails
            # (RuntimeError: a signal handler re-entered the stream's own
            # write), the program's text stays buffered; this line goes on.
            try:
                if not self.target.skip_flush:
                    stream.flush()
                elif stream.closed:
                    raise ValueError("I/O operation on closed file")
            except ValueError as exc:  # closed: its descriptor may belong to another file by now
                if stream.closed:
                    _diagnostics.report(DROPPED, exc)
                    return
            except Exception:  # noqa: S110 - the program's text, not this line
                pass
        self.target.write(self.fd, line)


class _StreamRoute:
    """A line through a stream's own ``write`` (one with no descriptor: StringIO, a capture, a wrapper)."""

    __slots__ = ("binary", "guard", "mid_line", "raw", "stream")

    def __init__(self, stream: Any, binary: bool, guard: _Guard) -> None:
        self.stream = stream
        self.binary = binary
        self.guard = guard
        self.raw = isinstance(stream, io.RawIOBase)  # None from its write means it took nothing
        self.mid_line = False

    def write(self, line: bytes) -> None:
        stream = self.stream
        prefix = 1 if self.mid_line else 0
        data: bytes | str
        if self.binary:
            data = b"\n" + line if prefix else line
        else:
            text = line.decode("utf-8", "replace")
            data = "\n" + text if prefix else text
        total = len(data)
        done = 0
        try:
            written = stream.write(data)
            if written == total or (written is None and not self.raw):
                done = total  # the usual case: all of it at once
            while done < total:
                if written is None and self.raw:
                    raise _TookNothingError(errno.EAGAIN, "the stream took nothing")
                if not isinstance(written, int) or written is True or written is False:
                    written = total - done  # a stream that does not say how much it took took it all
                if written <= 0:
                    raise _TookNothingError(errno.EIO, "the stream took nothing")
                done += min(written, total - done)
                self.mid_line = done != prefix and done < total
                if done < total:
                    written = stream.write(data[done:])
            flush = getattr(stream, "flush", None)
            if flush is not None:
                flush()
        except Exception as exc:
            done += getattr(exc, "characters_written", 0)
            if done > prefix:
                self.mid_line = done < total
            elif isinstance(exc, OSError) and not isinstance(exc, _TookNothingError):
                # A stream that raised may have taken part of the line
                # without saying so: end whatever it took with a newline.
                self.mid_line = True
            _diagnostics.report(CUT if prefix < done < total else DROPPED, exc)
        else:
            self.mid_line = False


class _TookNothingError(OSError):
    """A stream's write that took no byte of the line (and said so)."""


def _descriptor_of(stream: Any) -> int | None:
    """The descriptor under *stream* if it is a plain file object whose bytes may go there directly."""
    kind = type(stream)
    try:
        if kind is io.TextIOWrapper:
            if type(stream.buffer) not in (io.BufferedWriter, io.FileIO):
                return None
            if codecs.lookup(stream.encoding).name != "utf-8":
                return None  # the line is UTF-8; this stream would have encoded it otherwise
        elif kind is not io.BufferedWriter and kind is not io.FileIO:
            return None
        if stream.closed:
            return None
        fd: int = stream.fileno()
    except Exception:
        return None
    return fd


_UNSEEN = object()


class _StreamWriter:
    def __init__(self, stream: Any, binary: bool) -> None:
        self.stream = stream
        self._binary = binary
        self._guard = _Guard()
        self._seen: Any = _UNSEEN
        # The route's guard and write, in one tuple so that a thread never
        # sees one route's guard with another's write.
        self._route: tuple[Callable[[Step, bytes], None], Step] = (
            self._guard.run,
            _StreamRoute(stream, binary, self._guard).write,
        )

    def __call__(self, line: bytes) -> None:
        try:
            stream = self.stream
            if stream is None:
                stream = sys.stdout
            if stream is not self._seen:
                route = self._route_for(stream)
                self._route = (route.guard.run, route.write)
                self._seen = stream
            run, step = self._route
            run(step, line)
        except Exception as exc:
            _diagnostics.report(DROPPED, exc)

    def _route_for(self, stream: Any) -> _Route:
        fd = _descriptor_of(stream)
        if fd is not None:
            try:
                return _DescriptorRoute(stream, fd, _target_for(fd))
            except OSError:
                pass
        return _StreamRoute(stream, self._binary, self._guard)


class BinaryStreamWriter(_StreamWriter):
    """Writes bytes to a binary stream (by its descriptor when it has one) and flushes it."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(stream, binary=True)


class TextStreamWriter(_StreamWriter):
    """Writes text to a text stream (UTF-8 bytes to its descriptor when it has one) and flushes it.

    With *stream* None, writes to whatever ``sys.stdout`` is at the time, so
    redirection (and test capture) is followed.
    """

    def __init__(self, stream: IO[str] | None) -> None:
        super().__init__(stream, binary=False)


class _OpenFile:
    """One opening of the output path; its descriptor is closed once nothing can write through it."""

    __slots__ = ("__weakref__", "dev", "fd", "ino", "mid_line", "mode", "stalled")

    def __init__(self, path: str) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            status = os.fstat(fd)
        except OSError:
            os.close(fd)
            raise
        self.fd = fd
        self.dev = status.st_dev
        self.ino = status.st_ino
        self.mode = status.st_mode
        self.mid_line = False
        self.stalled = False
        # Closed when the last reference goes: a thread still writing holds
        # one, so no line is ever written into a reused descriptor. Not at
        # exit, where daemon threads may still be writing: the process's end
        # closes it.
        weakref.finalize(self, os.close, fd).atexit = False


class FileWriter:
    """Appends to a file path with one ``os.write`` per line, following rotation."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.path.abspath(os.fspath(path))  # a later chdir does not move the output
        self._file = _OpenFile(self.path)
        self._guard = _Guard()
        self._route: _DescriptorRoute | None = None
        if not stat.S_ISREG(self._file.mode):
            self._route = _DescriptorRoute(None, self._file.fd, _target_for(self._file.fd), keep=self._file)

    def fast(self) -> Writer:
        """The writer to use: for a regular file (or the null device), lock-free appends.

        An ``O_APPEND`` write to a regular file is atomic — the kernel places
        and writes each line whole — so threads and processes need no lock.
        """
        if self._route is None:
            return self._append
        if self.path == os.devnull:
            return self._discard
        return self

    def __call__(self, line: bytes) -> None:
        """Write *line* (never raises)."""
        route = self._route
        if route is None:
            self._append(line)
            return
        try:
            route.guard.run(route.write, line)
        except Exception as exc:
            _diagnostics.report(DROPPED, exc)

    def _discard(self, line: bytes) -> None:
        try:
            os.write(self._file.fd, line)
        except Exception as exc:
            _diagnostics.report(DROPPED, exc)

    def _append(self, line: bytes) -> None:
        try:
            opened = self._file
            # A stat of the path per line, as WatchedFileHandler does: after
            # logrotate renames or deletes the file, the very next line goes
            # to a new file at the path.
            try:
                now = os.stat(self.path)
            except OSError:
                now = None
            if now is None or now.st_ino != opened.ino or now.st_dev != opened.dev or opened.mid_line:
                self._guard.run(self._reopen_and_write, line)
                return
            try:
                written = os.write(opened.fd, line)
            except OSError as exc:
                self._guard.run(functools.partial(_report_dropped, exc), line)
                return
            if written != len(line):  # a full disk or the file size limit
                self._guard.run(functools.partial(self._finish, opened, written), line)
        except Exception as exc:
            _diagnostics.report(DROPPED, exc)

    def _finish(self, opened: _OpenFile, written: int, line: bytes) -> None:
        opened.mid_line = True
        _write_out(opened.fd, opened, line, done=written)

    def _reopen_and_write(self, line: bytes) -> None:
        opened = self._file
        try:
            now = os.stat(self.path)
        except OSError:
            now = None
        if now is None or now.st_ino != opened.ino or now.st_dev != opened.dev:
            try:
                opened = _OpenFile(self.path)
            except OSError as exc:
                _diagnostics.report(REOPEN_FAILED, exc)
            else:
                self._file = opened
        _write_out(opened.fd, opened, line)


def _report_dropped(exc: BaseException, line: bytes) -> None:
    _diagnostics.report(DROPPED, exc)


def _is_binary(stream: Any) -> bool:
    if isinstance(stream, io.TextIOBase):
        return False
    if isinstance(stream, (io.RawIOBase, io.BufferedIOBase)):
        return True
    if hasattr(stream, "encoding"):
        return False
    return "b" in str(getattr(stream, "mode", ""))


def make_writer(output: Any) -> Writer:
    """Return the writer for *output*: None (stdout), a path, or a stream.

    Args:
        output: None for the current ``sys.stdout``; a ``str`` or
            ``os.PathLike`` to append to that file (created if missing); or
            any object with ``write`` (text or binary).

    Raises:
        TypeError: *output* is none of these.
        OSError: the file cannot be opened.
    """
    if output is None:
        return TextStreamWriter(None)
    if isinstance(output, (str, os.PathLike)):
        return FileWriter(output).fast()
    if not callable(getattr(output, "write", None)):
        raise TypeError(f"output must be a stream, a path or None, not {type(output).__name__}")
    if _is_binary(output):
        return BinaryStreamWriter(output)
    return TextStreamWriter(output)
