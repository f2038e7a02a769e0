"""The words of agentlog's lines, written once.

Event names, the keys of the IDs, levels, statuses, stop reasons and the
names each output profile gives a flat field: the writer, the formats, the
explorer and the CLI all read them from here, and the published JSON Schema
is tested against them. This module imports nothing, so the explorer can
use it without loading the logging runtime.
"""

from __future__ import annotations

# -- the line's head ------------------------------------------------------------------

TIMESTAMP = "timestamp"
LEVEL = "level"
EVENT = "event"
LOGGER = "logger"
STATIC_FIELDS = ("service", "env", "version")
"""Fields `agentlog.configure` writes on every line, when set."""

EXTRA = "extra"
"""Where caller fields whose names clash with agentlog's are kept."""
METADATA = "metadata"
"""Where run metadata whose names clash with agentlog's are kept."""
INVALID = "invalid"
"""Where a typed event keeps the values it was given that its schema does not allow."""
FIELDS_DROPPED = "fields_dropped"
"""On a line over the size cap: how many of its last fields were left out to fit."""
PROCESSOR_ERROR = "processor_error"
"""On a line one of the user's structlog processors failed on: which, and the exception class."""

# -- typed events -----------------------------------------------------------------------

RUN_STARTED = "run_started"
AGENT_STEP = "agent_step"
STEP_FINISHED = "step_finished"
TOOL_CALL = "tool_call"
TOOL_RESULT = "tool_result"
LLM_RESULT = "llm_result"
DECISION = "decision"
RUN_FINISHED = "run_finished"

TYPED_EVENTS = (
    RUN_STARTED,
    AGENT_STEP,
    STEP_FINISHED,
    TOOL_CALL,
    TOOL_RESULT,
    LLM_RESULT,
    DECISION,
    RUN_FINISHED,
)
"""Every typed event, in the order a run writes them."""
TYPED_EVENT_NAMES = frozenset(TYPED_EVENTS)
"""The same names, for a membership test on the path of every log line."""

FREE_FORM = "free_form"
"""On a structlog or stdlib line whose message is a typed event's name (``log.info("run_started")``):
``true``, so that only agentlog's own typed lines define a run."""

# Which span of the run tree an event opens or closes ("run", "step", "tool",
# "llm"). An LLM call is written once, when it ends: it opens and closes.
SPAN_KIND_OPENED = {RUN_STARTED: "run", AGENT_STEP: "step", TOOL_CALL: "tool", LLM_RESULT: "llm"}
SPAN_KIND_CLOSED = {RUN_FINISHED: "run", STEP_FINISHED: "step", TOOL_RESULT: "tool", LLM_RESULT: "llm"}

# -- the IDs -----------------------------------------------------------------------------

RUN_ID = "run_id"
TRACE_ID = "trace_id"
SPAN_ID = "span_id"
PARENT_SPAN_ID = "parent_span_id"
PARENT_RUN_ID = "parent_run_id"
STEP_ID = "step_id"
TOOL_CALL_ID = "tool_call_id"
SESSION_ID = "session_id"
REQUEST_ID = "request_id"
USER_ID = "user_id"

LINE_IDS = (RUN_ID, TRACE_ID, SPAN_ID, PARENT_RUN_ID, STEP_ID, TOOL_CALL_ID, SESSION_ID, REQUEST_ID)
"""The IDs every line in a scope carries (those that are set), in line order."""
ID_KEYS = frozenset({RUN_ID, TRACE_ID, SPAN_ID, PARENT_SPAN_ID, PARENT_RUN_ID, STEP_ID, TOOL_CALL_ID})
"""The keys of the IDs of the run's tree, which `agentlog.processors.redact` leaves alone
(``session_id`` and ``request_id`` come from callers and are scanned like any text)."""

# -- levels ------------------------------------------------------------------------------

DEBUG, INFO, WARNING, ERROR_LEVEL, CRITICAL = 10, 20, 30, 40, 50
LEVELS: dict[str, int] = {
    "debug": DEBUG,
    "info": INFO,
    "warning": WARNING,
    "error": ERROR_LEVEL,
    "critical": CRITICAL,
}
"""agentlog's five level names and their stdlib numbers."""
LEVEL_NAMES: dict[int, str] = {number: name for name, number in LEVELS.items()}
LEVEL_ALIASES = {"warn": "warning", "fatal": "critical", "msg": "info", "exception": "error"}
"""Other names structlog and stdlib use for the same levels."""


def level_name(levelno: int) -> str:
    """Map any stdlib numeric level to agentlog's five names (5 → debug, 25 → info)."""
    if levelno < INFO:
        return "debug"
    if levelno < WARNING:
        return "info"
    if levelno < ERROR_LEVEL:
        return "warning"
    if levelno < CRITICAL:
        return "error"
    return "critical"


# -- statuses, stop reasons, totals --------------------------------------------------------

OK = "ok"
ERROR = "error"

