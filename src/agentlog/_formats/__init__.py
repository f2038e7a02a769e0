"""Output profiles: how a flat line becomes output bytes.

A profile is a field mapping plus a serializer. Every profile receives the
same flat line (the ``json`` profile's fields) and may rename or regroup its
fields before it is serialized, so adding a backend's format never forks the
code that builds lines. Reading any profile back is the explorer's job
(`agentlog._explorer.profiles`); both sides take the field names from
`agentlog._vocabulary`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .._serialize import dumps_line
from .console import render_console
from .datadog import to_datadog
from .ecs import to_ecs

__all__ = ["PROFILES", "Profile", "profile_named"]


class Profile(NamedTuple):
    """How a flat line becomes output bytes."""

    name: str
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None
    serialize: Callable[[dict[str, Any]], bytes]


PROFILES: dict[str, Profile] = {
    "json": Profile("json", None, dumps_line),
    "console": Profile("console", None, render_console),
    "ecs": Profile("ecs", to_ecs, dumps_line),
    "datadog": Profile("datadog", to_datadog, dumps_line),
}


def profile_named(format: str) -> Profile:  # noqa: A002 - configure()'s name for it
    """The profile called *format* (any case).

    Raises:
        ValueError: there is no such profile.
    """
    profile = PROFILES.get(format.strip().lower()) if isinstance(format, str) else None
    if profile is None:
        raise ValueError(f"unknown format {format!r}; use one of {', '.join(PROFILES)}")
    return profile
