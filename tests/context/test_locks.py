"""The run's bookkeeping locks survive re-entrance (signals, finalizers) and fork."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest

_SIGNALS = textwrap.dedent(
    """
    import signal, sys
    import agentlog
    from agentlog import events

    agentlog.configure(output=sys.argv[1])
    handled = []

    def on_alarm(signum, frame):
        # Logs into the run the main thread is updating, from inside its updates.
        events.tool_call("from_signal", {"n": len(handled)})
        events.tool_result("from_signal", latency_ms=0.1)
        handled.append(1)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 0.0005, 0.0005)
    events.run_started(task="signals")
    for index in range(20000):
        events.tool_call("main", {"i": index})
        events.tool_result("main", latency_ms=1.0)
        if len(handled) >= 300:
            break
    signal.setitimer(signal.ITIMER_REAL, 0, 0)
    events.run_finished()
    print(len(handled))
    """
)


def test_signal_handler_logging_into_the_run_being_updated_never_deadlocks(tmp_path: Path) -> None:
    """Hundreds of signals logging typed events mid-update: the process finishes and totals are exact."""
    out = tmp_path / "signals.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", _SIGNALS, str(out)], capture_output=True, text=True, timeout=30, check=True
    )
    handled = int(done.stdout.split()[-1])
    assert handled > 0
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    calls = [line for line in lines if line["event"] == "tool_call"]
    finished = [line for line in lines if line["event"] == "run_finished"]
    assert len(finished) == 1
    assert finished[0]["tool_calls"] == len(calls)
    assert sum(1 for line in calls if line["tool"] == "from_signal") == handled


_FINALIZER = textwrap.dedent(
    """
    import gc, sys
    import agentlog
    from agentlog import events

    agentlog.configure(output=sys.argv[1])
    finalized = []

    class Noisy:
        def __init__(self):
            self.cycle = self

        def __del__(self):
            events.agent_step("from_finalizer")
            finalized.append(1)

    gc.set_threshold(1, 1, 1)  # the collector runs inside agentlog's own allocations
    events.run_started(task="gc")
    for index in range(3000):
        Noisy()
        events.agent_step("main")
    gc.collect()
    events.run_finished()
    print(len(finalized))
    """
)


def test_finalizer_logging_during_garbage_collection_never_deadlocks(tmp_path: Path) -> None:
    """A ``__del__`` that logs, run by the collector inside agentlog's calls, completes and is counted."""
    out = tmp_path / "gc.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", _FINALIZER, str(out)], capture_output=True, text=True, timeout=30, check=True
    )
    finalized = int(done.stdout.split()[-1])
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    steps = [line for line in lines if line["event"] == "agent_step"]
    assert len(steps) == 3000 + finalized
    assert lines[-1]["event"] == "run_finished"
    assert lines[-1]["total_steps"] == len(steps)


_FORK = textwrap.dedent(
    """
    import os, sys, threading, time
    import agentlog
    from agentlog import _diagnostics, events
    from agentlog._events import frames

    agentlog.configure(output=sys.argv[1])
    with agentlog.run(task="fork") as run:
        state = agentlog.current().run_state
        held = threading.Event()

        def hold_every_lock():
            with state.lock, _diagnostics._lock, frames._open_runs_lock:
                held.set()
                time.sleep(2)

        threading.Thread(target=hold_every_lock, daemon=True).start()
        held.wait()
        pid = os.fork()
        if pid == 0:
            events.agent_step("in_child")
            with agentlog.tool_call("child_tool", {"a": 1}):
                pass
            agentlog.events.run_started(task="grandchild")
            agentlog.events.run_finished()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        print(status)
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_child_forked_while_another_thread_holds_the_locks_can_log(tmp_path: Path) -> None:
    """A child forked while another thread holds the run's and agentlog's locks logs without hanging."""
    out = tmp_path / "fork.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", _FORK, str(out)], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.split()[-1] == "0"
    events = [orjson.loads(line)["event"] for line in out.read_bytes().splitlines()]
    assert "agent_step" in events
    assert events.count("tool_result") == 1
