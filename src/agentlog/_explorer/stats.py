"""Figures across many runs: per tool, per model, stop reasons, slowest and repeated tool calls.

Per tool and per model alike: calls, errors (results with status ``error``),
error rate, and p50/p95/p99 latency; per model, tokens in and out too.

Only agentlog's typed lines count (as `typed.typed_event` tells them): a log
message named ``tool_result`` adds nothing. The figures are built by a
`StatsBuilder`, fed lines in order; builders fed consecutive parts of a log
merge into what one builder fed the whole would hold, which is how
`stats_of_files` spreads a large file over the cores (`reader.map_batches`).

Memory does not follow the file: the slowest calls are kept in a bounded
heap, and the tool calls of a run are counted only until its
``run_finished`` line (which says how many it made), when its repeated calls
(if any) enter a bounded heap too. What stays is per tool and per model (for
exact percentiles, 8 bytes per timed call) and per stop reason: what the
report shows.
"""

from __future__ import annotations

import heapq
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from agentlog._vocabulary import (
    ERROR,
    EVENT,
    FREE_FORM,
    LLM_RESULT,
    RUN_FINISHED,
    RUN_ID,
    TOOL_CALL,
    TOOL_CALL_ID,
    TOOL_RESULT,
)

from .reader import Counts, map_batches
from .values import count

__all__ = ["STATS_EVENTS", "STATS_NEEDLES", "StatsBuilder", "compute_stats", "stats_of_files"]

STATS_EVENTS = (TOOL_RESULT, TOOL_CALL, LLM_RESULT, RUN_FINISHED)
"""The events `compute_stats` looks at (its reader's ``events``)."""
STATS_NEEDLES = tuple(f'"{event}"'.encode() for event in STATS_EVENTS)
"""The same, as bytes a line must contain (its reader's needles, for a reader without ``events``).

Quoted, so ``"tool_call"`` does not also pick every ``"tool_call_id"``; the
quotes are there in every profile and however the JSON is spaced.
"""

_WANTED = frozenset(STATS_EVENTS)
_Calls = Counter[tuple[str, str]]  # (tool, args_hash) -> calls, in one run
_Open = list[Any]  # [first seen, tool_call lines, _Calls]
_Closed = list[Any]  # [first seen, tool_call lines, _Calls, the run_finished's tool_calls or None]


def _percentiles(values: array[float], *fractions: float) -> list[float | None]:
    """The values at *fractions* of the way through the sorted values (nearest rank), to 3 places."""
    if not values:
        return [None] * len(fractions)
    ordered = sorted(values)
    last = len(ordered) - 1
    return [round(ordered[min(last, max(0, round(fraction * last)))], 3) for fraction in fractions]


