"""The ecs profile nests every field exactly as a plain walk of its dotted path would."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentlog._formats.ecs import to_ecs
from agentlog._vocabulary import ECS_FIELDS

_HEAD = ("timestamp", "level", "event", "status")


def _walk(tree: dict[str, Any], path: str, value: Any) -> None:
    head, _, rest = path.partition(".")
    if not rest:
        tree[head] = value
        return
    if not isinstance(tree.get(head), dict):
        tree[head] = {}
    _walk(tree[head], rest, value)


def _reference(line: dict[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in line.items():
        if key not in _HEAD:
            _walk(tree, ECS_FIELDS.get(key) or f"agentlog.{key}", value)
    return tree


keys = st.one_of(
    st.sampled_from([*ECS_FIELDS, "agentlog", "agentlog.x", "a.b", "a", "tool", "latency_ms", "service"]),
    st.text(alphabet="ab.", min_size=1, max_size=5),
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
def test_nesting_matches_a_plain_walk(fields: dict[str, Any]) -> None:
    """Fields land where walking their dotted ECS path lands them, in the same order."""
    line = {"timestamp": "t", "level": "info", "event": "e", **fields}
    written = ("@timestamp", "log.level", "message", "ecs.version", "event")  # ECS's own, not nested
    nested = {key: value for key, value in to_ecs(line).items() if key not in written}
    expected = _reference(line)
    expected.pop("event", None)
    assert nested == expected
    assert list(nested) == list(expected)
