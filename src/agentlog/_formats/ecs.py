"""The ``ecs`` profile: Elastic Common Schema, as the ecs-logging specification lays a line out."""

from __future__ import annotations

from typing import Any

from .._vocabulary import ECS_FIELDS, ECS_VERSION, EVENT, LEVEL, NAMESPACE, TIMESTAMP
from .facts import facts, message_text

__all__ = ["to_ecs"]

# Mapped to ECS's own fields (@timestamp, log.level, message, event.outcome), not copied.
_HEAD = frozenset({TIMESTAMP, LEVEL, EVENT, "status"})
_OURS = NAMESPACE + "."


def _put(tree: dict[str, Any], path: str, value: Any) -> None:
    head, _, rest = path.partition(".")
    if not rest:
        tree[head] = value
        return
    branch = tree.get(head)
    if not isinstance(branch, dict):
        branch = tree[head] = {}
    _put(branch, rest, value)


def to_ecs(line: dict[str, Any]) -> dict[str, Any]:
    """Map a flat line to ECS logging: nested objects, four dotted top-level keys.

    ``@timestamp``, ``log.level``, ``message`` and ``ecs.version`` come first
    as dotted keys (as the ECS logging specification and Filebeat's
    ``expand_keys`` expect); every other field is nested. The agent's status
    is ``event.outcome`` (success/failure), latencies are also
    ``event.duration`` in nanoseconds, and agentlog's own fields live under
    ``agentlog``.
    """
    out: dict[str, Any] = {
        "@timestamp": line.get(TIMESTAMP),
        "log.level": line.get(LEVEL),
        "message": message_text(line.get(EVENT)),
        "ecs.version": ECS_VERSION,
    }
    tree: dict[str, Any] = {}
    ecs_event: dict[str, Any] = {"kind": "event"}
    action, outcome, duration = facts(line)
    if action is not None:
        ecs_event["action"] = action
    if outcome is not None:
        ecs_event["outcome"] = outcome
    if duration is not None:
        ecs_event["duration"] = duration
    if type(line.get("service")) is str:
        ecs_event["dataset"] = f"{line['service']}.log"
    ours: dict[str, Any] | None = None
    for key, value in line.items():
        if key in _HEAD:
            continue
        mapped = ECS_FIELDS.get(key)
        if mapped is None and type(key) is str and "." not in key:
            # Most fields are agentlog's own, one level down: no path to walk.
            if ours is None:
                ours = tree.get(NAMESPACE)
                if not isinstance(ours, dict):
                    ours = tree[NAMESPACE] = {}
            ours[key] = value
        else:
            _put(tree, mapped or f"{_OURS}{key}", value)
    tree["event"] = ecs_event
    out.update(tree)
    return out
