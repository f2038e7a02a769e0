"""Hostile values never raise into the caller and always give a valid JSON line."""

from __future__ import annotations

import datetime
import decimal
import logging
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agentlog
from agentlog import events
from tests.conftest import Captured


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class _UnprintableError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no str")


def _hostile() -> dict[str, Any]:
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    return {
        "cyclic": cyclic,
        "huge_int": 2**128,
        "surrogate": "bad \ud83d half",
        "nan": float("nan"),
        "inf": float("-inf"),
        "tuple_keys": {(1, 2): "x", None: 1, 3.5: 2},
        "object": object(),
        "unprintable": _Unprintable(),
        "bytes": b"\xff\x00",
        "set": {1, 2, 3},
        "decimal": decimal.Decimal("1.10"),
        "naive_datetime": datetime.datetime(2026, 1, 1),
        "deep": _deep(400),
    }


def _deep(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_hostile_fields_in_every_kind_of_line(logs: Captured, fmt: str) -> None:
    """Typed events, structlog and stdlib lines with hostile values: whole lines, no raise."""
    import logging

    agentlog.configure(output=logs.path, format=fmt, level="debug")  # type: ignore[arg-type]
    hostile = _hostile()
    with agentlog.run(task=hostile, metadata=hostile), agentlog.step("tool", **hostile):
        # Its own surrogate: hashed arguments are not written where a later line repeats them.
        with agentlog.tool_call("t", {**hostile, "surrogate": "arg \ud83d half"}, **hostile) as call:
            call.result = hostile
        agentlog.get_logger().info(_Unprintable(), **hostile)
        logging.getLogger("lib").info("stdlib %s", _Unprintable(), extra=hostile)
        events.decision("route", "x", **hostile)
    assert agentlog.problems() == {}
    if fmt == "console":
        assert len(logs.raw().splitlines()) == 9
        return
    lines = logs.lines()
    assert len(lines) == 9
    line = logs.one("decision")
    assert line["huge_int"] == 2**128
    assert line["surrogate"] == "bad \ufffd half"
    assert line["cyclic"] == {"self": "<circular>"}
    assert line["unprintable"].startswith("<unrepresentable")
    assert agentlog.problems() == {}


def test_exception_whose_str_raises_is_recorded(logs: Captured) -> None:
    """A tool exception whose __str__ raises still gives a tool_result, re-raised."""
    try:
        with agentlog.run(), agentlog.tool_call("t", {}):
            raise _UnprintableError
    except _UnprintableError:
        pass
    result = logs.one("tool_result")
    assert result["error_class"] == "_UnprintableError"
    assert result["error_message"].startswith("<unprintable")


def test_ten_megabyte_field_is_cut_not_dropped(logs: Captured) -> None:
    """A 10 MB value is cut with a marker; the line stays whole and under 256 KiB."""
    agentlog.get_logger().info("big", payload="z" * 10_000_000, small="kept")
    line = logs.one("big")
    assert line["payload"].startswith("z" * 16384)
    assert "…[truncated " in line["payload"]
    assert line["small"] == "kept"
    assert len(logs.raw()) <= 256 * 1024


def test_many_large_fields_are_shrunk_under_the_line_limit(logs: Captured) -> None:
    """Twenty 100 KB fields: each is cut to 16 KiB, and those that still do not fit are left out, counted."""
    agentlog.get_logger().info("wide", **{f"f{i}": "y" * 100_000 for i in range(20)})
    line = logs.one("wide")
    kept = [key for key in line if key.startswith("f") and key != "fields_dropped"]
    assert kept == [f"f{i}" for i in range(len(kept))] and len(kept) >= 10
    assert all(line[key].endswith("bytes]") for key in kept)
    assert line["fields_dropped"] == 20 - len(kept)
    assert len(logs.raw()) <= 256 * 1024


leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.binary()
    | st.complex_numbers()
    | st.datetimes()
    | st.decimals()
    | st.builds(object)
    | st.builds(_Unprintable)
)
anything = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.frozensets(st.integers() | st.text(), max_size=4)
        | st.dictionaries(st.text(max_size=5) | st.integers() | st.none(), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(value=anything, key=st.text(min_size=1, max_size=10).filter(lambda k: k != "event"))
def test_any_value_gives_one_valid_json_line(value: Any, key: str) -> None:
    """Property: any object as a field (and as an event name) gives one valid line."""
    import io

    out = io.BytesIO()
    agentlog.configure(output=out, stdlib=False)
    agentlog.get_logger().info(value, **{key: value})
    events.tool_call("t", value, payload=value)
    raw = out.getvalue()
    assert raw.count(b"\n") == 2
    for line in raw.splitlines():
        assert isinstance(orjson.loads(line), dict)


class _HostileClass:
    """An object whose __class__, __eq__, __len__, __iter__ and attributes all raise."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        raise RuntimeError("no class")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no eq")

    __hash__ = object.__hash__

    def __len__(self) -> int:
        raise RuntimeError("no len")

    def __iter__(self) -> Any:
        raise RuntimeError("no iter")

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"no {name}")


@pytest.mark.parametrize("fmt", ["json", "console"])
@pytest.mark.parametrize("mode", ["hash", "redacted"])
def test_objects_that_raise_everywhere_lose_no_event(logs: Captured, fmt: str, mode: str) -> None:
    """Hostile objects as args, results, names, metadata and messages: every event is written."""
    import logging

    agentlog.configure(output=logs.path, format=fmt, capture=mode, level="debug")  # type: ignore[arg-type]
    evil: Any = _HostileClass()
    with agentlog.run(task=evil, user_id=evil, metadata={"m": evil, evil: 1}) as run:
        with agentlog.step(evil, tool=evil), agentlog.tool_call(evil, evil, tool_call_id=evil) as call:
            call.result = evil
        with agentlog.llm_call(evil, provider=evil) as llm:
            llm.set_usage(evil, evil, evil)
            llm.prompt = evil
        agentlog.get_logger(evil).info(evil, v=evil)
        logging.getLogger("lib").warning(evil, extra={"x": evil})
        events.decision(evil, evil, reason=evil)
        run.finish(stop_reason=evil)
    raw = logs.raw().splitlines()
    assert len(raw) == 10
    if fmt == "json":
        names = [orjson.loads(line)["event"] for line in raw]
        assert names[0] == "run_started"
        assert names[-1] == "run_finished"


class _UnreadableList(list[Any]):
    """A list whose iteration raises."""

    def __iter__(self) -> Any:
        raise RuntimeError("cannot iterate")


class _UnreadableDict(dict[str, Any]):
    """A dict whose items and iteration raise."""

    def items(self) -> Any:
        raise RuntimeError("cannot list")

    def __iter__(self) -> Any:
        raise RuntimeError("cannot iterate")


def test_containers_whose_iteration_raises_lose_no_line(logs: Captured) -> None:
    """A field, extra or metadata value that cannot be iterated is marked; no line is lost."""
    with agentlog.run(metadata={"m": _UnreadableList([1])}) as run:
        agentlog.get_logger().info("structlog line", a=_UnreadableList([1]), d=_UnreadableDict(k=1))
        logging.getLogger("lib").warning("stdlib line", extra={"e": _UnreadableList([1])})
    names = [line["event"] for line in logs.lines()]
    assert names == ["run_started", "structlog line", "stdlib line", "run_finished"]
    assert logs.one("run_started")["run_id"] == run.run_id
    assert logs.one("structlog line")["a"].startswith("<unserializable")


def test_a_finalizer_logging_while_a_line_renders_is_not_taken_for_a_foreign_line(
    logs: Captured, capfd: pytest.CaptureFixture[str]
) -> None:
    """A __del__ that logs mid-render (collector at threshold 1) writes its line; no false notice."""
    import gc

    log = agentlog.get_logger()

    class Noisy:
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            log.info("from finalizer")

    thresholds = gc.get_threshold()
    gc.set_threshold(5, 1, 1)
    try:
        for index in range(5000):
            Noisy()
            log.info("main", index=index, payload=[{} for _ in range(3)])
        gc.collect()
    finally:
        gc.set_threshold(*thresholds)
    names = [line["event"] for line in logs.lines()]
    assert names.count("main") == 5000 and names.count("from finalizer") == 5000
    assert "structlog was configured after" not in capfd.readouterr().err


def test_fields_named_like_the_loggers_own_parameters_are_written(logs: Captured) -> None:
    """Fields called self, method_name or level are fields like any other: the line is written, no error."""
    with agentlog.run() as run:
        agentlog.get_logger().info("odd names", self=1, method_name="m", level=2)
    line = logs.one("odd names")
    assert line["run_id"] == run.run_id and line["self"] == 1 and line["method_name"] == "m"
    assert "processor_error" not in line
