"""A run's accumulator: its step counter and the totals ``run_finished`` reports."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from .._vocabulary import LLM_SCOPE, STEP_SCOPE, TOOL_SCOPE, TOTALS

__all__ = ["RunState"]

_MAX_REMEMBERED_ERRORS = 64


class RunState:
    """The one mutable thing of a run, shared by every scope, task and thread of it.

    Every update takes the run's lock, so concurrent tool calls never lose a
    count. An exception is counted once, at the innermost scope it escaped;
    the kinds of scope it escaped are remembered for the run's stop reason.
    """

    __slots__ = (
        "_errors_seen",
        "_lock",
        "errors",
        "input_tokens",
        "llm_calls",
        "output_tokens",
        "started_ns",
        "steps",
        "tool_calls",
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started_ns = time.perf_counter_ns()
        self.steps = 0
        self.tool_calls = 0
        self.llm_calls = 0
        self.errors = 0
        self.input_tokens = 0
        self.output_tokens = 0
        # Exceptions already counted, by identity, with the kinds of scope they
        # escaped. Strong references (exceptions cannot be weakly referenced),
        # bounded so that a long run cannot grow without limit.
        self._errors_seen: OrderedDict[int, tuple[BaseException, set[str]]] = OrderedDict()

    def next_step(self) -> int:
        """Advance the step counter and return the new step_id."""
        with self._lock:
            self.steps += 1
            return self.steps

    def note_step(self, step_id: int) -> None:
        """Account for a step numbered by the caller rather than the counter."""
        with self._lock:
            if isinstance(step_id, int) and step_id > self.steps:
                self.steps = step_id

    def count_tool_call(self, failed: bool, exc: BaseException | None) -> None:
        """Count one finished tool call (and its error, the first time *exc* is seen)."""
        with self._lock:
            self.tool_calls += 1
            if failed and self._first_sighting(exc, TOOL_SCOPE):
                self.errors += 1

    def count_llm_call(
        self, input_tokens: int, output_tokens: int, failed: bool, exc: BaseException | None
    ) -> None:
        """Count one finished LLM call, its tokens, and its error."""
        with self._lock:
            self.llm_calls += 1
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens
            if failed and self._first_sighting(exc, LLM_SCOPE):
                self.errors += 1

    def count_failed_step(self, exc: BaseException | None) -> None:
        """Count a step that failed (unless *exc* was counted in a scope inside it)."""
        with self._lock:
            if self._first_sighting(exc, STEP_SCOPE):
                self.errors += 1

    def _first_sighting(self, exc: BaseException | None, kind: str) -> bool:
        if exc is None:
            return True
        key = id(exc)
        seen = self._errors_seen.get(key)
        if seen is not None and seen[0] is exc:
            seen[1].add(kind)
            return False
        self._errors_seen[key] = (exc, {kind})
        if len(self._errors_seen) > _MAX_REMEMBERED_ERRORS:
            self._errors_seen.popitem(last=False)
        return True

    def escaped_kinds(self, exc: BaseException) -> frozenset[str]:
        """Return the kinds of scope (``tool``, ``llm``, ``step``) *exc* escaped."""
        with self._lock:
            seen = self._errors_seen.get(id(exc))
            return frozenset(seen[1]) if seen is not None and seen[0] is exc else frozenset()

    def forget_errors(self) -> None:
        """Drop the remembered exceptions (and the frames they hold)."""
        with self._lock:
            self._errors_seen.clear()

    def totals(self) -> dict[str, Any]:
        """The totals ``run_finished`` reports, in line order."""
        with self._lock:
            latency_ms = round((time.perf_counter_ns() - self.started_ns) / 1_000_000, 3)
            counts = (self.steps, latency_ms, self.tool_calls, self.llm_calls, self.errors)
            return dict(zip(TOTALS, (*counts, self.input_tokens, self.output_tokens)))


NO_TOTALS: dict[str, Any] = {**dict.fromkeys(TOTALS, 0), "total_latency_ms": None}
"""What ``run_finished`` reports where there is no run to read totals from (never modified)."""
