"""Reading agentlog lines back: files, directories, gzip, stdin; any profile.

Log files are large and hostile input is possible, so reading is bounded:

- A file is read in blocks into one reused buffer (never memory-mapped: a
  file truncated while it is read, as ``copytruncate`` rotation does, then
  just ends early instead of killing the process with SIGBUS). Gzip is
  decompressed a block at a time, so a small file holding a huge line costs
  time in proportion to its decompressed size and memory in proportion to
  the block.
- A line longer than `MAX_LINE_BYTES` is skipped and counted, and said once
  per file; every byte is looked at a bounded number of times, so time is
  linear in the input whatever its line lengths.
- Lines are filtered on their raw bytes before any is parsed: a caller names
  the byte strings a wanted line must contain, or the events it wants (found
  on their key in one pass, in any profile and spacing); each block is
  searched in place (with the C library's ``memmem`` where there is one),
  and only the lines around a match are decoded, where they lie. A line
  that is not JSON, or not an agentlog line in any profile, is skipped and
  counted, never fatal.
- The same file named twice (or reached twice through a directory, a link)
  is read once, and so is a file whose content another input repeats (the
  ``x.jsonl`` and ``x.jsonl.gz`` of one log): the lines they share are read
  from one of them only.
- Large plain files are split across processes where that is safe
  (`map_parts`, `map_batches`; `map_blocks` for a caller that decides line
  by line what to parse), each part reduced to a small result the caller
  merges.

Everything the other modules need from a file comes through the public
functions here: `read_lines`, `map_parts`/`map_batches` and `collect_run` for flat lines,
`numbered_lines` for the raw lines validation checks one by one, and
`input_problems` for what is wrong with the inputs before any is read.
"""

from __future__ import annotations

import gzip
import io
import itertools
import os
import pickle
import re
import shutil
import stat
import sys
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar, cast

import orjson

from agentlog._vocabulary import FREE_FORM, PARENT_RUN_ID, RUN_ID, TRACE_ID

from .profiles import to_flat

__all__ = [
    "MAX_LINE_BYTES",
    "Buffer",
    "Counts",
    "Selection",
    "collect_run",
    "count_not_objects",
    "expand_inputs",
    "first_match",
    "input_problems",
    "map_batches",
    "map_blocks",
    "map_parts",
    "numbered_lines",
    "parse",
    "parse_spans",
    "read_lines",
    "run_id_needle",
    "spooled_stdin",
]

MAX_LINE_BYTES = 16 * 1024 * 1024
"""The longest line read (64 times the largest line agentlog writes by default); longer ones are skipped."""

_BLOCK = 8 * 1024 * 1024  # bytes read at a time
_PART = 16 * 1024 * 1024  # the least a process is given of a file split across processes
_MAX_WORKERS = 8
_PREFIX = 64 * 1024  # bytes compared to tell whether two inputs hold the same log
_SUFFIXES = (".jsonl", ".ndjson", ".json", ".log", ".gz")
_GZIP_MAGIC = b"\x1f\x8b"
# A line that does not start with "{": a candidate for counting as skipped (blank lines are not).
_NOT_AN_OBJECT = re.compile(rb"\n[^{\n]")

T = TypeVar("T")


@dataclass
class Counts:
    """What reading found: lines parsed and skipped, files read, and what went wrong."""

    parsed: int = 0
    skipped: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)
    too_long: int = 0
    """Lines longer than `MAX_LINE_BYTES`, skipped (and said in `problems`)."""
    repeated: int = 0
    """Inputs, or parts of inputs, left out because another input holds the same lines."""

    def add(self, other: Counts) -> None:
        """Add *other*'s figures and problems to these."""
        self.parsed += other.parsed
        self.skipped += other.skipped
        self.files += other.files
        self.problems.extend(other.problems)
        self.too_long += other.too_long
        self.repeated += other.repeated


# -- inputs ---------------------------------------------------------------------------------


def _walk(name: str) -> list[str]:
    """The log files under directory *name*, at any depth, sorted."""
    return [
        str(found)
        for found in sorted(Path(name).rglob("*"))
        if found.is_file() and found.name.endswith(_SUFFIXES)
    ]


def expand_inputs(inputs: Iterable[str]) -> list[str]:
    """Files as given; directories walked for ``.jsonl``/``.ndjson``/``.json``/``.log``/``.gz``.

    A file reached twice (named twice, named and inside a directory given,
    or through a link) is kept once, where it first appears. Names that
    cannot be looked at (missing files, ``-``) are kept as given.
    """
    paths: list[str] = []
    seen: set[tuple[int, int]] = set()
    for name in inputs:
        found = _walk(name) if name != "-" and os.path.isdir(name) else [name]
        for path in found:
            try:
                info = os.stat(path) if path != "-" else None
            except OSError:
                info = None
            if info is not None and stat.S_ISREG(info.st_mode):
                identity = (info.st_dev, info.st_ino)
                if identity in seen:
                    continue
                seen.add(identity)
            paths.append(path)
    return paths


