"""A log message that reuses a typed event's name is marked ``free_form``, so no reader takes it for one."""

from __future__ import annotations

import io
import logging
from typing import Any

import jsonschema
import orjson
import pytest
import structlog

import agentlog
from agentlog import events, processors
from agentlog._explorer.profiles import to_flat
from agentlog._vocabulary import FREE_FORM, TYPED_EVENTS
from agentlog.typing import Format
from tests.conftest import Captured


def _spoofing_run() -> str:
    """A run whose body logs lines named like typed events; returns its run_id."""
    log = agentlog.get_logger("app")
    with agentlog.run(task="t", user_id="alice") as run:
        log.info("run_started", user_id="mallory")
        logging.getLogger("lib").warning("tool_result")
        log.info("an ordinary message")
    return run.run_id


def test_a_structlog_message_named_like_a_typed_event_is_marked(logs: Captured) -> None:
    """``log.info("run_started", ...)`` writes free_form: true; the typed run_started does not."""
    _spoofing_run()
    started = logs.events("run_started")
    assert [line.get(FREE_FORM) for line in started] == [None, True]
    assert started[1]["user_id"] == "mallory"  # the caller's field is written as given


def test_a_stdlib_message_named_like_a_typed_event_is_marked(logs: Captured) -> None:
    """A stdlib record whose message is a typed event's name is marked too."""
    _spoofing_run()
    [line] = logs.events("tool_result")
    assert line[FREE_FORM] is True
    assert line["logger"] == "lib"


def test_ordinary_messages_and_typed_events_carry_no_marker(logs: Captured) -> None:
    """Only the clash is marked: other messages and every typed event are written as before."""
    agentlog.configure(output=logs.path, capture="full", level="debug")
    with pytest.raises(KeyError), agentlog.run(task="t", metadata={"prompt_version": "v7"}):
        with agentlog.step("tool"), agentlog.tool_call("a", {"x": 1}) as call:
            call.result = 1
        with agentlog.llm_call("m", provider="p") as llm:
            llm.set_usage(1, 2, "stop")
        events.decision("route", "x")
        agentlog.get_logger().info("hello run_started")
        with agentlog.step("tool"), agentlog.tool_call("b", {}):
            raise KeyError("k")
    lines = logs.lines()
    assert {line["event"] for line in lines} >= set(TYPED_EVENTS)
    assert not [line for line in lines if FREE_FORM in line]


@pytest.mark.parametrize("fmt", ["ecs", "datadog"])
def test_the_marker_survives_the_ecs_and_datadog_profiles(logs: Captured, fmt: Format) -> None:
    """Under agentlog.free_form in both profiles, read back as free_form by the explorer."""
    agentlog.configure(output=logs.path, format=fmt)
    _spoofing_run()
    flat = [to_flat(line) for line in logs.lines()]
    marked = [(line["event"], line.get(FREE_FORM)) for line in flat if line is not None]
    assert marked == [
        ("run_started", None),
        ("run_started", True),
        ("tool_result", True),
        ("an ordinary message", None),
        ("run_finished", None),
    ]


@pytest.mark.parametrize("fmt", ["ecs", "datadog"])
def test_a_marked_line_is_not_indexed_as_the_typed_event(logs: Captured, fmt: Format) -> None:
    """Neither event.action (ecs) nor evt.name (datadog) names the typed event on a marked line."""
    agentlog.configure(output=logs.path, format=fmt)
    _spoofing_run()
    lines = logs.lines()
    actions = [
        (line.get("event") or {}).get("action") if fmt == "ecs" else line.get("evt.name") for line in lines
    ]
    assert actions == ["run_started", None, None, None, "run_finished"]


def test_a_callers_own_free_form_field_never_clears_the_marker(logs: Captured) -> None:
    """``free_form=False`` given with a clashing message is kept under extra; the marker stays true."""
    with agentlog.run():
        agentlog.get_logger().info("run_finished", free_form=False)
    [marked] = [line for line in logs.events("run_finished") if FREE_FORM in line]
    assert marked[FREE_FORM] is True
    assert marked["extra"] == {FREE_FORM: False}


def test_a_typed_events_field_named_free_form_cannot_mark_it(logs: Captured) -> None:
    """Run metadata ``free_form`` goes under metadata, a tool call's under extra: both lines stay typed."""
    with agentlog.run(task="t", metadata={FREE_FORM: True}):
        events.tool_call("a", {}, free_form=True)
    started = logs.one("run_started")
    assert FREE_FORM not in started
    assert started["metadata"] == {FREE_FORM: True}
    call = logs.one("tool_call")
    assert FREE_FORM not in call
    assert call["extra"] == {FREE_FORM: True}


def test_a_marked_line_over_the_size_limit_keeps_the_marker(tmp_path: Any) -> None:
    """Cut to fit, a marked line loses the caller's last fields, never the marker written before them."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path, max_line_bytes=2048)
    with agentlog.run():
        agentlog.get_logger().info("run_started", **{f"f{i}": "v" * 2000 for i in range(50)})
    lines = [orjson.loads(raw) for raw in path.read_bytes().splitlines()]
    [marked] = [line for line in lines if line["event"] == "run_started" and "task_hash" not in line]
    assert marked[FREE_FORM] is True
    assert marked.get("fields_dropped")


def test_typed_events_through_the_applications_own_chain_are_not_marked() -> None:
    """With agentlog's Renderer in the user's own chain, typed events stay typed, messages are marked."""
    out = io.StringIO()
    structlog.configure(
        processors=[processors.Renderer()],
        logger_factory=processors.LoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    try:
        with agentlog.run(task="t"):
            structlog.get_logger().info("run_started", user_id="mallory")
    finally:
        structlog.reset_defaults()
    lines = [orjson.loads(raw) for raw in out.getvalue().splitlines()]
    assert [(line["event"], line.get(FREE_FORM)) for line in lines] == [
        ("run_started", None),
        ("run_started", True),
        ("run_finished", None),
    ]


def test_a_marked_line_is_a_valid_ordinary_line_and_the_schema_keeps_its_teeth(logs: Captured) -> None:
    """The schema takes a marked line as a log line; the same line unmarked fails the typed event's checks."""
    _spoofing_run()
    validator = jsonschema.Draft202012Validator(agentlog.event_schema())
    for line in logs.lines():
        validator.validate(line)
    marked = next(line for line in logs.events("run_started") if line.get(FREE_FORM))
    unmarked = {key: value for key, value in marked.items() if key != FREE_FORM}
    assert not validator.is_valid(unmarked)
