"""Figures per group of runs: ``agentlog stats --by`` (and what ``slo`` measures in each group).

A group is the runs that share a value of each ``--by`` key (`facts.DIMENSIONS`
by name, else a metadata key; a run without it falls in the group None, but
a child run without a metadata key takes its nearest ancestor's value:
`facts.RunFacts.meta_value`).
By ``model`` or ``tool`` a run falls in the group of every model (tool) it
called, and the call figures of that group are that model's (tool's) calls
only; its run figures (runs, completion, latency) are those of the runs
that called it. With several keys the groups are the combinations.

What a group's figures are, exactly (the docs say it for users, and a SQL
store must compute the same):

- ``completion_rate``: runs that stopped ``completed`` / runs (an unfinished
  run counts in the runs, never as completed);
- latency percentiles: nearest rank (`stats`) over the ``total_latency_ms``
  of the finished runs;
- ``tool_error_rate``: ``tool_result`` lines with status ``error`` /
  ``tool_result`` lines; the tool and LLM call figures, tokens and cost are
  counted from the call lines (``tool_result``, ``llm_result``);
- ``cost_usd``: the sum of the runs' own costs (each call once), None when
  no call was priced; ``cost_per_run``: that / runs;
- ``repeated_call_rate``: runs that called a tool twice with the same
  ``args_hash`` / runs.

Rates are plain ratios (not rounded), so that a script or a store computing
the same division gets the same number.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .facts import CallFacts, RunFacts
from .stats import _percentiles
from .text import Style, ms_text, safe, usd_text

__all__ = [
    "FIGURES",
    "NONE_TEXT",
    "Group",
    "Member",
    "absent_keys",
    "absent_text",
    "figures",
    "group_runs",
    "groups_text",
    "latencies",
    "stats_by",
    "tool_counts",
    "value_text",
]

FIGURES = (
    "runs",
    "completed",
    "completion_rate",
    "failed",
    "unfinished",
    "errors",
    "tool_calls",
    "tool_errors",
    "tool_error_rate",
    "llm_calls",
    "llm_errors",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "cost_per_run",
    "priced_llm_calls",
    "unpriced_llm_calls",
    "repeated_call_runs",
    "repeated_call_rate",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
)
"""The figures of a group, in the order `figures` gives them (the keys of ``stats --by --json``)."""

Key = tuple[str | None, ...]


@dataclass(frozen=True)
class Member:
    """A run in a group, and the model and tool (if the group is of one) whose calls alone count."""

    run: RunFacts
    model: str | None = None
    tool: str | None = None

    def tools(self) -> Iterable[CallFacts]:
        """The tool calls counted: those of the group's tool, or all the run's."""
        if self.tool is None:
            return self.run.tools.values()
        facts = self.run.tools.get(self.tool)
        return () if facts is None else (facts,)

    def models(self) -> Iterable[CallFacts]:
        """The LLM calls counted: those of the group's model, or all the run's."""
        if self.model is None:
            return self.run.models.values()
        facts = self.run.models.get(self.model)
        return () if facts is None else (facts,)


@dataclass
class Group:
    """The runs with one value of each ``--by`` key (*key*, in the order of the keys)."""

    key: Key
    members: list[Member]


def _order(key: Key) -> tuple[tuple[bool, str], ...]:
    """Groups sort by their values, key by key; the group None of a key comes after the others."""
    return tuple((value is None, value or "") for value in key)


def group_runs(runs: Iterable[RunFacts], by: Sequence[str]) -> list[Group]:
    """The groups of *runs* by the keys *by*, sorted; no keys: one group of all the runs.

    A run falls in one group per combination of its values (one value per
    key, but one per model or tool it called for ``model`` and ``tool``).
    """
    groups: dict[Key, list[Member]] = {}
    for run in runs:
        for combination in itertools.product(*(run.values_of(key) for key in by)):
            model = tool = None
            for key, value in zip(by, combination, strict=True):
                if key == "model":
                    model = value
                elif key == "tool":
                    tool = value
            groups.setdefault(combination, []).append(Member(run, model, tool))
    return [Group(key, members) for key, members in sorted(groups.items(), key=lambda item: _order(item[0]))]


def absent_keys(runs: Sequence[RunFacts], by: Sequence[str]) -> list[str]:
    """The keys of *by* that no run of *runs* has (a typo, often): every run is in the key's group None.

    By ``model`` (``tool``): no run called one, so there is no group at all.
    None of them when there is no run.
    """
    return [
        key
        for key in dict.fromkeys(by)
        if runs and all(value is None for run in runs for value in run.values_of(key))
    ]


def absent_text(key: str, runs: Sequence[RunFacts]) -> str:
    """What to tell a user whose ``--by`` *key* no run has: the key escaped, and a known key close to it."""
    name = safe(key, 60)
    if key in ("model", "tool"):
        return f"no run called a {key}: there is no {key} group"
    known = sorted({name for run in runs for name in run.metadata})
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {safe(close[0], 60)}?)" if close else ""
    return f"no run has {name}; every run is in its null group{hint}"


NONE_TEXT = "(none)"
"""How the text tables show the group None (no value of the key): not a value a string can be shown as."""
_DIGEST = 8
"""What a cut value ends with: an ellipsis, ``#`` and 6 hex digits of a digest of the whole value."""


