"""The run's bookkeeping locks survive re-entrance (signals, finalizers) and fork."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import orjson
import pytest

import agentlog
from agentlog import events
from agentlog.testing import capture
from tests.conftest import Captured

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
    events.run_started(task="signals")  # before the first signal: its lines are all in the run
    signal.setitimer(signal.ITIMER_REAL, 0.0005, 0.0005)
    for index in range(20000):
        events.tool_call("main", {"i": index})
        events.tool_result("main", latency_ms=1.0)
        if len(handled) >= 300:
            break
    signal.setitimer(signal.ITIMER_REAL, 0, 0)
    # A signal already delivered still runs its handler at the next bytecode, maybe inside
    # run_finished after the totals were taken: ignore it, so the totals the test checks are final.
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    events.run_finished()
    print(len(handled))
    """
)


def _assert_calls_whole(lines: list[dict[str, Any]]) -> None:
    """Each tool_call has its own ID and exactly one tool_result, of its tool and span; all counted."""
    calls = [line for line in lines if line["event"] == "tool_call"]
    results = [line for line in lines if line["event"] == "tool_result"]
    call_ids = Counter(line["tool_call_id"] for line in calls)
    assert call_ids == Counter(line["tool_call_id"] for line in results)
    assert set(call_ids.values()) == {1}
    results_by_id = {line["tool_call_id"]: line for line in results}
    for call in calls:
        result = results_by_id[call["tool_call_id"]]
        assert (result["tool"], result["span_id"]) == (call["tool"], call["span_id"])
    (finished,) = [line for line in lines if line["event"] == "run_finished"]
    assert finished["tool_calls"] == len(calls)


def test_signal_handler_logging_into_the_run_being_updated_never_deadlocks(tmp_path: Path) -> None:
    """Hundreds of signals logging typed events mid-update: the process finishes, every call is whole.

    Where a signal lands is up to timing; the tests below put the handler at each point in turn.
    """
    out = tmp_path / "signals.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", _SIGNALS, str(out)], capture_output=True, text=True, timeout=30, check=True
    )
    handled = int(done.stdout.split()[-1])
    assert handled > 0
    assert done.stderr == ""  # no problem reported: no result missed its call, no helper failed
    lines = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    _assert_calls_whole(lines)
    from_signal = [line for line in lines if line["event"] == "tool_call" and line["tool"] == "from_signal"]
    assert len(from_signal) == handled


def _from_signal() -> None:
    """What the signal handler above logs: a call of its own, opened and closed."""
    events.tool_call("from_signal", {"n": 1})
    events.tool_result("from_signal", latency_ms=0.1)


def test_a_signal_between_tool_call_and_tool_result_leaves_the_call_in_force(logs: Captured) -> None:
    """A handler's call opened and closed mid-call gives the call in force back: a result without ID finds it.

    It used to return to the step, so that of two calls of one tool the result could name neither.
    """
    events.run_started("t")
    events.agent_step("tool")
    first = events.tool_call("search", {"q": 1})
    second = events.tool_call("search", {"q": 2})
    _from_signal()  # where a signal handler runs, between the program's own calls
    assert agentlog.current().tool_call_id == second  # type: ignore[union-attr]
    events.tool_result("search", result=2)  # the call in force
    assert agentlog.current().tool_call_id == first  # type: ignore[union-attr]
    events.tool_result("search", result=1)
    events.run_finished()
    _assert_calls_whole(logs.lines())
    results = [(line["tool"], line["tool_call_id"]) for line in logs.events("tool_result")]
    assert results[1:] == [("search", second), ("search", first)]
    assert agentlog.problems() == {}


class _PopThenSignal(dict[str, Any]):
    """A run's open frames that run the handler right after *span_id* leaves them: a call mid-close."""

    def __init__(self, frames: dict[str, Any], span_id: str) -> None:
        super().__init__(frames)
        self.span_id = span_id
        self.fired = False

    def pop(self, key: str, *default: Any) -> Any:
        value = super().pop(key, *default)
        if key == self.span_id and not self.fired:
            self.fired = True
            _from_signal()
        return value


def test_a_signal_while_a_call_closes_opens_a_call_of_its_own(logs: Captured) -> None:
    """A handler running as the call in force leaves the open frames opens its own call, with its own ID.

    The call used to leave the open frames before its way back was recorded: the handler, finding
    its context neither open nor closed, took it for a tool_call block's and wrote its call under
    that call's ID, its result closing nothing.
    """
    events.run_started("t")
    call_id = events.tool_call("main", {})
    ctx = agentlog.current()
    assert ctx is not None and ctx.run_state is not None
    hooked = ctx.run_state.frames = _PopThenSignal(ctx.run_state.frames, ctx.span_id)
    events.tool_result("main", latency_ms=1.0)
    assert hooked.fired
    events.run_finished()
    lines = logs.lines()
    _assert_calls_whole(lines)
    (main, from_signal) = [line for line in lines if line["event"] == "tool_call"]
    assert main["tool_call_id"] == call_id != from_signal["tool_call_id"]
    assert agentlog.problems() == {}


