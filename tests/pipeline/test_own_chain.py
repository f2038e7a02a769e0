"""An application that keeps structlog.configure to itself: agentlog's Renderer and LoggerFactory."""

from __future__ import annotations

import io
import logging
import re
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog
import structlog.contextvars
from structlog.typing import EventDict

import agentlog
from agentlog import events
from agentlog._explorer.validate import validate
from agentlog.processors import LoggerFactory, Renderer

SECRET = "sk-abcdefghijklmnopqrstuvwxyz0123456789"


def add_hostname(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """A user's own processor."""
    event_dict["hostname"] = "web-1"
    return event_dict


def _own_chain(output: Any, format: str = "json", level: int = logging.DEBUG) -> None:  # noqa: A002
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            add_hostname,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            Renderer(format=format, service="svc", env="prod"),  # type: ignore[arg-type]
        ],
        logger_factory=LoggerFactory(output),
        wrapper_class=structlog.make_filtering_bound_logger(level),
    )


def _loop(log: Any) -> str:
    """An events-only loop with a log line inside the tool call and a failure; returns the run ID."""
    run = events.run_started(task="triage", user_id="u-1")
    assert run is not None
    events.agent_step("tool", tool="search")
    call = events.tool_call("search", {"q": "refund", "api_key": SECRET})
    log.warning("searching", token=SECRET)
    try:
        raise ValueError(f"upstream said {SECRET}")
    except ValueError:
        log.exception("search failed")
    events.tool_result("search", tool_call_id=call, status="error", error="timeout")
    events.run_finished(status="error")
    return run.run_id


