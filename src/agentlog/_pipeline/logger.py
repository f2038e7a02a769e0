"""The structlog front door: a bound logger whose lines go through agentlog's pipeline.

structlog's own filtering loggers fix their level when the class is made;
these read it from the settings on every call, so a reconfigure takes effect
for loggers that were already created and cached. A level below the one in
force is, in addition, a C-level no-op method (`follow_level`), which costs
less than entering a Python function.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import structlog

from .. import _diagnostics
from .._context import get_context
from .._serialize import safe_repr, safe_str
from .._settings import CONFIG, Settings, current
from .._vocabulary import AGENTLOG, EXTRA, LEVEL_ALIASES, LEVELS, LOGGER, PROCESSOR_ERROR, level_name
from ..typing import EventDict, WrappedLogger
from .chain import merge_bound_contextvars, run_chain
from .errors import exc_info_fields
from .line import assemble

__all__ = [
    "BoundLogger",
    "finish_line",
    "follow_level",
    "get_logger",
    "render_event",
    "sink_factory",
    "typed_event_ids",
    "write_through_chain",
    "write_through_users_chain",
]


# A disabled level's method is this C-level callable: it takes any arguments
# and does nothing, which costs less than entering a Python function.
_DISABLED: Any = "".format


def follow_level(level: int) -> None:
    """Make the methods of levels below *level* C-level no-ops (the rest are restored)."""
    for name, method in _ENABLED.items():
        setattr(BoundLogger, name, _DISABLED if LEVELS[LEVEL_ALIASES.get(name, name)] < level else method)


def _min_level() -> int:
    # Unconfigured (after a reset), a logger handed out earlier filters nothing, as before configure.
    settings = CONFIG.settings
    return settings.min_level if settings is not None else 0


def _interpolate(event: Any, args: tuple[Any, ...]) -> Any:
    try:
        return event % args
    except Exception:
        return f"{safe_str(event)} {safe_repr(args)}"


def _make_method(name: str) -> Any:
    levelno = LEVELS[name]

    def method(self: BoundLogger, /, event: Any = None, *args: Any, **kw: Any) -> Any:
        settings = CONFIG.settings
        if settings is not None and levelno < settings.min_level:
            return None
        if args:
            event = _interpolate(event, args)
        return self._safe_proxy(name, event, kw)

    async def amethod(self: BoundLogger, /, event: Any = None, *args: Any, **kw: Any) -> Any:
        # Writes are synchronous and short; no executor hop (which would also
        # lose nothing, but costs a thread switch per line).
        return method(self, event, *args, **kw)

    method.__name__ = name
    method.__doc__ = f"Log *event* at level {name!r} (``%`` formatting with *args*)."
    amethod.__name__ = f"a{name}"
    amethod.__doc__ = f"Async form of `{name}`."
    return method, amethod


class BoundLogger(structlog.BoundLoggerBase):
    """The logger `agentlog.get_logger` returns once agentlog is configured.

    It has structlog's ``FilteringBoundLogger`` interface: ``debug`` …
    ``critical``, ``exception``, ``log``, their ``a``-prefixed async forms,
    ``bind``, ``unbind``, ``new``.
    """

    def _safe_proxy(self, name: str, event: Any, kw: dict[str, Any]) -> Any:
        processors: Any = self._processors
        if not processors or processors[-1] is not finish_line:
            # structlog's chain is someone else's for now (structlog.testing.capture_logs): what
            # agentlog's finisher would add, the IDs and bound fields, goes in the event instead.
            kw = _with_ids_and_bound_fields(kw, self._logger)
        if "self" in kw or "method_name" in kw:
            # Field names structlog's own signature takes: the line goes round it.
            return _write_unchained(self._logger, name, event, {**self._context, **kw}, None)
        try:
            return self._proxy_to_logger(name, event, **kw)
        except Exception as exc:
            # A processor of the user's that fails loses no line: agentlog renders it without the chain.
            _diagnostics.report(
                "structlog line could not go through the processors; written without them", exc
            )
            return _write_unchained(self._logger, name, event, {**self._context, **kw}, exc)

    debug, adebug = _make_method("debug")
    info, ainfo = _make_method("info")
    msg, amsg = info, ainfo
    warning, awarning = _make_method("warning")
    warn, awarn = warning, awarning
    error, aerror = _make_method("error")
    critical, acritical = _make_method("critical")
    fatal, afatal = critical, acritical

    def exception(self, /, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Log at level error with the exception being handled."""
        kw.setdefault("exc_info", True)
        return self.error(event, *args, **kw)

    async def aexception(self, /, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Async form of `exception`."""
        return self.exception(event, *args, **kw)

    def log(self, /, level: int, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Log at the numeric stdlib *level*."""
        if level < _min_level():
            return None
        if args:
            event = _interpolate(event, args)
        return self._safe_proxy(level_name(level), event, kw)

    async def alog(self, /, level: int, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Async form of `log`."""
        return self.log(level, event, *args, **kw)

    def is_enabled_for(self, level: int) -> bool:
        """Tell whether a line at *level* would be written."""
        return level >= _min_level()

    def get_effective_level(self) -> int:
        """Return the level below which nothing is written."""
        return _min_level()


def _with_ids_and_bound_fields(kw: dict[str, Any], logger: Any) -> dict[str, Any]:
    fields = dict(kw)
    ctx = get_context()
    if ctx is not None:
        for key, value in ctx.ids.items():
            fields.setdefault(key, value)
    merge_bound_contextvars(logger, "", fields)
    name = getattr(logger, "name", None)
    if type(name) is str and name != AGENTLOG:
        fields.setdefault(LOGGER, name)
    return fields


def _write_unchained(
    logger: Any, method_name: str, event: Any, fields: dict[str, Any], failure: Exception | None
) -> None:
    """Write a line without structlog's loop: each processor on its own, the failing ones skipped."""
    try:
        settings = current()
        event, fields = run_chain(settings.pre, method_name, event, fields, logger)
        if failure is not None:
            fields.setdefault(PROCESSOR_ERROR, f"structlog chain: {type(failure).__name__}")
        fields["event"] = event
        settings.writer(render_event(settings, logger, LEVEL_ALIASES.get(method_name, method_name), fields))
    except Exception as exc:
        _diagnostics.report("structlog line could not be logged", exc)


# Every level method, aliases included, as defined (enabled).
_ENABLED = {name: BoundLogger.__dict__[name] for name in (*LEVELS, "msg", "warn", "fatal")}


# The writer of the settings the calling thread's last line was rendered with:
# structlog hands the line to the sink right after the last processor, in the
# same thread, so the sink writes it where it was rendered for even if another
# thread reconfigures in between. The line itself stays plain bytes, which any
# structlog logger can write.
_rendered_for = threading.local()


def render_event(
    settings: Settings,
    logger: WrappedLogger,
    method_name: str,
    event_dict: EventDict,
    ids: Mapping[str, Any] | None = None,
) -> bytes:
    """A structlog event as agentlog's line: the IDs in force, error fields, redaction, the profile.

    A ``level`` or ``timestamp`` field that is not agentlog's own (bound, or
    given) is kept under ``extra``, as any field whose name agentlog writes.

    Args:
        settings: How to render.
        logger: The wrapped logger; its ``name`` is written as ``logger``.
        method_name: The log method's name, the line's level.
        event_dict: The event.
        ids: A typed event's IDs (its line is then not a log message); those in force when None.
    """
    level = LEVEL_ALIASES.get(method_name, method_name)
    event = event_dict.pop("event", None)
    owned = exc_info_fields(event_dict.pop("exc_info", None))
    name = getattr(logger, "name", None)
    if LOGGER in event_dict or type(name) is not str or name == AGENTLOG:
        # The caller named it (theirs is written), the logger has no name, or it is a typed event's.
        name = None
    # Only a typed event comes with its IDs (`agentlog.processors.Renderer`, in the application's chain).
    message = ids is None
    if ids is None:
        ctx = get_context()
        ids = ctx.ids if ctx is not None else None
    return assemble(settings, level, event, ids, owned, event_dict, None, EXTRA, message, False, name, True)


def finish_line(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> bytes:
    """The last processor of agentlog's chain: the event as output bytes."""
    settings = current()
    line = render_event(settings, logger, method_name, event_dict)
    # Pushed once rendered, popped by the sink right after: a line logged while this one
    # was rendering (a finalizer run by the collector) pushes and pops its own first.
    writers = _rendered_for.__dict__.get("writers")
    if writers is None or len(writers) > 32:  # a sink that never takes them (not agentlog's) stays bounded
        writers = _rendered_for.writers = []
    writers.append(settings.writer)
    return line


class Sink:
    """The wrapped logger: writes each finished line with the writer it was rendered for.

    Args:
        name: The logger name, written as the ``logger`` field.
    """

    __slots__ = ("name",)

    def __init__(self, name: str | None = None) -> None:
        self.name = name

    def write(self, line: Any) -> None:
        """Write one rendered line."""
        # Taken, not read: a line that did not come through finish_line goes to the current output.
        writers = _rendered_for.__dict__.get("writers")
        writer = writers.pop() if writers else None
        if writer is None:
            writer = current().writer
            line = _foreign_line(line)
        writer(line)

    debug = info = msg = warning = warn = error = exception = critical = fatal = write


def _foreign_line(line: Any) -> bytes:
    """A line some other renderer made (structlog was configured after agentlog): written as it is."""
    _diagnostics.notice(
        "structlog was configured after agentlog.configure(): structlog.get_logger() lines are written as "
        "your chain renders them, not as agentlog's lines (no redaction, no schema); "
        "call agentlog.configure() last"
    )
    if isinstance(line, str):
        line = line.encode("utf-8", "replace")
    elif not isinstance(line, (bytes, bytearray)):
        line = safe_str(line).encode("utf-8", "replace")
    return bytes(line) if line.endswith(b"\n") else bytes(line) + b"\n"


def sink_factory(*args: Any) -> Sink:
    """Structlog ``logger_factory``: a sink named by the first argument, if any."""
    return Sink(safe_str(args[0]) if args and args[0] is not None else None)


def write_through_chain(chain: list[Any], method_name: str, event: str, fields: dict[str, Any]) -> None:
    """Hand a typed event to structlog's chain when it is not agentlog's (``capture_logs`` is on)."""
    BoundLogger(Sink(AGENTLOG), chain, {})._proxy_to_logger(method_name, event, **fields)


# The IDs of the typed event the calling thread is handing to the application's
# structlog chain: agentlog's `Renderer` at its end writes those (the event's
# own span) rather than the ones in force.
_typed = threading.local()


def typed_event_ids() -> Mapping[str, Any] | None:
    """The IDs of the typed event going through the application's chain in this thread, if one is."""
    return _typed.__dict__.get("ids")


def write_through_users_chain(
    method_name: str, event: str, ids: Mapping[str, Any], fields: dict[str, Any]
) -> None:
    """Hand a typed event to the application's own structlog configuration (agentlog is not configured).

    The event goes through their processors and logger factory, but not
    their wrapper class's level filter: typed events are written whatever the level.
    """
    config = structlog.get_config()
    logger = config["logger_factory"](AGENTLOG)
    bound = structlog.BoundLoggerBase(logger, config["processors"], config["context_class"]())
    _typed.ids = ids
    try:
        bound._proxy_to_logger(method_name, event, **fields)
    finally:
        _typed.ids = None


def get_logger(name: str | None = None, **initial_values: Any) -> Any:
    """Return a structlog logger whose lines carry the IDs in force.

    After `agentlog.configure` this is agentlog's `BoundLogger`; before it,
    whatever your own structlog configuration makes.

    Args:
        name: Written as the ``logger`` field of every line.
        initial_values: Fields bound to every line of this logger.
    """
    settings = CONFIG.settings
    if settings is not None and settings.chain is not None:
        # No lazy proxy: the sink dispatches to the configuration in force at
        # each call, so this logger follows any later configure(); the chain is
        # the very list structlog is configured with, so capture_logs sees it.
        return BoundLogger(sink_factory(name), settings.chain, initial_values)
    _diagnostics.notice(
        "agentlog is not configured: agentlog.get_logger() returns structlog's own logger, whose lines "
        "carry the run's IDs only if your chain has agentlog.processors.add_ids; call agentlog.configure()"
    )
    if name is None:
        return structlog.get_logger(**initial_values)
    return structlog.get_logger(name, **initial_values)
