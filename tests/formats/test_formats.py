"""ECS and Datadog profiles: field by field, against the specs and elastic's own library."""

from __future__ import annotations

import io
import re
from typing import Any

import orjson
import pytest

import agentlog
from agentlog import events
from agentlog._explorer.profiles import to_flat


def _scenario(fmt: str) -> list[dict[str, Any]]:
    out = io.BytesIO()
    agentlog.configure(output=out, format=fmt, service="support-agent", env="prod", version="1.4.2")  # type: ignore[arg-type]
    log = agentlog.get_logger("agent.planner")
    with pytest.raises(TimeoutError), agentlog.run(task="t", user_id="u-42", session_id="s-1"):
        with agentlog.step("model"), agentlog.llm_call("gpt-4o", provider="openai") as llm:
            llm.set_usage(812, 97, "stop")
        log.info("planning", candidates=3)
        events.decision("route", "search", reason="needs docs")
        with agentlog.step("tool"), agentlog.tool_call("search_docs", {"q": 1}):
            raise TimeoutError("search timed out")
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


def _path(record: dict[str, Any], path: str) -> Any:
    """Resolve an ECS field whether it is a dotted key or nested objects."""
    if path in record:
        return record[path]
    head, _, rest = path.partition(".")
    return _path(record[head], rest)


ECS_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3,9}Z$")


def test_ecs_required_fields_first_and_dotted() -> None:
    """@timestamp, log.level, message, ecs.version: top-level dotted keys, in the spec's order."""
    for line in _scenario("ecs"):
        assert list(line)[:4] == ["@timestamp", "log.level", "message", "ecs.version"]
        assert ECS_STAMP.match(line["@timestamp"])
        assert line["log.level"] in {"info", "error"}
        assert isinstance(line["message"], str)
        dotted = [key for key in line if "." in key]
        assert dotted == ["log.level", "ecs.version"]  # everything else nested, as expand_keys expects


def test_ecs_field_mapping() -> None:
    """trace.id/span.id, service.*, event.duration (ns), event.outcome, error.*, user.id, agentlog.*."""
    lines = _scenario("ecs")
    by_message = {line["message"]: line for line in lines}
    result = by_message["tool_result"]
    assert _path(result, "service.name") == "support-agent"
    assert _path(result, "service.version") == "1.4.2"
    assert _path(result, "service.environment") == "prod"
    assert re.fullmatch(r"[0-9a-f]{32}", _path(result, "trace.id"))
    assert re.fullmatch(r"[0-9a-f]{16}", _path(result, "span.id"))
    assert _path(result, "event.outcome") == "failure"
    assert _path(result, "event.action") == "tool_result"
    assert _path(result, "event.duration") == round(_path(result, "agentlog.latency_ms") * 1_000_000)
    assert _path(result, "error.type") == "TimeoutError"
    assert _path(result, "error.message") == "search timed out"
    assert "Traceback" in _path(result, "error.stack_trace")
    assert _path(result, "agentlog.tool") == "search_docs"
    assert "agent" not in result  # ECS agent.* is the shipper, never used
    assert _path(by_message["run_started"], "user.id") == "u-42"
    assert _path(by_message["planning"], "log.logger") == "agent.planner"
    assert _path(by_message["llm_result"], "event.outcome") == "success"
    assert _path(by_message["run_finished"], "event.dataset") == "support-agent"


def test_ecs_matches_elastic_ecs_logging_for_the_same_record() -> None:
    """For the same record, the fields both emit agree with ecs_logging.StructlogFormatter."""
    ecs_logging = pytest.importorskip("ecs_logging")
    ours = _scenario("ecs")[-1]  # run_finished
    record = {
        "event": ours["message"],
        "log.level": ours["log.level"],
        "trace.id": _path(ours, "trace.id"),
        "span.id": _path(ours, "span.id"),
        "service.name": _path(ours, "service.name"),
        "service.version": _path(ours, "service.version"),
        "service.environment": _path(ours, "service.environment"),
        "event.outcome": _path(ours, "event.outcome"),
        "event.duration": _path(ours, "event.duration"),
        "error.type": _path(ours, "error.type"),
        "error.message": _path(ours, "error.message"),
    }
    theirs = orjson.loads(ecs_logging.StructlogFormatter()(None, "info", dict(record)))
    assert list(theirs)[:3] == list(ours)[:3]
    for path in [key for key in record if key != "event"] + ["message"]:
        assert _path(theirs, path) == _path(ours, path), path
    assert "ecs.version" in theirs and "ecs.version" in ours


