"""Typed values are checked: bad ones are coerced, kept under `invalid`, counted, and still validate."""

from __future__ import annotations

import io
from typing import Any, cast

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agentlog
from agentlog import events
from agentlog.testing import capture
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


# -- every value, every helper: a property ----------------------------------------------

HOSTILE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "²", "٣", "1e309", " 7 ", "ok", "error", "-0", "9" * 40, "\x00\ud800", "NaN"]),
    st.text(max_size=20),
    st.builds(object),
    st.binary(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=3),
)


VALIDATOR = jsonschema.Draft202012Validator(agentlog.event_schema())


@settings(max_examples=150, deadline=None)
@given(
    tool=HOSTILE_VALUES,
    call_id=HOSTILE_VALUES,
    latency=HOSTILE_VALUES,
    status=HOSTILE_VALUES,
    tokens_in=HOSTILE_VALUES,
    tokens_out=HOSTILE_VALUES,
    step_id=HOSTILE_VALUES,
    session=HOSTILE_VALUES,
    metadata=HOSTILE_VALUES,
)
def test_any_value_in_any_helper_writes_every_line_valid_and_totals_agree(
    tool: Any,
    call_id: Any,
    latency: Any,
    status: Any,
    tokens_in: Any,
    tokens_out: Any,
    step_id: Any,
    session: Any,
    metadata: Any,
) -> None:
    """Whatever a caller passes, each helper writes its line, every line validates, totals match the lines."""
    agentlog.configure(output=io.BytesIO(), stdlib=False)
    with capture() as lines:
        untyped.run_started("task", session_id=session, request_id=call_id, metadata=metadata)
        untyped.agent_step("tool", step_id=step_id, tool=tool)
        given_id = untyped.tool_call(tool, {"q": 1}, tool_call_id=call_id)
        agentlog.get_logger().info("inside the call")
        untyped.tool_result(tool, tool_call_id=given_id, latency_ms=latency, status=status)
        untyped.llm_result(tool, input_tokens=tokens_in, output_tokens=tokens_out, latency_ms=latency)
        untyped.step_finished(status=status)
        untyped.run_finished(status=status)
    names = [line["event"] for line in lines]
    assert names == [
        "run_started",
        "agent_step",
        "tool_call",
        "inside the call",
        "tool_result",
        "llm_result",
        "step_finished",
        "run_finished",
    ]
    for line in lines:
        VALIDATOR.validate(line)
    run_id = lines[0]["run_id"]
    assert all(line["run_id"] == run_id for line in lines)
    for key in ("session_id", "request_id"):
        assert len({line.get(key) for line in lines if key in line}) <= 1, key
    call, inside, result = lines.one("tool_call"), lines.one("inside the call"), lines.one("tool_result")
    assert call["span_id"] == result["span_id"] and call["tool_call_id"] == result["tool_call_id"]
    assert inside["tool_call_id"] == call["tool_call_id"]
    finished = lines.one("run_finished")
    results = lines.events("tool_result") + lines.events("llm_result")
    assert finished["tool_calls"] == 1 and finished["llm_calls"] == 1 and finished["total_steps"] == 1
    assert finished["errors"] == sum(
        line["status"] == "error" for line in [*results, lines.one("step_finished")]
    )
    llm = lines.one("llm_result")
    assert finished["input_tokens"] == (llm["input_tokens"] or 0)
    assert finished["output_tokens"] == (llm["output_tokens"] or 0)
    agentlog_reset()


def agentlog_reset() -> None:
    """Hypothesis runs many examples in one test: each starts from a clean slate."""
    from agentlog import _config

    _config.reset()


def test_ids_given_as_other_values_are_the_same_text_on_every_line(logs: Captured) -> None:
    """session_id=123 and tool_call_id=42 are carried as "123" and "42": lines agree, the call pairs."""
    untyped.run_started("t", session_id=123, request_id=object())
    untyped.tool_call("search", {}, tool_call_id=42)
    agentlog.get_logger().info("inside")
    untyped.tool_result("search", tool_call_id=42)
    events.run_finished()
    lines = logs.lines()
    assert {line["session_id"] for line in lines} == {"123"}
    assert len({line["request_id"] for line in lines}) == 1
    call, result = logs.one("tool_call"), logs.one("tool_result")
    assert call["tool_call_id"] == result["tool_call_id"] == "42" and call["span_id"] == result["span_id"]
    assert result["latency_ms"] is not None and result["status"] == "ok"
    assert (logs.one("run_finished")["tool_calls"], logs.one("run_finished")["errors"]) == (1, 0)
    assert any("session_id was not text" in problem for problem in agentlog.problems())


def test_metadata_that_is_not_a_mapping_is_kept_under_invalid(logs: Captured) -> None:
    """metadata="notadict" is written under invalid, counted, and the line validates."""
    with cast(Any, agentlog).run(metadata="notadict"):
        pass
    assert logs.one("run_started")["invalid"] == {"metadata": "notadict"}
    assert any("metadata was not a mapping" in problem for problem in agentlog.problems())


def test_a_bad_step_number_is_numbered_as_the_next_step(logs: Captured) -> None:
    """agent_step(step_id=-3) is step 1, agent_step(step_id="abc") step 2: total_steps agrees."""
    events.run_started("t")
    untyped.agent_step("tool", step_id=-3)
    untyped.agent_step("tool", step_id="abc")
    events.run_finished()
    assert [line["step_id"] for line in logs.events("agent_step")] == [1, 2]
    assert [line["invalid"] for line in logs.events("agent_step")] == [{"step_id": -3}, {"step_id": "abc"}]
    assert logs.one("run_finished")["total_steps"] == 2


def test_huge_token_counts_are_not_written_as_counts(logs: Captured) -> None:
    """A count beyond what JSON readers hold exactly is kept under invalid, not summed into the totals."""
    with agentlog.run():
        untyped.llm_result("m", input_tokens=10**40, output_tokens=2**63)
    llm = logs.one("llm_result")
    assert (llm["input_tokens"], llm["output_tokens"]) == (None, None)
    assert logs.one("run_finished")["input_tokens"] == 0


def test_an_error_given_with_status_ok_is_a_failure_everywhere(logs: Captured) -> None:
    """tool_result and llm_result agree: an error given makes the status error, counted once each."""
    with agentlog.run():
        untyped.tool_result("t", error="boom", status="ok")
        untyped.llm_result("m", error=ValueError("bad"), status="ok")
    assert [line["status"] for line in logs.events("tool_result") + logs.events("llm_result")] == [
        "error",
        "error",
    ]
    assert logs.one("run_finished")["errors"] == 2
