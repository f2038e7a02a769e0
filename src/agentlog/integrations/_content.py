"""A framework's own log lines, kept under agentlog's capture policy.

Several frameworks log prompts, requests and tool inputs whole in their own
debug lines. In the ``hash`` and ``none`` capture modes a `ContentFilter` on
the framework's loggers writes a structured argument of such a line (a
mapping, list, tuple or pydantic object) as `WITHHELD`, and, for the loggers
that log content as text already built, the whole debug message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .. import _diagnostics
from .._settings import CONFIG

__all__ = ["WITHHELD", "ContentFilter"]

WITHHELD = "[content withheld: agentlog capture policy]"


def _withheld(value: Any) -> Any:
    if isinstance(value, (Mapping, list, tuple)) or callable(getattr(value, "model_dump", None)):
        return WITHHELD
    return value


class ContentFilter(logging.Filter):
    """Withholds content from the log lines of every logger named *root* or under it.

    Args:
        root: The framework's top logger name (``"strands"``).
        label: How a problem names a line of it (``"a Strands log line"``).
        text_loggers: Loggers whose debug lines carry content as text already
            built: their debug messages are withheld whole.
    """

    def __init__(self, root: str, label: str, text_loggers: str | None = None) -> None:
        super().__init__()
        self.root = root
        self.label = label
        self.text_loggers = text_loggers
        self.loggers: list[logging.Logger] = []
        self.seen = -1

    def filter(self, record: logging.LogRecord) -> bool:
        """Withhold the record's content (never drops the record, never raises)."""
        try:
            settings = CONFIG.settings
            if settings is not None and settings.capture.default in ("full", "redacted"):
                return True
            text = self.text_loggers
            if text is not None and record.levelno <= logging.DEBUG and record.name.startswith(text):
                record.msg, record.args = WITHHELD, None
                return True
            args = record.args
            if isinstance(args, Mapping):
                record.args = {name: _withheld(value) for name, value in args.items()}
            elif args:
                record.args = tuple(_withheld(value) for value in args)
        except Exception as exc:
            # An argument that cannot even be looked at is withheld with the rest: a marker, never a leak.
            record.msg, record.args = WITHHELD, None
            _diagnostics.report(f"{self.label} could not be checked", exc)
        return True

    def cover(self) -> None:
        """Put the filter on every logger of the framework (new ones appear as its modules load)."""
        known = logging.root.manager.loggerDict
        if len(known) == self.seen:
            return
        self.seen = len(known)
        for name, logger in list(known.items()):
            ours = name == self.root or name.startswith(self.root + ".")
            if ours and isinstance(logger, logging.Logger) and self not in logger.filters:
                logger.addFilter(self)
                self.loggers.append(logger)

    def uncover(self) -> None:
        """Take the filter off every logger it was put on."""
        for logger in self.loggers:
            logger.removeFilter(self)
        self.loggers = []
        self.seen = -1
