"""Reading times: the RFC 3339 timestamps on lines, and the times a user types."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

__all__ = ["epoch", "parse_moment"]

_DIGITS = re.compile(r"[0-9]+")
_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def epoch(stamp: Any) -> float | None:
    """Seconds since the epoch for an RFC 3339 timestamp (None if it is not one).

    A timestamp without an offset is taken as UTC; digits past the microsecond
    are dropped, since `datetime.fromisoformat` refuses them.
    """
    if not isinstance(stamp, str) or len(stamp) < 19:
        return None
    text = stamp.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    head, dot, tail = text.partition(".")
    if dot:
        digits = _DIGITS.match(tail)
        fraction = digits.group() if digits else ""
        text = f"{head}.{(fraction + '000000')[:6]}{tail[len(fraction) :]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def parse_moment(text: str, now: float) -> float | None:
    """A time a user typed, in seconds since the epoch; None if it is not one.

    Args:
        text: An RFC 3339 time, a bare date (midnight UTC), or a span like ``2h``,
            ``30m``, ``1d``, ``90s`` meaning that long before *now*.
        now: The current time, in seconds since the epoch.
    """
    relative = _RELATIVE.match(text.strip())
    if relative:
        return now - float(relative.group(1)) * _UNITS[relative.group(2)]
    return epoch(text if "T" in text else f"{text}T00:00:00Z")
