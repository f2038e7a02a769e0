"""Choosing runs: the filters and sorts of ``agentlog runs``, on summaries and on real logs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

import agentlog
from agentlog._explorer.filters import RunFilter, meta_text, parse_duration, parse_meta, sort_runs
from agentlog._explorer.runs import RunSummary, select_runs
from agentlog._explorer.times import epoch
from agentlog.cli import main

A = "aaaaaaaa-0000-4000-8000-000000000001"
B = "bbbbbbbb-0000-4000-8000-000000000002"
C = "cccccccc-0000-4000-8000-000000000003"

# -- what a user types ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("500ms", 500.0),
        ("2s", 2000.0),
        ("2", 2000.0),
        ("1.5m", 90_000.0),
        ("1h", 3_600_000.0),
        (" .5s ", 500.0),
    ],
)
def test_durations_are_read_in_milliseconds(text: str, ms: float) -> None:
    """ms, s, m, h and d are understood; a bare number is seconds."""
    assert parse_duration(text) == ms


@pytest.mark.parametrize("text", ["", "fast", "2 weeks", "-1s", "1e3s", "2s3"])
def test_other_durations_are_refused(text: str) -> None:
    """Anything else is no duration (None), never a guess."""
    assert parse_duration(text) is None


def test_meta_is_key_equals_value_split_at_the_first_equals() -> None:
    """The value may hold '=' and may be empty; the key may not."""
    assert parse_meta("route=a=b") == ("route", "a=b")
    assert parse_meta("flag=") == ("flag", "")
    assert parse_meta("=x") is None
    assert parse_meta("novalue") is None


def test_metadata_values_compare_as_text_or_json() -> None:
    """Strings as they are; numbers, booleans and null as JSON; objects never match."""
    assert [meta_text(value) for value in ("v7", 3, 2.5, True, None)] == ["v7", "3", "2.5", "true", "null"]
    assert meta_text({"a": 1}) is None and meta_text([1]) is None


# -- one filter at a time ---------------------------------------------------------------------


def _run(run_id: str, **fields: Any) -> RunSummary:
    fields.setdefault("started", "2026-11-22T03:00:00Z")
    fields.setdefault("status", "ok")
    return RunSummary(run_id, **fields)


def test_failed_means_an_error_or_a_recovered_failure() -> None:
    """--failed keeps status error and status ok with errors ≥ 1, not clean runs."""
    runs = [_run(A, status="error"), _run(B, errors=1), _run(C)]
    assert [run.run_id for run in select_runs(runs, failed=True)] == [A, B]


def test_status_unfinished_means_no_run_finished() -> None:
    """--status unfinished keeps the runs with no run_finished line; ok and error exclude them."""
    runs = [_run(A, status=None), _run(B, status="error", ended=True), _run(C)]
    assert [run.run_id for run in select_runs(runs, status="unfinished")] == [A]
    assert [run.run_id for run in select_runs(runs, status="error")] == [B]
    assert [run.run_id for run in select_runs(runs, status="ok")] == [C]


def test_session_request_and_error_class_filters() -> None:
    """Each keeps only the runs that match it exactly."""
    runs = [
        _run(A, session_id="s-1", request_id="r-1", error_classes={"TimeoutError"}),
        _run(B, session_id="s-2", request_id="r-1"),
    ]
    assert [run.run_id for run in select_runs(runs, session="s-1")] == [A]
    assert [run.run_id for run in select_runs(runs, request="r-1")] == [A, B]
    assert [run.run_id for run in select_runs(runs, error_class="TimeoutError")] == [A]
    assert select_runs(runs, error_class="Timeout") == []


def test_meta_filters_all_have_to_match() -> None:
    """Several KEY=VALUE pairs are all required; a missing key never matches, not even an empty value."""
    runs = [
        _run(A, metadata={"prompt_version": "v7", "retries": 3}),
        _run(B, metadata={"prompt_version": "v7"}),
    ]
    assert [r.run_id for r in select_runs(runs, meta=[("prompt_version", "v7")])] == [A, B]
    assert [r.run_id for r in select_runs(runs, meta=[("prompt_version", "v7"), ("retries", "3")])] == [A]
    assert select_runs(runs, meta=[("route", "")]) == []


def test_min_duration_counts_an_unfinished_run_as_far_as_its_lines_go() -> None:
    """A finished run by its total latency, an unfinished one by its first to last line; unknown fails."""
    runs = [
        _run(A, total_latency_ms=2500),
        _run(B, status=None, last_seen="2026-11-22T03:00:03Z"),
        _run(C, total_latency_ms=None),
    ]
    assert {run.run_id for run in select_runs(runs, min_duration_ms=2000)} == {A, B}
    assert [run.run_id for run in select_runs(runs, min_duration_ms=2600)] == [B]


def test_matches_start_ignores_what_only_the_end_tells() -> None:
    """Status, errors, error class and duration are not asked of a run just started."""
    chosen = RunFilter(status="error", failed=True, error_class="E", min_duration_ms=1e9, user="u")
    run = _run(A, status=None, user_id="u")
    assert chosen.matches_start(run) and not chosen.matches(run)
    assert not RunFilter(user="v").matches_start(run)


# -- sorting ------------------------------------------------------------------------------------


def test_sorts_put_the_most_first_and_break_ties_newest_first() -> None:
    """duration, tokens and errors: most first; equal ones newest first; unknown duration last."""
    runs = [
        _run(A, started="2026-11-22T03:00:00Z", total_latency_ms=5, input_tokens=10, errors=1),
        _run(
            B, started="2026-11-22T04:00:00Z", total_latency_ms=50, input_tokens=5, output_tokens=5, errors=1
        ),
        _run(C, started="2026-11-22T05:00:00Z", total_latency_ms=None, errors=0),
    ]
    assert [run.run_id for run in sort_runs(runs, "start")] == [C, B, A]
    assert [run.run_id for run in sort_runs(runs, "duration")] == [B, A, C]
    assert [run.run_id for run in sort_runs(runs, "tokens")] == [B, A, C]
    assert [run.run_id for run in sort_runs(runs, "errors")] == [B, A, C]
    with pytest.raises(ValueError, match="cannot sort"):
        sort_runs(runs, "name")


# -- on a real log --------------------------------------------------------------------------------

_KILLED = """
import os, signal, sys, agentlog
agentlog.configure(output=sys.argv[1], service="worker")
with agentlog.run(task="long", user_id="u-killed", session_id="s-1", metadata={"prompt_version": "v8"}):
    with agentlog.step("plan"), agentlog.llm_call("m", provider="p") as llm:
        llm.set_usage(40, 2, "stop")
    with agentlog.step("tool"), agentlog.tool_call("search", {"q": 1}):
        os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture(scope="module")
