"""Two groups of runs side by side, and which differences are larger than chance: ``agentlog compare``.

The groups are the runs with two values of one key: a metadata key such as
``prompt_version`` (v7 against v8), or ``user``, ``session``, ``service``,
``model``, ``tool`` (`groups.group_runs` decides who is in which, so a group
here is the group ``stats --by`` shows: a child run without the metadata key
is in its nearest ancestor's group). A run without the key (nor an ancestor
with it) is in neither group. Each group gets the figures of ``stats --by``
(`groups.figures`) and, for the comparison, its tools one by one, its stop
reasons and its tokens per run.

Then every figure is compared, with the test that suits it
(`significance`):

- a rate — completion, failed runs, the tool error rate of all tools and of
  each tool, each stop reason's share of runs, repeated calls — is a 2x2
  table of counts (events and non-events per group), tested with Fisher's
  exact test; the completion rate is the share of ``completed``, so that stop
  reason is not tested twice;
- a measure per run — latency (finished runs), tokens, cost (runs with a
  priced call) — is tested with the Mann-Whitney U test, on ranks, since
  these are skewed and a few slow runs would drive a comparison of means.

A difference is larger than chance when its p-value is below `ALPHA`; a
figure with no data in one group (a tool only one group called) is not
tested. No correction for the number of figures is made: each is tested on
its own, and `compare_text` says how many were tested, so a reader expects
about one in twenty to pass by chance alone.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .facts import RunFacts
from .groups import Member, figures, group_runs, latencies, value_text
from .significance import ALPHA, fisher_exact, larger_than_chance, mann_whitney_u, proportion_ratio
from .text import Style, ms_text, safe, usd_text
from .times import epoch

__all__ = [
    "FISHER",
    "MANN_WHITNEY",
    "UNFINISHED",
    "UNKNOWN",
    "CompareError",
    "Comparison",
    "Figure",
    "compare_runs",
    "compare_text",
    "statement",
]

FISHER = "fisher_exact"
"""The test of a rate (``test`` in the JSON): Fisher's exact test on the 2x2 table of counts."""
MANN_WHITNEY = "mann_whitney_u"
"""The test of a measure per run: the Mann-Whitney U test (asymptotic, tie and continuity corrected)."""
_TEST_NAMES = {FISHER: "Fisher's exact test", MANN_WHITNEY: "Mann-Whitney U test"}
UNFINISHED = "unfinished"
"""The stop reason of a run without a ``run_finished`` line (the one agentlog writes for it at exit)."""
UNKNOWN = "unknown"
"""The stop reason of a finished run that gave none."""
_LISTED = 20
"""The most values named when the key has too many to choose from."""
_LABEL_WIDTH = 30
_CELL_WIDTH = 24


class CompareError(Exception):
    """The comparison cannot be made as asked (a value no run has, one group only); the message says why.

    The message is safe to print: every logged value in it is escaped.
    """


@dataclass
class Figure:
    """One figure compared between the groups: its counts or samples, the test, the p-value.

    Attributes:
        figure: What is compared: ``completion_rate``, ``failed_rate``,
            ``tool_error_rate``, ``stop_reason_share``, ``repeated_call_rate``
            (rates), ``latency_ms``, ``tokens_per_run``, ``cost_per_run``
            (measures per run).
        name: The tool or stop reason, for a figure of one (None for
            ``tool_error_rate`` of all tools and for the others).
        test: `FISHER` or `MANN_WHITNEY`.
        a: Group A's side: ``count``, ``of``, ``rate`` for a rate;
            ``n``, ``median``, ``mean`` for a measure (the median a run's
            value, unrounded: for cost the exact decimal sum of its calls,
            written as a float; the mean of costs computed in decimals).
        b: Group B's side, the same.
        ratio: B's rate over A's (a rate only; None when A's is 0).
        p_value: The test's two-sided p-value; None when not tested (no data in a group).
    """

    figure: str
    name: str | None
    test: str
    a: dict[str, Any]
    b: dict[str, Any]
    ratio: float | None = None
    p_value: float | None = None

    @property
    def tested(self) -> bool:
        """Both groups had data for it, so it was tested."""
        return self.p_value is not None

    @property
    def larger_than_chance(self) -> bool:
        """Tested, with a p-value below `ALPHA`."""
        return self.p_value is not None and larger_than_chance(self.p_value)

    def as_dict(self) -> dict[str, Any]:
        """The figure as ``compare --json`` prints it."""
        return {
            "figure": self.figure,
            "name": self.name,
            "test": self.test,
            "a": self.a,
            "b": self.b,
            "ratio": self.ratio,
            "p_value": self.p_value,
            "larger_than_chance": self.larger_than_chance,
        }


