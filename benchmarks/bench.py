"""agentlog against its peers, in one process, in interleaved rounds.

Run it with ``nox -s bench`` (or ``python benchmarks/bench.py``). Every
contender writes the same logical ``tool_result`` event — event, level, UTC
timestamp, run_id, trace_id, step_id, tool_call_id, tool, latency_ms, status —
as one JSON line to /dev/null. Rounds are interleaved (A B C … A B C …) so
that drift on a shared machine hits every contender alike; the figures are the
median (and min/max) over rounds, in nanoseconds per event, with each
contender's ratio to the floor and to structlog's fastest configuration.

Environment: BENCH_ROUNDS (default 15), BENCH_EVENTS (events per round,
default 20000), BENCH_EXPLORER_BYTES and BENCH_EXPLORER_ROUNDS (the run
explorer's log and rounds: see benchmarks/explorer.py), BENCH_JSON (write the results there),
BENCH_PROFILE (a contender's name, or part of it: profile that one contender
under cProfile and print where its time goes, instead of the tables),
BENCH_ADAPTER_ROUNDS (rounds per framework adapter, default 5; 0 skips them).

The framework adapters' overhead comes from ``benchmarks/adapters``: each
framework's own offline agent run, timed alone and with its agentlog adapter
in alternating rounds.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import hashlib
import json
import logging
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import structlog

import agentlog
from agentlog import events

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "20000"))
ADAPTER_ROUNDS = int(os.environ.get("BENCH_ADAPTER_ROUNDS", "5"))
ADAPTERS = (
    "openai_agents",
    "langchain",
    "pydantic_ai",
    "otel_genai",
    "smolagents",
    "llama_index",
    "strands",
    "google_adk",
)

IDS = {
    "run_id": "6f1c2b9e-8d3a-4c1e-9b7a-2e5d4c3b2a10",
    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    "step_id": 3,
    "tool_call_id": "call_abc123",
}
TOOL, LATENCY, STATUS = "search_docs", 12.5, "ok"
ARGS_1K = {
    "query": "how do refunds work for unopened items bought in a store " * 3,
    "filters": {"locale": "en-US", "channels": ["web", "store", "phone"], "since": "2026-01-01"},
    "k": 8,
    "documents": [
        {"id": f"doc-{i}", "score": round(0.9 - i * 0.05, 3), "title": f"Refund policy part {i}"}
        for i in range(10)
    ],
}

Bench = Callable[[int], None]


def _null_fd() -> int:
    return os.open(os.devnull, os.O_WRONLY)


# -- the contenders ---------------------------------------------------------------------


def _clock() -> Callable[[], str]:
    """The timestamp as agentlog writes it: the current second's text cached, the microseconds appended.

    The floors use it so that they are compared like with like: formatting a
    ``datetime`` each time costs about twice as much.
    """
    cache = (-1, "")

    def now() -> str:
        nonlocal cache
        seconds, rest = divmod(time.time_ns(), 1_000_000_000)
        if seconds != cache[0]:
            cache = (seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)))
        return "%s.%06dZ" % (cache[1], rest // 1000)  # noqa: UP031 - as agentlog formats it

    return now


def floor() -> Bench:
    """orjson.dumps of a dict built from one ContextVar, plus one write; agentlog's timestamp."""
    ids: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("ids")
    ids.set(dict(IDS))
    fd = _null_fd()
    dumps, write, now = orjson.dumps, os.write, _clock()
    option = orjson.OPT_APPEND_NEWLINE

    def run(n: int) -> None:
        get = ids.get
        for _ in range(n):
            line: dict[str, Any] = {"event": "tool_result", "level": "info", "timestamp": now()}
            line.update(get())
            line["tool"], line["latency_ms"], line["status"] = TOOL, LATENCY, STATUS
            write(fd, dumps(line, option=option))

    return run


def floor_tool_call_pair() -> Bench:
    """What a scoped tool call must at least do: hash its 1 KiB arguments, write two lines (ns per pair)."""
    ids: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("pair_ids")
    ids.set(dict(IDS))
    fd = _null_fd()
    dumps, write, now, sha256 = orjson.dumps, os.write, _clock(), hashlib.sha256
    option, sort = orjson.OPT_APPEND_NEWLINE, orjson.OPT_SORT_KEYS

    def run(n: int) -> None:
        get = ids.get
        for _ in range(n):
            call: dict[str, Any] = {"event": "tool_call", "level": "info", "timestamp": now()}
            call.update(get())
            call["tool"], call["args_hash"] = (
                TOOL,
                "sha256:" + sha256(dumps(ARGS_1K, option=sort)).hexdigest(),
            )
            write(fd, dumps(call, option=option))
            result: dict[str, Any] = {"event": "tool_result", "level": "info", "timestamp": now()}
            result.update(get())
            result["tool"], result["latency_ms"], result["status"] = TOOL, LATENCY, STATUS
            write(fd, dumps(result, option=option))

    return run


