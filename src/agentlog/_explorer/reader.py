"""Reading agentlog lines back: files, directories, gzip, stdin; any profile.

Log files are large, so lines are filtered on their raw bytes before any is
parsed: a caller names the byte strings a wanted line must contain, the file
is read in large blocks, and only the lines around a match are decoded. A line
that is not JSON, or not an agentlog line in any profile, is skipped and
counted, never fatal.

Everything the other modules need from a file comes through the public
functions here: `read_lines` and `collect_run` for flat lines, `numbered_lines`
for the raw lines validation checks one by one.
"""

from __future__ import annotations

import gzip
import mmap
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from agentlog._vocabulary import RUN_ID, TRACE_ID

from .profiles import to_flat

__all__ = [
    "Counts",
    "collect_run",
    "expand_inputs",
    "first_match",
    "numbered_lines",
    "parse",
    "read_lines",
    "run_id_needle",
    "spooled_stdin",
]

_BLOCK = 4 * 1024 * 1024
_SUFFIXES = (".jsonl", ".ndjson", ".json", ".log", ".gz")


@dataclass
class Counts:
    """What reading found: lines parsed, and lines skipped."""

    parsed: int = 0
    skipped: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)


def expand_inputs(inputs: Iterable[str]) -> list[str]:
    """Files as given; directories walked for ``.jsonl``/``.ndjson``/``.json``/``.log``/``.gz``."""
    paths: list[str] = []
    for name in inputs:
        if name != "-" and os.path.isdir(name):
            for found in sorted(Path(name).rglob("*")):
                if found.is_file() and found.name.endswith(_SUFFIXES):
                    paths.append(str(found))
        else:
            paths.append(name)
    return paths


