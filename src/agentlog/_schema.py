"""The published JSON Schema of agentlog's lines."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = ["SCHEMA_VERSION", "event_schema"]

SCHEMA_VERSION = 1
"""The version of the line format; bumped on any incompatible change."""


def event_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) that every ``json`` line satisfies.

    The file ships in the package as ``agentlog/schema/events.v1.json``.
    """
    text = resources.files("agentlog").joinpath(f"schema/events.v{SCHEMA_VERSION}.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
