"""Following growing log files, as ``tail -F`` does: what ``agentlog tail`` prints as it happens.

A `FileFollower` reads what is appended to one file and follows it through
rotation, polling:

- renamed away and recreated (logrotate's default, agentlog's own writer
  with ``output=path``): what was still written to the old file is read to
  its end, then the new file from its start;
- truncated in place (logrotate's ``copytruncate``): read again from its
  start. A file truncated and refilled past where it was read between two
  polls is told from one that grew by the bytes just before that point,
  compared with those read (``tail -F`` misses that case);
- missing (not created yet, or between rename and recreation): waited for,
  then read from its start.

Files are read with plain reads, never mapped, so a file truncated while it
is read just ends early. A line longer than `MAX_LINE_BYTES` is skipped and
counted; memory holds at most one such line's worth per file.

A `DirectoryFollower` follows the log files of a directory, at any depth
(the names `reader.expand_inputs` reads: ``.jsonl``, ``.ndjson``, ``.json``,
``.log``), as they come and go. Each directory of the tree is listed again
when its mtime changed (one ``stat`` per directory per poll otherwise), and
for as long as its mtime is too recent to prove nothing changed since. A
file that appears later is read from its start: all of it is new. ``.gz``
files (rotated, compressed copies) are never followed. A file is read once,
whatever its names, by the rule of the `Ledger` the followers share:

- renamed to another log name of the directory, and its old name not
  holding it any more, it is followed by its new name from where it was
  read to, its old name's follower giving it up (if the old name still
  holds it, a hard link, the new name is passed over);
- renamed to a name that is not followed (logrotate's ``agent.jsonl.1``) or
  out of the directory, it is read by its old name, as ``tail -F`` does,
  until a new file takes that name; then it is read to its end and let go,
  and were it to reappear under a followed name, it is read on from there;
- deleted for good (no name left), its follower is forgotten once its last
  lines are read.

A `Tail` turns the lines of several followers into events: a `Finished`
run (its summary, built by `runs.RunBuilder`) when its ``run_finished`` line
arrives, a `Failure` as soon as a tool call, LLM call or step fails, and a
`Notice` when a file is rotated or cannot be read. Runs already in progress
when it starts are learnt from the last `PRIME_BYTES` of each file, read
silently, so their user, session and metadata are known when they finish.
Memory is bounded: at most `MAX_OPEN_RUNS` runs are tracked at once (the
oldest are dropped), and finished runs are remembered only by ID, up to
`MAX_DONE_RUNS`.
"""

from __future__ import annotations

import os
import select
import stat
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from agentlog._vocabulary import (
    ERROR,
    ERROR_CLASS,
    ERROR_MESSAGE,
    LLM_RESULT,
    RUN_FINISHED,
    RUN_ID,
    STEP_FINISHED,
    STEP_ID,
    TIMESTAMP,
    TOOL_CALL_ID,
    TOOL_RESULT,
)

from .filters import RunFilter
from .reader import _SUFFIXES, parse
from .runs import RunBuilder, RunSummary
from .typed import typed_event
from .values import number

__all__ = [
    "MAX_DONE_RUNS",
    "MAX_LET_GO",
    "MAX_LINE_BYTES",
    "MAX_OPEN_RUNS",
    "PRIME_BYTES",
    "DirectoryFollower",
    "Failure",
    "FileFollower",
    "Finished",
    "Ledger",
    "Notice",
    "StreamFollower",
    "Tail",
    "is_compressed",
]

MAX_LINE_BYTES = 16 * 1024 * 1024
"""The longest line followed; a longer one is skipped and counted."""
PRIME_BYTES = 16 * 1024 * 1024
"""How much of a file's end is read silently at start, to learn the runs in progress."""
MAX_OPEN_RUNS = 50_000
"""The most runs tracked at once; past it the oldest are dropped."""
MAX_DONE_RUNS = 100_000
"""The most finished runs remembered (by ID), so their late lines start no new run."""
MAX_LET_GO = 10_000
"""The most files let go (rotated away) remembered by how far they were read."""
_BLOCK = 1024 * 1024
_RACY_NS = 2_000_000_000  # a directory changed this recently may change again within its mtime's tick
_CHECKED = 64  # bytes before the read position compared at each poll, to tell a rewritten file


