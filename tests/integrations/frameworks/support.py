"""What every framework adapter's tests check the same way: the lines a framework run wrote.

Each adapter's test runs a real framework with its own offline test model,
then reads agentlog's lines back and holds them to the adapter contract
(issue 14): one run per agent run with exact totals, ``llm_result`` with the
model's token counts, ``tool_call``/``tool_result`` pairs keeping the
model's own tool-call IDs, the user's lines inside tools carrying the IDs,
nothing raw in the default capture mode, and ``agentlog show`` finding the
failing tool.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.conftest import Captured

__all__ = ["check_run", "close_default_loop", "runs_of", "show", "tool_pairs"]


def runs_of(lines: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Lines grouped by ``run_id`` (lines outside any run under ``""``)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        grouped.setdefault(line.get("run_id") or "", []).append(line)
    return grouped


def tool_pairs(lines: list[dict[str, Any]]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """``tool_call_id`` → (its ``tool_call`` line, its ``tool_result`` line); each must have both."""
    calls = {line["tool_call_id"]: line for line in lines if line["event"] == "tool_call"}
    results = {line["tool_call_id"]: line for line in lines if line["event"] == "tool_result"}
    assert calls.keys() == results.keys(), f"unpaired tool calls: {calls.keys() ^ results.keys()}"
    return {key: (calls[key], results[key]) for key in calls}


def check_run(
    lines: list[dict[str, Any]],
    run_id: str,
    *,
    tool_calls: int,
    llm_calls: int,
    errors: int,
    raw: Iterable[str] = (),
) -> dict[str, Any]:
    """Hold one framework run's lines to the contract; return its ``run_finished`` line.

    Args:
        lines: All the lines written.
        run_id: The run.
        tool_calls: Tool calls the run made.
        llm_calls: Model calls the run made.
        errors: Failed calls.
        raw: Raw values (tool arguments, prompts) that must appear in no line.
    """
    own = [line for line in lines if line.get("run_id") == run_id]
    assert own and own[0]["event"] == "run_started", own[:1]
    finished = [line for line in own if line["event"] == "run_finished"]
    assert len(finished) == 1
    end = finished[0]
    trace_id = own[0]["trace_id"]
    assert all(line["trace_id"] == trace_id for line in own)
    assert end["tool_calls"] == tool_calls == sum(1 for line in own if line["event"] == "tool_result")
    assert end["llm_calls"] == llm_calls == sum(1 for line in own if line["event"] == "llm_result")
    assert end["errors"] == errors
    assert end["total_steps"] == max((line.get("step_id") or 0 for line in own), default=0)
    assert (
        sum(line.get("input_tokens") or 0 for line in own if line["event"] == "llm_result")
        == end["input_tokens"]
    )
    assert (
        sum(line.get("output_tokens") or 0 for line in own if line["event"] == "llm_result")
        == end["output_tokens"]
    )
    for call, result in tool_pairs(own).values():
        assert result["span_id"] == call["span_id"]
        assert "args_hash" in call and "args" not in call
    text = "\n".join(map(str, lines))
    for value in raw:
        assert value not in text, f"raw value {value!r} written"
    return end


def show(logs: Captured, run_id: str) -> str:
    """``agentlog show RUN_ID FILE``'s output (it must exit 0)."""
    done = subprocess.run(
        [sys.executable, "-m", "agentlog", "show", run_id, str(Path(logs.path))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def close_default_loop() -> None:
    """Close the thread's default event loop a framework's ``run_sync`` left open on purpose.

    Left open, the next test's ``asyncio.run`` drops it unclosed and the
    garbage collector warns about it in whatever test runs then.
    """
    policy = asyncio.get_event_loop_policy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            loop = policy.get_event_loop()
        except RuntimeError:  # no default loop: nothing to close
            return
    if not loop.is_running():
        loop.close()
        policy.set_event_loop(None)
