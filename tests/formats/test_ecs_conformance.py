"""format="ecs" against the ecs-logging specification and the ECS field reference.

Followed: the ecs-logging specification, ``spec/spec.json`` of
elastic/ecs-logging, spec version 1.0 (its ``"version"``), as it reads since
``event.dataset``'s default lost its ``.log`` suffix; and the Elastic Common
Schema at the version agentlog writes in ``ecs.version`` (`ECS_VERSION`).
The vectors below restate those documents' rules; every line is written
through the public API (``agentlog.configure(format="ecs")``) and read back
as JSON.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentlog
from agentlog import events
from agentlog._vocabulary import ECS_VERSION

ROOT = Path(__file__).resolve().parents[2]
KITS = ROOT / "kits"
COLLIDED = "ecs: field names collide when nested; kept under agentlog.unnested"
HEX32 = re.compile(r"[0-9a-f]{32}")
HEX16 = re.compile(r"[0-9a-f]{16}")


def _write(body: Any, **configure: Any) -> list[dict[str, Any]]:
    """Configure format="ecs" on a stream, run *body*, return the lines written."""
    out = io.BytesIO()
    agentlog.configure(output=out, format="ecs", **configure)
    body()
    return [orjson.loads(raw) for raw in out.getvalue().splitlines()]


def _log(message: str, **fields: Any) -> dict[str, Any]:
    """One free-form line with *fields*, no service configured."""
    (line,) = _write(lambda: agentlog.get_logger().info(message, **fields))
    return line


def _rich_run() -> None:
    log = agentlog.get_logger("agent.planner")
    with pytest.raises(TimeoutError), agentlog.run(task="t", session_id="s-1"):
        with agentlog.step("model"), agentlog.llm_call("gpt-4o", provider="openai") as llm:
            llm.set_usage(812, 97, "stop")
        log.info("planning", candidates=3)
        events.decision("route", "search", reason="needs docs")
        with agentlog.step("tool"), agentlog.tool_call("search_docs", {"q": 1}):
            raise TimeoutError("search timed out")


def _rich(**configure: Any) -> dict[str, dict[str, Any]]:
    """A run with a model call, a log line, a decision and a failing tool call, by message."""
    return {line["message"]: line for line in _write(_rich_run, **configure)}


def _get(doc: dict[str, Any], path: str) -> Any:
    node: Any = doc
    for part in path.split("."):
        node = node[part]
    return node


def _expand(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as Elasticsearch (or Filebeat's ``expand_keys``) sees it: dotted names as objects.

    Raises AssertionError where one path would be a value and an object at once,
    or a name is empty or only whitespace (Elasticsearch refuses both).
    """
    expanded: dict[str, Any] = {}
    for key, value in doc.items():
        parts = key.split(".")
        assert all(part.strip() for part in parts), f"unindexable field name {key!r}"
        node = expanded
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            assert type(node) is dict, f"{key!r}: {part!r} is a value and an object"
        value = _expand(value) if type(value) is dict else value
        leaf = parts[-1]
        if leaf in node:
            assert type(node[leaf]) is dict and type(value) is dict, f"{key!r} is a value and an object"
            for inner, inner_value in value.items():
                assert inner not in node[leaf], f"{key}.{inner} written twice"
                node[leaf][inner] = inner_value
        else:
            node[leaf] = value
    return expanded


def _depth(value: Any) -> int:
    """Elasticsearch's mapping depth: 1 for a leaf at the root, one more per object around it."""
    if type(value) is not dict or not value:
        return 0
    return 1 + max(_depth(inner) for inner in value.values())


def _strings(value: Any) -> list[str]:
    if type(value) is dict:
        return [text for inner in value.values() for text in _strings(inner)]
    if type(value) is list:
        return [text for inner in value for text in _strings(inner)]
    return [value] if type(value) is str else []


# -- the head of the line -------------------------------------------------------------------


def test_the_first_keys_are_timestamp_level_message_then_ecs_version() -> None:
    """ecs-logging spec 1.0: ``@timestamp``, ``log.level``, ``message`` are index 0-2; then ``ecs.version``.

    The specification's field order is recommended and "must" be implemented
    where the framework allows; its minimal line puts ``ecs.version`` fourth.
    """
    for line in _rich(service="svc").values():
        assert list(line)[:4] == ["@timestamp", "log.level", "message", "ecs.version"]


