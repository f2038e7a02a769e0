"""Rotation: a renamed or deleted log file is followed from the next line; copytruncate leaves no hole."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson

import agentlog
from tests.output.helpers import TIMEOUT, parse_lines


def _events(path: Path) -> list[str]:
    return [line["event"] for line in parse_lines(path.read_bytes())] if path.exists() else []


def test_line_right_after_a_rename_goes_to_the_new_file(tmp_path: Path) -> None:
    """A rename (logrotate): the very next line is written to a new file at the configured path."""
    path = tmp_path / "agent.jsonl"
    agentlog.configure(output=path, stdlib=False)
    log = agentlog.get_logger()
    log.info("before")
    path.rename(tmp_path / "agent.jsonl.1")
    log.info("after")
    log.info("later")
    assert _events(tmp_path / "agent.jsonl.1") == ["before"]
    assert _events(path) == ["after", "later"]
    assert agentlog.problems() == {}


def test_deleted_file_is_created_again(tmp_path: Path) -> None:
    """A log file deleted from under the writer is recreated by the next line, not written into the void."""
    path = tmp_path / "agent.jsonl"
    agentlog.configure(output=path, stdlib=False)
    agentlog.get_logger().info("before")
    path.unlink()
    agentlog.get_logger().info("after")
    assert _events(path) == ["after"]


def test_copytruncate_leaves_no_hole_and_no_glued_line(tmp_path: Path) -> None:
    """copytruncate: the next line starts the emptied file, with no NUL bytes before it."""
    path = tmp_path / "agent.jsonl"
    agentlog.configure(output=path, stdlib=False)
    log = agentlog.get_logger()
    for i in range(50):
        log.info("before", i=i, pad="b" * 500)
    shutil.copyfile(path, tmp_path / "agent.jsonl.1")
    os.truncate(path, 0)
    log.info("after")
    data = path.read_bytes()
    assert b"\0" not in data
    assert [line["event"] for line in parse_lines(data)] == ["after"]
    assert len(parse_lines((tmp_path / "agent.jsonl.1").read_bytes())) == 50


def test_failed_reopen_is_counted_and_lines_go_on_to_the_old_file(tmp_path: Path) -> None:
    """When the path cannot be opened again (here a directory took its place), lines stay in the old file."""
    path = tmp_path / "agent.jsonl"
    agentlog.configure(output=path, stdlib=False)
    log = agentlog.get_logger()
    log.info("before")
    path.rename(tmp_path / "agent.jsonl.1")
    path.mkdir()
    log.info("after")
    assert _events(tmp_path / "agent.jsonl.1") == ["before", "after"]
    assert agentlog.problems() == {"output file reopen failed, line written to the old file": 1}
    path.rmdir()
    log.info("back")
    assert _events(path) == ["back"]


def test_rotations_under_threads_lose_no_line(tmp_path: Path) -> None:
    """Eight threads logging through repeated renames: every line whole, each in exactly one file."""
    path = tmp_path / "agent.jsonl"
    agentlog.configure(output=path, stdlib=False)
    log = agentlog.get_logger()

    def work(index: int) -> None:
        for i in range(1500):
            log.info("line", index=index, i=i)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    rotation = 0
    while any(thread.is_alive() for thread in threads):
        time.sleep(0.005)
        if path.exists():
            path.rename(tmp_path / f"agent.jsonl.{rotation}")
            rotation += 1
    assert rotation > 1
    seen = [
        (line["index"], line["i"]) for file in tmp_path.iterdir() for line in parse_lines(file.read_bytes())
    ]
    assert sorted(seen) == [(n, i) for n in range(8) for i in range(1500)]
    assert agentlog.problems() == {}


ROTATED_APPENDER = r"""
import sys
import agentlog
agentlog.configure(output=sys.argv[1], stdlib=False)
log = agentlog.get_logger()
for i in range(3000):
    log.info("line", index=int(sys.argv[2]), i=i, pad="p" * 300)
"""


def test_rotations_under_processes_lose_no_line(tmp_path: Path) -> None:
    """Three processes appending through renames: every line whole, each in exactly one file."""
    path = tmp_path / "agent.jsonl"
    children = [
        subprocess.Popen([sys.executable, "-c", ROTATED_APPENDER, str(path), str(n)]) for n in range(3)
    ]
    rotation = 0
    while any(child.poll() is None for child in children):
        time.sleep(0.02)
        if path.exists():
            path.rename(tmp_path / f"agent.jsonl.{rotation}")
            rotation += 1
    for child in children:
        assert child.wait(TIMEOUT) == 0
    seen = sorted(
        (line["index"], line["i"]) for file in tmp_path.iterdir() for line in parse_lines(file.read_bytes())
    )
    assert seen == [(n, i) for n in range(3) for i in range(3000)]
    assert rotation > 1


def test_path_reached_through_a_symlink_is_followed_when_the_link_moves(tmp_path: Path) -> None:
    """The path is what is watched: pointing a symlink at another file moves the next line there."""
    (tmp_path / "a.jsonl").touch()
    link = tmp_path / "current.jsonl"
    link.symlink_to(tmp_path / "a.jsonl")
    agentlog.configure(output=link, stdlib=False)
    agentlog.get_logger().info("to_a")
    link.unlink()
    link.symlink_to(tmp_path / "b.jsonl")
    agentlog.get_logger().info("to_b")
    assert _events(tmp_path / "a.jsonl") == ["to_a"]
    assert [orjson.loads(x)["event"] for x in (tmp_path / "b.jsonl").read_bytes().splitlines()] == ["to_b"]
