"""The one place a line is assembled, for typed events, structlog lines and stdlib records alike.

Every line has the same shape whatever produced it::

    timestamp, level, event, <static fields>, <IDs in force>, <event's own fields>, <caller fields>

A caller field under a name agentlog already wrote in that line is not
dropped and does not overwrite agentlog's value: it is kept under ``extra``
(``metadata`` for run metadata) — unless it is the same text or number,
as an ID added twice is.

Everything that could hold a secret is redacted while the line is built:
caller fields (by key name and by value shape), the message of a structlog or
stdlib line, and the free-text fields agentlog itself writes (error messages,
stack traces, decision reasons). A typed event with no caller fields has
nothing of a caller's to scrub (the ``trusted`` flag: the hot path of every
scope), and its record says as it writes whether it wrote free text. A line
larger than the limit (256 KiB unless configured: more than shippers such as
the Datadog Agent accept) has its largest fields cut, with a truncation
marker, and the fields that still do not fit left out and counted
(``fields_dropped``). A line that cannot be built at all is salvaged: every
value reduced to plain, redacted data. Nothing here raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from .. import _diagnostics
from .._serialize import LINE_OPTIONS, dumps_line, fallback, safe_str, truncate_utf8, type_name
from .._settings import MAX_LINE_BYTES
from .._vocabulary import (
    AGENTLOG,
    EVENT,
    EXTRA,
    FIELDS_DROPPED,
    FREE_FORM,
    FREE_TEXT,
    LEVEL,
    LINE_IDS,
    LOGGER,
    TIMESTAMP,
    TYPED_EVENT_NAMES,
)
from .chain import BOUND_VARS, Named, bound_fields, run_chain
from .clock import now

if TYPE_CHECKING:
    from .._formats import Profile
    from .._settings import Settings

__all__ = ["MAX_LINE_BYTES", "FieldWriter", "assemble", "merge_fields", "own_line", "render", "render_json"]

SHRUNK_FIELD_BYTES = 16 * 1024

_dumps = orjson.dumps
_HELD: Any = object()  # holds a name in a line while the caller's field of that name is merged


class FieldWriter(Protocol):
    """What writes an event's own fields into a line: a typed event's record."""

    def write_fields(self, line: dict[str, Any]) -> bool:
        """Add the event's own fields to *line*, in schema order; True when one is free text."""