def is_compressed(path: str) -> bool:
    """Whether *path* starts as gzip does (such a file can be read, not followed)."""
    try:
        with open(path, "rb") as probe:
            return probe.read(2) == b"\x1f\x8b"
    except OSError:
        return False


class _Lines:
    """Bytes in, whole lines out: the unfinished last line kept, overlong lines skipped and counted."""

    def __init__(self) -> None:
        self.partial = bytearray()
        self.skipping = False
        self.too_long = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        """The lines *chunk* completes, without their newlines."""
        lines: list[bytes] = []
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                break
            if self.skipping:
                self.skipping = False
            elif self.partial:
                self.partial += chunk[start:end]
                if len(self.partial) <= MAX_LINE_BYTES:
                    lines.append(bytes(self.partial))
                else:
                    self.too_long += 1
                self.partial.clear()
            elif end - start <= MAX_LINE_BYTES:
                lines.append(chunk[start:end])
            else:
                self.too_long += 1
            start = end + 1
        if not self.skipping and start < len(chunk):
            self.partial += chunk[start:]
            if len(self.partial) > MAX_LINE_BYTES:
                self.partial.clear()
                self.skipping = True
                self.too_long += 1
        return lines

    def reset(self) -> None:
        """Forget the unfinished line (the file it came from is gone or was truncated)."""
        self.partial.clear()
        self.skipping = False


_Identity = tuple[int, int]  # (st_dev, st_ino): a file, whatever its names


class Ledger:
    """Which follower reads each open file, and how far the files let go were read: no file is read twice.

    Shared by the followers of one tail (see the module docstring for the rule).
    Memory is bounded: a reader per open file, and at most `MAX_LET_GO` files
    let go, the oldest forgotten first.
    """

    def __init__(self) -> None:
        self._readers: dict[_Identity, FileFollower] = {}
        self._let_go: OrderedDict[_Identity, tuple[str, int, bytes]] = OrderedDict()

    def reader(self, identity: _Identity) -> FileFollower | None:
        """The follower reading the file *identity*, if one is."""
        return self._readers.get(identity)

    def claim(self, follower: FileFollower, identity: _Identity) -> None:
        """*follower* has just opened *identity*: it reads on from where that file was read to, if it was."""
        reader = self._readers.get(identity)
        if reader is not None and reader is not follower:
            follower._carry_on(reader, *reader._give_up())
        elif identity in self._let_go:
            name, position, last = self._let_go.pop(identity)
            # The same inode number with other bytes before that point is another file (the number reused).
            follower._carry_on(name, position, last, b"")
        self._readers[identity] = follower

    def let_go(self, follower: FileFollower, identity: _Identity, position: int, last: bytes) -> None:
        """*follower* closed *identity*, read to *position* (*last*: the bytes before it)."""
        if self._readers.get(identity) is follower:
            del self._readers[identity]
        self._let_go[identity] = (follower.path, position, last)
        self._let_go.move_to_end(identity)
        while len(self._let_go) > MAX_LET_GO:
            self._let_go.popitem(last=False)


