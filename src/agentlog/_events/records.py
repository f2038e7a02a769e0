"""One record per typed event: the small keyword-only value a line is written from.

A record holds what its event writes beyond the IDs in force — already
captured payloads (hashes, sizes) and error fields, never raw arguments — and
lays its fields out in the order the schema documents. Writing a record is
`emit`'s job, adding it to the run's totals is `accounting`'s: building one
has no side effect.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, ParamSpec, TypeVar

from .. import _diagnostics
from .._pricing import Price
from .._serialize import safe_str, sanitize
from .._vocabulary import (
    AGENT_STEP,
    CACHE_CREATION_INPUT_TOKENS,
    CACHE_READ_INPUT_TOKENS,
    COST_USD,
    DECISION,
    EXTRA,
    INVALID,
    LLM_RESULT,
    METADATA,
    OK,
    PRICE_SOURCE,
    PRICE_VERSION,
    REASONING_OUTPUT_TOKENS,
    RUN_FINISHED,
    RUN_STARTED,
    STEP_FINISHED,
    TOOL_CALL,
    TOOL_RESULT,
)
from .checks import CHECKS, coerce, round_latency

__all__ = [
    "AgentStep",
    "Decision",
    "Event",
    "LLMResult",
    "RunFinished",
    "RunStarted",
    "StepFinished",
    "ToolCall",
    "ToolResult",
    "new_agent_step",
    "new_decision",
    "new_llm_result",
    "new_run_finished",
    "new_run_started",
    "new_step_finished",
    "new_tool_call",
    "new_tool_result",
    "run_fields",
]


# A field's check kind (see `checks`), kept in its dataclass metadata.
_CHECK = "check"
TEXT = {_CHECK: "text"}
OPTIONAL_TEXT = {_CHECK: "optional_text"}
COUNT = {_CHECK: "count"}
STEP_ID = {_CHECK: "step_id"}
LATENCY = {_CHECK: "latency"}
STATUS = {_CHECK: "status"}
NUMBER = {_CHECK: "number"}
INTEGER = {_CHECK: "integer"}


@dataclass(slots=True, kw_only=True)
class Event:
    """What every typed event has: a name, a level, and the caller's further fields."""

    name: ClassVar[str]
    spill_key: ClassVar[str] = EXTRA
    """Where caller fields whose names clash with the event's own go."""
    names_parent: ClassVar[bool] = True
    """Whether the line names its span's parent (``parent_span_id``)."""

    fields: Mapping[str, Any] | None = None

    def write_fields(self, line: dict[str, Any]) -> bool:
        """Add the event's own fields to *line*, in schema order.

        Returns whether any of them is free text (a reason, an error
        message …), which the pipeline then redacts.
        """
        raise NotImplementedError


@dataclass(slots=True, kw_only=True)
class _Outcome(Event):
    """An event that ends something: a status, and error fields when it failed.

    A failed one (status ``error``) is written at level error, every other
    typed event at level info.
    """

    status: str = field(default=OK, metadata=STATUS)
    error: Mapping[str, Any] | None = None
    """``error_class``, ``error_message`` (and ``error_stack``) when it failed."""


def run_fields(metadata: Mapping[str, Any] | None, fields: Mapping[str, Any] | None) -> dict[str, Any]:
    """A run's metadata and further fields, as ``run_started`` writes them: top-level, fields winning."""
    extra: dict[str, Any] = dict(fields) if fields else {}
    if metadata is None:
        return extra
    if not isinstance(metadata, Mapping):
        _diagnostics.report("run_started: metadata was not a mapping; kept under invalid")
        invalid = extra.get(INVALID)
        extra[INVALID] = {**(invalid if isinstance(invalid, dict) else {}), METADATA: sanitize(metadata)}
        return extra
    try:
        meta = dict(metadata)
    except Exception as exc:
        _diagnostics.report("run_started: metadata could not be read; kept under invalid", exc)
        return {**extra, INVALID: {METADATA: safe_str(metadata)}}
    return {**meta, **extra}


@dataclass(slots=True, kw_only=True)
class RunStarted(Event):
    """``run_started``: the task (captured), the user, the request, the session.

    Its further fields are the run's metadata (see `run_fields`); one that
    clashes with a field agentlog writes is kept under ``metadata``.
    """

    name: ClassVar[str] = RUN_STARTED
    spill_key: ClassVar[str] = METADATA

    task: Mapping[str, Any] | None = None
    user_id: str | None = field(default=None, metadata=OPTIONAL_TEXT)
    request_id: str | None = field(default=None, metadata=OPTIONAL_TEXT)
    session_id: str | None = field(default=None, metadata=OPTIONAL_TEXT)

    def write_fields(self, line: dict[str, Any]) -> bool:
        """Add the event's own fields to *line*, in schema order; True when one is free text."""
        if self.task is not None:
            line.update(self.task)
        else:
            line["task_hash"] = None
        line["user_id"] = self.user_id
        line["request_id"] = self.request_id
        line["session_id"] = self.session_id
        return False


