"""The filter that keeps a framework's own log lines under agentlog's capture policy."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import agentlog
from agentlog.integrations._content import WITHHELD, ContentFilter


class Unreadable:
    """A log argument whose every attribute lookup raises."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("no attributes here")

    def __repr__(self) -> str:
        return "SECRET-REPR-7f1c"


def _record(args: Any, name: str = "fw.models", level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, "call %s %s", args, None)


def test_structured_arguments_are_withheld_and_plain_ones_kept(tmp_path: Path) -> None:
    """In the default hash mode a mapping, list or pydantic-like argument is withheld; a string is not."""
    agentlog.configure(output=tmp_path / "out.jsonl")
    record = _record(({"prompt": "SECRET"}, "plain"))
    assert ContentFilter("fw", "a line").filter(record)
    assert record.getMessage() == f"call {WITHHELD} plain"


def test_an_argument_that_cannot_be_looked_at_is_withheld_with_the_line(tmp_path: Path) -> None:
    """An argument whose attribute lookups raise: the whole message is withheld, a problem counted."""
    agentlog.configure(output=tmp_path / "out.jsonl")
    record = _record((Unreadable(), "SECRET-PLAIN"))
    assert ContentFilter("fw", "a line").filter(record)
    assert record.getMessage() == WITHHELD
    assert sum(agentlog.problems().values()) >= 1


def test_text_loggers_debug_messages_are_withheld_whole(tmp_path: Path) -> None:
    """A debug line of a logger that logs content as built text is replaced whole; info lines are not."""
    agentlog.configure(output=tmp_path / "out.jsonl")
    screen = ContentFilter("fw", "a line", text_loggers="fw.models")
    debug = _record(("SECRET", "x"), level=logging.DEBUG)
    info = _record(("kept", "x"))
    assert screen.filter(debug) and screen.filter(info)
    assert debug.getMessage() == WITHHELD and info.getMessage() == "call kept x"


def test_full_capture_leaves_lines_as_they_are(tmp_path: Path) -> None:
    """With capture="full" the framework's lines are the user's choice: nothing is withheld."""
    agentlog.configure(output=tmp_path / "out.jsonl", capture="full")
    record = _record(({"prompt": "visible"}, "x"))
    assert ContentFilter("fw", "a line").filter(record)
    assert record.getMessage() == "call {'prompt': 'visible'} x"
