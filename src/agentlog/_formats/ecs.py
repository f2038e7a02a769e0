"""The ``ecs`` profile: Elastic Common Schema, as the ecs-logging specification lays a line out."""

from __future__ import annotations

from typing import Any

from .. import _diagnostics
from .._vocabulary import ECS_FIELDS, ECS_UNNESTED, ECS_VERSION, EVENT, LEVEL, NAMESPACE, TIMESTAMP
from .facts import facts, message_text

__all__ = ["to_ecs"]

# Mapped to ECS's own fields (@timestamp, log.level, message, event.outcome), not copied.
_HEAD = frozenset({TIMESTAMP, LEVEL, EVENT, "status"})
_OURS = NAMESPACE + "."
_MAX_DEPTH = 32
_MISSING = object()


def _put(tree: dict[str, Any], path: str, value: Any, made: set[int]) -> bool:
    """Nest *value* at dotted *path*; False, changing nothing, where that would replace a value.

    Only objects made here (their ids in *made*) are walked into: a caller's
    own dict is a value, never changed. An empty path segment (``""``,
    ``a..b``) becomes ``_``: Elasticsearch refuses empty field names.
    Past 32 levels the rest of the path is one name, joined by ``_``.
    """
    parts = [part or "_" for part in path.split(".")]
    if len(parts) > _MAX_DEPTH:
        parts[_MAX_DEPTH - 1 :] = ["_".join(parts[_MAX_DEPTH - 1 :])]
    *branches, leaf = parts
    node = tree
    for part in branches:
        branch = node.get(part, _MISSING)
        if branch is _MISSING:
            branch = node[part] = {}
            made.add(id(branch))
        elif id(branch) not in made:
            return False
        node = branch
    if leaf in node:
        return False
    node[leaf] = value
    return True


def _unique(names: dict[str, Any], name: str) -> str:
    unique, number = name, 2
    while unique in names:
        unique, number = f"{name}_{number}", number + 1
    return unique


def _keep_unnested(ours: dict[str, Any], kept: dict[str, Any] | None, key: str, value: Any) -> dict[str, Any]:
    """Keep a field whose path collides with another's, flat (dots as ``_``) under ``agentlog.unnested``."""
    _diagnostics.report("ecs: field names collide when nested; kept under agentlog.unnested")
    if kept is None:
        kept = ours[_unique(ours, ECS_UNNESTED)] = {}
    kept[_unique(kept, key.replace(".", "_") or "_")] = value
    return kept


def to_ecs(line: dict[str, Any]) -> dict[str, Any]:
    """Map a flat line to ECS logging: nested objects, four dotted top-level keys.

    ``@timestamp``, ``log.level``, ``message`` and ``ecs.version`` come first
    as dotted keys (as the ECS logging specification and Filebeat's
    ``expand_keys`` expect); every other field is nested. The agent's status
    is ``event.outcome`` (success/failure), latencies are also
    ``event.duration`` in nanoseconds, and agentlog's own fields live under
    ``agentlog``. No field replaces another when nested: a caller field whose
    dotted name collides with a field already there (``run_id.source`` beside
    ``run_id``, ``a`` beside ``a.b``) is kept flat under ``agentlog.unnested``.
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
    unnested: dict[str, Any] | None = None
    made = {id(tree)}
    for key, value in line.items():
        if key in _HEAD:
            continue
        if ours is None:
            # Made here, not first, so fields keep their order; only this function puts a value there.
            ours = tree.get(NAMESPACE)
        mapped = ECS_FIELDS.get(key)
        if mapped is None and ours is not None and type(key) is str and key and "." not in key:
            # Most fields are agentlog's own, one level down: no path to walk.
            if key not in ours:
                ours[key] = value
                continue
        elif _put(tree, mapped or f"{_OURS}{key}", value, made):
            continue
        if ours is None:
            ours = tree[NAMESPACE] = {}  # the namespace was never made: nothing of ours came first
        unnested = _keep_unnested(ours, unnested, str(key), value)
    tree["event"] = ecs_event
    out.update(tree)
    return out