class StatsBuilder:
    """The figures of `compute_stats`, built up line by line; builders of consecutive parts merge.

    Args:
        top: How many of the slowest and of the most repeated tool calls to keep.
    """

    def __init__(self, top: int = 10) -> None:
        self.top = top
        self.tool_calls: Counter[str] = Counter()
        self.tool_errors: Counter[str] = Counter()
        self.tool_latency: dict[str, array[float]] = {}
        self.model_calls: Counter[str] = Counter()
        self.model_errors: Counter[str] = Counter()
        self.model_tokens: dict[str, list[int]] = {}
        self.model_latency: dict[str, array[float]] = {}
        self.stop_reasons: Counter[str] = Counter()
        self.order = 0  # lines taken, so ties keep the order calls were seen in
        # Heaps of the kept few: (latency, -order, call) and (calls, -order, (run, tool, args_hash)).
        self.slowest: list[tuple[float, int, dict[str, Any]]] = []
        self.repeated: list[tuple[int, int, tuple[str, str, str]]] = []
        # Tool calls of runs still open here: run -> [first seen, tool_call lines, calls by arguments].
        self.open: dict[str, _Open] = {}
        # Runs that finished here with fewer tool_call lines than their run_finished counts: an earlier
        # part holds the others. run -> [first seen, tool_call lines, calls by arguments, calls counted].
        self.closed_elsewhere: dict[str, _Closed] = {}

    def add(self, line: dict[str, Any]) -> None:
        """Take one flat line (only typed ``tool_result``/``tool_call``/``llm_result``/run lines count)."""
        self.add_all((line,))

    def add_all(self, lines: Iterable[dict[str, Any]]) -> None:
        """Take flat lines in order (`add` for each, in one loop: the hot path of ``stats``)."""
        wanted, keep, top = _WANTED, self._keep, self.top
        tool_calls, tool_errors, tool_latency = self.tool_calls, self.tool_errors, self.tool_latency
        model_calls, model_tokens, model_latency = self.model_calls, self.model_tokens, self.model_latency
        model_errors = self.model_errors
        slowest, calls_open = self.slowest, self.open
        order = self.order
        for line in lines:
            event = line.get(EVENT)
            if event not in wanted or line.get(FREE_FORM) is True:
                continue  # not looked at, or a log message named like a typed event (`typed.typed_event`)
            order += 1
            if event == TOOL_RESULT:
                tool = str(line.get("tool"))
                tool_calls[tool] = tool_calls.get(tool, 0) + 1
                status = line.get("status")
                if status == ERROR:
                    tool_errors[tool] = tool_errors.get(tool, 0) + 1
                latency = line.get("latency_ms")
                if type(latency) is float or type(latency) is int:  # `values.number`, inlined
                    latency = float(latency)
                    timed = tool_latency.get(tool)
                    if timed is None:
                        timed = tool_latency[tool] = array("d")
                    timed.append(latency)
                    if len(slowest) < top or (top and latency > slowest[0][0]):
                        call = {
                            "tool": line.get("tool"),
                            "latency_ms": latency,
                            "run_id": line.get(RUN_ID),
                            "tool_call_id": line.get(TOOL_CALL_ID),
                            "status": status,
                        }
                        keep(slowest, (latency, -order, call))
            elif event == TOOL_CALL:
                run_id = str(line.get(RUN_ID))
                entry = calls_open.get(run_id)
                if entry is None:
                    entry = calls_open[run_id] = [order, 0, Counter()]
                entry[1] += 1
                args_hash = line.get("args_hash")
                if isinstance(args_hash, str):
                    entry[2][(str(line.get("tool")), args_hash)] += 1
            elif event == LLM_RESULT:
                model = str(line.get("model"))
                model_calls[model] = model_calls.get(model, 0) + 1
                if line.get("status") == ERROR:
                    model_errors[model] = model_errors.get(model, 0) + 1
                tokens = model_tokens.get(model)
                if tokens is None:
                    tokens = model_tokens[model] = [0, 0]
                tokens[0] += count(line.get("input_tokens"))
                tokens[1] += count(line.get("output_tokens"))
                latency = line.get("latency_ms")
                if type(latency) is float or type(latency) is int:
                    timed = model_latency.get(model)
                    if timed is None:
                        timed = model_latency[model] = array("d")
                    timed.append(float(latency))
            else:  # RUN_FINISHED
                self.stop_reasons[str(line.get("stop_reason"))] += 1
                run_id = str(line.get(RUN_ID))
                self._finish(run_id, calls_open.pop(run_id, None), line, order)
        self.order = order

    def _keep(self, heap: list[Any], item: Any) -> None:
        """Put *item* in *heap*, keeping only the `top` largest."""
        if len(heap) < self.top:
            heapq.heappush(heap, item)
        elif self.top and item > heap[0]:
            heapq.heapreplace(heap, item)

    def _settle(self, run_id: str, first: int, calls: _Calls) -> None:
        """A run's tool calls are all counted: keep its repeated ones among the most repeated."""
        for (tool, args_hash), times in calls.items():
            if times > 1:
                self._keep(self.repeated, (times, -first, (run_id, tool, args_hash)))

    def _finish(self, run_id: str, entry: _Open | None, line: dict[str, Any], order: int) -> None:
        """A run's ``run_finished``: its calls settled if all are here, else kept for an earlier part's."""
        counted = line.get("tool_calls")
        counted = counted if type(counted) is int else None
        first, seen, calls = entry if entry is not None else (order, 0, Counter())
        earlier = self.closed_elsewhere.get(run_id)
        if earlier is not None:  # finished twice: count its calls anyway
            earlier[1] += seen
            earlier[2].update(calls)
        elif counted is not None and seen >= counted:
            self._settle(run_id, first, calls)
        else:
            self.closed_elsewhere[run_id] = [first, seen, calls, counted]

    def merge(self, later: StatsBuilder) -> None:
        """Take in what *later* built from the lines that follow this builder's."""
        offset = self.order
        self.tool_calls.update(later.tool_calls)
        self.tool_errors.update(later.tool_errors)
        self.model_calls.update(later.model_calls)
        self.model_errors.update(later.model_errors)
        self.stop_reasons.update(later.stop_reasons)
        for mine, theirs in (
            (self.tool_latency, later.tool_latency),
            (self.model_latency, later.model_latency),
        ):
            for key, values in theirs.items():
                mine.setdefault(key, array("d")).extend(values)
        for model, (tokens_in, tokens_out) in later.model_tokens.items():
            tokens = self.model_tokens.setdefault(model, [0, 0])
            tokens[0] += tokens_in
            tokens[1] += tokens_out
        for latency, order, call in later.slowest:
            self._keep(self.slowest, (latency, order - offset, call))
        for times, order, repeat in later.repeated:
            self._keep(self.repeated, (times, order - offset, repeat))
        for run_id, (first, seen, calls, counted) in later.closed_elsewhere.items():
            entry = self.open.pop(run_id, None)
            earlier = self.closed_elsewhere.get(run_id)
            if entry is not None:
                entry[1] += seen
                entry[2].update(calls)
                first, seen, calls = entry
            else:
                first += offset
            if earlier is not None:  # finished here too
                earlier[1] += seen
                earlier[2].update(calls)
            elif counted is not None and seen >= counted:
                self._settle(run_id, first, calls)
            else:
                self.closed_elsewhere[run_id] = [first, seen, calls, counted]
        for run_id, (first, seen, calls) in later.open.items():
            entry = self.open.get(run_id)
            if entry is None:
                self.open[run_id] = [first + offset, seen, calls]
            else:
                entry[1] += seen
                entry[2].update(calls)
        self.order += later.order

    def result(self) -> dict[str, Any]:
        """The figures, as `compute_stats` returns them."""
        repeated = list(self.repeated)
        for run_id, (first, _, calls) in self.open.items():
            for (tool, args_hash), times in calls.items():
                if times > 1:
                    repeated.append((times, -first, (run_id, tool, args_hash)))
        for run_id, (first, _, calls, _) in self.closed_elsewhere.items():
            for (tool, args_hash), times in calls.items():
                if times > 1:
                    repeated.append((times, -first, (run_id, tool, args_hash)))
        empty: array[float] = array("d")
        tools = []
        for tool, calls in self.tool_calls.most_common():
            p50, p95, p99 = _percentiles(self.tool_latency.get(tool, empty), 0.5, 0.95, 0.99)
            errors = self.tool_errors[tool]
            tools.append(
                {
                    "tool": tool,
                    "calls": calls,
                    "errors": errors,
                    "error_rate": round(errors / calls, 4),
                    "p50_ms": p50,
                    "p95_ms": p95,
                    "p99_ms": p99,
                }
            )
        models = []
        for model, calls in self.model_calls.most_common():
            p50, p95, p99 = _percentiles(self.model_latency.get(model, empty), 0.5, 0.95, 0.99)
            tokens_in, tokens_out = self.model_tokens[model]
            errors = self.model_errors[model]
            models.append(
                {
                    "model": model,
                    "calls": calls,
                    "errors": errors,
                    "error_rate": round(errors / calls, 4),
                    "input_tokens": tokens_in,
                    "output_tokens": tokens_out,
                    "p50_ms": p50,
                    "p95_ms": p95,
                    "p99_ms": p99,
                }
            )
        return {
            "tools": tools,
            "models": models,
            "stop_reasons": dict(self.stop_reasons.most_common()),
            "slowest_tool_calls": [call for _, _, call in sorted(self.slowest, reverse=True)[: self.top]],
            "repeated_tool_calls": [
                {"run_id": run_id, "tool": tool, "args_hash": args_hash, "count": times}
                for times, _, (run_id, tool, args_hash) in sorted(repeated, reverse=True)[: self.top]
            ],
        }


