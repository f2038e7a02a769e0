"""Scopes as decorators: each call of the function runs in a fresh scope.

A run's task and a tool call's arguments default to the call's arguments,
read by parameter name with defaults filled in (so a call hashes the same
whether or not it spells them out) and a leading ``self``/``cls`` left out.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .scope import Scope

__all__ = ["Arguments", "decorate"]

_F = TypeVar("_F", bound=Callable[..., Any])

Arguments = Callable[[], dict[str, Any]]
"""Reads one call's arguments as {parameter: value}, when a scope wants them."""


def _argument_reader(fn: Callable[..., Any]) -> Callable[[tuple[Any, ...], dict[str, Any]], dict[str, Any]]:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        signature = None
    skip_first = bool(signature and next(iter(signature.parameters), None) in ("self", "cls"))

    def read(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if signature is None:
            return {"args": list(args), "kwargs": kwargs}
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return {"args": list(args), "kwargs": kwargs}
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        if skip_first:
            arguments.pop(next(iter(signature.parameters)), None)
        return arguments

    return read


def decorate(fn: _F, scope_for_call: Callable[[Arguments], Scope]) -> _F:
    """Wrap *fn* (sync or async) so each call runs in ``scope_for_call(its arguments)``."""
    read = _argument_reader(fn)
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def in_scope_async(*args: Any, **kwargs: Any) -> Any:
            async with scope_for_call(lambda: read(args, kwargs)) as scope:
                value = await fn(*args, **kwargs)
                scope._returned(value)
                return value

        return in_scope_async  # type: ignore[return-value]

    @functools.wraps(fn)
    def in_scope(*args: Any, **kwargs: Any) -> Any:
        with scope_for_call(lambda: read(args, kwargs)) as scope:
            value = fn(*args, **kwargs)
            scope._returned(value)
            return value

    return in_scope  # type: ignore[return-value]
