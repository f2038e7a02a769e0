"""The ``agentlog`` command: demo, runs, tail, show, diff, report, stats, slo, compare, validate.

Argument parsing and dispatch only: the work is done by `agentlog._explorer`
(see its docstring for the data flow), the demo by `agentlog._demo`.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import IO, TYPE_CHECKING, Any, NamedTuple, NoReturn

import orjson

# What parsing the command line and the shared checks need; each command imports the rest in its
# handler, so that `agentlog show` on a small file does not first load diff, tail, report and stats.
from ._explorer.filters import OUTCOMES, SORTS, RunFilter, parse_duration, parse_meta
from ._explorer.html import DEFAULT_MAX_VIEWS
from ._explorer.reader import Counts, collect_run, expand_inputs, input_problems, run_id_needle, spooled_stdin
from ._explorer.runs import matching_run_ids, runs_of_files, select_runs
from ._explorer.text import Style, reading_problems, safe, style_for
from ._explorer.times import parse_moment
from ._explorer.views import inert_json, runs_table
from ._version import __version__

if TYPE_CHECKING:
    from ._explorer.follow import Failure, Finished, Notice

__all__ = ["main"]

_RUN_ID_PREFIX = re.compile(r"[0-9a-f-]+")
_RUN_ID_LENGTH = 36  # a UUID with its dashes


def _moment(text: str) -> float:
    """An absolute RFC 3339 time, or a relative one like ``2h`` (that long ago)."""
    moment = parse_moment(text, time.time())
    if moment is None:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (use 2026-11-22T03:00:00Z or 2h, 30m, 1d)")
    return moment


class _Parser(argparse.ArgumentParser):
    """An argument parser that, when ``--by`` took the files, says where the files go.

    ``--by`` takes several values, so ``agentlog compare --by prompt_version
    v7 v8 agent.jsonl`` reads the file as a fourth value and finds no FILE.
    *by_hint* (given to the commands with ``--by``) is then added to the error.
    """

    def __init__(self, *args: Any, by_hint: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.by_hint = by_hint

    def error(self, message: str) -> NoReturn:
        """Print the usage and *message*, and the hint when FILE is missing after a ``--by``; exit 2."""
        if self.by_hint is not None and "FILE" in message:
            message += f"\nagentlog: {self.by_hint}"
        super().error(message)


_BY_COMMANDS = ("stats", "slo", "compare")


def _by_hint(argv: Sequence[str]) -> str | None:
    """What to say if a command's ``--by`` took its files; None without ``--by``, or with ``--`` after it."""
    command = next((word for word in argv if not word.startswith("-")), None)
    starts = [index for index, word in enumerate(argv) if word == "--by"]
    if command not in _BY_COMMANDS or not starts or "--" in argv[starts[-1] :]:
        return None
    values = []
    for word in argv[starts[-1] + 1 :]:
        if word.startswith("-") and word != "-":
            break
        values.append(word)
    files = [value for value in values if value == "-" or os.path.exists(value)]
    took = f"--by took {', '.join(repr(safe(name)) for name in files)} as a key or value; " if files else ""
    example = "--by KEY A B" if command == "compare" else "--by KEY..."
    return (
        f"{took}--by takes several values: put the files before it (agentlog {command} FILE... {example}),"
        " or end its values with --"
    )


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="log files, directories, .gz files, or - for stdin"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the output (default: on a terminal)",
    )


