"""Timestamps: RFC 3339, UTC, microseconds, Z — from nanoseconds or from a float."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given
from hypothesis import strategies as st

from agentlog._pipeline.clock import format_epoch, format_timestamp

moments = st.integers(min_value=0, max_value=4_102_444_800 * 10**9)  # up to 2100


@given(moments)
def test_nanoseconds_format_like_datetime(epoch_ns: int) -> None:
    """format_timestamp agrees with datetime, truncated to microseconds."""
    seconds, rest = divmod(epoch_ns, 10**9)
    expected = datetime.fromtimestamp(seconds, timezone.utc).replace(microsecond=rest // 1000)
    assert format_timestamp(epoch_ns) == expected.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@given(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False))
def test_float_seconds_format_within_a_microsecond(seconds: float) -> None:
    """format_epoch (used for LogRecord.created) lands on the same second and microsecond, ±1 µs."""
    stamp = format_epoch(seconds)
    parsed = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert abs(parsed.timestamp() - seconds) < 2e-6
    assert stamp.endswith("Z") and len(stamp) == 27
