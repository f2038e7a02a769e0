"""Interleaved timing of a framework run with and without its agentlog adapter."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

__all__ = ["OVERHEAD_KEYS", "interleaved", "overhead", "per_call", "preceded"]

OVERHEAD_KEYS = (
    "tool_call_alone_us",
    "tool_call_overhead_us",
    "llm_call_alone_us",
    "llm_call_overhead_us",
)
"""What each adapter's ``measure`` returns (medians, in microseconds), plus ``*_min``/``*_max`` spreads."""


def interleaved(
    alone: Callable[[], None],
    adapted: Callable[[], None],
    *,
    rounds: int,
    repeat: int,
) -> tuple[list[float], list[float]]:
    """Seconds per call of *alone* and of *adapted*, timed in alternating rounds of *repeat* calls."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(rounds):
        for target, sink in ((alone, a), (adapted, b)):
            start = time.perf_counter()
            for _ in range(repeat):
                target()
            sink.append((time.perf_counter() - start) / repeat)
    return a, b


def overhead(name: str, alone: list[float], adapted: list[float], per: int) -> dict[str, float]:
    """Median cost per operation alone and the adapter's extra, in µs, with the spread of the extra."""
    extra = [(y - x) / per * 1e6 for x, y in zip(alone, adapted, strict=True)]
    return {
        f"{name}_alone_us": statistics.median(alone) / per * 1e6,
        f"{name}_overhead_us": statistics.median(extra),
        f"{name}_overhead_min_us": min(extra),
        f"{name}_overhead_max_us": max(extra),
    }


def preceded(setup: Callable[[], object], target: Callable[[], None]) -> Callable[[], None]:
    """*target*, each call preceded by *setup* (``instrument``/``uninstrument``: a no-op but for the first)."""

    def run() -> None:
        setup()
        target()

    return run


def per_call(
    run: tuple[list[float], list[float]], tools: tuple[list[float], list[float]], turns: int
) -> dict[str, float]:
    """Per tool call and per model call, from a run of *turns* tool-calling turns and one answer.

    *run* is the run's time alone and adapted in each round, *tools* the time of
    its *turns* tool calls alone and adapted. The rest of the run is its
    ``turns + 1`` model calls, so its own cost is counted with them.
    """
    llm = tuple(
        [(total - tool) * turns / (turns + 1) for total, tool in zip(times, tool_times, strict=True)]
        for times, tool_times in zip(run, tools, strict=True)
    )
    return {**overhead("tool_call", *tools, turns), **overhead("llm_call", llm[0], llm[1], turns)}
