"""Logs of runs that delegate to child runs, whose every figure is known (metadata a child inherits).

`delegation_lines`, families of runs, each started a minute after the last
(from 04:00 on 2026-11-22); "run N" has the run ID `run_id` (N):

- runs 0, 1, 2: ``prompt_version`` v7, user ``u-a``; each makes its own two
  LLM calls (``m-a``, 0.0025 USD, 100 tokens in and 10 out; ``m-b``, 0.02
  USD, 200 in and 20 out) and one ``search`` call, and takes 4, 5, 6 s;
- runs 3, 4, 5: ``prompt_version`` v8, user ``u-a``; each makes the
  ``m-a`` call itself (0.0025 USD) and delegates the ``m-b`` call (0.02
  USD) and the ``search`` call to a child run, 13, 14, 15, with no user and
  no ``prompt_version`` (14's is null); child 15's ``fetch`` call fails too
  and it stops ``tool_error``; the parents take 20 s, the children 10 s;
- runs 20 → 21 → 22 → 23, each the child of the one before: 20 has
  ``prompt_version`` v9 and ``policy_version`` p-root, 22 ``prompt_version``
  v9b of its own, 21 and 23 nothing; one ``m-a`` call each;
- runs 30 → 31 → … → 40, a chain eleven runs deep: only 30 has
  ``prompt_version`` (v-deep); one ``m-a`` call each.

`loop_lines`: the walk's limits. Runs 100 … 165 are a chain 66 runs deep
where only 100 has ``depth`` ("top"), so 165 is 65 generations below it;
runs 200 and 201 are each other's parent, 200 with ``loop`` "a"; 202 and
203 too, neither with ``loop``; run 204 is its own parent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CHEAP", "DEAR", "Run", "delegation_lines", "loop_lines", "run_id", "stamp"]

CHEAP = 0.0025
"""The cost of an ``m-a`` call (USD)."""
DEAR = 0.02
"""The cost of an ``m-b`` call (USD)."""
_TOKENS = {"m-a": (100, 10), "m-b": (200, 20)}
_COST = {"m-a": CHEAP, "m-b": DEAR}


def run_id(index: int) -> str:
    """The run ID of run *index*: a UUID whose first group is the index."""
    return f"{index:08x}-0000-4000-8000-00000000de1e"


def stamp(second: int) -> str:
    """An RFC 3339 time, *second* seconds after 04:00 on the day of the log."""
    return f"2026-11-22T{4 + second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z"


@dataclass
class Run:
    """One run of a log: when it starts and ends (seconds after 04:00), its parent, metadata, calls."""

    index: int
    start: int
    end: int
    parent: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    user: str | None = None
    models: tuple[str, ...] = ("m-a",)
    tools: tuple[tuple[str, str], ...] = ()
    children_cost: float = 0.0

    def lines(self) -> list[dict[str, Any]]:
        """Its lines: run_started, its LLM and tool calls, run_finished (cost with its children's)."""
        started: dict[str, Any] = {"task_hash": "sha256:t", "service": "agent", **self.metadata}
        if self.parent is not None:
            started["parent_run_id"] = run_id(self.parent)
        if self.user is not None:
            started["user_id"] = self.user
        lines = [self._line("run_started", self.start, **started)]
        for number, model in enumerate(self.models):
            tokens_in, tokens_out = _TOKENS[model]
            lines.append(
                self._line(
                    "llm_result",
                    self.start + 1,
                    model=model,
                    provider="p",
                    input_tokens=tokens_in,
                    output_tokens=tokens_out,
                    latency_ms=20.0,
                    status="ok",
                    span_id=f"{self.index:08x}{number:08x}",
                    cost_usd=_COST[model],
                    price_source="configured",
                    price_version="test",
                )
            )
        for number, (tool, status) in enumerate(self.tools):
            call = f"c-{self.index}-{number}"
            result: dict[str, Any] = {"tool": tool, "tool_call_id": call, "status": status, "latency_ms": 5.0}
            if status == "error":
                result["error_class"] = "TimeoutError"
            lines.append(
                self._line("tool_call", self.start + 2, tool=tool, args_hash=f"h-{call}", tool_call_id=call)
            )
            lines.append(self._line("tool_result", self.start + 3, **result))
        failed = any(status == "error" for _, status in self.tools)
        own = sum(_COST[model] for model in self.models)
        finished: dict[str, Any] = {
            "status": "error" if failed else "ok",
            "stop_reason": "tool_error" if failed else "completed",
            "total_steps": 1,
            "tool_calls": len(self.tools),
            "llm_calls": len(self.models),
            "errors": sum(status == "error" for _, status in self.tools),
            "input_tokens": sum(_TOKENS[model][0] for model in self.models),
            "output_tokens": sum(_TOKENS[model][1] for model in self.models),
            "total_latency_ms": (self.end - self.start) * 1000,
            "cost_usd": round(own + self.children_cost, 10),
        }
        if self.children_cost:
            finished["child_cost_usd"] = self.children_cost
        lines.append(self._line("run_finished", self.end, **finished))
        return lines

    def _line(self, event: str, second: int, **fields: Any) -> dict[str, Any]:
        return {
            "timestamp": stamp(second),
            "level": "info",
            "event": event,
            "run_id": run_id(self.index),
            **fields,
        }


def _runs() -> list[Run]:
    """The runs of `delegation_lines`, parents before their children."""
    runs = [
        Run(
            family,
            family * 60,
            family * 60 + 4 + family,
            metadata={"prompt_version": "v7"},
            user="u-a",
            models=("m-a", "m-b"),
            tools=(("search", "ok"),),
        )
        for family in (0, 1, 2)
    ]
    for family in (3, 4, 5):
        child = 10 + family
        runs.append(
            Run(
                family,
                family * 60,
                family * 60 + 20,
                metadata={"prompt_version": "v8"},
                user="u-a",
                children_cost=DEAR,
            )
        )
        tools = (("search", "ok"), ("fetch", "error")) if child == 15 else (("search", "ok"),)
        metadata = {"prompt_version": None} if child == 14 else {}
        runs.append(
            Run(
                child,
                family * 60 + 2,
                family * 60 + 12,
                parent=family,
                metadata=metadata,
                models=("m-b",),
                tools=tools,
            )
        )
    chain: list[dict[str, Any]] = [
        {"prompt_version": "v9", "policy_version": "p-root"},
        {},
        {"prompt_version": "v9b"},
        {},
    ]
    for depth, metadata in enumerate(chain):
        runs.append(
            Run(
                20 + depth,
                360 + 2 * depth,
                400 - 2 * depth,
                parent=None if depth == 0 else 19 + depth,
                metadata=metadata,
                children_cost=CHEAP * (len(chain) - 1 - depth),
            )
        )
    for depth in range(11):
        runs.append(
            Run(
                30 + depth,
                420 + depth,
                470 - depth,
                parent=None if depth == 0 else 29 + depth,
                metadata={"prompt_version": "v-deep"} if depth == 0 else {},
                children_cost=CHEAP * (10 - depth),
            )
        )
    return runs


def delegation_lines() -> list[dict[str, Any]]:
    """The log of the module docstring's first part, in time order."""
    lines = [line for run in _runs() for line in run.lines()]
    return sorted(lines, key=lambda line: line["timestamp"])


def loop_lines() -> list[dict[str, Any]]:
    """The log of the module docstring's second part: a chain 66 runs deep, and loops of parents."""
    runs = [
        Run(
            100 + depth,
            3600 + depth,
            3700 - depth,
            parent=None if depth == 0 else 99 + depth,
            metadata={"depth": "top"} if depth == 0 else {},
        )
        for depth in range(66)
    ]
    runs += [
        Run(200, 3800, 3810, parent=201, metadata={"loop": "a"}),
        Run(201, 3801, 3809, parent=200),
        Run(202, 3802, 3808, parent=203),
        Run(203, 3803, 3807, parent=202),
        Run(204, 3804, 3806, parent=204),
    ]
    return [line for run in runs for line in run.lines()]
