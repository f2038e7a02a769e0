"""slo: objectives, error budgets and burn rates on a log whose every figure is worked out by hand."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentlog._explorer.facts import RunFacts, facts_of_lines
from agentlog._explorer.groups import Member
from agentlog._explorer.slo import (
    COMPLETION,
    ERROR_RATE,
    LATENCY,
    Objective,
    Window,
    evaluate,
    parse_percent,
    slo_report,
    slo_text,
)
from agentlog._explorer.text import Style
from agentlog._explorer.times import epoch
from agentlog._formats.ecs import to_ecs
from agentlog.cli import main
from tests.explorer.known_runs import finished, known_lines, run_id, run_lines, stamp, started

HOSTILE = "\x1b[2J\x1b[31mred\x07\u202eevil"


def _members() -> list[Member]:
    return [Member(run) for run in facts_of_lines(known_lines())]


def _write(path: Path, lines: list[dict[str, Any]]) -> str:
    path.write_bytes(b"".join(orjson.dumps(each) + b"\n" for each in lines))
    return str(path)


@pytest.fixture
def log(tmp_path: Path) -> str:
    """The known log, as a json file."""
    return _write(tmp_path / "agent.jsonl", known_lines())


def _slo(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any] | None, str]:
    code = main(["slo", *argv])
    captured = capsys.readouterr()
    return code, orjson.loads(captured.out) if "--json" in argv and captured.out else None, captured.err


def test_percentages_are_read_exactly() -> None:
    """99.5 (or 99.5%) is 199/200; outside 0-100, or not a number, is refused."""
    assert parse_percent("99.5") == parse_percent(" 99.5% ") == Fraction(199, 200)
    assert parse_percent("0") == 0 and parse_percent("100") == 1
    for bad in ("101", "-1", "abc", "nan", "inf", ""):
        assert parse_percent(bad) is None, bad


def test_a_missed_completion_objective_has_its_burn_rate_and_an_overspent_budget() -> None:
    """35 of 40 completed against 90 %: bad 5/40 = 12.5 % of an allowed 10 %: burn 1.25, budget -25 %."""
    result = evaluate(Objective(COMPLETION, Fraction(9, 10)), _members())
    assert result == {
        "objective": "completion",
        "target": 0.9,
        "actual": 0.875,
        "met": False,
        "no_data": False,
        "bad": 5,
        "total": 40,
        "bad_fraction": 0.125,
        "allowed_bad_fraction": 0.1,
        "burn_rate": 1.25,
        "error_budget_remaining": -0.25,
        "runs": 40,
    }


def test_a_completion_rate_exactly_on_target_is_met_with_the_budget_spent() -> None:
    """87.5 % of 87.5 %: met, burn rate exactly 1, nothing left."""
    result = evaluate(Objective(COMPLETION, parse_percent("87.5") or Fraction(0)), _members())
    assert (result["met"], result["burn_rate"], result["error_budget_remaining"]) == (True, 1.0, 0.0)


def test_a_latency_objective_is_met_on_the_percentile_and_burns_on_the_slow_runs() -> None:
    """p95 ≤ 3700 ms: the p95 is 3700 (met); 2 of 39 finished runs are slower, of an allowed 5 %."""
    result = evaluate(Objective(LATENCY, Fraction(3700), Fraction(95, 100)), _members())
    assert result == {
        "objective": "latency_p95",
        "target": 3700.0,
        "actual": 3700.0,
        "met": True,
        "no_data": False,
        "bad": 2,
        "total": 39,
        "bad_fraction": 2 / 39,
        "allowed_bad_fraction": 0.05,
        "burn_rate": float(Fraction(40, 39)),
        "error_budget_remaining": float(Fraction(-1, 39)),
        "runs": 40,
    }
    assert not evaluate(Objective(LATENCY, Fraction(3699), Fraction(95, 100)), _members())["met"]


def test_a_p50_latency_objective_allows_half_the_runs_to_be_slower() -> None:
    """p50 ≤ 2000 ms: met; 19 of 39 are slower, of an allowed 50 %: burn 38/39."""
    result = evaluate(Objective(LATENCY, Fraction(2000), Fraction(1, 2)), _members())
    assert (result["objective"], result["actual"], result["met"], result["bad"]) == (
        "latency_p50",
        2000.0,
        True,
        19,
    )
    assert (result["allowed_bad_fraction"], result["burn_rate"]) == (0.5, float(Fraction(38, 39)))


def test_an_error_rate_objective_is_on_the_tool_error_rate() -> None:
    """4 of 84 tool calls failed against 5 %: met, burn 20/21, 1/21 of the budget left."""
    result = evaluate(Objective(ERROR_RATE, Fraction(1, 20)), _members())
    assert (result["actual"], result["met"], result["bad"], result["total"]) == (4 / 84, True, 4, 84)
    assert result["burn_rate"] == float(Fraction(20, 21))
    assert result["error_budget_remaining"] == float(Fraction(1, 21))
    assert result["allowed_bad_fraction"] == 0.05


def test_a_target_allowing_no_bad_at_all_burns_without_bound() -> None:
    """Completion 100 % with failures: missed, burn rate and budget None (infinite); none at all: burn 0."""
    result = evaluate(Objective(COMPLETION, Fraction(1)), _members())
    assert (result["met"], result["burn_rate"], result["error_budget_remaining"]) == (False, None, None)
    clean = [member for member in _members() if member.run.user_id == "u-1"]
    result = evaluate(Objective(ERROR_RATE, Fraction(0)), clean)
    assert (result["met"], result["burn_rate"], result["error_budget_remaining"]) == (True, 0.0, 1.0)


def test_an_objective_with_nothing_to_measure_is_not_met() -> None:
    """Only an unfinished run: no latency; no tool call: no error rate. Neither passes."""
    unfinished = [Member(RunFacts("r", unfinished=True))]
    for objective in (
        Objective(LATENCY, Fraction(10**9), Fraction(99, 100)),
        Objective(ERROR_RATE, Fraction(1)),
    ):
        result = evaluate(objective, unfinished)
        assert (result["met"], result["no_data"], result["actual"], result["burn_rate"]) == (
            False,
            True,
            None,
            None,
        )


def test_a_window_is_the_runs_started_in_its_span_before_the_newest() -> None:
    """10 minutes before the newest start (03:39): runs 30 to 39, not 29 (03:29, the excluded edge)."""
    runs = facts_of_lines(known_lines())
    window = Window.of(runs, 10 * 60_000)
    assert [run.run_id for run in runs if window.holds(run)] == [run_id(index) for index in range(30, 40)]
    assert window.as_dict([run for run in runs if window.holds(run)]) == {
        "duration_ms": 600_000,
        "start": "2026-11-22T03:29:00.000000Z",
        "end": "2026-11-22T03:39:00.000000Z",
        "first_run": "2026-11-22T03:30:00.000000Z",
        "last_run": "2026-11-22T03:39:00.000000Z",
    }


def test_a_window_ends_at_until_when_given() -> None:
    """Until 03:20: the window (03:10, 03:20] holds runs 11 to 20."""
    runs = facts_of_lines(known_lines())
    window = Window.of(runs, 10 * 60_000, until=epoch(stamp(20)))
    assert [run.run_id for run in runs if window.holds(run)] == [run_id(index) for index in range(11, 21)]


def test_without_a_duration_every_run_is_in_the_window() -> None:
    """No --window: all runs, the bounds those of --since and --until."""
    runs = facts_of_lines(known_lines())
    window = Window.of(runs, None, since=epoch(stamp(5)))
    assert all(window.holds(run) for run in runs)
    assert window.as_dict(runs)["start"] == "2026-11-22T03:05:00.000000Z"
    assert window.as_dict(runs)["end"] is None


def test_the_report_is_met_only_if_every_objective_of_every_group_is() -> None:
    """By user, completion 80 %: u-1 (100 %) meets it, u-2 (75 %) does not, so the report is missed."""
    runs = facts_of_lines(known_lines())
    report = slo_report(runs, [Objective(COMPLETION, Fraction(4, 5))], ["user"], Window())
    assert report["met"] is False
    assert [(group["key"], group["runs"], group["met"]) for group in report["groups"]] == [
        ({"user": "u-1"}, 20, True),
        ({"user": "u-2"}, 20, False),
    ]
    assert set(report) == {"met", "by", "runs", "window", "groups"}


def test_the_text_names_each_objective_and_whether_it_was_met() -> None:
    """A line per objective: target, actual, met or MISSED, bad/total, burn rate, budget left."""
    runs = facts_of_lines(known_lines())
    objectives = [Objective(COMPLETION, Fraction(9, 10)), Objective(ERROR_RATE, Fraction(1, 20))]
    text = slo_text(slo_report(runs, objectives, [], Window()), Style(False))
    completion = next(line for line in text.splitlines() if line.strip().startswith("completion"))
    assert completion.split() == ["completion", "≥", "90.00%", "87.50%", "MISSED", "5/40", "1.25", "-25.0%"]
    error_rate = next(line for line in text.splitlines() if line.strip().startswith("error_rate"))
    assert error_rate.split() == ["error_rate", "≤", "5.00%", "4.76%", "met", "4/84", "0.95", "4.8%"]
    assert text.endswith("objectives missed")


def test_the_text_shows_hostile_group_names_inert() -> None:
    """A user ID with escapes and a bidi override, as a group's name, is printed escaped."""
    lines = run_lines(0)
    lines[0] = started(0, user_id=HOSTILE)
    report = slo_report(facts_of_lines(lines), [Objective(COMPLETION, Fraction(1, 2))], ["user"], Window())
    text = slo_text(report, Style(True))
    assert "\\x1b[2J\\x1b[31mred\\x07\\u202eevil" in text
    assert "\x1b[2J" not in text and "\u202e" not in text and "\x07" not in text


