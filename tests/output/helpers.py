"""Running agentlog in a child interpreter with a time limit, and reading back what it wrote."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from typing import Any

import orjson

TIMEOUT = 10.0
"""Seconds a child may take: a deadlock fails the test instead of hanging it."""


def run_python(
    code: str,
    *args: str,
    pass_fds: tuple[int, ...] = (),
    stdout: int | None = subprocess.PIPE,
    stdin: int | None = subprocess.DEVNULL,
    timeout: float = TIMEOUT,
) -> subprocess.CompletedProcess[bytes]:
    """Run *code* in a fresh interpreter; fail the test if it does not finish within *timeout*."""
    try:
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            stdout=stdout,
            stderr=subprocess.PIPE,
            stdin=stdin,
            pass_fds=pass_fds,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:  # pragma: no cover - the regression this guards
        raise AssertionError(f"child hung (deadlock?); stderr: {expired.stderr!r}") from None


class PipeReader:
    """Reads the read end of a pipe on a thread until every writer has closed it."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.chunks: list[bytes] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while chunk := os.read(self.fd, 1 << 20):
            self.chunks.append(chunk)

    def data(self, timeout: float = TIMEOUT) -> bytes:
        """Everything read, once every writer has closed the pipe."""
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "a writer still holds the pipe open"
        os.close(self.fd)
        return b"".join(self.chunks)


def parse_lines(data: bytes) -> list[dict[str, Any]]:
    """Every line of *data* as JSON; a torn or glued line fails with the line's start."""
    assert data.endswith(b"\n") or not data, f"output ends mid-line: {data[-80:]!r}"
    parsed = []
    for line in data.splitlines():
        try:
            parsed.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            raise AssertionError(f"not a whole line ({len(line)} bytes): {line[:120]!r}") from None
    return parsed


def problems_from(stderr: bytes) -> dict[str, int]:
    """The child's `agentlog.problems()`, printed by it as the last line of stderr."""
    last = stderr.strip().splitlines()[-1]
    result: dict[str, int] = orjson.loads(last)
    return result
