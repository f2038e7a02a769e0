"""Typed values checked: a record's fields always have the types the schema promises.

A caller may hand a typed event anything — ``tool=None``, a negative or
fractional token count, ``status="timeout"``, ``latency_ms="fast"``. The line
is still written and still validates: each bad value is coerced to one the
schema allows, the value as given is kept under the line's ``invalid`` field
(``{"latency_ms": "fast"}``), and the problem is counted in
`agentlog.problems`. The run's totals are counted from the coerced record, so
they agree with its lines.

Each kind of check is a condition cheap enough to run on every event (the
record builders inline it) and a coercion that runs only when it fails.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

from .. import _diagnostics
from .._serialize import safe_str, sanitize
from .._vocabulary import ERROR, INVALID, OK

__all__ = ["CHECKS", "MAX_COUNT", "Check", "check_value", "coerce", "round_latency"]

MAX_COUNT = 2**53 - 1
"""The largest count or step number written: the largest integer every JSON reader holds exactly."""
_LARGEST_NUMBER = 1e15
"""A request parameter (a temperature, a top_p) beyond this is a mistake, not a setting."""

_OK_WORDS = frozenset(
    {"ok", "success", "succeeded", "successful", "completed", "done", "true", "pass", "passed"}
)
UNKNOWN = "unknown"
"""What a required name that was not given (``tool=None``) is written as."""


class Check(NamedTuple):
    """One kind of typed value: the condition it meets, and how a bad value is mended."""

    condition: str
    """A Python expression over ``{v}`` that is true for a good value (inlined in the builders)."""
    coerce: Callable[[Any], Any]
    """The good value nearest to a bad one."""


def _text(value: Any) -> str:
    return UNKNOWN if value is None else safe_str(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None else safe_str(value)


def _integral(value: Any) -> int | None:
    """An int for an int-like value (5, 5.0, "5"), else None."""
    # Types by type(), values by the base class's own methods: a hostile
    # object's __class__, __int__ or __eq__ may raise.
    cls = type(value)
    if cls is bool:
        return None
    if issubclass(cls, int):
        return int.__int__(value)
    if issubclass(cls, float) and float.is_integer(value):
        return int(float.__float__(value))
    if issubclass(cls, str):
        text = str.strip(value)
        # ASCII digits only: "²" is a digit to isdigit() but not to int().
        if text.isascii() and text.isdigit() and len(text) <= 16:
            return int(text)
    return None


def _count(value: Any) -> int | None:
    number = _integral(value)
    return number if number is not None and 0 <= number <= MAX_COUNT else None


def _step_id(value: Any) -> int | None:
    number = _integral(value)
    return number if number is not None and 1 <= number <= MAX_COUNT else None


def _integer(value: Any) -> int | None:
    number = _integral(value)
    return number if number is not None and -MAX_COUNT <= number <= MAX_COUNT else None


def _float(value: Any) -> float | None:
    """A finite float for a number-like value (5, 5.0, " 5.0"), else None."""
    cls = type(value)
    try:
        if issubclass(cls, (int, float)) and cls is not bool:
            number = float(float.__float__(value) if issubclass(cls, float) else int.__int__(value))
        elif issubclass(cls, str):
            number = float(str.strip(value))
        else:
            return None
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _number(value: Any) -> float | None:
    number = _float(value)
    return number if number is not None and abs(number) < _LARGEST_NUMBER else None


def round_latency(value: float) -> float:
    """A latency to the microsecond: ``3.18``, never ``3.1809999999999996``."""
    return round(value, 3)


def _latency(value: Any) -> float | None:
    number = _float(value)
    return round_latency(number) if number is not None and 0 <= number < 1e12 else None


def _status(value: Any) -> str:
    # A status agentlog does not know is not a success.
    return OK if issubclass(type(value), str) and str.strip(value).lower() in _OK_WORDS else ERROR


CHECKS: dict[str, Check] = {
    "text": Check("type({v}) is str", _text),
    "optional_text": Check("{v} is None or type({v}) is str", _optional_text),
    "count": Check(f"{{v}} is None or (type({{v}}) is int and 0 <= {{v}} <= {MAX_COUNT})", _count),
    "integer": Check(
        f"{{v}} is None or (type({{v}}) is int and -{MAX_COUNT} <= {{v}} <= {MAX_COUNT})", _integer
    ),
    "number": Check(
        f"{{v}} is None or (type({{v}}) is float and -{_LARGEST_NUMBER} < {{v}} < {_LARGEST_NUMBER})"
        f" or (type({{v}}) is int and -{MAX_COUNT} <= {{v}} <= {MAX_COUNT})",
        _number,
    ),
    "step_id": Check(f"{{v}} is None or (type({{v}}) is int and 1 <= {{v}} <= {MAX_COUNT})", _step_id),
    "latency": Check(
        "{v} is None or (type({v}) is float and 0.0 <= {v} < 1e12)"
        " or (type({v}) is int and 0 <= {v} < 10**12)",
        _latency,
    ),
    "status": Check("type({v}) is str and ({v} == 'ok' or {v} == 'error')", _status),
}
"""Every kind of check, by the name a record field's metadata gives."""

# The same conditions as functions, for the slow path that mends a record.
_VALID: dict[str, Callable[[Any], bool]] = {
    kind: eval(f"lambda v: {check.condition.format(v='v')}")  # noqa: S307 - the fixed expressions above
    for kind, check in CHECKS.items()
}


def coerce(event: str, values: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any]:
    """Mend the values of an *event* record that failed a check; keep what was given under ``invalid``.

    Args:
        event: The event's name (for the problem's description).
        values: The record's keyword arguments, as given.
        kinds: Field name → check kind, for the checked fields.

    Returns:
        The keyword arguments to build the record with.
    """
    mended = dict(values)
    invalid: dict[str, Any] = {}
    for name, kind in kinds.items():
        value = values[name]
        if _VALID[kind](value):
            continue
        try:
            good = CHECKS[kind].coerce(value)
        except Exception:  # a mend that fails must not lose the line
            good = CHECKS[kind].coerce(None)
        mended[name] = good
        invalid[name] = sanitize(value)
        _diagnostics.report(f"{event}: {name} was not a valid {kind.replace('_', ' ')}; written coerced")
    if invalid:
        fields = dict(values.get("fields") or {})
        given = fields.get(INVALID)
        fields[INVALID] = {**given, **invalid} if isinstance(given, dict) else invalid
        mended["fields"] = fields
    return mended


def check_value(
    event: str, name: str, kind: str, value: Any, fields: dict[str, Any]
) -> tuple[Any, dict[str, Any]]:
    """Check one value before its record is built, when it decides more than the line (a step's number).

    Returns:
        The value (mended if it failed) and the fields (with ``invalid`` if it did).
    """
    if _VALID[kind](value):
        return value, fields
    mended = coerce(event, {name: value, "fields": fields}, {name: kind})
    return mended[name], mended["fields"]
