"""OpenTelemetry: join the application's traces, and optionally emit spans.

Correlation needs nothing configured: when an OpenTelemetry span is active as
a run starts (and no agentlog run or remote parent is in force), the run joins
that span's trace with it as parent. This looks at ``sys.modules`` only, so
agentlog never imports OpenTelemetry itself for it.

With ``configure(otel_spans=True)`` agentlog also emits a span per run, step,
tool call and LLM call, following the OpenTelemetry GenAI semantic
conventions. The spans' trace and span IDs *are* the IDs in the log lines:
agentlog starts the span first and takes its IDs. While a scope is open its
span is the current OpenTelemetry span, so spans of instrumented libraries
(HTTP clients, SDKs) nest under it.

Everything agentlog writes on a span goes through the configured redactor,
as the lines do: every span name, every string attribute (and each string
of a list), every status description. The IDs (run, parent run, session,
tool call) are written as on the lines, unchanged. Content attributes carry
only what the capture policy writes to the lines, so arguments never reach a
span in the default ``"hash"`` mode.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import _diagnostics, _settings
from ._context import SpanRef
from ._genai import ERROR_TYPE, SCHEMA_URL, error_type, input_messages, output_messages
from ._serialize import dumps_line

if TYPE_CHECKING:
    from ._settings import Settings

__all__ = [
    "Bridge",
    "OpenSpan",
    "captured_text",
    "content_mode",
    "current_span",
    "messages_text",
    "payload_text",
]


def _ref(context: Any) -> SpanRef:
    return SpanRef(f"{context.trace_id:032x}", f"{context.span_id:016x}", f"{int(context.trace_flags):02x}")


def current_span() -> SpanRef | None:
    """The active OpenTelemetry span, if one is (the application's own tracing)."""
    trace_module = sys.modules.get("opentelemetry.trace")
    if trace_module is None:
        return None
    try:
        context = trace_module.get_current_span().get_span_context()
        return _ref(context) if context.is_valid else None
    except Exception:
        return None


class Bridge:
    """Starts and ends OpenTelemetry spans for agentlog's scopes.

    Args:
        tracer_provider: The provider to get a tracer from; the global one
            when None.
        service: Names the agent in ``invoke_agent`` spans.
    """

    def __init__(self, tracer_provider: Any = None, service: str | None = None) -> None:
        from opentelemetry import context, trace

        from . import __version__

        self._trace = trace
        self._context = context
        provider = tracer_provider if tracer_provider is not None else trace.get_tracer_provider()
        self._tracer = provider.get_tracer("agentlog", __version__, schema_url=SCHEMA_URL)
        self.service = service

    def open(
        self, name: str, parent: SpanRef | None, attributes: dict[str, Any], *, client: bool = False
    ) -> OpenSpan | None:
        """Start a scope's span and make it the current OpenTelemetry span; None if it fails."""
        span = self.start(name, client=client, parent=parent, attributes=attributes)
        if span is None:
            return None
        return OpenSpan(self, span, self.attach(span))

    def record(
        self,
        name: str,
        parent: SpanRef,
        attributes: dict[str, Any],
        *,
        client: bool,
        latency_ms: Any,
        status: str,
        error_class: str | None = None,
        closing: dict[str, Any] | None = None,
    ) -> str | None:
        """Record an operation that already ended as a span back-dated by its latency.

        For the typed helpers called on their own. Returns the span's ID, or
        None if it could not be recorded.

        Args:
            name: The span's name.
            parent: The span it nests in.
            attributes: Its attributes.
            client: A CLIENT span (a model call) rather than INTERNAL.
            latency_ms: How long the operation took.
            status: ``ok`` or ``error``.
            error_class: ``error.type`` when it failed (``_OTHER`` when None).
            closing: Attributes known only once it ended (usage, content).
        """
        span = self.start(
            name, client=client, parent=parent, attributes=attributes, start_ns=_backdated(latency_ms)
        )
        if span is None:
            return None
        failure = error_type(None, {"error_class": error_class} if error_class else None, status)
        self.end(span, {"agentlog.status": status, **(closing or {})}, failure)
        return _ref(span.get_span_context()).span_id

    def start(
        self,
        name: str,
        *,
        client: bool,
        parent: SpanRef | None,
        attributes: dict[str, Any],
        start_ns: int | None = None,
    ) -> Any:
        """Start a span under *parent*; None if it fails."""
        trace = self._trace
        try:
            parent_context = None
            if parent is not None:
                span_context = trace.SpanContext(
                    trace_id=int(parent.trace_id, 16),
                    span_id=int(parent.span_id, 16),
                    is_remote=parent.is_remote,
                    trace_flags=trace.TraceFlags(int(parent.trace_flags, 16)),
                )
                parent_context = trace.set_span_in_context(trace.NonRecordingSpan(span_context))
            span = self._tracer.start_span(
                _scrub(name, None),
                context=parent_context,
                kind=trace.SpanKind.CLIENT if client else trace.SpanKind.INTERNAL,
                attributes=_clean(attributes),
                start_time=start_ns,
            )
            made = span.get_span_context()
            if not made.is_valid or (parent is not None and f"{made.span_id:016x}" == parent.span_id):
                # The API without an SDK: its spans have all-zero IDs, or the parent's own
                # under a parent, which no line may carry as its own.
                span.end()
                _diagnostics.report("otel_spans: no OpenTelemetry SDK tracer provider; no spans emitted")
                return None
            return span
        except Exception as exc:
            _diagnostics.report("OpenTelemetry span could not be started", exc)
            return None

    def attach(self, span: Any) -> Any:
        """Make *span* the current OpenTelemetry span; return the token to detach."""
        try:
            return self._context.attach(self._trace.set_span_in_context(span))
        except Exception:
            return None

    def detach(self, token: Any) -> None:
        """Undo `attach`."""
        if token is not None:
            # A context left elsewhere (a generator resumed in another task): the span still ends.
            with contextlib.suppress(Exception):
                self._context.detach(token)

    def end(
        self, span: Any, attributes: dict[str, Any], error_class: str | None, end_ns: int | None = None
    ) -> None:
        """Set the closing attributes and status, and end *span*."""
        try:
            span.set_attributes(_clean(attributes))
            if error_class is not None:
                failure = _scrub(error_class, ERROR_TYPE)
                span.set_attribute(ERROR_TYPE, failure)
                span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, failure))
            span.end(end_time=end_ns)
        except Exception as exc:
            _diagnostics.report("OpenTelemetry span could not be ended", exc)


