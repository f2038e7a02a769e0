"""A value agentlog was given but does not write is not written when something echoes it later.

Two classes, through the public API, in every capture mode and every format:
a value under a secret key name in a payload (the ``password`` argument), and
— in the modes that never write arguments (``hash``, ``none``) — any tool
argument, raw or URL-encoded, echoed by the tool's exception, a later line or
a library's stdlib line.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

import agentlog
from agentlog import events

MODES = ["hash", "redacted", "full", "none"]
FORMATS = ["json", "ecs", "datadog", "console"]
SECRET = "hunter2-secret"


def _configure(tmp_path: Path, mode: str, fmt: str) -> Path:
    path = tmp_path / "out.log"
    agentlog.configure(output=path, capture=mode, format=fmt)  # type: ignore[arg-type]
    return path


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mode", MODES)
def test_a_secret_argument_echoed_by_the_tool_and_later_lines_is_never_written(
    tmp_path: Path, mode: str, fmt: str
) -> None:
    """The password argument, echoed by the exception, a stdlib line and a later line: not written."""
    path = _configure(tmp_path, mode, fmt)
    with agentlog.run(), agentlog.step("login"):
        try:
            with agentlog.tool_call("login", {"user": "ann", "password": SECRET}):
                raise ValueError(f"bad password {SECRET}")
        except ValueError:
            pass
        logging.getLogger("lib").warning("sent %s", SECRET)
        agentlog.get_logger("app").info(f"retry with {SECRET}", note=SECRET)
    assert SECRET not in path.read_text("utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mode", MODES)
def test_a_nested_secret_argument_of_a_standalone_event_is_never_written(
    tmp_path: Path, mode: str, fmt: str
) -> None:
    """events.tool_call with the secret nested deep, then echoed by tool_result and a stdlib line."""
    path = _configure(tmp_path, mode, fmt)
    with agentlog.run():
        events.tool_call("connect", {"db": {"options": [{"dbPassword": SECRET}]}})
        events.tool_result("connect", error_message=f"auth failed for {SECRET}", latency_ms=1.0)
        logging.getLogger("sqlalchemy").error("connect(%r) failed", {"dsn": f"user:{SECRET}"})
    assert SECRET not in path.read_text("utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mode", MODES)
def test_a_secret_in_a_result_task_or_prompt_is_remembered_too(tmp_path: Path, mode: str, fmt: str) -> None:
    """A token returned under a secret key in a result, then logged by a library: not written."""
    path = _configure(tmp_path, mode, fmt)
    token = "tok-7Hq2xW9pL3mZ"
    with agentlog.run(task={"goal": "refresh", "api_key": "ak-9Jx2Lw8Qp4"}):
        with agentlog.tool_call("refresh", {}) as call:
            call.result = {"access_token": token, "expires_in": 3600}
        logging.getLogger("client").info("using token %s for ak-9Jx2Lw8Qp4", token)
    raw = path.read_text("utf-8")
    assert token not in raw
    assert "ak-9Jx2Lw8Qp4" not in raw


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mode", ["hash", "none"])
def test_arguments_never_written_are_not_written_by_a_library_echoing_them(
    tmp_path: Path, mode: str, fmt: str
) -> None:
    """An HTTP client logs the request URL with the arguments URL-encoded; the error echoes them raw."""
    path = _configure(tmp_path, mode, fmt)
    query = "climate change/policy"
    with agentlog.run():
        try:
            with agentlog.tool_call("search", {"q": query, "filters": {"region": "north-east europe"}}):
                logging.getLogger("httpx").info(
                    'HTTP Request: GET https://api.example.com/search?q=%s&r=%s "HTTP/1.1 500"',
                    quote_plus(query, safe=""),
                    quote("north-east europe", safe=""),
                )
                raise RuntimeError(f"search for {query!r} failed")
        except RuntimeError:
            pass
        agentlog.get_logger().info("done", summary=f"no hits for {query}")
    raw = path.read_text("utf-8")
    for form in (query, quote_plus(query, safe=""), "north-east europe", quote("north-east europe", safe="")):
        assert form not in raw
    assert "[REDACTED:tool_args]" in raw


def test_every_form_of_every_argument_string_is_replaced(tmp_path: Path) -> None:
    """Counts, not anecdotes: 20 argument strings × 5 encoded forms, each echoed once, none written."""
    path = _configure(tmp_path, "hash", "json")
    values = [f"query number {index} about ünïcode & sons/{index * 7}" for index in range(20)]
    echoes = []
    for value in values:
        echoes += [value, quote_plus(value, safe=""), quote(value, safe=""), quote(value), repr(value)[1:-1]]
    with agentlog.run():
        events.tool_call("bulk", {"items": [{"text": value} for value in values]})
        for echo in echoes:
            logging.getLogger("lib").info("echo %s", echo)
        events.tool_result("bulk", latency_ms=1.0)
    raw = path.read_text("utf-8")
    written = [echo for echo in echoes if echo in raw]
    assert written == []


@pytest.mark.parametrize("mode", ["redacted", "full"])
def test_arguments_written_by_choice_are_not_remembered(tmp_path: Path, mode: str) -> None:
    """In redacted and full modes the arguments are written anyway: a later line may repeat them."""
    path = _configure(tmp_path, mode, "json")
    with agentlog.run():
        events.tool_call("search", {"q": "climate change policy"})
        agentlog.get_logger().info("searching climate change policy")
    assert "searching climate change policy" in path.read_text("utf-8")


def test_short_and_enum_like_arguments_are_not_remembered(tmp_path: Path) -> None:
    """Arguments under 8 characters, or one plain word ("ascending"), would make ordinary lines unreadable."""
    path = _configure(tmp_path, "hash", "json")
    with agentlog.run():
        events.tool_call("list", {"order": "ascending", "city": "Paris", "status": "completed"})
        agentlog.get_logger().info("sorted ascending in Paris, completed")
    assert "sorted ascending in Paris, completed" in path.read_text("utf-8")


def test_arguments_forgotten_by_the_bound_are_remembered_again_when_passed_again(tmp_path: Path) -> None:
    """The tier forgets old arguments; the same arguments passed again are remembered again."""
    path = _configure(tmp_path, "hash", "json")
    with agentlog.run():
        events.tool_call("search", {"q": "quarterly revenue report 2026"})
        for index in range(200):
            events.tool_call("other", {"q": f"unrelated query number {index}"})
        events.tool_call("search", {"q": "quarterly revenue report 2026"})
        logging.getLogger("lib").info("GET /search?q=%s", quote_plus("quarterly revenue report 2026"))
    assert "quarterly" not in path.read_text("utf-8").split('"GET /search')[-1]