def _structlog_with_ids(logger: Any) -> Bench:
    """Log tool results through a structlog *logger* in a context with the IDs bound."""
    logger = logger.bind()
    context = contextvars.copy_context()
    context.run(structlog.contextvars.bind_contextvars, **IDS)

    def body(n: int) -> None:
        info = logger.info
        for _ in range(n):
            info("tool_result", tool=TOOL, latency_ms=LATENCY, status=STATUS)

    return lambda n: context.run(body, n)


def structlog_fastest() -> Bench:
    """Structlog's documented fastest configuration, IDs bound with bind_contextvars."""
    return _structlog_with_ids(structlog_logger_fastest())


def structlog_logger_fastest() -> Any:
    """A logger in structlog's documented fastest configuration, writing to /dev/null."""
    return structlog.wrap_logger(
        structlog.BytesLogger(open(os.devnull, "wb")),
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    )


class _IdsFilter(logging.Filter):
    def __init__(self, ids: contextvars.ContextVar[dict[str, Any]]) -> None:
        super().__init__()
        self.ids = ids

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in self.ids.get().items():
            setattr(record, key, value)
        return True


def _stdlib_logger(
    name: str, formatter: logging.Formatter, ids: contextvars.ContextVar[dict[str, Any]]
) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.handlers.clear()
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115
    handler.setFormatter(formatter)
    handler.addFilter(_IdsFilter(ids))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def stdlib_python_json_logger() -> Bench:
    """Stdlib logging + python-json-logger, IDs added by a Filter from a ContextVar."""
    from pythonjsonlogger.json import JsonFormatter

    ids: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("pjl_ids")
    ids.set(dict(IDS))
    formatter = JsonFormatter(
        "%(levelname)s %(message)s", timestamp=True, rename_fields={"message": "event", "levelname": "level"}
    )
    logger = _stdlib_logger("bench.python_json_logger", formatter, ids)
    return _stdlib_run(logger)


def _stdlib_run(logger: logging.Logger) -> Bench:
    extra = {"tool": TOOL, "latency_ms": LATENCY, "status": STATUS}

    def run(n: int) -> None:
        info = logger.info
        for _ in range(n):
            info("tool_result", extra=extra)

    return run