# Attributes holding IDs: written as the lines write them (IDs are not redacted there either).
ID_ATTRIBUTES = frozenset(
    {"agentlog.run_id", "agentlog.parent_run_id", "gen_ai.conversation.id", "gen_ai.tool.call.id"}
)


def _scrub(text: str, key: str | None) -> str:
    """*text* through the configured redactor, the one the lines go through."""
    return _settings.current().redactor.scrub_text(text, key)


def _clean(attributes: dict[str, Any]) -> dict[str, Any]:
    """Only the values OpenTelemetry accepts (str, bool, int, float, lists of str), text redacted.

    Every string but an ID goes through the configured redactor, with the
    same secret memory as the lines: a value once seen under a secret key
    name is replaced here too.
    """
    clean: dict[str, Any] = {}
    for key, value in attributes.items():
        if value is None:
            continue
        if type(value) is str:
            clean[key] = value if key in ID_ATTRIBUTES else _scrub(value, key)
        elif type(value) in (bool, int, float):
            clean[key] = value
        elif type(value) in (list, tuple) and all(type(v) is str for v in value):
            clean[key] = [_scrub(v, key) for v in value]
    return clean


def captured_text(captured: dict[str, Any] | None, name: str) -> str | None:
    """A captured payload as JSON text, for a span attribute (None when the policy wrote no value).

    Content reaches a span only where the capture policy writes it to the logs too.
    """
    if not captured or name not in captured:
        return None
    value = captured[name]
    return value if type(value) is str else dumps_line(value)[:-1].decode("utf-8")


_CONTENT_MODES = ("redacted", "full")


def content_mode(settings: Settings, mode: str | None, tool: str | None = None) -> str | None:
    """The capture mode for content on a span, or None when the span gets none.

    A span carries content where the lines do, in the same mode, unless
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` says otherwise:
    off (``false``, ``NO_CONTENT``, ``EVENT_ONLY``) takes it off the spans;
    on (``true``, ``SPAN_ONLY``, ``SPAN_AND_EVENT``) puts it on the spans
    even where the lines keep only a hash, with secrets replaced.

    Args:
        settings: The settings in force.
        mode: A per-call capture mode, overriding the policy.
        tool: The tool the payload belongs to, for a per-tool mode.
    """
    switch = settings.span_content
    if switch is False:
        return None
    line_mode = mode if mode is not None else settings.capture.mode_for(tool)
    if line_mode in _CONTENT_MODES:
        return line_mode
    return "full" if switch else None


def payload_text(
    settings: Settings | None,
    name: str,
    value: Any,
    written: Mapping[str, Any] | None = None,
    *,
    tool: str | None = None,
    mode: str | None = None,
) -> str | None:
    """A payload (tool arguments or result) for a span attribute, as JSON text; None when none goes there.

    Redacted and capped as a line would have it in the span's content mode
    (`content_mode`): the line's own value when that is the line's mode.

    Args:
        settings: The settings in force.
        name: ``args`` or ``result``.
        value: The payload as given.
        written: The fields the line wrote for it, if already captured.
        tool: The tool it belongs to.
        mode: A per-call capture mode.
    """
    if settings is None or settings.otel is None:
        return None
    content = content_mode(settings, mode, tool)
    if content is None:
        return None
    line_mode = mode if mode is not None else settings.capture.mode_for(tool)
    if written is not None and content == line_mode:
        return captured_text(dict(written), name)
    from ._privacy.capture import captured

    try:
        fields = captured(name, value, content, settings.hasher, settings.redactor, settings.capture.limit)
    except Exception as exc:
        _diagnostics.report("span content could not be captured", exc)
        return None
    return captured_text(fields, name)


