"""The ``agentlog`` command: demo, runs, show, stats, validate."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import IO, Any

import orjson

from ._explore import build_tree, compute_stats, epoch, summarize_runs
from ._reader import Counts, collect_run, expand_inputs, read_lines
from ._report import Style, html_page, runs_table, safe, show_text, stats_text

__all__ = ["main"]

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _moment(text: str) -> float:
    """An absolute RFC 3339 time, or a relative one like ``2h`` (that long ago)."""
    relative = _RELATIVE.match(text.strip())
    if relative:
        return time.time() - float(relative.group(1)) * _UNITS[relative.group(2)]
    moment = epoch(text if "T" in text else f"{text}T00:00:00Z")
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
    runs.add_argument("--status", choices=("ok", "error"), help="only runs that ended so")
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
        "--html", metavar="PATH", help="also write a self-contained HTML page with the run's waterfall"
    )

    stats = commands.add_parser(
        "stats", help="per tool and per model: calls, errors, latency percentiles, tokens"
    )
    _add_common(stats)

    validate = commands.add_parser("validate", help="check lines against the published JSON Schema")
    _add_common(validate)
    validate.add_argument("--max-errors", type=int, default=20, help="errors to print (default: %(default)s)")
    return parser


def _style(args: argparse.Namespace, stream: IO[str]) -> Style:
    if args.color == "always":
        return Style(True)
    if args.color == "never" or os.environ.get("NO_COLOR"):
        return Style(False)
    return Style(stream.isatty())


def _report_counts(counts: Counts, err: IO[str]) -> None:
    for problem in counts.problems:
        print(f"agentlog: {safe(problem)}", file=err)
    if counts.skipped:
        print(f"agentlog: {counts.skipped} lines skipped (not agentlog JSON)", file=err)


def _spool_stdin(files: list[str]) -> tuple[list[str], Any]:
    """Commands that read twice copy stdin to a temporary file first."""
    if "-" not in files:
        return files, None
    spool = tempfile.NamedTemporaryFile(prefix="agentlog-stdin-", suffix=".jsonl", delete=False)  # noqa: SIM115
    with spool:
        shutil.copyfileobj(sys.stdin.buffer, spool)
    return [spool.name if name == "-" else name for name in files], spool


def _cmd_runs(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    counts = Counts()
    needles = (b"run_started", b"run_finished") + ((b"tool_call",) if args.tool else ())
    runs = summarize_runs(read_lines(args.files, counts, needles, count_all=True))
    selected = []
    for run in runs:
        started = epoch(run.started)
        if args.status and run.status != args.status:
            continue
        if args.since is not None and (started is None or started < args.since):
            continue
        if args.until is not None and (started is None or started >= args.until):
            continue
        if args.user and run.user_id != args.user:
            continue
        if args.service and run.service != args.service:
            continue
        if args.tool and args.tool not in run.tools:
            continue
        selected.append(run)
    selected.sort(key=lambda run: epoch(run.started) or 0.0, reverse=True)
    if args.limit:
        selected = selected[: args.limit]
    if args.json:
        out.write(
            orjson.dumps([run.as_dict() for run in selected], option=orjson.OPT_INDENT_2).decode() + "\n"
        )
    else:
        print(runs_table(selected, _style(args, out)), file=out)
    _report_counts(counts, err)
    return 0


def _cmd_show(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    prefix = args.run_id.strip().lower()
    if len(prefix) < 4 or not re.fullmatch(r"[0-9a-f-]+", prefix):
        print("agentlog: give at least 4 characters of a run_id (hex digits and dashes)", file=err)
        return 2
    files, spool = _spool_stdin(args.files)
    try:
        counts = Counts()
        needle = b'run_id":"' + prefix.encode()  # matches run_id and parent_run_id, in every profile
        lines = collect_run(files, needle, counts, unique=len(prefix) == 36)
        candidates = sorted(
            {str(line["run_id"]) for line in lines if str(line.get("run_id", "")).startswith(prefix)}
        )
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
        trace_id = next((line.get("trace_id") for line in lines if line.get("run_id") == run_id), None)
        lines = [line for line in lines if line.get("trace_id") == trace_id or line.get("run_id") == run_id]
        tree = build_tree(lines, run_id)
        if args.json:
            document = {
                "run_id": run_id,
                "status": tree.status,
                "stop_reason": tree.stop_reason,
                "failure": _failure_dict(tree),
                "runs": [run.as_dict() for run in tree.runs],
                "tree": tree.root.as_dict(),
            }
            out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")
        else:
            print(show_text(tree, _style(args, out)), file=out)
        if args.html:
            with open(args.html, "w", encoding="utf-8") as page:
                page.write(html_page(tree))
            if not args.json:
                print(f"wrote {safe(args.html)}", file=out)
        _report_counts(counts, err)
        return 0
    finally:
        if spool is not None:
            os.unlink(spool.name)


def _failure_dict(tree: Any) -> dict[str, Any] | None:
    node = tree.failure
    if node is None:
        return None
    return {
        "kind": node.kind,
        "run_id": node.run_id,
        "step_id": node.line.get("step_id"),
        "tool": node.line.get("tool"),
        "tool_call_id": node.line.get("tool_call_id"),
        "model": node.line.get("model"),
        "step_type": node.line.get("step_type"),
        "error_class": node.error_class,
        "error_message": node.error_message,
        "latency_ms": node.latency_ms,
        "timestamp": node.timestamp,
    }


def _cmd_stats(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    counts = Counts()
    needles = (b"tool_result", b"tool_call", b"llm_result", b"run_finished")
    stats = compute_stats(read_lines(args.files, counts, needles, count_all=True))
    if args.json:
        out.write(orjson.dumps(stats, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        print(stats_text(stats, _style(args, out)), file=out)
    _report_counts(counts, err)
    return 0


def _cmd_validate(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    try:
        import jsonschema
    except ImportError:
        print("agentlog: validate needs jsonschema: pip install 'agentlog[validate]'", file=err)
        return 2
    from ._reader import _open, _raw_lines, parse
    from ._schema import event_schema

    validator = jsonschema.Draft202012Validator(event_schema())
    checked = invalid = 0
    messages: list[str] = []
    for name in expand_inputs(args.files):
        stream = _open(name)
        try:
            for number, raw in enumerate(_raw_lines(stream, ()), start=1):
                if not raw.strip():
                    continue
                checked += 1
                line = parse(raw)
                problem = "not an agentlog JSON line" if line is None else None
                if line is not None:
                    error = jsonschema.exceptions.best_match(validator.iter_errors(line))
                    if error is not None:
                        where = "/".join(str(p) for p in error.absolute_path) or "(line)"
                        problem = f"{where}: {error.message}"
                if problem is not None:
                    invalid += 1
                    if len(messages) < args.max_errors:
                        messages.append(f"{name}:{number}: {safe(problem, 200)}")
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
    if args.json:
        document = {"checked": checked, "invalid": invalid, "errors": messages}
        out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        for message in messages:
            print(message, file=out)
        print(f"{checked} lines checked, {invalid} invalid", file=out)
    return 1 if invalid else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``agentlog`` command line; return its exit status."""
    args = _build_parser().parse_args(argv)
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "demo":
            from ._demo import run_demo

            return run_demo(args.output, runs=args.runs, seed=args.seed, out=out)
        handler = {"runs": _cmd_runs, "show": _cmd_show, "stats": _cmd_stats, "validate": _cmd_validate}[
            args.command
        ]
        return handler(args, out, err)
    except BrokenPipeError:  # `agentlog show ... | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
