"""For applications that own their structlog configuration: agentlog's pipeline as processors.

`agentlog.configure` composes with your structlog chain and is the short way.
If you would rather keep ``structlog.configure`` to yourself, end your chain
with agentlog's `Renderer` and write with its `LoggerFactory`: the lines are
the very ones ``configure()`` writes (IDs, redaction, the json, ecs, datadog
and console profiles, one whole line per write)::

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            add_hostname,  # your own processors
            agentlog.processors.Renderer(format="ecs", service="support-agent"),
        ],
        logger_factory=agentlog.processors.LoggerFactory("/var/log/agent.jsonl"),
    )

Or keep your own renderer and pick the parts: `add_ids`,
`add_error_fields`, `redact`.

Until `agentlog.configure` is called, agentlog's typed events are logged
through your structlog configuration, so they reach your output with your
processors.
"""

from __future__ import annotations

import dataclasses
import os
from typing import IO, Any

import structlog

from ._context import get_context
from ._formats import profile_named
from ._output import Writer, make_writer
from ._pipeline.errors import exc_info_fields
from ._pipeline.logger import render_event, typed_event_ids
from ._privacy.redactor import Redactor
from ._serialize import safe_str
from ._settings import Settings, current, static_fields
from ._vocabulary import EVENT, ID_KEYS, LEVEL, LEVEL_ALIASES, TIMESTAMP
from .typing import EventDict, Format, WrappedLogger

__all__ = ["LoggerFactory", "Renderer", "add_error_fields", "add_ids", "redact"]


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
    fields = exc_info_fields(exc_info)
    if fields is not None:
        event_dict.update(fields)
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


class Renderer:
    """The last processor of your chain: the event as agentlog's line, in bytes.

    It does what `agentlog.configure` does to every line: adds the UTC
    timestamp, the level, the static fields and the IDs in force (a typed
    event keeps its own span), turns ``exc_info`` into error fields, redacts
    the message and fields, and renders with the profile. A ``timestamp`` or
    ``level`` an earlier processor added is replaced by agentlog's; an ID
    field that disagrees with the one in force is kept under ``extra``.

    The line has no trailing newline (structlog's loggers add one). It is
    bytes for `LoggerFactory`'s and ``structlog.BytesLoggerFactory``'s
    loggers, and text for any other (``PrintLoggerFactory``, stdlib logging
    through ``ProcessorFormatter``).

    Args:
        format: ``"json"``, ``"ecs"``, ``"datadog"`` or ``"console"``.
        service: Written as ``service`` on every line.
        env: Written as ``env`` on every line.
        version: Written as ``version`` on every line.
        redactor: How secrets are found; the configured one (or the default
            `agentlog.Redactor`) when None.

    Raises:
        ValueError: *format* is not known.
    """

    def __init__(
        self,
        format: Format = "json",  # noqa: A002 - configure()'s name for it
        *,
        service: str | None = None,
        env: str | None = None,
        version: str | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self._profile = profile_named(format)
        self._static = static_fields(service, env, version)
        self._redactor = redactor
        self._for: tuple[Settings, Settings] | None = None

    def _settings(self) -> Settings:
        # The installed (or default) settings with this renderer's choices, made once per configuration.
        base = current()
        made = self._for
        if made is None or made[0] is not base:
            redactor = self._redactor if self._redactor is not None else base.redactor
            rendering = dataclasses.replace(
                base, profile=self._profile, static=self._static, redactor=redactor, pre=()
            )
            self._for = made = (base, rendering)
        return made[1]

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> bytes | str:
        """Render *event_dict* as one line, without its newline: bytes or text, as *logger* writes."""
        settings = self._settings()
        # Your chain's add_log_level and TimeStamper wrote these; the line has agentlog's own.
        event_dict.pop(TIMESTAMP, None)
        if event_dict.get(LEVEL) == LEVEL_ALIASES.get(method_name, method_name):
            del event_dict[LEVEL]
        line = render_event(settings, logger, method_name, event_dict, typed_event_ids())
        line = line[:-1] if line.endswith(b"\n") else line
        # Bytes for a logger that writes bytes; text for any other (print, a file, stdlib logging).
        return line if isinstance(logger, _BYTE_LOGGERS) else line.decode("utf-8", "replace")


class LoggerFactory:
    """A structlog ``logger_factory`` that writes lines as agentlog's output does.

    One whole line per write under a lock (lines from threads never
    interleave), ``O_APPEND`` for files (nor do lines from processes), a
    flush per line, and a failed write counted in `agentlog.problems`
    rather than raised into your code.

    Args:
        output: None for the current ``sys.stdout``, a text or binary
            stream, or a file path (appended to, created if missing).

    Raises:
        TypeError: *output* is not a stream, a path or None.
        OSError: the file cannot be opened.
    """

    def __init__(self, output: IO[str] | IO[bytes] | str | os.PathLike[str] | None = None) -> None:
        self._writer = make_writer(output)

    def __call__(self, *args: Any) -> LineLogger:
        """A logger named by the first argument of ``structlog.get_logger``, if any."""
        return LineLogger(self._writer, safe_str(args[0]) if args and args[0] is not None else None)


class LineLogger:
    """What `LoggerFactory` makes: writes each rendered line (bytes or text) and a newline.

    Attributes:
        name: The logger's name, written as the ``logger`` field by `Renderer`.
    """

    __slots__ = ("_writer", "name")

    def __init__(self, writer: Writer, name: str | None = None) -> None:
        self._writer = writer
        self.name = name

    def msg(self, message: bytes | str) -> None:
        """Write *message* as one line."""
        data = message.encode("utf-8", "replace") if isinstance(message, str) else bytes(message)
        self._writer(data + b"\n")

    debug = info = warning = warn = error = exception = critical = fatal = log = msg


_BYTE_LOGGERS = (LineLogger, structlog.BytesLogger)
