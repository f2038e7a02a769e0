r"""The ``ecs`` profile: Elastic Common Schema, as the ecs-logging specification lays a line out.

Followed: the ecs-logging specification (``spec/spec.json``, spec version 1.0)
for the head of the line and the fields a logging library sets, and the ECS
field reference (the version is ``ECS_VERSION``) for every field it maps.

Every field is written nested (``{"agentlog": {"run_id": …}}``), never as a
dotted key, except the two the specification wants dotted at the top level.
Nesting a flat line can make two names want the same place: ``a`` and
``a.b`` (``a`` would have to be a value and an object at once), ``a..b`` and
``a._.b`` (empty segments are written ``_``). Elasticsearch cannot index a
value and an object at one path, so exactly one field keeps each place, by a
rule that does not depend on the order of the fields:

1. the field with fewer path segments (agentlog's own fields have one, so a
   caller's dotted name never displaces them);
2. then a name written as it is over one rewritten (``a._.b`` over ``a..b``);
3. then the name that sorts first.

Every other field goes into ``agentlog.unnested``, a flat object whose keys
are the field names with ``.``, ``*`` and ``\`` written ``_`` (the
specification's rule for ``labels`` keys) and that the index template maps as
``flattened``, so its contents never meet a mapping conflict. Each such field
is counted in `agentlog.problems`. ``unnested`` under ``agentlog`` is always
that object: a caller's own field of that name goes into it too.
"""

from __future__ import annotations

import math
from typing import Any

from .. import _diagnostics
from .._serialize import safe_str
from .._vocabulary import ECS_FIELDS, ECS_UNNESTED, ECS_VERSION, EVENT, LEVEL, NAMESPACE, TIMESTAMP
from .facts import facts, message_text

__all__ = ["to_ecs"]

# Mapped to ECS's own fields (@timestamp, log.level, message), not copied. ``status`` is
# both: event.outcome when it is ok/error, and kept as agentlog.status whatever it is.
_HEAD = frozenset({TIMESTAMP, LEVEL, EVENT})
# Elasticsearch's default index.mapping.depth.limit is 20 objects deep, ``agentlog`` is the
# first: past 19 segments the rest of a name is one segment, joined by ``_``.
MAX_SEGMENTS = 19
_COLLIDED = "ecs: field names collide when nested; kept under agentlog.unnested"
_BUCKET_UNSAFE = str.maketrans({".": "_", "*": "_", "\\": "_"})


def _is_keyword(value: Any) -> bool:
    """Whether an ECS keyword/text field can take *value*: text, a number, a boolean."""
    if isinstance(value, str | int):
        return True  # bool is an int
    return isinstance(value, float) and math.isfinite(value)  # NaN and inf would be written null


def _segments(name: str) -> list[str]:
    """The path of a field under ``agentlog``: no empty or blank segment, at most 19 of them."""
    parts = [part if part and not part.isspace() else "_" for part in name.split(".")]
    if len(parts) > MAX_SEGMENTS:
        parts[MAX_SEGMENTS - 1 :] = ["_".join(parts[MAX_SEGMENTS - 1 :])]
    return parts


def _put(tree: dict[str, Any], parts: list[str], value: Any, made: set[int]) -> bool:
    """Nest *value* at *parts*; False, changing nothing, where that would replace a value.

    Only objects made here (their ids in *made*) are walked into: a caller's
    own dict is a value, never changed.
    """
    *branches, leaf = parts
    node = tree
    for part in branches:
        branch = node.get(part)
        if branch is None:
            if part in node:
                return False  # a field whose value is null
            branch = node[part] = {}
            made.add(id(branch))
        elif id(branch) not in made:
            return False
        node = branch
    if leaf in node:
        return False
    node[leaf] = value
    return True


def _bucket_key(bucket: dict[str, Any], name: str) -> str:
    key = name.translate(_BUCKET_UNSAFE)
    if not key or key.isspace():
        key = "_"
    unique, number = key, 2
    while unique in bucket:
        unique, number = f"{key}_{number}", number + 1
    return unique


