"""Output profiles.

A profile is a field mapping plus a serializer: every profile receives the
same flat line (the ``json`` profile's fields) and may rename or regroup its
fields before it is serialized. Adding a backend's format never forks the
pipeline that builds lines.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NamedTuple

import orjson

from ._serialize import dumps_line, fallback, sanitize

__all__ = ["PROFILES", "Profile"]


class Profile(NamedTuple):
    """How a flat line becomes output bytes."""

    name: str
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None
    serialize: Callable[[dict[str, Any]], bytes]


_CONSOLE_HEAD = ("timestamp", "level", "event")


def _console_value(value: Any) -> str:
    if type(value) is str and value and value.isprintable() and " " not in value and '"' not in value:
        return value
    try:
        return orjson.dumps(value, default=fallback, option=orjson.OPT_NON_STR_KEYS).decode()
    except Exception:
        return orjson.dumps(sanitize(value), option=orjson.OPT_NON_STR_KEYS).decode()


def render_console(line: dict[str, Any]) -> bytes:
    """Render a line for a human at a terminal: one line, no colour codes.

    Values are JSON-escaped unless they are plain printable words, so control
    characters and escape sequences in logged data cannot drive the terminal.
    """
    event = _console_value(line.get("event", ""))
    level = _console_value(line.get("level", ""))
    stamp = _console_value(line.get("timestamp", ""))
    rest = " ".join(
        f"{_console_value(key)}={_console_value(value)}"
        for key, value in line.items()
        if key not in _CONSOLE_HEAD
    )
    return f"{stamp} {level:<8} {event:<14} {rest}".rstrip().encode("utf-8") + b"\n"


# -- Elastic Common Schema ----------------------------------------------------------

ECS_VERSION = "8.11.0"
# The typed events; their lines also get ECS event.action and Datadog evt.name.
TYPED_EVENTS = frozenset(
    {
        "run_started",
        "agent_step",
        "step_finished",
        "tool_call",
        "tool_result",
        "llm_result",
        "decision",
        "run_finished",
    }
)
_OUTCOMES = {"ok": "success", "error": "failure"}
_OUTCOMES_BACK = {value: key for key, value in _OUTCOMES.items()}

# Flat field -> its ECS field. Everything not listed goes under "agentlog.":
# ECS's own "agent.*" describes the log shipper, not an AI agent.
ECS_FIELDS = {
    "logger": "log.logger",
    "service": "service.name",
    "version": "service.version",
    "env": "service.environment",
    "trace_id": "trace.id",
    "span_id": "span.id",
    "error_class": "error.type",
    "error_message": "error.message",
    "error_stack": "error.stack_trace",
    "user_id": "user.id",
}
_ECS_OWN = ("timestamp", "level", "event", "status", "latency_ms", "total_latency_ms")


def _put(tree: dict[str, Any], path: str, value: Any) -> None:
    head, _, rest = path.partition(".")
    if not rest:
        tree[head] = value
        return
    branch = tree.get(head)
    if not isinstance(branch, dict):
        branch = tree[head] = {}
    _put(branch, rest, value)


def _duration_ns(line: dict[str, Any]) -> int | None:
    latency: Any = line.get("latency_ms", line.get("total_latency_ms"))
    if type(latency) in (int, float) and latency == latency and abs(latency) < 1e12:  # finite
        return round(latency * 1_000_000)  # type: ignore[no-any-return]
    return None


def _facts(line: dict[str, Any]) -> tuple[str | None, str | None, int | None]:
    """What both backends index: the typed event's name, the outcome, the duration in ns."""
    event, status = line.get("event"), line.get("status")
    action = event if type(event) is str and event in TYPED_EVENTS else None
    outcome = _OUTCOMES.get(status) if type(status) is str else None
    return action, outcome, _duration_ns(line)


def _message(event: Any) -> str:
    return event if type(event) is str else dumps_line(event)[:-1].decode("utf-8")


def to_ecs(line: dict[str, Any]) -> dict[str, Any]:
    """Map a flat line to ECS logging: nested objects, four dotted top-level keys.

    ``@timestamp``, ``log.level``, ``message`` and ``ecs.version`` come first
    as dotted keys (as the ECS logging specification and Filebeat's
    ``expand_keys`` expect); every other field is nested. The agent's status
    is ``event.outcome`` (success/failure), latencies are also
    ``event.duration`` in nanoseconds, and agentlog's own fields live under
    ``agentlog``.
    """
    event = line.get("event")
    out: dict[str, Any] = {
        "@timestamp": line.get("timestamp"),
        "log.level": line.get("level"),
        "message": _message(event),
        "ecs.version": ECS_VERSION,
    }
    tree: dict[str, Any] = {}
    ecs_event: dict[str, Any] = {"kind": "event"}
    action, outcome, duration = _facts(line)
    if action is not None:
        ecs_event["action"] = action
    if outcome is not None:
        ecs_event["outcome"] = outcome
    if duration is not None:
        ecs_event["duration"] = duration
    if type(line.get("service")) is str:
        ecs_event["dataset"] = f"{line['service']}.log"
    for key, value in line.items():
        if key in ("timestamp", "level", "event", "status"):
            continue
        _put(tree, ECS_FIELDS.get(key) or f"agentlog.{key}", value)
    tree["event"] = ecs_event
    out.update(tree)
    return out


# -- Datadog -------------------------------------------------------------------------

