"""The one line assembler: same shape from every front door, clashes kept, secrets out, never a lost line."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
import pytest

import agentlog
from agentlog import _settings, events
from agentlog._formats import Profile
from agentlog._pipeline.line import assemble
from agentlog._serialize import dumps_line
from tests.conftest import Captured


def _head(line: dict[str, Any], length: int) -> list[str]:
    return list(line)[:length]


def test_every_front_door_writes_the_same_head(logs: Captured) -> None:
    """A typed event, a structlog line and a stdlib record in one scope start with the same fields."""
    with agentlog.run(session_id="s"), agentlog.step("tool"):
        events.decision("route", "search")
        agentlog.get_logger().info("from structlog")
        logging.getLogger().warning("from stdlib")
    decision, structlog_line, stdlib_line = logs.lines()[2:5]
    head = ["timestamp", "level", "event", "service", "env", "version", "run_id", "trace_id", "span_id"]
    head += ["step_id", "session_id"]
    assert _head(decision, len(head)) == head
    assert _head(structlog_line, len(head)) == head
    assert _head(stdlib_line, len(head)) == head


def test_a_caller_field_never_overwrites_agentlog_s(logs: Captured) -> None:
    """A caller field named like one agentlog wrote is kept under extra; agentlog's value stays."""
    with agentlog.run():
        events.tool_result("search", tool_call_id="c1", run_id="forged", status="ok", latency="other")
    line = logs.one("tool_result")
    assert line["run_id"] != "forged"
    assert (line["latency"], line["extra"]) == ("other", {"run_id": "forged"})


def test_free_text_of_an_event_is_redacted(logs: Captured) -> None:
    """A typed event's own free text (a decision's reason) is scanned for secrets like any message."""
    events.decision("approval", "denied", reason="token=sk-live-0123456789abcdefghijklmn in the request")
    assert "sk-live-0123456789abcdefghijklmn" not in logs.raw().decode()
    assert "[REDACTED" in logs.one("decision")["reason"]


def test_a_message_is_redacted_but_an_event_name_is_written_as_given() -> None:
    """With message=True the event text is scrubbed; a typed event's name is written untouched."""
    settings = _settings.current()
    secret = "Bearer abcdef123456xyz"
    as_message = orjson.loads(assemble(settings, "info", secret, None, None, None, None, "extra", True))
    as_name = orjson.loads(assemble(settings, "info", secret, None, None, None, None, "extra", False, True))
    assert as_message["event"] != secret and as_name["event"] == secret


def test_a_failing_profile_writes_the_line_unmapped(logs: Captured) -> None:
    """A profile whose mapping raises loses no event: the flat line is written and the problem counted."""

    def broken(line: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("mapping bug")

    settings = dataclasses.replace(_settings.current(), profile=Profile("broken", broken, dumps_line))
    line = orjson.loads(assemble(settings, "info", "still here", None, None, {"k": 1}))
    assert (line["event"], line["k"]) == ("still here", 1)
    assert agentlog.problems() == {"broken mapping failed; line written unmapped": 1}


def test_an_unbuildable_line_is_salvaged(logs: Captured) -> None:
    """A line that cannot be built is written anyway, every value reduced to plain data."""

    class Exploding(Mapping[str, Any]):
        def __getitem__(self, key: str) -> Any:
            raise RuntimeError("no")

        def __iter__(self) -> Iterator[str]:
            raise RuntimeError("no")

        def __len__(self) -> int:
            return 1

    data = assemble(_settings.current(), "info", "salvaged", None, None, Exploding())
    line = orjson.loads(data)
    assert line["event"] == "salvaged"
    assert line["extra"].startswith("<unreadable ") and line["extra"].endswith("Exploding>")
    assert "line could not be rendered; written with markers" in agentlog.problems()


def test_an_oversized_line_is_cut_under_the_limit(logs: Captured) -> None:
    """A line over 256 KiB has its large fields cut with a marker, and stays one valid JSON line."""
    data = assemble(
        _settings.current(), "info", "big", None, None, {"a": "x" * 300_000, "b": ["y" * 20] * 20_000}
    )
    assert len(data) <= 256 * 1024 and data.endswith(b"\n")
    line = orjson.loads(data)
    assert "truncated" in line["a"] and "truncated" in line["b"]


def _shapes() -> dict[str, Any]:
    """Ways to make a line too large that cutting single fields alone does not fix."""
    return {
        "many metadata keys": lambda: agentlog.run(metadata={f"k{i}": f"value-{i}" for i in range(20_000)}),
        "many keyword fields": lambda: agentlog.get_logger().info(
            "many", **{f"f{i}": "v" * 30 for i in range(10_000)}
        ),
        "typed event with many fields": lambda: events.decision(
            "route", "fast", **{f"m{i}": "v" * 20 for i in range(20_000)}
        ),
        "stdlib record with many extras": lambda: logging.getLogger("lib").warning(
            "extras", extra={f"x{i}": "w" * 30 for i in range(10_000)}
        ),
        "one huge string and one huge dict": lambda: agentlog.get_logger().info(
            "big", payload={f"k{i}": "x" * 100 for i in range(5_000)}, other="y" * 300_000
        ),
        "long dotted names": lambda: agentlog.get_logger().info(
            "dots", **{f"{'a.' * 50}{i}": i for i in range(3_000)}
        ),
    }


@pytest.mark.parametrize("limit", [256 * 1024, 16 * 1024, 2048])
def test_the_size_cap_holds_for_every_shape_in_every_format(tmp_path: Any, limit: int) -> None:
    """However the bulk is spread, every line stays under the limit, keeps its IDs, says what it left out."""
    options: dict[str, Any] = {} if limit == 256 * 1024 else {"max_line_bytes": limit}
    for fmt in ("json", "ecs", "datadog", "console"):
        path = tmp_path / f"{fmt}.log"
        agentlog.configure(output=path, format=fmt, **options)
        for name, make in _shapes().items():
            with agentlog.run() as run:
                scope = make()
                if hasattr(scope, "__enter__"):
                    with scope:
                        pass
            lines = path.read_bytes().splitlines()
            assert len(lines) >= 3, (fmt, name)
            for raw in lines:
                assert len(raw) + 1 <= limit, (fmt, name, len(raw))
                assert run.run_id.encode() in raw, (fmt, name, raw[:200])
            path.write_bytes(b"")
        if fmt != "console":
            agentlog.configure(output=path, format=fmt, **options)
            with agentlog.run() as run:
                agentlog.get_logger().info("many", **{f"f{i}": "v" * 30 for i in range(10_000)})
            many = [orjson.loads(raw) for raw in path.read_bytes().splitlines()][1]
            text = orjson.dumps(many).decode()
            assert run.run_id in text and "fields_dropped" in text
    assert any("fields_dropped" in problem for problem in agentlog.problems())


def test_max_line_bytes_is_checked_when_configured() -> None:
    """A line limit under 2 KiB, or not an int, is a configuration error."""
    with pytest.raises(ValueError, match="at least 2048"):
        agentlog.configure(output=None, max_line_bytes=1000)
    with pytest.raises(TypeError):
        agentlog.configure(output=None, max_line_bytes="16k")  # type: ignore[arg-type]
