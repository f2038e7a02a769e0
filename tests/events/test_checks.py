"""Typed values are checked: bad ones are coerced, kept under `invalid`, counted, and still validate."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

import agentlog
from agentlog import events
from tests.conftest import Captured

# The calls below pass wrong types on purpose.
untyped: Any = events


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(agentlog.event_schema())


BAD_CALLS = [
    ("tool_result", lambda: untyped.tool_result(None, latency_ms="fast", status="timeout"), "tool"),
    ("tool_result", lambda: untyped.tool_result("t", latency_ms=-5), "latency_ms"),
    ("tool_result", lambda: untyped.tool_result("t", latency_ms=float("nan")), "latency_ms"),
    ("tool_call", lambda: untyped.tool_call(None, {}), "tool"),
    ("llm_result", lambda: untyped.llm_result("m", input_tokens=-3, output_tokens=2.5), "input_tokens"),
    ("llm_result", lambda: untyped.llm_result("m", input_tokens=True), "input_tokens"),
    ("llm_result", lambda: untyped.llm_result(None, provider=7), "model"),
    ("agent_step", lambda: untyped.agent_step(None, step_id=0), "step_id"),
    ("step_finished", lambda: untyped.step_finished("plan", latency_ms="1e99"), "latency_ms"),
    ("decision", lambda: untyped.decision(None, 3, reason=object()), "kind"),
]


@pytest.mark.parametrize(("event", "call", "field"), BAD_CALLS, ids=[f"{e}-{f}" for e, _, f in BAD_CALLS])
def test_a_bad_value_still_writes_a_valid_line(
    logs: Captured, validator: jsonschema.Draft202012Validator, event: str, call: Any, field: str
) -> None:
    """The line is written and validates; the value given is under invalid; the problem is counted."""
    with agentlog.run():
        call()
    line = logs.one(event)
    validator.validate(line)
    assert field in line["invalid"]
    assert any(field in problem for problem in agentlog.problems())


def test_an_unknown_status_counts_as_an_error_in_line_and_totals(logs: Captured) -> None:
    """status="timeout" is written as error, at level error, and counted as an error by the run."""
    with agentlog.run():
        untyped.tool_result("search", status="timeout")
        untyped.tool_result("search", status="success")
    first, second = logs.events("tool_result")
    assert (first["status"], first["level"], first["invalid"]) == ("error", "error", {"status": "timeout"})
    assert second["status"] == "ok"
    finished = logs.one("run_finished")
    assert (finished["tool_calls"], finished["errors"]) == (2, 1)


def test_token_counts_in_totals_are_the_ones_written(logs: Captured) -> None:
    """Coerced token counts are the ones the run adds up: totals agree with the lines."""
    with agentlog.run():
        untyped.llm_result("m", input_tokens="12", output_tokens=-1)
        untyped.llm_result("m", input_tokens=3.0, output_tokens=4)
    results = logs.events("llm_result")
    assert [(r["input_tokens"], r["output_tokens"]) for r in results] == [(12, None), (3, 4)]
    finished = logs.one("run_finished")
    assert (finished["input_tokens"], finished["output_tokens"]) == (15, 4)


def test_latencies_are_rounded_to_the_microsecond(logs: Captured) -> None:
    """A given latency is written to three decimals, never as a long binary fraction."""
    untyped.tool_result("t", latency_ms=3.1809999999999996)
    untyped.tool_result("t", latency_ms=12.5)
    assert [line["latency_ms"] for line in logs.events("tool_result")] == [3.181, 12.5]
    assert "invalid" not in logs.events("tool_result")[0]


def test_measured_latencies_have_three_decimals_at_most(logs: Captured) -> None:
    """Scopes measure latencies to the microsecond."""
    with agentlog.run(), agentlog.tool_call("t"):
        pass
    for line in logs.lines():
        for key in ("latency_ms", "total_latency_ms"):
            if isinstance(line.get(key), float):
                assert len(repr(line[key]).partition(".")[2]) <= 3
