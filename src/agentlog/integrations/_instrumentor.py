"""The one protocol every framework adapter follows: ``instrument()`` once, ``uninstrument()`` to undo.

An adapter module makes one `Instrumentor` subclass and exposes its bound
``instrument`` / ``uninstrument``. Installing is idempotent and guarded by
a lock; a framework that is not installed gives an `ImportError` naming the
extra to install; every hook an adapter gives the framework runs under
`guarded`, so a failure inside agentlog is counted and the agent goes on.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

from .. import _diagnostics

__all__ = ["Instrumentor", "guarded", "require"]

_F = TypeVar("_F", bound=Callable[..., Any])


def require(module: str, extra: str) -> ModuleType:
    """Import a framework's module, or raise an `ImportError` saying which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"agentlog.integrations.{extra} needs {module!r}: install agentlog with its "
            f"{extra!r} extra (pip install '.[{extra}]' from a checkout)"
        ) from exc


def guarded(framework: str, default: Any = None) -> Callable[[_F], _F]:
    """Run a hook so that a failure inside agentlog is counted, never raised into the framework."""

    def decorate(hook: _F) -> _F:
        @functools.wraps(hook)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return hook(*args, **kwargs)
            except Exception as exc:
                _diagnostics.report(f"{framework} adapter failed in {hook.__name__}", exc)
                return default

        return wrapper  # type: ignore[return-value]

    return decorate


class Instrumentor:
    """Installs an adapter's hooks in a framework, once; removes them again.

    Subclasses set `framework` and implement `_install` and `_remove`.
    """

    framework: str = ""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._installed = False

    @property
    def installed(self) -> bool:
        """Whether the hooks are in place."""
        return self._installed

    def instrument(self, **options: Any) -> None:
        """Install the hooks; a second call does nothing."""
        with self._lock:
            if self._installed:
                return
            self._install(**options)
            self._installed = True

    def uninstrument(self) -> None:
        """Remove the hooks; the framework runs as it did before `instrument`."""
        with self._lock:
            if not self._installed:
                return
            self._installed = False
            self._remove()

    def _install(self, **options: Any) -> None:
        raise NotImplementedError

    def _remove(self) -> None:
        raise NotImplementedError
