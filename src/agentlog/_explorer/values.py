"""Reading numbers out of a logged line without trusting their type.

A line is data from a file: a count may be a string, a bool or missing. Only
real JSON integers count, and only real JSON numbers are latencies; anything
else is treated as absent rather than coerced.
"""

from __future__ import annotations

from typing import Any

__all__ = ["count", "number"]


def count(value: Any) -> int:
    """*value* if it is an int (not a bool), else 0."""
    return value if type(value) is int else 0


def number(value: Any) -> float | None:
    """*value* as a float if it is an int or a float (not a bool), else None."""
    return float(value) if type(value) in (int, float) else None
