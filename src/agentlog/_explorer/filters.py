"""Choosing runs: the filters of ``runs`` and ``tail``, how runs are sorted, the values a user types.

A filter is decided on a run's summary (`runs.RunSummary`, or anything
with its attributes: this module comes before `runs`). Some filters
are known as soon as the run starts (user, session, request, service,
metadata, start time): `RunFilter.matches_start` decides those alone, for a
follower that prints a failure before its run has finished.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import orjson

from .times import epoch

__all__ = ["OUTCOMES", "SORTS", "RunFilter", "meta_text", "parse_duration", "parse_meta", "sort_runs"]

OUTCOMES = ("ok", "error", "unfinished")
"""What ``--status`` takes: how a run ended, or that it has not (no ``run_finished`` line)."""
SORTS = ("start", "duration", "tokens", "errors", "cost")
"""What ``--sort`` takes; newest first for ``start``, most first for the others."""

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h|d)?\s*$")
_MS = {"ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0, "d": 86_400_000.0}


class RunSummary(Protocol):
    """What the filters read of a run (`runs.RunSummary` has it all)."""

    @property
    def started(self) -> str | None:
        """The run's start time (RFC 3339)."""

    @property
    def user_id(self) -> str | None:
        """Who the run was for."""

    @property
    def service(self) -> str | None:
        """The service that ran it."""

    @property
    def session_id(self) -> str | None:
        """The conversation it belongs to."""

    @property
    def request_id(self) -> str | None:
        """The inbound request it served."""

    @property
    def metadata(self) -> dict[str, Any]:
        """Its metadata."""

    @property
    def status(self) -> str | None:
        """How it ended (None if it has not)."""

    @property
    def outcome(self) -> str:
        """``ok``, ``error`` or ``unfinished``."""

    @property
    def errors(self) -> int:
        """Failed calls and steps."""

    @property
    def tools(self) -> set[str]:
        """The tools it called."""

    @property
    def error_classes(self) -> set[str]:
        """The exception classes it failed with."""

    @property
    def duration_ms(self) -> float | None:
        """How long it took."""

    @property
    def tokens(self) -> int:
        """Input and output tokens together."""

    @property
    def cost_usd(self) -> float | None:
        """What it cost, when known."""


_Run = TypeVar("_Run", bound=RunSummary)


def parse_duration(text: str) -> float | None:
    """Milliseconds for a duration a user typed (``500ms``, ``2s``, ``1.5m``, ``1h``; bare: seconds)."""
    match = _DURATION.match(text)
    if match is None:
        return None
    return float(match.group(1)) * _MS[match.group(2) or "s"]


def parse_meta(text: str) -> tuple[str, str] | None:
    """``KEY=VALUE`` as (key, value); None without an ``=`` or with an empty key."""
    key, equals, value = text.partition("=")
    key = key.strip()
    return (key, value) if equals and key else None


def meta_text(value: Any) -> str | None:
    """A metadata value as ``--meta`` compares it: text as it is, numbers, booleans and null as JSON.

    Objects and arrays are never equal to what a user types (None).
    """
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, int, float)):
        try:
            return orjson.dumps(value).decode()
        except orjson.JSONEncodeError:  # an int beyond 64 bits
            return str(value)
    return None


@dataclass(frozen=True)
class RunFilter:
    """Every condition a run must meet; None (or empty) means any.

    Attributes:
        status: ``ok`` or ``error`` (as the run ended), or ``unfinished``.
        failed: The run failed or recovered from a failure: status error, or errors ≥ 1.
        since: Started at or after (seconds since the epoch).
        until: Started before.
        user: The run's ``user_id``.
        service: The run's service.
        session: The run's ``session_id``.
        request: The run's ``request_id``.
        tool: A tool the run called.
        error_class: An exception class a call, a step or the run failed with.
        meta: (key, value) pairs the run's metadata must all have.
        min_duration_ms: The run took at least this long (an unfinished one: as far as its lines go).
    """

    status: str | None = None
    failed: bool = False
    since: float | None = None
    until: float | None = None
    user: str | None = None
    service: str | None = None
    session: str | None = None
    request: str | None = None
    tool: str | None = None
    error_class: str | None = None
    meta: tuple[tuple[str, str], ...] = ()
    min_duration_ms: float | None = None

    def matches_start(self, run: RunSummary) -> bool:
        """Whether what is known when *run* starts (who, where, when, metadata) passes."""
        if self.user is not None and run.user_id != self.user:
            return False
        if self.service is not None and run.service != self.service:
            return False
        if self.session is not None and run.session_id != self.session:
            return False
        if self.request is not None and run.request_id != self.request:
            return False
        for key, value in self.meta:
            if key not in run.metadata or meta_text(run.metadata[key]) != value:
                return False
        if self.since is not None or self.until is not None:
            started = epoch(run.started)
            if started is None:
                return False
            if self.since is not None and started < self.since:
                return False
            if self.until is not None and started >= self.until:
                return False
        return True

    def matches(self, run: RunSummary) -> bool:
        """Whether *run* passes every filter."""
        if self.status is not None and run.outcome != self.status:
            return False
        if self.failed and not (run.status == "error" or run.errors >= 1):
            return False
        if self.tool is not None and self.tool not in run.tools:
            return False
        if self.error_class is not None and self.error_class not in run.error_classes:
            return False
        if self.min_duration_ms is not None:
            duration = run.duration_ms
            if duration is None or duration < self.min_duration_ms:
                return False
        return self.matches_start(run)


def sort_runs(runs: Sequence[_Run], by: str = "start") -> list[_Run]:
    """*runs* newest first (``start``), or longest, most tokens, most errors, costliest first.

    Ties stay newest first.

    A run with no start time (or, sorting by duration or cost, none) comes last.
    """
    ordered = sorted(runs, key=lambda run: epoch(run.started) or 0.0, reverse=True)
    if by == "duration":
        ordered.sort(key=lambda run: -1.0 if run.duration_ms is None else run.duration_ms, reverse=True)
    elif by == "tokens":
        ordered.sort(key=lambda run: run.tokens, reverse=True)
    elif by == "errors":
        ordered.sort(key=lambda run: run.errors, reverse=True)
    elif by == "cost":
        ordered.sort(key=lambda run: -1.0 if run.cost_usd is None else run.cost_usd, reverse=True)
    elif by != "start":
        raise ValueError(f"cannot sort runs by {by!r}; use one of {', '.join(SORTS)}")
    return ordered
