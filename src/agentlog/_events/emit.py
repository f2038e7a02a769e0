"""Writing a typed event: its record and the context it happened in become one line.

After `agentlog.configure` the line goes through agentlog's pipeline. Before
it, agentlog defers to the application's own structlog configuration (which
may include `agentlog.processors.add_ids`), handing it fields that are
redacted already, since that chain may not redact.
"""

from __future__ import annotations

from typing import Any

import structlog

from .. import _diagnostics
from .._context import RunContext
from .._context.run_context import NO_IDS, LineIds
from .._pipeline.chain import merge_bound_contextvars
from .._pipeline.line import assemble
from .._pipeline.logger import finish_line, write_through_chain, write_through_users_chain
from .._serialize import safe_str
from .._settings import Settings, defaults
from .._vocabulary import ERROR, ERROR_LEVEL, EVENT, FREE_TEXT, INFO, LEVEL_NAMES
from .records import Event

__all__ = ["emit"]


def emit(settings: Settings | None, ctx: RunContext | None, record: Event) -> None:
    """Write *record* with the IDs of *ctx*. Never raises for what the record holds.

    Args:
        settings: The settings read once for this line (`CONFIG.settings`,
            None before `agentlog.configure`); the payloads in the record
            were captured with the same ones.
        ctx: The context the event happened in.
        record: The event.
    """
    # A failed outcome is written at level error, any other typed event at info.
    # Typed events are the run's skeleton: the configured level never drops one.
    level = ERROR_LEVEL if getattr(record, "status", None) == ERROR else INFO
    if settings is None:
        _through_structlog(ctx, record, level)
        return
    chain = settings.chain
    if chain is not None and (not chain or chain[-1] is not finish_line):
        # structlog's chain is someone else's for now (structlog.testing.capture_logs): hand it the event.
        _to_chain(chain, ctx, record, level)
        return
    ids = None if ctx is None else ctx.event_ids if record.names_parent else ctx.ids
    fields = record.fields
    # Positional: this call is on the path of every typed event. With no caller
    # fields nothing but the record's own free text needs redacting, which the
    # record reports as it writes.
    line = assemble(
        settings,
        LEVEL_NAMES[level],
        record.name,
        ids,
        record,
        fields,
        None,
        record.spill_key,
        False,
        not fields,
    )
    settings.writer(line)


def _ids(ctx: RunContext | None, record: Event) -> LineIds:
    if ctx is None:
        return NO_IDS
    return ctx.event_ids if record.names_parent else ctx.ids


def _event_fields(ctx: RunContext | None, record: Event) -> dict[str, Any]:
    """The event's fields as keyword arguments for a structlog logger, redacted already."""
    redactor = defaults().redactor
    # Fields first: a secret they name is then replaced in the free text too.
    fields = redactor.scrub_fields(record.fields) if record.fields else None
    kw: dict[str, Any] = dict(_ids(ctx, record))
    own: dict[str, Any] = {}
    record.write_fields(own)
    for key, value in own.items():
        kw[key] = (
            redactor.scrub_text(safe_str(value), key) if key in FREE_TEXT and value is not None else value
        )
    if fields:
        for key, value in fields.items():
            if type(key) is str:
                kw.setdefault(key, value)
    kw.pop(EVENT, None)
    return kw


def _through_structlog(ctx: RunContext | None, record: Event, level: int) -> None:
    if not structlog.is_configured():
        _diagnostics.notice(
            "agentlog is not configured: typed events go to structlog's default console output "
            "(with the run's IDs); call agentlog.configure() for JSON lines"
        )
    try:
        write_through_users_chain(
            LEVEL_NAMES[level], record.name, _ids(ctx, record), _event_fields(ctx, record)
        )
    except Exception as exc:
        _diagnostics.report("structlog chain failed", exc)


def _to_chain(chain: list[Any], ctx: RunContext | None, record: Event, level: int) -> None:
    try:
        fields = _event_fields(ctx, record)
        merge_bound_contextvars(None, record.name, fields)
        write_through_chain(chain, LEVEL_NAMES[level], record.name, fields)
    except Exception as exc:
        _diagnostics.report("structlog chain failed", exc)
