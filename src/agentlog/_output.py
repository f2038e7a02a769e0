"""Writers: where finished lines go.

Every writer takes one complete line (bytes ending in a newline) and writes it
with one call under a lock, so lines from many threads never interleave. A
file path is opened with ``O_APPEND`` and written with one ``os.write`` per
line, which also keeps lines whole when several processes append to the same
file. Writers are synchronous: the line is in the output when the call
returns. They never raise; a failed write is counted (see
`agentlog.problems`).
"""

from __future__ import annotations

import io
import os
import stat
import sys
import threading
import weakref
from typing import IO, Any, Protocol

from . import _diagnostics

__all__ = ["Writer", "make_writer"]


class Writer(Protocol):
    """Something that writes one finished line."""

    def __call__(self, line: bytes) -> None:
        """Write *line* (never raises)."""


_live_writers: weakref.WeakSet[_LockedWriter] = weakref.WeakSet()


def _reset_locks_after_fork() -> None:
    # A lock held by another thread at fork time would stay held forever in
    # the child; give the child fresh ones.
    for writer in list(_live_writers):
        writer._lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_locks_after_fork)


class _LockedWriter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        _live_writers.add(self)

    def __call__(self, line: bytes) -> None:
        try:
            with self._lock:
                self._write(line)
        except Exception as exc:
            _diagnostics.report("write failed, line dropped", exc)

    def _write(self, line: bytes) -> None:
        raise NotImplementedError


class FileWriter(_LockedWriter):
    """Appends to a file path with one ``os.write`` per line."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self.path = os.fspath(path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        # Closed only when no thread can still be writing through this writer,
        # so a reconfigure never writes into a reused descriptor.
        weakref.finalize(self, os.close, self._fd)
        self._appends = stat.S_ISREG(os.fstat(self._fd).st_mode) or self.path == os.devnull

    def fast(self) -> Writer:
        """The writer to use: for a regular file, lock-free appends.

        An ``O_APPEND`` write to a regular file is atomic — the kernel places
        and writes each line whole — so threads and processes need no lock.
        """
        return self._append if self._appends else self

    def _append(self, line: bytes) -> None:
        try:
            written = os.write(self._fd, line)
            if written < len(line):  # only a full disk or a signal cuts a write short
                with self._lock:
                    self._write(line[written:])
        except Exception as exc:
            _diagnostics.report("write failed, line dropped", exc)

    def _write(self, line: bytes) -> None:
        fd = self._fd
        written = os.write(fd, line)
        if written < len(line):
            view = memoryview(line)
            while written < len(line):
                written += os.write(fd, view[written:])


class BinaryStreamWriter(_LockedWriter):
    """Writes bytes to a binary stream and flushes it."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__()
        self.stream = stream

    def _write(self, line: bytes) -> None:
        self.stream.write(line)
        self.stream.flush()


class TextStreamWriter(_LockedWriter):
    """Writes text to a text stream and flushes it.

    With *stream* None, writes to whatever ``sys.stdout`` is at the time, so
    redirection (and test capture) is followed.
    """

    def __init__(self, stream: IO[str] | None) -> None:
        super().__init__()
        self.stream = stream

    def _write(self, line: bytes) -> None:
        stream = self.stream if self.stream is not None else sys.stdout
        stream.write(line.decode("utf-8"))
        stream.flush()


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
