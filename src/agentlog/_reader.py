"""Reading agentlog lines back: files, directories, gzip, stdin; any profile.

Log files are large, so lines are filtered on their raw bytes before any is
parsed: a caller names the byte strings a wanted line must contain, the file
is read in large blocks, and only the lines around a match are decoded. A line
that is not JSON, or not an agentlog line in any profile, is skipped and
counted, never fatal.
"""

from __future__ import annotations

import gzip
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from ._formats import to_flat

__all__ = ["Counts", "expand_inputs", "read_lines"]

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
    inputs: Iterable[str], counts: Counts, needles: tuple[bytes, ...] = (), *, count_all: bool = False
) -> Iterator[dict[str, Any]]:
    """Yield flat lines from *inputs* (paths, or ``-`` for stdin) in file order.

    Args:
        inputs: Files, directories, ``.gz`` files, or ``-``.
        counts: Updated with how many lines were parsed and skipped.
        needles: When given, only lines containing one of these bytes are parsed.
        count_all: With needles, still look at every line, so that lines that
            are not JSON objects are counted as skipped (slower than jumping
            from needle to needle, which is what `show` does).
    """
    for name in expand_inputs(inputs):
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
