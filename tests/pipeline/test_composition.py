"""agentlog composes with the application's structlog setup: its processors and bound contextvars."""

from __future__ import annotations

import io
import logging
from typing import Any

import orjson
import pytest
import structlog
import structlog.contextvars
import structlog.testing
from structlog.typing import EventDict

import agentlog
from agentlog import events
from agentlog._pipeline.logger import finish_line
from agentlog.testing import capture


def add_hostname(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """A user's own processor."""
    event_dict["hostname"] = "web-1"
    return event_dict


def _users_setup() -> None:
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            add_hostname,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.JSONRenderer(),
        ]
    )


def _lines(out: io.BytesIO) -> list[dict[str, Any]]:
    return [orjson.loads(raw) for raw in out.getvalue().splitlines()]


def test_configure_keeps_the_users_processors(capfd: pytest.CaptureFixture[str]) -> None:
    """The user's own processors stay in structlog's chain, before agentlog's finisher."""
    _users_setup()
    agentlog.configure(output=io.BytesIO())
    chain = structlog.get_config()["processors"]
    assert add_hostname in chain and chain[-1] is finish_line
    err = capfd.readouterr().err
    assert err.count("runs your structlog processors") == 1
    assert "add_hostname" in err and "TimeStamper" in err and "JSONRenderer" in err


def test_every_kind_of_line_runs_them_and_carries_bound_contextvars() -> None:
    """Structlog lines, agentlog's logger, typed events and stdlib records: hostname and bound fields."""
    _users_setup()
    out = io.BytesIO()
    agentlog.configure(output=out)
    structlog.contextvars.bind_contextvars(tenant="acme")
    try:
        with agentlog.run(), structlog.contextvars.bound_contextvars(request="r-1"):
            structlog.get_logger().info("from structlog")
            agentlog.get_logger("mine").info("from agentlog's logger")
            events.decision("route", "fast")
            logging.getLogger("lib").warning("from a library")
    finally:
        structlog.contextvars.clear_contextvars()
    lines = _lines(out)
    for name in ("from structlog", "from agentlog's logger", "decision", "from a library", "run_finished"):
        line = next(line for line in lines if line["event"] == name)
        assert line["hostname"] == "web-1", name
        assert line["tenant"] == "acme", name
        if name != "run_finished":
            assert line["request"] == "r-1", name
        assert "extra" not in line, name  # the left-out TimeStamper and add_log_level wrote nothing twice


def test_bound_contextvars_appear_without_a_user_chain() -> None:
    """Without any structlog setup of the user's, bound contextvars still reach every line."""
    out = io.BytesIO()
    agentlog.configure(output=out)
    with structlog.contextvars.bound_contextvars(tenant="acme"), agentlog.run():
        events.tool_result("t", latency_ms=1.0)
    assert all(line["tenant"] == "acme" for line in _lines(out))


