"""merge_fields: caller fields added to a line without losing any value, whatever the names."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from agentlog._pipeline.line import merge_fields
from agentlog._vocabulary import EXTRA

_NAMES = st.sampled_from(["event", "level", "run_id", EXTRA, f"{EXTRA}_", "a", "b"])
_VALUES = st.one_of(st.integers(), st.text(max_size=3), st.dictionaries(_NAMES, st.integers(), max_size=2))


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    return [value]


@given(st.dictionaries(_NAMES, _VALUES, max_size=4), st.dictionaries(_NAMES, _VALUES, max_size=4))
def test_no_value_is_lost(line: dict[str, Any], fields: dict[str, Any]) -> None:
    """Every value of the line and of the caller's fields is still in the merged line."""
    before = sorted(map(repr, _leaves(line) + _leaves(fields)))
    merged = dict(line)
    merge_fields(merged, fields)
    after = sorted(map(repr, _leaves(merged)))
    for value in before:
        assert value in after
    for key, value in line.items():
        if key != EXTRA:
            assert merged[key] == value  # what the line had keeps its place


def test_a_callers_own_extra_is_kept_beside_a_clash() -> None:
    """A caller's ``extra`` value and a clashing field both survive under ``extra``."""
    line: dict[str, Any] = {"level": "info"}
    merge_fields(line, {"extra": "mine", "level": "theirs"})
    assert line["extra"] == {"level": "theirs", "extra": "mine"}


def test_a_callers_extra_dict_is_merged_when_nothing_clashes() -> None:
    """A caller's ``extra`` dict takes the clashing fields in when their names differ."""
    line: dict[str, Any] = {"level": "info"}
    merge_fields(line, {"extra": {"a": 1}, "level": "theirs"})
    assert line["extra"] == {"a": 1, "level": "theirs"}