def _nest_ranked(fields: list[tuple[Any, Any]]) -> dict[str, Any]:
    """``agentlog``'s object for *fields* (in line order) when some of their paths collide.

    Which field keeps a contested place follows the module's rule; the others
    go, in line order, into the ``unnested`` object.
    """
    names = [safe_str(key) for key, _ in fields]
    paths = [_segments(name) for name in names]
    rank = sorted(
        range(len(fields)),
        key=lambda i: (
            len(paths[i]),
            ".".join(paths[i]) != names[i],
            type(fields[i][0]) is not str,
            names[i],
        ),
    )
    leaves: set[tuple[str, ...]] = {(ECS_UNNESTED,)}  # always the bucket
    branches: set[tuple[str, ...]] = set()
    keeps: set[int] = set()
    for i in rank:
        path = tuple(paths[i])
        prefixes = [path[:n] for n in range(1, len(path))]
        if path in leaves or path in branches or any(prefix in leaves for prefix in prefixes):
            continue
        keeps.add(i)
        leaves.add(path)
        branches.update(prefixes)
    ours: dict[str, Any] = {}
    made = {id(ours)}
    bucket: dict[str, Any] | None = None
    for i, (_, value) in enumerate(fields):
        if i in keeps and _put(ours, paths[i], value, made):
            continue
        _diagnostics.report(_COLLIDED)
        if bucket is None:
            bucket = ours[ECS_UNNESTED] = {}
        bucket[_bucket_key(bucket, names[i])] = value
    return ours


def to_ecs(line: dict[str, Any]) -> dict[str, Any]:
    """Map a flat line to ECS logging: nested objects, four dotted top-level keys.

    ``@timestamp``, ``log.level``, ``message`` and ``ecs.version`` come first
    as dotted keys (as the ECS logging specification and Filebeat's
    ``expand_keys`` expect); every other field is nested. The agent's status
    is ``event.outcome`` (success/failure) and stays ``agentlog.status``;
    latencies are also ``event.duration`` in nanoseconds; ``event.dataset``
    is the service name, the specification's default. A field with an ECS
    name (``user_id`` → ``user.id``) is left out when null, and kept under
    ``agentlog`` by its own name when its value is no text, number or boolean
    (an object at ``user.id`` would be refused by the index). Every other
    field is nested under ``agentlog``; where names collide, see the module
    docstring: one keeps the place, the rest go into ``agentlog.unnested``.
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
    service = line.get("service")
    if isinstance(service, str) and service:
        ecs_event["dataset"] = service
    ours: dict[str, Any] | None = None
    made = {id(tree)}
    ecs_keys: set[Any] = set()  # the fields written at their ECS names, or left out as null
    collided = False
    for key, value in line.items():
        if key in _HEAD:
            continue
        mapped = ECS_FIELDS.get(key)
        if mapped is not None:
            if value is None:
                ecs_keys.add(key)
                continue  # ECS wants an absent field, not a null one
            if _is_keyword(value) and _put(tree, mapped.split("."), value, made):
                ecs_keys.add(key)
                continue
        if ours is None:
            # Made here, not first, so fields keep their order.
            ours = tree[NAMESPACE] = {}
            made.add(id(ours))
        if collided:
            continue
        if type(key) is str and key and "." not in key and key != ECS_UNNESTED and not key.isspace():
            # Most fields are agentlog's own, one level down: no path to walk.
            if key not in ours:
                ours[key] = value
                continue
        else:
            parts = _segments(safe_str(key))
            if parts[0] != ECS_UNNESTED and _put(ours, parts, value, made):
                continue
        collided = True  # settled by rank below, whatever the order the fields came in
    if collided and ours is not None:
        fields = [(k, v) for k, v in line.items() if k not in _HEAD and k not in ecs_keys]
        ranked = _nest_ranked(fields)
        ours.clear()
        ours.update(ranked)
    tree["event"] = ecs_event
    out.update(tree)
    return out
