"""Reading numbers out of a logged line without trusting their type.

A line is data from a file: a count may be a string, a bool or missing. Only
real JSON integers count, only real JSON numbers are latencies, and only
non-negative finite ones are costs; anything else is treated as absent rather
than coerced.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

__all__ = ["cost_of", "count", "number"]


def count(value: Any) -> int:
    """*value* if it is an int (not a bool), else 0."""
    return value if type(value) is int else 0


def number(value: Any) -> float | None:
    """*value* as a float if it is an int or a float (not a bool), else None."""
    return float(value) if type(value) in (int, float) else None


def cost_of(value: Any) -> Decimal | None:
    """A logged ``cost_usd`` as the exact decimal of the number written; None if it is not a cost.

    A float is taken as its shortest repr (``0.1`` is ``Decimal("0.1")``, not
    the binary fraction nearest to it), so that sums do not drift. A bool, a
    string, a negative number or one that is not finite is no cost.
    """
    if type(value) is int:
        return Decimal(value) if value >= 0 else None
    if type(value) is float and math.isfinite(value) and value >= 0:
        return Decimal(repr(value))
    return None
