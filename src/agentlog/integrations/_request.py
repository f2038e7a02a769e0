"""A model request's parameters as a framework holds them: those that decide a replay, checked.

Frameworks keep a request's sampling settings in their own shapes (a
settings dict, a config object, span attributes), typed loosely or not at
all. The adapters read them out under their own names and pass them here:
only numbers of the right kind are kept, so a setting a framework left unset
(``None``) or one of a type agentlog cannot write is left out of
``llm_result`` rather than guessed at or mended. Nothing here raises.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .._events.checks import MAX_COUNT

__all__ = ["first_set", "request_parameters"]

_LARGEST_NUMBER = 1e15
"""A temperature or top_p beyond this is a mistake (as ``llm_result`` holds it), not a setting."""


def _integer(value: Any) -> int | None:
    # Types by type() and values by int's own method: a hostile object's
    # __class__ or __int__ may raise. bool is an int to Python, not to us.
    cls = type(value)
    if cls is bool or not issubclass(cls, int):
        return None
    number = int.__int__(value)
    return number if -MAX_COUNT <= number <= MAX_COUNT else None


def _count(value: Any) -> int | None:
    number = _integer(value)
    return number if number is not None and number >= 0 else None


def _number(value: Any) -> float | int | None:
    if issubclass(type(value), float):
        number = float.__float__(value)
        return number if math.isfinite(number) and abs(number) < _LARGEST_NUMBER else None
    return _integer(value)


def request_parameters(
    temperature: Any = None, max_tokens: Any = None, top_p: Any = None, seed: Any = None
) -> dict[str, Any]:
    """The parameters given that are numbers of the right kind, by their ``llm_result`` field names.

    ``temperature`` and ``top_p`` must be finite ints or floats, ``max_tokens``
    a non-negative int and ``seed`` an int (never a bool, a numeric string
    or a float for an int); anything else, ``None`` included, is left out.

    Args:
        temperature: The sampling temperature the request asked for.
        max_tokens: The most output tokens the request allowed.
        top_p: The nucleus sampling probability the request asked for.
        seed: The sampling seed the request gave.
    """
    checked = {
        "temperature": _number(temperature),
        "max_tokens": _count(max_tokens),
        "top_p": _number(top_p),
        "seed": _integer(seed),
    }
    return {name: value for name, value in checked.items() if value is not None}


def first_set(sources: Sequence[Any], max_tokens: Sequence[str]) -> dict[str, Any]:
    """Each parameter as the first of *sources* that sets it (not None) gives it, unchecked.

    A framework merges a request's settings from several places (the call's
    keyword arguments over the model's, say): *sources* come in that order,
    mappings read by key and other objects by attribute. *max_tokens* names
    what the framework's models call the output token limit, in the order
    they are looked for.
    """

    def first(names: Sequence[str]) -> Any:
        for source in sources:
            for name in names:
                value = source.get(name) if isinstance(source, Mapping) else getattr(source, name, None)
                if value is not None:
                    return value
        return None

    return {
        "temperature": first(("temperature",)),
        "max_tokens": first(max_tokens),
        "top_p": first(("top_p",)),
        "seed": first(("seed",)),
    }
