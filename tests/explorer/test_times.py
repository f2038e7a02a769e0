"""Timestamps on lines and times a user types, as seconds since the epoch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from agentlog._explorer.times import epoch, parse_moment

NOON = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc).timestamp()


def test_epoch_reads_a_utc_timestamp() -> None:
    """`Z` is UTC."""
    assert epoch("2026-11-22T12:00:00Z") == NOON


def test_epoch_accepts_a_lowercase_z_and_surrounding_space() -> None:
    """RFC 3339 allows `z`; space around the stamp is ignored."""
    assert epoch(" 2026-11-22T12:00:00z ") == NOON


def test_epoch_honours_an_offset() -> None:
    """14:00 at +02:00 is noon UTC."""
    assert epoch("2026-11-22T14:00:00+02:00") == NOON


@pytest.fixture
def far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time zone set to one 8 hours from UTC, restored afterwards."""
    monkeypatch.setenv("TZ", "UTC+08:00")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("far_from_utc")
def test_epoch_takes_a_timestamp_without_offset_as_utc() -> None:
    """No offset: UTC, not the machine's local time."""
    assert time.localtime(NOON).tm_hour != 12  # the zone really is not UTC
    assert epoch("2026-11-22T12:00:00") == NOON


def test_epoch_keeps_microseconds_and_drops_finer_digits() -> None:
    """Nanosecond stamps (as agentlog writes) are read to the microsecond."""
    assert epoch("2026-11-22T12:00:00.123456789Z") == pytest.approx(NOON + 0.123456, abs=1e-7)
    assert epoch("2026-11-22T12:00:00.5Z") == NOON + 0.5


@pytest.mark.parametrize("stamp", [None, 17, "", "2026-11-22", "yesterday at noon!!", "2026-13-40T99:00:00Z"])
def test_epoch_is_none_for_what_is_not_a_timestamp(stamp: Any) -> None:
    """Non-strings, dates without a time and garbage give None, never an exception."""
    assert epoch(stamp) is None


def test_parse_moment_reads_spans_before_now() -> None:
    """`2h`, `30m`, `1d`, `90s` and `1.5h` count back from now."""
    now = 1_000_000.0
    assert [parse_moment(text, now) for text in ("2h", "30m", "1d", "90s", "1.5h")] == [
        now - 7200,
        now - 1800,
        now - 86400,
        now - 90,
        now - 5400,
    ]


def test_parse_moment_reads_a_date_as_midnight_utc() -> None:
    """A bare date is the start of that day in UTC."""
    assert parse_moment("2026-11-22", 0.0) == NOON - 12 * 3600


def test_parse_moment_reads_an_rfc3339_time() -> None:
    """A full timestamp is taken as it is, whatever now is."""
    assert parse_moment("2026-11-22T12:00:00Z", 5.0) == NOON


@pytest.mark.parametrize("text", ["yesterday", "2w", "h", "-2h"])
def test_parse_moment_is_none_for_what_it_cannot_read(text: str) -> None:
    """Unknown units and words give None (the CLI turns that into a usage error)."""
    assert parse_moment(text, 1_000_000.0) is None
