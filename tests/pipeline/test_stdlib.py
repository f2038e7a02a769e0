"""The stdlib logging bridge and the correlation filter."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import orjson
import structlog
import structlog.contextvars

import agentlog
from tests.conftest import Captured
from tests.secret_corpus import SECRETS


def test_stdlib_records_in_a_run_carry_its_ids(logs: Captured) -> None:
    """A third-party-style logger's record has the run, step and tool call IDs."""
    with agentlog.run() as run, agentlog.step("tool"), agentlog.tool_call("fetch", {}) as call:
        logging.getLogger("httpx").info("HTTP Request: GET %s %r", "https://api.example.com", 200)
    line = logs.one("HTTP Request: GET https://api.example.com 200")
    assert line["logger"] == "httpx"
    assert line["level"] == "info"
    assert line["run_id"] == run.run_id
    assert line["trace_id"] == run.trace_id
    assert line["step_id"] == 1
    assert line["tool_call_id"] == call.tool_call_id
    assert line["service"] == "svc"


def test_stdlib_records_outside_a_run_have_no_ids(logs: Captured) -> None:
    """Outside a run, a stdlib line is still written, without run IDs."""
    logging.getLogger("lib").warning("startup")
    line = logs.one("startup")
    assert line["level"] == "warning"
    assert "run_id" not in line


def test_stdlib_extra_fields_are_written(logs: Captured) -> None:
    """Fields passed with extra= become fields of the line."""
    logging.getLogger("openai").info("retrying", extra={"attempt": 2, "wait_s": 0.5})
    line = logs.one("retrying")
    assert line["attempt"] == 2
    assert line["wait_s"] == 0.5


def test_stdlib_exception_is_structured_without_locals(logs: Captured) -> None:
    """exc_info becomes error_class/message/stack; local variables never appear."""

    def failing() -> None:
        api_key = "sk-local-variable-value-1234567890"  # noqa: F841 - must not be logged
        raise ValueError("upstream said no")

    try:
        failing()
    except ValueError:
        logging.getLogger("tools").exception("tool crashed")
    line = logs.one("tool crashed")
    assert line["level"] == "error"
    assert line["error_class"] == "ValueError"
    assert line["error_message"] == "upstream said no"
    assert "failing" in line["error_stack"]
    assert b"sk-local-variable-value" not in logs.raw()


def test_stdlib_exception_message_and_stack_are_redacted(logs: Captured) -> None:
    """A secret inside the exception of an exc_info record is replaced in error_message and error_stack."""
    secret = SECRETS[0][1]
    try:
        raise PermissionError(f"upstream rejected key {secret}")
    except PermissionError:
        logging.getLogger("sdk").error("call failed", exc_info=True, extra={"attempt": 1})
    line = logs.one("call failed")
    assert line["error_class"] == "PermissionError"
    assert "[REDACTED:" in line["error_message"]
    assert "[REDACTED:" in line["error_stack"]
    assert line["attempt"] == 1
    assert secret.encode() not in logs.raw()


def test_stdlib_level_follows_configure(tmp_path: Path) -> None:
    """Records below the configured level are not written."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path, level="warning")
    logging.getLogger("x").info("quiet")
    logging.getLogger("x").error("loud")
    events = [orjson.loads(raw)["event"] for raw in path.read_bytes().splitlines()]
    assert events == ["loud"]


def test_stdlib_false_leaves_logging_alone(tmp_path: Path) -> None:
    """configure(stdlib=False) installs no handler on the root logger."""
    agentlog.configure(output=tmp_path / "out.jsonl", stdlib=False)
    assert not any(isinstance(h, agentlog.LogHandler) for h in logging.getLogger().handlers)


def test_reconfigure_keeps_a_single_handler(tmp_path: Path) -> None:
    """Configuring twice does not write stdlib lines twice."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    agentlog.configure(output=path)
    logging.getLogger("x").warning("once")
    assert len(path.read_bytes().splitlines()) == 1