@dataclass
class Comparison:
    """Two groups' figures and every figure compared, as `compare_runs` found them."""

    by: str
    a: str
    b: str
    groups: list[dict[str, Any]]
    figures: list[Figure] = field(default_factory=list)
    without_value: int = 0
    """Runs left out of both groups: they have no value of the key (or not a scalar one)."""

    def as_dict(self) -> dict[str, Any]:
        """What ``compare --json`` prints (documented in ``docs/explorer.md``)."""
        return {
            "by": self.by,
            "a": self.a,
            "b": self.b,
            "alpha": ALPHA,
            "runs_without_value": self.without_value,
            "groups": self.groups,
            "figures": [figure.as_dict() for figure in self.figures],
        }


def compare_runs(runs: Iterable[RunFacts], by: str, a: str | None = None, b: str | None = None) -> Comparison:
    """Compare the runs with ``by`` = *a* against those with ``by`` = *b*.

    Without *a* and *b* the key must have exactly two values among *runs*;
    A is the one whose first run started earlier.

    Raises:
        CompareError: *a* or *b* is given and no run has it, they are the
            same, or they are not given and the key has not exactly two values.
    """
    if (a is None) != (b is None):
        raise CompareError("give both values to compare, or neither")
    groups: dict[str, list[Member]] = {}
    without = 0
    for group in group_runs(runs, [by]):
        value = group.key[0]
        if value is None:
            without += len(group.members)
        else:
            groups[value] = group.members
    label = safe(by, 60)
    if a is None or b is None:
        if len(groups) != 2:
            raise CompareError(_not_two(label, groups))
        a, b = sorted(groups, key=lambda value: (_first_start(groups[value]), value))
    elif a == b:
        raise CompareError(f"the two values are the same: {label} = {_quoted(a)}")
    for value in (a, b):
        if value not in groups:
            raise CompareError(f"no run has {label} = {_quoted(value)}; {_values_text(groups)}")
    first, second = groups[a], groups[b]
    comparison = Comparison(by, a, b, [_group(a, first), _group(b, second)], without_value=without)
    comparison.figures = _rates(comparison.groups[0], comparison.groups[1]) + _measures(first, second)
    return comparison


def _runs_text(count: int) -> str:
    return "1 run" if count == 1 else f"{count} runs"


def _quoted(value: str) -> str:
    return f"'{safe(value, 60)}'"


def _not_two(label: str, groups: dict[str, list[Member]]) -> str:
    if not groups:
        return f"no run has {label}: nothing to compare"
    if len(groups) == 1:
        return f"every run has the same {label}: nothing to compare it with; {_values_text(groups)}"
    return f"{label} has {len(groups)} values: name the two to compare (--by KEY A B); {_values_text(groups)}"


def _values_text(groups: dict[str, list[Member]]) -> str:
    """The values of the key, with their runs, each escaped; at most `_LISTED` of them, most runs first."""
    ordered = sorted(groups, key=lambda value: (-len(groups[value]), value))
    shown = [f"{_quoted(value)} ({_runs_text(len(groups[value]))})" for value in ordered[:_LISTED]]
    more = f" and {len(ordered) - _LISTED} more" if len(ordered) > _LISTED else ""
    return "values: " + ", ".join(shown) + more


def _first_start(members: Sequence[Member]) -> float:
    """When the group's first run started (seconds); a group with no start time sorts last."""
    starts = [start for start in (epoch(member.run.started) for member in members) if start is not None]
    return min(starts, default=float("inf"))


def _tools(members: Iterable[Member]) -> dict[str, tuple[int, int]]:
    """(calls, errors) per tool of *members* (those of the group's tool only, if it is one)."""
    calls: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for member in members:
        tools = member.run.tools
        names = tools if member.tool is None else [member.tool] if member.tool in tools else []
        for name in names:
            calls[name] += tools[name].calls
            errors[name] += tools[name].errors
    return {name: (calls[name], errors[name]) for name in calls}


def _stop_reason(run: RunFacts) -> str:
    if run.unfinished:
        return UNFINISHED
    return run.stop_reason if run.stop_reason is not None else UNKNOWN


def _tokens(member: Member) -> int:
    return sum(facts.input_tokens + facts.output_tokens for facts in member.models())


