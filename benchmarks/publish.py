"""Write the figures of one benchmark run into the docs and the README: one source for every published figure.

``nox -s bench`` runs it after ``benchmarks/bench.py``; by hand::

    python benchmarks/publish.py            # from benchmarks/results.json
    python benchmarks/publish.py --check    # exit 1 if the docs differ from it

The generated text sits between ``<!-- figures:NAME -->`` and
``<!-- /figures:NAME -->`` markers in ``docs/performance.md`` (``run``: the
machine, every contender, the other figures and the targets) and in
``README.md`` (``headline``); nothing else in those files is touched.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.json"
PAGES = {"run": ROOT / "docs" / "performance.md", "headline": ROOT / "README.md"}

HEADLINE = "agentlog events.tool_result (json)"


def _machine(figures: dict[str, Any]) -> str:
    machine = figures["machine"]
    return (
        f"Python {machine['python']}, {machine['cpus']} CPUs, `{machine['platform']}`; "
        f"{machine['rounds']} interleaved rounds of {machine['events_per_round']:,} events; "
        f"the whole run took {figures['seconds'] / 60:.1f} minutes."
    )


def _contenders(figures: dict[str, Any]) -> list[str]:
    rows = [
        "| contender | median ns | min | max | × floor | × structlog |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in figures["events"].items():
        label = f"**{name}**" if name == HEADLINE else name
        rows.append(
            f"| {label} | {row['median']:,.0f} | {row['min']:,.0f} | {row['max']:,.0f} "
            f"| {row['x_floor']['median']:.2f} | {row['x_structlog']['median']:.2f} |"
        )
    return rows


def _others(figures: dict[str, Any]) -> list[str]:
    rows = ["| other figure | result |", "|---|---|"]
    hashing = figures.get("hashing")
    if hashing:
        mine, theirs = hashing["agentlog.hash_value"], hashing["json.dumps(sort_keys) + sha256"]
        rows.append(
            f"| hashing a {hashing['size_bytes']:,.0f}-byte argument dict | agentlog {mine:,.0f} ns, "
            f"`json.dumps(sort_keys=True)` + SHA-256 {theirs:,.0f} ns ({theirs / mine:.1f}× faster) |"
        )
    memory = figures.get("memory")
    if memory:
        rows.append(
            f"| RSS growth over 1,000,000 events in one run; over 100,000 runs "
            f"| {memory['events_growth_mb']:.2f} MB; {memory['runs_growth_mb']:.2f} MB |"
        )
    concurrency = figures.get("concurrency")
    if concurrency:
        rows.append(f"| 8 threads writing | {concurrency['threads_8_events_per_s']:,.0f} events/s |")
        rows.append(
            "| 1,000 concurrent asyncio runs (3 steps, 3 tool calls each) "
            f"| {concurrency['asyncio_1000_runs_lines_per_s']:,.0f} lines/s |"
        )
    redaction = figures.get("redaction")
    if redaction:
        rows.append(
            f"| redaction of 1 MB adversarial strings (all patterns, PII too) "
            f"| slowest {redaction['worst_s']:.2f} s, median {redaction['median_s']:.2f} s |"
        )
    for name, row in figures.get("long_strings", {}).items():
        rows.append(
            f"| {name} | {row['median_ns']:,.0f} ns against structlog's {row['structlog_ns']:,.0f} ns: "
            f"{row['ratio_median']:.2f}× ({row['ratio_min']:.2f}–{row['ratio_max']:.2f}) |"
        )
    huge = figures.get("huge_capture")
    if huge:
        rows.append(
            f'| `capture="redacted"` of a {huge["result_bytes"] / 1e6:.1f} MB tool result '
            f"| {huge['redacted_s'] * 1000:.0f} ms; `hash` {huge['hash_s'] * 1000:.0f} ms; "
            f"the scrub alone {huge['scrub_only_s'] * 1000:.2f} ms |"
        )
    fields = figures.get("fields")
    if fields:
        rows.append(
            f"| each extra field on a line ({fields['fields']} more, half strings) "
            f"| agentlog {fields['agentlog_ns_per_field']:,.0f} ns, structlog {fields['structlog_ns_per_field']:,.0f} ns |"
        )
    live = figures.get("live_runs")
    if live:
        rows.append(
            f"| a typed event with {live['live_runs']:,} other runs live, against its run alone "
            f"| {live['many_live_runs_ns']['median']:,.0f} ns against {live['one_live_run_ns']['median']:,.0f} ns |"
        )
    explorer = figures.get("explorer")
    if explorer:
        seconds = explorer["seconds"]
        for command in ("stats", "runs"):
            ours, theirs = seconds.get(f"agentlog-{command}"), seconds.get(f"duckdb-{command}")
            if ours and theirs:
                rows.append(
                    f"| `agentlog {command}` on a {explorer['file_bytes'] / 1e9:.2f} GB log, against DuckDB "
                    f"`read_json` | {ours['median']:.2f} s against {theirs['median']:.2f} s: "
                    f"{ours['median'] / theirs['median']:.2f}× |"
                )
        show, grep = seconds["agentlog show (8 characters)"], seconds["grep -F (8 characters)"]
        rows.append(
            f"| `agentlog show` with 8 characters, against `grep -F` "
            f"| {show['median']:.2f} s against {grep['median']:.2f} s: {show['median'] / grep['median']:.2f}× |"
        )
    return rows


def _targets(figures: dict[str, Any]) -> list[str]:
    rows = ["| target | ratio, median | min | max | at most | met |", "|---|---:|---:|---:|---:|---|"]
    for row in figures.get("targets", []):
        rows.append(
            f"| {row['target']} | {row['median']:.2f} | {row['min']:.2f} | {row['max']:.2f} "
            f"| {row['limit']:.2f} | {'yes' if row['met'] else 'no'} |"
        )
    return rows


def render(figures: dict[str, Any]) -> dict[str, str]:
    """The generated text of each marked block, from one run's figures."""
    run = [
        _machine(figures),
        "",
        *_contenders(figures),
        "",
        *_others(figures),
        "",
        "Targets: each a ratio of two figures timed in the same round, the median over",
        "the rounds and its spread (min–max of the per-round ratios; for the cost per",
        "field, the ratio of the median differences and the middle half of the rounds).",
        "An adapter's share is its overhead over the framework's own time for the same",
        "operation; where the spread crosses zero the machine's noise is larger than",
        "the overhead.",
        "",
        *_targets(figures),
    ]
    ratio = figures["events"][HEADLINE]["x_structlog"]
    machine = figures["machine"]
    headline = (
        f"- **Fast**: a typed event costs {ratio['median']:.2f}× structlog's fastest configuration "
        f"({ratio['min']:.2f}–{ratio['max']:.2f} over {machine['rounds']} rounds; Python {machine['python']}, "
        f"{machine['cpus']} CPUs; every figure in `docs/performance.md`, from one run of "
        "`python3 -m nox -s bench`)."
    )
    return {"run": "\n".join(run), "headline": headline}


def _replace(text: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- figures:{name} -->\n)(?:.*?\n)?(<!-- /figures:{name} -->)", re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"no <!-- figures:{name} --> block to fill")
    return pattern.sub(lambda match: match.group(1) + body + "\n" + match.group(2), text)


def main(argv: list[str]) -> int:
    figures = json.loads(RESULTS.read_text())
    stale = []
    for name, body in render(figures).items():
        page = PAGES[name]
        text = page.read_text()
        updated = _replace(text, name, body)
        if updated != text:
            stale.append(str(page.relative_to(ROOT)))
            if "--check" not in argv:
                page.write_text(updated)
    if "--check" in argv and stale:
        print(f"not what {RESULTS.name} says: {', '.join(stale)} (run python benchmarks/publish.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
