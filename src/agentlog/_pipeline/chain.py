"""Your structlog chain, composed with agentlog's instead of replaced by it.

`agentlog.configure` keeps the processors an application configured (or
takes ``configure(processors=[...])``) and runs them on every line agentlog
writes — structlog lines, typed events and stdlib records alike — before
agentlog adds its IDs, redacts and renders. What agentlog does itself is
left out of the kept chain, and said once: the timestamp, the level, the
exception fields, the final rendering, and agentlog's own processors.
Fields bound with ``structlog.contextvars`` are merged into every line.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Mapping
from typing import Any

import structlog
import structlog.contextvars
import structlog.dev
import structlog.processors
import structlog.stdlib

from .. import _diagnostics
from .._serialize import safe_str
from .._vocabulary import PROCESSOR_ERROR, TIMESTAMP
from ..typing import EventDict, Processor, WrappedLogger

__all__ = ["BOUND_VARS", "Named", "bound_fields", "compose", "merge_bound_contextvars", "run_chain"]


# -- fields bound with structlog.contextvars -------------------------------------------

_PREFIX = structlog.contextvars.STRUCTLOG_KEY_PREFIX
_PREFIX_LENGTH = len(_PREFIX)
# structlog's registry of the variables bind_contextvars ever created: reading
# those few directly costs nothing when none is bound, where copying the whole
# context (structlog's merge_contextvars) costs a microsecond on every line.
BOUND_VARS: Mapping[str, contextvars.ContextVar[Any]] | None = getattr(
    structlog.contextvars, "_CONTEXT_VARS", None
)
"""structlog's registry of bound context variables (None if this structlog has none)."""


# The registry as two tuples, rebuilt when it grows (it never shrinks), so a
# line reads the variables without copying the registry; most find none bound.
_registry: tuple[tuple[str, ...], tuple[contextvars.ContextVar[Any], ...]] = ((), ())


def _registered() -> tuple[tuple[str, ...], tuple[contextvars.ContextVar[Any], ...]]:
    global _registry
    assert BOUND_VARS is not None
    names, variables = _registry
    if len(variables) != len(BOUND_VARS):
        while True:
            try:
                items = tuple(BOUND_VARS.items())
                break
            except RuntimeError:  # another thread bound a new key meanwhile
                continue
        _registry = names, variables = (
            tuple(name[_PREFIX_LENGTH:] for name, _ in items),
            tuple(var for _, var in items),
        )
    return names, variables


def bound_fields() -> dict[str, Any]:
    """The fields bound with ``structlog.contextvars`` in force here (empty when none)."""
    if BOUND_VARS is None:
        return dict(structlog.contextvars.get_contextvars())
    if not BOUND_VARS:
        return {}
    names, variables = _registered()
    for var in variables:
        if var.get(Ellipsis) is not Ellipsis:  # structlog's value for "not bound here"
            break
    else:
        return {}
    found = {}
    for name, var in zip(names, variables, strict=True):
        value = var.get(Ellipsis)
        if value is not Ellipsis:
            found[name] = value
    return found