class FileFollower:
    """One file followed through growth and rotation (see the module docstring).

    Args:
        path: The file's name, as given (it is looked up again at every poll).
        from_start: Read what the file already holds; else start at its end.
        ledger: Shared with the other followers, so that a file renamed from
            one followed name to another is read on, not again.
        wait: Say that a missing file is waited for (a directory's follower
            does not: its directory says when the name comes back).
    """

    def __init__(
        self, path: str, from_start: bool = False, ledger: Ledger | None = None, wait: bool = True
    ) -> None:
        self.path = path
        self.done = False  # a file is never done: it may always grow, or come back
        # Who read this file before (its follower, or the name that let it go), until a Tail places it.
        self.carried_from: FileFollower | str | None = None
        self._ledger = ledger
        self._wait = wait
        self._handle: IO[bytes] | None = None
        self._identity: tuple[int, int] | None = None
        self._position = 0
        self._last = b""  # the bytes just before _position, as read: changed, the file was rewritten
        self._lines = _Lines()
        self._notices: list[str] = []
        self._missing_said = False
        self._start_at_end = not from_start
        self._opened_once = False
        self._open()  # the end is where the file ends now, when following starts

    @property
    def too_long(self) -> int:
        """Lines skipped for being longer than `MAX_LINE_BYTES`."""
        return self._lines.too_long

    def notices(self) -> list[str]:
        """What happened to the file since last asked (rotated, truncated, missing, appeared)."""
        found, self._notices = self._notices, []
        return found

    def prime(self, size: int = PRIME_BYTES) -> list[bytes]:
        """The whole lines among the last *size* bytes before where following starts (read silently)."""
        if self._handle is None:
            self._open()
        if self._handle is None or self._position == 0:
            return []
        start = max(0, self._position - size)
        try:
            self._handle.seek(start)
            data = self._handle.read(self._position - start)
            self._handle.seek(self._position)
        except OSError:
            return []
        if start > 0:
            data = data[data.find(b"\n") + 1 :] if b"\n" in data else b""
        return [line for line in data.split(b"\n")[:-1] if len(line) <= MAX_LINE_BYTES]

    def _open(self) -> None:
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 - kept open while followed, closed on rotation
        except FileNotFoundError:
            if not self._missing_said and self._wait:
                self._notices.append(f"{self.path}: no such file yet; waiting for it")
                self._missing_said = True
            self._start_at_end = False  # when it appears, all of it is new
            return
        except OSError as exc:
            if not self._missing_said:
                self._notices.append(f"{self.path}: cannot be read ({exc.strerror or exc}); retrying")
                self._missing_said = True
            return
        info = os.fstat(handle.fileno())
        self._handle = handle
        self._identity = (info.st_dev, info.st_ino)
        self._position = 0
        self._last = b""
        if self._start_at_end and not self._opened_once:
            self._position = info.st_size
            self._last = self._bytes_before(self._position)
            handle.seek(self._position)
        elif self._missing_said:
            self._notices.append(f"{self.path}: appeared; following it from its start")
        self._missing_said = False
        self._opened_once = True
        self._lines.reset()
        if self._ledger is not None:
            self._ledger.claim(self, self._identity)

    def _carry_on(self, name: str | FileFollower, position: int, last: bytes, partial: bytes) -> None:
        """Read the file just opened from *position*, where *name* read it to, if it is that file."""
        assert self._handle is not None
        try:
            size = os.fstat(self._handle.fileno()).st_size
        except OSError:
            return
        if size < position or self._bytes_before(position) != last:
            return  # not the bytes read: another file that got the same inode number
        self._handle.seek(position)
        self._position = position
        self._last = last
        self._lines.reset()
        self._lines.partial += partial
        self.carried_from = name
        old = name.path if isinstance(name, FileFollower) else name
        self._notices.append(f"{old}: renamed to {self.path}; following it by its new name")

    def _give_up(self) -> tuple[int, bytes, bytes]:
        """Hand the open file to the follower of its new name: where it was read to, the unfinished line."""
        assert self._handle is not None
        handed = (self._position, self._last, bytes(self._lines.partial))
        self._handle.close()
        self._handle = None
        self._identity = None
        self._lines.reset()
        return handed

    @property
    def reading(self) -> bool:
        """Whether a file is open (else its name is missing, or its file moved to another follower)."""
        return self._handle is not None

    @property
    def deleted(self) -> bool:
        """Whether the open file has no name left (deleted for good: it will never grow again)."""
        if self._handle is None:
            return False
        try:
            return os.fstat(self._handle.fileno()).st_nlink == 0
        except OSError:
            return True

    def holds_its_name(self) -> bool:
        """Whether this follower's name still names the file it reads."""
        try:
            info = os.stat(self.path)
        except OSError:
            return False
        return (info.st_dev, info.st_ino) == self._identity

    def _read(self) -> list[bytes]:
        """Every whole line appended since the last read."""
        assert self._handle is not None
        lines: list[bytes] = []
        while True:
            try:
                chunk = self._handle.read(_BLOCK)
            except OSError as exc:
                self._notices.append(f"{self.path}: read failed ({exc.strerror or exc})")
                break
            if not chunk:
                break
            self._position += len(chunk)
            self._last = (self._last + chunk)[-_CHECKED:] if len(chunk) < _CHECKED else chunk[-_CHECKED:]
            lines.extend(self._lines.feed(chunk))
        return lines

    def _bytes_before(self, position: int) -> bytes:
        """The `_CHECKED` bytes of the open file before *position* (fewer at its start, or if unreadable)."""
        assert self._handle is not None
        start = max(0, position - _CHECKED)
        try:
            return os.pread(self._handle.fileno(), position - start, start)
        except (OSError, AttributeError):  # no pread (Windows): compared as unreadable
            return b""

    def _rewritten(self, size: int) -> bool:
        """Whether the file was truncated since the last read: shorter, or not the bytes read before."""
        if size < self._position:
            return True
        return bool(self._last) and self._bytes_before(self._position) != self._last

    def _close(self) -> None:
        if self._handle is not None:
            if self._ledger is not None and self._identity is not None:
                # Let go at the end of the last whole line: a follower carrying on reads that line whole.
                kept = 0 if self._lines.skipping else len(self._lines.partial)
                position = self._position - kept
                self._ledger.let_go(self, self._identity, position, self._bytes_before(position))
            self._handle.close()
        self._handle = None
        self._identity = None
        self._lines.reset()

    def poll(self) -> list[bytes]:
        """The whole lines written since the last poll, following rotation."""
        if self._handle is None:
            self._open()
            if self._handle is None:
                return []
        try:
            info = os.stat(self.path)
        except OSError:
            return self._read()  # renamed away, not recreated yet: the old file may still be written to
        if (info.st_dev, info.st_ino) != self._identity:
            lines = self._read()  # the old file's last lines
            self._close()
            self._notices.append(f"{self.path}: replaced (rotated); following the new file")
            self._open()
            if self._handle is not None:
                lines.extend(self._read())
            return lines
        if self._rewritten(info.st_size):
            # Checked before reading on: a truncated file refilled past the old point is read from 0.
            self._notices.append(f"{self.path}: truncated; reading it again from its start")
            assert self._handle is not None
            self._handle.seek(0)
            self._position = 0
            self._last = b""
            self._lines.reset()
        return self._read()

    def close(self) -> None:
        """Stop following: the file is closed."""
        self._close()


