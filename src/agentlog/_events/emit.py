"""Writing a typed event: its record and the context it happened in become one line.

After `agentlog.configure` the line goes through agentlog's pipeline. Before
it, agentlog defers to the application's own structlog configuration (which
may include `agentlog.processors.add_ids`), handing it fields that are
redacted already, since that chain may not redact.
"""

from __future__ import annotations

from typing import Any

import orjson
import structlog

from .. import _diagnostics
from .._context import RunContext
from .._context.ids import new_span_id
from .._context.run_context import NO_IDS, LineIds
from .._pipeline.chain import BOUND_VARS, merge_bound_contextvars
from .._pipeline.clock import now
from .._pipeline.line import assemble, own_line, render_json
from .._pipeline.logger import finish_line, write_through_chain, write_through_users_chain
from .._serialize import LINE_OPTIONS, dumps_line, fallback, safe_str
from .._settings import Settings, defaults
from .._vocabulary import (
    ERROR,
    ERROR_LEVEL,
    EVENT,
    FREE_TEXT,
    INFO,
    LEVEL,
    LEVEL_NAMES,
    OK,
    PARENT_SPAN_ID,
    SPAN_ID,
    TIMESTAMP,
    TOOL_CALL_ID,
    TOOL_RESULT,
)
from .accounting import count_tool_call
from .checks import round_latency
from .records import Event

INFO_NAME = LEVEL_NAMES[INFO]
_dumps = orjson.dumps

__all__ = ["emit", "emit_tool_result"]


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
    if not fields and settings.direct and not BOUND_VARS and BOUND_VARS is not None:
        settings.writer(own_line(settings, LEVEL_NAMES[level], ids, record))
        return
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


def emit_tool_result(
    settings: Settings | None,
    ctx: RunContext,
    tool: Any,
    tool_call_id: str,
    latency_ms: Any,
    nested: bool = False,
) -> bool:
    """Write and count the ``tool_result`` of a call in *ctx* that succeeded, when nothing needs checking.

    The hot path of every tool call: no record, no chain, no caller field.
    Returns False, having done nothing, when a value would need mending or the
    line needs agentlog's processors or a profile's mapping (the caller then
    goes through a record).

    Args:
        settings: The settings in force.
        ctx: The tool call's context; with *nested*, the context the call
            is nested in (a result written with no call open).
        tool: The tool's name.
        tool_call_id: The call's ID.
        latency_ms: How long the call took.
        nested: The call has a span of its own, child of *ctx*'s (as `standalone.nested` gives it).
    """
    if (
        settings is None
        or not settings.direct
        or BOUND_VARS
        or BOUND_VARS is None
        or type(tool) is not str
        or (latency_ms is not None and (type(latency_ms) is not float or not 0.0 <= latency_ms < 1e12))
    ):
        return False
    chain = settings.chain
    if chain is not None and (not chain or chain[-1] is not finish_line):
        return False
    if nested and (settings.otel is not None or ctx.session_id is not None or ctx.request_id is not None):
        return False  # a span to record, or IDs that follow the call's ID in line order
    state = ctx.run_state
    if state is not None:
        count_tool_call(state)
    if latency_ms is not None and latency_ms * 1000.0 % 1.0:
        latency_ms = round_latency(latency_ms)
    line: dict[str, Any] = {TIMESTAMP: now(), LEVEL: INFO_NAME, EVENT: TOOL_RESULT}
    static = settings.static
    if static:
        line.update(static)
    if nested:
        line.update(ctx.ids)
        line[SPAN_ID] = new_span_id()
        line[TOOL_CALL_ID] = tool_call_id
        line[PARENT_SPAN_ID] = ctx.span_id
    else:
        line.update(ctx.event_ids)
    # As ToolResult.write_fields lays them out (a test holds the two lines equal).
    line["tool"] = tool
    line[TOOL_CALL_ID] = tool_call_id
    line["latency_ms"] = latency_ms
    line["status"] = OK
    try:
        data = _dumps(line, default=fallback, option=LINE_OPTIONS)
    except Exception:
        data = dumps_line(line)  # a lone surrogate in the tool's name …
    settings.writer(data if len(data) <= settings.max_line_bytes else render_json(settings, line))
    return True
