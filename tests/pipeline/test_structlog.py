"""structlog lines: agentlog's chain, and an application's own chain."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import structlog

import agentlog
from tests.conftest import Captured


def test_structlog_lines_carry_the_ids(logs: Captured) -> None:
    """A plain structlog logger's line carries the IDs in force."""
    log = structlog.get_logger()
    with agentlog.run() as run, agentlog.step("plan"):
        log.info("planning", candidates=3)
    line = logs.one("planning")
    assert line["run_id"] == run.run_id
    assert line["step_id"] == 1
    assert line["candidates"] == 3


def test_get_logger_name_is_the_logger_field(logs: Captured) -> None:
    """agentlog.get_logger(name) writes name as the logger field."""
    agentlog.get_logger("agent.planner").info("hello")
    assert logs.one("hello")["logger"] == "agent.planner"


def test_bound_values_are_written(logs: Captured) -> None:
    """Values bound with .bind() appear on every line of that logger."""
    log = agentlog.get_logger().bind(tenant="acme")
    log.info("one")
    log.warning("two")
    assert [line["tenant"] for line in logs.lines()] == ["acme", "acme"]


def test_positional_args_are_interpolated(logs: Captured) -> None:
    """log.info("x %s", y) formats like the stdlib."""
    agentlog.get_logger().info("found %d docs", 4)
    assert logs.lines()[-1]["event"] == "found 4 docs"


def test_bad_format_args_do_not_raise(logs: Captured) -> None:
    """A format mismatch is written with the raw args, not raised."""
    agentlog.get_logger().info("found %d docs", "many")
    assert "found %d docs" in logs.lines()[-1]["event"]


def test_debug_is_dropped_at_info_level(tmp_path: Path) -> None:
    """With level info, debug lines are not written."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path, level="info")
    log = agentlog.get_logger()
    log.debug("hidden")
    log.info("shown")
    assert [orjson.loads(raw)["event"] for raw in path.read_bytes().splitlines()] == ["shown"]
    assert not log.is_enabled_for(10)


def test_reconfigure_applies_to_loggers_already_used(tmp_path: Path) -> None:
    """A logger cached before a reconfigure follows the new output and level."""
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    agentlog.configure(output=first, level="info")
    log = agentlog.get_logger("cached")
    log.info("to first")
    log.debug("dropped")
    agentlog.configure(output=second, level="debug")
    log.debug("to second")
    assert [orjson.loads(x)["event"] for x in first.read_bytes().splitlines()] == ["to first"]
    assert [orjson.loads(x)["event"] for x in second.read_bytes().splitlines()] == ["to second"]


def test_exception_method_writes_error_fields(logs: Captured) -> None:
    """log.exception() writes error_class, error_message and a stack."""
    empty: dict[str, int] = {}
    try:
        empty["missing"]
    except KeyError:
        agentlog.get_logger().exception("lookup failed")
    line = logs.one("lookup failed")
    assert line["level"] == "error"
    assert line["error_class"] == "KeyError"
    assert "Traceback" in line["error_stack"]


def test_async_methods_write_lines(logs: Captured) -> None:
    """The a-prefixed methods write the same lines."""
    import asyncio

    async def main() -> None:
        with agentlog.run():
            await agentlog.get_logger().ainfo("async line", n=1)

    asyncio.run(main())
    assert logs.one("async line")["run_id"]


def test_own_chain_with_agentlog_processors() -> None:
    """An app that owns its structlog chain gets IDs via add_ids; errors without locals."""
    out = io.BytesIO()
    structlog.configure(
        processors=[
            agentlog.processors.add_ids,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            agentlog.processors.add_error_fields,
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        logger_factory=structlog.BytesLoggerFactory(out),
    )
    log = structlog.get_logger()
    with agentlog.run() as run, agentlog.tool_call("search", {"q": "x"}) as call:
        log.info("own chain line")
        try:
            secret = "hunter2-local"  # noqa: F841 - must not be logged
            raise RuntimeError("boom")
        except RuntimeError:
            log.exception("own chain error")
    lines: list[dict[str, Any]] = [orjson.loads(raw) for raw in out.getvalue().splitlines()]
    by_event = {line["event"]: line for line in lines}
    assert by_event["own chain line"]["run_id"] == run.run_id
    assert by_event["own chain line"]["tool_call_id"] == call.tool_call_id
    assert by_event["own chain error"]["error_class"] == "RuntimeError"
    assert b"hunter2-local" not in out.getvalue()
    # agentlog's typed events went through the same chain.
    assert {"run_started", "tool_call", "tool_result", "run_finished"} <= set(by_event)
    assert by_event["tool_result"]["tool_call_id"] == call.tool_call_id


def test_add_ids_keeps_explicit_values() -> None:
    """add_ids never overwrites a key the event already has."""
    with agentlog.run():
        event = agentlog.processors.add_ids(None, "info", {"event": "x", "run_id": "explicit"})
    assert event["run_id"] == "explicit"
    assert "trace_id" in event


def test_a_logger_factory_swapped_after_configure_still_gets_the_lines(logs: Captured) -> None:
    """Agentlog's chain ends in plain bytes, so any structlog logger can write them."""
    out = io.BytesIO()
    structlog.configure(logger_factory=structlog.BytesLoggerFactory(out))
    structlog.get_logger().info("hello", a=1)
    line = orjson.loads(out.getvalue())
    assert (line["event"], line["a"]) == ("hello", 1)
    assert agentlog.problems() == {}


def test_a_line_is_written_where_it_was_rendered(tmp_path: Path) -> None:
    """A structlog line rendered under one configuration is written by that configuration's writer."""
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    agentlog.configure(output=first, format="json")
    log = agentlog.get_logger()
    rendered = log._process_event("info", "early", {})  # what the sink receives
    agentlog.configure(output=second, format="ecs")
    log._logger.info(*rendered[0], **rendered[1])
    assert orjson.loads(first.read_bytes())["event"] == "early"
    assert not second.exists() or second.read_bytes() == b""


def test_redact_processor_output_does_not_depend_on_the_hash_seed() -> None:
    """processors.redact gives the same key order in every process (it used a set's order)."""
    import subprocess
    import sys

    script = (
        "import structlog, agentlog\n"
        "from agentlog import processors\n"
        "event = {'run_id': 'r', 'trace_id': 't', 'span_id': 's', 'step_id': 1, 'tool_call_id': 'c'}\n"
        "event.update(x=1, event='e')\n"
        "print(list(processors.redact(None, 'info', event)))\n"
    )
    orders = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("0", "1", "2", "3")
    }
    assert len(orders) == 1