def value_text(value: str | None, limit: int = 40) -> str:
    """A group's value (or a tool's, a stop reason's) as the text shows it, never mistaken for another.

    The group None is `NONE_TEXT`. A value is escaped (`text.safe`), and
    quoted, its quotes escaped, when it could be read as something else:
    empty, starting with ``(`` (as ``(none)`` and ``(all runs)`` do) or a
    quote, or with a space at either end (``""``, ``"(none)"``, ``" v7"``).
    Longer than *limit*, it is cut and ends with ``…#`` and 6 hex digits of a
    digest of the whole value, so that two values that differ only after the
    cut do not look the same.
    """
    if value is None:
        return NONE_TEXT
    text = safe(value, sys.maxsize)
    if not text or text[0] in '("' or text != text.strip():
        text = '"' + text.replace('"', '\\"') + '"'
    if len(text) <= limit:
        return text
    digest = hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=3).hexdigest()
    return f"{text[: max(0, limit - _DIGEST)]}…#{digest}"


def latencies(members: Iterable[Member]) -> array[float]:
    """The latencies of the finished runs among *members* (``total_latency_ms``)."""
    return array("d", (member.run.duration_ms for member in members if member.run.duration_ms is not None))


def tool_counts(members: Iterable[Member]) -> tuple[int, int]:
    """(tool calls, of which failed) of *members*: ``tool_result`` lines, and those with status error."""
    calls = errors = 0
    for member in members:
        for facts in member.tools():
            calls += facts.calls
            errors += facts.errors
    return calls, errors


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def figures(members: Sequence[Member]) -> dict[str, Any]:
    """The figures of one group (`FIGURES`, see the module docstring); *members* must not be empty."""
    runs = len(members)
    completed = sum(1 for member in members if member.run.completed)
    tool_calls, tool_errors = tool_counts(members)
    llm = CallFacts()
    for member in members:
        for facts in member.models():
            llm.add(facts)
    repeated = sum(1 for member in members if member.run.repeated_calls)
    cost: Decimal | None = llm.cost_usd if llm.priced else None
    p50, p95, p99 = _percentiles(latencies(members), 0.5, 0.95, 0.99)
    return {
        "runs": runs,
        "completed": completed,
        "completion_rate": completed / runs,
        "failed": sum(1 for member in members if member.run.failed),
        "unfinished": sum(1 for member in members if member.run.unfinished),
        "errors": sum(member.run.errors for member in members),
        "tool_calls": tool_calls,
        "tool_errors": tool_errors,
        "tool_error_rate": _ratio(tool_errors, tool_calls),
        "llm_calls": llm.calls,
        "llm_errors": llm.errors,
        "input_tokens": llm.input_tokens,
        "output_tokens": llm.output_tokens,
        "cost_usd": None if cost is None else float(cost),
        "cost_per_run": None if cost is None else float(cost / runs),
        "priced_llm_calls": llm.priced,
        "unpriced_llm_calls": llm.unpriced,
        "repeated_call_runs": repeated,
        "repeated_call_rate": repeated / runs,
        "latency_p50_ms": p50,
        "latency_p95_ms": p95,
        "latency_p99_ms": p99,
    }


