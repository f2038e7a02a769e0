"""A log whose every figure is known: 40 runs over 2 users and 2 prompt versions.

Run ``i`` (0 … 39) starts at 03:00 plus ``i`` minutes on 2026-11-22, for
user ``u-1`` (even ``i``) or ``u-2`` (odd), with ``prompt_version`` ``v1``
(``i`` < 20) or ``v2``. Each calls ``search`` twice (the same ``args_hash``
twice when ``i`` is a multiple of 4: a repeated call) and model ``m-a`` once
(0.1 USD, 100 tokens in, 10 out); when ``i`` is a multiple of 5 also model
``m-b`` once (50 in, 5 out, not priced). Runs 9, 19, 29 and 39 also call
``fetch``, which fails, and stop ``tool_error``; run 37 never finishes; the
others stop ``completed``. A finished run took ``(i + 1) * 100`` ms.

The figures this makes are worked out in the tests that use it, by hand.
"""

from __future__ import annotations

from typing import Any

FAILING = frozenset({9, 19, 29, 39})
UNFINISHED = 37
RUNS = 40


def run_id(index: int) -> str:
    """The run ID of run *index*: a UUID whose first group is the index."""
    return f"{index:08x}-0000-4000-8000-000000000000"


def stamp(minute: int, second: int = 0) -> str:
    """An RFC 3339 time on the day of the log."""
    return f"2026-11-22T{3 + minute // 60:02d}:{minute % 60:02d}:{second:02d}Z"


def line(event: str, index: int, second: int = 0, **fields: Any) -> dict[str, Any]:
    """A typed line of run *index*, *second* seconds after it started."""
    return {
        "timestamp": stamp(index, second),
        "level": "info",
        "event": event,
        "run_id": run_id(index),
        **fields,
    }


def started(index: int, **fields: Any) -> dict[str, Any]:
    """A ``run_started`` with the typed shape (task hash, request and session, even if null)."""
    values: dict[str, Any] = {
        "user_id": "u-1" if index % 2 == 0 else "u-2",
        "task_hash": "sha256:t",
        "request_id": None,
        "session_id": f"s-{index % 3}",
        "prompt_version": "v1" if index < 20 else "v2",
        "service": "agent",
    }
    values.update(fields)
    return line("run_started", index, **values)


def finished(index: int, **fields: Any) -> dict[str, Any]:
    """A ``run_finished`` with the typed shape."""
    values: dict[str, Any] = {
        "status": "ok",
        "stop_reason": "completed",
        "total_steps": 1,
        "tool_calls": 0,
        "llm_calls": 0,
        "errors": 0,
        "input_tokens": 0,
        "output_tokens": 0,
        "total_latency_ms": (index + 1) * 100,
    }
    values.update(fields)
    return line("run_finished", index, 50, **values)


def tool(index: int, name: str, args_hash: str, call: str, status: str = "ok") -> list[dict[str, Any]]:
    """A tool call and its result."""
    result = {"tool": name, "tool_call_id": call, "status": status, "latency_ms": 5.0}
    if status == "error":
        result["error_class"] = "TimeoutError"
    return [
        line("tool_call", index, 1, tool=name, args_hash=args_hash, tool_call_id=call),
        line("tool_result", index, 2, **result),
    ]


def llm(index: int, model: str, tokens: tuple[int, int], cost: float | None = None) -> dict[str, Any]:
    """An ``llm_result`` (priced when *cost* is given)."""
    fields: dict[str, Any] = {
        "model": model,
        "provider": "openai",
        "input_tokens": tokens[0],
        "output_tokens": tokens[1],
        "latency_ms": 20.0,
        "status": "ok",
        "span_id": f"{index:08x}{model}",
    }
    if cost is not None:
        fields.update(cost_usd=cost, price_source="configured", price_version="test")
    return line("llm_result", index, 3, **fields)


def run_lines(index: int) -> list[dict[str, Any]]:
    """Every line of run *index*, as described in the module docstring."""
    lines = [started(index)]
    same = index % 4 == 0
    lines += tool(index, "search", "h-same" if same else f"h-{index}-a", f"c-{index}-1")
    lines += tool(index, "search", "h-same" if same else f"h-{index}-b", f"c-{index}-2")
    lines.append(llm(index, "m-a", (100, 10), 0.1))
    tokens_in, tokens_out, llm_calls = 100, 10, 1
    if index % 5 == 0:
        lines.append(llm(index, "m-b", (50, 5)))
        tokens_in, tokens_out, llm_calls = 150, 15, 2
    failing = index in FAILING
    if failing:
        lines += tool(index, "fetch", f"h-{index}-f", f"c-{index}-3", status="error")
    if index != UNFINISHED:
        lines.append(
            finished(
                index,
                status="error" if failing else "ok",
                stop_reason="tool_error" if failing else "completed",
                tool_calls=3 if failing else 2,
                llm_calls=llm_calls,
                errors=1 if failing else 0,
                input_tokens=tokens_in,
                output_tokens=tokens_out,
            )
        )
    return lines


def known_lines() -> list[dict[str, Any]]:
    """The whole log, run after run."""
    return [each for index in range(RUNS) for each in run_lines(index)]
