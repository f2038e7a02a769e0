"""agentlog.testing: the capture helper users' tests rely on, and the docs page showing it."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest

import agentlog
from agentlog import _settings, events
from agentlog.testing import capture

PAGE = Path(__file__).resolve().parent.parent / "docs" / "testing.md"


def _page_tests() -> list[str]:
    return re.findall(r"```python\n(.*?)```", PAGE.read_text("utf-8"), flags=re.S)


@pytest.mark.parametrize("source", _page_tests(), ids=lambda s: re.search(r"def (test_\w+)", s).group(1))  # type: ignore[union-attr]
def test_the_docs_page_tests_pass(source: str) -> None:
    """Each test shown on docs/testing.md runs and passes as written."""
    namespace: dict[str, object] = {}
    exec(compile(source, str(PAGE), "exec"), namespace)  # noqa: S102 - our own docs page
    (name,) = [key for key in namespace if key.startswith("test_")]
    namespace[name]()  # type: ignore[operator]


def test_capture_restores_the_output_afterwards() -> None:
    """After the block, lines go to the configured output again, in its profile."""
    out = io.BytesIO()
    agentlog.configure(output=out, format="console")
    with capture() as lines:
        agentlog.get_logger().info("inside")
    agentlog.get_logger().info("after")
    assert [line["event"] for line in lines] == ["inside"]
    assert b"after" in out.getvalue() and b"inside" not in out.getvalue()


def test_capture_before_configure_uses_the_defaults() -> None:
    """Unconfigured, typed events are still captured with their run's IDs, and nothing is left installed."""
    with capture() as lines, agentlog.run() as run:
        events.decision("route", "fast")
    assert [line["event"] for line in lines] == ["run_started", "decision", "run_finished"]
    assert all(line["run_id"] == run.run_id for line in lines)
    assert _settings.CONFIG.settings is None


def test_capture_keeps_the_configured_level_and_redaction() -> None:
    """Only the destination changes: filtered lines stay filtered, secrets stay redacted."""
    agentlog.configure(output=io.BytesIO(), level="warning")
    with capture() as lines:
        agentlog.get_logger().info("filtered")
        logging.getLogger("lib").warning("token sk-abcdefghijklmnopqrstuvwxyz0123456789")
    (line,) = lines
    assert "sk-abcdefghijklmnopqrstuvwxyz0123456789" not in line["event"]


def test_one_raises_when_not_exactly_one() -> None:
    """lines.one() is an assertion: none or several is a failure with the count."""
    with capture() as lines:
        events.decision("a", "b")
        events.decision("a", "b")
    with pytest.raises(AssertionError, match="found 2"):
        lines.one("decision")
    with pytest.raises(AssertionError, match="found 0"):
        lines.one("tool_call")


def test_captures_nest() -> None:
    """A capture inside another takes its block's lines; the outer one gets the rest; nothing hangs."""
    with capture() as outer:
        events.decision("a", "outer")
        with capture() as inner:
            events.decision("b", "inner")
        events.decision("c", "outer again")
    assert [line["outcome"] for line in outer] == ["outer", "outer again"]
    assert [line["outcome"] for line in inner] == ["inner"]
    assert _settings.CONFIG.settings is None