def test_unformattable_message_is_written_not_raised(logs: Captured) -> None:
    """A record whose args do not fit its format is written with a marker."""
    logging.getLogger("x").warning("%d items", "not-a-number")
    line = logs.lines()[-1]
    assert "unformattable" in line["event"]


def test_correlation_filter_adds_ids_for_own_formatters() -> None:
    """CorrelationFilter puts the IDs on records for a %-style formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(agentlog.CorrelationFilter())
    handler.setFormatter(logging.Formatter("%(run_id)s %(step_id)s %(message)s"))
    logger = logging.getLogger("own-format")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        with agentlog.run() as run, agentlog.step("plan"):
            logger.info("inside")
        logger.info("outside")
    finally:
        logger.removeHandler(handler)
    inside, outside = stream.getvalue().splitlines()
    assert inside == f"{run.run_id} 1 inside"
    assert outside == "None None outside"


def test_handler_works_before_configure(capsys: object) -> None:
    """A LogHandler added by hand before configure() writes JSON to stdout."""
    logger = logging.getLogger("early")
    handler = agentlog.LogHandler()
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("early line")
    finally:
        logger.removeHandler(handler)
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert orjson.loads(out)["event"] == "early line"


def test_basicconfig_on_the_same_stream_writes_each_record_once(tmp_path: Path) -> None:
    """basicConfig(stream=sys.stdout) then configure(output=sys.stdout): one line per record, said once."""
    import subprocess
    import sys

    script = (
        "import logging, sys, agentlog\n"
        "logging.basicConfig(stream=sys.stdout, level=logging.INFO)\n"
        "logging.basicConfig(stream=sys.stderr)\n"  # a second call changes nothing, as in real apps
        "agentlog.configure(output=sys.stdout)\n"
        "logging.getLogger('lib').warning('hello from a library')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    lines = [line for line in done.stdout.splitlines() if "hello from a library" in line]
    assert len(lines) == 1 and lines[0].startswith("{")
    assert done.stderr.count("removed the root logger's StreamHandler") == 1


def test_handlers_writing_elsewhere_are_kept(tmp_path: Path) -> None:
    """A root handler writing somewhere else than agentlog's output stays."""
    import logging as stdlib_logging

    other = tmp_path / "other.log"
    handler = stdlib_logging.FileHandler(other)
    stdlib_logging.getLogger().addHandler(handler)
    try:
        agentlog.configure(output=tmp_path / "agent.jsonl")
        stdlib_logging.getLogger("lib").warning("kept")
        handler.flush()
        assert "kept" in other.read_text()
    finally:
        stdlib_logging.getLogger().removeHandler(handler)
        handler.close()


def test_records_from_structlogs_processor_formatter_setup_are_written_as_events(tmp_path: Path) -> None:
    """A logger cached with structlog's stdlib setup before configure(): its event dict becomes the line."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    log = structlog.get_logger("app")
    log.info("warm the cache")
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    with agentlog.run() as run:
        log.info("after configure", tenant="acme")
        try:
            raise ValueError("bad")
        except ValueError:
            log.exception("failed")
    lines = {line["event"]: line for line in (orjson.loads(x) for x in path.read_bytes().splitlines())}
    after = lines["after configure"]
    assert (after["tenant"], after["logger"], after["run_id"]) == ("acme", "app", run.run_id)
    assert not any(key.startswith("_") for key in after) and "extra" not in after
    assert lines["failed"]["error_class"] == "ValueError" and "exc_info" not in lines["failed"]


def test_a_logger_name_added_by_a_processor_is_not_written_twice(tmp_path: Path) -> None:
    """add_logger_name in the user's chain writes the name agentlog writes: no extra copy."""
    structlog.configure(processors=[structlog.stdlib.add_logger_name])
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    logging.getLogger("lib").warning("from a library")
    (line,) = [orjson.loads(x) for x in path.read_bytes().splitlines()]
    assert line["logger"] == "lib" and "extra" not in line