def assemble(
    settings: Settings,
    level: str,
    event: Any,
    ids: Mapping[str, Any] | None,
    owned: dict[str, Any] | FieldWriter | None,
    fields: Mapping[str, Any] | None,
    timestamp: str | None = None,
    spill_key: str = EXTRA,
    message: bool = False,
    trusted: bool = False,
    logger: str | None = None,
    chained: bool = False,
) -> bytes:
    """Build, redact and render one line: the output bytes. Never raises.

    Args:
        settings: The configuration in force.
        level: The level name.
        event: The typed event's name, or the log message.
        ids: The IDs in force (a context's ``ids``), if any.
        owned: Fields the event itself defines, or the record that writes
            them; they override *ids* (an explicit ``tool_call_id`` wins
            over the one in force).
        fields: Caller fields; see `merge_fields` for name clashes.
        timestamp: The RFC 3339 time; now if None.
        spill_key: Where caller fields that clash go.
        message: *event* is a message (structlog, stdlib), not a typed
            event's name, and is redacted too.
        trusted: The caller's fields and message hold no secret: skip their
            redaction (the event's own free text is redacted whenever there is some).
        logger: The name of the logger that wrote a log line, written after the IDs.
        chained: The line came through structlog's chain, which ran the
            processors in ``settings.pre`` already.
    """
    try:
        if not chained:
            pre = settings.pre
            if len(pre) > 1:
                # Your structlog processors (and bound contextvars) on a typed event or a record.
                processed, fields = run_chain(pre, level, event, fields, Named(logger or AGENTLOG))
                if message:
                    event = processed
                trusted = False
            elif BOUND_VARS is None or BOUND_VARS:
                # Only the merge of bound contextvars: no event dict, no processor loop.
                bound = bound_fields()
                if bound:
                    fields = (
                        {**fields, **{k: v for k, v in bound.items() if k not in fields}} if fields else bound
                    )
                    trusted = False
        if not trusted:
            redactor = settings.redactor
            # Fields first: a secret they name is then replaced in the message too.
            if fields:
                fields = redactor.scrub_fields(fields)
            if message:
                event = redactor.scrub_text(event) if type(event) is str else redactor.scrub(event)
        line: dict[str, Any] = {
            TIMESTAMP: timestamp if timestamp is not None else now(),
            LEVEL: level,
            EVENT: event,
        }
        if settings.static:
            line.update(settings.static)
        if ids:
            line.update(ids)
        if logger is not None:
            line[LOGGER] = logger
        if message and type(event) is str and event in TYPED_EVENT_NAMES:
            # A log message that reuses a typed event's name is marked, so no reader takes it for one.
            line[FREE_FORM] = True
        if owned is not None:
            if isinstance(owned, dict):
                line.update(owned)
                free_text = not FREE_TEXT.isdisjoint(owned)
            else:
                free_text = owned.write_fields(line)
            if free_text:
                for key in FREE_TEXT:
                    value = line.get(key)
                    if value is not None:
                        line[key] = settings.redactor.scrub_text(safe_str(value), key)
        if fields:
            if not message and FREE_FORM in fields and FREE_FORM not in line:
                # Only agentlog marks a line free-form: a typed event's own field of that name is kept aside.
                line[FREE_FORM] = _HELD
                merge_fields(line, fields, spill_key)
                del line[FREE_FORM]
            else:
                merge_fields(line, fields, spill_key)
        profile = settings.profile
        if profile.transform is None and profile.serialize is dumps_line:
            # The json profile, inlined: the hot path of every line.
            try:
                data = _dumps(line, default=fallback, option=LINE_OPTIONS)
            except Exception:
                data = dumps_line(line)  # a non-string key, a 128-bit int, a lone surrogate …
            if len(data) <= settings.max_line_bytes:
                return data
        return render(profile, line, settings.max_line_bytes)
    except Exception as exc:
        _diagnostics.report("line could not be rendered; written with markers", exc)
        if logger is not None:
            owned = {LOGGER: logger, **_as_dict(owned)}
        salvaged = _salvage(settings, level, event, ids, owned, fields, timestamp)
        if message and type(event) is str and event in TYPED_EVENT_NAMES:
            salvaged[FREE_FORM] = True
        return render(settings.profile, salvaged, settings.max_line_bytes)


def own_line(settings: Settings, level: str, ids: Mapping[str, Any] | None, record: FieldWriter) -> bytes:
    """A typed event's line when nothing in it is a caller's: the hot path of every scope.

    The caller guarantees what `assemble` would otherwise check: no caller
    fields, no processors beyond the merge of bound contextvars, none bound,
    and the json profile (`Settings.direct`). Never raises: a line it cannot
    build is `assemble`'s to salvage.
    """
    try:
        line: dict[str, Any] = {TIMESTAMP: now(), LEVEL: level, EVENT: record.name}  # type: ignore[attr-defined]
        static = settings.static
        if static:
            line.update(static)
        if ids:
            line.update(ids)
        if record.write_fields(line):
            redactor = settings.redactor
            for key in FREE_TEXT:
                value = line.get(key)
                if value is not None:
                    line[key] = redactor.scrub_text(safe_str(value), key)
        return render_json(settings, line)
    except Exception:
        return assemble(settings, level, record.name, ids, record, None, trusted=True)  # type: ignore[attr-defined]


def render_json(settings: Settings, line: dict[str, Any]) -> bytes:
    """A built line as the json profile writes it, cut to the size limit (`render`). Never raises."""
    try:
        data = _dumps(line, default=fallback, option=LINE_OPTIONS)
    except Exception:
        data = dumps_line(line)  # a non-string key, a 128-bit int, a lone surrogate …
    if len(data) <= settings.max_line_bytes:
        return data
    return render(settings.profile, line, settings.max_line_bytes)


def merge_fields(line: dict[str, Any], fields: Mapping[str, Any], spill_key: str = EXTRA) -> None:
    """Add caller *fields* to *line*; a name already there goes under *spill_key* (unless equal)."""
    if line.keys().isdisjoint(fields):
        line.update(fields)
        return
    spilled: dict[str, Any] = {}
    for key, value in fields.items():
        if key in line:
            if (type(value) is str or type(value) is int) and line[key] == value:
                continue  # the same value twice (add_ids, a processor's logger name): not a clash
            spilled[key] = value
        else:
            line[key] = value
    if not spilled:
        return
    previous = line.get(spill_key)
    if previous is None:
        line[spill_key] = spilled
    elif type(previous) is dict and previous.keys().isdisjoint(spilled):
        line[spill_key] = {**previous, **spilled}
    else:
        # What was there (a caller's own value of that name) is kept whole, beside the clashes.
        name = spill_key
        while name in spilled:
            name += "_"
        line[spill_key] = {**spilled, name: previous}


