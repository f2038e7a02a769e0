"""`runs` parses a finished run's step and call lines late or never, and lists what parsing all would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentlog._explorer import reader
from agentlog._explorer.reader import Counts, read_lines
from agentlog._explorer.runs import PROOF_EVENTS, RUN_EVENTS, build_runs, runs_of_files

RUNS = ("aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002", "cccc")
SHAPE = {"task_hash": None, "request_id": None, "session_id": None}
TOTALS = {"total_steps": 1, "tool_calls": 1, "llm_calls": 1, "errors": 0}
UNREAD = ("tools", "error_classes")  # read only for --tool and --error-class, which parse every line


def _stamp(second: int) -> str:
    return f"2026-11-22T03:{second // 60:02d}:{second % 60:02d}.000000Z"


def _compact(fields: dict[str, Any]) -> bytes:
    return orjson.dumps(fields)


def _typed(event: str, run_id: str, second: int, **fields: Any) -> dict[str, Any]:
    return {"timestamp": _stamp(second), "level": "info", "event": event, "run_id": run_id, **fields}


def _proof(event: str, run_id: str, second: int) -> dict[str, Any]:
    fields: dict[str, Any] = {"step_id": second % 3 + 1, "span_id": f"s{second}"}
    if event in ("tool_call", "tool_result"):
        fields.update(tool="search", tool_call_id=f"tc{second % 4}")
    if event in ("tool_result", "llm_result", "step_finished"):
        fields.update(status="error" if second % 5 == 0 else "ok", error_class="E")
    if event == "llm_result":
        fields.update(model="m", input_tokens=second, output_tokens=1)
    return _typed(event, run_id, second, **fields)


def _variant(kind: str, run_id: str, other: str, event: str, second: int) -> bytes:
    """One raw line of a kind a log may hold, honest or hostile."""
    line = _proof(event, run_id, second)
    if kind == "proof":
        return _compact(line)
    if kind == "spaced":  # valid JSON, not compact: every line of it parsed
        return orjson.dumps(line, option=orjson.OPT_INDENT_2).replace(b"\n", b"")
    if kind == "free_form":
        return _compact({**line, "free_form": True})
    if kind == "nested_run":  # the only run_id is in a nested object: the line belongs to no run
        del line["run_id"]
        return _compact({**line, "ctx": {"run_id": run_id}})
    if kind == "nested_then_top":  # a nested run_id before the real one
        top = line.pop("run_id")
        return _compact({"ctx": {"run_id": other}, **line, "run_id": top})
    if kind == "duplicate":  # the last of two run_id keys is the one JSON readers keep
        return _compact(line)[:-1] + b',"run_id":"' + other.encode() + b'"}'
    if kind == "escaped_key":  # the real run_id key spelled with an escape, another one nested
        del line["run_id"]
        body = _compact({**line, "ctx": {"run_id": run_id}})
        return body[:-1] + b',"run\\u005fid":"' + other.encode() + b'"}'
    if kind == "nested_event":  # a log line whose nested object names a typed event
        return _compact({**line, "event": "prompt built", "inner": {"event": event}})
    if kind == "event_late":  # a nested event first, the real one (run_finished) after
        finished = _typed("run_finished", run_id, second, status="error", stop_reason="error", **TOTALS)
        return _compact({"inner": {"event": event}, **finished})
    if kind == "cut":  # a line cut short (killed writer, truncation)
        raw = _compact(line)
        return raw[: len(raw) // 2]
    if kind == "torn_tail":  # the end of a line after a tear: not JSON, though it ends with a brace
        raw = _compact(line)
        return raw[len(raw) // 3 :]
    if kind == "escaped_value":
        return _compact({**line, "note": 'said "hi"\n'})
    raise AssertionError(kind)


KINDS = (
    "proof",
    "spaced",
    "free_form",
    "nested_run",
    "nested_then_top",
    "duplicate",
    "escaped_key",
    "nested_event",
    "event_late",
    "cut",
    "torn_tail",
    "escaped_value",
)

_step = st.one_of(
    st.tuples(st.just("start"), st.sampled_from(RUNS), st.booleans()),
    st.tuples(st.just("finish"), st.sampled_from(RUNS), st.booleans()),
    st.tuples(st.sampled_from(KINDS), st.sampled_from(RUNS), st.sampled_from(PROOF_EVENTS)),
)


def _log(steps: list[tuple[Any, ...]]) -> bytes:
    lines = []
    for second, (kind, run_id, detail) in enumerate(steps):
        if kind == "start":
            shape = SHAPE if detail else {}
            lines.append(_compact(_typed("run_started", run_id, second, user_id="u", **shape)))
        elif kind == "finish":
            status = {"status": "ok", "stop_reason": "completed", **TOTALS} if detail else {"status": "ok"}
            lines.append(_compact(_typed("run_finished", run_id, second, **status)))
        else:
            other = RUNS[(RUNS.index(run_id) + 1) % len(RUNS)]
            lines.append(_variant(kind, run_id, other, detail, second))
    return b"\n".join(lines) + b"\n"


def _listed(path: Path) -> tuple[list[dict[str, Any]], Counts]:
    counts = Counts()
    runs = runs_of_files([str(path)], counts).summaries()
    return [{k: v for k, v in run.as_dict().items() if k not in UNREAD} for run in runs], counts


def _parsing_every_line(path: Path) -> tuple[list[dict[str, Any]], Counts]:
    counts = Counts()
    lines = read_lines([str(path)], counts, events=RUN_EVENTS + PROOF_EVENTS, count_all=True)
    runs = build_runs(lines).summaries()
    return [{k: v for k, v in run.as_dict().items() if k not in UNREAD} for run in runs], counts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_step, max_size=40))
def test_runs_are_what_parsing_every_line_gives(tmp_path: Path, steps: list[tuple[Any, ...]]) -> None:
    """Honest and hostile lines in any order: the runs listed equal those built from every line parsed."""
    path = tmp_path / "agent.jsonl"
    path.write_bytes(_log(steps))
    listed, counts = _listed(path)
    expected, expected_counts = _parsing_every_line(path)
    assert listed == expected
    assert counts.skipped == expected_counts.skipped


def test_a_finished_runs_step_and_call_lines_are_never_parsed(tmp_path: Path) -> None:
    """Of a log of finished runs, only the run_started and run_finished lines are parsed."""
    steps: list[tuple[Any, ...]] = []
    for run_id in RUNS:
        steps.append(("start", run_id, True))
        steps.extend(("proof", run_id, event) for event in PROOF_EVENTS)
        steps.append(("finish", run_id, True))
    path = tmp_path / "agent.jsonl"
    path.write_bytes(_log(steps))
    listed, counts = _listed(path)
    assert counts.parsed == 2 * len(RUNS)
    assert listed == _parsing_every_line(path)[0]


def test_an_open_runs_lines_are_parsed_and_counted(tmp_path: Path) -> None:
    """A run killed before run_finished is counted from its lines, as if every line were parsed."""
    steps: list[tuple[Any, ...]] = [("start", RUNS[0], True)]
    steps.extend(("proof", RUNS[0], event) for event in PROOF_EVENTS * 2)
    path = tmp_path / "agent.jsonl"
    path.write_bytes(_log(steps))
    listed, counts = _listed(path)
    assert listed == _parsing_every_line(path)[0]
    assert listed[0]["unfinished"] and listed[0]["llm_calls"] == 2
    assert counts.parsed == len(steps)


@pytest.mark.skipif(reader._workers() < 2, reason="needs two CPUs to split a file across processes")
def test_parts_read_by_two_processes_merge_into_the_same_runs(tmp_path: Path, monkeypatch: Any) -> None:
    """Split across processes anywhere, held lines included, the runs are those of one reading."""
    steps: list[tuple[Any, ...]] = []
    for index in range(60):
        run_id = RUNS[index % 3]
        steps.extend([("proof", run_id, PROOF_EVENTS[index % 5]), ("start", run_id, True)])
        if index % 7 == 0:
            steps.append(("finish", run_id, True))
    path = tmp_path / "agent.jsonl"
    path.write_bytes(_log(steps))
    expected = _parsing_every_line(path)[0]
    for part in (300, 1000, 4000):
        monkeypatch.setattr(reader, "_PART", part)
        assert _listed(path)[0] == expected, part