def input_problems(inputs: Sequence[str]) -> list[str]:
    """What makes an input unusable, one message each: missing, unreadable, an empty directory.

    Checked before anything is read, so that a mistyped name is an error
    rather than an empty answer. ``-`` (stdin) is always usable.
    """
    problems = []
    for name in inputs:
        if name == "-":
            continue
        try:
            info = os.stat(name)
        except FileNotFoundError:
            problems.append(f"{name}: no such file or directory")
            continue
        except OSError as exc:
            problems.append(f"{name}: {exc.strerror or exc}")
            continue
        if stat.S_ISDIR(info.st_mode):
            if not os.access(name, os.R_OK | os.X_OK):
                problems.append(f"{name}: permission denied")
            elif not _walk(name):
                problems.append(f"{name}: a directory with no {', '.join(_SUFFIXES)} files in it")
            continue
        try:
            with open(name, "rb"):
                pass
        except OSError as exc:
            problems.append(f"{name}: {exc.strerror or exc}")
    return problems


def _open(name: str) -> IO[bytes]:
    """*name* opened for reading bytes (stdin for ``-``), decompressed if it starts as gzip does.

    A pipe (``<(zcat …)``, stdin) is peeked at rather than read back, so
    nothing of it is lost to the test.
    """
    if name == "-":
        stream: IO[bytes] = sys.stdin.buffer
        compressed = isinstance(stream, io.BufferedReader) and stream.peek(2)[:2] == _GZIP_MAGIC
    else:
        raw = open(name, "rb", buffering=0)  # noqa: SIM115 - returned open, closed by the caller
        try:
            if raw.seekable():
                compressed = raw.read(2) == _GZIP_MAGIC
                raw.seek(0)
                stream = raw
            else:
                stream = io.BufferedReader(raw)
                compressed = stream.peek(2)[:2] == _GZIP_MAGIC
        except OSError:
            raw.close()
            raise
    if compressed:
        return cast("IO[bytes]", gzip.GzipFile(fileobj=stream, mode="rb"))  # leaves stream open: see _close
    return stream


def _close(stream: IO[bytes]) -> None:
    """Close *stream* and, for gzip, the file under it; stdin stays open."""
    inner = getattr(stream, "fileobj", None)
    if stream is not sys.stdin.buffer:
        stream.close()
    if inner is not None and inner is not sys.stdin.buffer:
        inner.close()


def _is_plain(name: str) -> bool:
    """Whether *name* is a regular file that does not start as gzip does: one read from any offset."""
    if name == "-":
        return False
    try:
        with open(name, "rb") as probe:
            return stat.S_ISREG(os.fstat(probe.fileno()).st_mode) and probe.read(2) != _GZIP_MAGIC
    except OSError:
        return False


# -- finding bytes ----------------------------------------------------------------------------


def _libc_memmem() -> Callable[[int, int, bytes, int], int | None] | None:
    """The C library's ``memmem`` (several times faster than ``bytes.find`` on long blocks), if any."""
    if os.environ.get("AGENTLOG_NO_MEMMEM") or not sys.platform.startswith(("linux", "darwin")):
        return None
    try:
        import ctypes

        function = ctypes.CDLL(None).memmem
    except (ImportError, OSError, AttributeError, TypeError):
        return None
    function.restype = ctypes.c_void_p
    function.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t]
    return function


_MEMMEM = _libc_memmem()


class Buffer:
    """A reusable block buffer, searched in place (with ``memmem`` where the C library has it)."""

    def __init__(self, size: int) -> None:
        self.data = bytearray(size)
        self.view = memoryview(self.data)
        """The same bytes, sliced without copying."""
        self._address = 0
        self._view: Any = None
        if _MEMMEM is not None:
            import ctypes

            self._view = (ctypes.c_char * size).from_buffer(self.data)
            self._address = ctypes.addressof(self._view)

    def find(self, needle: bytes, start: int, end: int) -> int:
        """Where *needle* first occurs within ``data[start:end]``, or -1."""
        if _MEMMEM is None or end - start < 4096:
            return self.data.find(needle, start, end)
        found = _MEMMEM(self._address + start, end - start, needle, len(needle))
        return -1 if not found else found - self._address