def messages_text(
    settings: Settings | None,
    messages: Any,
    mode: str | None,
    *,
    output: bool,
    finish_reason: Any = None,
    failed: bool = False,
) -> str | None:
    """A prompt or completion as the conventions' message JSON for a span; None when none goes there.

    *messages* is converted to ``{role, parts}`` messages
    (`agentlog._genai`), secrets (and, in ``redacted`` mode, emails and
    phone numbers) replaced in every part, and fitted to the capture limit
    by shortening the longest texts: the result is always a valid array.
    """
    if settings is None or settings.otel is None:
        return None
    content = content_mode(settings, mode)
    if content is None:
        return None
    try:
        if isinstance(messages, (list, tuple)) and len(messages) > MAX_MESSAGES:
            messages = messages[-MAX_MESSAGES:]  # more never fit the capture limit
        converted = output_messages(messages, finish_reason, failed) if output else input_messages(messages)
        clean = settings.redactor.scrub(converted, pii=content == "redacted")
        return _fitted(clean, settings.capture.limit)
    except Exception as exc:
        _diagnostics.report("span content could not be converted", exc)
        return None


_CUT = "…[truncated]"
MAX_MESSAGES = 256
"""The most messages of a prompt converted for a span: the last ones (the limit holds fewer)."""


def _cut_strings(value: Any, longest: int) -> Any:
    if isinstance(value, str):
        return value if len(value) <= longest else value[:longest] + _CUT
    if isinstance(value, dict):
        return {key: _cut_strings(item, longest) for key, item in value.items()}
    if isinstance(value, list):
        return [_cut_strings(item, longest) for item in value]
    return value


def _fitted(messages: Any, limit: int) -> str:
    """*messages* as JSON text of at most *limit* bytes where shortening its strings can make it so."""
    text = dumps_line(messages)[:-1].decode("utf-8")
    longest = limit
    shortened = messages
    while len(text.encode("utf-8")) > limit and longest > 16:
        longest //= 2
        shortened = _cut_strings(messages, longest)
        text = dumps_line(shortened)[:-1].decode("utf-8")
    if len(text.encode("utf-8")) > limit and isinstance(shortened, list) and len(shortened) > 1:
        # The latest messages say most about this call: keep as many of them as fit.
        room = limit - 2
        kept = 0
        for message in reversed(shortened):
            room -= len(dumps_line(message)) - 1 + (1 if kept else 0)
            if room < 0 and kept:
                break
            kept += 1
        text = dumps_line(shortened[-kept:])[:-1].decode("utf-8")
    return text


def _backdated(latency_ms: Any) -> int | None:
    """The start time of something that ended now after *latency_ms*."""
    if type(latency_ms) in (int, float) and 0 <= latency_ms < 1e9:
        return time.time_ns() - int(latency_ms * 1_000_000)
    return None


class OpenSpan:
    """A scope's span while the scope is open: the current OpenTelemetry span until closed.

    Attributes:
        ref: The span, as the scope's context names it (its very IDs).
    """

    __slots__ = ("_bridge", "_span", "_token", "ref")

    def __init__(self, bridge: Bridge, span: Any, token: Any) -> None:
        self._bridge = bridge
        self._span = span
        self._token = token
        self.ref = _ref(span.get_span_context())

    def release(self) -> None:
        """Stop being the current span where it was opened; it stays open until `close`.

        For a scope opened and closed by a framework's callbacks rather than
        a with-block: its close may run in another context than its opening.
        """
        token, self._token = self._token, None
        self._bridge.detach(token)

    def close(
        self,
        attributes: dict[str, Any],
        exc: BaseException | None,
        error: Mapping[str, Any] | None = None,
        status: str | None = None,
    ) -> None:
        """Set the closing attributes and status, end the span, and make the previous one current.

        Args:
            attributes: The closing attributes.
            exc: The exception that ended the scope, if any.
            error: The error fields written on the closing line (its
                ``error_class`` is the span's ``error.type`` when no
                exception is given).
            status: The closing line's status: ``error`` marks the span
                failed even with no error class (``error.type`` ``_OTHER``).
        """
        span, self._span = self._span, None
        if span is None:
            return
        self._bridge.detach(self._token)
        self._bridge.end(span, attributes, error_type(exc, error, status))
