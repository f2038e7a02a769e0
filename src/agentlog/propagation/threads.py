"""Threads and executors: work submitted from a run keeps its IDs and counts toward it.

Context variables do not follow a callable into a thread pool; `wrap` binds a
callable to the caller's context, and `ThreadPoolExecutor` does so for every
task submitted to it.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["ThreadPoolExecutor", "wrap"]

_T = TypeVar("_T")


def wrap(fn: Callable[..., _T]) -> Callable[..., _T]:
    """Return *fn* bound to the caller's context, for threads and executors.

    The context (the IDs in force, and any other context variables) is taken
    now; each call runs in its own copy of it, so the wrapped callable may run
    in several threads at once. Work done through it keeps the run's IDs and
    counts toward the run's totals.

    Args:
        fn: Any callable.
    """
    captured = contextvars.copy_context()

    @functools.wraps(fn)
    def in_context(*args: Any, **kwargs: Any) -> _T:
        return captured.copy().run(fn, *args, **kwargs)

    return in_context


class ThreadPoolExecutor(concurrent.futures.ThreadPoolExecutor):
    """A drop-in ``ThreadPoolExecutor`` whose tasks run in the submitter's context.

    Each ``submit`` (and so each item of ``map``) takes the context of the
    code that submits it, so a tool executed in a worker thread logs with its
    run's IDs and counts toward that run.
    """

    def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[_T]:
        """Schedule ``fn(*args, **kwargs)`` in the caller's context."""
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)