class _Reader:
    """Blocks of whole lines from a stream, over-long lines skipped, in time linear in the input.

    Args:
        stream: Read from its current position.
        counts: ``too_long`` is counted here.
        drop_first: Leave out the bytes up to and including the first newline
            (the end of a line that started before the part to read).
        limit: Stop after the line that holds this many bytes into the stream
            (None: read to the end).
        origin: The stream's offset to start with, for `block_start`.
    """

    def __init__(
        self,
        stream: IO[bytes],
        counts: Counts,
        *,
        drop_first: bool = False,
        limit: int | None = None,
        origin: int = 0,
    ) -> None:
        self.stream = stream
        self.origin = origin
        self.block_start = origin
        """The stream offset of the block last yielded."""
        self.counts = counts
        self.cap = MAX_LINE_BYTES
        self.buffer = Buffer(min(_BLOCK, self.cap + 1))
        self.consumed = 0  # stream bytes read so far
        self.drop_first = drop_first
        self.limit = limit

    def _read_into(self, start: int) -> int:
        count = self.stream.readinto(self.buffer.view[start:])  # type: ignore[attr-defined]
        self.consumed += count or 0
        return int(count or 0)

    def _drop_line(self) -> int:
        """Read on past the end of the current line; return how many bytes after it are in the buffer."""
        data = self.buffer.data
        while True:
            count = self._read_into(0)
            if count == 0:
                return 0
            newline = data.find(b"\n", 0, count)
            if newline >= 0:
                rest = count - newline - 1
                data[:rest] = data[newline + 1 : count]
                return rest

    def blocks(self) -> Iterator[tuple[Buffer, int]]:
        """(buffer, end): ``buffer.data[:end]`` holds whole lines; valid until the next block is asked for.

        The last block of the input may end without a newline.
        """
        filled = 0  # bytes in the buffer
        scanned = 0  # of which the first are known to hold no newline
        base = 0  # stream offset of the buffer's first byte
        if self.drop_first:
            filled = self._drop_line()
            base = self.consumed - filled
        while True:
            if filled == len(self.buffer.data):
                if filled > self.cap:
                    self.counts.too_long += 1
                    filled = self._drop_line()
                    scanned = 0
                    base = self.consumed - filled
                    continue
                bigger = Buffer(min(2 * filled, self.cap + 1))
                bigger.data[:filled] = self.buffer.data[:filled]
                self.buffer = bigger
            count = self._read_into(filled)
            end = filled + count
            if not end:
                return
            data = self.buffer.data
            cut = data.rfind(b"\n", scanned, end) if count else end - 1  # the input's end ends a line
            if cut < 0:
                filled = scanned = end
                continue
            self.block_start = self.origin + base
            if self.limit is not None and base + cut + 1 >= self.limit:
                # The part ends in this block: after the line that holds its last byte.
                stop = data.find(b"\n", max(self.limit - 1 - base, 0), end)
                yield self.buffer, stop + 1 if stop >= 0 else end
                return
            if not count:
                last = data.rfind(b"\n", 0, end) + 1
                if end - last > self.cap:  # the last line, without a newline, is too long
                    self.counts.too_long += 1
                    end = last
                if end:
                    yield self.buffer, end
                return
            yield self.buffer, cut + 1
            rest = end - cut - 1
            data[:rest] = data[cut + 1 : end]
            base += cut + 1
            filled = rest
            scanned = 0


def _line_spans(buffer: Buffer, end: int, needles: tuple[bytes, ...]) -> list[tuple[int, int]]:
    """(start, end) of each line in ``buffer.data[:end]`` that contains a needle, in order, once each."""
    data = buffer.data
    find, rfind, search = data.find, data.rfind, buffer.find
    spans: list[tuple[int, int]] = []
    for needle in needles:
        position = search(needle, 0, end)
        while position >= 0:
            start = rfind(b"\n", 0, position) + 1
            stop = find(b"\n", position, end)
            if stop < 0:
                spans.append((start, end))
                break
            spans.append((start, stop))
            position = search(needle, stop, end)
    return _in_order(spans) if len(needles) > 1 else spans