def test_log_level_and_ecs_version_are_dotted_top_level_keys_and_nothing_else_is() -> None:
    """ecs-logging spec 1.0: ``log.level`` and ``ecs.version`` are ``top_level_field``: dotted, not nested.

    Every other field is a nested object, so expanding dotted keys (Filebeat's
    ``expand_keys``, Elasticsearch itself) meets no conflict.
    """
    for line in _rich(service="svc").values():
        assert [key for key in line if "." in key] == ["log.level", "ecs.version"]
        assert "log" not in line or "level" not in line["log"]
        assert "ecs" not in line
        _expand(line)


def test_required_fields_are_on_every_kind_of_line(tmp_path: Path) -> None:
    """ecs-logging spec 1.0: ``@timestamp``, ``log.level``, ``ecs.version`` required; ``message`` a string.

    Checked on typed events, structlog lines, stdlib lines and a line cut to
    the size limit.
    """
    import logging

    def body() -> None:
        with agentlog.run():
            agentlog.get_logger().info("structlog line", n=1)
            logging.getLogger("thirdparty").warning("stdlib line %s", 1)
            agentlog.get_logger().info("huge", blob="x" * 400_000)

    lines = _write(body, stdlib=True)
    assert {line["message"] for line in lines} >= {"run_started", "structlog line", "huge", "run_finished"}
    assert any(line["message"].startswith("stdlib line") for line in lines)
    for line in lines:
        assert type(line["@timestamp"]) is str and type(line["log.level"]) is str
        assert line["ecs.version"] == ECS_VERSION
        assert type(line["message"]) is str


def test_timestamp_is_an_rfc3339_utc_datetime() -> None:
    """ecs-logging spec 1.0: ``@timestamp`` is a datetime; ECS ``@timestamp`` a date: here UTC, with Z."""
    for line in _rich().values():
        stamp = line["@timestamp"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3,9}Z", stamp)
        assert datetime.fromisoformat(stamp.replace("Z", "+00:00")).utcoffset() == timedelta(0)


def test_ecs_version_is_the_ecs_version_followed() -> None:
    """ecs-logging spec 1.0: ``ecs.version`` required; ECS: the version the event conforms to (x.y.z)."""
    line = _log("m")
    assert line["ecs.version"] == ECS_VERSION
    assert re.fullmatch(r"[1-9]\d*\.\d+\.\d+", ECS_VERSION)


def test_message_is_text_even_when_the_event_is_not() -> None:
    """ecs-logging spec 1.0: ``message`` has type string (ECS ``message``: match_only_text)."""
    (line,) = _write(lambda: agentlog.get_logger().info({"structured": [1, 2]}))
    assert type(line["message"]) is str and json.loads(line["message"]) == {"structured": [1, 2]}


# -- fields the specification has a logging library set -------------------------------------


def test_event_dataset_defaults_to_the_service_name() -> None:
    """ecs-logging spec 1.0: ``event.dataset`` defaults to ``${service.name}`` when the user sets a service.

    (The ``.log`` suffix of earlier spec texts was removed from the default.)
    """
    for line in _rich(service="support-agent", env="prod", version="1.4.2").values():
        assert line["event"]["dataset"] == "support-agent"
        assert line["service"] == {"name": "support-agent", "environment": "prod", "version": "1.4.2"}


def test_without_a_service_there_is_no_dataset_and_no_service() -> None:
    """ecs-logging spec 1.0: ``service.name``, ``event.dataset`` are optional: absent (not null) if unset."""
    for line in _rich().values():
        assert "dataset" not in line["event"]
        assert "service" not in line


def test_log_logger_is_the_loggers_name() -> None:
    """ecs-logging spec 1.0: ``log.logger`` (string) is the name of the logger."""
    assert _rich()["planning"]["log"] == {"logger": "agent.planner"}


