"""PydanticAI: every agent run an agentlog run, every model request and tool call in it recorded.

::

    from agentlog.integrations import pydantic_ai

    pydantic_ai.instrument()     # every Agent without an instrumentation setting of its own
    result = await agent.run("Where is my order?")

PydanticAI describes its work as OpenTelemetry GenAI spans once it is
instrumented (``Agent.instrument_all``). ``instrument()`` turns that on with
a tracer of agentlog's own: PydanticAI's spans go to agentlog and nowhere
else, and each becomes agentlog's scope for the operation —

* ``invoke_agent`` (``agent.run``, ``run_sync``, ``run_stream``, ``iter``) —
  a run, with the agent's name (a child run inside an agentlog run, or
  inside the tool call of the agent that delegated to it);
* ``chat`` (a model request) — a ``model`` step and its ``llm_result``: the
  model, the provider, the token counts the model reported
  (``RequestUsage`` input, output, cache read, cache write), the finish
  reason, the request's ``model_settings`` ``temperature``, ``max_tokens``,
  ``top_p`` and ``seed`` (the ``gen_ai.request.*`` attributes PydanticAI
  gives the span), the messages sent and the answer under the capture
  policy;
* ``execute_tool`` (a function tool, or an output function) — a ``tool``
  step and its ``tool_call``/``tool_result`` pair under the model's own
  ``ToolCallPart.tool_call_id``, the arguments and the result under the
  capture policy.

While an operation runs its scope is the one in force, so the user's own
lines inside a tool (structlog or stdlib ``logging``) carry its run, step
and tool-call IDs; the OpenTelemetry span in force is the operation's too,
so spans the tool starts (an HTTP client's) nest under it.

Failures: a tool that raises fails its call (``error_class``, ``error_message``)
and, as PydanticAI re-raises it, its step and the run (``tool_error``). A
tool that raises ``ModelRetry`` (or whose arguments fail validation) is a
failed call the model is asked to correct: the run goes on and ends ``ok``
with the failure in its ``errors``. A deferred call (``CallDeferred``,
``ApprovalRequired``) is no failure.

Content never leaves agentlog: PydanticAI records it on the spans only for
agentlog to apply its capture policy (hashed by default, raw with
``configure(capture="full")``), and nothing is exported. With
``configure(otel_spans=True)`` agentlog's own spans are the only spans of
these operations (one each), following the GenAI conventions and the
capture policy.

When PydanticAI is already instrumented with a recording OpenTelemetry SDK
provider (``Agent.instrument_all(...)`` before ``instrument()``), that is
kept: agentlog records those spans instead (`agentlog.integrations.otel_genai`),
adopting their IDs; content then reaches agentlog only as far as that
setting's ``include_content`` lets it. ``uninstrument()`` puts back the
setting found. An agent with a setting of its own (``agent.instrument = ...``
or an ``Instrumentation`` capability) keeps it; give agentlog its spans with
``otel_genai.instrument(tracer_provider)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .. import _diagnostics
from .._context import CURRENT
from . import otel_genai
from ._instrumentor import Instrumentor, require

__all__ = ["instrument", "uninstrument"]

FRAMEWORK = "pydantic_ai"
_RECORDER = otel_genai.Recorder(FRAMEWORK, adopt=False, activate=False)

_RETRIED = frozenset({"ToolRetryError", "ModelRetry", "ToolFailedError", "ValidationError"})
"""Failures PydanticAI hands back to the model to correct: the call failed, the run goes on."""
_CONTROL_FLOW = frozenset({"CallDeferred", "ApprovalRequired", "SkipToolExecution"})
"""Exceptions PydanticAI uses for control flow, not failure."""


class _State:
    """Whether agentlog's tracer records (it stays in agents' settings after `uninstrument`)."""

    enabled = False


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def failure_of(span: Any) -> otel_genai.Failure | None:
    """How a finished PydanticAI span's operation failed, or None."""
    exc: BaseException | None = span.escaped if span.escaped is not None else span.recorded
    if exc is not None:
        names = _names(exc)
        if names & _CONTROL_FLOW:
            return None
        retried = bool(names & _RETRIED)
        cause = exc.__cause__
        if "ToolRetryError" in names and cause is not None:
            exc = cause  # the ModelRetry (or validation error) the tool raised
        described = _validation_message(exc)
        if described is not None:
            return otel_genai.Failure(None, type(exc).__qualname__, described, escaped=not retried)
        return otel_genai.Failure(exc, escaped=not retried)
    if span.failed:
        return otel_genai.Failure(None, "Error", span.description or "", escaped=False)
    return None


