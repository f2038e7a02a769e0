"""Output profiles.

A profile is a field mapping plus a serializer: every profile receives the
same flat line (the ``json`` profile's fields) and may rename or regroup its
fields before it is serialized. Adding a backend's format never forks the
pipeline that builds lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import orjson

from ._serialize import dumps_line, fallback, sanitize

__all__ = ["PROFILES", "Profile"]


class Profile(NamedTuple):
    """How a flat line becomes output bytes."""

    name: str
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None
    serialize: Callable[[dict[str, Any]], bytes]


_CONSOLE_HEAD = ("timestamp", "level", "event")


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
    event = _console_value(line.get("event", ""))
    level = _console_value(line.get("level", ""))
    stamp = _console_value(line.get("timestamp", ""))
    rest = " ".join(
        f"{_console_value(key)}={_console_value(value)}"
        for key, value in line.items()
        if key not in _CONSOLE_HEAD
    )
    return f"{stamp} {level:<8} {event:<14} {rest}".rstrip().encode("utf-8") + b"\n"


PROFILES: dict[str, Profile] = {
    "json": Profile("json", None, dumps_line),
    "console": Profile("console", None, render_console),
}