class StreamFollower:
    """Standard input (or any readable file descriptor) followed until its end.

    Reads only what is there (`select`), so other files are polled in between.
    """

    def __init__(self, stream: IO[bytes] | None = None) -> None:
        self.path = "-"
        self.done = False
        self._fd = (stream if stream is not None else sys.stdin.buffer).fileno()
        self._lines = _Lines()

    @property
    def too_long(self) -> int:
        """Lines skipped for being longer than `MAX_LINE_BYTES`."""
        return self._lines.too_long

    def notices(self) -> list[str]:
        """Nothing to say: a stream is not rotated."""
        return []

    def prime(self, size: int = PRIME_BYTES) -> list[bytes]:
        """Nothing: a stream is read from its start."""
        return []

    def poll(self) -> list[bytes]:
        """The whole lines that arrived; at the stream's end, the last unfinished one too."""
        lines: list[bytes] = []
        while not self.done:
            try:
                ready, _, _ = select.select([self._fd], [], [], 0)
            except (OSError, ValueError):
                ready = [self._fd]  # select cannot watch it (a regular file): a read does not block
            if not ready:
                break
            chunk = os.read(self._fd, _BLOCK)
            if not chunk:
                self.done = True
                lines.extend(self._lines.feed(b"\n"))
                break
            lines.extend(self._lines.feed(chunk))
        return lines

    def close(self) -> None:
        """Nothing to close: the stream is the caller's."""