COMPLETED = "completed"
MAX_STEPS = "max_steps"
TOOL_ERROR = "tool_error"
STEP_ERROR = "step_error"
CANCELLED = "cancelled"
UNFINISHED = "unfinished"
"""A run started by ``events.run_started`` and never finished; agentlog finishes it at exit."""
STOP_REASONS = (COMPLETED, MAX_STEPS, TOOL_ERROR, STEP_ERROR, ERROR, CANCELLED, UNFINISHED)
"""The stop reasons agentlog itself gives; callers may give their own."""

TOTALS = (
    "total_steps",
    "total_latency_ms",
    "tool_calls",
    "llm_calls",
    "errors",
    "input_tokens",
    "output_tokens",
)
"""The run totals ``run_finished`` reports, in line order."""

CACHE_READ_INPUT_TOKENS = "cache_read_input_tokens"
CACHE_CREATION_INPUT_TOKENS = "cache_creation_input_tokens"
REASONING_OUTPUT_TOKENS = "reasoning_output_tokens"
TOKEN_DETAILS = (CACHE_READ_INPUT_TOKENS, CACHE_CREATION_INPUT_TOKENS, REASONING_OUTPUT_TOKENS)
"""Token counts within ``input_tokens`` and ``output_tokens`` (as the OpenTelemetry GenAI
conventions count them): on ``llm_result`` when the model reported them, totalled on
``run_finished`` when any call of the run reported one."""

REQUEST_PARAMETERS = ("temperature", "max_tokens", "top_p", "seed")
"""The model request parameters that decide a replay: on ``llm_result`` when given."""

COST_USD = "cost_usd"
"""An LLM call's cost in USD on ``llm_result``; the run's on ``run_finished`` (its child runs' included)."""
PRICE_SOURCE = "price_source"
"""Where the prices of ``cost_usd`` came from: ``genai-prices`` or ``configured``."""
PRICE_VERSION = "price_version"
"""The version of those prices: the ``genai-prices`` release, or the configured table's version."""
CHILD_COST_USD = "child_cost_usd"
"""On ``run_finished``: the part of ``cost_usd`` spent by child runs in the same process."""
UNPRICED_LLM_CALLS = "unpriced_llm_calls"
"""On ``run_finished``: the run's LLM calls that reported tokens but whose model has no price."""

ERROR_CLASS = "error_class"
ERROR_MESSAGE = "error_message"
ERROR_STACK = "error_stack"

FREE_TEXT = frozenset({ERROR_MESSAGE, ERROR_STACK, "reason", "outcome", "stop_reason", "finish_reason"})
"""Fields agentlog writes whose text comes from a caller or an exception: redacted."""

# Kinds of scope an exception can escape, remembered for the run's stop reason.
TOOL_SCOPE, LLM_SCOPE, STEP_SCOPE = "tool", "llm", "step"

# -- output profiles -----------------------------------------------------------------------

ECS_VERSION = "8.11.0"
ECS_FIELDS = {
    LOGGER: "log.logger",
    "service": "service.name",
    "version": "service.version",
    "env": "service.environment",
    TRACE_ID: "trace.id",
    SPAN_ID: "span.id",
    ERROR_CLASS: "error.type",
    ERROR_MESSAGE: "error.message",
    ERROR_STACK: "error.stack_trace",
    USER_ID: "user.id",
}
"""Flat field → its Elastic Common Schema field; every other field goes under ``agentlog.``
(ECS's own ``agent.*`` describes the log shipper, not an AI agent)."""

DATADOG_FIELDS = {
    LOGGER: "logger.name",
    ERROR_CLASS: "error.kind",
    ERROR_MESSAGE: "error.message",
    ERROR_STACK: "error.stack",
    USER_ID: "usr.id",
    "service": "dd.service",
    "env": "dd.env",
    "version": "dd.version",
}
"""Flat field → its Datadog attribute; every other field goes under ``agentlog.``."""

AGENTLOG = "agentlog"
"""agentlog's own name: the logger name a processor sees for a typed event."""
NAMESPACE = AGENTLOG
"""Where the ecs and datadog profiles put the fields their schema has no name for."""
ECS_UNNESTED = "unnested"
"""Under ``agentlog`` in the ecs profile: caller fields whose dotted names collide when nested."""

OUTCOMES = {OK: "success", ERROR: "failure"}
"""An agent status → ECS ``event.outcome`` / Datadog ``evt.outcome``."""

# -- the head of an ecs or datadog line ------------------------------------------------------
# The explorer reads these back; an ecs line keeps its head as dotted keys, a datadog line
# names the level "status" (a name Datadog reserves), so the agent's status moves to an outcome.

MESSAGE = "message"
"""Where both the ecs and the datadog profile put the event's name."""
ECS_TIMESTAMP = "@timestamp"
ECS_LEVEL = "log.level"
ECS_OUTCOME = "event.outcome"
DATADOG_LEVEL = "status"
DATADOG_OUTCOME = "evt.outcome"
