"""A run's accumulator: its step counter and the totals ``run_finished`` reports."""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections import OrderedDict, deque
from decimal import Decimal
from typing import Any

from .._vocabulary import CHILD_COST_USD, COST_USD, TOKEN_DETAILS, TOTALS, UNPRICED_LLM_CALLS

__all__ = ["RunState"]

_MAX_REMEMBERED_ERRORS = 64


class RunState:
    """The one mutable thing of a run, shared by every scope, task and thread of it.

    Every update holds `lock`, so concurrent tool calls never lose a count
    (`agentlog._events.accounting` applies finished events to it). An
    exception is counted once, at the innermost scope it escaped; the kinds
    of scope it escaped are remembered for the run's stop reason.
    """

    __slots__ = (
        "__weakref__",
        "_errors_seen",
        "applying",
        "calls",
        "child_cost",
        "child_priced",
        "closed",
        "cost",
        "errors",
        "finished",
        "frames",
        "input_tokens",
        "llm_calls",
        "lock",
        "outcome",
        "output_tokens",
        "parent",
        "pending",
        "priced_calls",
        "provider",
        "started_ns",
        "steps",
        "steps_opened",
        "token_details",
        "tool_calls",
        "unpriced_llm_calls",
    )

    def __init__(self, parent: RunState | None = None) -> None:
        # Re-entrant, so a signal handler or finalizer that logs in this run
        # while this thread is updating it does not deadlock.
        self.lock = threading.RLock()
        # Finished events not yet in the totals, and whether a count on this thread's stack is
        # applying them (agentlog._events.accounting): re-entrance queues rather than interleaves.
        self.pending: deque[tuple[Any, BaseException | None]] = deque()
        self.applying = False
        _LIVE.add(self)
        self.started_ns = time.perf_counter_ns()
        self.steps = 0  # the highest step number yet: the next one follows it
        self.steps_opened = 0  # total_steps: the agent_step lines written
        self.tool_calls = 0
        self.llm_calls = 0
        self.errors = 0
        self.input_tokens = 0
        self.output_tokens = 0
        # Cache and reasoning token totals, by field name, once a call reported one.
        self.token_details: dict[str, int] = {}
        # Costs are exact decimals until written, so a run's total is the sum of its calls'.
        self.cost = Decimal(0)
        self.priced_calls = 0
        self.unpriced_llm_calls = 0
        self.child_cost = Decimal(0)
        self.child_priced = False
        # The run this one is a child of, in this process: its cost is handed up when it finishes.
        self.parent = parent
        # The provider of the run's model calls (kept with spans on): "_OTHER" once two differ.
        self.provider: str | None = None
        # Exceptions already counted, by identity, with the kinds of scope they
        # escaped. Strong references (exceptions cannot be weakly referenced),
        # bounded so that a long run cannot grow without limit.
        self._errors_seen: OrderedDict[int, tuple[BaseException, set[str]]] = OrderedDict()
        # The run, steps and tool calls of this run that a typed helper opened
        # and another will close (agentlog._events.frames), by span ID; the
        # open tool calls also by tool_call_id. Changed under `lock`.
        self.frames: dict[str, Any] = {}
        self.calls: dict[str, Any] = {}
        # Steps and calls a helper closed, by span ID, with the context to
        # return to: a task or thread whose context still has one in force
        # (closed by a sibling task) moves back to it. The last few only.
        self.closed: OrderedDict[str, Any] = OrderedDict()
        # Its run_finished was written (by a scope, or a helper in any task).
        self.finished = False
        # What events.run_finished asked for inside agentlog.run(), which
        # writes it when the block exits: status, stop_reason, error, fields.
        self.outcome: tuple[str, str | None, dict[str, Any] | None, dict[str, Any]] | None = None

    def next_step(self) -> int:
        """Advance the step counter and return the new step_id."""
        with self.lock:
            self.steps += 1
            self.steps_opened += 1
            return self.steps

    def note_step(self, step_id: int) -> None:
        """Account for a step numbered by the caller rather than the counter."""
        with self.lock:
            self.steps_opened += 1
            if isinstance(step_id, int) and step_id > self.steps:
                self.steps = step_id

    def first_sighting(self, exc: BaseException | None, kind: str) -> bool:
        """Whether *exc* is counted now: not yet seen in this run (call it holding `lock`).

        Remembers that *exc* escaped a scope of *kind* either way.
        """
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
        with self.lock:
            seen = self._errors_seen.get(id(exc))
            return frozenset(seen[1]) if seen is not None and seen[0] is exc else frozenset()

    def forget_errors(self) -> None:
        """Drop the remembered exceptions (and the frames they hold)."""
        with self.lock:
            self._errors_seen.clear()

    def totals(self) -> dict[str, Any]:
        """The totals ``run_finished`` reports, in line order."""
        with self.lock:
            latency_ms = (time.perf_counter_ns() - self.started_ns) // 1000 / 1000  # to the µs
            counts = (self.steps_opened, latency_ms, self.tool_calls, self.llm_calls, self.errors)
            totals = dict(zip(TOTALS, (*counts, self.input_tokens, self.output_tokens), strict=True))
            details = self.token_details
            if details:
                totals.update({name: details[name] for name in TOKEN_DETAILS if name in details})
            if self.priced_calls or self.child_priced:
                totals[COST_USD] = float(self.cost + self.child_cost)
            if self.child_cost:
                totals[CHILD_COST_USD] = float(self.child_cost)
            if self.unpriced_llm_calls:
                totals[UNPRICED_LLM_CALLS] = self.unpriced_llm_calls
            return totals

    def finish(self) -> None:
        """Mark the run finished and add its cost (its children's included) to its parent run's."""
        with self.lock:
            self.finished = True
            parent, self.parent = self.parent, None
            known = bool(self.priced_calls or self.child_priced)
            total = self.cost + self.child_cost
        if parent is not None and known:
            with parent.lock:
                parent.child_cost += total
                parent.child_priced = True


_LIVE: weakref.WeakSet[RunState] = weakref.WeakSet()


def _fresh_locks_after_fork() -> None:
    # A run in flight at fork goes on in the child (it logs under the same
    # IDs); a lock another thread held then would never be released there.
    for state in list(_LIVE):
        state.lock = threading.RLock()
        state.applying = False  # that thread was applying: the child's next count applies the queue


os.register_at_fork(after_in_child=_fresh_locks_after_fork)


NO_TOTALS: dict[str, Any] = {**dict.fromkeys(TOTALS, 0), "total_latency_ms": None}
"""What ``run_finished`` reports where there is no run to read totals from (never modified)."""
