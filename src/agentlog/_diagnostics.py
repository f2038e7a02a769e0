"""Counting agentlog's own failures without ever raising them.

A failure inside agentlog (an output that cannot be written, a user callback
that throws) must not reach the agent, and must not vanish either. Each kind
of problem is counted and reported once on the interpreter's original stderr;
the report names the exception class only, never its message, which could
hold the very secret being logged.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import Counter

__all__ = ["notice", "problems", "report"]

# Re-entrant: a signal handler or a finalizer that logs may report a problem
# while this thread is already counting one.
_lock = threading.RLock()
_counts: Counter[str] = Counter()
_noticed: set[str] = set()


def _fresh_lock_after_fork() -> None:
    # Another thread may have held the lock when the process forked; in the
    # child that thread does not exist and would never release it.
    global _lock
    _lock = threading.RLock()


os.register_at_fork(after_in_child=_fresh_lock_after_fork)


def _say(text: str) -> None:
    stream = sys.__stderr__
    if stream is None:
        return
    try:
        stream.write(f"agentlog: {text}\n")
        stream.flush()
    except Exception:  # noqa: S110 - nowhere left to report to
        pass


def notice(message: str) -> None:
    """Say *message* once on stderr: something agentlog did on the user's behalf (not a problem)."""
    with _lock:
        if message in _noticed:
            return
        _noticed.add(message)
    _say(message)


def report(problem: str, exc: BaseException | None = None) -> None:
    """Count one occurrence of *problem*; print a notice on the first one.

    Args:
        problem: A short, stable name such as ``"write failed"``.
        exc: The exception behind it, if any (only its class is printed).
    """
    with _lock:
        _counts[problem] += 1
        first = _counts[problem] == 1
    if not first:
        return
    detail = f" ({type(exc).__name__})" if exc is not None else ""
    _say(f"{problem}{detail}; later occurrences are counted, see agentlog.problems()")


def problems() -> dict[str, int]:
    """Return how often each kind of internal problem has happened.

    An empty dict means agentlog has written every line it was given.
    """
    with _lock:
        return dict(_counts)


def clear() -> None:
    """Forget all counts and notices (for tests)."""
    with _lock:
        _counts.clear()
        _noticed.clear()
