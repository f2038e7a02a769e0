"""agentlog's structlog chain: a bound logger whose level follows configure().

structlog's own filtering loggers fix their level when the class is made;
these read it on every call (one global lookup), so a reconfigure takes effect
for loggers that were already created and cached.
"""

from __future__ import annotations

from typing import Any

import structlog

from . import _diagnostics, _pipeline
from ._context import get_context
from ._errors import error_fields, exc_info_to_exception
from ._serialize import safe_repr, safe_str
from .typing import EventDict, WrappedLogger

__all__ = ["BoundLogger", "get_logger"]

_min_level = 0

_METHOD_LEVELS = {
    "debug": "debug",
    "info": "info",
    "msg": "info",
    "warning": "warning",
    "warn": "warning",
    "error": "error",
    "exception": "error",
    "critical": "critical",
    "fatal": "critical",
}


# A disabled level's method is this C-level callable: it takes any arguments
# and does nothing, which costs less than entering a Python function.
_DISABLED: Any = "".format


def set_min_level(level: int) -> None:
    """Set the level below which agentlog's bound loggers do nothing."""
    global _min_level
    _min_level = level
    for levelno, names in _LEVEL_METHODS:
        for name in names:
            setattr(BoundLogger, name, _DISABLED if levelno < level else _ENABLED[name])


def _interpolate(event: Any, args: tuple[Any, ...]) -> Any:
    try:
        return event % args
    except Exception:
        return f"{safe_str(event)} {safe_repr(args)}"


def _make_method(levelno: int, name: str) -> Any:
    def method(self: BoundLogger, event: Any = None, *args: Any, **kw: Any) -> Any:
        if levelno < _min_level:
            return None
        if args:
            event = _interpolate(event, args)
        return self._safe_proxy(name, event, kw)

    async def amethod(self: BoundLogger, event: Any = None, *args: Any, **kw: Any) -> Any:
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
        try:
            return self._proxy_to_logger(name, event, **kw)
        except Exception as exc:
            _diagnostics.report("structlog line could not be logged", exc)
            return None

    debug, adebug = _make_method(10, "debug")
    info, ainfo = _make_method(20, "info")
    msg, amsg = info, ainfo
    warning, awarning = _make_method(30, "warning")
    warn, awarn = warning, awarning
    error, aerror = _make_method(40, "error")
    critical, acritical = _make_method(50, "critical")
    fatal, afatal = critical, acritical

    def exception(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Log at level error with the exception being handled."""
        kw.setdefault("exc_info", True)
        return self.error(event, *args, **kw)

    async def aexception(self, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Async form of `exception`."""
        return self.exception(event, *args, **kw)

    def log(self, level: int, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Log at the numeric stdlib *level*."""
        if level < _min_level:
            return None
        if args:
            event = _interpolate(event, args)
        return self._safe_proxy(_pipeline.level_name(level), event, kw)

    async def alog(self, level: int, event: Any = None, *args: Any, **kw: Any) -> Any:
        """Async form of `log`."""
        return self.log(level, event, *args, **kw)

    def is_enabled_for(self, level: int) -> bool:
        """Tell whether a line at *level* would be written."""
        return level >= _min_level

    def get_effective_level(self) -> int:
        """Return the level below which nothing is written."""
        return _min_level


_LEVEL_METHODS = (
    (10, ("debug",)),
    (20, ("info", "msg")),
    (30, ("warning", "warn")),
    (40, ("error",)),
    (50, ("critical", "fatal")),
)
_ENABLED = {name: BoundLogger.__dict__[name] for _, names in _LEVEL_METHODS for name in names}


def finish_line(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> bytes:
    """The last processor of agentlog's chain: the event as output bytes."""
    pipeline = _pipeline.current() or _pipeline.fallback()
    level = _METHOD_LEVELS.get(method_name, method_name)
    event = event_dict.pop("event", None)
    owned = None
    exc_info = event_dict.pop("exc_info", None)
    if exc_info:
        exc = exc_info_to_exception(exc_info)
        if exc is not None:
            owned = error_fields(exc, stack=True)
    name = getattr(logger, "name", None)
    if name is not None and "logger" not in event_dict:
        owned = {"logger": name, **owned} if owned else {"logger": name}
    ctx = get_context()
    try:
        return pipeline.render(
            pipeline.build(
                level,
                event,
                ctx._fields if ctx is not None else None,
                owned,
                event_dict,
                free_text_event=True,
            )
        )
    except Exception as exc:
        _diagnostics.report("line could not be rendered; written with markers", exc)
        ids = ctx._fields if ctx is not None else None
        return pipeline.render(pipeline.salvage(level, event, ids, owned, event_dict))


class Sink:
    """The wrapped logger: writes each finished line through the pipeline.

    Args:
        name: The logger name, written as the ``logger`` field.
    """

    __slots__ = ("name",)

    def __init__(self, name: str | None = None) -> None:
        self.name = name

    def write(self, line: bytes) -> None:
        """Write one rendered line to the configured output."""
        (_pipeline.current() or _pipeline.fallback()).writer(line)

    debug = info = msg = warning = warn = error = exception = critical = fatal = write


def sink_factory(*args: Any) -> Sink:
    """Structlog ``logger_factory``: a sink named by the first argument, if any."""
    return Sink(safe_str(args[0]) if args and args[0] is not None else None)


def get_logger(name: str | None = None, **initial_values: Any) -> Any:
    """Return a structlog logger whose lines carry the IDs in force.

    After `agentlog.configure` this is agentlog's `BoundLogger`; before it,
    whatever your own structlog configuration makes.

    Args:
        name: Written as the ``logger`` field of every line.
        initial_values: Fields bound to every line of this logger.
    """
    if _pipeline.current() is not None:
        # No lazy proxy: the chain and sink dispatch to the configuration in
        # force at each call, so this logger follows any later configure().
        return BoundLogger(sink_factory(name), [finish_line], initial_values)
    if name is None:
        return structlog.get_logger(**initial_values)
    return structlog.get_logger(name, **initial_values)