def _validation_message(exc: BaseException) -> str | None:
    """A pydantic validation error's message without the input values it echoes (the raw arguments)."""
    errors = getattr(exc, "errors", None)
    if "ValidationError" not in _names(exc) or not callable(errors):
        return None
    try:
        found = errors(include_url=False, include_input=False)
        parts = [
            f"{'.'.join(map(str, error.get('loc', ()))) or '__root__'}: {error.get('msg')}" for error in found
        ]
        return f"{len(found)} validation error(s) for {getattr(exc, 'title', '?')}: " + "; ".join(parts)
    except Exception:
        return f"{type(exc).__qualname__} (details withheld)"


_TYPES: dict[str, Any] = {}


def _types() -> dict[str, Any]:
    """The OpenTelemetry tracer provider, tracer and span types, made once (OpenTelemetry API only)."""
    if _TYPES:
        return _TYPES
    from opentelemetry import trace
    from opentelemetry.trace import (
        INVALID_SPAN_CONTEXT,
        Span,
        SpanContext,
        SpanKind,
        Status,
        StatusCode,
        TraceFlags,
        Tracer,
        TracerProvider,
    )
    from opentelemetry.util._decorator import _agnosticcontextmanager as as_context_manager

    class RecordedSpan(Span):
        """One PydanticAI span, kept in memory for agentlog; its IDs are the agentlog scope's."""

        def __init__(self, name: str, attributes: Any, context: Any) -> None:
            self.name = name
            self.attributes: dict[str, Any] = dict(attributes) if attributes else {}
            self.context = context
            self.recording = False
            self.ended = False
            self.recorded: BaseException | None = None
            self.escaped: BaseException | None = None
            self.failed = False
            self.description: str | None = None

        def get_span_context(self) -> Any:
            return self.context

        def set_attributes(self, attributes: Any) -> None:
            if attributes:
                self.attributes.update(attributes)

        def set_attribute(self, key: str, value: Any) -> None:
            self.attributes[key] = value

        def add_event(self, name: str, attributes: Any = None, timestamp: Any = None) -> None:
            pass

        def add_link(self, context: Any, attributes: Any = None) -> None:
            pass

        def update_name(self, name: str) -> None:
            self.name = name

        def is_recording(self) -> bool:
            return self.recording and not self.ended

        def set_status(self, status: Any, description: str | None = None) -> None:
            code = status.status_code if isinstance(status, Status) else status
            if code == StatusCode.ERROR:
                self.failed = True
                self.description = description or getattr(status, "description", None)

        def record_exception(
            self,
            exception: BaseException,
            attributes: Any = None,
            timestamp: Any = None,
            escaped: bool = False,
        ) -> None:
            self.recorded = exception

        def end(self, end_time: int | None = None) -> None:
            if self.ended:
                return
            self.ended = True
            _ended(self)

    def start(name: str, context: Any, attributes: Any) -> Any:
        parent = trace.get_current_span(context)
        known = isinstance(parent, RecordedSpan)
        span = RecordedSpan(name, attributes, parent.get_span_context() if parent is not None else None)
        if span.context is None:
            span.context = INVALID_SPAN_CONTEXT
        if not _State.enabled:
            return span
        try:
            ctx = _RECORDER.started(span, parent if known else None, name, span.attributes)
        except Exception as exc:
            _diagnostics.report(f"{FRAMEWORK} adapter failed in start_span", exc)
            return span
        if ctx is not None:
            span.context = SpanContext(
                int(ctx.trace_id, 16), int(ctx.span_id, 16), False, TraceFlags(int(ctx.trace_flags, 16))
            )
            # A run's closing attributes (its whole history as JSON) are of no use to agentlog.
            span.recording = otel_genai.operation_of(name, span.attributes) != otel_genai.RUN
        return span

    class RecordingTracer(Tracer):
        """Hands PydanticAI spans that are agentlog's scopes."""

        def start_span(
            self,
            name: str,
            context: Any = None,
            kind: Any = SpanKind.INTERNAL,
            attributes: Any = None,
            links: Any = None,
            start_time: Any = None,
            record_exception: bool = True,
            set_status_on_exception: bool = True,
        ) -> Any:
            return start(name, context, attributes)

        @as_context_manager
        def start_as_current_span(
            self,
            name: str,
            context: Any = None,
            kind: Any = SpanKind.INTERNAL,
            attributes: Any = None,
            links: Any = None,
            start_time: Any = None,
            record_exception: bool = True,
            set_status_on_exception: bool = True,
            end_on_exit: bool = True,
        ) -> Iterator[Any]:
            span = start(name, context, attributes)
            with (
                trace.use_span(
                    span,
                    end_on_exit=end_on_exit,
                    record_exception=record_exception,
                    set_status_on_exception=set_status_on_exception,
                ),
                _in_force(span),
            ):
                try:
                    yield span
                except BaseException as exc:
                    span.escaped = exc
                    raise

    tracer = RecordingTracer()

    class RecordingTracerProvider(TracerProvider):
        """Gives PydanticAI agentlog's tracer."""

        def get_tracer(
            self,
            instrumenting_module_name: str,
            instrumenting_library_version: str | None = None,
            schema_url: str | None = None,
            attributes: Any = None,
        ) -> Any:
            return tracer

    _TYPES.update(span=RecordedSpan, tracer=tracer, provider=RecordingTracerProvider())
    return _TYPES