def _cost(member: Member) -> Decimal | None:
    """The member's own cost (its model's calls only, in a model's group); None when no call was priced."""
    models = list(member.models())
    if not any(facts.priced for facts in models):
        return None
    return sum((facts.cost_usd for facts in models), Decimal(0))


def _group(value: str, members: Sequence[Member]) -> dict[str, Any]:
    """One group's figures: those of ``stats --by`` and, for the comparison, per tool and per stop reason."""
    found = figures(members)
    runs = found["runs"]
    tools = _tools(members)
    stop_reasons = Counter(_stop_reason(member.run) for member in members)
    return {
        "value": value,
        **found,
        "failed_rate": found["failed"] / runs,
        "tokens_per_run": (found["input_tokens"] + found["output_tokens"]) / runs,
        "tools": [
            {"tool": tool, "calls": calls, "errors": errors, "error_rate": errors / calls if calls else None}
            for tool, (calls, errors) in sorted(tools.items(), key=lambda item: (-item[1][0], item[0]))
        ],
        "stop_reasons": [
            {"stop_reason": reason, "runs": count, "share": count / runs}
            for reason, count in sorted(stop_reasons.items(), key=lambda item: (-item[1], item[0]))
        ],
    }


def _rate(figure: str, name: str | None, x1: int, n1: int, x2: int, n2: int) -> Figure:
    """A rate compared: x1 of n1 against x2 of n2, with Fisher's exact test when both groups have some."""
    side_a = {"count": x1, "of": n1, "rate": x1 / n1 if n1 else None}
    side_b = {"count": x2, "of": n2, "rate": x2 / n2 if n2 else None}
    tested = n1 > 0 and n2 > 0
    return Figure(
        figure,
        name,
        FISHER,
        side_a,
        side_b,
        ratio=proportion_ratio(x1, n1, x2, n2),
        p_value=fisher_exact(x1, n1 - x1, x2, n2 - x2) if tested else None,
    )


def _rates(first: dict[str, Any], second: dict[str, Any]) -> list[Figure]:
    """Every rate of the two groups compared (see the module docstring)."""
    runs = first["runs"], second["runs"]
    found = [
        _rate("completion_rate", None, first["completed"], runs[0], second["completed"], runs[1]),
        _rate("failed_rate", None, first["failed"], runs[0], second["failed"], runs[1]),
        _rate(
            "tool_error_rate",
            None,
            first["tool_errors"],
            first["tool_calls"],
            second["tool_errors"],
            second["tool_calls"],
        ),
    ]
    tools = [
        {row["tool"]: (row["errors"], row["calls"]) for row in group["tools"]} for group in (first, second)
    ]
    for tool in sorted(tools[0].keys() | tools[1].keys()):
        (x1, n1), (x2, n2) = tools[0].get(tool, (0, 0)), tools[1].get(tool, (0, 0))
        found.append(_rate("tool_error_rate", tool, x1, n1, x2, n2))
    reasons = [
        {row["stop_reason"]: row["runs"] for row in group["stop_reasons"]} for group in (first, second)
    ]
    for reason in sorted((reasons[0].keys() | reasons[1].keys()) - {"completed"}):
        found.append(
            _rate(
                "stop_reason_share",
                reason,
                reasons[0].get(reason, 0),
                runs[0],
                reasons[1].get(reason, 0),
                runs[1],
            )
        )
    found.append(
        _rate(
            "repeated_call_rate",
            None,
            first["repeated_call_runs"],
            runs[0],
            second["repeated_call_runs"],
            runs[1],
        )
    )
    return found


def _median(ordered: Sequence[Any]) -> Any:
    """The nearest-rank median of sorted values, as p50: the value at index ``round(0.5 × (n − 1))``."""
    return ordered[round(0.5 * (len(ordered) - 1))]


def _sample(values: Sequence[float]) -> dict[str, Any]:
    """One group's side of a measure: how many runs, the median (a run's value, unrounded), the mean."""
    if not values:
        return {"n": 0, "median": None, "mean": None}
    return {"n": len(values), "median": _median(sorted(values)), "mean": math.fsum(values) / len(values)}


def _cost_sample(costs: Sequence[Decimal]) -> dict[str, Any]:
    """`_sample` of costs, exact: the median is a run's exact cost, the mean computed in decimals.

    Both are written as floats of those decimals (``0.0125``, never rounded
    to ``0.013`` or ``0.0``).
    """
    if not costs:
        return {"n": 0, "median": None, "mean": None}
    mean = sum(costs, Decimal(0)) / len(costs)
    return {"n": len(costs), "median": float(_median(sorted(costs))), "mean": float(mean)}


