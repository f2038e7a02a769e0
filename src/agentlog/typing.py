"""Type aliases used across agentlog's public API."""

from __future__ import annotations

from typing import Literal, Union

from structlog.typing import EventDict, Processor, WrappedLogger

__all__ = ["EventDict", "Format", "Level", "Processor", "WrappedLogger"]

Format = Literal["json", "console"]
"""An output profile name."""

Level = Union[int, str]
"""A level name (``"debug"`` … ``"critical"``, any case) or a stdlib numeric level."""
