"""Writing a typed event: its record and the context it happened in become one line.

After `agentlog.configure` the line goes through agentlog's pipeline. Before
it, agentlog defers to the application's own structlog configuration (which
may include `agentlog.processors.add_ids`), handing it fields that are
redacted already, since that chain may not redact.
"""

from __future__ import annotations

from typing import Any

from .. import _diagnostics
from .._context import RunContext
from .._pipeline.line import assemble
from .._serialize import safe_str
from .._settings import CONFIG, defaults
from .._vocabulary import EVENT, FREE_TEXT, LEVEL_NAMES, PARENT_SPAN_ID
from .records import Event

__all__ = ["emit"]


def emit(ctx: RunContext | None, record: Event) -> None:
    """Write *record* with the IDs of *ctx*. Never raises for what the record holds.

    Every typed event names its span's parent first, so a span is placed in
    the run's tree by any one of its lines (a standalone ``tool_result`` has
    no ``tool_call`` line before it).
    """
    owned: dict[str, Any] = {}
    if record.names_parent and ctx is not None and ctx.parent_span_id is not None:
        owned[PARENT_SPAN_ID] = ctx.parent_span_id
    record.write_fields(owned)
    settings = CONFIG.settings
    if settings is None:
        _through_structlog(ctx, record, owned)
        return
    level = record.level
    if level < settings.min_level:
        return
    fields = record.fields
    settings.writer(
        assemble(
            settings,
            LEVEL_NAMES[level],
            record.name,
            ctx.ids if ctx is not None else None,
            owned,
            fields,
            spill_key=record.spill_key,
            trusted=not fields and FREE_TEXT.isdisjoint(owned),
        )
    )


def _through_structlog(ctx: RunContext | None, record: Event, owned: dict[str, Any]) -> None:
    redactor = defaults().redactor
    # Fields first: a secret they name is then replaced in the free text too.
    fields = redactor.scrub_fields(record.fields) if record.fields else None
    kw: dict[str, Any] = dict(ctx.ids) if ctx is not None else {}
    for key, value in owned.items():
        kw[key] = redactor.scrub_text(safe_str(value), key) if key in FREE_TEXT and value is not None else value
    if fields:
        for key, value in fields.items():
            if type(key) is str:
                kw.setdefault(key, value)
    kw.pop(EVENT, None)
    try:
        import structlog

        structlog.get_logger("agentlog").log(record.level, record.name, **kw)
    except Exception as exc:
        _diagnostics.report("structlog chain failed", exc)