def test_error_fields_describe_the_exception() -> None:
    """ecs-logging spec 1.0 and ECS: ``error.type`` (the class), ``error.message``, ``error.stack_trace``.

    ECS types: keyword, match_only_text and wildcard: all strings, the stack
    trace as plain text.
    """
    error = _rich()["tool_result"]["error"]
    assert error["type"] == "TimeoutError"
    assert error["message"] == "search timed out"
    assert type(error["stack_trace"]) is str and error["stack_trace"].startswith("Traceback")
    assert set(error) == {"type", "message", "stack_trace"}


def test_tracing_fields_are_w3c_ids_and_there_is_no_transaction() -> None:
    """ecs-logging spec 1.0 ``trace.id``, ECS ``span.id`` (keywords); no ``transaction.id`` (docs/elk.md)."""
    for line in _rich().values():
        assert HEX32.fullmatch(line["trace"]["id"]) and line["trace"]["id"] != "0" * 32
        assert HEX16.fullmatch(line["span"]["id"])
        assert "transaction" not in line


# -- ECS field rules for the fields agentlog maps ----------------------------------------------


def test_event_duration_is_a_long_in_nanoseconds() -> None:
    """ECS ``event.duration``: type long, the duration in nanoseconds (agentlog's latency_ms times 10^6)."""
    lines = _rich()
    durations = 0
    for line in lines.values():
        if "duration" in line["event"]:
            durations += 1
            duration = line["event"]["duration"]
            latency = line["agentlog"].get("latency_ms", line["agentlog"].get("total_latency_ms"))
            assert type(duration) is int and 0 <= duration < 2**63
            assert duration == round(latency * 1_000_000)
    assert durations >= 4  # llm_result, step_finished ×2, tool_result, run_finished


def test_event_kind_action_and_outcome_take_allowed_values() -> None:
    """ECS: ``event.kind`` takes an allowed value (``event``), ``event.outcome`` success/failure/unknown."""
    lines = _rich()
    for message, line in lines.items():
        assert line["event"]["kind"] == "event"
        assert line["event"].get("outcome", "unknown") in {"success", "failure", "unknown"}
        if message in {"run_started", "tool_result", "llm_result", "decision"}:
            assert line["event"]["action"] == message
    assert "action" not in lines["planning"]["event"]
    assert lines["tool_result"]["event"]["outcome"] == "failure"
    assert lines["llm_result"]["event"]["outcome"] == "success"


def test_user_id_is_left_out_when_there_is_no_user() -> None:
    """ECS ``user.id`` (keyword) is written only when there is a user: absent, never null."""
    without = _write(lambda: agentlog.run().__enter__().__exit__(None, None, None))
    assert without and all("user" not in line for line in without)

    def with_user() -> None:
        with agentlog.run(user_id="u-42"):
            pass

    started = _write(with_user)[0]
    assert started["message"] == "run_started" and started["user"] == {"id": "u-42"}


def test_no_ecs_field_is_ever_null() -> None:
    """ECS and ecs-logging want an absent field, not a null one: no null outside ``agentlog.*``.

    (``agentlog.*`` keeps the json profile's nulls: a null there means "not given".)
    """

    def nulls(value: Any, path: str) -> list[str]:
        if value is None:
            return [path]
        if type(value) is dict:
            return [found for key, inner in value.items() for found in nulls(inner, f"{path}.{key}")]
        return []

    for line in [*_rich().values(), *_rich(service="svc", env="e", version="1").values()]:
        ecs_part = {key: value for key, value in line.items() if key != "agentlog"}
        assert nulls(ecs_part, "") == [], line["message"]
    line = _log("m", user_id=None, error_class=None, logger=None, trace_id=None)
    assert set(line) == {"@timestamp", "log.level", "message", "ecs.version", "event"}


def test_a_value_no_keyword_field_takes_stays_under_agentlog() -> None:
    """ECS ``user.id``, ``service.name``, ``error.type`` are keywords: an object stays ``agentlog.<name>``.

    An object at a keyword field's path is refused by Elasticsearch (the whole
    line lost at indexing); under its own name in ``agentlog`` it indexes.
    """
    line = _log("odd", user_id={"id": 1}, service=["x"], error_class={"a": 1}, trace_id=7)
    assert line["agentlog"] == {"user_id": {"id": 1}, "service": ["x"], "error_class": {"a": 1}}
    assert "user" not in line and "service" not in line and "error" not in line
    assert "dataset" not in line["event"]
    assert line["trace"] == {"id": 7}  # a number indexes as a keyword
    assert agentlog.problems() == {}  # moved, not collided


