"""Every example runs, and the demo finds its failing run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jsonschema
import orjson
import pytest

import agentlog

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def test_there_are_examples() -> None:
    """The examples folder is not empty (so the parametrized test is not vacuous)."""
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_and_writes_correlated_json(example: Path) -> None:
    """Each example exits 0, its lines are valid, and those inside a run carry a run_id."""
    done = subprocess.run([sys.executable, str(example)], capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    lines = [orjson.loads(line) for line in done.stdout.splitlines()]
    validator = jsonschema.Draft202012Validator(agentlog.event_schema())
    for line in lines:
        validator.validate(line)
    assert any(line["event"] == "run_started" for line in lines)
    run_ids = {line.get("run_id") for line in lines if line["event"] != "run_started"}
    assert None not in run_ids


def test_demo_shows_the_failing_run(tmp_path: Path) -> None:
    """`agentlog demo` writes valid lines and names the failing run, step, tool and error."""
    output = tmp_path / "demo.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "agentlog", "demo", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = [orjson.loads(line) for line in output.read_bytes().splitlines()]
    validator = jsonschema.Draft202012Validator(agentlog.event_schema())
    for line in lines:
        validator.validate(line)
    failed = [line for line in lines if line["event"] == "run_finished" and line["status"] == "error"]
    assert len(failed) == 1
    run_id = failed[0]["run_id"]
    assert failed[0]["stop_reason"] == "tool_error"
    assert f"Run {run_id}" in done.stdout
    assert "Failed at: step 2 › tool lookup_order" in done.stdout
    assert "◀ failed here" in done.stdout
    assert "UpstreamTimeout" in done.stdout
    loggers = {line.get("logger") for line in lines if line.get("run_id") == run_id}
    assert "demo.orders_api" in loggers  # a stdlib line inside the failing run
    recovered = [
        line
        for line in lines
        if line["event"] == "run_finished" and line["errors"] and line["status"] == "ok"
    ]
    assert recovered, "one run recovers from a failing tool and still ends ok"


def test_the_costs_example_answers_cost_slo_and_compare(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The costs example's lines: costed runs, a missed objective, v8's search_docs regression."""
    from agentlog.cli import main

    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "costs_and_versions.py")],
        capture_output=True,
        timeout=60,
        check=True,
    )
    log = tmp_path / "agent.jsonl"
    log.write_bytes(done.stdout)
    lines = [orjson.loads(line) for line in done.stdout.splitlines()]
    own = [line for line in lines if line["event"] == "llm_result" and line["model"] == "llama-3-70b"]
    assert own and all(line["price_source"] == "configured" for line in own)

    assert main(["stats", str(log), "--by", "prompt_version", "--json"]) == 0
    groups = orjson.loads(capsys.readouterr().out)
    assert groups
    assert main(["slo", str(log), "--completion", "95", "--by", "prompt_version"]) == 1
    capsys.readouterr()
    assert main(["compare", str(log), "--by", "prompt_version", "v7", "v8"]) == 0
    statements = capsys.readouterr().out.split("Within chance:")[0]
    assert "search_docs error rate" in statements and "Fisher's exact test" in statements