def _read(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_own_chain_lines_carry_ids_user_fields_and_validate(tmp_path: Path) -> None:
    """Typed events and structlog lines: the run's IDs, the user's processors and bound fields, valid."""
    path = tmp_path / "own.jsonl"
    _own_chain(path)
    with structlog.contextvars.bound_contextvars(tenant="acme"):
        run_id = _loop(structlog.get_logger("mine"))
    lines = _read(path)
    assert [line["event"] for line in lines] == [
        "run_started",
        "agent_step",
        "tool_call",
        "searching",
        "search failed",
        "tool_result",
        "step_finished",
        "run_finished",
    ]
    assert all(line["run_id"] == run_id and line["service"] == "svc" for line in lines)
    assert all(line["hostname"] == "web-1" and line["tenant"] == "acme" for line in lines)
    assert all("extra" not in line for line in lines)
    by_event = {line["event"]: line for line in lines}
    assert by_event["tool_call"]["span_id"] == by_event["tool_result"]["span_id"]
    assert by_event["searching"]["tool_call_id"] == by_event["tool_call"]["tool_call_id"]
    assert by_event["searching"]["logger"] == "mine" and "logger" not in by_event["tool_call"]
    assert by_event["search failed"]["error_class"] == "ValueError"
    assert by_event["tool_result"]["error_message"] == "timeout"
    assert SECRET not in path.read_text("utf-8")
    assert validate([str(path)]).invalid == 0


def test_the_users_level_filter_never_drops_the_skeleton(tmp_path: Path) -> None:
    """A wrapper class filtering at warning drops info lines but not the typed events of the run."""
    path = tmp_path / "own.jsonl"
    _own_chain(path, level=logging.WARNING)
    log = structlog.get_logger()
    with agentlog.run(), agentlog.tool_call("search", {}):
        log.info("dropped")
    written = [line["event"] for line in _read(path)]
    assert written == ["run_started", "tool_call", "tool_result", "run_finished"]


@pytest.mark.parametrize("format", ["json", "ecs", "datadog", "console"])
def test_renderer_writes_what_configure_writes(format: str, tmp_path: Path) -> None:  # noqa: A002
    """For every profile, the own chain's lines equal configure()'s, but for the timestamps."""

    def write_lines() -> str:
        with agentlog.run(run_id="r-1", task="t") as run:
            structlog.get_logger().info("hello", n=1)
            with agentlog.tool_call("search", {"q": 1}, tool_call_id="tc_1"):
                pass
        return str(run.trace_id)

    own = tmp_path / "own.log"
    structlog.configure(
        processors=[Renderer(format=format, service="svc")],  # type: ignore[arg-type]
        logger_factory=LoggerFactory(own),
    )
    write_lines()
    configured = tmp_path / "configured.log"
    agentlog.configure(output=configured, format=format, service="svc")  # type: ignore[arg-type]
    write_lines()

    def comparable(path: Path) -> list[str]:
        # Times, durations and generated IDs differ from one run to the next; nothing else may.
        text = path.read_text("utf-8")
        for pattern in (r"\d{4}-\d\d-\d\dT[\d:.]+Z", r"[0-9a-f]{32}", r"[0-9a-f]{16}", r"\d+(\.\d+)?"):
            text = re.sub(pattern, "X", text)
        return text.splitlines()

    assert comparable(own) == comparable(configured)


def test_ids_added_twice_are_written_once_and_a_different_one_is_kept_aside(tmp_path: Path) -> None:
    """add_ids before the Renderer duplicates nothing; a caller's different run_id goes to extra."""
    path = tmp_path / "own.jsonl"
    structlog.configure(
        processors=[agentlog.processors.add_ids, Renderer()],
        logger_factory=LoggerFactory(path),
    )
    with agentlog.run() as run:
        structlog.get_logger().info("same")
        structlog.get_logger().info("other", run_id="someone-else", session_id="s-1")
    same, other = (line for line in _read(path) if line["event"] in ("same", "other"))
    assert same["run_id"] == run.run_id and "extra" not in same
    assert other["run_id"] == run.run_id and other["extra"] == {"run_id": "someone-else"}
    assert other["session_id"] == "s-1"


def test_renderer_lines_end_in_one_newline_with_structlogs_bytes_logger(tmp_path: Path) -> None:
    """The Renderer's bytes carry no newline, so structlog's BytesLogger writes exactly one."""
    stream = io.BytesIO()
    structlog.configure(processors=[Renderer()], logger_factory=structlog.BytesLoggerFactory(stream))
    structlog.get_logger().info("a")
    structlog.get_logger().info("b")
    assert [orjson.loads(line)["event"] for line in stream.getvalue().split(b"\n")[:-1]] == ["a", "b"]


def test_logger_factory_keeps_lines_whole_across_threads(tmp_path: Path) -> None:
    """Eight threads writing long lines through one LoggerFactory: every line whole and present."""
    path = tmp_path / "threads.jsonl"
    structlog.configure(processors=[Renderer()], logger_factory=LoggerFactory(path))
    log = structlog.get_logger()

    def work(n: int) -> None:
        for i in range(200):
            log.info("line", n=n, i=i, pad="x" * 5000)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = _read(path)
    assert sorted((line["n"], line["i"]) for line in lines) == [(n, i) for n in range(8) for i in range(200)]


def test_logger_factory_writes_text_and_bytes_and_rejects_nonsense(tmp_path: Path) -> None:
    """A text stream receives text; a str message is encoded; a non-output is a TypeError at once."""
    out = io.StringIO()
    logger = LoggerFactory(out)("named")
    logger.info(b'{"event":"a"}')
    logger.info('{"event":"b"}')
    assert out.getvalue() == '{"event":"a"}\n{"event":"b"}\n'
    assert logger.name == "named"
    with pytest.raises(TypeError):
        LoggerFactory(42)  # type: ignore[arg-type]


def test_renderer_rejects_an_unknown_format() -> None:
    """A misspelt profile is a ValueError naming the ones there are."""
    with pytest.raises(ValueError, match="json, console, ecs, datadog"):
        Renderer(format="jsonl")  # type: ignore[arg-type]


def test_a_custom_redactor_is_used(tmp_path: Path) -> None:
    """Renderer(redactor=...) replaces what that redactor finds."""
    path = tmp_path / "own.jsonl"
    redactor = agentlog.Redactor(patterns={"order": r"ORDER-\d+"})
    structlog.configure(processors=[Renderer(redactor=redactor)], logger_factory=LoggerFactory(path))
    structlog.get_logger().info("looked up ORDER-1234")
    assert "ORDER-1234" not in path.read_text("utf-8")


def test_unconfigured_typed_events_say_once_where_they_go(capfd: pytest.CaptureFixture[str]) -> None:
    """With neither agentlog nor structlog configured, typed events go to structlog's console, said once."""
    with agentlog.run():
        events.decision("route", "fast")
    captured = capfd.readouterr()
    assert captured.err.count("agentlog is not configured") == 1
    assert "decision" in captured.out and "run_id" in captured.out


def test_renderer_gives_text_to_loggers_that_write_text(capsys: pytest.CaptureFixture[str]) -> None:
    """With structlog's PrintLogger the Renderer returns text: a JSON line, never b'...'."""
    structlog.configure(processors=[Renderer()], logger_factory=structlog.PrintLoggerFactory())
    with agentlog.run():
        structlog.get_logger().info("printed")
    lines = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["event"] for line in lines] == ["run_started", "printed", "run_finished"]