def test_a_status_that_is_no_outcome_is_kept() -> None:
    """ECS ``event.outcome`` is success/failure/unknown only: a status is kept as ``agentlog.status`` too."""
    pending = _log("m", status="pending")
    assert pending["agentlog"]["status"] == "pending" and "outcome" not in pending["event"]
    failed = _log("m", status="error")
    assert failed["agentlog"]["status"] == "error" and failed["event"]["outcome"] == "failure"


def test_labels_is_never_written() -> None:
    """ecs-logging spec 1.0 / ECS ``labels``: keyword values under sanitized keys; agentlog writes none.

    A caller's ``labels`` (of any shape) is its own field under ``agentlog``.
    """
    line = _log("m", labels={"a.b": {"deep": 1}})
    assert "labels" not in line
    assert line["agentlog"]["labels"] == {"a.b": {"deep": 1}}


# -- names that collide when nested ----------------------------------------------------------

VECTORS: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ("foo, foo.bar", {"foo": "v1", "foo.bar": "v2"}, {"foo": "v1", "unnested": {"foo_bar": "v2"}}, {}),
    ("foo.bar, foo", {"foo.bar": "v2", "foo": "v1"}, {"unnested": {"foo_bar": "v2"}, "foo": "v1"}, {}),
    ("a.b, a.b.c", {"a.b": "v1", "a.b.c": "v2"}, {"a": {"b": "v1"}, "unnested": {"a_b_c": "v2"}}, {}),
    ("a.b.c, a.b", {"a.b.c": "v2", "a.b": "v1"}, {"unnested": {"a_b_c": "v2"}, "a": {"b": "v1"}}, {}),
    (
        "a, a.b, a.b.c",
        {"a.b.c": "v3", "a": "v1", "a.b": "v2"},
        {"unnested": {"a_b_c": "v3", "a_b": "v2"}, "a": "v1"},
        {},
    ),
    ("a..b, a._.b", {"a..b": "v1", "a._.b": "v2"}, {"unnested": {"a__b": "v1"}, "a": {"_": {"b": "v2"}}}, {}),
    (
        "log, log.level, log.logger",
        {"log": "v1", "log.level": "v2", "log.logger": "v3"},
        {"log": "v1", "unnested": {"log_level": "v2", "log_logger": "v3"}},
        {},
    ),
    ("user, user.id", {"user": "v1", "user.id": "v2"}, {"user": "v1", "unnested": {"user_id": "v2"}}, {}),
    ("unnested", {"unnested": "v1"}, {"unnested": {"unnested": "v1"}}, {}),
    ("blank names", {" ": "v1", "_": "v2"}, {"unnested": {"_": "v1"}, "_": "v2"}, {}),
    (
        "status, status.code",
        {"status": "v1", "status.code": "v2"},
        {"status": "v1", "unnested": {"status_code": "v2"}},
        {},
    ),
]


@pytest.mark.parametrize(("fields", "expected"), [(v[1], v[2]) for v in VECTORS], ids=[v[0] for v in VECTORS])
def test_colliding_names_both_survive_by_the_documented_rule(
    fields: dict[str, Any], expected: dict[str, Any]
) -> None:
    r"""Collision rule (docs/elk.md): fewest segments keeps the place, the rest go to ``agentlog.unnested``.

    Each moved field is counted; the order of the fields does not matter; the bucket's keys are the names with
    ``.``, ``*``, ``\`` as ``_``, as ecs-logging spec 1.0 sanitizes ``labels`` keys.
    """
    line = _log("m", **fields)
    assert line["agentlog"] == expected
    _expand(line)
    assert agentlog.problems().get(COLLIDED, 0) == len(expected.get("unnested", {}))


