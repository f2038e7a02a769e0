"""Helpers for your tests: capture every line agentlog writes, as flat fields.

::

    import agentlog
    from agentlog.testing import capture

    def test_the_agent_reports_its_tool_calls():
        agentlog.configure(service="test")
        with capture() as lines:
            run_my_agent()
        assert [line["tool"] for line in lines.events("tool_call")] == ["search_docs"]
        assert lines.one("run_finished")["errors"] == 0

`capture` sees typed events, structlog lines and stdlib records alike — the
very lines agentlog would have written, in the ``json`` profile's flat
fields — and writes none of them to the configured output while it is
active. ``structlog.testing.capture_logs()`` works too, for structlog's
view of the same events.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from . import _settings
from ._formats import PROFILES

__all__ = ["CapturedLines", "capture"]


class CapturedLines(list[dict[str, Any]]):
    """The lines written while `capture` was active, as dicts, in the order written."""

    def events(self, name: str) -> list[dict[str, Any]]:
        """The lines whose ``event`` is *name*."""
        return [line for line in self if line.get("event") == name]

    def one(self, name: str) -> dict[str, Any]:
        """The one line whose ``event`` is *name*.

        Raises:
            AssertionError: there is not exactly one.
        """
        found = self.events(name)
        if len(found) != 1:
            raise AssertionError(f"expected one {name!r} line, found {len(found)}")
        return found[0]

    def of_run(self, run_id: str) -> list[dict[str, Any]]:
        """The lines of one run (its ``run_id``)."""
        return [line for line in self if line.get("run_id") == run_id]


@contextmanager
def capture() -> Iterator[CapturedLines]:
    """Capture every line agentlog writes while the block runs.

    The configuration in force (or the defaults before `agentlog.configure`)
    stays as it is, except that lines go to the returned list — as the flat
    dicts of the ``json`` profile — instead of the output. A capture inside
    another takes the lines written while it is active; the outer one gets
    the rest. The configuration is the process's: capture from one thread
    at a time.

    Yields:
        The lines, filled as they are written.
    """
    lines = CapturedLines()

    def write(line: bytes) -> None:
        lines.append(orjson.loads(line))

    previous = _settings.CONFIG.settings
    base = previous if previous is not None else _settings.defaults()
    _settings.install(dataclasses.replace(base, writer=write, profile=PROFILES["json"]))
    try:
        yield lines
    finally:
        _settings.install(previous)