class DirectoryFollower:
    """The log files of a directory, at any depth, followed as they come and go (see the module docstring).

    A `Tail` asks it for the files that appeared (`refresh`) before each poll,
    and for the followers to forget (`forget`) after it.

    Args:
        path: The directory.
        from_start: Read what the files there at start already hold; else
            start at their ends. A file that appears later is read whole.
        ledger: Shared with the tail's other followers, so that a file is
            followed once, under one name.
    """

    def __init__(self, path: str, from_start: bool = False, ledger: Ledger | None = None) -> None:
        self.path = path
        self.ledger = ledger if ledger is not None else Ledger()
        self.listings = 0
        """How many times a directory of the tree was listed (the rest of the polls cost one stat each)."""
        self._from_start = from_start
        self._started = False
        self._stamps: dict[str, int] = {}  # each directory of the tree: its mtime (ns) when last listed
        self._names: dict[str, set[str]] = {}  # each directory of the tree: its log files, as last listed
        self._listed: set[str] = set()
        self._relisted = False
        self._followers: dict[str, FileFollower] = {}
        self._notices: list[str] = []

    def notices(self) -> list[str]:
        """What happened to the directory since last asked (files that appeared, none there yet)."""
        found, self._notices = self._notices, []
        return found

    @property
    def followers(self) -> list[FileFollower]:
        """The followers of the directory's files, as now."""
        return list(self._followers.values())

    def refresh(self) -> list[FileFollower]:
        """Followers for the log files that appeared since last asked (at the first call, all of them)."""
        self._relisted = self._relist()
        if not self._relisted:
            return []
        self._listed = set().union(*self._names.values())
        new = []
        for name in sorted(self._listed - self._followers.keys()):
            follower = self._follow(name)
            if follower is not None:
                new.append(follower)
        if not self._started and not self._followers:
            self._notices.append(f"{self.path}: no log files yet; waiting for them")
        self._started = True
        return new

    def forget(self) -> list[FileFollower]:
        """Followers whose name is gone and that read nothing any more: closed, and returned to be dropped.

        Asked after a poll, so a deleted file's last lines were read. A file
        renamed to a name not followed is kept until its old name comes back.
        """
        if not self._relisted:
            return []  # nothing was renamed or deleted: the directories' mtimes did not change
        gone = []
        for name, follower in list(self._followers.items()):
            if name not in self._listed and (not follower.reading or follower.deleted):
                follower.close()
                del self._followers[name]
                gone.append(follower)
        return gone

    def _relist(self) -> bool:
        """List each directory of the tree whose mtime changed, or is too recent to trust; whether any was."""
        pending = list(self._stamps) if self._stamps else [self.path]
        now = time.time_ns()
        changed = False
        while pending:
            directory = pending.pop()
            try:
                mtime = os.stat(directory).st_mtime_ns
            except OSError:
                if self._stamps.pop(directory, None) is not None:  # removed: its files went with it
                    self._names.pop(directory, None)
                    changed = True
                continue
            # Within its mtime's tick another change leaves the mtime as it was: list again until it is older.
            if self._stamps.get(directory) == mtime and now - mtime > _RACY_NS:
                continue
            try:
                entries = list(os.scandir(directory))
            except OSError:
                continue
            self.listings += 1
            self._stamps[directory] = mtime  # taken before the listing: a change during it is seen next time
            names = set()
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.path not in self._stamps:
                            pending.append(entry.path)
                    elif entry.name.endswith(_SUFFIXES) and not entry.name.endswith(".gz"):
                        names.add(entry.path)
                except OSError:
                    continue
            self._names[directory] = names
            changed = True
        return changed

    def _follow(self, name: str) -> FileFollower | None:
        """A follower for *name*, new in the listing, unless it is no file to follow."""
        try:
            info = os.stat(name)
        except OSError:
            return None  # gone already, or a dangling link: the listing after the next change will tell
        if not stat.S_ISREG(info.st_mode) or is_compressed(name):
            return None
        reader = self.ledger.reader((info.st_dev, info.st_ino))
        if reader is not None and reader.holds_its_name():
            return None  # the same file under another name (a hard link), already followed
        follower = FileFollower(
            name, from_start=self._from_start or self._started, ledger=self.ledger, wait=False
        )
        self._followers[name] = follower
        if self._started and follower.carried_from is None:
            self._notices.append(f"{name}: new file; following it from its start")
        return follower


