"""Exceptions as structured fields, never with local variables."""

from __future__ import annotations

import traceback
from typing import Any

from .._privacy.redactor import SCAN_LIMIT
from .._serialize import safe_str
from .._vocabulary import ERROR_CLASS, ERROR_MESSAGE, ERROR_STACK

__all__ = ["error_fields", "exc_info_fields", "exc_info_to_exception"]

# Cut here only far past what is written: the redactor cuts error_message (4096
# characters) and error_stack (32768) after scanning them, so that a secret
# straddling the written limit is found whole and none of it is written.
MAX_MESSAGE_CHARS = SCAN_LIMIT
MAX_STACK_CHARS = SCAN_LIMIT


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…[truncated]"


def error_class(exc: BaseException) -> str:
    """Return the exception's class name as Python prints it in a traceback."""
    return type(exc).__qualname__


def format_stack(exc: BaseException) -> str:
    """Format *exc* with its traceback and chained causes, without locals."""
    try:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    except Exception:
        return f"<traceback of {error_class(exc)} could not be formatted>"
    return _cap(text, MAX_STACK_CHARS)


def error_fields(exc: BaseException, *, stack: bool = False) -> dict[str, Any]:
    """Return ``error_class``, ``error_message`` (and ``error_stack``) for *exc*.

    Args:
        exc: The exception.
        stack: Also include the formatted traceback as ``error_stack``.
    """
    fields: dict[str, Any] = {
        ERROR_CLASS: error_class(exc),
        ERROR_MESSAGE: _cap(safe_str(exc), MAX_MESSAGE_CHARS),
    }
    if stack:
        fields[ERROR_STACK] = format_stack(exc)
    return fields


def exc_info_to_exception(exc_info: Any) -> BaseException | None:
    """Resolve structlog/stdlib ``exc_info`` (True, a tuple, an exception)."""
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple):
        return exc_info[1] if len(exc_info) > 1 and isinstance(exc_info[1], BaseException) else None
    if exc_info:
        import sys

        return sys.exc_info()[1]
    return None


def exc_info_fields(exc_info: Any) -> dict[str, Any] | None:
    """The error fields, stack included, for a structlog or stdlib ``exc_info``; None when it names none."""
    exc = exc_info_to_exception(exc_info) if exc_info else None
    return error_fields(exc, stack=True) if exc is not None else None