def _in_order(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """*spans* sorted, each line once."""
    spans.sort()
    return [span for index, span in enumerate(spans) if not index or spans[index - 1][0] != span[0]]


def _pattern_spans(data: bytearray, end: int, pattern: re.Pattern[bytes]) -> list[tuple[int, int]]:
    """(start, end) of each line in ``data[:end]`` where *pattern* matches, in order, once each."""
    find, rfind = data.find, data.rfind
    spans: list[tuple[int, int]] = []
    last = -1
    for match in pattern.finditer(data, 0, end):
        position = match.start()
        if position <= last:
            continue  # another match on a line already taken
        start = rfind(b"\n", 0, position) + 1
        last = find(b"\n", position, end)
        if last < 0:
            last = end
        spans.append((start, last))
    return spans


class Selection:
    """Which lines to parse: those holding a needle, or naming one of some events; all when neither.

    An event is matched on its key, in any spacing: ``"event":"tool_result"``
    in the json profile, ``"message":"tool_result"`` in ecs and datadog (only
    looked for in a block that has a ``"message"`` key at all).
    """

    def __init__(self, needles: tuple[bytes, ...] = (), events: Iterable[str] = ()) -> None:
        self.needles = needles
        names = b"|".join(re.escape(event.encode()) for event in sorted(set(events)))
        self.by_event = re.compile(rb'"event"\s*:\s*"(' + names + rb')"') if names else None
        """The json profile's event key naming one of the events (the name is group 1)."""
        self.by_message = re.compile(rb'"message"\s*:\s*"(?:' + names + rb')"') if names else None

    @property
    def everything(self) -> bool:
        """Whether every line is taken."""
        return not self.needles and self.by_event is None

    def spans(self, buffer: Buffer, end: int) -> list[tuple[int, int]]:
        """(start, end) of the chosen lines of the block, in order."""
        if self.everything:
            return _every_span(buffer, end)
        if self.by_event is None or self.by_message is None:
            return _line_spans(buffer, end, self.needles)
        spans = _pattern_spans(buffer.data, end, self.by_event)
        merge = bool(self.needles)
        if buffer.find(b'"message"', 0, end) >= 0:
            spans.extend(_pattern_spans(buffer.data, end, self.by_message))
            merge = True
        if self.needles:
            spans.extend(_line_spans(buffer, end, self.needles))
        return _in_order(spans) if merge else spans

    def chosen(
        self, buffer: Buffer, end: int, counts: Counts, count_all: bool = True
    ) -> list[tuple[int, int]]:
        """`spans`, the other lines that are not JSON objects counted as skipped (with *count_all*)."""
        spans = self.spans(buffer, end)
        if count_all and not self.everything:
            counts.skipped += count_not_objects(buffer, end, spans)
        return spans


def _every_span(buffer: Buffer, end: int, blank: bool = False) -> list[tuple[int, int]]:
    """(start, end) of every line in ``buffer.data[:end]`` (empty ones too when *blank*)."""
    data = buffer.data
    spans = []
    start = 0
    while start < end:
        stop = data.find(b"\n", start, end)
        stop = end if stop < 0 else stop
        if blank or stop > start:
            spans.append((start, stop))
        start = stop + 1
    return spans


def count_not_objects(buffer: Buffer, end: int, chosen: list[tuple[int, int]]) -> int:
    """How many lines of the block, other than *chosen* ones, are neither blank nor a JSON object."""
    data = buffer.data
    starts = [0] if end and data[:1] != b"{" else []
    starts.extend(match.start() + 1 for match in _NOT_AN_OBJECT.finditer(data, 0, end))
    if not starts:
        return 0
    taken = {start for start, _ in chosen}
    skipped = 0
    for start in starts:
        if start in taken or start >= end:
            continue
        stop = data.find(b"\n", start, end)
        line = data[start : end if stop < 0 else stop].strip()
        if line and not (line[:1] == b"{" and line[-1:] == b"}"):
            skipped += 1
    return skipped


# -- parsing ----------------------------------------------------------------------------------


def parse(raw: bytes | bytearray) -> dict[str, Any] | None:
    """Parse one raw line into the flat form; None if it is not an agentlog line."""
    raw = raw.strip()
    if not raw or raw[:1] != b"{":
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return to_flat(value) if isinstance(value, dict) else None


# -- the same lines twice ---------------------------------------------------------------------


def _head(name: str) -> bytes:
    """The first bytes *name* holds (decompressed, up to 64 KiB); empty if it cannot be read, or is a pipe."""
    try:
        if not stat.S_ISREG(os.stat(name).st_mode):
            return b""  # read once only: what is read here would be lost to the reading
        stream = _open(name)
    except OSError:
        return b""
    try:
        return stream.read(_PREFIX)
    except (OSError, EOFError, zlib.error):
        return b""
    finally:
        _close(stream)


def _read_fully(stream: IO[bytes], size: int) -> bytes:
    """*size* bytes of *stream*, fewer only at its end."""
    pieces = []
    while size > 0:
        piece = stream.read(size)
        if not piece:
            break
        pieces.append(piece)
        size -= len(piece)
    return b"".join(pieces)


def _common_length(left: bytes, right: bytes) -> int:
    """How many leading bytes *left* and *right* share (by halving, so in C-speed comparisons)."""
    low, high = 0, min(len(left), len(right))
    while low < high:
        middle = (low + high + 1) // 2
        if left[low:middle] == right[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _shared_lines(first: str, second: str) -> tuple[int, bool]:
    """(bytes of whole lines *second* shares with *first* from the start, whether that is all of *second*)."""
    one, two = _open(first), _open(second)
    offset = whole = 0  # bytes equal so far; of which whole lines
    try:
        while True:
            right = _read_fully(two, _BLOCK)
            if not right:
                return offset, True
            left = _read_fully(one, len(right))
            same = len(right) if left == right else _common_length(left, right)
            newline = right.rfind(b"\n", 0, same)
            if newline >= 0:
                whole = offset + newline + 1
            if same < len(right):
                return whole, False
            offset += same
    except (OSError, EOFError, zlib.error):
        return whole, False
    finally:
        _close(one)
        _close(two)


def _plan(inputs: Iterable[str], counts: Counts) -> list[tuple[str, int]]:
    """(file, bytes to leave out at its start) for each input to read; what another input repeats is left out.

    Two inputs that start with the same line hold the same log, or copies of
    it taken at different times: the ``x.jsonl`` and ``x.jsonl.gz`` of one
    log, a copy of a log that has grown since. The lines they share from
    the start are read from the first of them only, and an input all of
    whose lines another holds is not read at all.
    """
    plan: list[tuple[str, int]] = []
    first_lines: dict[bytes, str] = {}
    for name in expand_inputs(inputs):
        head = _head(name) if name != "-" else b""
        newline = head.find(b"\n")
        first = head[: newline + 1] if newline > 0 and head[:newline].strip() else b""
        earlier = first_lines.get(first) if first else None
        if earlier is None:
            if first:
                first_lines[first] = name
            plan.append((name, 0))
            continue
        skip, repeated = _shared_lines(earlier, name)
        counts.repeated += 1
        if repeated:
            counts.problems.append(f"{name}: the same lines as {earlier}: read once")
        else:
            counts.problems.append(f"{name}: starts with {skip} bytes of {earlier}'s lines: those read once")
            plan.append((name, skip))
    return plan


def _skip(stream: IO[bytes], count: int) -> None:
    """Leave out the first *count* bytes of *stream* (seeking where it can, else reading them in blocks)."""
    if count <= 0:
        return
    if isinstance(stream, io.FileIO):
        stream.seek(count, io.SEEK_CUR)
        return
    while count > 0:
        dropped = len(stream.read(min(count, _BLOCK)))
        if not dropped:
            return
        count -= dropped


# -- reading ----------------------------------------------------------------------------------


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


def _tell(stream: IO[bytes]) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0


def _note_file_problems(name: str, too_long: int, stream: IO[bytes], counts: Counts) -> None:
    """Say once per file what reading it left out or noticed: over-long lines, a file that shrank."""
    if too_long:
        plural = "s" if too_long > 1 else ""
        counts.problems.append(f"{name}: {too_long} line{plural} longer than {_mib(MAX_LINE_BYTES)} skipped")
    if isinstance(stream, io.FileIO) and not stream.closed:
        try:
            size = os.fstat(stream.fileno()).st_size
        except OSError:
            return
        if size < _tell(stream):
            counts.problems.append(f"{name}: it was cut short while being read (truncated or rotated?)")


@contextmanager
def _blocks_of(
    name: str, counts: Counts, *, skip: int = 0, stop: int | None = None, part: bool = False
) -> Iterator[_Reader]:
    """The blocks of one file, from the first line that starts at or after *skip* to the one holding *stop*.

    A file that cannot be opened has no blocks; one that turns out
    unreadable part way, or that is cut short while it is read, ends there.
    Each is noted in *counts*, as are over-long lines; a file opened is
    counted in ``files`` unless it is read as one *part* of several.
    """
    try:
        stream = _open(name)
    except OSError as exc:
        counts.problems.append(f"{name}: {exc.strerror or exc}")
        yield _Reader(io.BytesIO(), counts)
        return
    counts.files += 0 if part else 1
    too_long = counts.too_long
    try:
        if skip > 0:
            _skip(stream, skip - 1)  # the byte before: a newline when a line starts at skip
        limit = None if stop is None else stop - max(skip - 1, 0)
        yield _Reader(stream, counts, drop_first=skip > 0, limit=limit, origin=max(skip - 1, 0))
    except (OSError, EOFError, zlib.error) as exc:
        counts.problems.append(f"{name}: {exc}")
    finally:
        _note_file_problems(name, counts.too_long - too_long, stream, counts)
        _close(stream)


def _read_file(
    name: str,
    select: Selection,
    counts: Counts,
    *,
    count_all: bool,
    skip: int = 0,
    stop: int | None = None,
    part: bool = False,
) -> Iterator[bytes]:
    """The raw lines of one file that *select* takes, problems noted."""
    blocks = _selected(name, select, counts, count_all=count_all, skip=skip, stop=stop, part=part)
    for buffer, spans in blocks:
        data = buffer.data
        for start, finish in spans:
            yield bytes(data[start:finish])


def _raw_blocks(
    name: str, counts: Counts, *, skip: int = 0, stop: int | None = None, part: bool = False
) -> Iterator[tuple[Buffer, int]]:
    """The blocks of `_blocks_of`, as a generator (the file is closed when it is exhausted or closed)."""
    with _blocks_of(name, counts, skip=skip, stop=stop, part=part) as reader:
        yield from reader.blocks()


def _selected(
    name: str,
    select: Selection,
    counts: Counts,
    *,
    count_all: bool,
    skip: int,
    stop: int | None,
    part: bool,
) -> Iterator[tuple[Buffer, list[tuple[int, int]]]]:
    """Each block of one file and the spans of the lines *select* takes in it (the buffer is reused)."""
    for buffer, end in _raw_blocks(name, counts, skip=skip, stop=stop, part=part):
        yield buffer, select.chosen(buffer, end, counts, count_all)


def parse_spans(buffer: Buffer, spans: list[tuple[int, int]], counts: Counts) -> list[dict[str, Any]]:
    """The flat lines at *spans* of the block, parsed where they lie; the others counted as skipped.

    Most blocks hold only good lines: they are parsed in one comprehension,
    and only a block where one fails is gone through line by line.
    """
    view, flat = buffer.view, to_flat
    try:
        values = [orjson.loads(view[start:stop]) for start, stop in spans]
    except orjson.JSONDecodeError:
        data = buffer.data
        lines = []
        for start, stop in spans:
            line = parse(data[start:stop])
            if line is not None:
                lines.append(line)
            elif data[start:stop].strip():
                counts.skipped += 1
        counts.parsed += len(lines)
        return lines
    lines = [
        line
        for line in [flat(value) if type(value) is dict else None for value in values]
        if line is not None
    ]
    counts.parsed += len(lines)
    counts.skipped += len(values) - len(lines)
    return lines


def _flat_blocks(
    name: str,
    select: Selection,
    counts: Counts,
    *,
    count_all: bool,
    skip: int = 0,
    stop: int | None = None,
    part: bool = False,
) -> Iterator[list[dict[str, Any]]]:
    """The flat lines of one file that *select* takes, a list per block; the lines not agentlog's counted."""
    blocks = _raw_blocks(name, counts, skip=skip, stop=stop, part=part)
    return _parsed_blocks(blocks, select, counts, count_all)


def _parsed_blocks(
    blocks: Iterable[tuple[Buffer, int]], select: Selection, counts: Counts, count_all: bool
) -> Iterator[list[dict[str, Any]]]:
    """The flat lines *select* takes from each raw block, a list per block (none for a block without)."""
    for buffer, end in blocks:
        lines = parse_spans(buffer, select.chosen(buffer, end, counts, count_all), counts)
        if lines:
            yield lines


def _flat_lines(
    name: str,
    select: Selection,
    counts: Counts,
    *,
    count_all: bool,
    skip: int = 0,
    stop: int | None = None,
    part: bool = False,
) -> Iterator[dict[str, Any]]:
    """The lines of `_flat_blocks`, one by one."""
    for lines in _flat_blocks(name, select, counts, count_all=count_all, skip=skip, stop=stop, part=part):
        yield from lines


def read_lines(
    inputs: Iterable[str],
    counts: Counts,
    needles: tuple[bytes, ...] = (),
    *,
    count_all: bool = False,
    events: Iterable[str] = (),
) -> Iterator[dict[str, Any]]:
    """Yield flat lines from *inputs* (paths, or ``-`` for stdin) in file order.

    With neither *needles* nor *events* every line is parsed; with either or
    both, a line is parsed if it holds a needle or names one of the events.

    Args:
        inputs: Files, directories, ``.gz`` files, or ``-``.
        counts: Updated with how many lines were parsed and skipped, and with
            what went wrong (a file that cannot be opened is noted there, and
            the others are read).
        needles: Parse the lines containing one of these bytes.
        count_all: With needles or events, still count the lines that are not
            JSON objects as skipped (they are found without being parsed).
        events: Parse the lines whose event is one of these (``"event"`` in
            the json profile, ``"message"`` in ecs and datadog). Faster than
            the same names as needles: one pass over the bytes for them all.
    """
    select = Selection(needles, events)
    for name, skip in _plan(inputs, counts):
        yield from _flat_lines(name, select, counts, count_all=count_all, skip=skip)


# -- in parallel ------------------------------------------------------------------------------


def _can_fork() -> bool:
    """Whether parts of a file may be read in forked processes: on Linux, with no other thread running."""
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "fork")
        and threading.active_count() == 1
        and not os.environ.get("AGENTLOG_NO_PARALLEL")
    )


