"""Numbers read from logged lines without trusting their type."""

from __future__ import annotations

from typing import Any

import pytest

from agentlog._explorer.values import count, number


def test_count_takes_an_int() -> None:
    """A JSON integer is a count."""
    assert count(7) == 7


@pytest.mark.parametrize("value", [True, "7", 7.0, None, [7]])
def test_count_is_zero_for_anything_else(value: Any) -> None:
    """Bools, strings, floats and missing values count as 0, never coerced."""
    assert count(value) == 0


def test_number_takes_ints_and_floats_as_floats() -> None:
    """Integer and float latencies both come back as floats."""
    assert number(3) == 3.0 and type(number(3)) is float
    assert number(2.5) == 2.5


@pytest.mark.parametrize("value", [True, "3", None, {"ms": 3}])
def test_number_is_none_for_anything_else(value: Any) -> None:
    """Bools, strings and other values are not latencies."""
    assert number(value) is None
