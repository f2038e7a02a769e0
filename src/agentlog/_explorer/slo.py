"""Service level objectives over runs: ``agentlog slo``, a gate a deploy can wait on.

An objective is a target on a fraction of good events, and its error budget
is the fraction of bad ones it allows:

- ``completion`` T: good = runs that stopped ``completed``, of all runs
  (unfinished ones included); met when the completion rate ≥ T; the allowed
  bad fraction is 1 − T.
- ``latency_pQ`` X (Q = 50, 95, 99): met when the Q-th percentile of the
  finished runs' ``total_latency_ms`` (nearest rank) is ≤ X; bad = finished
  runs slower than X, of the finished runs; allowed bad fraction 1 − Q/100.
- ``error_rate`` E: the tool error rate (``tool_result`` lines with status
  ``error``, of all of them); met when it is ≤ E; bad fraction = that rate,
  allowed bad fraction = E.

Burn rate = bad fraction / allowed bad fraction (1: the budget is spent at
exactly the rate it allows); budget remaining = 1 − burn rate, negative when
overspent. A target that allows no bad at all burns without bound at the
first bad event: burn rate and budget remaining are then None. An
objective with nothing to measure (no finished run, no tool call) is *not*
met: no data must not pass a gate.

Targets are exact fractions (``99.5`` % is 199/200), so met or not never
hangs on a float's last digit. The window (`Window`) is the runs that
started in (end − duration, end], end being ``--until`` or the newest start
in the input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from .facts import RunFacts
from .groups import Member, group_runs, latencies, tool_counts, value_text
from .stats import _percentiles
from .text import Style, safe
from .times import epoch

__all__ = [
    "COMPLETION",
    "ERROR_RATE",
    "LATENCY",
    "QUANTILES",
    "Objective",
    "Window",
    "evaluate",
    "parse_percent",
    "slo_report",
    "slo_text",
]

COMPLETION = "completion"
LATENCY = "latency"
ERROR_RATE = "error_rate"
QUANTILES = {50: Fraction(1, 2), 95: Fraction(95, 100), 99: Fraction(99, 100)}
"""The latency percentiles an objective may be set on."""


def parse_percent(text: str) -> Fraction | None:
    """A percentage a user typed (``99.5`` or ``99.5%``) as an exact fraction of 1; None if not 0–100."""
    try:
        value = Decimal(text.strip().removesuffix("%").strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or not 0 <= value <= 100:
        return None
    return Fraction(value) / 100


@dataclass(frozen=True)
class Objective:
    """One objective: its kind, its target, and for latency the percentile.

    Attributes:
        kind: `COMPLETION`, `LATENCY` or `ERROR_RATE`.
        target: The least completion rate, the most latency (ms), or the most tool error rate.
        quantile: For latency, the percentile (as a fraction: 95 % is 19/20).
    """

    kind: str
    target: Fraction
    quantile: Fraction | None = None

    @property
    def name(self) -> str:
        """``completion``, ``latency_p95`` …, ``error_rate``."""
        if self.kind == LATENCY and self.quantile is not None:
            return f"latency_p{round(self.quantile * 100)}"
        return self.kind

    @property
    def allowed(self) -> Fraction:
        """The fraction of bad events the objective allows: its error budget."""
        if self.kind == COMPLETION:
            return 1 - self.target
        if self.kind == LATENCY:
            return 1 - (self.quantile or Fraction(0))
        return self.target


def evaluate(objective: Objective, members: Sequence[Member]) -> dict[str, Any]:
    """How *members* (one group's runs) do against *objective*.

    Keys: ``objective``, ``target`` (a fraction, or ms for latency),
    ``actual``, ``met``, ``no_data``, ``bad``, ``total`` (the events
    counted: runs, finished runs or tool calls), ``bad_fraction``,
    ``allowed_bad_fraction``, ``burn_rate``, ``error_budget_remaining``
    and ``runs``.
    """
    actual: float | None
    if objective.kind == COMPLETION:
        total = len(members)
        good = sum(1 for member in members if member.run.completed)
        bad = total - good
        actual = good / total if total else None
        met = bool(total) and Fraction(good, total) >= objective.target
    elif objective.kind == LATENCY:
        timed = latencies(members)
        total = len(timed)
        bad = sum(1 for value in timed if value > objective.target)
        [actual] = _percentiles(timed, float(objective.quantile or 0))
        met = actual is not None and actual <= objective.target
    else:
        total, bad = tool_counts(members)
        actual = bad / total if total else None
        met = bool(total) and Fraction(bad, total) <= objective.target
    allowed = objective.allowed
    burn: Fraction | None = None
    if total:
        fraction = Fraction(bad, total)
        burn = fraction / allowed if allowed else (Fraction(0) if not bad else None)
    return {
        "objective": objective.name,
        "target": float(objective.target),
        "actual": actual,
        "met": met,
        "no_data": not total,
        "bad": bad,
        "total": total,
        "bad_fraction": bad / total if total else None,
        "allowed_bad_fraction": float(allowed),
        "burn_rate": None if burn is None else float(burn),
        "error_budget_remaining": None if burn is None else float(1 - burn),
        "runs": len(members),
    }


def _micros(stamp: Any) -> int | None:
    """A timestamp in whole microseconds since the epoch (exact to compare, unlike float seconds)."""
    seconds = epoch(stamp)
    return None if seconds is None else round(seconds * 1_000_000)


def _iso(micros: int | None) -> str | None:
    if micros is None:
        return None
    moment = datetime.fromtimestamp(micros / 1_000_000, timezone.utc)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Window:
    """Which runs are measured, by their start: in (end − duration, end] when there is a duration.

    ``--since`` and ``--until`` choose runs as everywhere else (at or after,
    before); the window is on top of them.

    Attributes:
        duration_ms: How far back from the end it reaches; None for no window.
        end: The end, in microseconds since the epoch: ``--until``, else the
            newest start among the runs in the input (None when none has one).
        since: ``--since``, in seconds since the epoch, if given.
        until: ``--until``, in seconds since the epoch, if given.
    """

    duration_ms: float | None = None
    end: int | None = None
    since: float | None = None
    until: float | None = None

    @classmethod
    def of(
        cls,
        runs: Iterable[RunFacts],
        duration_ms: float | None,
        since: float | None = None,
        until: float | None = None,
    ) -> Window:
        """The window of *duration_ms* ending at *until*, or at the newest start among *runs* (the input)."""
        if until is not None:
            return cls(duration_ms, round(until * 1_000_000), since, until)
        starts = [moment for moment in (_micros(run.started) for run in runs) if moment is not None]
        return cls(duration_ms, max(starts) if starts else None, since, until)

    @property
    def start(self) -> int | None:
        """The (excluded) start, in microseconds: end − duration; None without a duration."""
        if self.duration_ms is None or self.end is None:
            return None
        return self.end - round(self.duration_ms * 1000)

    def holds(self, run: RunFacts) -> bool:
        """Whether *run* started inside (end − duration, end] (every run does without a duration)."""
        if self.duration_ms is None:
            return True
        started, start, end = _micros(run.started), self.start, self.end
        return started is not None and start is not None and end is not None and start < started <= end

    def as_dict(self, runs: Sequence[RunFacts]) -> dict[str, Any]:
        """The bounds as RFC 3339 times, and the first and last start among *runs* (those measured).

        ``start`` is end − duration (excluded), else ``--since`` (included);
        ``end`` is the window's end (included), else ``--until`` (excluded).
        """
        starts = sorted(moment for moment in (_micros(run.started) for run in runs) if moment is not None)
        windowed = self.duration_ms is not None
        since = None if self.since is None else round(self.since * 1_000_000)
        until = None if self.until is None else round(self.until * 1_000_000)
        return {
            "duration_ms": self.duration_ms,
            "start": _iso(self.start if windowed else since),
            "end": _iso(self.end if windowed else until),
            "first_run": _iso(starts[0]) if starts else None,
            "last_run": _iso(starts[-1]) if starts else None,
        }


def slo_report(
    runs: Sequence[RunFacts], objectives: Sequence[Objective], by: Sequence[str], window: Window
) -> dict[str, Any]:
    """Every objective for every group of *runs* (the runs measured, already in the window).

    ``met`` at the top is True only if every objective of every group is met.
    """
    groups = []
    for group in group_runs(runs, by):
        results = [evaluate(objective, group.members) for objective in objectives]
        groups.append(
            {
                "key": dict(zip(by, group.key, strict=True)),
                "runs": len(group.members),
                "met": all(result["met"] for result in results),
                "objectives": results,
            }
        )
    return {
        "met": bool(groups) and all(group["met"] for group in groups),
        "by": list(by),
        "runs": len(runs),
        "window": window.as_dict(runs),
        "groups": groups,
    }


_MOST_PLACES = 15
"""The most decimal places a target or an actual value is shown with."""


def _given(value: float, scale: int, least: int) -> str:
    """A target as it was typed: the decimal of its float (its shortest repr) times *scale*, all its places.

    At least *least* places, so that the usual targets keep their usual look
    (``90.00%``, ``4.000 s``), and more when it has more (``87.50001%``).
    """
    exact = (Decimal(repr(value)) * scale).normalize()
    exponent = exact.as_tuple().exponent
    places = max(least, -exponent if isinstance(exponent, int) else 0)
    return f"{exact:.{min(places, _MOST_PLACES)}f}"


def _apart(actual: float, target: float, render: Callable[[float, int], str], places: int) -> str:
    """*actual* in *places* places, or more until it no longer looks like *target* when they differ.

    A miss by a hair (87.49999 % against 87.5 %) must not print as the target.
    """
    text = render(actual, places)
    while actual != target and places < _MOST_PLACES and text == render(target, places):
        places += 1
        text = render(actual, places)
    return text


def _percent(value: float, places: int) -> str:
    return f"{value:.{places}%}"


def _seconds(value: float, places: int) -> str:
    return f"{value / 1000:.{places}f} s"


def _milliseconds(value: float, places: int) -> str:
    return f"{value:.{places}f} ms"


def _target(result: dict[str, Any]) -> str:
    """The target at the precision it was given (``≥ 87.50001%``, ``≤ 1.5 s`` as ``≤ 1.500 s``)."""
    name, target = result["objective"], result["target"]
    if name.startswith(LATENCY):
        if target >= 1000:
            return f"≤ {_given(target / 1000, 1, 3)} s"
        return f"≤ {_given(target, 1, 1)} ms"
    return ("≥ " if name == COMPLETION else "≤ ") + _given(target, 100, 2) + "%"


def _actual(result: dict[str, Any]) -> str:
    """The actual value, with the places that tell it from the target when it differs."""
    actual, target = result["actual"], result["target"]
    if actual is None:
        return "no data"
    if result["objective"].startswith(LATENCY):
        if actual >= 1000:
            return _apart(actual, target, _seconds, 3)
        return _apart(actual, target, _milliseconds, 1)
    return _apart(actual, target, _percent, 2)


def _burn(value: float | None, no_data: bool) -> str:
    if no_data:
        return "-"
    return "∞" if value is None else f"{value:.2f}"


def _budget(value: float | None, no_data: bool) -> str:
    if no_data:
        return "-"
    return "spent" if value is None else f"{value:.1%}"


def slo_text(report: dict[str, Any], style: Style) -> str:
    """The report as text: a block per group, a line per objective; every logged value made safe."""
    out = []
    window = report["window"]
    if window["start"] is not None or window["end"] is not None:
        out.append(f"window {window['start'] or '…'} – {window['end'] or '…'}")
    out.append(f"{report['runs']} runs, from {window['first_run'] or '?'} to {window['last_run'] or '?'}")
    header = (
        f"  {'objective':<14}{'target':>12}{'actual':>12}  {'met':<8}{'bad/total':>14}"
        f"{'burn rate':>11}{'budget left':>13}"
    )
    for group in report["groups"]:
        out.append("")
        key = "  ".join(f"{safe(name, 24)}={value_text(value, 60)}" for name, value in group["key"].items())
        out.append(style.bold(f"{key}  ({group['runs']} runs)" if key else f"all runs ({group['runs']})"))
        out.append(style.bold(header))
        for result in group["objectives"]:
            met = style.green("met".ljust(8)) if result["met"] else style.red("MISSED".ljust(8))
            counted = f"{result['bad']}/{result['total']}"
            out.append(
                f"  {result['objective']:<14}{_target(result):>12}{_actual(result):>12}  {met}{counted:>14}"
                f"{_burn(result['burn_rate'], result['no_data']):>11}"
                f"{_budget(result['error_budget_remaining'], result['no_data']):>13}"
            )
    out.append("")
    out.append(style.green("every objective met") if report["met"] else style.red("objectives missed"))
    return "\n".join(out)
