"""The ``agentlog`` command: demo, runs, show, stats, validate.

Argument parsing and dispatch only: the work is done by `agentlog._explorer`
(see its docstring for the data flow), the demo by `agentlog._demo`.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import IO, Any

import orjson

from ._explorer.html import DEFAULT_MAX_VIEWS, build_report, html_page
from ._explorer.reader import Counts, collect_run, read_lines, run_id_needle, spooled_stdin
from ._explorer.runs import RUN_NEEDLES, TOOL_NEEDLES, matching_run_ids, select_runs, summarize_runs
from ._explorer.stats import STATS_NEEDLES, compute_stats
from ._explorer.text import reading_problems, runs_table, safe, show_text, stats_text, style_for
from ._explorer.times import parse_moment
from ._explorer.tree import build_tree, trace_lines
from ._explorer.views import inert_json
from ._version import __version__
from ._vocabulary import ERROR, OK

__all__ = ["main"]

_RUN_ID_PREFIX = re.compile(r"[0-9a-f-]+")
_RUN_ID_LENGTH = 36  # a UUID with its dashes


def _moment(text: str) -> float:
    """An absolute RFC 3339 time, or a relative one like ``2h`` (that long ago)."""
    moment = parse_moment(text, time.time())
    if moment is None:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (use 2026-11-22T03:00:00Z or 2h, 30m, 1d)")
    return moment


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


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agentlog", description="Debuggable logs for AI-agent runs.")
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
    runs.add_argument("--status", choices=(OK, ERROR), help="only runs that ended so")
    runs.add_argument(
        "--since", type=_moment, help="runs started at or after (2026-11-22T03:00:00Z, or 2h, 30m, 1d ago)"
    )
    runs.add_argument("--until", type=_moment, help="runs started before")
    runs.add_argument("--user", help="only this user's runs")
    runs.add_argument("--service", help="only this service's runs")
    runs.add_argument("--tool", help="only runs that called this tool")
    runs.add_argument("--limit", type=int, default=0, help="at most this many rows")

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
        "stats", help="per tool and per model: calls, errors, latency percentiles, tokens"
    )
    _add_common(stats)

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
    counts = Counts()
    needles = RUN_NEEDLES + (TOOL_NEEDLES if args.tool else ())
    runs = summarize_runs(read_lines(args.files, counts, needles, count_all=True))
    selected = select_runs(
        runs,
        status=args.status,
        since=args.since,
        until=args.until,
        user=args.user,
        service=args.service,
        tool=args.tool,
        limit=args.limit,
    )
    if args.json:
        _print_json([run.as_dict() for run in selected], out)
    else:
        print(runs_table(selected, style_for(args.color, out)), file=out)
    _report_counts(counts, err)
    return 0


def _cmd_show(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
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
    counts = Counts()
    stats = compute_stats(read_lines(args.files, counts, STATS_NEEDLES, count_all=True))
    if args.json:
        _print_json(stats, out)
    else:
        print(stats_text(stats, style_for(args.color, out)), file=out)
    _report_counts(counts, err)
    return 0


def _cmd_validate(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from ._explorer.validate import JsonschemaMissingError, validate  # loads the schema: only when asked

    try:
        result = validate(args.files, args.max_errors)
    except JsonschemaMissingError:
        print("agentlog: validate needs jsonschema: python3 -m pip install jsonschema", file=err)
        return 2
    if args.json:
        _print_json(result.as_dict(), out)
    else:
        print(result.as_text(), file=out)
    return 1 if result.invalid else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``agentlog`` command line; return its exit status."""
    args = _build_parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "demo":
            from ._demo import run_demo

            return run_demo(args.output, runs=args.runs, seed=args.seed, out=out)
        handler = {
            "runs": _cmd_runs,
            "show": _cmd_show,
            "report": _cmd_report,
            "stats": _cmd_stats,
            "validate": _cmd_validate,
        }[args.command]
        return handler(args, out, err)
    except BrokenPipeError:  # `agentlog show ... | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
