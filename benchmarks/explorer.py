"""The run explorer on a big, realistic log, side by side with DuckDB and grep.

A log is generated once into a temporary folder: a template of a few hundred
agent runs written by agentlog itself (several tools and models, failing and
recovering tool calls, failed and killed runs, child runs, metadata, and
structlog and stdlib lines inside the spans), repeated with fresh run and
trace IDs and a later date each time until the file has the size asked for.
On it, in interleaved rounds:

- ``agentlog stats`` and ``agentlog runs`` (the CLI's ``main``, in process,
  output to ``/dev/null``) against DuckDB's ``read_json`` with the equivalent
  SQL (all rows fetched into Python);
- ``agentlog show`` with an 8-character prefix (a subprocess, as a user runs
  it) against ``grep -F`` of the same prefix;
- each command's peak memory (the largest peak RSS of its processes, Linux)
  on the whole file and on its first half, so that growth with the file shows.

Run it alone with ``python benchmarks/explorer.py`` (or as part of
``nox -s bench``). ``BENCH_EXPLORER_BYTES`` sets the log's size (default
500 MB, which keeps ``nox -s bench`` within its time; ``0`` skips), and
``BENCH_EXPLORER_ROUNDS`` the rounds (default 3). The figure the project
quotes is for 1 GB::

    BENCH_EXPLORER_BYTES=1e9 python benchmarks/explorer.py

``BENCH_EXPLORER_PROFILE=stats`` (or ``runs``) prints where that command's
time goes under cProfile instead.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

LOG_BYTES = int(float(os.environ.get("BENCH_EXPLORER_BYTES", "5e8")))
ROUNDS = int(os.environ.get("BENCH_EXPLORER_ROUNDS", "3"))

TOOLS = ("search_docs", "fetch_url", "calculator", "lookup_order", "send_email", "sql_query")
MODELS = (("gpt-4o", "openai"), ("claude-sonnet-4", "anthropic"), ("gemini-2.0-flash", "google"))
_ID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}")


class ToolFailedError(RuntimeError):
    """A tool that failed (the agent recovers from some)."""


def _template(runs: int, seed: int) -> bytes:
    """The lines of *runs* agent runs, written by agentlog (in this process, to memory)."""
    import logging

    import agentlog
    from agentlog import events

    rng = random.Random(seed)
    buffer = io.BytesIO()
    agentlog.configure(output=buffer, service="support-agent", stdlib=True, level="debug")
    log = agentlog.get_logger("agent.loop")
    http = logging.getLogger("agent.http")
    killed: set[str] = set()

    def one_run(index: int, depth: int) -> None:
        user = f"u-{rng.randrange(60)}"
        metadata = {"prompt_version": rng.choice(("v6", "v7", "v7")), "region": rng.choice(("eu", "us"))}
        with agentlog.run(
            task={"ticket": index, "text": "customer asks about order " + str(index)},
            user_id=user,
            session_id=f"s-{index // 3}",
            request_id=f"req-{index:06d}",
            metadata=metadata,
        ) as run:
            if rng.random() < 0.01:
                killed.add(run.run_id)
            log.info("run accepted", queue_depth=rng.randrange(10))
            for step_number in range(rng.randrange(1, 6)):
                with agentlog.step("plan"), agentlog.llm_call(*rng.choice(MODELS)) as llm:
                    log.debug("prompt built", messages=rng.randrange(2, 30))
                    llm.set_usage(rng.randrange(200, 4000), rng.randrange(10, 600), "tool_calls")
                tool = rng.choice(TOOLS)
                try:
                    with (
                        agentlog.step("tool", tool=tool),
                        agentlog.tool_call(tool, {"q": rng.randrange(40), "step": step_number}) as call,
                    ):
                        http.info("GET /api/%s/%d", tool, rng.randrange(1000))
                        if rng.random() < 0.06:
                            raise ToolFailedError(f"{tool} upstream answered 503")
                        call.result = {"items": rng.randrange(5)}
                except ToolFailedError:
                    log.warning("tool failed, retrying another way", tool=tool)
                    events.decision("fallback", "retry", reason="tool error")
                    if rng.random() < 0.3:
                        raise
                if depth == 0 and rng.random() < 0.04:
                    one_run(index * 1000 + step_number, depth + 1)
            log.info("answer sent", chars=rng.randrange(100, 2000))

    for index in range(runs):
        with contextlib.suppress(ToolFailedError):
            one_run(index, 0)
    agentlog.configure(output=os.devnull)
    logging.getLogger().handlers.clear()
    lines = buffer.getvalue().splitlines(keepends=True)
    kept = [
        line
        for line in lines
        if not (b'"event":"run_finished"' in line and orjson.loads(line).get("run_id") in killed)
    ]
    return b"".join(kept)


def _stamp_day(day: int) -> bytes:
    return (datetime.date(2026, 1, 1) + datetime.timedelta(days=day)).isoformat().encode()


def make_log(path: Path, size: int, seed: int = 15) -> dict[str, Any]:
    """Write a log of about *size* bytes to *path*; its size, lines, runs and a run ID from the middle."""
    template = _template(400, seed)
    template = re.sub(rb'"timestamp":"\d{4}-\d\d-\d\d', b'"timestamp":"2026-01-01', template)
    pieces = _ID.split(template)
    ids = _ID.findall(template)
    runs_per_copy = template.count(b'"event":"run_started"')
    lines_per_copy = template.count(b"\n")
    written = copies = 0
    target = ""
    with open(path, "wb") as handle:
        while written < size:
            fresh = {old: os.urandom(len(old) // 2).hex().encode() for old in set(ids)}
            for old, new in fresh.items():
                if len(old) == 36:
                    text = new.decode()
                    fresh[old] = f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:32]}".encode()
            parts: list[bytes] = [pieces[0]]
            for old, piece in zip(ids, pieces[1:], strict=True):
                parts.append(fresh[old])
                parts.append(piece)
            block = b"".join(parts).replace(b'"timestamp":"2026-01-01', b'"timestamp":"' + _stamp_day(copies))
            if written >= size // 2 and not target:
                target = orjson.loads(block[: block.index(b"\n")])["run_id"]
            handle.write(block)
            written += len(block)
            copies += 1
    return {
        "file_bytes": written,
        "lines": lines_per_copy * copies,
        "runs": runs_per_copy * copies,
        "target_run_id": target,
    }


# -- what is timed -------------------------------------------------------------------------------

_COLUMNS = {
    "timestamp": "VARCHAR",
    "event": "VARCHAR",
    "free_form": "BOOLEAN",
    "run_id": "VARCHAR",
    "parent_run_id": "VARCHAR",
    "user_id": "VARCHAR",
    "service": "VARCHAR",
    "status": "VARCHAR",
    "stop_reason": "VARCHAR",
    "total_steps": "BIGINT",
    "tool_calls": "BIGINT",
    "llm_calls": "BIGINT",
    "errors": "BIGINT",
    "input_tokens": "BIGINT",
    "output_tokens": "BIGINT",
    "total_latency_ms": "DOUBLE",
    "tool": "VARCHAR",
    "tool_call_id": "VARCHAR",
    "args_hash": "VARCHAR",
    "latency_ms": "DOUBLE",
    "model": "VARCHAR",
}


def _source(path: str) -> str:
    """DuckDB's read_json of *path*, told the columns (its fastest form; auto-detection was no faster)."""
    columns = ", ".join(f"{name}: '{kind}'" for name, kind in _COLUMNS.items())
    return f"read_json('{path}', format='newline_delimited', ignore_errors=true, columns={{{columns}}})"


