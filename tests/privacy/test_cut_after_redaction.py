"""Text is cut after it is redacted, never before: a secret straddling a cut leaves nothing behind.

Error messages are written up to 4096 characters, stacks up to 32768,
captured values up to the capture limit, any string up to 256 KiB. A secret
that starts before such a limit and ends after it must be found whole and
dropped — not cut first, leaving a head too short to be recognised.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agentlog
from agentlog import events
from agentlog._privacy.redactor import FIELD_LIMITS

# Secrets found by shape, of different lengths; each must leave no 6-character fragment.
SHAPED = [
    "sk-" + "proj-" + "Zx81LmQ0pR7tY3uV5wN2kJ9hG4fD6sA1bCzz",
    "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0" + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6y",
    "AKIA" + "Z3Q7RM4XJ2K9PL5T",
    "ghp_" + "Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1Ll2M",
    "password=" + "Tr0ub4dor-and-more-9x",
]


def _fragments(secret: str, core: str | None = None) -> set[str]:
    core = core or secret.split("=", 1)[-1]
    return {core[index : index + 6] for index in range(len(core) - 5)}


def _leaked(text: str, secret: str) -> list[str]:
    return sorted(fragment for fragment in _fragments(secret) if fragment in text)


@pytest.mark.parametrize("secret", SHAPED)
@pytest.mark.parametrize("offset", [-30, -12, -5, -1, 0])
def test_an_error_message_cut_at_4096_keeps_no_head_of_a_secret(
    tmp_path: Path, secret: str, offset: int
) -> None:
    """A tool's exception message with a secret straddling character 4096: no fragment of it is written."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    message = "x " * ((4096 + offset) // 2) + secret + " and more text after it" * 20
    with pytest.raises(ValueError), agentlog.run(), agentlog.tool_call("t", {}):
        raise ValueError(message)
    line = next(orjson.loads(raw) for raw in path.read_bytes().splitlines() if b'"tool_result"' in raw)
    assert _leaked(line["error_message"], secret) == []
    assert _leaked(line["error_stack"], secret) == []
    assert len(line["error_message"]) <= 4096 + 64


@pytest.mark.parametrize("secret", SHAPED)
def test_a_given_error_message_is_cut_after_redaction_too(tmp_path: Path, secret: str) -> None:
    """events.tool_result(error_message=…) with a secret straddling the 4096 cut."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    events.tool_result("t", error_message="y" * 4080 + " " + secret + " tail", latency_ms=1.0)
    line = orjson.loads(path.read_bytes())
    assert _leaked(line["error_message"], secret) == []


def test_a_remembered_secret_straddling_the_cut_is_dropped(tmp_path: Path) -> None:
    """A password argument echoed so that it straddles character 4096 of the message."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    password = "Zq9-Rx7-Lm4-Kp2-881"
    with pytest.raises(ValueError), agentlog.run(), agentlog.tool_call("login", {"password": password}):
        raise ValueError("." * 4085 + password + "." * 100)
    raw = path.read_text()
    assert _leaked(raw, password) == []


def test_a_stack_cut_at_its_limit_keeps_no_head_of_a_secret(tmp_path: Path) -> None:
    """error_stack is cut at 32768 characters after redaction."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    secret = SHAPED[0]
    limit = FIELD_LIMITS["error_stack"]
    with pytest.raises(ValueError), agentlog.run(), agentlog.tool_call("t", {}):
        raise ValueError("s" * (limit - 200) + " " + secret + " " + "t" * 1000)
    line = next(orjson.loads(raw) for raw in path.read_bytes().splitlines() if b'"tool_result"' in raw)
    assert _leaked(line["error_stack"], secret) == []
    assert "truncated" in line["error_stack"]


@pytest.mark.parametrize("mode", ["redacted", "full"])
def test_a_captured_string_is_cut_after_redaction(tmp_path: Path, mode: str) -> None:
    """A captured argument with a JWT straddling the capture limit: no fragment written."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path, capture=mode, capture_limit=1024)
    secret = SHAPED[1]
    events.tool_call("t", {"text": "w " * 505 + secret + " after" * 400})
    line = orjson.loads(path.read_bytes())
    assert line["args_truncated"] is True
    assert _leaked(line["args"], secret) == []


def test_a_marker_is_never_cut_in_half() -> None:
    """Cutting inside a marker keeps the whole marker, never "[REDAC"."""
    redactor = agentlog.Redactor()
    for pad in range(1000, 1040):
        clean = redactor.scrub_text("p" * pad + " " + SHAPED[2] + " " + "q" * 5000, max_chars=1024)
        head = clean.split("…[truncated")[0]
        assert not head.endswith(tuple("[REDACTED:api_key]"[:cut] for cut in range(1, 18)))


@settings(max_examples=300, deadline=None)
@given(
    secret=st.sampled_from(SHAPED),
    before=st.integers(min_value=0, max_value=300),
    limit=st.integers(min_value=64, max_value=600),
    filler=st.sampled_from(["a", "word ", "x=1 ", "-", "\n", "é"]),
)
def test_property_no_cut_ever_leaves_a_fragment(secret: str, before: int, limit: int, filler: str) -> None:
    """For any text, any cut position and any shaped secret: no 6-character fragment of it survives."""
    text = (filler * 400)[:before] + " " + secret + " " + filler * 400
    clean = agentlog.Redactor().scrub_text(text, max_chars=limit)
    assert _leaked(clean, secret) == []