def _open(name: str) -> IO[bytes]:
    """*name* opened for reading bytes: stdin for ``-``, decompressed if it starts as gzip does."""
    if name == "-":
        return sys.stdin.buffer
    with open(name, "rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    if compressed:
        return gzip.open(name, "rb")  # type: ignore[return-value] # closed by the caller
    return open(name, "rb")


def _raw_lines(stream: IO[bytes], needles: tuple[bytes, ...]) -> Iterator[bytes]:
    """Yield raw lines, only those containing a needle when needles are given."""
    rest = b""
    while True:
        block = stream.read(_BLOCK)
        if not block:
            break
        block = rest + block
        cut = block.rfind(b"\n")
        if cut < 0:
            rest = block
            continue
        rest = block[cut + 1 :]
        yield from _matching(block[: cut + 1], needles)
    if rest:
        yield from _matching(rest, needles)


def _matching(block: bytes, needles: tuple[bytes, ...]) -> Iterator[bytes]:
    """The whole lines of *block* that contain a needle (every line when there are none), once each."""
    if not needles:
        yield from block.splitlines()
        return
    starts: set[int] = set()
    for needle in needles:
        position = block.find(needle)
        while position >= 0:
            start = block.rfind(b"\n", 0, position) + 1
            starts.add(start)
            end = block.find(b"\n", position)
            position = block.find(needle, end if end >= 0 else len(block))
    for start in sorted(starts):
        end = block.find(b"\n", start)
        yield block[start : end if end >= 0 else len(block)]


def _mapped(name: str) -> bool:
    """Whether *name* is a plain (not compressed) regular file, searched in place with mmap."""
    if name == "-" or not os.path.isfile(name):
        return False
    with open(name, "rb") as probe:
        return probe.read(2) != b"\x1f\x8b" and os.fstat(probe.fileno()).st_size > 0


_WINDOW = 16 * 1024 * 1024


def _mapped_lines(
    name: str,
    needles: tuple[bytes, ...],
    first_only: bool = False,
    start: int = 0,
    trace_of: Callable[[dict[str, Any]], bytes | None] | None = None,
    trace_only: bool = False,
) -> Iterator[tuple[int, bytes]]:
    """(offset, line) for each line of a file that contains a needle, from byte *start* on.

    The file is memory-mapped and searched in place, window by window; pages
    already searched are released, so memory stays small whatever the file's
    size.
    """
    page = mmap.PAGESIZE
    with open(name, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        size = len(mapped)
        spans: set[tuple[int, int]] = set()
        window_start = start
        while window_start < size:
            window_end = min(window_start + _WINDOW, size)
            for needle in needles:
                # A match may begin before window_end and run past it.
                position = mapped.find(needle, window_start, min(size, window_end + len(needle) - 1))
                while position >= 0:
                    line_start = mapped.rfind(b"\n", 0, position) + 1
                    line_end = mapped.find(b"\n", position)
                    line_end = size if line_end < 0 else line_end
                    spans.add((line_start, line_end))
                    if first_only:
                        break
                    if trace_of is not None:
                        # The run's trace, learnt from its first line: search for it too, from here on.
                        first = parse(mapped[line_start:line_end])
                        extra = trace_of(first) if first is not None else None
                        if extra is not None:
                            needles = (extra,) if trace_only else (*needles, extra)
                            trace_of = None
                            window_end = window_start  # search this window again with both
                            break
                    position = mapped.find(needle, position + 1, min(size, window_end + len(needle) - 1))
                if window_end == window_start:
                    break
            if window_end == window_start:
                continue
            if first_only and spans:
                break
            released = (window_start // page) * page
            if window_end - released >= page and hasattr(mapped, "madvise"):
                mapped.madvise(mmap.MADV_DONTNEED, released, ((window_end - released) // page) * page)
            window_start = window_end
        for line_start, line_end in sorted(spans):
            yield line_start, mapped[line_start:line_end]


def collect_run(
    inputs: Iterable[str], needle: bytes, counts: Counts, *, unique: bool = False
) -> list[dict[str, Any]]:
    """Every line naming *needle* (a run ID or prefix) and every line of its run's trace.

    One pass over each mapped file: the trace ID is learnt from the first line
    naming the run, and from there each window is searched for both — or, when
    *needle* is a whole run ID (*unique*), for the trace alone, since every
    later line of the run carries it. Files read before the trace ID was known
    are searched again for it alone.
    """
    lines: list[dict[str, Any]] = []
    trace: bytes | None = None
    searched_without_trace: list[str] = []
    for name in expand_inputs(inputs):
        if not _mapped(name):
            searched_without_trace.append(name)
            lines.extend(read_lines([name], counts, (needle,)))
            continue
        counts.files += 1
        needles = (needle,) if trace is None else (trace,) if unique else (needle, trace)
        learn = _trace_needle if trace is None else None
        for _, raw in _mapped_lines(name, needles, trace_of=learn, trace_only=unique):
            line = parse(raw)
            if line is None:
                counts.skipped += 1
                continue
            counts.parsed += 1
            lines.append(line)
            if trace is None and _trace_needle(line) is not None:
                trace = _trace_needle(line)
        if trace is None:
            searched_without_trace.append(name)
    if trace is not None:
        lines.extend(read_lines(searched_without_trace, counts, (trace,)))
    return lines


def _trace_needle(line: dict[str, Any]) -> bytes | None:
    """The bytes every line of *line*'s trace contains: its quoted trace ID."""
    trace_id = line.get(TRACE_ID)
    return f'"{trace_id}"'.encode() if isinstance(trace_id, str) and trace_id else None


def first_match(inputs: Iterable[str], needle: bytes) -> tuple[str, int, dict[str, Any]] | None:
    """(file, offset, line) of the first agentlog line containing *needle*, searching file by file."""
    for name in expand_inputs(inputs):
        if _mapped(name):
            for offset, raw in _mapped_lines(name, (needle,), first_only=True):
                line = parse(raw)
                if line is not None:
                    return name, offset, line
            continue
        for line in read_lines([name], Counts(), (needle,)):
            return name, 0, line
    return None


def parse(raw: bytes) -> dict[str, Any] | None:
    """Parse one raw line into the flat form; None if it is not an agentlog line."""
    raw = raw.strip()
    if not raw or raw[:1] != b"{":
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return to_flat(value) if isinstance(value, dict) else None


def _every_line(stream: IO[bytes], needles: tuple[bytes, ...], counts: Counts) -> Iterator[bytes]:
    """Every line is looked at: malformed ones counted, those with a needle yielded."""
    for raw in _raw_lines(stream, ()):
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped[:1] != b"{" or stripped[-1:] != b"}":
            counts.skipped += 1
        elif any(needle in stripped for needle in needles):
            yield stripped


def read_lines(
    inputs: Iterable[str],
    counts: Counts,
    needles: tuple[bytes, ...] = (),
    *,
    count_all: bool = False,
    starts: dict[str, int] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield flat lines from *inputs* (paths, or ``-`` for stdin) in file order.

    Args:
        inputs: Files, directories, ``.gz`` files, or ``-``.
        counts: Updated with how many lines were parsed and skipped.
        needles: When given, only lines containing one of these bytes are parsed.
        count_all: With needles, still look at every line, so that lines that
            are not JSON objects are counted as skipped (slower than jumping
            from needle to needle, which is what `show` does).
        starts: For some files, the byte offset to start searching at.
    """
    for name in expand_inputs(inputs):
        if needles and not count_all and _mapped(name):
            counts.files += 1
            for _, raw in _mapped_lines(name, needles, start=(starts or {}).get(name, 0)):
                line = parse(raw)
                if line is None:
                    counts.skipped += 1
                    continue
                counts.parsed += 1
                yield line
            continue
        try:
            stream = _open(name)
        except OSError as exc:
            counts.problems.append(f"{name}: {exc.strerror or exc}")
            continue
        counts.files += 1
        try:
            raws = (
                _every_line(stream, needles, counts) if needles and count_all else _raw_lines(stream, needles)
            )
            for raw in raws:
                line = parse(raw)
                if line is None:
                    if raw.strip():
                        counts.skipped += 1
                    continue
                counts.parsed += 1
                yield line
        except (OSError, EOFError) as exc:
            counts.problems.append(f"{name}: {exc}")
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()


def numbered_lines(inputs: Iterable[str]) -> Iterator[tuple[str, int, bytes]]:
    """(file, line number, raw line) for every line that is not blank, file by file.

    Line numbers count from 1 and include blank lines, so they match an
    editor's. A file that cannot be opened or read raises (`OSError`), since
    a check that silently skipped a file would pass it.
    """
    for name in expand_inputs(inputs):
        stream = _open(name)
        try:
            for number, raw in enumerate(_raw_lines(stream, ()), start=1):
                if raw.strip():
                    yield name, number, raw
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()


def run_id_needle(prefix: str) -> bytes:
    """The bytes every line of a run whose ID starts with *prefix* contains, in every profile.

    The ``json`` profile writes ``"run_id":"…"``, ecs and datadog
    ``"agentlog.run_id":"…"`` or a nested ``"run_id":"…"``. A child run's
    ``"parent_run_id":"…"`` matches too.
    """
    return f'{RUN_ID}":"'.encode() + prefix.encode()


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