class _HandRolled(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        for key in ("run_id", "trace_id", "step_id", "tool_call_id", "tool", "latency_ms", "status"):
            line[key] = getattr(record, key, None)
        return json.dumps(line, sort_keys=True)


def stdlib_hand_rolled() -> Bench:
    """Stdlib logging with extra= and json.dumps(sort_keys=True) (the pattern that hashes with SHA-256 too)."""
    ids: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("hand_ids")
    ids.set(dict(IDS))
    return _stdlib_run(_stdlib_logger("bench.hand_rolled", _HandRolled(), ids))


def loguru_serialize() -> Bench:
    """Loguru with serialize=True, IDs from contextualize()."""
    from loguru import logger as loguru_logger

    loguru_logger.remove()
    loguru_logger.add(open(os.devnull, "w"), serialize=True, level="INFO", format="{message}")  # noqa: SIM115

    def run(n: int) -> None:
        with loguru_logger.contextualize(**IDS):
            info = loguru_logger.info
            for _ in range(n):
                info("tool_result", tool=TOOL, latency_ms=LATENCY, status=STATUS)

    return run


def structlog_ecs_logging() -> Bench:
    """Structlog with elastic's ecs_logging.StructlogFormatter."""
    import ecs_logging

    logger = structlog.wrap_logger(
        structlog.WriteLogger(open(os.devnull, "w")),  # noqa: SIM115
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            ecs_logging.StructlogFormatter(),  # type: ignore[list-item]
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    )
    return _structlog_with_ids(logger)


def otel_span() -> Bench:
    """One OpenTelemetry SDK span per tool result (an exporter that keeps nothing)."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    class Discarding(SpanExporter):
        """Takes each span and keeps none, as a real exporter hands them off (no garbage piles up)."""

        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(Discarding()))
    tracer = provider.get_tracer("bench")
    attributes: dict[str, str] = {
        "gen_ai.tool.name": TOOL,
        "agentlog.run_id": str(IDS["run_id"]),
        "agentlog.status": STATUS,
    }

    def run(n: int) -> None:
        for _ in range(n):
            tracer.start_span("execute_tool search_docs", attributes=attributes).end()

    return run


def _agentlog_in_tool_call(fmt: str, body: Callable[[int], None], **options: Any) -> Bench:
    def run(n: int) -> None:
        agentlog.configure(output=os.devnull, format=fmt, **options)  # type: ignore[arg-type]
        with agentlog.run(task="bench"), agentlog.step("tool"), agentlog.tool_call(TOOL, {"q": 1}):
            body(n)

    return run


def agentlog_tool_result(fmt: str) -> Bench:
    """events.tool_result(...) inside a tool call scope."""

    def body(n: int) -> None:
        tool_result = events.tool_result
        for _ in range(n):
            tool_result(TOOL, latency_ms=LATENCY, status=STATUS)

    return _agentlog_in_tool_call(fmt, body)


def agentlog_tool_result_standalone() -> Bench:
    """events.tool_result(...) on its own inside a run: no tool call scope, its call ID given."""

    def run(n: int) -> None:
        agentlog.configure(output=os.devnull)
        with agentlog.run(task="bench"):
            tool_result = events.tool_result
            call_id = str(IDS["tool_call_id"])
            for _ in range(n):
                tool_result(TOOL, tool_call_id=call_id, latency_ms=LATENCY, status=STATUS)

    return run


def agentlog_events_pair() -> Bench:
    """An own loop's call: events.tool_call(...) then events.tool_result(...) by ID (ns per pair)."""

    def run(n: int) -> None:
        agentlog.configure(output=os.devnull)
        events.run_started(task="bench")
        events.agent_step("tool", tool=TOOL)
        tool_call, tool_result = events.tool_call, events.tool_result
        args = {"q": 1}
        for _ in range(n):
            call_id = tool_call(TOOL, args)
            tool_result(TOOL, tool_call_id=call_id, status=STATUS)
        events.run_finished()

    return run


def agentlog_scope(args: dict[str, Any]) -> Bench:
    """The agentlog.tool_call(...) scope with *args* to hash: its tool_call + tool_result pair (ns per pair)."""

    def run(n: int) -> None:
        agentlog.configure(output=os.devnull)
        with agentlog.run(task="bench"), agentlog.step("tool"):
            tool_call = agentlog.tool_call
            for _ in range(n):
                with tool_call(TOOL, args):
                    pass

    return run


def agentlog_structlog_line() -> Bench:
    """A structlog line through agentlog (agentlog.get_logger())."""

    def body(n: int) -> None:
        log = agentlog.get_logger()
        info = log.info
        for _ in range(n):
            info("tool_result", tool=TOOL, latency_ms=LATENCY, status=STATUS)

    return _agentlog_in_tool_call("json", body)


def agentlog_stdlib_line() -> Bench:
    """A stdlib logging line through agentlog's bridge."""

    def body(n: int) -> None:
        logger = logging.getLogger("bench.bridge")
        info = logger.info
        extra = {"tool": TOOL, "latency_ms": LATENCY, "status": STATUS}
        for _ in range(n):
            info("tool_result", extra=extra)

    return _agentlog_in_tool_call("json", body)


class _DoNothing(logging.Handler):
    def handle(self, record: logging.LogRecord) -> bool:
        return True

    def emit(self, record: logging.LogRecord) -> None:
        pass


def stdlib_do_nothing_handler() -> Bench:
    """Stdlib logging with a handler that does nothing: what any stdlib bridge pays first."""
    logger = logging.getLogger("bench.do_nothing")
    logger.handlers[:] = [_DoNothing()]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    extra = {"tool": TOOL, "latency_ms": LATENCY, "status": STATUS}

    def run(n: int) -> None:
        info = logger.info
        for _ in range(n):
            info("tool_result", extra=extra)

    return run


def python_c_noop_call() -> Bench:
    """A call to a C no-op with the same arguments as a debug line: the interpreter's floor."""
    noop = "".format

    def run(n: int) -> None:
        for _ in range(n):
            noop("tool_result", tool=TOOL, latency_ms=LATENCY, status=STATUS)

    return run


def agentlog_filtered_debug() -> Bench:
    """A debug line filtered out by level (agentlog.get_logger().debug at level info)."""

    def body(n: int) -> None:
        debug = agentlog.get_logger().debug
        for _ in range(n):
            debug("tool_result", tool=TOOL, latency_ms=LATENCY, status=STATUS)

    return _agentlog_in_tool_call("json", body)


def structlog_filtered_debug() -> Bench:
    """A debug line filtered out by structlog's fastest configuration (for reference)."""
    logger = structlog.wrap_logger(
        structlog.BytesLogger(open(os.devnull, "wb")),  # noqa: SIM115
        processors=[structlog.processors.JSONRenderer(serializer=orjson.dumps)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    ).bind()

    def run(n: int) -> None:
        debug = logger.debug
        for _ in range(n):
            debug("tool_result", tool=TOOL, latency_ms=LATENCY, status=STATUS)

    return run


CONTENDERS: list[tuple[str, Callable[[], Bench]]] = [
    ("floor: orjson + one ContextVar + one write", floor),
    ("structlog fastest configuration", structlog_fastest),
    ("stdlib + python-json-logger", stdlib_python_json_logger),
    ("stdlib + json.dumps(sort_keys) hand-rolled", stdlib_hand_rolled),
    ("loguru serialize=True", loguru_serialize),
    ("structlog + ecs_logging", structlog_ecs_logging),
    ("OpenTelemetry SDK span", otel_span),
    ("agentlog events.tool_result (json)", lambda: agentlog_tool_result("json")),
    ("agentlog events.tool_result (ecs)", lambda: agentlog_tool_result("ecs")),
    ("agentlog events.tool_result (datadog)", lambda: agentlog_tool_result("datadog")),
    ("agentlog events.tool_result standalone in a run", agentlog_tool_result_standalone),
    ("agentlog events.tool_call + tool_result pair (own loop)", agentlog_events_pair),
    ("agentlog tool_call scope (call+result pair)", lambda: agentlog_scope({"q": 1})),
    ("agentlog tool_call scope, 1 KiB args hashed (pair)", lambda: agentlog_scope(ARGS_1K)),
    ("floor: tool call pair, 1 KiB args hashed + two lines", floor_tool_call_pair),
    ("agentlog structlog line", agentlog_structlog_line),
    ("agentlog stdlib line via bridge", agentlog_stdlib_line),
    ("agentlog filtered debug line", agentlog_filtered_debug),
    ("structlog filtered debug line", structlog_filtered_debug),
    ("reference: stdlib record, do-nothing handler", stdlib_do_nothing_handler),
    ("reference: C no-op call, same arguments", python_c_noop_call),
]


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure_events() -> dict[str, dict[str, Any]]:
    """Interleaved rounds over every contender: ns/event median, min, max, each round's figure, and ratios.

    The ratios to the floor and to structlog are per round (both timed in
    it), their median and spread: what every published ratio is.
    """
    benches = [(name, make()) for name, make in CONTENDERS]
    for _, bench in benches:  # warm up: imports, caches, first-use paths
        bench(max(EVENTS // 10, 100))
    samples: dict[str, list[float]] = {name: [] for name, _ in benches}
    gc.collect()
    for _ in range(ROUNDS):
        for name, bench in benches:
            started = time.perf_counter_ns()
            bench(EVENTS)
            samples[name].append((time.perf_counter_ns() - started) / EVENTS)
    return {
        name: {
            **_spread(values),
            "rounds": values,
            "x_floor": _paired(values, samples[FLOOR]),
            "x_structlog": _paired(values, samples[STRUCTLOG]),
        }
        for name, values in samples.items()
    }


def measure_live_runs(live: int = 10_000) -> dict[str, Any]:
    """A typed event in a tool call scope with its run the only one live, and with *live* other runs open.

    The other runs are entered each in its own context (as that many
    concurrent tasks hold them) and closed after; the two are timed in
    the same round, in alternating order, and the figure is the ratio.
    """
    agentlog.configure(output=os.devnull)

    def timed() -> float:
        with agentlog.run(task="bench"), agentlog.step("tool"), agentlog.tool_call(TOOL, {"q": 1}):
            tool_result = events.tool_result
            started = time.perf_counter_ns()
            for _ in range(EVENTS):
                tool_result(TOOL, latency_ms=LATENCY, status=STATUS)
            return (time.perf_counter_ns() - started) / EVENTS

    def with_others() -> float:
        held = []
        for index in range(live):
            context, scope = contextvars.copy_context(), agentlog.run(task=index)
            context.run(scope.__enter__)
            held.append((context, scope))
        try:
            return timed()
        finally:
            for context, scope in reversed(held):
                context.run(scope.__exit__, None, None, None)

    timed()
    alone: list[float] = []
    crowded: list[float] = []
    for index in range(max(ROUNDS // 2, 3)):
        if index % 2:
            crowded.append(with_others())
            alone.append(timed())
        else:
            alone.append(timed())
            crowded.append(with_others())
    return {
        "live_runs": live,
        "one_live_run_ns": _spread(alone),
        "many_live_runs_ns": _spread(crowded),
        "ratio": _spread([many / one for many, one in zip(crowded, alone, strict=True)]),
    }


def measure_fields(count: int = 20) -> dict[str, Any]:
    """What each extra field a caller adds costs: agentlog's typed event against structlog's fastest line.

    The same line with and without *count* more fields (half short strings,
    half integers), the four timed in tight alternation over many short
    rounds; a field's cost is the difference of the medians over *count*.
    """
    extra: dict[str, Any] = {
        f"field_{index}": (f"value {index}" if index % 2 else index) for index in range(count)
    }
    structlog_logger = structlog_logger_fastest().bind()
    context = contextvars.copy_context()
    context.run(structlog.contextvars.bind_contextvars, **IDS)

    def agentlog_line(fields: dict[str, Any]) -> Bench:
        def body(n: int) -> None:
            tool_result = events.tool_result
            for _ in range(n):
                tool_result(TOOL, latency_ms=LATENCY, status=STATUS, **fields)

        return _agentlog_in_tool_call("json", body)

    def structlog_line(fields: dict[str, Any]) -> Bench:
        def body(n: int) -> None:
            info = structlog_logger.info
            for _ in range(n):
                info("tool_result", tool=TOOL, latency_ms=LATENCY, status=STATUS, **fields)

        return lambda n: context.run(body, n)

    benches = {
        "agentlog": agentlog_line({}),
        "agentlog + fields": agentlog_line(extra),
        "structlog": structlog_line({}),
        "structlog + fields": structlog_line(extra),
    }
    batch = max(EVENTS // 10, 200)
    samples: dict[str, list[float]] = {name: [] for name in benches}
    for bench in benches.values():
        bench(batch)
    for _ in range(ROUNDS * 4):
        for name, bench in benches.items():
            started = time.perf_counter_ns()
            bench(batch)
            samples[name].append((time.perf_counter_ns() - started) / batch)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    mine = (medians["agentlog + fields"] - medians["agentlog"]) / count
    theirs = (medians["structlog + fields"] - medians["structlog"]) / count
    per_round = [
        (a_more - a_plain) / max(s_more - s_plain, 1.0)
        for a_more, a_plain, s_more, s_plain in zip(
            samples["agentlog + fields"],
            samples["agentlog"],
            samples["structlog + fields"],
            samples["structlog"],
            strict=True,
        )
    ]
    ratio = mine / theirs if theirs > 0 else float("inf")
    quartiles = statistics.quantiles(per_round, n=4)
    return {
        "fields": count,
        "agentlog_ns_per_field": mine,
        "structlog_ns_per_field": theirs,
        "ratio": {"median": ratio, "min": min(quartiles[0], ratio), "max": max(quartiles[2], ratio)},
    }


# -- the targets (issue 17): ratios of paired figures from the same rounds ----------------------

FLOOR = "floor: orjson + one ContextVar + one write"
STRUCTLOG = "structlog fastest configuration"
PAIRS = (
    (
        "typed event inside a scope vs a floor with the same timestamp",
        "agentlog events.tool_result (json)",
        FLOOR,
        1.3,
    ),
    (
        "events.tool_result standalone in a run vs structlog fastest",
        "agentlog events.tool_result standalone in a run",
        STRUCTLOG,
        0.6,
    ),
    (
        "scoped tool call (1 KiB args hashed) vs its floor (two lines + hash)",
        "agentlog tool_call scope, 1 KiB args hashed (pair)",
        "floor: tool call pair, 1 KiB args hashed + two lines",
        1.4,
    ),
    (
        "stdlib line through the bridge vs structlog fastest",
        "agentlog stdlib line via bridge",
        STRUCTLOG,
        1.2,
    ),
)
"""(target, contender, the contender it is divided by, the most the ratio may be)."""


def _paired(mine: list[float], theirs: list[float]) -> dict[str, float]:
    """Median and spread of the per-round ratios of two figures timed in the same rounds."""
    return _spread([a / b for a, b in zip(mine, theirs, strict=True)])


def targets(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target's ratio (median and spread of the per-round ratios), its limit, and whether it is met."""
    rows: list[dict[str, Any]] = []

    def row(name: str, ratio: dict[str, float], limit: float) -> None:
        rows.append({"target": name, **ratio, "limit": limit, "met": ratio["median"] <= limit})

    rounds = {name: entry["rounds"] for name, entry in figures["events"].items()}
    for name, mine, theirs, limit in PAIRS:
        row(name, _paired(rounds[mine], rounds[theirs]), limit)
    fields = figures.get("fields")
    if fields:
        row("cost per extra field vs structlog's", fields["ratio"], 1.0)
    long = figures.get("long_strings", {}).get("10 KB string field: agentlog")
    if long:
        spread = {"median": long["ratio_median"], "min": long["ratio_min"], "max": long["ratio_max"]}
        row("10 KB string field vs structlog (redaction on)", spread, 3.0)
    live = figures.get("live_runs")
    if live:
        row(f"per-event cost with {live['live_runs']:,} live runs vs 1 live run", live["ratio"], 1.1)
    for framework, adapter in figures.get("adapters", {}).items():
        for kind, label in (("tool_call", "tool call"), ("llm_call", "model call")):
            alone = adapter[f"{kind}_alone_us"]
            if alone <= 0:
                continue  # the framework's own time could not be told apart from the noise: no share to give
            share = {
                key: adapter[f"{kind}_overhead{suffix}_us"] / alone
                for key, suffix in (("median", ""), ("min", "_min"), ("max", "_max"))
            }
            row(f"{framework} adapter: overhead per {label}, share of the framework's own", share, 0.1)
    return rows


# -- hashing, memory, concurrency ------------------------------------------------------------


def measure_hashing() -> dict[str, float]:
    """A ~1 KiB argument dict: agentlog.hash_value vs json.dumps(sort_keys) + SHA-256."""
    agentlog.configure(output=os.devnull)

    def hand_rolled() -> str:
        return hashlib.sha256(json.dumps(ARGS_1K, sort_keys=True).encode()).hexdigest()

    candidates = {
        "agentlog.hash_value": lambda: agentlog.hash_value(ARGS_1K),
        "json.dumps(sort_keys) + sha256": hand_rolled,
    }
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    n = max(EVENTS // 4, 1000)
    for _ in range(ROUNDS):
        for name, fn in candidates.items():
            started = time.perf_counter_ns()
            for _ in range(n):
                fn()
            samples[name].append((time.perf_counter_ns() - started) / n)
    result = {name: statistics.median(values) for name, values in samples.items()}
    result["size_bytes"] = len(json.dumps(ARGS_1K, sort_keys=True))
    return result


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def measure_memory() -> dict[str, float]:
    """RSS growth over 1,000,000 events in one run, and over 100,000 runs."""
    agentlog.configure(output=os.devnull)
    with agentlog.run(task="warm-up"), agentlog.step("tool"), agentlog.tool_call(TOOL, {}):
        for _ in range(20000):
            events.tool_result(TOOL, latency_ms=LATENCY, status=STATUS)
    gc.collect()
    before = _rss_bytes()
    with agentlog.run(task="memory"), agentlog.step("tool"), agentlog.tool_call(TOOL, {}):
        for _ in range(1_000_000):
            events.tool_result(TOOL, latency_ms=LATENCY, status=STATUS)
    gc.collect()
    after_events = _rss_bytes()
    for index in range(100_000):
        with agentlog.run(task=index), agentlog.step("tool"), agentlog.tool_call(TOOL, {"i": index}):
            pass
    gc.collect()
    after_runs = _rss_bytes()
    return {
        "events_growth_mb": (after_events - before) / 1e6,
        "runs_growth_mb": (after_runs - after_events) / 1e6,
    }


def measure_concurrency() -> dict[str, float]:
    """Events per second with 8 threads, and with 1,000 concurrent asyncio runs."""
    agentlog.configure(output=os.devnull)
    per_thread = 20000

    def worker() -> None:
        with agentlog.run(task="thread"), agentlog.tool_call(TOOL, {}):
            for _ in range(per_thread):
                events.tool_result(TOOL, latency_ms=LATENCY, status=STATUS)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    threaded = 8 * (per_thread + 4) / (time.perf_counter() - started)

    async def one_run(index: int) -> None:
        with agentlog.run(task=index):
            for step in range(3):
                with agentlog.step("tool"), agentlog.tool_call(TOOL, {"step": step}):
                    await asyncio.sleep(0)

    started = time.perf_counter()

    async def all_runs() -> None:
        await asyncio.gather(*(one_run(i) for i in range(1000)))

    asyncio.run(all_runs())
    elapsed = time.perf_counter() - started
    lines = 1000 * (2 + 3 * 4)
    return {
        "threads_8_events_per_s": threaded,
        "asyncio_1000_runs_lines_per_s": lines / elapsed,
        "asyncio_1000_runs_s": elapsed,
    }


def measure_redaction() -> dict[str, float]:
    """The slowest of the adversarial 1 MB redaction inputs (all shapes, PII too)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.privacy.test_redaction_speed import HOSTILE

    redactor = agentlog.Redactor(emails=True, phones=True)
    times = {}
    for name, text in HOSTILE.items():
        started = time.perf_counter()
        redactor.scrub_text(text, pii=True, max_chars=2_000_000)
        times[name] = time.perf_counter() - started
    worst = max(times, key=times.__getitem__)
    return {"worst_input": worst, "worst_s": times[worst], "median_s": statistics.median(times.values())}  # type: ignore[dict-item]


_SUBJECTS = ("The agent", "The refund tool", "Our support team", "The search index", "This policy", "A retry")
_VERBS = ("returned", "summarised", "checked", "updated", "rejected", "matched", "flagged", "explained")
_OBJECTS = (
    "the unopened items",
    "three matching documents",
    "a partial refund",
    "the latest invoice",
    "a long-term plan",
    "the well-known limits",
)
_TAILS = (
    "within 30 days of purchase",
    "for orders placed before 2024",
    "(about 15% of cases)",
    "as described in section 4.2",
    "on March 3, 2026",
    "for a total of $1,299.00",
    "before the cut-off at 5 p.m.",
)
_EXTRAS = (
    "Note: refunds for digital goods follow a different process.",
    "See https://help.example.com/refunds#policy for details.",
    "The previous summary (version 2.3.1) was out of date.",
    '"Final sale" items cannot be refunded.',
)
_LOG_LINES = (
    "2026-01-15T10:32:01Z INFO request path=/v1/search status=200 latency_ms=12.5",
    "2026-01-15T10:32:02Z WARN retrying after timeout attempt=2 backoff_ms=400",
    "GET https://api.example.com/v1/orders?page=2&limit=50 -> 200 OK",
)


def realistic_text(size: int, seed: int) -> str:
    """Text as an agent logs it: an answer's prose, with a few log lines (5%) among the sentences."""
    import random

    rnd = random.Random(seed)
    parts, total = [], 0
    while total < size:
        draw = rnd.random()
        if draw < 0.05:
            piece = rnd.choice(_LOG_LINES) + "\n"
        elif draw < 0.2:
            piece = rnd.choice(_EXTRAS) + " "
        else:
            piece = (
                f"{rnd.choice(_SUBJECTS)} {rnd.choice(_VERBS)} {rnd.choice(_OBJECTS)} {rnd.choice(_TAILS)}. "
            )
        parts.append(piece)
        total += len(piece)
    return "".join(parts)[:size]


def measure_long_strings() -> dict[str, dict[str, float]]:
    """A 10 KB and a 100 KB string field: agentlog (redacting) against structlog's fastest configuration.

    The same line (``info("x", text=<text>)``) to /dev/null, each call with a
    different text (40 distinct ones, so no cache serves them), in
    interleaved rounds. Also agentlog after a tool call whose 32 argument
    strings (96 values with their URL-encoded forms) are remembered: every
    uncached string is checked against them.
    """
    from agentlog._privacy.secret_memory import MEMORY

    results: dict[str, dict[str, float]] = {}
    baseline = structlog_logger_fastest()
    for size in (10_000, 100_000):
        texts = [realistic_text(size, seed) for seed in range(40)]
        agentlog.configure(output=os.devnull, stdlib=False)
        plain = agentlog.get_logger()
        samples: dict[str, list[float]] = {
            "agentlog": [],
            "agentlog, 32 arguments remembered": [],
            "structlog": [],
        }

        def timed(log: Any, batch: list[str] = texts) -> float:
            started = time.perf_counter_ns()
            for text in batch:
                log.info("x", text=text)
            return (time.perf_counter_ns() - started) / len(batch)

        timed(plain)
        timed(baseline)
        for _ in range(max(ROUNDS, 3)):
            MEMORY.clear()
            samples["agentlog"].append(timed(plain))
            events.tool_call(
                "search", {"queries": [f"how do refunds work, case {index}" for index in range(32)]}
            )
            samples["agentlog, 32 arguments remembered"].append(timed(plain))
            samples["structlog"].append(timed(baseline))
        for name in ("agentlog", "agentlog, 32 arguments remembered"):
            ratios = [mine / theirs for mine, theirs in zip(samples[name], samples["structlog"], strict=True)]
            results[f"{size // 1000} KB string field: {name}"] = {
                "median_ns": statistics.median(samples[name]),
                "structlog_ns": statistics.median(samples["structlog"]),
                "ratio_median": statistics.median(ratios),
                "ratio_min": min(ratios),
                "ratio_max": max(ratios),
            }
    agentlog.configure(output=os.devnull, stdlib=False)
    return results


def measure_huge_capture() -> dict[str, float]:
    """capture="redacted" of a 17 MB tool result: what it costs beside capture="hash" of the same result.

    Both hash the whole result (that is what a hash is); redacted mode writes
    4 KiB of it and should scan not much more than that.
    """
    result = [
        {"id": index, "title": f"document number {index}", "body": "lorem ipsum dolor sit amet " * 5}
        for index in range(105_000)
    ]
    size = len(orjson.dumps(result))
    times: dict[str, list[float]] = {"hash": [], "redacted": []}
    for _ in range(max(ROUNDS // 2, 2)):
        for mode in ("hash", "redacted"):
            agentlog.configure(output=os.devnull, stdlib=False, capture=mode)
            started = time.perf_counter()
            events.tool_result("search", result=result, latency_ms=1.0)
            times[mode].append(time.perf_counter() - started)
    redactor = agentlog.Redactor(emails=True, phones=True)
    started = time.perf_counter()
    redactor.scrub(result, pii=True, budget=4096 + 4096)
    scrub_s = time.perf_counter() - started
    agentlog.configure(output=os.devnull, stdlib=False)
    return {
        "result_bytes": size,
        "hash_s": statistics.median(times["hash"]),
        "redacted_s": statistics.median(times["redacted"]),
        "scrub_only_s": scrub_s,
    }


# -- report ---------------------------------------------------------------------------------


def measure_adapters() -> dict[str, dict[str, float]]:
    """Each framework adapter's overhead per tool call and per model call, against the framework alone."""
    if ADAPTER_ROUNDS <= 0:
        return {}
    import importlib

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    figures: dict[str, dict[str, float]] = {}
    for name in ADAPTERS:
        try:
            module = importlib.import_module(f"benchmarks.adapters.{name}")
        except ImportError as exc:
            print(f"adapter {name}: skipped ({exc})")
            continue
        try:
            figures[module.FRAMEWORK] = module.measure(ADAPTER_ROUNDS)
        finally:
            agentlog.configure(output=os.devnull)
            logging.getLogger().handlers.clear()
    return figures


def profile_contender(name_part: str) -> None:
    """Print the cProfile breakdown of the first contender whose name contains *name_part*."""
    import cProfile
    import pstats

    matches = [(name, make) for name, make in CONTENDERS if name_part.lower() in name.lower()]
    if not matches:
        sys.exit(f"no contender matches {name_part!r}; names: {', '.join(name for name, _ in CONTENDERS)}")
    name, make = matches[0]
    bench = make()
    bench(max(EVENTS // 10, 100))
    started = time.perf_counter_ns()
    bench(EVENTS)
    print(f"{name}: {(time.perf_counter_ns() - started) / EVENTS:.0f} ns/event unprofiled\n")
    profiler = cProfile.Profile()
    profiler.enable()
    bench(EVENTS)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    if os.environ.get("BENCH_PROFILE"):
        profile_contender(os.environ["BENCH_PROFILE"])
        return
    started = time.time()
    figures: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "rounds": ROUNDS,
            "events_per_round": EVENTS,
        }
    }
    figures["events"] = measure_events()
    print(
        f"\nns per event, median (min-max) over {ROUNDS} interleaved rounds of {EVENTS} events; Python {platform.python_version()}, {os.cpu_count()} CPUs\n"
    )
    print(f"{'contender':<46}{'median':>9}{'min':>9}{'max':>9}{'x floor':>9}{'x structlog':>13}")
    for name, stats in figures["events"].items():
        print(
            f"{name:<46}{stats['median']:>9.0f}{stats['min']:>9.0f}{stats['max']:>9.0f}"
            f"{stats['x_floor']['median']:>9.2f}{stats['x_structlog']['median']:>13.2f}"
        )
    figures["hashing"] = measure_hashing()
    hashing = figures["hashing"]
    print(
        f"\nhashing a {hashing['size_bytes']}-byte argument dict: agentlog {hashing['agentlog.hash_value']:.0f} ns, "
        f"json.dumps(sort_keys)+sha256 {hashing['json.dumps(sort_keys) + sha256']:.0f} ns "
        f"({hashing['json.dumps(sort_keys) + sha256'] / hashing['agentlog.hash_value']:.1f}x faster)"
    )
    figures["memory"] = measure_memory()
    print(
        f"RSS growth: {figures['memory']['events_growth_mb']:.2f} MB over 1,000,000 events; {figures['memory']['runs_growth_mb']:.2f} MB over 100,000 runs"
    )
    figures["concurrency"] = measure_concurrency()
    concurrency = figures["concurrency"]
    print(
        f"throughput: {concurrency['threads_8_events_per_s']:,.0f} events/s with 8 threads; "
        f"{concurrency['asyncio_1000_runs_lines_per_s']:,.0f} lines/s for 1,000 concurrent asyncio runs"
    )
    figures["redaction"] = measure_redaction()
    print(
        f"redaction: slowest 1 MB adversarial input {figures['redaction']['worst_input']!r} {figures['redaction']['worst_s']:.3f} s (median {figures['redaction']['median_s']:.3f} s)"
    )
    figures["long_strings"] = measure_long_strings()
    print(
        f"\n{'one string field, distinct texts, /dev/null':<56}{'ns':>10}{'structlog':>11}{'x structlog (min-max)':>24}"
    )
    for name, row in figures["long_strings"].items():
        print(
            f"{name:<56}{row['median_ns']:>10.0f}{row['structlog_ns']:>11.0f}"
            f"{row['ratio_median']:>12.2f} ({row['ratio_min']:.2f}-{row['ratio_max']:.2f})"
        )
    figures["huge_capture"] = measure_huge_capture()
    huge = figures["huge_capture"]
    print(
        f"capture of a {huge['result_bytes'] / 1e6:.1f} MB tool result: redacted {huge['redacted_s'] * 1000:.0f} ms, "
        f"hash {huge['hash_s'] * 1000:.0f} ms (the scrub alone {huge['scrub_only_s'] * 1000:.2f} ms)"
    )
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks import explorer  # the run explorer against DuckDB and grep: see its docstring

    figures["explorer"] = explorer.measure()
    explorer.report(figures["explorer"])
    figures["fields"] = measure_fields()
    fields = figures["fields"]
    print(
        f"each extra field: agentlog {fields['agentlog_ns_per_field']:.0f} ns, "
        f"structlog {fields['structlog_ns_per_field']:.0f} ns ({fields['ratio']['median']:.2f}x)"
    )
    figures["live_runs"] = measure_live_runs()
    figures["adapters"] = measure_adapters()
    if figures["adapters"]:
        print(
            f"\nframework adapters, µs per operation, median over {ADAPTER_ROUNDS} rounds "
            f"(adapter overhead min-max)"
        )
        print(
            f"{'framework':<22}{'tool call':>11}{'+ adapter':>22}{'%':>7}{'model call':>12}{'+ adapter':>22}{'%':>7}"
        )
        for name, row in figures["adapters"].items():
            cells = []
            for kind in ("tool_call", "llm_call"):
                alone, extra = row[f"{kind}_alone_us"], row[f"{kind}_overhead_us"]
                spread = f"({row[f'{kind}_overhead_min_us']:.0f}..{row[f'{kind}_overhead_max_us']:.0f})"
                cells.append(f"{alone:>11.0f}{extra:>9.1f} {spread:>12}{100 * extra / alone:>7.1f}")
            print(f"{name:<22}{cells[0]}{' ':>1}{cells[1]}")
    figures["targets"] = targets(figures)
    print(f"\n{'target (ratio, median over rounds)':<80}{'median':>8}{'min':>8}{'max':>8}{'limit':>8}  met")
    for row in figures["targets"]:
        print(
            f"{row['target']:<80}{row['median']:>8.2f}{row['min']:>8.2f}{row['max']:>8.2f}{row['limit']:>8.2f}"
            f"  {'yes' if row['met'] else 'no'}"
        )
    figures["seconds"] = time.time() - started
    target = os.environ.get("BENCH_JSON")
    if target:
        Path(target).write_text(json.dumps(figures, indent=2))
        print(f"\nfigures written to {target}")


if __name__ == "__main__":
    main()