@dataclass(slots=True, kw_only=True)
class AgentStep(Event):
    """``agent_step``: a step of the run begins."""

    name: ClassVar[str] = AGENT_STEP

    step_id: int | None = field(metadata=STEP_ID)
    step_type: str = field(metadata=TEXT)
    tool: str | None = field(default=None, metadata=OPTIONAL_TEXT)

    def write_fields(self, line: dict[str, Any]) -> bool:
        """Add the event's own fields to *line*, in schema order; True when one is free text."""
        line["step_id"] = self.step_id
        line["step_type"] = self.step_type
        if self.tool is not None:
            line["tool"] = self.tool
        return False


@dataclass(slots=True, kw_only=True)
class StepFinished(_Outcome):
    """``step_finished``: a step ended, with its latency and status."""

    name: ClassVar[str] = STEP_FINISHED

    step_id: int | None = field(metadata=STEP_ID)
    step_type: str = field(metadata=TEXT)
    latency_ms: float | None = field(default=None, metadata=LATENCY)

    def write_fields(self, line: dict[str, Any]) -> bool:
        """Add the event's own fields to *line*, in schema order; True when one is free text."""
        line["step_id"] = self.step_id
        line["step_type"] = self.step_type
        line["latency_ms"] = self.latency_ms
        line["status"] = self.status
        if self.error:
            line.update(self.error)
            return True
        return False


@dataclass(slots=True, kw_only=True)
class ToolCall(Event):
    """``tool_call``: a tool is invoked; its arguments as captured (a hash by default)."""

    name: ClassVar[str] = TOOL_CALL

    tool: str = field(metadata=TEXT)
    tool_call_id: str = field(metadata=TEXT)
    args: Mapping[str, Any]

    def write_fields(self, line: dict[str, Any]) -> bool:
        """Add the event's own fields to *line*, in schema order; True when one is free text."""
        line["tool"] = self.tool
        line["tool_call_id"] = self.tool_call_id
        line.update(self.args)
        return False


@dataclass(slots=True, kw_only=True)
class ToolResult(_Outcome):
    """``tool_result``: a tool call ended; its result as captured, when given."""

    name: ClassVar[str] = TOOL_RESULT

    tool: str = field(metadata=TEXT)
    tool_call_id: str = field(metadata=TEXT)
    latency_ms: float | None = field(default=None, metadata=LATENCY)
    result: Mapping[str, Any] | None = None

    def write_fields(self, line: dict[str, Any]) -> bool:
        """Add the event's own fields to *line*, in schema order; True when one is free text."""
        line["tool"] = self.tool
        line["tool_call_id"] = self.tool_call_id
        line["latency_ms"] = self.latency_ms
        line["status"] = self.status
        if self.error:
            line.update(self.error)
        if self.result:
            line.update(self.result)
        return bool(self.error)


@dataclass(slots=True, kw_only=True)
class LLMResult(_Outcome):
    """``llm_result``: a model call ended, with the usage the model reported."""

    name: ClassVar[str] = LLM_RESULT

    model: str = field(metadata=TEXT)
    provider: str | None = field(default=None, metadata=OPTIONAL_TEXT)
    temperature: float | None = field(default=None, metadata=NUMBER)
    max_tokens: int | None = field(default=None, metadata=COUNT)
    top_p: float | None = field(default=None, metadata=NUMBER)
    seed: int | None = field(default=None, metadata=INTEGER)
    input_tokens: int | None = field(default=None, metadata=COUNT)
    output_tokens: int | None = field(default=None, metadata=COUNT)
    cache_read_input_tokens: int | None = field(default=None, metadata=COUNT)
    cache_creation_input_tokens: int | None = field(default=None, metadata=COUNT)
    reasoning_output_tokens: int | None = field(default=None, metadata=COUNT)
    latency_ms: float | None = field(default=None, metadata=LATENCY)
    finish_reason: str | None = field(default=None, metadata=OPTIONAL_TEXT)
    payloads: Mapping[str, Any] | None = None
    price: Price | None = None
    """The call's cost and its prices' identity, when its model is priced (set after building)."""

    def write_fields(self, line: dict[str, Any]) -> bool:
        """Add the event's own fields to *line*, in schema order; True when one is free text."""
        line["model"] = self.model
        line["provider"] = self.provider
        # Request parameters and costs are written only when there are some, like token details.
        if self.temperature is not None:
            line["temperature"] = self.temperature
        if self.max_tokens is not None:
            line["max_tokens"] = self.max_tokens
        if self.top_p is not None:
            line["top_p"] = self.top_p
        if self.seed is not None:
            line["seed"] = self.seed
        line["input_tokens"] = self.input_tokens
        line["output_tokens"] = self.output_tokens
        # Written only when reported: most models report none of them.
        if self.cache_read_input_tokens is not None:
            line[CACHE_READ_INPUT_TOKENS] = self.cache_read_input_tokens
        if self.cache_creation_input_tokens is not None:
            line[CACHE_CREATION_INPUT_TOKENS] = self.cache_creation_input_tokens
        if self.reasoning_output_tokens is not None:
            line[REASONING_OUTPUT_TOKENS] = self.reasoning_output_tokens
        price = self.price
        if price is not None:
            line[COST_USD] = float(price.cost_usd)
            line[PRICE_SOURCE] = price.source
            line[PRICE_VERSION] = price.version
        line["latency_ms"] = self.latency_ms
        line["status"] = self.status
        line["finish_reason"] = self.finish_reason
        if self.error:
            line.update(self.error)
        if self.payloads:
            line.update(self.payloads)
        return self.finish_reason is not None or bool(self.error)


