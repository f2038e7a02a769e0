"""structlog processors, for applications that own their structlog chain.

`agentlog.configure` builds a complete chain for you. If your application
already configures structlog, put these in your own chain instead::

    structlog.configure(processors=[
        agentlog.processors.add_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        agentlog.processors.add_error_fields,
        agentlog.processors.redact,
        structlog.processors.JSONRenderer(serializer=orjson.dumps),
    ], ...)

Before `agentlog.configure` is called, agentlog's typed events are logged
through your structlog configuration too, so they reach your output with the
same processors.
"""

from __future__ import annotations

from typing import Any

from ._context import get_context
from ._pipeline.errors import error_fields, exc_info_to_exception
from ._settings import current
from ._vocabulary import EVENT, ID_KEYS
from .typing import EventDict, WrappedLogger

__all__ = ["add_error_fields", "add_ids", "redact"]


def add_ids(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Add the IDs in force (``run_id``, ``trace_id``, ``span_id`` …).

    Reads one context variable. A key the event already has is left alone.

    Args:
        logger: The wrapped logger (unused).
        method_name: The log method's name (unused).
        event_dict: The event being processed.
    """
    ctx = get_context()
    if ctx is not None:
        for key, value in ctx.ids.items():
            event_dict.setdefault(key, value)
    return event_dict


def add_error_fields(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Replace ``exc_info`` with ``error_class``, ``error_message`` and ``error_stack``.

    The stack is the plain traceback text: no local variables, unlike
    structlog's dict tracebacks, so values held in locals (tokens, user data)
    never reach the log.

    Args:
        logger: The wrapped logger (unused).
        method_name: The log method's name; ``exception`` implies the
            exception being handled.
        event_dict: The event being processed.
    """
    exc_info: Any = event_dict.pop("exc_info", None)
    if exc_info is None and method_name == "exception":
        exc_info = True
    exc = exc_info_to_exception(exc_info)
    if exc is not None:
        event_dict.update(error_fields(exc, stack=True))
    return event_dict


def redact(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Replace secrets in the event and its fields (by key name and by value shape).

    Uses the redactor given to `agentlog.configure` (the default one before).
    Put it after `add_error_fields`, so error messages and stacks are
    redacted too, and before the renderer.

    Args:
        logger: The wrapped logger (unused).
        method_name: The log method's name (unused).
        event_dict: The event being processed.
    """
    redactor = current().redactor
    ids = {key: value for key, value in event_dict.items() if key in ID_KEYS}
    for key in ids:
        del event_dict[key]
    event = event_dict.pop(EVENT, None)
    cleaned = redactor.scrub_fields(event_dict)
    cleaned.update(ids)
    if isinstance(event, str):
        cleaned[EVENT] = redactor.scrub_text(event)
    elif event is not None:
        cleaned[EVENT] = redactor.scrub(event)
    return cleaned