def test_given_processors_replace_the_users_chain_and_say_so(capfd: pytest.CaptureFixture[str]) -> None:
    """configure(processors=...) runs those instead, and says once that it replaced the user's chain."""
    _users_setup()

    def add_region(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        event_dict["region"] = "eu"
        return event_dict

    out = io.BytesIO()
    agentlog.configure(output=out, processors=[add_region])
    agentlog.get_logger().info("x")
    (line,) = _lines(out)
    assert line["region"] == "eu" and "hostname" not in line
    assert "replaces the structlog chain you configured (5 processors)" in capfd.readouterr().err


def test_reconfiguring_keeps_the_users_chain() -> None:
    """A second agentlog.configure() keeps the chain the user had before the first."""
    _users_setup()
    agentlog.configure(output=io.BytesIO())
    out = io.BytesIO()
    agentlog.configure(output=out, format="json", service="again")
    agentlog.get_logger().info("x")
    assert _lines(out)[0]["hostname"] == "web-1"


def test_a_failing_processor_loses_no_line() -> None:
    """A user processor that raises or drops a typed event is skipped, counted, and the line written."""

    def broken(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        raise RuntimeError("processor bug")

    def dropper(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        raise structlog.DropEvent

    out = io.BytesIO()
    agentlog.configure(output=out, processors=[broken, dropper])
    with agentlog.run():
        events.decision("route", "fast")
    lines = _lines(out)
    assert [line["event"] for line in lines] == ["run_started", "decision", "run_finished"]
    assert all(line["processor_error"] == "broken: RuntimeError" for line in lines)
    problems = agentlog.problems()
    assert any("broken raised" in problem for problem in problems)
    assert "a structlog processor dropped a line agentlog writes; written anyway" in problems


def test_capture_logs_sees_typed_events_and_logger_lines() -> None:
    """structlog.testing.capture_logs() captures agentlog's typed events and its logger's lines."""
    out = io.BytesIO()
    agentlog.configure(output=out)
    log = agentlog.get_logger()
    with structlog.testing.capture_logs() as captured, agentlog.run() as run:
        with agentlog.tool_call("search", {"q": 1}):
            log.info("inside", hits=2)
        events.decision("route", "fast")
    names = [entry["event"] for entry in captured]
    assert names == ["run_started", "tool_call", "inside", "tool_result", "decision", "run_finished"]
    assert all(entry["run_id"] == run.run_id for entry in captured if entry["event"] != "inside")
    assert next(entry for entry in captured if entry["event"] == "inside")["hits"] == 2
    assert out.getvalue() == b""
    agentlog.get_logger().info("after")
    assert _lines(out)[0]["event"] == "after"


def test_agentlog_testing_capture_sees_every_line() -> None:
    """agentlog.testing.capture() returns the flat fields of typed, structlog and stdlib lines."""
    out = io.BytesIO()
    agentlog.configure(output=out, service="svc")
    with capture() as lines, agentlog.run() as run:
        events.tool_result("t", latency_ms=1.0)
        agentlog.get_logger().info("structlog line")
        logging.getLogger("lib").warning("stdlib line")
    assert [line["event"] for line in lines] == [
        "run_started",
        "tool_result",
        "structlog line",
        "stdlib line",
        "run_finished",
    ]
    assert all(line["run_id"] == run.run_id and line["service"] == "svc" for line in lines)
    assert lines.one("tool_result")["tool"] == "t"
    assert out.getvalue() == b""


def test_unconfigured_logger_says_it_is_not_configured(capfd: pytest.CaptureFixture[str]) -> None:
    """Before configure(), agentlog.get_logger() says once that its lines do not go through agentlog."""
    agentlog.get_logger()
    agentlog.get_logger()
    assert capfd.readouterr().err.count("agentlog is not configured") == 1


def test_the_users_merge_contextvars_and_own_timestamp_stay_in_the_chain() -> None:
    """get_config() still has the user's merge_contextvars; a TimeStamper under its own key is theirs."""
    year = structlog.processors.TimeStamper(fmt="%Y", key="year")
    structlog.configure(processors=[structlog.contextvars.merge_contextvars, year, add_hostname])
    out = io.BytesIO()
    agentlog.configure(output=out)
    chain = structlog.get_config()["processors"]
    assert structlog.contextvars.merge_contextvars in chain and year in chain and add_hostname in chain
    with structlog.contextvars.bound_contextvars(tenant="acme"), agentlog.run():
        agentlog.get_logger().info("x")
    line = next(line for line in _lines(out) if line["event"] == "x")
    assert line["year"].isdigit() and line["tenant"] == "acme" and "extra" not in line


def test_callsite_parameters_name_the_callers_code_not_agentlogs() -> None:
    """A CallsiteParameterAdder in the chain names this test, for structlog lines and typed events."""
    structlog.configure(
        processors=[
            structlog.processors.CallsiteParameterAdder(
                [
                    structlog.processors.CallsiteParameter.FILENAME,
                    structlog.processors.CallsiteParameter.FUNC_NAME,
                ]
            )
        ]
    )
    out = io.BytesIO()
    agentlog.configure(output=out)
    with agentlog.run():
        agentlog.get_logger().info("free")
        events.decision("route", "fast")
    for line in _lines(out)[1:3]:
        assert line["filename"] == "test_composition.py", line
        assert line["func_name"] == "test_callsite_parameters_name_the_callers_code_not_agentlogs", line


def test_a_processor_failing_on_every_line_loses_no_free_form_line() -> None:
    """A processor that raises: structlog lines are still written (without it), and it is counted."""

    def broken(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        raise RuntimeError("processor bug")

    out = io.BytesIO()
    agentlog.configure(output=out, processors=[broken])
    with agentlog.run() as run:
        agentlog.get_logger("app").info("still here", n=1)
    line = next(line for line in _lines(out) if line["event"] == "still here")
    assert line["run_id"] == run.run_id and line["n"] == 1 and line["logger"] == "app"
    assert line["processor_error"] == "broken: RuntimeError"
    assert any("written without them" in problem for problem in agentlog.problems())


def test_a_processor_failing_on_some_lines_keeps_the_other_processors_work() -> None:
    """Only the failing processor is skipped: the others add their fields; its message is not written."""

    def picky(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        if "card" in event_dict:
            raise ValueError(f"cannot handle {event_dict['card']}")
        return event_dict

    out = io.BytesIO()
    agentlog.configure(output=out, processors=[add_hostname, picky])
    log = agentlog.get_logger()
    with agentlog.run():
        log.info("fine", n=1)
        log.info("awkward", card="tok-5x9Qz")
        events.decision("route", "fast")
    lines = {line["event"]: line for line in _lines(out)}
    assert "processor_error" not in lines["fine"]
    assert lines["awkward"]["processor_error"] == "picky: ValueError"
    assert lines["awkward"]["hostname"] == "web-1"
    assert "processor_error" not in lines["decision"]
    assert b"cannot handle" not in out.getvalue()


def test_run_started_is_written_when_metadata_refuses_a_truth_value() -> None:
    """Metadata whose truth value, length or equality raises (a pandas Series) loses no run_started."""

    class Ambiguous:
        __hash__ = None  # type: ignore[assignment]

        def __bool__(self) -> bool:
            raise ValueError("The truth value of a Series is ambiguous")

        def __len__(self) -> int:
            raise ValueError("ambiguous")

        def __eq__(self, other: object) -> bool:
            raise ValueError("ambiguous")

        def __repr__(self) -> str:
            return "Series([1, 2])"

    out = io.BytesIO()
    agentlog.configure(output=out)
    series = Ambiguous()
    events.run_started(task="t", metadata=series)  # type: ignore[arg-type]
    events.run_finished()
    with agentlog.run(task=series, metadata={"prompt_version": series}):
        pass
    events.run_started(task="t", prompt_version=series)
    events.run_finished()
    names = [line["event"] for line in _lines(out)]
    assert names == ["run_started", "run_finished"] * 3


def test_structlog_configured_after_agentlog_still_writes(capfd: pytest.CaptureFixture[str]) -> None:
    """Structlog configured after configure(): lines are written as its chain renders them, with a notice."""
    out = io.BytesIO()
    agentlog.configure(output=out)
    structlog.configure(processors=[structlog.processors.JSONRenderer()])
    structlog.get_logger().info("late chain")
    assert orjson.loads(out.getvalue())["event"] == "late chain"
    assert "structlog was configured after agentlog.configure()" in capfd.readouterr().err


def test_capture_logs_entries_carry_ids_and_bound_fields() -> None:
    """In capture_logs(), logger lines carry the run's IDs, logger name, bound contextvars; typed too."""
    agentlog.configure(output=io.BytesIO())
    with (
        structlog.testing.capture_logs() as captured,
        structlog.contextvars.bound_contextvars(tenant="acme"),
        agentlog.run() as run,
        agentlog.tool_call("search", {}),
    ):
        agentlog.get_logger("a").bind(k=1).info("inside")
    inside = next(entry for entry in captured if entry["event"] == "inside")
    assert inside["run_id"] == run.run_id and inside["tool_call_id"].startswith("tc_")
    assert (inside["logger"], inside["k"], inside["tenant"]) == ("a", 1, "acme")
    assert all(entry["tenant"] == "acme" for entry in captured)
