"""Shared fixtures: a configured agentlog writing to a file the test reads back."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog.contextvars

import agentlog
from agentlog import _config


class Captured:
    """The JSON lines agentlog wrote to one file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def raw(self) -> bytes:
        return self.path.read_bytes() if self.path.exists() else b""

    def lines(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in self.raw().splitlines()]

    def events(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line["event"] == name]

    def one(self, name: str) -> dict[str, Any]:
        found = self.events(name)
        assert len(found) == 1, f"expected one {name}, got {len(found)}"
        return found[0]


def problems_besides_prices() -> dict[str, int]:
    """`agentlog.problems()` less the models without a price (test models are never priced)."""
    return {
        what: times
        for what, times in agentlog.problems().items()
        if not what.startswith("no price for model")
    }


@pytest.fixture(autouse=True)
def _isolated_agentlog() -> Iterator[None]:
    """Each test starts unconfigured and leaves no configuration behind."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    _config.reset()
    structlog.contextvars.clear_contextvars()
    yield
    _config.reset()
    structlog.contextvars.clear_contextvars()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def logs(tmp_path: Path) -> Captured:
    """Agentlog configured at debug level, writing JSON lines to a file."""
    path = tmp_path / "agent.jsonl"
    agentlog.configure(service="svc", env="test", version="1.0", output=path, level="debug")
    return Captured(path)
