"""Figures across many runs: per tool, per model, stop reasons, slowest and repeated tool calls."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from agentlog._vocabulary import (
    ERROR,
    EVENT,
    LLM_RESULT,
    RUN_FINISHED,
    RUN_ID,
    TOOL_CALL,
    TOOL_CALL_ID,
    TOOL_RESULT,
)

from .values import count, number

__all__ = ["STATS_NEEDLES", "compute_stats"]

STATS_NEEDLES = tuple(event.encode() for event in (TOOL_RESULT, TOOL_CALL, LLM_RESULT, RUN_FINISHED))
"""What a line must contain for `compute_stats` to need it (its reader's needles)."""


def _percentile(values: list[float], fraction: float) -> float | None:
    """The value at *fraction* of the way through the sorted values (nearest rank), to 3 places."""
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return round(ordered[index], 3)


def compute_stats(lines: Iterable[dict[str, Any]], top: int = 10) -> dict[str, Any]:
    """Per tool, per model, stop reasons, slowest and most repeated tool calls.

    Args:
        lines: Flat lines; only ``tool_call``, ``tool_result``, ``llm_result``
            and ``run_finished`` lines are looked at.
        top: How many of the slowest and of the most repeated tool calls to list.
    """
    tool_latency: dict[str, list[float]] = defaultdict(list)
    tool_calls: Counter[str] = Counter()
    tool_errors: Counter[str] = Counter()
    model_calls: Counter[str] = Counter()
    model_tokens: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    model_latency: dict[str, list[float]] = defaultdict(list)
    stop_reasons: Counter[str] = Counter()
    slowest: list[tuple[float, dict[str, Any]]] = []
    repeats: Counter[tuple[str, str, str]] = Counter()
    for line in lines:
        event = line.get(EVENT)
        if event == TOOL_RESULT:
            tool = str(line.get("tool"))
            tool_calls[tool] += 1
            if line.get("status") == ERROR:
                tool_errors[tool] += 1
            latency = number(line.get("latency_ms"))
            if latency is not None:
                tool_latency[tool].append(latency)
                slowest.append((latency, line))
                if len(slowest) > 4 * top:  # trimmed now and then, so memory stays small on big files
                    slowest = sorted(slowest, key=lambda item: -item[0])[:top]
        elif event == TOOL_CALL and isinstance(line.get("args_hash"), str):
            repeats[(str(line.get(RUN_ID)), str(line.get("tool")), line["args_hash"])] += 1
        elif event == LLM_RESULT:
            model = str(line.get("model"))
            model_calls[model] += 1
            model_tokens[model][0] += count(line.get("input_tokens"))
            model_tokens[model][1] += count(line.get("output_tokens"))
            latency = number(line.get("latency_ms"))
            if latency is not None:
                model_latency[model].append(latency)
        elif event == RUN_FINISHED:
            stop_reasons[str(line.get("stop_reason"))] += 1
    return {
        "tools": [
            {
                "tool": tool,
                "calls": calls,
                "errors": tool_errors[tool],
                "error_rate": round(tool_errors[tool] / calls, 4),
                "p50_ms": _percentile(tool_latency[tool], 0.5),
                "p95_ms": _percentile(tool_latency[tool], 0.95),
                "p99_ms": _percentile(tool_latency[tool], 0.99),
            }
            for tool, calls in tool_calls.most_common()
        ],
        "models": [
            {
                "model": model,
                "calls": calls,
                "input_tokens": model_tokens[model][0],
                "output_tokens": model_tokens[model][1],
                "p50_ms": _percentile(model_latency[model], 0.5),
                "p95_ms": _percentile(model_latency[model], 0.95),
            }
            for model, calls in model_calls.most_common()
        ],
        "stop_reasons": dict(stop_reasons.most_common()),
        "slowest_tool_calls": [
            {
                "tool": line.get("tool"),
                "latency_ms": latency,
                "run_id": line.get(RUN_ID),
                "tool_call_id": line.get(TOOL_CALL_ID),
                "status": line.get("status"),
            }
            for latency, line in sorted(slowest, key=lambda item: -item[0])[:top]
        ],
        "repeated_tool_calls": [
            {"run_id": run_id, "tool": tool, "args_hash": args_hash, "count": times}
            for (run_id, tool, args_hash), times in repeats.most_common(top)
            if times > 1
        ],
    }
