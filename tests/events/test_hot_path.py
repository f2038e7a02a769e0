"""The tool result written without a record (`emit_tool_result`) is the line the record path writes.

A succeeded call's ``tool_result`` skips the record, the chain and the
redaction when nothing in it is a caller's. A configuration with a
processor of the user's takes the record path for the same calls; the two
must write the same lines (but for the time, the measured latency and a new
span's random ID), count the same totals and report the same problems.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

import agentlog
from agentlog import _config, _diagnostics, events
from agentlog._settings import CONFIG
from agentlog.typing import EventDict, WrappedLogger


def _unchanged(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    return event_dict


def _lines(path: Path, direct: bool, write: Callable[[], None], **options: Any) -> list[dict[str, Any]]:
    """The lines *write* gives, by the hot path (*direct*) or by records (a processor of the user's)."""
    _config.reset()
    _diagnostics.clear()
    path.unlink(missing_ok=True)
    processors = [] if direct else [_unchanged]
    agentlog.configure(output=path, processors=processors, **options)
    assert CONFIG.settings is not None
    assert CONFIG.settings.direct is direct
    write()
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    lines.append({"problems": agentlog.problems()})
    _config.reset()
    for line in lines:
        line.pop("timestamp", None)
    return lines


_SCOPE_TOOL = "scope tool"

latencies = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0, max_value=1e6),
    st.integers(min_value=-5, max_value=10**13),
    st.text(max_size=5),
)
tools = st.one_of(st.text(max_size=20), st.none(), st.integers(), st.just("\ud800 lone"))
statuses = st.sampled_from([None, "ok", "OK", "error", "timeout", 3])


@settings(max_examples=60, deadline=None)
@given(tool=tools, latency=latencies, status=statuses)
def test_a_result_in_a_tool_call_scope_is_the_same_line_on_both_paths(
    tmp_path_factory: Any, tool: Any, latency: Any, status: Any
) -> None:
    """events.tool_result in the scope's call: the same line and totals, whatever the values."""
    path = tmp_path_factory.mktemp("scoped")

    def write() -> None:
        with (
            agentlog.run(task="t"),
            agentlog.step("tool"),
            agentlog.tool_call(_SCOPE_TOOL, {"q": 1}, tool_call_id="call_1"),
        ):
            events.tool_result(tool, latency_ms=latency, status=status)

    fast = _lines(path / "fast.jsonl", True, write)
    slow = _lines(path / "slow.jsonl", False, write)
    assert _comparable(fast) == _comparable(slow)


def _measured(line: dict[str, Any]) -> bool:
    """A latency agentlog measured (a scope's), not one the test gave."""
    return line.get("event") != "tool_result" or line.get("tool") == _SCOPE_TOOL


def _comparable(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines with what differs between two runs (their random IDs, measured times) left out."""
    out = []
    for line in lines:
        kept = {}
        for key, value in line.items():
            if key in {"run_id", "trace_id", "span_id", "parent_span_id"}:
                kept[key] = "<id>" if value is not None else None
            elif key == "total_latency_ms" or (
                key == "latency_ms"
                and (line.get("event") != "tool_result" or line.get("tool") == _SCOPE_TOOL)
            ):
                kept[key] = "<measured>"
            else:
                kept[key] = value
        out.append(kept)
    return out


@settings(max_examples=60, deadline=None)
@given(
    tool=tools,
    latency=latencies,
    status=statuses,
    call_id=st.one_of(st.none(), st.just("call_given"), st.just(""), st.integers()),
)
def test_a_result_with_no_call_open_is_the_same_line_on_both_paths(
    tmp_path_factory: Any, tool: Any, latency: Any, status: Any, call_id: Any
) -> None:
    """events.tool_result with no call open is a call of its own on both paths, counted as a problem once."""
    path = tmp_path_factory.mktemp("standalone")

    def write() -> None:
        with agentlog.run(task="t"), agentlog.step("tool"):
            events.tool_result(tool, tool_call_id=call_id, latency_ms=latency, status=status)
            events.tool_result(tool, tool_call_id=call_id, latency_ms=latency, status=status)

    fast = _comparable(_lines(path / "fast.jsonl", True, write))
    slow = _comparable(_lines(path / "slow.jsonl", False, write))
    for line in fast + slow:
        if line.get("event") == "tool_result" and line["tool_call_id"] != call_id:
            assert isinstance(line["tool_call_id"], str) and line["tool_call_id"]
            line["tool_call_id"] = "<new or mended>"  # generated: differs from run to run
    assert fast == slow


def test_a_result_with_no_call_open_has_a_span_of_its_own_under_the_step(tmp_path: Path) -> None:
    """The hot path's nested call: a new span whose parent is the step's, the step's IDs kept in order."""
    path = tmp_path / "a.jsonl"
    agentlog.configure(output=path)
    with agentlog.run(task="t"), agentlog.step("tool") as step:
        events.tool_result("search", tool_call_id="call_9", latency_ms=1.0)
    line = next(
        orjson.loads(raw) for raw in path.read_bytes().splitlines() if b'"event":"tool_result"' in raw
    )
    assert line["parent_span_id"] == step.span_id
    assert line["span_id"] != step.span_id and len(line["span_id"]) == 16
    keys = list(line)
    assert (
        keys.index("span_id")
        < keys.index("step_id")
        < keys.index("tool_call_id")
        < keys.index("parent_span_id")
    )
    assert agentlog.problems() == {"tool_result with no open tool_call; written as a call of its own": 1}


def test_a_scope_that_returned_writes_the_same_lines_on_both_paths(tmp_path: Path) -> None:
    """The tool call scope's own result on the hot path: the same lines and run totals as by record."""

    def write() -> None:
        with agentlog.run(task="t"), agentlog.step("tool"):
            for _ in range(3):
                with agentlog.tool_call(_SCOPE_TOOL, {"q": 1}):
                    pass

    fast = _comparable(_lines(tmp_path / "fast.jsonl", True, write, service="svc", env="prod"))
    slow = _comparable(_lines(tmp_path / "slow.jsonl", False, write, service="svc", env="prod"))
    for line in fast + slow:
        if line.get("event") == "tool_result":
            assert line["latency_ms"] == "<measured>"
        if "tool_call_id" in line:
            line["tool_call_id"] = "<generated>"
    assert fast == slow
    finished = [line for line in fast if line.get("event") == "run_finished"]
    assert finished[0]["tool_calls"] == 3