def _typed(events: str) -> str:
    """The SQL condition for agentlog's typed lines of *events* (a log message named alike is not one)."""
    return f"event IN ({events}) AND free_form IS NOT TRUE"


# The SQL is built from constants here (S608 looks only at the string building).
STATS_SQL = (
    "CREATE TEMP TABLE ev AS SELECT event, tool, status, latency_ms, model, input_tokens, output_tokens, "  # noqa: S608
    "stop_reason, run_id, tool_call_id, args_hash FROM {source} WHERE "
    + _typed("'tool_result', 'tool_call', 'llm_result', 'run_finished'"),
    "SELECT tool, count(*) AS calls, count(*) FILTER (status = 'error') AS errors, "
    "round(count(*) FILTER (status = 'error') / count(*), 4), quantile_disc(latency_ms, 0.5), "
    "quantile_disc(latency_ms, 0.95), quantile_disc(latency_ms, 0.99) "
    "FROM ev WHERE event = 'tool_result' GROUP BY tool ORDER BY calls DESC",
    "SELECT model, count(*) AS calls, sum(input_tokens), sum(output_tokens), quantile_disc(latency_ms, 0.5), "
    "quantile_disc(latency_ms, 0.95) FROM ev WHERE event = 'llm_result' GROUP BY model ORDER BY calls DESC",
    "SELECT stop_reason, count(*) AS n FROM ev WHERE event = 'run_finished' GROUP BY stop_reason ORDER BY n DESC",
    "SELECT tool, latency_ms, run_id, tool_call_id, status FROM ev WHERE event = 'tool_result' "
    "ORDER BY latency_ms DESC LIMIT 10",
    "SELECT run_id, tool, args_hash, count(*) AS n FROM ev WHERE event = 'tool_call' AND args_hash IS NOT NULL "
    "GROUP BY ALL HAVING n > 1 ORDER BY n DESC LIMIT 10",
)
"""What ``agentlog stats`` computes, in DuckDB: per tool, per model, stop reasons, slowest and repeated calls."""

