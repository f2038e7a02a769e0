"""The runs in a set of lines: one summary per run, as its first and last lines describe it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agentlog._vocabulary import (
    EVENT,
    PARENT_RUN_ID,
    RUN_FINISHED,
    RUN_ID,
    RUN_STARTED,
    TIMESTAMP,
    TOOL_CALL,
    TOOL_RESULT,
    USER_ID,
)

from .times import epoch
from .values import count

__all__ = ["RUN_NEEDLES", "TOOL_NEEDLES", "RunSummary", "matching_run_ids", "select_runs", "summarize_runs"]

RUN_NEEDLES = (RUN_STARTED.encode(), RUN_FINISHED.encode())
"""What a line must contain for `summarize_runs` to need it (its reader's needles)."""
TOOL_NEEDLES = (TOOL_CALL.encode(),)
"""Also needed when runs are picked by the tools they called."""


@dataclass
class RunSummary:
    """One run as its ``run_started`` and ``run_finished`` lines describe it."""

    run_id: str
    started: str | None = None
    finished: str | None = None
    user_id: str | None = None
    service: str | None = None
    parent_run_id: str | None = None
    status: str | None = None
    stop_reason: str | None = None
    total_steps: int = 0
    tool_calls: int = 0
    llm_calls: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_latency_ms: float | None = None
    tools: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view (``tools`` as a sorted list)."""
        view = dict(self.__dict__)
        view["short_id"] = self.run_id[:8]
        view["tools"] = sorted(self.tools)
        return view


def summarize_runs(lines: Iterable[dict[str, Any]]) -> list[RunSummary]:
    """One summary per run, in order of first appearance.

    A run with no ``run_started`` line is still listed, started at its first
    line's timestamp; one with no ``run_finished`` line has no status.
    """
    runs: dict[str, RunSummary] = {}
    for line in lines:
        run_id = line.get(RUN_ID)
        if not isinstance(run_id, str):
            continue
        summary = runs.get(run_id)
        if summary is None:
            summary = runs[run_id] = RunSummary(run_id)
        event = line.get(EVENT)
        if event == RUN_STARTED:
            summary.started = line.get(TIMESTAMP)
            summary.user_id = line.get(USER_ID)
            summary.service = line.get("service")
            summary.parent_run_id = line.get(PARENT_RUN_ID)
        elif event == RUN_FINISHED:
            summary.finished = line.get(TIMESTAMP)
            summary.status = line.get("status")
            summary.stop_reason = line.get("stop_reason")
            summary.total_steps = count(line.get("total_steps"))
            summary.tool_calls = count(line.get("tool_calls"))
            summary.llm_calls = count(line.get("llm_calls"))
            summary.errors = count(line.get("errors"))
            summary.input_tokens = count(line.get("input_tokens"))
            summary.output_tokens = count(line.get("output_tokens"))
            latency = line.get("total_latency_ms")
            # Kept as logged (an int stays an int), since it is printed back as JSON.
            summary.total_latency_ms = latency if type(latency) in (int, float) else None
            summary.service = summary.service or line.get("service")
        elif event in (TOOL_CALL, TOOL_RESULT) and isinstance(line.get("tool"), str):
            summary.tools.add(line["tool"])
        if summary.started is None:
            summary.started = line.get(TIMESTAMP)
    return list(runs.values())


def select_runs(
    runs: Iterable[RunSummary],
    *,
    status: str | None = None,
    since: float | None = None,
    until: float | None = None,
    user: str | None = None,
    service: str | None = None,
    tool: str | None = None,
    limit: int = 0,
) -> list[RunSummary]:
    """The runs that pass every filter given, newest first, at most *limit* of them (0: all).

    Args:
        runs: The summaries to choose from.
        status: Only runs that ended with this status.
        since: Only runs started at or after this time (seconds since the epoch).
        until: Only runs started before this time.
        user: Only this user's runs.
        service: Only this service's runs.
        tool: Only runs that called this tool.
        limit: At most this many runs; 0 for no limit.
    """
    selected = []
    for run in runs:
        started = epoch(run.started)
        if status and run.status != status:
            continue
        if since is not None and (started is None or started < since):
            continue
        if until is not None and (started is None or started >= until):
            continue
        if user and run.user_id != user:
            continue
        if service and run.service != service:
            continue
        if tool and tool not in run.tools:
            continue
        selected.append(run)
    selected.sort(key=lambda run: epoch(run.started) or 0.0, reverse=True)
    return selected[:limit] if limit else selected


def matching_run_ids(lines: Iterable[dict[str, Any]], prefix: str) -> list[str]:
    """The distinct run IDs among *lines* that start with *prefix*, sorted."""
    return sorted({str(line[RUN_ID]) for line in lines if str(line.get(RUN_ID, "")).startswith(prefix)})