def incident(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A log with a clean, a failed, a recovered, a slow and a killed run, and lines spoofing a run."""
    folder = tmp_path_factory.mktemp("incident")
    path = folder / "agent.jsonl"
    ids: dict[str, Any] = {"path": str(path)}
    agentlog.configure(output=path, service="agent")
    log = agentlog.get_logger("agent")
    with agentlog.run(task="ok", user_id="u-1", session_id="s-1", request_id="r-1") as run:
        with agentlog.step("model"), agentlog.llm_call("gpt-4o", provider="openai") as llm:
            llm.set_usage(100, 10, "stop")
        log.info("run_started", user_id="mallory", session_id="s-evil")
        log.info("run_finished", status="error", stop_reason="spoofed")
    ids["clean"] = run.run_id
    with pytest.raises(TimeoutError), agentlog.run(task="bad", user_id="u-2", session_id="s-2") as run:
        ids["failed"] = run.run_id
        with agentlog.step("tool"), agentlog.tool_call("fetch", {"url": "x"}):
            raise TimeoutError("upstream")
    with agentlog.run(task="recover", user_id="u-3", metadata={"prompt_version": "v7", "retries": 2}) as run:
        try:
            with agentlog.step("tool"), agentlog.tool_call("fetch", {"url": "y"}):
                raise ConnectionError("reset")
        except ConnectionError:
            pass
        with agentlog.step("tool"), agentlog.tool_call("search", {"q": "y"}):
            pass
    ids["recovered"] = run.run_id
    with (
        agentlog.run(task="slow", user_id="u-4", request_id="r-2") as run,
        agentlog.step("tool"),
        agentlog.tool_call("search", {"q": "slow"}),
    ):
        time.sleep(0.12)
    ids["slow"] = run.run_id
    agentlog.configure(output=folder / "unused.jsonl")
    subprocess.run([sys.executable, "-c", _KILLED, str(path)], check=False, timeout=60)
    killed = [orjson.loads(line) for line in path.read_bytes().splitlines() if b"u-killed" in line]
    ids["killed"] = killed[0]["run_id"]
    return ids


def _runs(
    capsys: pytest.CaptureFixture[str], incident: dict[str, Any], *options: str
) -> list[dict[str, Any]]:
    assert main(["runs", incident["path"], "--json", *options]) == 0
    rows: list[dict[str, Any]] = orjson.loads(capsys.readouterr().out)
    return rows


def _ids(rows: list[dict[str, Any]], incident: dict[str, Any]) -> set[str]:
    names = {value: name for name, value in incident.items() if name != "path"}
    return {names.get(row["run_id"], row["run_id"]) for row in rows}


def test_runs_failed_finds_the_failed_and_the_recovered_run(
    capsys: pytest.CaptureFixture[str], incident: dict[str, Any]
) -> None:
    """--failed: the run that ended in error and the one that recovered from a failing tool."""
    assert _ids(_runs(capsys, incident, "--failed"), incident) == {"failed", "recovered"}


def test_runs_status_unfinished_shows_what_the_killed_runs_lines_prove(
    capsys: pytest.CaptureFixture[str], incident: dict[str, Any]
) -> None:
    """The SIGKILLed run is unfinished, with its two steps, its calls and its tokens counted."""
    [row] = _runs(capsys, incident, "--status", "unfinished")
    assert row["run_id"] == incident["killed"]
    assert (row["outcome"], row["unfinished"], row["status"]) == ("unfinished", True, None)
    assert (row["total_steps"], row["tool_calls"], row["llm_calls"], row["input_tokens"]) == (2, 1, 1, 40)
    assert row["session_id"] == "s-1" and row["metadata"] == {"prompt_version": "v8"}


def test_runs_table_says_unfinished(capsys: pytest.CaptureFixture[str], incident: dict[str, Any]) -> None:
    """In the table an unfinished run reads 'unfinished', its duration as a lower bound."""
    assert main(["runs", incident["path"], "--status", "unfinished", "--color", "never"]) == 0
    row = capsys.readouterr().out.splitlines()[1]
    assert "unfinished" in row and "≥" in row and incident["killed"] in row


def test_runs_by_session_request_and_error_class(
    capsys: pytest.CaptureFixture[str], incident: dict[str, Any]
) -> None:
    """--session, --request and --error-class (a recovered failure's class counts)."""
    assert _ids(_runs(capsys, incident, "--session", "s-1"), incident) == {"clean", "killed"}
    assert _ids(_runs(capsys, incident, "--request", "r-2"), incident) == {"slow"}
    assert _ids(_runs(capsys, incident, "--error-class", "ConnectionError"), incident) == {"recovered"}
    assert _ids(_runs(capsys, incident, "--error-class", "TimeoutError"), incident) == {"failed"}


def test_runs_by_metadata(capsys: pytest.CaptureFixture[str], incident: dict[str, Any]) -> None:
    """--meta KEY=VALUE on run metadata; numbers compare as JSON; pairs combine."""
    assert _ids(_runs(capsys, incident, "--meta", "prompt_version=v7"), incident) == {"recovered"}
    assert _ids(_runs(capsys, incident, "--meta", "retries=2", "--meta", "prompt_version=v7"), incident) == {
        "recovered"
    }
    assert _runs(capsys, incident, "--meta", "retries=3") == []


def test_runs_min_duration_and_sort(capsys: pytest.CaptureFixture[str], incident: dict[str, Any]) -> None:
    """--min-duration keeps the slow run; --sort duration puts it first, --sort errors the failed ones."""
    assert _ids(_runs(capsys, incident, "--min-duration", "100ms", "--status", "ok"), incident) == {"slow"}
    assert _runs(capsys, incident, "--sort", "duration")[0]["run_id"] == incident["slow"]
    by_errors = _runs(capsys, incident, "--sort", "errors")
    assert {row["run_id"] for row in by_errors[:2]} == {incident["failed"], incident["recovered"]}


def test_spoofing_lines_change_no_runs_row(
    capsys: pytest.CaptureFixture[str], incident: dict[str, Any]
) -> None:
    """Log messages named run_started/run_finished neither re-attribute nor end the clean run."""
    assert _runs(capsys, incident, "--user", "mallory") == []
    assert _runs(capsys, incident, "--session", "s-evil") == []
    [row] = _runs(capsys, incident, "--user", "u-1")
    assert (row["status"], row["stop_reason"], row["session_id"]) == ("ok", "completed", "s-1")


def test_unusable_filter_values_are_refused_with_exit_2(
    capsys: pytest.CaptureFixture[str], incident: dict[str, Any]
) -> None:
    """A --meta without '=', a --min-duration that is no duration, an unknown status or sort: exit 2."""
    for options in (["--meta", "novalue"], ["--min-duration", "soon"], ["--status", "done"], ["--sort", "x"]):
        with pytest.raises(SystemExit) as exited:
            main(["runs", incident["path"], *options])
        assert exited.value.code == 2
        assert "error" in capsys.readouterr().err


def test_filters_work_on_an_ecs_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same filters on the ecs profile: session, metadata, failed, error class."""
    path = tmp_path / "ecs.jsonl"
    agentlog.configure(output=path, format="ecs")
    with agentlog.run(task="x", session_id="s-e", metadata={"prompt_version": "v9"}) as run:
        try:
            with agentlog.step("tool"), agentlog.tool_call("t", {}):
                raise KeyError("k")
        except KeyError:
            pass
    options = ["--session", "s-e", "--meta", "prompt_version=v9", "--failed", "--error-class", "KeyError"]
    assert main(["runs", str(path), "--json", *options]) == 0
    [row] = orjson.loads(capsys.readouterr().out)
    assert row["run_id"] == run.run_id


def test_the_json_of_a_run_is_inert_in_a_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bidi marks and C1 controls in a value are written as JSON escapes, so the text stays valid JSON."""
    path = tmp_path / "a.jsonl"
    agentlog.configure(output=path)
    with agentlog.run(task="x", user_id="\u202eevil\u061c\x9b"):
        pass
    assert main(["runs", str(path), "--json"]) == 0
    out = capsys.readouterr().out
    assert "\u202e" not in out and "\u061c" not in out and "\x9b" not in out
    assert orjson.loads(out)[0]["user_id"] == "\u202eevil\u061c\x9b"


def test_started_times_of_the_fixture_are_real(incident: dict[str, Any]) -> None:
    """Sanity of the fixture: every run has an RFC 3339 start (the filters read it)."""
    from agentlog._explorer.reader import Counts, read_lines
    from agentlog._explorer.runs import summarize_runs

    runs = summarize_runs(read_lines([incident["path"]], Counts()))
    assert len(runs) == 5
    assert all(epoch(run.started) is not None for run in runs)


def test_runs_json_lists_tools_and_error_classes_only_when_they_were_read(
    capsys: pytest.CaptureFixture[str], incident: dict[str, Any]
) -> None:
    """They come from lines read only for --tool and --error-class: without those, left out, not partial."""
    row = next(row for row in _runs(capsys, incident) if row["run_id"] == incident["recovered"])
    assert "tools" not in row and "error_classes" not in row
    [row] = _runs(capsys, incident, "--tool", "search", "--error-class", "ConnectionError")
    assert (row["tools"], row["error_classes"]) == (["fetch", "search"], ["ConnectionError"])


def test_a_refused_filter_value_is_echoed_inert(
    capsys: pytest.CaptureFixture[str], incident: dict[str, Any]
) -> None:
    """The value quoted back in the usage error has its escapes and bidi marks escaped."""
    with pytest.raises(SystemExit):
        main(["runs", incident["path"], "--meta", "\x1b[2J\u202eevil"])
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\u202e" not in err and "\\x1b[2J\\u202eevil" in err