def test_cli_exits_0_when_every_objective_is_met(log: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Completion 87.5 %, p95 ≤ 3.7 s (read as exactly 3700 ms), error rate ≤ 5 %: all met."""
    code, report, _ = _slo(
        capsys, log, "--completion", "87.5", "--latency-p95", "3.7s", "--error-rate", "5", "--json"
    )
    assert code == 0
    assert report is not None and report["met"] is True
    assert [result["objective"] for result in report["groups"][0]["objectives"]] == [
        "completion",
        "latency_p95",
        "error_rate",
    ]


def test_cli_exits_1_when_an_objective_is_missed(log: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Completion 90 % is missed: exit 1, and the text says so."""
    code, _, _ = _slo(capsys, log, "--completion", "90", "--latency-p99", "4s")
    assert code == 1
    assert main(["slo", log, "--completion", "90"]) == 1
    assert "MISSED" in capsys.readouterr().out


def test_cli_exits_1_when_one_group_misses(log: str, capsys: pytest.CaptureFixture[str]) -> None:
    """By user and prompt_version: only u-2's groups miss completion 80 %."""
    code, report, _ = _slo(capsys, log, "--completion", "80", "--by", "user", "prompt_version", "--json")
    assert code == 1
    assert report is not None
    assert [group["met"] for group in report["groups"]] == [True, True, True, False]
    assert report["groups"][3]["objectives"][0]["actual"] == 0.7


def test_cli_exits_1_when_a_group_has_nothing_to_measure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A group whose runs are all unfinished has no latency: no data does not pass."""
    name = _write(tmp_path / "a.jsonl", run_lines(37) + run_lines(36))
    code, report, _ = _slo(capsys, name, "--latency-p95", "10s", "--by", "user", "--json")
    assert code == 1
    assert report is not None
    assert [(group["key"]["user"], group["objectives"][0]["no_data"]) for group in report["groups"]] == [
        ("u-1", False),
        ("u-2", True),
    ]


def test_cli_exits_2_without_an_objective(log: str, capsys: pytest.CaptureFixture[str]) -> None:
    """No objective given is a usage error, said clearly."""
    code, _, err = _slo(capsys, log)
    assert code == 2
    assert "no objective given" in err


def test_cli_exits_2_when_no_run_is_in_the_window(log: str, capsys: pytest.CaptureFixture[str]) -> None:
    """No data must not pass a deploy gate: no runs chosen is exit 2, said on stderr."""
    code, _, err = _slo(capsys, log, "--completion", "90", "--until", "2000-01-01T00:00:00Z")
    assert code == 2
    assert "no runs to measure" in err and "no objective can be met without data" in err
    code, _, err = _slo(capsys, log, "--completion", "1", "--window", "1h", "--user", "nobody")
    assert code == 2
    assert "from 2026-11-22T02:39:00.000000Z to 2026-11-22T03:39:00.000000Z" in err


def test_cli_exits_2_on_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing input is an error, not an empty pass."""
    code, _, err = _slo(capsys, str(tmp_path / "nope.jsonl"), "--completion", "90")
    assert code == 2
    assert "nope.jsonl" in err


@pytest.mark.parametrize(
    "argv",
    [("--completion", "101"), ("--error-rate", "x"), ("--latency-p95", "soon"), ("--window", "-1d")],
)
def test_cli_exits_2_on_a_value_it_cannot_read(
    argv: tuple[str, str], log: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A percentage outside 0-100, or a duration that is not one, is refused (exit 2)."""
    with pytest.raises(SystemExit) as exit_:
        main(["slo", log, *argv])
    assert exit_.value.code == 2
    assert "agentlog slo" in capsys.readouterr().err


def test_cli_window_measures_the_last_runs(log: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--window 10m: runs 30-39, of which 39 failed and 37 is unfinished: 80 % completed."""
    code, report, _ = _slo(capsys, log, "--completion", "80", "--window", "10m", "--json")
    assert code == 0
    assert report is not None
    assert (report["runs"], report["groups"][0]["objectives"][0]["actual"]) == (10, 0.8)
    assert report["window"]["start"] == "2026-11-22T03:29:00.000000Z"
    assert main(["slo", log, "--completion", "81", "--window", "10m"]) == 1


def test_cli_since_and_until_choose_the_runs(log: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--since 03:35 --until 03:38: runs 35, 36, 37 (37 unfinished): 2 of 3 completed."""
    argv = ("--since", "2026-11-22T03:35:00Z", "--until", "2026-11-22T03:38:00Z", "--json")
    code, report, _ = _slo(capsys, log, "--completion", "50", *argv)
    assert code == 0
    assert report is not None
    assert report["runs"] == 3
    assert report["groups"][0]["objectives"][0]["bad"] == 1
    assert report["window"] == {
        "duration_ms": None,
        "start": "2026-11-22T03:35:00.000000Z",
        "end": "2026-11-22T03:38:00.000000Z",
        "first_run": "2026-11-22T03:35:00.000000Z",
        "last_run": "2026-11-22T03:37:00.000000Z",
    }


def test_cli_until_with_a_window(log: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--until 03:20 --window 10m: (03:10, 03:20], and before 03:20: runs 11 to 19, 19 failed."""
    argv = ("--until", "2026-11-22T03:20:00Z", "--window", "10m", "--json")
    code, report, _ = _slo(capsys, log, "--completion", "90", *argv)
    assert code == 1
    assert report is not None
    assert (report["runs"], report["groups"][0]["objectives"][0]["bad"]) == (9, 1)


def test_cli_reads_the_ecs_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The known log written as ecs: the same report."""
    name = _write(tmp_path / "a.ecs.jsonl", [to_ecs(dict(each)) for each in known_lines()])
    plain = _write(tmp_path / "a.jsonl", known_lines())
    _, ecs_report, _ = _slo(capsys, name, "--completion", "90", "--error-rate", "5", "--by", "tool", "--json")
    _, json_report, _ = _slo(
        capsys, plain, "--completion", "90", "--error-rate", "5", "--by", "tool", "--json"
    )
    assert ecs_report == json_report
    assert ecs_report is not None and len(ecs_report["groups"]) == 2


def test_cli_json_is_inert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A hostile group name in slo --json is escaped in the text and reads back as it was logged."""
    lines = run_lines(0)
    lines[0] = started(0, user_id=HOSTILE)
    name = _write(tmp_path / "a.jsonl", lines)
    assert main(["slo", name, "--completion", "50", "--by", "user", "--json"]) == 0
    out = capsys.readouterr().out
    assert "\u202e" not in out and "\x1b" not in out
    assert orjson.loads(out)["groups"][0]["key"]["user"] == HOSTILE


# -- child runs, keys no run has, targets as given ----------------------------------------------------


def _child(index: int, parent: int) -> list[dict[str, Any]]:
    """Run *index*: a completed child run of run *parent*, without prompt_version of its own."""
    start = started(index, parent_run_id=run_id(parent))
    del start["prompt_version"]
    return [start, finished(index)]


def test_cli_by_a_metadata_key_measures_the_child_runs_in_their_parents_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Child 40 of run 0 (v1) and 41 of run 25 (v2), both completed: v1 19/21, v2 18/21; no group None."""
    name = _write(tmp_path / "a.jsonl", [*known_lines(), *_child(40, 0), *_child(41, 25)])
    code, report, err = _slo(capsys, name, "--completion", "90", "--by", "prompt_version", "--json")
    assert (code, err) == (1, "")
    assert report is not None
    found = [
        (group["key"], group["objectives"][0]["bad"], group["objectives"][0]["total"])
        for group in report["groups"]
    ]
    assert found == [({"prompt_version": "v1"}, 2, 21), ({"prompt_version": "v2"}, 3, 21)]
    assert report["groups"][0]["objectives"][0]["actual"] == 19 / 21


def test_cli_says_which_key_no_run_has_and_still_measures(
    log: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo of a key: every run in the group None, measured (35/40 meets 80 %), and a warning."""
    code, report, err = _slo(capsys, log, "--completion", "80", "--by", "promt_version", "--json")
    assert code == 0
    assert report is not None and [group["key"] for group in report["groups"]] == [{"promt_version": None}]
    assert err == (
        "agentlog: no run has promt_version; every run is in its null group (did you mean prompt_version?)\n"
    )


def test_cli_warns_of_a_completion_target_that_looks_like_a_fraction(
    log: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--completion 0.995 is 0.995 % (met by 87.5 %), as documented; stderr asks whether 99.5 was meant."""
    code, report, err = _slo(capsys, log, "--completion", "0.995", "--json")
    assert code == 0
    assert report is not None and report["groups"][0]["objectives"][0]["target"] == 0.00995
    assert err == (
        "agentlog: --completion 0.995 means 0.995 %; did you mean 99.5?"
        " (write 0.995% to keep it and silence this)\n"
    )


@pytest.mark.parametrize(
    ("given", "target", "code"),
    [("99.5%", 0.995, 1), ("0.995%", 0.00995, 0), ("0", 0.0, 0), ("1", 0.01, 0), ("87.5 %", 0.875, 0)],
)
def test_cli_reads_a_completion_target_with_or_without_a_percent_sign(
    given: str, target: float, code: int, log: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A % sign is accepted and silences the warning; 0 and 1 and above are not taken for fractions."""
    found, report, err = _slo(capsys, log, "--completion", given, "--json")
    assert (found, err) == (code, "")
    assert report is not None and report["groups"][0]["objectives"][0]["target"] == target


def _line(text: str, objective: str) -> list[str]:
    return next(line for line in text.splitlines() if line.strip().startswith(objective)).split()


def test_cli_shows_a_target_as_precisely_as_it_was_given(
    log: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """87.50001 % is missed by 87.5 %: both shown to 5 places, so the miss is seen; so is p95 ≤ 3.6999 s."""
    code = main(["slo", log, "--completion", "87.50001", "--latency-p95", "3.6999s", "--error-rate", "5"])
    text = capsys.readouterr().out
    assert code == 1
    assert _line(text, "completion")[:5] == ["completion", "≥", "87.50001%", "87.50000%", "MISSED"]
    assert _line(text, "latency_p95")[:6] == ["latency_p95", "≤", "3.6999", "s", "3.7000", "s"]
    assert _line(text, "error_rate")[:4] == ["error_rate", "≤", "5.00%", "4.76%"]


def test_an_actual_a_hair_below_its_target_is_shown_apart_from_it() -> None:
    """Completion 87.49999 % against 87.5 %: the actual is shown with the places that tell it from 87.50%."""
    result = {
        "objective": COMPLETION,
        "target": 0.875,
        "actual": 0.8749999,
        "met": False,
        "no_data": False,
        "bad": 1,
        "total": 8,
        "burn_rate": 1.0,
        "error_budget_remaining": 0.0,
    }
    window = {"start": None, "end": None, "first_run": None, "last_run": None}
    report = {
        "met": False,
        "runs": 8,
        "window": window,
        "groups": [{"key": {}, "runs": 8, "objectives": [result]}],
    }
    assert _line(slo_text(report, Style(False)), "completion")[:5] == [
        "completion",
        "≥",
        "87.50%",
        "87.49999%",
        "MISSED",
    ]


def test_cli_files_after_by_get_a_hint(log: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`slo --completion 90 --by user FILE`: the error says to put the files first, or end --by with --."""
    with pytest.raises(SystemExit) as exit_:
        main(["slo", "--completion", "90", "--by", "user", log])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.endswith(
        f"agentlog: --by took {log!r} as a key or value; --by takes several values:"
        " put the files before it (agentlog slo FILE... --by KEY...), or end its values with --\n"
    )
