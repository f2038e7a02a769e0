"""One settings value: configure() builds and installs it whole; reset() undoes everything."""

from __future__ import annotations

import dataclasses
import io
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

import agentlog
from agentlog import _config, _settings, events
from agentlog._privacy.secret_memory import MEMORY


def test_configure_installs_one_frozen_value(tmp_path: Path) -> None:
    """configure() installs a Settings that cannot be changed afterwards."""
    agentlog.configure(output=tmp_path / "a.jsonl", level="warning", service="svc")
    settings = _settings.CONFIG.settings
    assert settings is not None
    assert settings.min_level == 30
    assert dict(settings.static) == {"service": "svc"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.min_level = 10  # type: ignore[misc]


def test_reconfiguring_replaces_the_value_and_leaves_the_old_one_alone(tmp_path: Path) -> None:
    """A second configure() installs a new value; one taken earlier still describes the first."""
    agentlog.configure(output=tmp_path / "a.jsonl", format="json")
    first = _settings.current()
    agentlog.configure(output=tmp_path / "b.jsonl", format="ecs")
    second = _settings.current()
    assert second is not first
    assert (first.profile.name, second.profile.name) == ("json", "ecs")


def test_before_configure_the_defaults_are_used_and_nothing_is_installed() -> None:
    """Unconfigured, nothing is installed and readers get JSON to stdout at level info."""
    assert _settings.CONFIG.settings is None
    defaults = _settings.current()
    assert (defaults.profile.name, defaults.min_level, dict(defaults.static)) == ("json", 20, {})


def test_reset_forgets_configuration_secrets_and_problems(tmp_path: Path) -> None:
    """One reset() undoes configure, the remembered secrets and the problem counts."""
    agentlog.configure(output=tmp_path / "a.jsonl")
    agentlog.get_logger().info("login", password="correct-horse-battery")
    agentlog._diagnostics.report("a test problem")
    assert MEMORY.snapshot and agentlog.problems()
    _config.reset()
    assert _settings.CONFIG.settings is None
    assert not MEMORY.snapshot
    assert agentlog.problems() == {}


def _key_id(line: dict[str, object]) -> str:
    return str(line["args_hash"]).split(":")[1]


def test_a_line_never_mixes_two_configurations(tmp_path: Path) -> None:
    """While threads write, reconfiguring between two outputs and keys never crosses them.

    Each configuration hashes with its own key and writes to its own file, so a
    line hashed under one and written by the other would show up as a foreign
    key id in a file.
    """
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    configurations = [
        {"output": first, "hash_key": "first-key", "level": "debug"},
        {"output": second, "hash_key": "second-key", "level": "info"},
    ]
    agentlog.configure(**configurations[0])  # type: ignore[arg-type]
    stop = threading.Event()

    def write() -> None:
        with agentlog.run():
            while not stop.is_set():
                events.tool_call("search", {"q": 1})
                with agentlog.tool_call("search", {"q": 2}):
                    pass

    threads = [threading.Thread(target=write) for _ in range(3)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 1.0
    round_ = 0
    while time.monotonic() < deadline:
        round_ += 1
        agentlog.configure(**configurations[round_ % 2])  # type: ignore[arg-type]
        time.sleep(0.001)  # let the writers write under this configuration
    stop.set()
    for thread in threads:
        thread.join()
    key_ids = {}
    for path in (first, second):
        lines = [orjson.loads(raw) for raw in path.read_bytes().splitlines()]
        key_ids[path] = {_key_id(line) for line in lines if line["event"] == "tool_call"}
    assert len(key_ids[first]) == 1
    assert len(key_ids[second]) == 1
    assert key_ids[first] != key_ids[second]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"processors": "abc"}, "processors must be a list of structlog processors, not str"),
        ({"processors": [1, "x"]}, "processors must be callables"),
        ({"service": ["a", {"b": 1}]}, "service must be a string or None, not list"),
        ({"version": 1.2}, "version must be a string or None, not float"),
    ],
)
def test_misshapen_arguments_raise_at_configure(arguments: dict[str, Any], message: str) -> None:
    """configure() is where agentlog raises: a wrong type is a TypeError naming it; nothing installed."""
    with pytest.raises(TypeError, match=message):
        agentlog.configure(output=io.BytesIO(), **arguments)
    assert _settings.CONFIG.settings is None


def test_the_format_is_named_in_any_case() -> None:
    """format="JSON" is the json profile, as level="WARNING" is the warning level."""
    out = io.BytesIO()
    agentlog.configure(output=out, format="ECS", level="WARNING")  # type: ignore[arg-type]
    agentlog.get_logger().warning("x")
    assert b'"ecs.version"' in out.getvalue()