RUNS_SQL = (
    "SELECT run_id, "  # noqa: S608
    + ", ".join(
        f"any_value({column}) FILTER (event = '{event}') AS {column}_{event}"
        for event, column in (
            ("run_started", "timestamp"),
            ("run_started", "user_id"),
            ("run_started", "parent_run_id"),
            ("run_started", "service"),
            ("run_finished", "timestamp"),
            ("run_finished", "status"),
            ("run_finished", "stop_reason"),
            ("run_finished", "total_steps"),
            ("run_finished", "tool_calls"),
            ("run_finished", "llm_calls"),
            ("run_finished", "errors"),
            ("run_finished", "input_tokens"),
            ("run_finished", "output_tokens"),
            ("run_finished", "total_latency_ms"),
        )
    )
    + " FROM {source} WHERE "
    + _typed("'run_started', 'run_finished'")
    + " GROUP BY run_id ORDER BY timestamp_run_started DESC",
)
"""What ``agentlog runs`` lists (one row per run, newest first), in DuckDB."""


def _driver(kind: str, path: str) -> dict[str, float]:
    """In this (fresh) process: time one contender's work on *path*, imports left out; its peak memory."""
    import resource

    if kind.startswith("duckdb-"):
        import duckdb

        statements = STATS_SQL if kind == "duckdb-stats" else RUNS_SQL
        connection = duckdb.connect()
        started = time.perf_counter()
        for statement in statements:
            connection.execute(statement.format(source=_source(path))).fetchall()
        seconds = time.perf_counter() - started
    else:
        from agentlog.cli import main

        command = kind.removeprefix("agentlog-")
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            started = time.perf_counter()
            code = main([command, path, "--json"])
            seconds = time.perf_counter() - started
        assert code == 0, f"agentlog {command} exited {code}"
    # VmHWM, not ru_maxrss: that one also counts the process it was forked from before exec.
    with open("/proc/self/status") as status:
        own = next(int(row.split()[1]) for row in status if row.startswith("VmHWM:"))
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # forked from this one: fair
    return {"seconds": seconds, "peak_rss_mb": max(own, workers) / 1024}


def _in_process(kind: str, path: str) -> dict[str, float]:
    """`_driver` in a fresh Python, so that each measurement starts cold and its memory is its own."""
    done = subprocess.run(
        [sys.executable, __file__, "--driver", kind, path], capture_output=True, check=True, timeout=1800
    )
    return json.loads(done.stdout.decode().strip().splitlines()[-1])  # type: ignore[no-any-return]