@contextlib.contextmanager
def _in_force(span: Any) -> Iterator[None]:
    """The operation's scope is the one in force while its body runs (the tool's, say)."""
    ctx = _RECORDER.tracker.context(span)
    if ctx is None:
        yield
        return
    token = CURRENT.set(ctx)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            CURRENT.reset(token)


def _ended(span: Any) -> None:
    try:
        _RECORDER.ended(span, span.attributes, failure_of(span), omits_zeros=True)
    except Exception as exc:
        _diagnostics.report(f"{FRAMEWORK} adapter failed in end", exc)


def _recording_pipeline(setting: Any) -> Any:
    """The SDK span pipeline PydanticAI's own *setting* records to, or None when it records nothing."""
    if setting is None or setting is False:
        return None
    from opentelemetry import trace

    if setting is True:
        return otel_genai.pipeline_of(trace.get_tracer_provider())
    tracer = getattr(setting, "tracer", None)
    if isinstance(tracer, trace.ProxyTracer):
        tracer = tracer._tracer
    return otel_genai.pipeline_of(tracer) if tracer is not None else None


class _PydanticAI(Instrumentor):
    framework = FRAMEWORK

    def __init__(self) -> None:
        super().__init__()
        self._pipeline: Any = None
        self._settings: Any = None
        self._previous: Any = None

    def _install(self, **options: Any) -> None:
        require("pydantic_ai", FRAMEWORK)
        from opentelemetry.metrics import NoOpMeterProvider
        from pydantic_ai import Agent
        from pydantic_ai.models.instrumented import InstrumentationSettings

        previous = Agent._instrument_default
        pipeline = _recording_pipeline(previous)
        if pipeline is not None:
            self._pipeline = otel_genai.attach(pipeline, FRAMEWORK)
            return
        settings = InstrumentationSettings(
            tracer_provider=_types()["provider"],
            meter_provider=NoOpMeterProvider(),
            include_content=True,
            include_binary_content=False,
            include_model_request_parameters=False,
        )
        self._previous, self._settings = previous, settings
        _State.enabled = True
        Agent.instrument_all(settings)

    def _remove(self) -> None:
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            otel_genai.detach(pipeline, FRAMEWORK)
        settings, self._settings = self._settings, None
        if settings is None:
            return
        _State.enabled = False
        from pydantic_ai import Agent

        if Agent._instrument_default is settings:
            Agent.instrument_all(self._previous)
        self._previous = None
        _RECORDER.close_all()


_INSTRUMENTOR = _PydanticAI()


def instrument() -> None:
    """Record every PydanticAI agent run (agents without an instrumentation setting of their own); once.

    Raises:
        ImportError: PydanticAI is not installed (the ``pydantic_ai`` extra).
    """
    _INSTRUMENTOR.instrument()


def uninstrument() -> None:
    """Stop recording and put back PydanticAI's instrumentation setting as it was."""
    _INSTRUMENTOR.uninstrument()