# Flat field -> its Datadog attribute (flat dotted keys, as Datadog documents
# them for log-trace correlation); everything else goes under "agentlog.".
DATADOG_FIELDS = {
    "logger": "logger.name",
    "error_class": "error.kind",
    "error_message": "error.message",
    "error_stack": "error.stack",
    "user_id": "usr.id",
    "service": "dd.service",
    "env": "dd.env",
    "version": "dd.version",
}
_LOW_64 = 0xFFFFFFFFFFFFFFFF


def datadog_trace_ids(trace_id: Any, span_id: Any) -> tuple[str | None, str | None]:
    """Datadog's log-correlation IDs: lower 64 bits of the trace ID and the span ID, in decimal."""
    try:
        trace = str(int(trace_id, 16) & _LOW_64) if type(trace_id) is str else None
    except ValueError:
        trace = None
    try:
        span = str(int(span_id, 16)) if type(span_id) is str else None
    except ValueError:
        span = None
    return trace, span


def _ddtrace_ids() -> tuple[str, str] | None:
    """The current ddtrace span's IDs, if ddtrace is loaded and has one."""
    ddtrace = sys.modules.get("ddtrace")
    tracer = getattr(ddtrace, "tracer", None)
    if tracer is None:
        return None
    try:
        span = tracer.current_span()
        if span is None:
            return None
        return str(int(span.trace_id) & _LOW_64), str(int(span.span_id))
    except Exception:
        return None


def to_datadog(line: dict[str, Any]) -> dict[str, Any]:
    """Map a flat line to Datadog's reserved and standard attributes.

    ``status`` is the log level (Datadog reserves it), so the agent's status
    goes to ``evt.outcome`` and a typed event's name to ``evt.name``;
    ``dd.trace_id``/``dd.span_id`` are the decimal forms Datadog correlates on
    (those of the active ddtrace span when ddtrace is tracing, else
    agentlog's own); ``duration`` is in nanoseconds.
    """
    event = line.get("event")
    out: dict[str, Any] = {
        "timestamp": line.get("timestamp"),
        "status": line.get("level"),
        "message": _message(event),
    }
    if type(line.get("service")) is str:
        out["service"] = line["service"]
    ids = _ddtrace_ids() or datadog_trace_ids(line.get("trace_id"), line.get("span_id"))
    if ids[0] is not None:
        out["dd.trace_id"] = ids[0]
    if ids[1] is not None:
        out["dd.span_id"] = ids[1]
    action, outcome, duration = _facts(line)
    if action is not None:
        out["evt.name"] = action
    if outcome is not None:
        out["evt.outcome"] = outcome
    if duration is not None:
        out["duration"] = duration
    for key, value in line.items():
        if key in ("timestamp", "level", "event", "status"):
            continue
        out[DATADOG_FIELDS.get(key) or f"agentlog.{key}"] = value
    return out


# -- reading any profile back ----------------------------------------------------------


_ABSENT: Any = object()


def _get(tree: Any, path: str) -> Any:
    """The value at a dotted path, whether dotted keys or nested objects; _ABSENT if none."""
    if isinstance(tree, dict) and path in tree:
        return tree[path]
    head, _, rest = path.partition(".")
    if not rest or not isinstance(tree, dict) or head not in tree:
        return _ABSENT
    return _get(tree[head], rest)


def to_flat(record: dict[str, Any]) -> dict[str, Any] | None:
    """Turn a line of any profile (json, ecs, datadog) back into the flat form.

    Returns None for a JSON object that is not an agentlog line.
    """
    if "event" in record and "timestamp" in record and "level" in record:
        return record
    if "@timestamp" in record and "log.level" in record:
        flat: dict[str, Any] = {
            "timestamp": record["@timestamp"],
            "level": record["log.level"],
            "event": record.get("message"),
        }
        for key, path in ECS_FIELDS.items():
            value = _get(record, path)
            if value is not _ABSENT:
                flat[key] = value
        outcome = _get(record, "event.outcome")
        if outcome in _OUTCOMES_BACK:
            flat["status"] = _OUTCOMES_BACK[outcome]
        nested = _get(record, "agentlog")
        if isinstance(nested, dict):
            flat.update(nested)
        dotted = {k[len("agentlog.") :]: v for k, v in record.items() if k.startswith("agentlog.")}
        flat.update(dotted)
        return flat
    if "timestamp" in record and "status" in record and "message" in record:
        flat = {"timestamp": record["timestamp"], "level": record["status"], "event": record["message"]}
        for key, attribute in DATADOG_FIELDS.items():
            value = _get(record, attribute)
            if value is not _ABSENT:
                flat[key] = value
        if "service" in record:
            flat["service"] = record["service"]
        outcome = _get(record, "evt.outcome")
        if outcome in _OUTCOMES_BACK:
            flat["status"] = _OUTCOMES_BACK[outcome]
        for key, value in record.items():
            if key.startswith("agentlog."):
                flat[key[len("agentlog.") :]] = value
        nested = record.get("agentlog")
        if isinstance(nested, dict):
            flat.update(nested)
        return flat
    return None


PROFILES: dict[str, Profile] = {
    "json": Profile("json", None, dumps_line),
    "console": Profile("console", None, render_console),
    "ecs": Profile("ecs", to_ecs, dumps_line),
    "datadog": Profile("datadog", to_datadog, dumps_line),
}