def test_datadog_reserved_and_standard_attributes() -> None:
    """Status = level, message, service, dd.* correlation, duration (ns), error.*, usr.id, evt.*."""
    lines = _scenario("datadog")
    by_message = {line["message"]: line for line in lines}
    result = by_message["tool_result"]
    assert result["status"] == "error"
    assert result["service"] == "support-agent"
    assert (result["dd.service"], result["dd.env"], result["dd.version"]) == (
        "support-agent",
        "prod",
        "1.4.2",
    )
    assert result["evt.outcome"] == "failure"
    assert result["evt.name"] == "tool_result"
    assert result["duration"] == round(result["agentlog.latency_ms"] * 1_000_000)
    assert result["error.kind"] == "TimeoutError"
    assert result["error.message"] == "search timed out"
    assert "Traceback" in result["error.stack"]
    assert by_message["run_started"]["usr.id"] == "u-42"
    assert by_message["planning"]["logger.name"] == "agent.planner"
    assert "evt.name" not in by_message["planning"]
    assert by_message["llm_result"]["evt.outcome"] == "success"


def test_datadog_trace_id_conversion_follows_the_documented_rule() -> None:
    """dd.trace_id is the lower 64 bits of the 128-bit trace ID, in decimal; dd.span_id decimal."""
    for line in _scenario("datadog"):
        flat = to_flat(line)
        assert flat is not None
        assert line["dd.trace_id"] == str(int(flat["trace_id"], 16) & 0xFFFFFFFFFFFFFFFF)
        assert line["dd.span_id"] == str(int(flat["span_id"], 16))
        assert int(line["dd.trace_id"]) < 2**64


def test_known_vector_for_datadog_ids() -> None:
    """A fixed W3C trace ID converts to the decimal Datadog shows for it."""
    from agentlog._formats.datadog import datadog_trace_ids

    trace, span = datadog_trace_ids("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
    assert trace == "11803532876627986230"
    assert span == "67667974448284343"


@pytest.mark.parametrize("fmt", ["ecs", "datadog"])
def test_every_profile_reads_back_to_the_flat_form(fmt: str) -> None:
    """to_flat inverts ECS and Datadog: the same events, IDs, statuses and totals as json."""
    flat_lines = [to_flat(line) for line in _scenario(fmt)]
    json_lines = _scenario("json")
    assert all(line is not None for line in flat_lines)
    for ours, reference in zip(flat_lines, json_lines, strict=False):
        assert ours is not None
        assert ours["event"] == reference["event"]
        for key in (
            "status",
            "stop_reason",
            "tool",
            "step_id",
            "errors",
            "tool_calls",
            "error_class",
            "user_id",
        ):
            assert ours.get(key) == reference.get(key), (fmt, key)
        assert set(reference) - {
            "trace_id",
            "span_id",
            "run_id",
            "timestamp",
            "latency_ms",
            "total_latency_ms",
            "parent_span_id",
            "tool_call_id",
            "task_hash",
            "error_stack",
        } <= set(ours)


def test_foreign_json_is_not_read_as_agentlog() -> None:
    """Objects that are no agentlog line give None."""
    assert to_flat({"hello": "world"}) is None
    assert to_flat({"timestamp": "x"}) is None


_DDTRACE_CHILD = """
import io, json, agentlog
from ddtrace.trace import tracer
out = io.BytesIO()
agentlog.configure(output=out, format="datadog")
with tracer.trace("web.request") as span:
    with agentlog.run():
        pass
line = json.loads(out.getvalue().splitlines()[0])
print(json.dumps({"line": line, "trace": str(span.trace_id & 0xFFFFFFFFFFFFFFFF), "span": str(span.span_id)}))
"""


def test_datadog_uses_the_active_ddtrace_span() -> None:
    """With ddtrace tracing, dd.trace_id/dd.span_id are its span's; agentlog's IDs stay under agentlog.*."""
    pytest.importorskip("ddtrace")
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DD_TRACE_AGENT_URL": "http://127.0.0.1:9",
        "DD_INSTRUMENTATION_TELEMETRY_ENABLED": "false",
    }
    done = subprocess.run(
        [sys.executable, "-c", _DDTRACE_CHILD],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    result = orjson.loads(done.stdout.strip().splitlines()[-1])
    assert result["line"]["dd.trace_id"] == result["trace"]
    assert result["line"]["dd.span_id"] == result["span"]
    assert len(result["line"]["agentlog.trace_id"]) == 32


@pytest.mark.parametrize("fmt", ["ecs", "datadog"])
def test_hostile_values_map_without_falling_back(fmt: str) -> None:
    """Odd caller values under mapped names (status, latency_ms, service) still map cleanly."""
    out = io.BytesIO()
    agentlog.configure(output=out, format=fmt)  # type: ignore[arg-type]
    agentlog.get_logger().info("odd", status={"not": "hashable"}, latency_ms=float("nan"), service=["x"])
    agentlog.get_logger().info("odd2", latency_ms=10**30, user_id={"id": 1})
    assert agentlog.problems() == {}
    for raw in out.getvalue().splitlines():
        assert to_flat(orjson.loads(raw)) is not None
