"""The ecs profile nests every field at its dotted path, and no field ever replaces another."""

from __future__ import annotations

import copy
import math
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentlog
from agentlog._formats.ecs import MAX_SEGMENTS, to_ecs
from agentlog._vocabulary import ECS_FIELDS

_HEAD = ("timestamp", "level", "event")
_WRITTEN = ("@timestamp", "log.level", "message", "ecs.version", "event")  # ECS's own, not nested
_BUCKET = "unnested"


def _segments(name: str) -> list[str]:
    parts = [part if part.strip() else "_" for part in name.split(".")]
    if len(parts) > MAX_SEGMENTS:
        parts = [*parts[: MAX_SEGMENTS - 1], "_".join(parts[MAX_SEGMENTS - 1 :])]
    return parts


def _keyword(value: Any) -> bool:
    return isinstance(value, str | int) or (isinstance(value, float) and math.isfinite(value))


def _at(tree: Any, path: list[str]) -> tuple[bool, Any]:
    node: Any = tree
    for part in path:
        if type(node) is not dict or part not in node:
            return False, None
        node = node[part]
    return True, node


def _expected_places(line: dict[str, Any]) -> dict[str, list[str] | None]:
    """Where the module's rule puts each field, worked out pair by pair (None: in the bucket).

    A field loses its place exactly when another field that outranks it
    (fewer segments, then a name written as it is, then the name that sorts
    first) has a path that is the same as its own or a prefix of it; a path
    under ``unnested`` always loses. Fields with an ECS name that take a
    keyword value (or are null) are not under ``agentlog`` at all.
    """
    ours = {
        key: _segments(key)
        for key, value in line.items()
        if key not in _HEAD and not (key in ECS_FIELDS and (value is None or _keyword(value)))
    }

    def rank(key: str) -> tuple[int, bool, str]:
        return (len(ours[key]), ".".join(ours[key]) != key, key)

    places: dict[str, list[str] | None] = {}
    for key, path in ours.items():
        beaten = path[0] == _BUCKET or any(
            other != key and rank(other) < rank(key) and path[: len(theirs)] == theirs
            for other, theirs in ours.items()
        )
        places[key] = None if beaten else ["agentlog", *path]
    return places


keys = st.one_of(
    st.sampled_from(
        [*ECS_FIELDS, "agentlog", "agentlog.x", "a.b", "a", "tool", "latency_ms", "", "unnested", "status"]
    ),
    st.text(alphabet="ab. ", min_size=0, max_size=6),
)
values = st.one_of(
    st.none(),
    st.integers(),
    st.text(alphabet="xyz.", max_size=5),
    st.dictionaries(st.text(alphabet="xyz.", max_size=3), st.integers()),
)


# The first draw builds the strategies; on a cold, shared machine that alone can exceed the health check.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, values, max_size=12))
def test_every_field_is_where_the_rule_says_unchanged(fields: dict[str, Any]) -> None:
    """Each field is at its path or, when it loses a collision, in agentlog.unnested; none is changed."""
    line = {"timestamp": "t", "level": "info", "event": "e", **fields}
    before = copy.deepcopy(line)
    out = to_ecs(line)
    assert line == before  # the caller's values (dicts included) are not written into
    nested = {key: value for key, value in out.items() if key not in _WRITTEN}
    bucket = nested.get("agentlog", {}).get(_BUCKET, {})
    assert type(bucket) is dict
    places = _expected_places(line)
    for key, place in places.items():
        if place is None:
            assert any(candidate is line[key] for candidate in bucket.values()), (key, out)
        else:
            found, there = _at(nested, place)
            assert found and there is line[key], (key, place, out)
    assert len(bucket) == sum(place is None for place in places.values())


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(["a", "a.b", "a.b.c", "a..b", "a._.b", "a. .b", "b", "unnested"]), unique=True)
)
def test_the_outcome_does_not_depend_on_the_order_of_the_fields(names: list[str]) -> None:
    """The same fields in any order give the same places and the same bucket (keys aside, in order)."""
    forwards = to_ecs({"timestamp": "t", "level": "info", "event": "e", **{name: name for name in names}})
    backwards = to_ecs(
        {"timestamp": "t", "level": "info", "event": "e", **{name: name for name in reversed(names)}}
    )

    def placed(tree: dict[str, Any]) -> tuple[Any, set[Any]]:
        ours = dict(tree.get("agentlog", {}))
        bucket = ours.pop(_BUCKET, {})
        return orjson.loads(orjson.dumps(ours, option=orjson.OPT_SORT_KEYS)), set(bucket.values())

    assert placed(forwards) == placed(backwards)