def _wall(command: list[str]) -> float:
    """Seconds one command takes, start to end, as a person at a terminal waits for it."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        subprocess.run(command, stdout=out, stderr=subprocess.DEVNULL, check=False, timeout=1800)
    return time.perf_counter() - started


def _summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def _half_of(path: Path) -> Path:
    """The first half of the log at *path* (cut at a line), for memory against file size."""
    half = path.with_name("half.jsonl")
    size = path.stat().st_size // 2
    with open(path, "rb") as source, open(half, "wb") as target:
        target.write(source.read(size))
        target.write(source.readline())
    return half


def _duckdb_available() -> bool:
    try:
        import duckdb  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def _generated_log(size: int) -> Iterator[tuple[Path, dict[str, Any]]]:
    folder = Path(tempfile.mkdtemp(prefix="agentlog-explorer-bench-"))
    try:
        path = folder / "agent.jsonl"
        facts = make_log(path, size)
        subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # page cache, for everyone
        yield path, facts
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(size: int = LOG_BYTES, rounds: int = ROUNDS) -> dict[str, Any]:
    """The explorer against DuckDB and grep on a generated log of about *size* bytes; {} when size is 0."""
    if size <= 0:
        return {}
    duckdb = _duckdb_available()
    with _generated_log(size) as (path, facts):
        prefix = facts["target_run_id"][:8]
        timings: dict[str, list[float]] = {}
        memory: dict[str, float] = {}
        contenders: list[tuple[str, Callable[[], float]]] = []
        for command in ("stats", "runs"):
            kinds = [f"agentlog-{command}"] + ([f"duckdb-{command}"] if duckdb else [])
            for kind in kinds:

                def timed(kind: str = kind) -> float:
                    figures = _in_process(kind, str(path))
                    memory[kind] = max(memory.get(kind, 0.0), figures["peak_rss_mb"])
                    return figures["seconds"]

                contenders.append((kind, timed))
        contenders.append(("grep -F (8 characters)", lambda: _wall(["grep", "-F", prefix, str(path)])))
        agentlog_cli = [sys.executable, "-m", "agentlog"]
        contenders.append(
            ("agentlog show (8 characters)", lambda: _wall([*agentlog_cli, "show", prefix, str(path)]))
        )
        for _ in range(rounds):  # interleaved, so that drift on a shared machine hits every contender alike
            for name, run in contenders:
                timings.setdefault(name, []).append(run())
        half = _half_of(path)
        half_memory = {
            kind: _in_process(kind, str(half))["peak_rss_mb"] for kind in ("agentlog-stats", "agentlog-runs")
        }
    result: dict[str, Any] = {
        **facts,
        "rounds": rounds,
        "seconds": {k: _summary(v) for k, v in timings.items()},
    }
    result["peak_rss_mb"] = memory
    result["peak_rss_mb_half_file"] = half_memory
    return result


def report(figures: dict[str, Any]) -> None:
    """Print the figures of `measure` as a table, with the ratios the explorer is held to."""
    if not figures:
        return
    seconds = figures["seconds"]
    print(
        f"\nexplorer on a {figures['file_bytes'] / 1e9:.2f} GB log ({figures['lines']:,} lines, {figures['runs']:,} runs); "
        f"seconds, median (min-max) over {figures['rounds']} interleaved rounds"
    )
    print(f"{'contender':<32}{'median':>9}{'min':>9}{'max':>9}{'peak MB':>10}{'half file':>11}")
    for name, row in seconds.items():
        rss = figures["peak_rss_mb"].get(name)
        half = figures["peak_rss_mb_half_file"].get(name)
        print(
            f"{name:<32}{row['median']:>9.3f}{row['min']:>9.3f}{row['max']:>9.3f}"
            f"{'' if rss is None else f'{rss:.0f}':>10}{'' if half is None else f'{half:.0f}':>11}"
        )
    for command in ("stats", "runs"):
        ours, theirs = seconds.get(f"agentlog-{command}"), seconds.get(f"duckdb-{command}")
        if ours and theirs:
            print(
                f"agentlog {command} / DuckDB read_json: {ours['median'] / theirs['median']:.2f}x (below 1: faster)"
            )
    show, grep = seconds["agentlog show (8 characters)"], seconds["grep -F (8 characters)"]
    print(f"agentlog show (8 characters) / grep -F: {show['median'] / grep['median']:.2f}x (held to 2x)")


def profile(command: str, size: int) -> None:
    """Print where ``agentlog COMMAND`` spends its time on a generated log, under cProfile."""
    import cProfile
    import pstats

    from agentlog.cli import main

    with _generated_log(size) as (path, _):
        profiler = cProfile.Profile()
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            profiler.runcall(main, [command, str(path), "--json"])
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--driver"]:
        print(json.dumps(_driver(sys.argv[2], sys.argv[3])))
    elif os.environ.get("BENCH_EXPLORER_PROFILE"):
        profile(os.environ["BENCH_EXPLORER_PROFILE"], LOG_BYTES)
    else:
        figures = measure()
        report(figures)
        target = os.environ.get("BENCH_JSON")
        if target:
            Path(target).write_text(json.dumps({"explorer": figures}, indent=2))