def _build_parser(by_hint: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; *by_hint* is added to a missing-FILE error of the commands with ``--by``."""
    parser = _Parser(prog="agentlog", description="Debuggable logs for AI-agent runs.")
    parser.add_argument("--version", action="version", version=f"agentlog {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="run an offline demo agent, write its JSON lines, and show the failing run"
    )
    demo.add_argument(
        "--output", default="agentlog-demo.jsonl", help="where to write the JSON lines (default: %(default)s)"
    )
    demo.add_argument("--runs", type=int, default=6, help="how many agent runs to start at once")
    demo.add_argument("--seed", type=int, default=7, help="seed for the simulated model")

    runs = commands.add_parser("runs", help="one row per run, newest first")
    _add_common(runs)
    _add_run_filters(runs)
    runs.add_argument(
        "--sort",
        choices=SORTS,
        default="start",
        help="newest first (start, the default), or longest, most tokens, most errors, costliest first",
    )
    runs.add_argument("--limit", type=int, default=0, help="at most this many rows")

    tail = commands.add_parser(
        "tail",
        help="follow growing files like tail -F: each run as it finishes, each failure as it happens",
    )
    tail.add_argument("files", nargs="+", metavar="FILE", help="log files (or directories) to follow, or -")
    tail.add_argument(
        "--from-start", action="store_true", help="read what the files hold first (default: from their end)"
    )
    tail.add_argument(
        "--interval",
        type=_seconds,
        default=0.5,
        metavar="SECONDS",
        help="how often to look for new lines (default: %(default)s)",
    )
    tail.add_argument("--json", action="store_true", help="print one JSON object per line instead of text")
    tail.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="colour the output"
    )
    _add_run_filters(tail)

    diff = commands.add_parser(
        "diff", help="two runs side by side: steps and calls aligned, the first divergence marked"
    )
    diff.add_argument("run_a", metavar="RUN_A", help="a run_id or a unique prefix of it")
    diff.add_argument("run_b", metavar="RUN_B", help="the run to compare it with")
    _add_common(diff)

    show = commands.add_parser("show", help="one run as a tree and timeline, the failure marked")
    show.add_argument(
        "run_id", metavar="RUN_ID", help="the run_id, or a unique prefix of it (8 characters is enough)"
    )
    _add_common(show)
    show.add_argument(
        "--html", metavar="PATH", help="also write a self-contained HTML page with the run's view"
    )

    report = commands.add_parser(
        "report", help="one self-contained HTML page for a whole log: runs, run views, charts"
    )
    report.add_argument(
        "files", nargs="+", metavar="FILE", help="log files, directories, .gz files, or - for stdin"
    )
    report.add_argument("-o", "--output", required=True, metavar="PATH", help="where to write the page")
    report.add_argument(
        "--max-views",
        type=int,
        default=DEFAULT_MAX_VIEWS,
        metavar="N",
        help="runs given a full run view, failed ones first (default: %(default)s)",
    )

    stats = commands.add_parser(
        "stats",
        help="per tool and per model: calls, errors, latency percentiles, tokens; --by: per group of runs",
        by_hint=by_hint,
    )
    _add_common(stats)
    _add_by(stats)
    _add_run_filters(stats)

    slo = commands.add_parser(
        "slo",
        help="check objectives (completion, latency, tool error rate): exit 1 when one is missed",
        by_hint=by_hint,
    )
    _add_common(slo)
    _add_slo_arguments(slo)

    compare = commands.add_parser(
        "compare",
        help="two groups of runs side by side (prompt_version v7 against v8): what changed beyond chance",
        usage="agentlog compare FILE... --by KEY [A B] [--since TIME] [--until TIME] [--json]",
        by_hint=by_hint,
    )
    _add_common(compare)
    compare.add_argument(
        "--by",
        nargs="+",
        required=True,
        metavar=("KEY", "A B"),
        help="a metadata key (prompt_version) or user, session, service, model, tool; then the two"
        " values to compare (A first), unless the key has only two",
    )
    compare.add_argument(
        "--since",
        type=_moment,
        metavar="TIME",
        help="runs started at or after (2026-11-22T03:00:00Z, or 2h, 30m, 1d ago)",
    )
    compare.add_argument("--until", type=_moment, metavar="TIME", help="runs started before")

    validate = commands.add_parser("validate", help="check lines against the published JSON Schema")
    _add_common(validate)
    validate.add_argument("--max-errors", type=int, default=20, help="errors to print (default: %(default)s)")
    return parser


def _print_json(document: Any, out: IO[str], default: Callable[[Any], Any] | None = None) -> None:
    out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2, default=default).decode() + "\n")


def _report_counts(counts: Counts, err: IO[str]) -> None:
    for message in reading_problems(counts):
        print(message, file=err)


def _cmd_runs(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    chosen = _run_filter(args)
    with spooled_stdin(args.files) as files:
        counts = Counts()
        builder = runs_of_files(files, counts, chosen, tools=bool(args.tool), errors=bool(args.error_class))
    selected = select_runs(
        builder.summaries(),
        status=chosen.status,
        failed=chosen.failed,
        since=chosen.since,
        until=chosen.until,
        user=chosen.user,
        service=chosen.service,
        session=chosen.session,
        request=chosen.request,
        tool=chosen.tool,
        error_class=chosen.error_class,
        meta=chosen.meta,
        min_duration_ms=chosen.min_duration_ms,
        sort=args.sort,
        limit=args.limit,
    )
    if args.json:
        # Tools and error classes come from lines read only for --tool and --error-class.
        unread = {"tools"} - ({"tools"} if args.tool else set())
        unread |= {"error_classes"} - ({"error_classes"} if args.error_class else set())
        rows = [{key: value for key, value in run.as_dict().items() if key not in unread} for run in selected]
        out.write(inert_json(rows) + "\n")
    else:
        print(runs_table(selected, style_for(args.color, out)), file=out)
    _report_counts(counts, err)
    if builder.uncounted:
        print(
            f"agentlog: too many runs open at once: {builder.uncounted} unfinished runs"
            " are counted only up to then (their steps, calls and tokens are lower bounds)",
            file=err,
        )
    return 0


def _add_run_filters(parser: argparse.ArgumentParser) -> None:
    """The filters `runs` and `tail` share."""
    parser.add_argument(
        "--status", choices=OUTCOMES, help="only runs that ended so, or unfinished ones (no run_finished)"
    )
    parser.add_argument(
        "--failed",
        action="store_true",
        help="only runs that failed or recovered from a failure (errors >= 1)",
    )
    parser.add_argument(
        "--since", type=_moment, help="runs started at or after (2026-11-22T03:00:00Z, or 2h, 30m, 1d ago)"
    )
    parser.add_argument("--until", type=_moment, help="runs started before")
    parser.add_argument("--user", help="only this user's runs")
    parser.add_argument("--service", help="only this service's runs")
    parser.add_argument("--session", help="only runs of this session_id")
    parser.add_argument("--request", help="only runs of this request_id")
    parser.add_argument("--tool", help="only runs that called this tool")
    parser.add_argument(
        "--error-class", help="only runs where a call, a step or the run failed with this class"
    )
    parser.add_argument(
        "--meta",
        type=_meta,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="only runs whose metadata has KEY=VALUE (repeat for more)",
    )
    parser.add_argument(
        "--min-duration",
        type=_duration,
        metavar="DURATION",
        help="only runs that took at least this (2s, 500ms)",
    )


def _run_filter(args: argparse.Namespace) -> RunFilter:
    return RunFilter(
        status=args.status,
        failed=args.failed,
        since=args.since,
        until=args.until,
        user=args.user,
        service=args.service,
        session=args.session,
        request=args.request,
        tool=args.tool,
        error_class=args.error_class,
        meta=tuple(args.meta),
        min_duration_ms=args.min_duration,
    )


def _meta(text: str) -> tuple[str, str]:
    pair = parse_meta(text)
    if pair is None:
        raise argparse.ArgumentTypeError(f"not KEY=VALUE: '{safe(text)}'")
    return pair


def _duration(text: str) -> float:
    duration = parse_duration(text)
    if duration is None:
        raise argparse.ArgumentTypeError(f"not a duration: '{safe(text)}' (use 500ms, 2s, 1.5m, 1h)")
    return duration


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0.01 <= seconds <= 3600:
        raise argparse.ArgumentTypeError(f"not a number of seconds between 0.01 and 3600: '{safe(text)}'")
    return seconds


def _cmd_tail(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from ._explorer.follow import DirectoryFollower, FileFollower, Ledger, StreamFollower, Tail, is_compressed

    chosen = _run_filter(args)
    ledger = Ledger()  # one for all: a file named twice, or renamed from one name to another, is read once
    followers: list[FileFollower | StreamFollower] = []
    directories = []
    names = [name for name in dict.fromkeys(args.files) if name == "-" or not os.path.isdir(name)]
    for name in expand_inputs(names):
        if name == "-":
            followers.append(StreamFollower())
        elif is_compressed(name):
            print(
                f"agentlog: {safe(name)} is compressed: tail follows plain files (read it with runs)",
                file=err,
            )
            return 2
        else:
            followers.append(FileFollower(name, from_start=args.from_start, ledger=ledger))
    for name in dict.fromkeys(args.files):
        if name != "-" and os.path.isdir(name):  # listed again as files come and go
            directories.append(DirectoryFollower(name, from_start=args.from_start, ledger=ledger))
    style = style_for(args.color, out)
    tail = Tail(followers, chosen, directories)
    try:
        if not args.from_start:
            tail.prime()
        for event in tail.events(args.interval):
            _print_event(event, args.json, style, out, err)
    except KeyboardInterrupt:
        pass  # Ctrl-C: the way out of following
    finally:
        tail.close()
    if chosen.status == "unfinished":
        for event in tail.unfinished():
            _print_event(event, args.json, style, out, err)
    return 0


def _print_event(
    event: Failure | Finished | Notice, as_json: bool, style: Style, out: IO[str], err: IO[str]
) -> None:
    from ._explorer.follow import Finished, Notice
    from ._explorer.views import failure_line, run_line

    if isinstance(event, Notice):
        print(f"agentlog: {safe(event.message)}", file=err)
        return
    if as_json:
        out.write(inert_json(event.as_dict(), indent=False) + "\n")
    elif isinstance(event, Finished):
        out.write(run_line(event.run, style) + "\n")
    else:
        out.write(failure_line(event, style) + "\n")
    out.flush()


def _cmd_diff(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from ._explorer.diff import diff_runs, find_run
    from ._explorer.views import diff_text

    prefixes = []
    for given in (args.run_a, args.run_b):
        prefix = given.strip().lower()
        if len(prefix) < 4 or not _RUN_ID_PREFIX.fullmatch(prefix):
            print(
                f"agentlog: not a run_id or a prefix of one (4 or more hex digits): {safe(given)!r}", file=err
            )
            if os.path.exists(given):
                print("agentlog: the two runs come first: agentlog diff RUN_A RUN_B FILE...", file=err)
            return 2
        prefixes.append(prefix)
    with spooled_stdin(args.files) as files:
        counts = Counts()
        trees = []
        for index, prefix in enumerate(prefixes):
            found = find_run(files, prefix, counts if index == 0 else Counts())
            if found.tree is None and not found.candidates:
                print(f"agentlog: no run matches {safe(prefix)!r}", file=err)
                _report_counts(counts, err)
                return 1
            if found.tree is None:
                print(
                    f"agentlog: {safe(prefix)!r} matches {len(found.candidates)} runs; give more characters:",
                    file=err,
                )
                for candidate in found.candidates:
                    print(f"  {safe(candidate)}", file=err)
                return 2
            trees.append(found.tree)
    diff = diff_runs(trees[0], trees[1])
    if args.json:
        out.write(inert_json(diff.as_dict()) + "\n")
    else:
        print(diff_text(diff, style_for(args.color, out)), file=out)
    _report_counts(counts, err)
    return 0


def _cmd_show(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from ._explorer.html import html_page
    from ._explorer.text import show_text
    from ._explorer.tree import build_tree, trace_lines

    prefix = args.run_id.strip().lower()
    if len(prefix) < 4 or not _RUN_ID_PREFIX.fullmatch(prefix):
        print("agentlog: give at least 4 characters of a run_id (hex digits and dashes)", file=err)
        return 2
    with spooled_stdin(args.files) as files:
        counts = Counts()
        lines = collect_run(files, run_id_needle(prefix), counts, unique=len(prefix) == _RUN_ID_LENGTH)
        candidates = matching_run_ids(lines, prefix)
        if not candidates:
            print(f"agentlog: no run matches {safe(prefix)!r}", file=err)
            _report_counts(counts, err)
            return 1
        if len(candidates) > 1 and prefix not in candidates:
            print(
                f"agentlog: {safe(prefix)!r} matches {len(candidates)} runs; give more characters:", file=err
            )
            for candidate in candidates:
                print(f"  {safe(candidate)}", file=err)
            return 2
        run_id = prefix if prefix in candidates else candidates[0]
        tree = build_tree(trace_lines(lines, run_id), run_id)
        if args.json:
            out.write(inert_json(tree.as_dict()) + "\n")
        else:
            print(show_text(tree, style_for(args.color, out)), file=out)
        if args.html:
            if not _write_page(args.html, html_page(tree), err):
                return 2
            if not args.json:
                print(f"wrote {safe(args.html)}", file=out)
        _report_counts(counts, err)
        return 0


def _write_page(path: str, page: str, err: IO[str]) -> bool:
    """Write *page* to *path*; False (the reason printed) when it cannot be written."""
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(page)
    except OSError as exc:
        print(f"agentlog: cannot write {safe(path)}: {safe(exc.strerror or exc)}", file=err)
        return False
    return True


def _cmd_report(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from ._explorer.html import build_report

    if args.max_views < 0:
        print("agentlog: --max-views must be 0 or more", file=err)
        return 2
    with spooled_stdin(args.files) as files:
        counts = Counts()
        page = build_report(files, counts, args.max_views)
    if not _write_page(args.output, page, err):
        return 2
    print(f"wrote {safe(args.output)} ({len(page.encode()) / 1e6:.1f} MB)", file=out)
    _report_counts(counts, err)
    return 0


def _cmd_stats(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from ._explorer.stats import stats_of_files
    from ._explorer.text import stats_text

    if args.by:
        return _cmd_stats_by(args, out, err)
    if _run_filter(args) != RunFilter():
        print("agentlog: --since, --until, --user and the other run filters are for stats --by KEY", file=err)
        return 2
    counts = Counts()
    stats = stats_of_files(args.files, counts)
    if args.json:
        _print_json(stats, out)
    else:
        print(stats_text(stats, style_for(args.color, out)), file=out)
    _report_counts(counts, err)
    return 0


def _add_by(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--by",
        nargs="+",
        metavar="KEY",
        help="group runs by user, session, service, model, tool or a metadata key (several: each"
        " combination); after the files, or end the keys with --",
    )


def _add_slo_arguments(slo: argparse.ArgumentParser) -> None:
    """The objectives of `slo`, its window and grouping, and the filters known when a run starts."""
    slo.add_argument(
        "--completion",
        type=_given_percent,
        metavar="PCT",
        help="at least this %% of runs stop completed (99.5 or 99.5%%: a percentage, not a fraction)",
    )
    for quantile in (50, 95, 99):
        slo.add_argument(
            f"--latency-p{quantile}",
            type=_duration,
            metavar="DURATION",
            help=f"the p{quantile} of finished runs' latency is at most this (30s, 1500ms)",
        )
    slo.add_argument(
        "--error-rate", type=_percent, metavar="PCT", help="at most this %% of tool calls fail (0.5 or 0.5%%)"
    )
    slo.add_argument(
        "--window",
        type=_duration,
        metavar="DURATION",
        help="only runs started this long before --until, or before the newest run (7d, 2h)",
    )
    _add_by(slo)
    # Only what is known when a run starts: choosing runs by how they ended would bias the measure.
    slo.add_argument("--since", type=_moment, help="runs started at or after (2026-11-22T03:00:00Z, 2h)")
    slo.add_argument("--until", type=_moment, help="runs started before")
    slo.add_argument("--user", help="only this user's runs")
    slo.add_argument("--service", help="only this service's runs")
    slo.add_argument("--session", help="only runs of this session_id")
    slo.add_argument(
        "--meta", type=_meta, action="append", default=[], metavar="KEY=VALUE", help="only runs with it"
    )
    slo.set_defaults(status=None, failed=False, request=None, tool=None, error_class=None, min_duration=None)


def _percent(text: str) -> Fraction:
    from ._explorer.slo import parse_percent

    value = parse_percent(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"not a percentage from 0 to 100: '{safe(text)}'")
    return value


class _Percent(NamedTuple):
    """A percentage as read, and as typed (to tell 0.995 from 0.995%)."""

    value: Fraction
    text: str


def _given_percent(text: str) -> _Percent:
    return _Percent(_percent(text), text)


def _fraction_warning(option: str, given: _Percent) -> str | None:
    """A warning when *given* looks like a fraction of 1 (0.995) where a percentage is read; else None.

    A target below 1 % typed without ``%`` is far more often 99.5 % typed as
    0.995 than a real objective of 0.995 %.
    """
    text = given.text.strip()
    if text.endswith("%") or not 0 < given.value < Fraction(1, 100):
        return None
    meant = format((Decimal(text) * 100).normalize(), "f")
    return (
        f"{option} {safe(text)} means {safe(text)} %; did you mean {meant}? (write {safe(text)}% to keep it"
        " and silence this)"
    )


def _cmd_stats_by(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from ._explorer.facts import facts_of_files
    from ._explorer.groups import groups_text, stats_by

    with spooled_stdin(args.files) as files:
        counts = Counts()
        runs = facts_of_files(files, counts, _run_filter(args))
    by = list(dict.fromkeys(args.by))
    document = stats_by(runs, by)
    if args.json:
        out.write(inert_json(document) + "\n")
    else:
        print(groups_text(document, style_for(args.color, out)), file=out)
    _report_counts(counts, err)
    _report_absent_keys(runs, by, err)
    return 0


def _report_absent_keys(runs: Sequence[Any], by: Sequence[str], err: IO[str]) -> None:
    """Say which ``--by`` keys no run has (a typo, often): their groups are all None."""
    from ._explorer.groups import absent_keys, absent_text

    for key in absent_keys(runs, by):
        print(f"agentlog: {absent_text(key, runs)}", file=err)


def _cmd_slo(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from ._explorer import slo
    from ._explorer.facts import facts_of_files, select_facts

    objectives = []
    if args.completion is not None:
        objectives.append(slo.Objective(slo.COMPLETION, args.completion.value))
        warning = _fraction_warning("--completion", args.completion)
        if warning is not None:
            print(f"agentlog: {warning}", file=err)
    for quantile, fraction in slo.QUANTILES.items():
        limit = getattr(args, f"latency_p{quantile}")
        if limit is not None:
            # To the nanosecond: 3.7s is 3700 ms, not the float product 3700.0000000000005.
            objectives.append(slo.Objective(slo.LATENCY, Fraction(round(limit, 6)), fraction))
    if args.error_rate is not None:
        objectives.append(slo.Objective(slo.ERROR_RATE, args.error_rate))
    if not objectives:
        print(
            "agentlog: no objective given: --completion PCT, --latency-p95 DURATION (or p50, p99),"
            " --error-rate PCT",
            file=err,
        )
        return 2
    with spooled_stdin(args.files) as files:
        counts = Counts()
        every = facts_of_files(files, counts)
    window = slo.Window.of(every, args.window, args.since, args.until)
    runs = [run for run in select_facts(every, _run_filter(args)) if window.holds(run)]
    _report_counts(counts, err)
    if not runs:
        bounds = window.as_dict(runs)
        where = f" from {bounds['start'] or '?'} to {bounds['end'] or '?'}" if args.window else ""
        print(
            f"agentlog: no runs to measure{where} ({len(every)} runs read, none chosen):"
            " no objective can be met without data",
            file=err,
        )
        return 2
    by = list(dict.fromkeys(args.by or ()))
    _report_absent_keys(runs, by, err)
    report = slo.slo_report(runs, objectives, by, window)
    if args.json:
        out.write(inert_json(report) + "\n")
    else:
        print(slo.slo_text(report, style_for(args.color, out)), file=out)
    return 0 if report["met"] else 1


def _cmd_compare(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from ._explorer.compare import CompareError, compare_runs, compare_text
    from ._explorer.facts import facts_of_files

    if len(args.by) not in (1, 3):
        print(
            "agentlog: --by takes a KEY, or a KEY and the two values to compare (--by prompt_version v7 v8),"
            " after the files",
            file=err,
        )
        return 2
    window = RunFilter(since=args.since, until=args.until)
    counts = Counts()
    runs = facts_of_files(args.files, counts, window if window != RunFilter() else None)
    try:
        comparison = compare_runs(runs, args.by[0], *args.by[1:])
    except CompareError as exc:
        print(f"agentlog: {exc}", file=err)
        _report_counts(counts, err)
        return 2
    if args.json:
        out.write(inert_json(comparison.as_dict()) + "\n")
    else:
        print(compare_text(comparison, style_for(args.color, out)), file=out)
    _report_counts(counts, err)
    return 0  # a regression is a finding, not an error


def _cmd_validate(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from ._explorer.validate import JsonschemaMissingError, validate  # loads the schema: only when asked

    try:
        result = validate(args.files, args.max_errors)
    except JsonschemaMissingError:
        print("agentlog: validate needs jsonschema: python3 -m pip install jsonschema", file=err)
        return 2
    except OSError as exc:  # a file unreadable part way: a corrupt .gz, an I/O error
        print(f"agentlog: {safe(exc)}", file=err)
        return 2
    if args.json:
        _print_json(result.as_dict(), out)
    else:
        print(result.as_text(), file=out)
    return 1 if result.invalid else 0


_ID_ARGUMENTS = {"show": ("run_id",), "diff": ("run_a", "run_b")}


def _inputs_usable(args: argparse.Namespace, err: IO[str]) -> bool:
    """Whether every input can be read; if not, say which and why (and spot run IDs and files swapped).

    Shared by every command that reads files: a missing or unreadable input
    is an error (exit 2), not an empty answer.
    """
    problems = input_problems(getattr(args, "files", None) or [])
    for problem in problems:
        print(f"agentlog: {safe(problem)}", file=err)
    names = _ID_ARGUMENTS.get(args.command, ())
    swapped = [getattr(args, name) for name in names if os.path.exists(getattr(args, name))]
    missing_ids = [
        name for name in args.files if _RUN_ID_PREFIX.fullmatch(name.lower()) and not os.path.exists(name)
    ]
    if problems and swapped and missing_ids:
        usage = " ".join(name.upper() for name in names)
        print(
            f"agentlog: {safe(missing_ids[0])!r} looks like a run ID and {safe(swapped[0])!r} is a file: "
            f"the run comes first: agentlog {args.command} {usage} FILE...",
            file=err,
        )
    return not problems


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for one command that reads a log, and back on after.

    What the explorer builds (parsed lines, run summaries, counters) holds
    no reference cycles, so the collector frees nothing while a log is read;
    it only walks everything built so far again and again, which was a
    quarter of ``runs`` on a 1 GB log. Peak memory is the same without it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``agentlog`` command line; return its exit status."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    args = _build_parser(_by_hint(arguments)).parse_args(arguments)
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "demo":
            from ._demo import run_demo

            return run_demo(args.output, runs=args.runs, seed=args.seed, out=out)
        if args.command != "tail" and not _inputs_usable(args, err):  # tail waits for files, as tail -F
            return 2
        handler = {
            "runs": _cmd_runs,
            "tail": _cmd_tail,
            "diff": _cmd_diff,
            "show": _cmd_show,
            "report": _cmd_report,
            "stats": _cmd_stats,
            "slo": _cmd_slo,
            "compare": _cmd_compare,
            "validate": _cmd_validate,
        }[args.command]
        if args.command == "tail":  # runs for hours: it keeps the collector
            return handler(args, out, err)
        with _collector_paused():
            return handler(args, out, err)
    except BrokenPipeError:  # `agentlog show ... | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