def test_agentlogs_own_ids_are_never_replaced_by_a_caller_field(tmp_path: Any) -> None:
    """Caller fields named ``run_id.source``, ``""``, ``agentlog`` or ``trace_id.x`` leave the IDs alone."""
    path = tmp_path / "ecs.jsonl"
    agentlog.configure(output=path, format="ecs")
    hostile = {"run_id.source": "a", "": "b", "agentlog": "c", "trace_id.x": "d", "span_id": "e"}
    hostile["run_id"] = "f"
    with agentlog.run() as run:
        agentlog.get_logger().info("hostile names", **hostile)
    lines = map(orjson.loads, path.read_bytes().splitlines())
    line = next(line for line in lines if line["message"] == "hostile names")
    assert line["agentlog"]["run_id"] == run.run_id
    assert line["trace"]["id"] == run.trace_id
    assert line["span"]["id"] == run.span_id
    text = orjson.dumps(line).decode()
    for value in hostile.values():
        assert f'"{value}"' in text
    assert agentlog.problems()


def test_a_caller_field_named_unnested_goes_into_the_bucket() -> None:
    """``agentlog.unnested`` is always the bucket: a caller's own ``unnested`` is kept in it, unchanged."""
    theirs = {"mine": 1}
    out = to_ecs({"timestamp": "t", "level": "info", "event": "e", "unnested": theirs, "x.y": 1, "x": 2})
    assert out["agentlog"]["unnested"] == {"unnested": theirs, "x_y": 1}
    assert out["agentlog"]["unnested"]["unnested"] is theirs and theirs == {"mine": 1}
    assert out["agentlog"]["x"] == 2


def test_bucket_names_that_meet_are_numbered() -> None:
    """Two losing names that sanitize alike (``x.a_b``, ``x.a.b``) are both kept: ``x_a_b``, ``x_a_b_2``."""
    out = to_ecs(
        {"timestamp": "t", "level": "info", "event": "e", "a": 0, "a.b": 1, "a.c": 2, "unnested.a_b": 3}
    )
    assert out["agentlog"]["a"] == 0
    assert out["agentlog"]["unnested"] == {"a_b": 1, "a_c": 2, "unnested_a_b": 3}
    out = to_ecs(
        {"timestamp": "t", "level": "info", "event": "e", "x": 0, "x.a_b": 1, "x.a.b": 2, "x_a_b": 3}
    )
    assert out["agentlog"]["x"] == 0 and out["agentlog"]["x_a_b"] == 3
    assert out["agentlog"]["unnested"] == {"x_a_b": 1, "x_a_b_2": 2}


def test_a_dotted_path_ten_thousand_levels_deep_is_written() -> None:
    """A field name of ten thousand dots nests without recursion, at most 19 levels under agentlog."""
    out = to_ecs({"timestamp": "t", "level": "info", "event": "e", "." * 10_000: 1})
    assert orjson.dumps(out, option=orjson.OPT_PASSTHROUGH_DATACLASS)
    node, depth = out["agentlog"], 0
    while type(node) is dict:
        (node,) = node.values()
        depth += 1
    assert node == 1 and depth == MAX_SEGMENTS
