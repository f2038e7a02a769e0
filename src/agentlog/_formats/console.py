"""The ``console`` profile: one readable line per event, for local development.

A stack trace follows its line as indented lines, as Python prints it.
"""

from __future__ import annotations

from typing import Any

import orjson

from .._serialize import fallback, sanitize
from .._vocabulary import ERROR_STACK, EVENT, LEVEL, TIMESTAMP

__all__ = ["render_console"]

_HEAD = (TIMESTAMP, LEVEL, EVENT)
_AFTER = frozenset({*_HEAD, ERROR_STACK})
_INDENT = "    "


def _console_value(value: Any) -> str:
    if type(value) is str and value and value.isprintable() and " " not in value and '"' not in value:
        return value
    try:
        return orjson.dumps(value, default=fallback, option=orjson.OPT_NON_STR_KEYS).decode()
    except Exception:
        return orjson.dumps(sanitize(value), option=orjson.OPT_NON_STR_KEYS).decode()


def _printable(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _console_value(char)[1:-1] for char in text)


def _indented(text: str) -> str:
    """Multi-line text as indented lines, each stripped of what could drive the terminal."""
    return "".join(f"\n{_INDENT}{_printable(part)}" for part in text.rstrip("\n").split("\n"))


def render_console(line: dict[str, Any]) -> bytes:
    """Render a line for a human at a terminal: one line, no colour codes.

    Values are JSON-escaped unless they are plain printable words, so control
    characters and escape sequences in logged data cannot drive the terminal.
    An ``error_stack`` follows on indented lines, printable characters only.
    """
    event = _console_value(line.get(EVENT, ""))
    level = _console_value(line.get(LEVEL, ""))
    stamp = _console_value(line.get(TIMESTAMP, ""))
    rest = " ".join(
        f"{_console_value(key)}={_console_value(value)}" for key, value in line.items() if key not in _AFTER
    )
    text = f"{stamp} {level:<8} {event:<14} {rest}".rstrip()
    stack = line.get(ERROR_STACK)
    if stack is not None:
        text += _indented(stack) if type(stack) is str else f" error_stack={_console_value(stack)}"
    return text.encode("utf-8", "replace") + b"\n"
