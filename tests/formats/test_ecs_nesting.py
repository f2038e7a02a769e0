"""The ecs profile nests every field at its dotted path, and no field ever replaces another."""

from __future__ import annotations

import copy
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentlog
from agentlog._formats.ecs import to_ecs
from agentlog._vocabulary import ECS_FIELDS

_HEAD = ("timestamp", "level", "event", "status")
_WRITTEN = ("@timestamp", "log.level", "message", "ecs.version", "event")  # ECS's own, not nested


def _path(key: str) -> list[str]:
    return [part or "_" for part in (ECS_FIELDS.get(key) or f"agentlog.{key}").split(".")]


def _at(tree: dict[str, Any], path: list[str]) -> tuple[bool, Any]:
    node: Any = tree
    for part in path:
        if type(node) is not dict or part not in node:
            return False, None
        node = node[part]
    return True, node


keys = st.one_of(
    st.sampled_from([*ECS_FIELDS, "agentlog", "agentlog.x", "a.b", "a", "tool", "latency_ms", ""]),
    st.text(alphabet="ab.", min_size=0, max_size=5),
)
values = st.one_of(
    st.none(),
    st.integers(),
    st.text(alphabet="xyz.", max_size=5),
    st.dictionaries(st.text(alphabet="xyz.", max_size=3), st.integers()),
)


def _leaves(tree: Any) -> int:
    return sum(_leaves(value) for value in tree.values()) if type(tree) is dict else 1


# The first draw builds the strategies; on a cold, shared machine that alone can exceed the health check.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, values, max_size=12))
def test_every_field_survives_nesting_unchanged(fields: dict[str, Any]) -> None:
    """Each field is at its dotted path or, when that collides, under agentlog.unnested; none is changed."""
    line = {"timestamp": "t", "level": "info", "event": "e", **fields}
    before = copy.deepcopy(line)
    out = to_ecs(line)
    assert line == before  # the caller's values (dicts included) are not written into
    nested = {key: value for key, value in out.items() if key not in _WRITTEN}
    unnested = [value for key, value in nested.get("agentlog", {}).items() if key.startswith("unnested")]
    kept = [value for group in unnested if type(group) is dict for value in group.values()]
    placed = 0
    for key, value in line.items():
        if key in _HEAD:
            continue
        found, there = _at(nested, _path(key))
        if found and there is value:
            placed += 1
        else:
            assert any(candidate is value for candidate in kept), (key, out)
    assert placed + len(kept) == len(line) - sum(1 for key in line if key in _HEAD)


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


def test_a_caller_field_named_unnested_is_kept_too() -> None:
    """A caller's own ``unnested`` field is neither written into nor lost when collisions are kept."""
    theirs = {"mine": 1}
    out = to_ecs({"timestamp": "t", "level": "info", "event": "e", "unnested": theirs, "x.y": 1, "x": 2})
    assert out["agentlog"]["unnested"] is theirs and theirs == {"mine": 1}
    assert out["agentlog"]["unnested_2"] == {"x": 2}


def test_a_dotted_path_ten_thousand_levels_deep_is_written() -> None:
    """A field name of ten thousand dots nests without recursion and is written."""
    out = to_ecs({"timestamp": "t", "level": "info", "event": "e", "." * 10_000: 1})
    assert orjson.dumps(out, option=orjson.OPT_PASSTHROUGH_DATACLASS)
