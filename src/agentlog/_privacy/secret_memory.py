"""Remembered secrets: values seen under a secret key name, scrubbed wherever they reappear.

A password passed as a tool argument may come back in the tool's error
message, a result, or a library's stdlib line. Every string (and integer)
seen under a secret key name is remembered — a bounded number of them,
process-wide, since a secret is a secret everywhere in the process — and the
redactor replaces it wherever it shows up later.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

__all__ = ["MEMORY", "SecretMemory", "remember_all"]

_MEMORY_LIMIT = 256
_MIN_REMEMBERED = 6


class SecretMemory:
    """Strings seen under secret key names, replaced wherever they reappear."""

    def __init__(self, limit: int) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._values: OrderedDict[str, str] = OrderedDict()
        self.snapshot: tuple[tuple[str, str], ...] = ()

    def remember(self, value: str, kind: str) -> None:
        """Remember *value* as a secret of *kind* (too-short values and markers are not)."""
        if len(value) < _MIN_REMEMBERED or "[REDACTED:" in value:
            return
        with self._lock:
            if value in self._values:
                return
            self._values[value] = kind
            self._values.move_to_end(value)
            while len(self._values) > self._limit:
                self._values.popitem(last=False)
            # Longest first, so a secret that contains another is replaced whole.
            self.snapshot = tuple(sorted(self._values.items(), key=lambda item: -len(item[0])))

    def clear(self) -> None:
        """Forget every remembered secret."""
        with self._lock:
            self._values.clear()
            self.snapshot = ()


MEMORY = SecretMemory(_MEMORY_LIMIT)


def remember_all(value: Any, kind: str, depth: int = 0) -> None:
    """Remember every string (and integer, as digits) inside a secret value."""
    cls = type(value)
    try:
        if issubclass(cls, str):
            MEMORY.remember(str.__str__(value), kind)
        elif issubclass(cls, int) and cls is not bool:
            MEMORY.remember(int.__repr__(value), kind)
        elif depth < 8 and issubclass(cls, Mapping):
            for item in list(value.values())[:64]:
                remember_all(item, kind, depth + 1)
        elif depth < 8 and issubclass(cls, (list, tuple)):
            for item in list(value)[:64]:
                remember_all(item, kind, depth + 1)
    except Exception:  # noqa: S110 - remembering is best effort; the value itself is already replaced
        pass
