"""Interleaved timing of a framework run with and without its agentlog adapter."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

__all__ = ["OVERHEAD_KEYS", "interleaved", "overhead"]

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