def test_caller_fields_named_like_ecs_fields_leave_agentlogs_alone() -> None:
    """Caller fields ``service``, ``service.name``, ``user.id``, ``log.level``, ``ecs.version``: all kept.

    The configured service keeps ``service.name``; the caller's ``service`` is
    kept under ``agentlog.extra`` (a name agentlog wrote), the dotted names
    under ``agentlog``.
    """
    fields = {"service": "v1", "service.name": "v2", "user.id": "v3", "log.level": "v4", "ecs.version": "v5"}
    (line,) = _write(lambda: agentlog.get_logger().info("m", **fields), service="svc")
    assert line["service"] == {"name": "svc"} and line["log.level"] == "info"
    assert line["ecs.version"] == ECS_VERSION and "user" not in line
    assert line["agentlog"] == {
        "service": {"name": "v2"},
        "user": {"id": "v3"},
        "log": {"level": "v4"},
        "ecs": {"version": "v5"},
        "extra": {"service": "v1"},
    }
    assert agentlog.problems() == {}


_SEGMENTS = st.sampled_from(["a", "b", "", " ", "_", "unnested", "log", "user", "id", "service", "status"])
_SPECIAL = st.sampled_from(
    [
        "service",
        "service.name",
        "log",
        "log.level",
        "log.logger",
        "user",
        "user.id",
        "user_id",
        "status",
        "unnested",
        "message",
        "ecs.version",
        "@timestamp",
        "event.dataset",
        "trace_id",
        "trace.id",
        "labels",
        "error.type",
        "error_class",
        "agentlog",
        "level",
        "timestamp",
        "logger",
        "run_id",
    ]
)
_NAMES = st.one_of(_SPECIAL, st.lists(_SEGMENTS, min_size=1, max_size=4).map(".".join))


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(_NAMES, unique=True, max_size=10), nested=st.booleans(), service=st.booleans())
def test_every_caller_value_survives_for_any_names(names: list[str], nested: bool, service: bool) -> None:
    """Any set of dotted caller names: every value is in the line, which indexes without a conflict.

    The line parses as JSON; after expanding dotted keys no path is both a value
    and an object, no name is empty or blank, no field is deeper than
    Elasticsearch's default mapping depth (20); ``agentlog.unnested`` is one
    flat object, and each field in it is counted once in `agentlog.problems`.
    """
    markers = {name: f"m{i}x" for i, name in enumerate(names)}
    fields = {
        name: {"k": marker} if nested and i % 2 else marker
        for i, (name, marker) in enumerate(markers.items())
    }
    before = agentlog.problems().get(COLLIDED, 0)
    configure: dict[str, Any] = {"service": "svc"} if service else {}
    (line,) = _write(lambda: agentlog.get_logger().info("m", **fields), **configure)
    strings = _strings(line)
    for marker in markers.values():
        assert marker in strings, (marker, line)
    expanded = _expand(line)
    assert _depth(expanded) <= 20
    bucket = line.get("agentlog", {}).get("unnested", {})
    assert type(bucket) is dict
    assert all("." not in key and key.strip() for key in bucket)
    assert agentlog.problems().get(COLLIDED, 0) - before == len(bucket)


def test_a_caller_field_named_extra_survives_a_clash() -> None:
    """A caller's ``extra`` beside a caller field agentlog already wrote (``level``): both values are kept."""
    line = _log("m", extra="mine", level="theirs")
    assert {"mine", "theirs"} <= set(_strings(line["agentlog"]))


# -- the index template ----------------------------------------------------------------------


def test_the_index_template_maps_the_bucket_as_flattened_and_status_as_keyword() -> None:
    """``agentlog.unnested`` is ``flattened`` (no mapping conflict), ``agentlog.status`` keyword."""
    template = json.loads((KITS / "elasticsearch" / "index-template.json").read_text())
    ours = template["template"]["mappings"]["properties"]["agentlog"]["properties"]
    assert ours["unnested"] == {"type": "flattened"}
    assert ours["status"]["type"] == "keyword"
    event = template["template"]["mappings"]["properties"]["event"]["properties"]
    assert event["duration"] == {"type": "long"}


def test_the_elk_page_states_the_versions_followed() -> None:
    """docs/elk.md names the ECS version written in ``ecs.version`` and the ecs-logging spec version (1.0)."""
    page = (ROOT / "docs" / "elk.md").read_text("utf-8")
    assert f"**ECS {ECS_VERSION}**" in page
    assert "spec version\n  1.0" in page or "spec version 1.0" in page
    assert "agentlog.unnested" in page and "`flattened`" in page
