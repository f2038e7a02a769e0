"""Real boundaries: threads, asyncio, an HTTP server on 127.0.0.1, a subprocess, spawn."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest

import agentlog
from agentlog import propagation
from tests.conftest import Captured


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in path.read_bytes().splitlines()]


def test_wrap_carries_the_run_into_a_thread(logs: Captured) -> None:
    """A wrapped callable in a plain thread logs with the run's IDs and counts toward it."""

    def tool_in_thread() -> None:
        with agentlog.tool_call("slow", {}):
            agentlog.get_logger().info("in thread")

    with agentlog.run() as run:
        thread = threading.Thread(target=propagation.wrap(tool_in_thread))
        thread.start()
        thread.join()
    assert logs.one("in thread")["run_id"] == run.run_id
    assert logs.one("run_finished")["tool_calls"] == 1


def test_plain_thread_does_not_inherit(logs: Captured) -> None:
    """Without wrap, a thread starts with no run (what wrap fixes)."""
    seen: list[object] = []
    with agentlog.run():
        thread = threading.Thread(target=lambda: seen.append(agentlog.current()))
        thread.start()
        thread.join()
    assert seen == [None]


def test_wrapped_callable_can_run_in_many_threads_at_once(logs: Captured) -> None:
    """One wrapped callable used by 8 threads concurrently: no 'context already entered'."""
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        agentlog.events.tool_result("t", latency_ms=1.0)

    with agentlog.run():
        wrapped = propagation.wrap(work)
        threads = [threading.Thread(target=wrapped) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert logs.one("run_finished")["tool_calls"] == 8


def test_thread_pool_executor_keeps_each_submitters_run(logs: Captured) -> None:
    """Tasks from two runs in one pool: each task has its own run's IDs and counts."""
    with propagation.ThreadPoolExecutor(max_workers=4) as pool:

        def tool(i: int) -> str:
            with agentlog.tool_call("lookup", {"i": i}):
                ctx = agentlog.current()
                assert ctx is not None
                return ctx.run_id

        with agentlog.run() as first:
            first_ids = list(pool.map(tool, range(20)))
        with agentlog.run() as second:
            second_ids = [f.result() for f in [pool.submit(tool, i) for i in range(5)]]
    assert set(first_ids) == {first.run_id}
    assert set(second_ids) == {second.run_id}
    totals = {line["run_id"]: line["tool_calls"] for line in logs.events("run_finished")}
    assert totals == {first.run_id: 20, second.run_id: 5}


def test_asyncio_to_thread_propagates_but_run_in_executor_needs_wrap(logs: Captured) -> None:
    """to_thread copies the context; run_in_executor does not unless the callable is wrapped."""

    async def main() -> tuple[object, object, object]:
        with agentlog.run():
            loop = asyncio.get_running_loop()
            via_to_thread = await asyncio.to_thread(agentlog.current)
            plain = await loop.run_in_executor(None, agentlog.current)
            wrapped = await loop.run_in_executor(None, propagation.wrap(agentlog.current))
            return via_to_thread, plain, wrapped

    via_to_thread, plain, wrapped = asyncio.run(main())
    assert via_to_thread is not None
    assert plain is None
    assert wrapped is not None


class _Callee(BaseHTTPRequestHandler):
    """A service that continues the caller's run as a child run."""

    def do_POST(self) -> None:
        parent = propagation.extract(self.headers)
        with agentlog.run(parent=parent, task=self.path) as run:
            agentlog.get_logger("callee").info("handling", path=self.path)
            body = json.dumps({"run_id": run.run_id}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture
def callee() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Callee)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_http_call_continues_the_run_as_a_child(logs: Captured, callee: str) -> None:
    """Caller injects, a real server on 127.0.0.1 extracts: one trace, parent run and span linked."""
    with agentlog.run(session_id="conv-7") as caller, agentlog.tool_call("remote_search", {"q": 1}) as call:
        request = urllib.request.Request(f"{callee}/search", data=b"{}", headers=propagation.headers())
        with urllib.request.urlopen(request, timeout=10) as response:
            callee_run = json.loads(response.read())["run_id"]
    started = next(x for x in logs.events("run_started") if x["run_id"] == callee_run)
    assert started["trace_id"] == caller.trace_id
    assert started["parent_run_id"] == caller.run_id
    assert started["parent_span_id"] == call.span_id
    assert started["session_id"] == "conv-7"
    handling = logs.one("handling")
    assert handling["run_id"] == callee_run
    assert handling["trace_id"] == caller.trace_id


def test_http_call_without_headers_starts_a_fresh_trace(logs: Captured, callee: str) -> None:
    """A caller that sends nothing gets a callee run on a new trace, no exception."""
    request = urllib.request.Request(f"{callee}/plain", data=b"{}", headers={"traceparent": "junk"})
    with urllib.request.urlopen(request, timeout=10) as response:
        callee_run = json.loads(response.read())["run_id"]
    started = next(x for x in logs.events("run_started") if x["run_id"] == callee_run)
    assert "parent_run_id" not in started


_CHILD = """
import os, sys, agentlog
from agentlog import propagation
agentlog.configure(output=sys.argv[1], service="child")
with agentlog.run(parent=propagation.extract(os.environ), task="child work"):
    with agentlog.step("tool"), agentlog.tool_call("local", {}):
        agentlog.get_logger().info("child working")
"""


def test_subprocess_continues_the_run(tmp_path: Path) -> None:
    """A real child process given subprocess_env() writes lines on the parent's trace."""
    path = tmp_path / "both.jsonl"
    agentlog.configure(output=path, service="parent")
    with agentlog.run() as parent, agentlog.step("spawn") as step:
        subprocess.run(
            [sys.executable, "-c", _CHILD, str(path)], env=propagation.subprocess_env(), check=True
        )
    lines = _lines(path)
    child = next(x for x in lines if x["event"] == "run_started" and x["service"] == "child")
    assert child["trace_id"] == parent.trace_id
    assert child["parent_run_id"] == parent.run_id
    assert child["parent_span_id"] == step.span_id
    working = next(x for x in lines if x["event"] == "child working")
    assert working["run_id"] == child["run_id"]


def _spawned(path: str, carrier: dict[str, str]) -> None:
    agentlog.configure(output=path, service="spawned", stdlib=False)
    with agentlog.run(parent=propagation.extract(carrier)):
        agentlog.get_logger().info("spawned working", pid=os.getpid())


def test_multiprocessing_spawn_continues_the_run(tmp_path: Path) -> None:
    """A spawned process given the carrier dict continues the trace as a child run."""
    path = tmp_path / "spawn.jsonl"
    agentlog.configure(output=path)
    with agentlog.run() as parent:
        process = multiprocessing.get_context("spawn").Process(
            target=_spawned, args=(str(path), propagation.headers())
        )
        process.start()
        process.join(60)
    assert process.exitcode == 0
    line = next(x for x in _lines(path) if x["event"] == "spawned working")
    assert line["trace_id"] == parent.trace_id
    assert line["parent_run_id"] == parent.run_id