@dataclass
class Failure:
    """A tool call, LLM call or step that failed, as its line says."""

    run_id: str
    kind: str
    name: str
    timestamp: str | None
    step_id: Any
    tool_call_id: str | None
    error_class: str | None
    error_message: str | None
    latency_ms: float | None
    source: str

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view, ``type`` first (``failure``)."""
        return {"type": "failure", **self.__dict__}


@dataclass
class Finished:
    """A run that finished (or, at the end, one that never did: ``run.unfinished``)."""

    run: RunSummary

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view, ``type`` first (``run``, or ``unfinished``)."""
        return {"type": "unfinished" if self.run.unfinished else "run", **self.run.as_dict()}


@dataclass
class Notice:
    """Something to tell the user on the side: a file rotated, truncated, missing, overlong lines."""

    message: str


Event = Failure | Finished | Notice

_FAILING = {TOOL_RESULT: "tool", LLM_RESULT: "llm", STEP_FINISHED: "step"}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _failure(line: dict[str, Any], kind: str, run_id: str, source: str) -> Failure:
    if kind == "tool":
        name = str(line.get("tool", ""))
    elif kind == "llm":
        name = str(line.get("model", ""))
    else:
        name = str(line.get("step_type", ""))
    return Failure(
        run_id=run_id,
        kind=kind,
        name=name,
        timestamp=_text(line.get(TIMESTAMP)),
        step_id=line.get(STEP_ID) if type(line.get(STEP_ID)) is int else None,
        tool_call_id=_text(line.get(TOOL_CALL_ID)),
        error_class=_text(line.get(ERROR_CLASS)),
        error_message=_text(line.get(ERROR_MESSAGE)),
        latency_ms=number(line.get("latency_ms")),
        source=source,
    )