def _measure(figure: str, x: Sequence[float], y: Sequence[float]) -> Figure:
    """A measure per run compared with the Mann-Whitney U test, when both groups have values."""
    tested = bool(x) and bool(y)
    return Figure(
        figure, None, MANN_WHITNEY, _sample(x), _sample(y), p_value=mann_whitney_u(x, y) if tested else None
    )


def _cost_measure(x: Sequence[Decimal], y: Sequence[Decimal]) -> Figure:
    """Cost per run compared: ranked as floats, described (median, mean) in exact decimals."""
    measure = _measure("cost_per_run", [float(cost) for cost in x], [float(cost) for cost in y])
    measure.a, measure.b = _cost_sample(x), _cost_sample(y)
    return measure


def _costs(members: Iterable[Member]) -> list[Decimal]:
    """The own cost of each member whose calls (of the group's model) were priced, as exact decimals."""
    return [cost for cost in map(_cost, members) if cost is not None]


def _measures(first: Sequence[Member], second: Sequence[Member]) -> list[Figure]:
    """Latency, tokens and cost per run compared."""
    return [
        _measure("latency_ms", list(latencies(first)), list(latencies(second))),
        _measure("tokens_per_run", [float(_tokens(m)) for m in first], [float(_tokens(m)) for m in second]),
        _cost_measure(_costs(first), _costs(second)),
    ]


# -- the text ------------------------------------------------------------------------------------------


def _p_text(p: float) -> str:
    """A p-value in two significant digits, more if rounding would carry it across `ALPHA`."""
    if p == 0.0:
        return "p < 1e-300"
    for digits in range(2, 18):
        text = f"{p:.{digits}g}"
        if larger_than_chance(float(text)) == larger_than_chance(p):
            return f"p = {text}"
    return f"p = {p!r}"


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1%}"


def _ratio_text(ratio: float) -> str:
    return f"{ratio:.2f}×" if ratio < 1 else f"{ratio:.1f}×"


def _label(figure: Figure) -> str:
    """What a figure is called in a sentence; a logged name escaped."""
    name = value_text(figure.name, 40) if figure.name is not None else None
    if figure.figure == "tool_error_rate":
        return "tool error rate (all tools)" if name is None else f"{name} error rate"
    if figure.figure == "stop_reason_share":
        return f"runs stopped {name}"
    return {
        "completion_rate": "completion rate",
        "failed_rate": "failed runs",
        "repeated_call_rate": "runs with a repeated call",
        "latency_ms": "latency",
        "tokens_per_run": "tokens per run",
        "cost_per_run": "cost per run",
    }[figure.figure]


def _latency_text(value: float | None) -> str:
    """A latency as compare shows it: as `text.ms_text`, but 3 significant digits below 10 ms.

    Runs that take a fraction of a millisecond (a cached answer, a test
    double) would otherwise all read ``0.1 ms``, the same on both sides of a
    difference found larger than chance.
    """
    if value is None:
        return "-"
    if value >= 10:
        return ms_text(value)
    if value <= 0:
        return f"{value:.2f} ms"
    return f"{value:.{2 - math.floor(math.log10(value))}f} ms"


def _measure_value(figure: str, value: float | None) -> str:
    if value is None:
        return "-"
    if figure == "latency_ms":
        return _latency_text(value)
    if figure == "cost_per_run":
        return usd_text(value)
    return f"{value:,.0f}"


def _sides(figure: Figure) -> str:
    """Group A's value → group B's, with the counts (and the ratio of a rate)."""
    a, b = figure.a, figure.b
    if figure.test == FISHER:
        text = (
            f"{_percent(a['rate'])} ({a['count']}/{a['of']}) → {_percent(b['rate'])} ({b['count']}/{b['of']})"
        )
        return text + (f", {_ratio_text(figure.ratio)}" if figure.ratio is not None else "")
    median_a, median_b = (_measure_value(figure.figure, side["median"]) for side in (a, b))
    return f"median {median_a} → {median_b} ({a['n']} → {b['n']} runs)"


def statement(figure: Figure) -> str:
    """A figure as a sentence: the change, whether it is larger than chance, the test and its p-value."""
    if figure.p_value is None:
        return f"{_label(figure)} {_sides(figure)} — not tested (no data in one group)"
    verdict = "larger than chance" if figure.larger_than_chance else "within chance"
    test = f"{_TEST_NAMES[figure.test]}, {_p_text(figure.p_value)}"
    return f"{_label(figure)} {_sides(figure)} — {verdict} ({test})"


