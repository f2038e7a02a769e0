"""The published JSON Schema: what is written satisfies it, and it has teeth."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import orjson
import pytest

import agentlog
from agentlog import events
from agentlog._vocabulary import TYPED_EVENTS
from tests.conftest import Captured


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = agentlog.event_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _full_scenario() -> None:
    log = agentlog.get_logger("scenario")
    with pytest.raises(TimeoutError), agentlog.run(task="t", user_id="u", metadata={"prompt_version": "v1"}):
        with agentlog.step("plan"), agentlog.llm_call("m", provider="p") as llm:
            llm.set_usage(1, 2, "stop")
        with agentlog.step("tool", tool="a"), agentlog.tool_call("a", {"x": 1}) as call:
            log.info("inside")
            call.result = {"text": "y" * 5000}
        events.decision("retry", "again", reason="flaky")
        with agentlog.run(), agentlog.step("tool"), agentlog.tool_call("b", None):
            pass
        with agentlog.step("tool"), agentlog.tool_call("c", {}):
            raise TimeoutError("slow")


@pytest.mark.parametrize("mode", ["hash", "redacted", "full", "none"])
def test_every_line_of_a_full_run_is_valid(
    logs: Captured, validator: jsonschema.Draft202012Validator, mode: str
) -> None:
    """Every line of a full run (all event types, errors, a child run) validates, in every capture mode."""
    agentlog.configure(output=logs.path, capture=mode, level="debug")
    _full_scenario()
    lines = logs.lines()
    names = {line["event"] for line in lines}
    assert names >= set(TYPED_EVENTS)
    for line in lines:
        validator.validate(line)


def test_standalone_events_are_valid(logs: Captured, validator: jsonschema.Draft202012Validator) -> None:
    """The helpers called on their own also write schema-valid lines."""
    events.run_started("t")
    events.agent_step("plan", step_id=1)
    events.step_finished("plan", step_id=1, latency_ms=1.0)
    events.tool_call("t", {})
    events.tool_result("t", latency_ms=2.0, error_class="E")
    events.llm_result("m")
    events.decision("route", "x")
    events.run_finished()
    for line in logs.lines():
        validator.validate(line)


def test_lines_that_say_what_gave_are_valid(
    tmp_path: Any, validator: jsonschema.Draft202012Validator
) -> None:
    """A line a processor failed on (processor_error) and one cut to the limit (fields_dropped) validate."""

    def picky(logger: Any, method_name: str, event_dict: Any) -> Any:
        raise ValueError("no")

    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path, processors=[picky], max_line_bytes=4096)
    with agentlog.run():
        agentlog.get_logger().info("wide", **{f"f{index}": "v" * 100 for index in range(100)})
    lines = [orjson.loads(raw) for raw in path.read_bytes().splitlines()]
    wide = next(line for line in lines if line["event"] == "wide")
    assert wide["processor_error"] == "picky: ValueError" and wide["fields_dropped"] >= 1
    for line in lines:
        validator.validate(line)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**wide, "fields_dropped": "many"})


@pytest.mark.parametrize(
    ("event", "field", "bad"),
    [
        ("tool_call", "tool_call_id", None),
        ("tool_call", "args_hash", "md5:abc"),
        ("tool_result", "status", "maybe"),
        ("run_started", "trace_id", "0" * 32),
        ("run_started", "trace_id", "ABCDEF0123456789ABCDEF0123456789"),
        ("run_finished", "errors", -1),
        ("agent_step", "step_id", 0),
        ("llm_result", "input_tokens", "many"),
    ],
)
def test_schema_rejects_broken_lines(
    logs: Captured, validator: jsonschema.Draft202012Validator, event: str, field: str, bad: Any
) -> None:
    """Each typed event's required fields and formats are enforced."""
    _full_scenario()
    line = copy.deepcopy(logs.events(event)[0])
    if bad is None:
        del line[field]
    else:
        line[field] = bad
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(line)


def test_schema_version_is_published() -> None:
    """The schema names its version."""
    assert agentlog.SCHEMA_VERSION == 1
    assert agentlog.event_schema()["$id"].endswith(":1")