class Tail:
    """Lines of followed files to events, with the filters of ``agentlog runs`` (see the module docstring).

    Args:
        followers: The files (and stream) to follow.
        chosen: The runs wanted. A finished run is printed when it passes all
            of them; a failure when what is known of its run so far passes
            (who, where, when, metadata, the tools called so far), its own
            error class is the one asked for, and ``--status`` does not ask
            for runs that end ok (or not at all).
        directories: Directories followed: their files are added to
            *followers* as they appear, and dropped when gone for good.
    """

    def __init__(
        self,
        followers: list[FileFollower | StreamFollower],
        chosen: RunFilter,
        directories: Iterable[DirectoryFollower] = (),
    ) -> None:
        self.followers = followers
        self.chosen = chosen
        self.directories = list(directories)
        self.builder = RunBuilder()
        self._done: OrderedDict[str, None] = OrderedDict()
        self._failed_calls: dict[str, set[tuple[Any, str | None]]] = {}
        self._too_long = 0
        self._too_long_forgotten = 0  # overlong lines counted by followers since dropped
        self._notices: list[Notice] = []
        for directory in self.directories:
            self._add(directory.refresh())
            self._notices.extend(Notice(message) for message in directory.notices())

    def _add(self, new: list[FileFollower]) -> None:
        for follower in new:
            before, follower.carried_from = follower.carried_from, None  # no chain of old followers kept
            if isinstance(before, FileFollower) and before in self.followers:
                # It took its file from *before*: polled first, its last lines come before the new file's.
                self.followers.insert(self.followers.index(before), follower)
            else:
                self.followers.append(follower)

    def _refresh(self) -> list[Event]:
        notices = self._notices
        self._notices = []
        for directory in self.directories:
            self._add(directory.refresh())
            notices.extend(Notice(message) for message in directory.notices())
        return list(notices)

    def _forget(self) -> None:
        for directory in self.directories:
            for follower in directory.forget():
                self.followers.remove(follower)
                self._too_long_forgotten += follower.too_long

    def prime(self) -> None:
        """Learn the runs in progress from the end of each file, printing nothing."""
        for follower in self.followers:
            for raw in follower.prime():
                line = parse(raw)
                if line is not None:
                    self._take(line, follower.path, quiet=True)

    def _take(self, line: dict[str, Any], source: str, quiet: bool = False) -> list[Event]:
        event = typed_event(line)
        run_id = line.get(RUN_ID)
        if event is None or not isinstance(run_id, str) or run_id in self._done:
            return []
        found: list[Event] = []
        kind = _FAILING.get(event)
        if kind is not None and line.get("status") == ERROR:
            step = line.get(STEP_ID) if type(line.get(STEP_ID)) is int else None
            error_class = _text(line.get(ERROR_CLASS))
            failed_calls = self._failed_calls.setdefault(run_id, set())
            if kind != "step":
                failed_calls.add((step, error_class))
            # A step that fails with the exception of a call inside it was said with the call.
            if kind != "step" or (step, error_class) not in failed_calls:
                failure = _failure(line, kind, run_id, source)
                self.builder.add(line)
                if not quiet and self._failure_wanted(failure):
                    found.append(failure)
                return found
        finished = self.builder.add(line)
        if event == RUN_FINISHED and finished is not None:
            self._retire(run_id)
            if not quiet and self.chosen.matches(finished):
                found.append(Finished(finished))
        elif len(self.builder) > MAX_OPEN_RUNS:
            for old in self.builder.open_runs()[: MAX_OPEN_RUNS // 10]:
                self._retire(old)
        return found

    def _retire(self, run_id: str) -> None:
        self.builder.forget(run_id)
        self._failed_calls.pop(run_id, None)
        self._done[run_id] = None
        while len(self._done) > MAX_DONE_RUNS:
            self._done.popitem(last=False)

    def _failure_wanted(self, failure: Failure) -> bool:
        chosen = self.chosen
        if chosen.status in ("ok", "unfinished"):
            return False
        if chosen.error_class is not None and failure.error_class != chosen.error_class:
            return False
        run = self.builder.get(failure.run_id)
        if run is None:
            return False
        if chosen.tool is not None and chosen.tool not in run.tools:
            return False
        return chosen.matches_start(run)

    def poll(self) -> list[Event]:
        """The events of everything written since the last poll (in files that appeared since too)."""
        events = self._refresh()
        for follower in self.followers:
            for raw in follower.poll():
                line = parse(raw)
                if line is not None:
                    events.extend(self._take(line, follower.path))
            events.extend(Notice(message) for message in follower.notices())
        self._forget()
        too_long = self._too_long_forgotten + sum(follower.too_long for follower in self.followers)
        if too_long > self._too_long:
            events.append(Notice(f"{too_long - self._too_long} lines over {MAX_LINE_BYTES} bytes skipped"))
            self._too_long = too_long
        return events

    def unfinished(self) -> list[Finished]:
        """The runs still open (started, never finished) that pass the filters, oldest first."""
        found = []
        for run_id in self.builder.open_runs():
            run = self.builder.get(run_id)
            if run is not None and self.chosen.matches(run):
                found.append(Finished(run))
        return found

    @property
    def exhausted(self) -> bool:
        """Whether nothing more can come: every input is a stream that has ended."""
        return not self.directories and all(follower.done for follower in self.followers)

    def events(self, interval: float, sleep: Callable[[float], None] = time.sleep) -> Iterator[Event]:
        """Every event as it happens, polling every *interval* seconds, until every input has ended."""
        while True:
            found = self.poll()
            yield from found
            if self.exhausted:
                return
            if not found:
                sleep(interval)

    def close(self) -> None:
        """Close every followed file."""
        for follower in self.followers:
            follower.close()