def _table(comparison: Comparison) -> list[str]:
    """The figures of the two groups, a row each: a label, A's value, B's value."""
    groups = comparison.groups
    rows: list[tuple[str, list[str]]] = [
        ("runs", [str(group["runs"]) for group in groups]),
        ("  unfinished runs", [str(group["unfinished"]) for group in groups]),
        ("completion rate", [_count_rate(group["completed"], group["runs"]) for group in groups]),
        ("failed runs", [_count_rate(group["failed"], group["runs"]) for group in groups]),
        (
            "tool error rate (all tools)",
            [_count_rate(group["tool_errors"], group["tool_calls"]) for group in groups],
        ),
    ]
    tools = [{row["tool"]: row for row in group["tools"]} for group in groups]
    for tool in sorted(tools[0].keys() | tools[1].keys()):
        cells = [
            _count_rate(side[tool]["errors"], side[tool]["calls"]) if tool in side else "-" for side in tools
        ]
        rows.append((f"  {value_text(tool, _LABEL_WIDTH - 4)}", cells))
    rows.append(("stop reasons (share of runs)", ["", ""]))
    reasons = [{row["stop_reason"]: row["runs"] for row in group["stop_reasons"]} for group in groups]
    for reason in sorted(reasons[0].keys() | reasons[1].keys()):
        cells = [
            _count_rate(side.get(reason, 0), group["runs"])
            for side, group in zip(reasons, groups, strict=True)
        ]
        rows.append((f"  {value_text(reason, _LABEL_WIDTH - 4)}", cells))
    for quantile in ("p50", "p95", "p99"):
        rows.append(
            (f"latency {quantile}", [_latency_text(group[f"latency_{quantile}_ms"]) for group in groups])
        )
    rows += [
        ("tokens per run", [f"{group['tokens_per_run']:,.1f}" for group in groups]),
        ("cost", [usd_text(group["cost_usd"]) or "-" for group in groups]),
        ("cost per run", [usd_text(group["cost_per_run"]) or "-" for group in groups]),
        ("  unpriced LLM calls", [str(group["unpriced_llm_calls"]) for group in groups]),
        (
            "runs with a repeated call",
            [_count_rate(group["repeated_call_runs"], group["runs"]) for group in groups],
        ),
    ]
    return [
        f"{label:<{_LABEL_WIDTH}}{cells[0]:>{_CELL_WIDTH}}{cells[1]:>{_CELL_WIDTH}}".rstrip()
        for label, cells in rows
    ]


def _count_rate(part: int, whole: int) -> str:
    """``4.0% (2/50)``: a rate with its counts."""
    return f"{_percent(part / whole if whole else None)} ({part}/{whole})"


def compare_text(comparison: Comparison, style: Style) -> str:
    """The comparison for a terminal: the figures side by side, then what differs beyond chance and what not.

    Every logged value (the key, its values, tool names, stop reasons) is escaped.
    """
    by, a, b = safe(comparison.by, 60), value_text(comparison.a, 21), value_text(comparison.b, 21)
    out = [style.bold(f"{by}: {a} (A) → {b} (B)")]
    if comparison.without_value:
        out.append(
            f"{_runs_text(comparison.without_value)} without {by} (nor a parent run with it):"
            " in neither group"
        )
    out.append("")
    out.append(style.bold(f"{'':<{_LABEL_WIDTH}}{'A ' + a:>{_CELL_WIDTH}}{'B ' + b:>{_CELL_WIDTH}}"))
    out += _table(comparison)
    tested = [figure for figure in comparison.figures if figure.tested]
    larger = [figure for figure in tested if figure.larger_than_chance]
    out.append("")
    if larger:
        out.append(style.bold(f"Larger than chance (α = {ALPHA}):"))
        out += [f"  {statement(figure)}" for figure in larger]
    else:
        out.append(style.bold(f"No difference larger than chance (α = {ALPHA})."))
    within = [figure for figure in tested if not figure.larger_than_chance]
    if within:
        out.append(style.bold("Within chance:"))
        out += [f"  {statement(figure)}" for figure in within]
    untested = [figure for figure in comparison.figures if not figure.tested]
    if untested:
        out.append("Not tested (no data in one group): " + "; ".join(_label(figure) for figure in untested))
    out.append(
        f"{len(tested)} figures tested, each at α = {ALPHA}: with no real change, about 1 in "
        f"{round(1 / ALPHA)} would still show as larger than chance."
    )
    return "\n".join(out)