def merge_bound_contextvars(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Structlog's ``merge_contextvars``, at a fraction of its cost: bound fields the event lacks."""
    if BOUND_VARS is not None and not BOUND_VARS:
        return event_dict
    for key, value in bound_fields().items():
        event_dict.setdefault(key, value)
    return event_dict


class Named:
    """What a processor sees as the logger of a line that did not come through structlog: its name."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


# -- composing ---------------------------------------------------------------------------

# What agentlog does itself: these in a user's chain would write a second
# timestamp or level, consume the exception before agentlog records it, or
# turn the event into text before agentlog renders it.
_DONE_BY_AGENTLOG_TYPES: tuple[type, ...] = (
    structlog.processors.TimeStamper,
    structlog.processors.MaybeTimeStamper,
    structlog.processors.ExceptionRenderer,
    structlog.processors.ExceptionPrettyPrinter,
    structlog.processors.JSONRenderer,
    structlog.processors.KeyValueRenderer,
    structlog.processors.LogfmtRenderer,
    structlog.processors.EventRenamer,
    structlog.dev.ConsoleRenderer,
)
_DONE_BY_AGENTLOG: set[Any] = {
    structlog.processors.add_log_level,
    structlog.stdlib.add_log_level_number,
    structlog.stdlib.filter_by_level,
    structlog.stdlib.render_to_log_kwargs,
    structlog.stdlib.render_to_log_args_and_kwargs,
    structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
}
_TIMESTAMPERS = (structlog.processors.TimeStamper, structlog.processors.MaybeTimeStamper)


def _is_merge(processor: Any) -> bool:
    return processor is structlog.contextvars.merge_contextvars or processor is merge_bound_contextvars


def _name(processor: Any) -> str:
    name = getattr(processor, "__qualname__", None) or type(processor).__qualname__
    return safe_str(name)


def _done_by_agentlog(processor: Any) -> bool:
    if isinstance(processor, _TIMESTAMPERS) and getattr(processor, "key", TIMESTAMP) != TIMESTAMP:
        return False  # a time of the user's own, under their own key
    if isinstance(processor, _DONE_BY_AGENTLOG_TYPES):
        return True
    try:
        if processor in _DONE_BY_AGENTLOG:
            return True
    except TypeError:  # an unhashable callable
        return False
    return getattr(processor, "__module__", "") == "agentlog.processors"


def _sees_past_agentlog(processor: Any) -> None:
    """Make a ``CallsiteParameterAdder`` name the caller's file and line, not agentlog's frames."""
    ignores = getattr(processor, "_additional_ignores", None)
    if isinstance(ignores, list) and _OWN_MODULES not in ignores:
        ignores.append(_OWN_MODULES)


_OWN_MODULES = "agentlog."


def compose(processors: Iterable[Processor]) -> tuple[Processor, ...]:
    """The processors agentlog runs before writing a line: yours, minus what agentlog does itself.

    Fields bound with ``structlog.contextvars`` are always merged: by your
    ``merge_contextvars`` where your chain has it, else first.

    Args:
        processors: Your chain (the one configured, or the one given).
    """
    kept: list[Processor] = []
    left_out: list[str] = []
    for processor in processors:
        if _done_by_agentlog(processor):
            left_out.append(_name(processor))
            continue
        if isinstance(processor, structlog.processors.CallsiteParameterAdder):
            _sees_past_agentlog(processor)
        kept.append(processor)
    names = [_name(processor) for processor in kept]
    if not any(_is_merge(processor) for processor in kept):
        kept.insert(0, merge_bound_contextvars)
    if names or left_out:
        message = "agentlog.configure(): runs your structlog processors on every line"
        message += f" ({', '.join(names) or 'none left'})"
        if left_out:
            message += "; it writes the timestamp, level, exceptions and line itself, so leaves out "
            message += ", ".join(left_out)
        _diagnostics.notice(message)
    return tuple(kept)


def run_chain(
    processors: tuple[Processor, ...],
    method_name: str,
    event: Any,
    fields: Mapping[str, Any] | None,
    logger: WrappedLogger = None,
) -> tuple[Any, dict[str, Any]]:
    """Run the kept processors on a line that did not come through structlog (a typed event, a record).

    Returns the event and the caller fields they produced. A processor that
    raises, drops the event or renders it to text is skipped for this line
    (and counted): agentlog never loses a line to a processor. A line a
    processor raised on says so in ``processor_error`` (the processor and the
    exception class, never its message, which may hold what was being logged).
    """
    event_dict: dict[str, Any] = dict(fields) if fields else {}
    event_dict["event"] = event
    failed: list[str] = []
    for processor in processors:
        try:
            result = processor(logger, method_name, event_dict)
        except structlog.DropEvent:
            _diagnostics.report("a structlog processor dropped a line agentlog writes; written anyway")
            continue
        except Exception as exc:
            _diagnostics.report(f"structlog processor {_name(processor)} raised; skipped for the line", exc)
            failed.append(f"{_name(processor).rpartition('.')[2]}: {type(exc).__name__}")
            continue
        if isinstance(result, dict):
            event_dict = result
        else:
            _diagnostics.report(
                f"structlog processor {_name(processor)} rendered the line; agentlog renders it"
            )
    if failed:
        event_dict[PROCESSOR_ERROR] = "; ".join(failed)
    return event_dict.pop("event", event), event_dict