_TRACED = tuple(
    str(Path(agentlog.__file__).parent / name)
    for name in ("events.py", "_events/frames.py", "_events/accounting.py", "_context/run_state.py")
)


class _SignalAt:
    """A trace function that runs *handler* at the *at*-th bytecode of agentlog's event bookkeeping.

    As a signal handler can run at any bytecode (a finalizer likewise, at an allocation). The
    handler runs inside the trace function, so untraced: it is interrupted nowhere itself.
    """

    def __init__(self, at: int, handler: Callable[[], None], files: tuple[str, ...] = _TRACED) -> None:
        self.at = at
        self.handler = handler
        self.files = files
        self.seen = 0

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename not in self.files:
            return None
        frame.f_trace_opcodes = True
        return self._opcode

    def _opcode(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "opcode":
            self.seen += 1
            if self.seen == self.at:
                self.handler()
        return self._opcode


def _interrupted_pairs() -> Iterator[tuple[int, list[dict[str, Any]], list[bool]]]:
    """A run whose tool_call/tool_result pair is interrupted at its 1st bytecode, then at its 2nd, and on.

    Yields the bytecode, the run's lines, and whether the call was in force after its tool_call
    and the run after its tool_result.
    """
    at = 0
    while True:
        at += 1
        signal_at = _SignalAt(at, _from_signal)
        with capture() as lines:
            events.run_started("t")
            events.tool_call("main", {"i": 0})  # so that the run has a closed call (live() looks)
            events.tool_result("main", latency_ms=1.0)
            run = agentlog.current()
            tracing = sys.gettrace()  # a coverage tool's, given back
            sys.settrace(signal_at)
            try:
                call_id = events.tool_call("main", {"i": 1})
                in_force = agentlog.current()
                events.tool_result("main", latency_ms=1.0)
            finally:
                sys.settrace(tracing)
            after = agentlog.current()
            events.run_finished()
        if signal_at.seen < at:
            return  # the pair ran to its end before the handler's turn: every bytecode was tried
        assert run is not None and in_force is not None and after is not None
        yield at, list(lines), [in_force.tool_call_id == call_id, after.span_id == run.span_id]


def test_a_signal_at_any_bytecode_of_a_call_leaves_it_and_its_own_call_whole(logs: Captured) -> None:
    """At every bytecode of tool_call and tool_result a handler opens and closes a call: nothing is lost.

    Each call keeps its ID, span and one result; every result is counted once; the interrupted
    call is in force after its tool_call, and the run after its tool_result; no problem reported.
    (Between reading a total and storing it, a handler's count used to be overwritten.)
    """
    tried = 0
    for at, lines, in_force in _interrupted_pairs():
        tried += 1
        try:
            _assert_calls_whole(lines)
            assert in_force == [True, True]
            assert agentlog.problems() == {}
        except AssertionError as exc:
            raise AssertionError(f"handler at bytecode {at}: {exc}") from exc
    assert tried > 200  # the pair was traced (a few hundred bytecodes)


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


_HOT_PATH = (
    *_TRACED,
    *(str(Path(agentlog.__file__).parent / name) for name in ("_events/emit.py", "_scopes/tool_calls.py")),
)


def _scoped_call_of_its_own() -> None:
    """What the handler below does: a tool call scope that returns, on the hot path."""
    with agentlog.tool_call("from_signal", {"n": 1}):
        pass


def test_a_signal_at_any_bytecode_of_the_hot_path_loses_no_count(logs: Captured) -> None:
    """At every bytecode of a scope's result and of events.tool_result in a scope, a handler runs a call.

    Results written without a record are counted under the run's lock with the
    same re-entrance rule as records: the run's ``tool_calls`` equals its
    ``tool_result`` lines, whichever bytecode the handler ran at.
    """
    at = 0
    while True:
        at += 1
        signal_at = _SignalAt(at, _scoped_call_of_its_own, _HOT_PATH)
        logs.path.unlink(missing_ok=True)
        with agentlog.run(task="t"), agentlog.step("tool"):
            tracing = sys.gettrace()
            sys.settrace(signal_at)
            try:
                with agentlog.tool_call("main", {"i": 1}):
                    events.tool_result("main", latency_ms=1.0)
            finally:
                sys.settrace(tracing)
        lines = logs.lines()
        results = [line for line in lines if line["event"] == "tool_result"]
        (finished,) = [line for line in lines if line["event"] == "run_finished"]
        try:
            assert finished["tool_calls"] == len(results) == 2 + (signal_at.seen >= at)
            assert agentlog.problems() == {}
        except AssertionError as exc:
            raise AssertionError(f"handler at bytecode {at}: {exc}") from exc
        if signal_at.seen < at:
            break
    assert at > 100
