"""The pipeline: how one event becomes one written line.

Typed events, structlog lines and stdlib records all end in `Pipeline.emit`,
so every line has the same shape whatever produced it::

    timestamp, level, event, <static fields>, <IDs in force>, <event fields>, <caller fields>

A field the caller passes under a name agentlog already wrote in that line
is not dropped and does not overwrite agentlog's value: it is kept under
``extra`` (``metadata`` for run metadata).

Everything that could hold a secret is redacted while the line is built:
caller fields (by key name and by value shape), the message of a structlog or
stdlib line, and the free-text fields agentlog itself writes (error messages,
stack traces, decision reasons). A line larger than 256 KiB — more than
shippers such as the Datadog Agent accept — has its largest fields cut to
16 KiB each, with a truncation marker, before it is written.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from time import time_ns
from typing import Any

import orjson

from . import _diagnostics
from ._capture import CapturePolicy
from ._clock import format_timestamp
from ._formats import Profile
from ._output import Writer
from ._redact import DEFAULT as DEFAULT_REDACTOR
from ._redact import Redactor
from ._serialize import LINE_OPTIONS, dumps_line, safe_str, truncate_utf8
from ._serialize import fallback as _json_default

_orjson_dumps = orjson.dumps

__all__ = ["LEVELS", "LEVEL_NAMES", "Pipeline", "current", "install"]

LEVELS: dict[str, int] = {
    "debug": 10,
    "info": 20,
    "warning": 30,
    "error": 40,
    "critical": 50,
}
LEVEL_NAMES: dict[int, str] = {number: name for name, number in LEVELS.items()}

MAX_LINE_BYTES = 256 * 1024
SHRUNK_FIELD_BYTES = 16 * 1024
# Fields agentlog writes whose text comes from the caller or an exception.
FREE_TEXT = _FREE_TEXT = frozenset(
    {"error_message", "error_stack", "reason", "outcome", "stop_reason", "finish_reason"}
)


def merge_fields(line: dict[str, Any], fields: Mapping[str, Any], spill_key: str = "extra") -> None:
    """Add caller *fields* to *line*; names already in *line* go under *spill_key*."""
    if line.keys().isdisjoint(fields):
        line.update(fields)
        return
    spilled: dict[str, Any] = {}
    for key, value in fields.items():
        if key in line:
            spilled[key] = value
        else:
            line[key] = value
    previous = line.get(spill_key)
    if type(previous) is dict and spill_key not in spilled:
        spilled = {**previous, **spilled}
    elif spill_key in spilled and previous is not None:
        spilled[spill_key] = previous
    line[spill_key] = spilled


class Pipeline:
    """One configuration's way from event to output. Immutable once built.

    Args:
        min_level: Lines below this level are not written.
        static: Fields written on every line (service, env, version).
        profile: The output profile.
        writer: Where lines go.
        redactor: What replaces secrets.
        capture: What of arguments, results, prompts and completions is written.
    """

    __slots__ = ("capture", "min_level", "profile", "redactor", "static", "writer")

    def __init__(
        self,
        *,
        min_level: int,
        static: Mapping[str, Any],
        profile: Profile,
        writer: Writer,
        redactor: Redactor = DEFAULT_REDACTOR,
        capture: CapturePolicy | None = None,
    ) -> None:
        self.min_level = min_level
        self.static = dict(static)
        self.profile = profile
        self.writer = writer
        self.redactor = redactor
        self.capture = capture if capture is not None else CapturePolicy()

    def clean(
        self,
        event: Any,
        owned: Mapping[str, Any] | None,
        fields: Mapping[str, Any] | None,
        free_text_event: bool,
    ) -> tuple[Any, Mapping[str, Any] | None, Mapping[str, Any] | None]:
        """Redact what could hold a secret: caller fields, a free-text message, error texts."""
        redactor = self.redactor
        if fields:
            fields = redactor.scrub_fields(fields)
        if free_text_event:
            event = redactor.scrub_text(event) if type(event) is str else redactor.scrub(event)
        if owned and not _FREE_TEXT.isdisjoint(owned):
            owned = {
                key: redactor.scrub_text(safe_str(value), key)
                if key in _FREE_TEXT and value is not None
                else value
                for key, value in owned.items()
            }
        return event, owned, fields

    def build(
        self,
        level: str,
        event: Any,
        ids: Mapping[str, Any] | None,
        owned: Mapping[str, Any] | None,
        fields: Mapping[str, Any] | None,
        timestamp: str | None = None,
        spill_key: str = "extra",
        free_text_event: bool = False,
    ) -> dict[str, Any]:
        """Assemble one line in the canonical field order, redacted.

        Args:
            level: The level name.
            event: The event name or log message.
            ids: The IDs in force (a context's fields), if any.
            owned: Fields the event itself defines; they override *ids*
                (an explicit ``tool_call_id`` wins over the one in force).
            fields: Caller fields; see `merge_fields` for name clashes.
            timestamp: The RFC 3339 time; now if None.
            spill_key: Where caller fields that clash go.
            free_text_event: *event* is a message (structlog, stdlib), not a
                typed event's name, and is redacted too.
        """
        event, owned, fields = self.clean(event, owned, fields, free_text_event)
        line: dict[str, Any] = {
            "timestamp": timestamp if timestamp is not None else format_timestamp(time.time_ns()),
            "level": level,
            "event": event,
        }
        if self.static:
            line.update(self.static)
        if ids:
            line.update(ids)
        if owned:
            line.update(owned)
        if fields:
            merge_fields(line, fields, spill_key)
        return line

    def _fast_render(self, line: dict[str, Any]) -> bytes:
        """`render`, with the json profile's common case inlined (the hot path)."""
        if self.profile.transform is None and self.profile.serialize is dumps_line:
            try:
                data = _orjson_dumps(line, default=_json_default, option=LINE_OPTIONS)
            except Exception:
                data = dumps_line(line)
            return data if len(data) <= MAX_LINE_BYTES else self.render(line)
        return self.render(line)

    def render(self, line: dict[str, Any]) -> bytes:
        """Turn a built line into output bytes with this pipeline's profile.

        Lines over 256 KiB have their largest fields cut (see module docs).
        """
        data = self._render(line)
        if len(data) > MAX_LINE_BYTES:
            data = self._render(_shrink(line))
        return data

    def _render(self, line: dict[str, Any]) -> bytes:
        profile = self.profile
        if profile.transform is not None:
            try:
                line = profile.transform(line)
            except Exception as exc:
                # A mapping bug must not lose the event: write it unmapped.
                _diagnostics.report(f"{profile.name} mapping failed; line written unmapped", exc)
        return profile.serialize(line)

    def emit(
        self,
        level: str,
        event: Any,
        ids: Mapping[str, Any] | None,
        owned: Mapping[str, Any] | None,
        fields: Mapping[str, Any] | None,
        timestamp: str | None = None,
        spill_key: str = "extra",
        free_text_event: bool = False,
    ) -> None:
        """Build, render and write one line (see `build`). Never raises, never drops it."""
        try:
            data = self.render(
                self.build(level, event, ids, owned, fields, timestamp, spill_key, free_text_event)
            )
        except Exception as exc:
            _diagnostics.report("line could not be rendered; written with markers", exc)
            data = self.render(self.salvage(level, event, ids, owned, fields, timestamp))
        self.writer(data)

    def emit_log(
        self,
        level: str,
        message: Any,
        ids: Mapping[str, Any] | None,
        owned: Mapping[str, Any] | None,
        fields: Mapping[str, Any] | None,
        timestamp: str | None = None,
        logger: str | None = None,
    ) -> None:
        """Write a free-form log line (structlog or stdlib): message and fields redacted.

        The same line `emit` builds, on a shorter path. Never raises.

        Args:
            level: The level name.
            message: The message, redacted like any free text.
            ids: The IDs in force.
            owned: agentlog's fields (``logger``, error fields).
            fields: The caller's fields.
            timestamp: The RFC 3339 time; now if None.
            logger: The logger name, written as ``logger``.
        """
        try:
            redactor = self.redactor
            # Fields first: a secret they name is then replaced in the message too.
            clean = redactor.scrub_fields(fields) if fields else None
            event = redactor.scrub_text(message) if type(message) is str else redactor.scrub(message)
            line: dict[str, Any] = {
                "timestamp": timestamp if timestamp is not None else format_timestamp(time_ns()),
                "level": level,
                "event": event,
            }
            if self.static:
                line.update(self.static)
            if ids:
                line.update(ids)
            if logger is not None:
                line["logger"] = logger
            if owned:
                line.update(self.clean(None, owned, None, False)[1] or {})
            if clean:
                merge_fields(line, clean)
            data = self._fast_render(line)
        except Exception as exc:
            _diagnostics.report("line could not be rendered; written with markers", exc)
            owned = {"logger": logger, **(owned or {})} if logger is not None else owned
            data = self.render(self.salvage(level, message, ids, owned, fields, timestamp))
        self.writer(data)

    def emit_typed(
        self, level: str, event: str, ids: Mapping[str, Any] | None, owned: Mapping[str, Any]
    ) -> None:
        """Write a typed event that has no caller fields and no free text.

        Nothing in it can hold a secret (IDs, names, numbers, statuses), so it
        skips redaction: the hot path of every scope and typed helper.
        Never raises.
        """
        try:
            line: dict[str, Any] = {"timestamp": format_timestamp(time_ns()), "level": level, "event": event}
            if self.static:
                line.update(self.static)
            if ids:
                line.update(ids)
            line.update(owned)
            data = self._fast_render(line)
        except Exception as exc:
            _diagnostics.report("line could not be rendered; written with markers", exc)
            data = self.render(self.salvage(level, event, ids, owned, None))
        self.writer(data)

    def salvage(
        self,
        level: str,
        event: Any,
        ids: Mapping[str, Any] | None,
        owned: Mapping[str, Any] | None,
        fields: Mapping[str, Any] | None,
        timestamp: str | None = None,
    ) -> dict[str, Any]:
        """The line when `build` failed: every value reduced to plain, redacted data."""
        redactor = self.redactor
        line: dict[str, Any] = {
            "timestamp": timestamp if timestamp is not None else format_timestamp(time.time_ns()),
            "level": level,
            "event": redactor.scrub(event),
            **self.static,
            **(ids or {}),
        }
        for source in (owned, fields):
            for key, value in (source or {}).items():
                name = key if type(key) is str else safe_str(key)
                if name not in line:
                    line[name] = redactor.scrub(value, name)
        return line


def _shrink(line: dict[str, Any]) -> dict[str, Any]:
    shrunk: dict[str, Any] = {}
    for key, value in line.items():
        if isinstance(value, str):
            shrunk[key] = truncate_utf8(value, SHRUNK_FIELD_BYTES)
        elif isinstance(value, (dict, list, tuple)):
            text = dumps_line(value)[:-1].decode("utf-8")
            shrunk[key] = (
                value if len(text) <= SHRUNK_FIELD_BYTES else truncate_utf8(text, SHRUNK_FIELD_BYTES)
            )
        else:
            shrunk[key] = value
    return shrunk


_current: list[Pipeline | None] = [None]


def current() -> Pipeline | None:
    """Return the configured pipeline, or None before `agentlog.configure`."""
    return _current[0]


def install(pipeline: Pipeline | None) -> None:
    """Make *pipeline* the one every emitter uses from now on."""
    _current[0] = pipeline


def level_name(levelno: int) -> str:
    """Map any stdlib numeric level to agentlog's five names (5 → debug, 25 → info)."""
    if levelno < 20:
        return "debug"
    if levelno < 30:
        return "info"
    if levelno < 40:
        return "warning"
    if levelno < 50:
        return "error"
    return "critical"


_fallback: list[Pipeline] = []


def settings() -> Pipeline:
    """The configured pipeline, or the defaults before configure()."""
    return _current[0] or fallback()


def fallback() -> Pipeline:
    """The pipeline used where one is needed before configure(): JSON to stdout."""
    if not _fallback:
        from ._formats import PROFILES
        from ._output import make_writer

        _fallback.append(
            Pipeline(min_level=LEVELS["info"], static={}, profile=PROFILES["json"], writer=make_writer(None))
        )
    return _fallback[0]
