"""Checking lines against the published JSON Schema."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import pytest

from agentlog._explorer.validate import JsonschemaMissingError, Validation, validate

GOOD = {"timestamp": "2026-11-22T03:00:00Z", "level": "info", "event": "hello"}


def _file(tmp_path: Path, *raws: bytes) -> str:
    path = tmp_path / "lines.jsonl"
    path.write_bytes(b"".join(raw + b"\n" for raw in raws))
    return str(path)


def test_valid_lines_pass(tmp_path: Path) -> None:
    """A line that satisfies the schema is checked and not invalid."""
    assert validate([_file(tmp_path, orjson.dumps(GOOD))]) == Validation(checked=1, invalid=0, errors=[])


def test_an_invalid_field_is_reported_with_file_line_and_path(tmp_path: Path) -> None:
    """The message names the file, the line number (blank lines counted) and the field."""
    path = _file(tmp_path, orjson.dumps(GOOD), b"", orjson.dumps({**GOOD, "level": "loud"}))
    result = validate([path])
    assert (result.checked, result.invalid) == (2, 1)
    [message] = result.errors
    assert message.startswith(f"{path}:3: level: 'loud' is not one of")


def test_a_line_that_is_not_agentlog_json_is_invalid(tmp_path: Path) -> None:
    """Text and foreign JSON objects are invalid lines, not crashes."""
    result = validate([_file(tmp_path, b"plain text", b'{"other": 1}')])
    assert result.errors == [f"{tmp_path / 'lines.jsonl'}:{n}: not an agentlog JSON line" for n in (1, 2)]


def test_max_errors_limits_messages_not_counts(tmp_path: Path) -> None:
    """Every invalid line is counted; only the first max_errors are described."""
    result = validate([_file(tmp_path, *[b"junk"] * 5)], max_errors=2)
    assert (result.checked, result.invalid, len(result.errors)) == (5, 5, 2)


def test_messages_are_safe_to_print(tmp_path: Path) -> None:
    """A hostile value quoted in a message is escaped."""
    result = validate([_file(tmp_path, orjson.dumps({**GOOD, "level": "\x1b[2J"}))])
    assert "\x1b" not in result.errors[0] and "\\x1b[2J" in result.errors[0]


def test_the_result_as_text_and_as_dict() -> None:
    """Text is the messages then the totals; the dict has the same three things."""
    result = Validation(checked=3, invalid=1, errors=["f:2: bad"])
    assert result.as_text() == "f:2: bad\n3 lines checked, 1 invalid"
    assert result.as_dict() == {"checked": 3, "invalid": 1, "errors": ["f:2: bad"]}


def test_without_jsonschema_validate_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """When jsonschema cannot be imported the check raises JsonschemaMissingError before reading."""
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    with pytest.raises(JsonschemaMissingError):
        validate(["/nonexistent/never-read.jsonl"])
