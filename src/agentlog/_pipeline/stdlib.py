"""The stdlib front door: ``logging`` records through agentlog's pipeline.

`LogHandler` turns every record (your own and third-party libraries') into
the same JSON line as a structlog or typed event, through the same pipeline,
with the IDs of the run the record was logged in. `CorrelationFilter` is for
applications that keep their own handlers and formatters: it only adds the
IDs to each record as attributes.
"""

from __future__ import annotations

import logging
import os
import sys
from itertools import islice
from typing import Any

from .. import _diagnostics
from .._context import get_context
from .._serialize import safe_repr, safe_str
from .._settings import CONFIG, defaults
from .._vocabulary import EXTRA, LEVEL, LEVEL_NAMES, LINE_IDS, TIMESTAMP, level_name
from .clock import format_epoch
from .errors import error_fields, exc_info_fields
from .line import assemble

__all__ = ["CorrelationFilter", "LogHandler", "install_handler", "remove_handler"]

# Everything a LogRecord carries by itself; any other attribute came from
# ``extra=`` and is written as a field.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    *LINE_IDS,
}


_PLAIN_RECORD_SIZE = len(vars(logging.LogRecord("", 0, "", 0, "", (), None)))


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:
        return f"{safe_str(record.msg)} [unformattable args: {safe_repr(record.args)}]"


class LogHandler(logging.Handler):
    """A ``logging.Handler`` that writes records as agentlog lines.

    `agentlog.configure` (with ``stdlib=True``) installs one on the root
    logger. Each line has ``logger`` (the record's logger name), the message
    as ``event``, ``extra=`` fields, the IDs in force, and for
    ``exc_info`` the fields ``error_class``, ``error_message`` and
    ``error_stack`` (a traceback without local variables).
    """

    def handle(self, record: logging.LogRecord) -> Any:
        # The writer serializes lines itself; the handler lock would only add
        # a second lock per record.
        if not self.filters:
            self.emit(record)
            return True
        result = self.filter(record)
        if isinstance(result, logging.LogRecord):
            record = result
        if result:
            self.emit(record)
        return result

    def emit(self, record: logging.LogRecord) -> None:
        """Write *record* as one line. Never raises."""
        try:
            settings = CONFIG.settings or defaults()
            levelno = record.levelno
            if levelno < settings.min_level:
                return
            owned = None
            if record.exc_info and record.exc_info[1] is not None:
                owned = error_fields(record.exc_info[1], stack=True)
            attributes = record.__dict__
            extra = None
            if len(attributes) > _PLAIN_RECORD_SIZE:
                # A record's own attributes come first, in a fixed number; what
                # extra= (or a filter, or a formatter) added follows them.
                extra = {
                    key: attributes[key]
                    for key in islice(attributes, _PLAIN_RECORD_SIZE, None)
                    if key not in _RECORD_ATTRIBUTES
                } or None
            ctx = get_context()
            if type(record.msg) is dict and extra is not None and "_logger" in extra:
                message, extra, owned = _from_structlog(record.msg, extra, owned)
            else:
                try:
                    message = record.getMessage()
                except Exception:
                    message = _message(record)
            settings.writer(
                assemble(
                    settings,
                    LEVEL_NAMES.get(levelno) or level_name(levelno),
                    message,
                    ctx.ids if ctx is not None else None,
                    owned,
                    extra,
                    format_epoch(record.created),
                    EXTRA,
                    True,  # the message is free text
                    False,
                    record.name,
                )
            )
        except Exception as exc:
            _diagnostics.report("stdlib record could not be logged", exc)


# What structlog's ProcessorFormatter.wrap_for_formatter and its own
# processors leave in a record that are not the application's fields.
_STRUCTLOG_PLUMBING = frozenset({"_logger", "_name", "_record", "_from_structlog", LEVEL, TIMESTAMP})


def _from_structlog(
    event_dict: dict[str, Any], extra: dict[str, Any], owned: dict[str, Any] | None
) -> tuple[Any, dict[str, Any] | None, dict[str, Any] | None]:
    """A record made by structlog's ``wrap_for_formatter``: its event dict is the line's event and fields."""
    fields = {key: value for key, value in event_dict.items() if key not in _STRUCTLOG_PLUMBING}
    fields.update((key, value) for key, value in extra.items() if key not in _STRUCTLOG_PLUMBING)
    message = fields.pop("event", None)
    exc_info = fields.pop("exc_info", None)
    if owned is None:
        owned = exc_info_fields(exc_info)
    if owned is not None:
        fields.pop("exception", None)  # structlog's rendering of the traceback agentlog writes itself
    return message, fields or None, owned


class CorrelationFilter(logging.Filter):
    """A ``logging.Filter`` that adds the IDs in force as record attributes.

    For handlers with their own formatter: ``%(run_id)s``, ``%(trace_id)s``,
    ``%(span_id)s``, ``%(step_id)s``, ``%(tool_call_id)s`` … (None outside a
    run). It never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the IDs to *record*; always keep it."""
        ctx = get_context()
        for name in LINE_IDS:
            setattr(record, name, getattr(ctx, name) if ctx is not None else None)
        return True


def install_handler(min_level: int, output: Any = None) -> None:
    """Route the root logger through agentlog (replacing an earlier agentlog handler).

    Sets the root logger's level to *min_level*. A root handler that writes
    to the very output agentlog writes to (``logging.basicConfig(stream=
    sys.stdout)`` with agentlog on stdout) would print every record twice:
    it is removed, and agentlog says so once. Handlers writing elsewhere stay.

    Args:
        min_level: The lowest level written.
        output: What agentlog writes to: None for stdout, a path, or a stream.
    """
    root = logging.getLogger()
    remove_handler()
    for handler in list(root.handlers):
        if _same_output(handler, output):
            root.removeHandler(handler)
            _diagnostics.notice(
                f"agentlog.configure(): removed the root logger's {type(handler).__name__}, which writes to "
                "agentlog's own output, so that each record is written once (stdlib=False keeps it)"
            )
    root.addHandler(LogHandler())
    root.setLevel(min_level)


def _same_output(handler: logging.Handler, output: Any) -> bool:
    """Whether a stdlib *handler* writes where agentlog writes *output*."""
    if isinstance(handler, logging.FileHandler):
        return isinstance(output, (str, os.PathLike)) and handler.baseFilename == os.path.abspath(output)
    if type(handler) is logging.StreamHandler:
        stream = getattr(handler, "stream", None)
        target = sys.stdout if output is None else output
        return stream is not None and (stream is target or _same_fd(stream, target))
    return False


def _same_fd(stream: Any, target: Any) -> bool:
    try:
        return bool(stream.fileno() == target.fileno())
    except Exception:
        return False


def remove_handler() -> None:
    """Take agentlog's handlers off the root logger."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, LogHandler):
            root.removeHandler(handler)