@dataclass(slots=True, kw_only=True)
class Decision(Event):
    """``decision``: an approval, policy block, route, fallback, retry …."""

    name: ClassVar[str] = DECISION
    names_parent: ClassVar[bool] = False

    kind: str = field(metadata=TEXT)
    outcome: str = field(metadata=TEXT)
    reason: str | None = field(default=None, metadata=OPTIONAL_TEXT)

    def write_fields(self, line: dict[str, Any]) -> bool:
        """Add the event's own fields to *line*, in schema order; True when one is free text."""
        line["kind"] = self.kind
        line["outcome"] = self.outcome
        line["reason"] = self.reason
        return True


@dataclass(slots=True, kw_only=True)
class RunFinished(_Outcome):
    """``run_finished``: the run ended, with its stop reason and totals."""

    name: ClassVar[str] = RUN_FINISHED

    stop_reason: str = field(metadata=TEXT)
    totals: Mapping[str, Any]

    def write_fields(self, line: dict[str, Any]) -> bool:
        """Add the event's own fields to *line*, in schema order; True when one is free text."""
        line["status"] = self.status
        line["stop_reason"] = self.stop_reason
        line.update(self.totals)
        if self.error:
            line.update(self.error)
        return True


# -- building records fast --------------------------------------------------------

_P = ParamSpec("_P")
_E = TypeVar("_E", bound=Event)


def _builder(cls: Callable[_P, _E]) -> Callable[_P, _E]:
    """A function that builds a *cls* record from the keywords ``cls(...)`` takes, at half the cost.

    A class called with keyword arguments costs CPython twice what a function
    does: the keywords are packed into a dict for ``__init__`` and unpacked
    again. Records are built on every typed event, so each gets a plain
    function, generated from its field list, with the very keyword-only
    parameters and defaults of its ``__init__``. It also checks every value
    a caller gives (the conditions of `checks`, inlined) and mends a record
    that fails one, and rounds latencies to the microsecond.
    """
    record_type: Any = cls
    fields = dataclasses.fields(record_type)
    defaults = {item.name: item.default for item in fields}
    if any(item.default_factory is not dataclasses.MISSING for item in fields):
        raise TypeError(f"{record_type.__name__}: a record field takes a plain default")
    kinds = {item.name: item.metadata[_CHECK] for item in fields if _CHECK in item.metadata}
    parameters = ", ".join(
        name if default is dataclasses.MISSING else f"{name}=_defaults[{name!r}]"
        for name, default in defaults.items()
    )
    condition = " and ".join(f"({CHECKS[kind].condition.format(v=name)})" for name, kind in kinds.items())
    given = ", ".join(f"{name!r}: {name}" for name in defaults)
    rounding = "".join(
        f"    if type({name}) is float and {name} * 1000.0 % 1.0:\n        {name} = _round({name})\n"
        for name, kind in kinds.items()
        if kind == "latency"
    )
    body = "".join(f"    record.{name} = {name}\n" for name in defaults)
    source = (
        f"def build(*, {parameters}):\n"
        f"    if not ({condition or 'True'}):\n"
        f"        return build(**_coerce(_cls.name, {{{given}}}, _kinds))\n"
        f"{rounding}"
        f"    record = _new(_cls)\n{body}    return record\n"
    )
    namespace: dict[str, Any] = {
        "_new": object.__new__,
        "_cls": record_type,
        "_defaults": defaults,
        "_kinds": kinds,
        "_coerce": coerce,
        "_round": round_latency,
    }
    exec(source, namespace)  # noqa: S102 - source generated above from the record's own field names
    build: Callable[_P, _E] = namespace["build"]
    build.__qualname__ = build.__name__ = f"new_{record_type.name}"
    build.__doc__ = f"Build a `{record_type.__name__}` (the same keywords as the class), its values checked."
    return build


new_run_started = _builder(RunStarted)
new_agent_step = _builder(AgentStep)
new_step_finished = _builder(StepFinished)
new_tool_call = _builder(ToolCall)
new_tool_result = _builder(ToolResult)
new_llm_result = _builder(LLMResult)
new_decision = _builder(Decision)
new_run_finished = _builder(RunFinished)
