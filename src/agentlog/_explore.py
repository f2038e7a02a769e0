"""Reading agentlog lines back: runs, and where a run failed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["RunSummary", "describe_failure", "load_lines", "summarize_runs"]


def load_lines(paths: Iterable[str]) -> tuple[list[dict[str, Any]], int]:
    """Read JSON lines from *paths*; return (lines, count of lines skipped).

    A line that is not a JSON object with an ``event`` field is skipped and
    counted, never fatal.
    """
    lines: list[dict[str, Any]] = []
    skipped = 0
    for path in paths:
        with open(path, "rb") as handle:
            for raw in handle:
                if not raw.strip():
                    continue
                try:
                    value = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    skipped += 1
                    continue
                if isinstance(value, dict) and "event" in value:
                    lines.append(value)
                else:
                    skipped += 1
    lines.sort(key=lambda line: str(line.get("timestamp", "")))
    return lines, skipped


@dataclass
class RunSummary:
    """One run as its ``run_started`` and ``run_finished`` lines describe it."""

    run_id: str
    started: str | None = None
    user_id: str | None = None
    parent_run_id: str | None = None
    status: str | None = None
    stop_reason: str | None = None
    total_steps: int = 0
    tool_calls: int = 0
    llm_calls: int = 0
    errors: int = 0
    total_latency_ms: float | None = None


def summarize_runs(lines: Iterable[dict[str, Any]]) -> list[RunSummary]:
    """Return one summary per run, in order of first appearance."""
    runs: dict[str, RunSummary] = {}
    for line in lines:
        run_id = line.get("run_id")
        if not isinstance(run_id, str):
            continue
        summary = runs.setdefault(run_id, RunSummary(run_id))
        event = line.get("event")
        if event == "run_started":
            summary.started = line.get("timestamp")
            summary.user_id = line.get("user_id")
            summary.parent_run_id = line.get("parent_run_id")
        elif event == "run_finished":
            summary.status = line.get("status")
            summary.stop_reason = line.get("stop_reason")
            summary.total_steps = int(line.get("total_steps") or 0)
            summary.tool_calls = int(line.get("tool_calls") or 0)
            summary.llm_calls = int(line.get("llm_calls") or 0)
            summary.errors = int(line.get("errors") or 0)
            summary.total_latency_ms = line.get("total_latency_ms")
    return list(runs.values())


def describe_failure(lines: Iterable[dict[str, Any]], run_id: str) -> str:
    """Say, in a few lines of text, where and why run *run_id* failed."""
    own = [line for line in lines if line.get("run_id") == run_id]
    finished = next((line for line in own if line.get("event") == "run_finished"), {})
    started = next((line for line in own if line.get("event") == "run_started"), {})
    text = [f"Failing run {run_id} (user {started.get('user_id') or '-'})"]
    failed_tool = next(
        (line for line in own if line.get("event") == "tool_result" and line.get("status") == "error"),
        None,
    )
    failed_step = next(
        (line for line in own if line.get("event") == "step_finished" and line.get("status") == "error"),
        None,
    )
    if failed_tool is not None:
        text.append(
            f"  step {failed_tool.get('step_id')}: tool {failed_tool.get('tool')} "
            f"[{failed_tool.get('tool_call_id')}] failed after {failed_tool.get('latency_ms')} ms"
        )
        text.append(f"  {failed_tool.get('error_class')}: {failed_tool.get('error_message')}")
    elif failed_step is not None:
        text.append(f"  step {failed_step.get('step_id')} ({failed_step.get('step_type')}) failed")
        text.append(f"  {failed_step.get('error_class')}: {failed_step.get('error_message')}")
    elif finished.get("error_class"):
        text.append(f"  {finished.get('error_class')}: {finished.get('error_message')}")
    warnings = [line for line in own if line.get("level") in ("warning", "error") and "logger" in line]
    for line in warnings:
        text.append(f"  log {line.get('level')} from {line.get('logger')}: {line.get('event')}")
    text.append(f"  stop_reason: {finished.get('stop_reason', 'unknown (no run_finished line)')}")
    return "\n".join(text)