def compute_stats(lines: Iterable[dict[str, Any]], top: int = 10) -> dict[str, Any]:
    """Per tool, per model, stop reasons, slowest and most repeated tool calls.

    Args:
        lines: Flat lines; only agentlog's typed ``tool_call``,
            ``tool_result``, ``llm_result`` and run lines are looked at.
        top: How many of the slowest and of the most repeated tool calls to list.
    """
    builder = StatsBuilder(top)
    builder.add_all(lines)
    return builder.result()


def _build(top: int) -> Callable[[Iterator[list[dict[str, Any]]]], StatsBuilder]:
    """What a part of the input is reduced to: a builder fed its lines, a block at a time."""

    def build(batches: Iterator[list[dict[str, Any]]]) -> StatsBuilder:
        builder = StatsBuilder(top)
        for lines in batches:
            builder.add_all(lines)
        return builder

    return build


def stats_of_files(
    inputs: Iterable[str], counts: Counts, top: int = 10, *, workers: int | None = None
) -> dict[str, Any]:
    """`compute_stats` of the lines of *inputs*, large files read by all the cores.

    Args:
        inputs: Files, directories, ``.gz`` files, or ``-``.
        counts: Updated with what reading found (see `reader.read_lines`).
        top: How many of the slowest and of the most repeated tool calls to list.
        workers: At most this many processes (default: one per CPU).
    """
    builders = map_batches(inputs, counts, (), _build(top), events=STATS_EVENTS, workers=workers)
    whole = builders[0] if builders else StatsBuilder(top)
    for later in builders[1:]:
        whole.merge(later)
    return whole.result()