def _workers() -> int:
    """How many processes may share the reading: the CPUs this process may run on, at most 8."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(count, _MAX_WORKERS)) if _can_fork() else 1


def _parts(name: str, skip: int, workers: int) -> list[tuple[int, int | None]]:
    """Byte ranges [start, stop) of *name*, one per process (one range when not worth splitting)."""
    if workers < 2 or not _is_plain(name):
        return [(skip, None)]
    try:
        size = os.path.getsize(name)
    except OSError:
        return [(skip, None)]
    count = min(workers, (size - skip) // _PART)
    if count < 2:
        return [(skip, None)]
    step = (size - skip) // count
    bounds = [skip + index * step for index in range(count)]
    return [(bounds[index], bounds[index + 1] if index + 1 < count else None) for index in range(count)]


def _in_child(task: Callable[[], Any]) -> tuple[int, int]:
    """Start *task* in a forked process; (its pid, the pipe its pickled answer comes through)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its answer is what the tests check
        code = 0
        try:
            os.close(read_end)
            try:
                answer = pickle.dumps((True, task()), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:  # sent to the parent, which raises it
                answer = pickle.dumps((False, f"{type(exc).__name__}: {exc}"))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(answer)
        except BaseException:  # a child must never return into its parent's code
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    return pid, read_end


def _answer(pid: int, read_end: int) -> Any:
    """What a forked child sent; RuntimeError if it failed."""
    with os.fdopen(read_end, "rb") as pipe:
        answer = pipe.read()
    os.waitpid(pid, 0)
    if not answer:
        raise RuntimeError("a reading process ended without an answer")
    ok, value = pickle.loads(answer)  # noqa: S301 - our own child's answer, through our own pipe
    if not ok:
        raise RuntimeError(value)
    return value


def map_parts(
    inputs: Iterable[str],
    counts: Counts,
    needles: tuple[bytes, ...],
    consume: Callable[[Iterator[dict[str, Any]]], T],
    *,
    count_all: bool = True,
    events: Iterable[str] = (),
    workers: int | None = None,
) -> list[T]:
    """*consume* applied to the flat lines of each part of *inputs*; the answers in file order.

    A part is an input, or a range of the lines of a large plain file read in
    a forked process (on Linux, when no other thread runs), so that the
    cores share the work. Memory holds a block per process and what
    *consume* keeps; its answer must pickle, and the caller merges them.

    Args:
        inputs: Files, directories, ``.gz`` files, or ``-``.
        counts: Updated as `read_lines` updates it.
        needles: Parse the lines containing one of these bytes (see `read_lines`).
        consume: Reduces the flat lines of one part to an answer.
        count_all: Count the lines that are not JSON objects as skipped, chosen or not.
        events: Parse the lines naming one of these events (see `read_lines`).
        workers: At most this many processes (default: one per CPU, at most 8).
    """

    def batches_to_lines(batches: Iterator[list[dict[str, Any]]]) -> T:
        return consume(itertools.chain.from_iterable(batches))

    return map_batches(
        inputs, counts, needles, batches_to_lines, count_all=count_all, events=events, workers=workers
    )


def map_batches(
    inputs: Iterable[str],
    counts: Counts,
    needles: tuple[bytes, ...],
    consume: Callable[[Iterator[list[dict[str, Any]]]], T],
    *,
    count_all: bool = True,
    events: Iterable[str] = (),
    workers: int | None = None,
) -> list[T]:
    """`map_parts`, with *consume* given the flat lines a list per block (for consumers working in bulk)."""
    select = Selection(needles, events)

    def parsed(blocks: Iterator[tuple[Buffer, int]], own: Counts) -> T:
        return consume(_parsed_blocks(blocks, select, own, count_all))

    return map_blocks(inputs, counts, parsed, workers=workers)


def map_blocks(
    inputs: Iterable[str],
    counts: Counts,
    consume: Callable[[Iterator[tuple[Buffer, int]], Counts], T],
    *,
    workers: int | None = None,
) -> list[T]:
    """*consume* applied to the raw blocks of each part of *inputs* (split as by `map_parts`), in order.

    For a consumer that decides line by line what to parse: it is given
    ``(buffer, end)`` blocks (``buffer.data[:end]`` holds whole lines, valid
    until the next block) and the `Counts` of its part, into which it counts
    the lines it parses and skips.
    """
    workers = _workers() if workers is None else min(workers, _workers())
    answers: list[T] = []
    for name, skip in _plan(inputs, counts):
        parts = _parts(name, skip, workers)

        def part(start: int, stop: int | None, own: Counts, name: str = name, first: int = parts[0][0]) -> T:
            return consume(_raw_blocks(name, own, skip=start, stop=stop, part=start != first), own)

        children = []
        for start, stop in parts[1:]:

            def task(start: int = start, stop: int | None = stop) -> tuple[T, Counts]:
                own = Counts()
                return part(start, stop, own), own

            children.append(_in_child(task))
        answers.append(part(parts[0][0], parts[0][1], counts))
        for (start, stop), (pid, read_end) in zip(parts[1:], children, strict=True):
            try:
                answer, child_counts = _answer(pid, read_end)
            except (RuntimeError, OSError, EOFError, pickle.UnpicklingError):
                # The process failed (killed, out of memory …): read its part here instead.
                child_counts = Counts()
                answer = part(start, stop, child_counts)
            counts.add(child_counts)
            answers.append(answer)
    return answers


# -- one run ----------------------------------------------------------------------------------


def run_id_needle(prefix: str) -> bytes:
    """The bytes every line of a run whose ID starts with *prefix* contains, in every profile and spacing.

    A JSON string that starts with the prefix: ``"run_id":"…"`` in the
    ``json`` profile (or ``"run_id": "…"`` written with spaces), nested or
    dotted under ``agentlog`` in ecs and datadog. A child run's
    ``"parent_run_id":"…"`` matches too; so may another ID that happens to
    start the same way, which `collect_run` leaves out.
    """
    return b'"' + prefix.encode()


def _names_run(line: dict[str, Any], prefix: str) -> bool:
    """Whether *line* is of a run whose ID starts with *prefix*, or names such a run as its parent."""
    for key in (RUN_ID, PARENT_RUN_ID):
        value = line.get(key)
        if isinstance(value, str) and value.startswith(prefix):
            return True
    return False


def _trace_of(line: dict[str, Any]) -> str | None:
    trace_id = line.get(TRACE_ID)
    return trace_id if isinstance(trace_id, str) and trace_id else None


def _trace_needle(trace_id: str) -> bytes:
    """The bytes every line of a trace contains: its quoted ID."""
    return b'"' + trace_id.encode() + b'"'


def collect_run(
    inputs: Iterable[str], needle: bytes, counts: Counts, *, unique: bool = False
) -> list[dict[str, Any]]:
    """Every line of the runs *needle* (a `run_id_needle`) names, and every line of their trace.

    One pass over each file: the trace ID is learnt from the first line of
    the run (not a log message marked free-form), and from there each block
    is searched for both: the run's own lines are found by its ID whatever
    trace a line claims (a line spoofing another trace cannot hide the run),
    the child runs' by the trace. Files read before the trace ID was known
    are searched again for it alone. A line that holds the prefix in some
    other field only is left out. *unique* (the needle is a whole run ID) is
    accepted for callers of an earlier version and changes nothing.
    """
    prefix = needle.decode("utf-8", "replace").lstrip('"')
    lines: list[dict[str, Any]] = []
    trace_id: str | None = None
    before_trace: list[tuple[str, int, int | None]] = []  # (file, from, to): read without the trace
    for name, skip in _plan(inputs, counts):
        with _blocks_of(name, counts, skip=skip) as reader:
            for buffer, end in reader.blocks():
                if trace_id is None:
                    trace_id = _learn_trace(buffer, end, needle, prefix)
                    if trace_id is not None and reader.block_start > skip:
                        before_trace.append((name, skip, reader.block_start))
                if trace_id is None:
                    needles: tuple[bytes, ...] = (needle,)
                else:
                    needles = (needle, _trace_needle(trace_id))
                for start, stop in _line_spans(buffer, end, needles):
                    line = parse(buffer.data[start:stop])
                    if line is None:
                        counts.skipped += 1
                    elif _names_run(line, prefix) or (trace_id is not None and _trace_of(line) == trace_id):
                        counts.parsed += 1
                        lines.append(line)
        if trace_id is None:
            before_trace.append((name, skip, None))
    if trace_id is not None:
        for name, skip, until in before_trace:
            trace = Selection((_trace_needle(trace_id),))
            for raw in _read_file(name, trace, counts, count_all=False, skip=skip, stop=until, part=True):
                line = parse(raw)
                if line is not None and not _names_run(line, prefix) and _trace_of(line) == trace_id:
                    counts.parsed += 1
                    lines.append(line)
    return lines


def _learn_trace(buffer: Buffer, end: int, needle: bytes, prefix: str) -> str | None:
    """The trace ID of the first line in the block that is of the run (or a child of it)."""
    for start, stop in _line_spans(buffer, end, (needle,)):
        line = parse(buffer.data[start:stop])
        if line is not None and _names_run(line, prefix) and line.get(FREE_FORM) is not True:
            trace_id = _trace_of(line)
            if trace_id is not None:
                return trace_id
    return None


def first_match(inputs: Iterable[str], needle: bytes) -> tuple[str, int, dict[str, Any]] | None:
    """(file, offset, line) of the first agentlog line containing *needle*, searching file by file.

    The offset is in the file's (decompressed) bytes.
    """
    for name in expand_inputs(inputs):
        counts = Counts()
        with _blocks_of(name, counts) as reader:
            for buffer, end in reader.blocks():
                for start, stop in _line_spans(buffer, end, (needle,)):
                    line = parse(buffer.data[start:stop])
                    if line is not None:
                        return name, reader.block_start + start, line
    return None


def numbered_lines(inputs: Iterable[str]) -> Iterator[tuple[str, int, bytes | None]]:
    """(file, line number, raw line) for every line that is not blank, file by file.

    Line numbers count from 1 and include blank lines, so they match an
    editor's. A line longer than `MAX_LINE_BYTES` is not read: its raw line
    is None. A file that cannot be opened or read raises (`OSError`, naming
    the file), since a check that silently skipped a file would pass it.
    """
    for name in expand_inputs(inputs):
        stream = _open(name)
        counts = Counts()
        number = 0
        try:
            for buffer, end in _Reader(stream, counts).blocks():
                while counts.too_long > 0:  # dropped just before this block's first line
                    counts.too_long -= 1
                    number += 1
                    yield name, number, None
                data = buffer.data
                for start, stop in _every_span(buffer, end, blank=True):
                    number += 1
                    raw = bytes(data[start:stop])
                    if raw.strip():
                        yield name, number, raw
            while counts.too_long > 0:
                counts.too_long -= 1
                number += 1
                yield name, number, None
        except (OSError, EOFError, zlib.error) as exc:
            raise OSError(f"{name}: line {number + 1}: {exc}") from exc
        finally:
            _close(stream)


@contextmanager
def spooled_stdin(inputs: list[str]) -> Iterator[list[str]]:
    """*inputs* with ``-`` replaced by a temporary copy of stdin, deleted on exit.

    For readers that pass over their input more than once (`collect_run`
    searches files again once it knows the trace), which a pipe cannot do.
    """
    if "-" not in inputs:
        yield inputs
        return
    # delete=False: the file must outlive this handle, to be opened again by name; removed below.
    spool = tempfile.NamedTemporaryFile(  # noqa: SIM115
        prefix="agentlog-stdin-", suffix=".jsonl", delete=False
    )
    with spool:
        shutil.copyfileobj(sys.stdin.buffer, spool)
    try:
        yield [spool.name if name == "-" else name for name in inputs]
    finally:
        os.unlink(spool.name)