def stats_by(runs: Sequence[RunFacts], by: Sequence[str]) -> dict[str, Any]:
    """What ``stats --by`` prints as JSON: the keys, each group's key values and figures, and all runs'.

    ``all`` is every run once, whatever the keys (by ``model`` a run is in
    several groups, so the groups need not add up to it).
    """
    everyone = [Member(run) for run in runs]
    return {
        "by": list(by),
        "groups": [
            {"key": dict(zip(by, group.key, strict=True)), **figures(group.members)}
            for group in group_runs(runs, by)
        ],
        "all": figures(everyone) if everyone else None,
    }


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


_ALL = "(all runs)"
_COLUMNS = (
    ("runs", 6),
    ("completed", 10),
    ("failed", 7),
    ("unfin", 6),
    ("errors", 7),
    ("tools", 7),
    ("tool err", 9),
    ("llm", 6),
    ("tokens in", 10),
    ("tokens out", 11),
    ("cost $", 12),
    ("$/run", 11),
    ("unpriced", 9),
    ("p50", 11),
    ("p95", 11),
    ("p99", 11),
)


def _cells(row: dict[str, Any]) -> list[str]:
    return [
        str(row["runs"]),
        _percent(row["completion_rate"]),
        str(row["failed"]),
        str(row["unfinished"]),
        str(row["errors"]),
        str(row["tool_calls"]),
        _percent(row["tool_error_rate"]),
        str(row["llm_calls"]),
        str(row["input_tokens"]),
        str(row["output_tokens"]),
        usd_text(row["cost_usd"]) or "-",
        usd_text(row["cost_per_run"]) or "-",
        str(row["unpriced_llm_calls"]),
        ms_text(row["latency_p50_ms"]) or "-",
        ms_text(row["latency_p95_ms"]) or "-",
        ms_text(row["latency_p99_ms"]) or "-",
    ]


def groups_text(document: dict[str, Any], style: Style) -> str:
    """`stats_by`'s document as a table: a row per group, then all the runs; every value made safe.

    A group's values are shown by `value_text`: the group None as ``(none)``.
    """
    by: list[str] = document["by"]
    names = [safe(key, 24) for key in by]
    keys = [[value_text(value, 40) for value in group["key"].values()] for group in document["groups"]]
    widths = [max([len(name), *(len(row[index]) for row in keys)]) + 2 for index, name in enumerate(names)]
    if widths:  # room for the label of the last row
        widths[-1] += max(0, len(_ALL) + 2 - sum(widths))
    header = "".join(name.ljust(width) for name, width in zip(names, widths, strict=True))
    header += "".join(title.rjust(width) for title, width in _COLUMNS)
    out = [style.bold(header)]
    for values, group in zip(keys, document["groups"], strict=True):
        line = "".join(value.ljust(width) for value, width in zip(values, widths, strict=True))
        out.append(
            line
            + "".join(cell.rjust(width) for cell, (_, width) in zip(_cells(group), _COLUMNS, strict=True))
        )
    if document["all"] is not None:
        label = _ALL.ljust(sum(widths))
        cells = _cells(document["all"])
        out.append(
            style.bold(
                label + "".join(cell.rjust(width) for cell, (_, width) in zip(cells, _COLUMNS, strict=True))
            )
        )
    else:
        out.append("no runs")
    return "\n".join(out)
