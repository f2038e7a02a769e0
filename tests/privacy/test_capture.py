"""The capture policy: hash, redacted, full, none — globally, per tool, per call."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest

import agentlog
from agentlog import events

ARGS = {"email": "ann@example.com", "api_key": "not-for-logs-123", "query": "refund policy"}


def _lines(out: io.BytesIO) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


def _call(policy: Any = "hash", **kw: Any) -> list[dict[str, Any]]:
    out = io.BytesIO()
    agentlog.configure(output=out, capture=policy)
    with agentlog.run(), agentlog.tool_call("search", ARGS, **kw) as call:
        call.result = {"hits": ["doc-1"], "contact": "bob@example.com"}
    return _lines(out)


def _event(lines: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(line for line in lines if line["event"] == name)


def test_hash_mode_writes_hash_and_size_only() -> None:
    """Default: args_hash/args_size and result_hash/result_size, never the values."""
    lines = _call()
    call, result = _event(lines, "tool_call"), _event(lines, "tool_result")
    assert call["args_hash"] == agentlog.hash_value(ARGS)
    assert call["args_size"] == len(agentlog.canonical_json(ARGS))
    assert "args" not in call
    assert result["result_hash"].startswith("sha256:")
    assert result["result_size"] > 0
    assert "result" not in result


def test_redacted_mode_removes_secrets_and_pii() -> None:
    """redacted: the value is written with secrets, emails and phones replaced."""
    lines = _call("redacted")
    args = _event(lines, "tool_call")["args"]
    assert args == {"email": "[REDACTED:email]", "api_key": "[REDACTED:api_key]", "query": "refund policy"}
    assert _event(lines, "tool_result")["result"]["contact"] == "[REDACTED:email]"


def test_full_mode_removes_secrets_but_keeps_pii() -> None:
    """full: the value is written; credentials are still never written."""
    args = _event(_call("full"), "tool_call")["args"]
    assert args == {"email": "ann@example.com", "api_key": "[REDACTED:api_key]", "query": "refund policy"}


def test_none_mode_writes_size_only() -> None:
    """none: no hash, no value; the size is still recorded."""
    call = _event(_call("none"), "tool_call")
    assert call["args_hash"] is None
    assert call["args_size"] == len(agentlog.canonical_json(ARGS))
    assert "args" not in call


def test_per_tool_modes() -> None:
    """A mapping sets modes per tool; "*" is the default for the rest."""
    out = io.BytesIO()
    agentlog.configure(output=out, capture={"search": "full", "*": "none"})
    events.tool_call("search", {"q": 1})
    events.tool_call("delete_user", {"id": 7})
    first, second = _lines(out)
    assert first["args"] == {"q": 1}
    assert second["args_hash"] is None
    assert "args" not in second


def test_per_call_mode_overrides_the_policy() -> None:
    """tool_call(..., capture=...) wins over the configured mode."""
    assert "args" in _event(_call("hash", capture="full"), "tool_call")


def test_captured_values_are_size_capped() -> None:
    """A value over capture_limit is cut, marked, and its full size recorded."""
    out = io.BytesIO()
    agentlog.configure(output=out, capture="full", capture_limit=256)
    big = {"text": "word " * 1000}
    events.tool_call("summarize", big)
    line = _lines(out)[0]
    assert line["args_size"] == len(agentlog.canonical_json(big))
    assert line["args_truncated"] is True
    assert line["args"].endswith("bytes]")
    assert len(line["args"].encode()) < 256 + 40


def test_task_prompt_and_completion_follow_the_policy() -> None:
    """Tasks, prompts and completions are captured like arguments."""
    out = io.BytesIO()
    agentlog.configure(output=out, capture="redacted")
    with agentlog.run(task="email me at ann@example.com"), agentlog.llm_call("m") as llm:
        llm.prompt = [{"role": "user", "content": "call +1 415 555 0132"}]
        llm.completion = "done"
    lines = _lines(out)
    assert _event(lines, "run_started")["task"] == "email me at [REDACTED:email]"
    llm_line = _event(lines, "llm_result")
    assert llm_line["prompt"] == [{"role": "user", "content": "call [REDACTED:phone]"}]
    assert llm_line["completion"] == "done"
    assert llm_line["prompt_hash"].startswith("sha256:")


def test_standalone_helpers_capture_results_and_prompts() -> None:
    """events.tool_result(result=) and events.llm_result(prompt=, completion=) capture too."""
    out = io.BytesIO()
    agentlog.configure(output=out)
    events.tool_result("t", result={"a": 1}, latency_ms=1.0)
    events.llm_result("m", prompt="p", completion="c")
    first, second = _lines(out)
    assert first["result_hash"] == agentlog.hash_value({"a": 1})
    assert second["completion_hash"] == agentlog.hash_value("c")


def test_unknown_capture_mode_is_a_clear_error() -> None:
    """A mistyped mode raises at configure time."""
    with pytest.raises(ValueError, match="unknown capture mode"):
        agentlog.configure(capture="everything")
    with pytest.raises(ValueError, match="unknown capture mode"):
        agentlog.configure(capture={"search": "raw"})
    with pytest.raises(ValueError, match="capture_limit"):
        agentlog.configure(capture_limit=10)


class _CountingList(list):  # type: ignore[type-arg]
    """A list that counts the items anyone iterates over."""

    taken = 0

    def __iter__(self) -> Any:
        for item in super().__iter__():
            _CountingList.taken += 1
            yield item


def test_a_bounded_scrub_stops_walking_past_its_budget() -> None:
    """Scrubbing a million items for an 8 KiB budget reads a few hundred of them, not a million."""
    _CountingList.taken = 0
    big = _CountingList({"id": index, "name": f"item {index}"} for index in range(1_000_000))
    clean = agentlog.Redactor().scrub(big, budget=8192)
    assert _CountingList.taken < 2_000
    assert 100 < len(clean) < 2_000


def test_capturing_a_huge_result_costs_what_is_written_not_what_was_returned() -> None:
    """capture="redacted" of a ~4 MB result costs about what hashing it does (which reads it all)."""
    import time

    big = [
        {"id": index, "title": f"document number {index}", "body": "lorem ipsum " * 20}
        for index in range(16_000)
    ]
    timings: dict[str, float] = {}
    for mode in ("hash", "redacted", "hash", "redacted"):
        out = io.BytesIO()
        agentlog.configure(output=out, capture=mode)
        started = time.perf_counter()
        events.tool_result("search", result=big, latency_ms=1.0)
        timings[mode] = min(timings.get(mode, 1e9), time.perf_counter() - started)
        line = _lines(out)[0]
    assert line["result_truncated"] is True
    assert len(line["result"].encode()) < 4096 + 64
    assert timings["redacted"] < 2 * timings["hash"] + 0.05


def test_a_huge_string_result_is_scanned_only_as_far_as_it_can_be_written() -> None:
    """A 17 MB string in redacted mode: written cut at the limit, a secret past the cut never matters."""
    out = io.BytesIO()
    agentlog.configure(output=out, capture="redacted")
    events.tool_result("read_file", result="line of text\n" * 1_300_000, latency_ms=1.0)
    line = _lines(out)[0]
    assert line["result_truncated"] is True
    assert line["result_size"] > 17_000_000
