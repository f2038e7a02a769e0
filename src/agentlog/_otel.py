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
from typing import Any

from . import _diagnostics, _settings
from ._context import SpanRef
from ._serialize import dumps_line

__all__ = ["Bridge", "OpenSpan", "captured_text", "current_span"]


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
        self._tracer = provider.get_tracer("agentlog", __version__)
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
    ) -> str | None:
        """Record an operation that already ended as a span back-dated by its latency.

        For the typed helpers called on their own. Returns the span's ID, or
        None if it could not be recorded.
        """
        span = self.start(
            name, client=client, parent=parent, attributes=attributes, start_ns=_backdated(latency_ms)
        )
        if span is None:
            return None
        self.end(span, {"agentlog.status": status}, "Error" if status == "error" else None)
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
            return self._tracer.start_span(
                _scrub(name, None),
                context=parent_context,
                kind=trace.SpanKind.CLIENT if client else trace.SpanKind.INTERNAL,
                attributes=_clean(attributes),
                start_time=start_ns,
            )
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
                error_type = _scrub(error_class, "error.type")
                span.set_attribute("error.type", error_type)
                span.set_status(self._trace.Status(self._trace.StatusCode.ERROR, error_type))
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

    def close(self, attributes: dict[str, Any], exc: BaseException | None) -> None:
        """Set the closing attributes and status, end the span, and make the previous one current."""
        span, self._span = self._span, None
        if span is None:
            return
        self._bridge.detach(self._token)
        self._bridge.end(span, attributes, type(exc).__qualname__ if exc is not None else None)
