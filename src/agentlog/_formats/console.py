"""The ``console`` profile: one readable line per event, for local development."""

from __future__ import annotations

from typing import Any

import orjson

from .._serialize import fallback, sanitize
from .._vocabulary import EVENT, LEVEL, TIMESTAMP

__all__ = ["render_console"]

_HEAD = (TIMESTAMP, LEVEL, EVENT)


def _console_value(value: Any) -> str:
    if type(value) is str and value and value.isprintable() and " " not in value and '"' not in value:
        return value
    try:
        return orjson.dumps(value, default=fallback, option=orjson.OPT_NON_STR_KEYS).decode()
    except Exception:
        return orjson.dumps(sanitize(value), option=orjson.OPT_NON_STR_KEYS).decode()


def render_console(line: dict[str, Any]) -> bytes:
    """Render a line for a human at a terminal: one line, no colour codes.

    Values are JSON-escaped unless they are plain printable words, so control
    characters and escape sequences in logged data cannot drive the terminal.
    """
    event = _console_value(line.get(EVENT, ""))
    level = _console_value(line.get(LEVEL, ""))
    stamp = _console_value(line.get(TIMESTAMP, ""))
    rest = " ".join(
        f"{_console_value(key)}={_console_value(value)}" for key, value in line.items() if key not in _HEAD
    )
    return f"{stamp} {level:<8} {event:<14} {rest}".rstrip().encode("utf-8") + b"\n"
