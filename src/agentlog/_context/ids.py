"""Identifier generation and validation.

IDs come from a process-local generator seeded from the OS and re-seeded in a
forked child, so a fork never repeats its parent's IDs.
"""

from __future__ import annotations

import os
import random
import uuid
from typing import Any

from .. import _diagnostics
from .._serialize import safe_str

_rng = random.Random()
os.register_at_fork(after_in_child=_rng.seed)

_HEX = frozenset("0123456789abcdef")


def new_trace_id() -> str:
    """Return a W3C-valid trace ID: 32 lowercase hex digits, never all zeros."""
    while True:
        value = _rng.getrandbits(128)
        if value:
            return f"{value:032x}"


def new_span_id() -> str:
    """Return a W3C-valid span ID: 16 lowercase hex digits, never all zeros."""
    while True:
        value = _rng.getrandbits(64)
        if value:
            return f"{value:016x}"


def new_run_id() -> str:
    """Return a random (version 4) UUID string of 36 characters."""
    return str(uuid.UUID(int=_rng.getrandbits(128), version=4))


def new_tool_call_id() -> str:
    """Return a generated tool call ID, used when the provider gave none."""
    return f"tc_{_rng.getrandbits(96):024x}"


def is_valid_trace_id(value: object) -> bool:
    """Tell whether *value* is 32 lowercase hex digits and not all zeros."""
    return _is_lower_hex(value, 32)


def is_valid_span_id(value: object) -> bool:
    """Tell whether *value* is 16 lowercase hex digits and not all zeros."""
    return _is_lower_hex(value, 16)


def _is_lower_hex(value: object, length: int) -> bool:
    return (
        isinstance(value, str) and len(value) == length and _HEX.issuperset(value) and value != "0" * length
    )


def as_id(value: Any, name: str) -> str | None:
    """An ID a caller gave, as the text every line of its scope carries (None: not given).

    A value that is not text (``session_id=123``) is written as its text on
    every line alike, and counted in `agentlog.problems`; an empty string is
    no ID, as if none was given.
    """
    if type(value) is str:
        return value or None
    if value is None:
        return None
    _diagnostics.report(f"{name} was not text; written as text")
    return safe_str(value)
