"""Type aliases used across agentlog's public API."""

from __future__ import annotations

from typing import Literal, Union

from structlog.typing import EventDict, Processor, WrappedLogger

__all__ = ["CaptureMode", "EventDict", "Format", "Level", "Processor", "WrappedLogger"]

Format = Literal["json", "ecs", "datadog", "console"]
"""An output profile name."""

Level = Union[int, str]
"""A level name (``"debug"`` … ``"critical"``, any case) or a stdlib numeric level."""

CaptureMode = Literal["hash", "redacted", "full", "none"]
"""What is written of a payload: its hash, a redacted copy, a full copy (secrets
still replaced), or only its size."""