def render(profile: Profile, line: dict[str, Any], limit: int = MAX_LINE_BYTES) -> bytes:
    """Turn a built line into output bytes, at most *limit* of them (see `_shrink`)."""
    data = _profiled(profile, line)
    if len(data) <= limit:
        return data
    # Room left for what a profile adds when it renames or nests fields.
    budget = limit - min(SHRUNK_FIELD_BYTES, limit // 4)
    for _ in range(3):
        shrunk = _shrink(line, budget, min(SHRUNK_FIELD_BYTES, limit // 8))
        data = _profiled(profile, shrunk)
        if len(data) <= limit:
            if FIELDS_DROPPED in shrunk:
                _diagnostics.report("line over the size limit: fields past it left out (fields_dropped)")
            return data
        # The profile outgrew the budget: cut deeper.
        budget = budget * limit * 9 // (10 * len(data))
    _diagnostics.report("line over the size limit even cut; only its time, level, event and IDs written")
    head = {
        key: _cut(line[key], 256) for key in (TIMESTAMP, LEVEL, EVENT, FREE_FORM, *LINE_IDS) if key in line
    }
    return _profiled(profile, {**head, FIELDS_DROPPED: len(line) - len(head)})


def _profiled(profile: Profile, line: dict[str, Any]) -> bytes:
    if profile.transform is not None:
        try:
            line = profile.transform(line)
        except Exception as exc:
            # A mapping bug must not lose the event: write it unmapped.
            _diagnostics.report(f"{profile.name} mapping failed; line written unmapped", exc)
    return profile.serialize(line)


def _salvage(
    settings: Settings,
    level: str,
    event: Any,
    ids: Mapping[str, Any] | None,
    owned: dict[str, Any] | FieldWriter | None,
    fields: Mapping[str, Any] | None,
    timestamp: str | None,
) -> dict[str, Any]:
    """The line when building failed: every value reduced to plain, redacted data."""
    redactor = settings.redactor
    owned = _as_dict(owned)
    line: dict[str, Any] = {
        TIMESTAMP: timestamp if timestamp is not None else now(),
        LEVEL: level,
        EVENT: redactor.scrub(event),
        **settings.static,
        **(ids or {}),
    }
    for source in (owned, fields):
        try:
            items = list(source.items()) if source else []
        except Exception:
            # Fields that cannot even be listed: say so where caller fields go.
            line.setdefault(EXTRA, f"<unreadable {type_name(source)}>")
            continue
        for key, value in items:
            name = key if type(key) is str else safe_str(key)
            if name not in line:
                try:
                    line[name] = redactor.scrub(value, name)
                except Exception:
                    # A container whose iteration raises cannot be read at all: say so, keep the line.
                    line[name] = f"<unserializable {type_name(value)}>"
    return line


def _as_dict(owned: dict[str, Any] | FieldWriter | None) -> dict[str, Any]:
    if owned is None or isinstance(owned, dict):
        return owned or {}
    written: dict[str, Any] = {}
    owned.write_fields(written)
    return written


def _cut(value: Any, size: int) -> Any:
    """*value*, or its JSON text cut to *size* bytes when it is a long string or a large structure."""
    if isinstance(value, str):
        return truncate_utf8(value, size)
    if isinstance(value, (dict, list, tuple)):
        text = dumps_line(value)[:-1].decode("utf-8")
        return value if len(text) <= size else truncate_utf8(text, size)
    return value


def _shrink(line: dict[str, Any], budget: int, field_size: int) -> dict[str, Any]:
    """*line* cut to fit: each large field to *field_size*, then fields past the budget left out.

    Fields are kept in line order, so agentlog's own (time, level, event, IDs,
    the event's fields) come before the caller's: it is the caller's last
    fields that are left out, and ``fields_dropped`` says how many.
    """
    shrunk: dict[str, Any] = {}
    used = 0
    dropped = 0
    for key, value in line.items():
        value = _cut(value, field_size)
        size = len(dumps_line({key: value}))
        if used + size > budget:
            dropped += 1
            continue
        shrunk[key] = value
        used += size
    if dropped:
        shrunk[FIELDS_DROPPED] = dropped
    return shrunk
