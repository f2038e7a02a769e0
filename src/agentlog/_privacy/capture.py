"""The capture policy: what of arguments, results, prompts and completions is written.

=========  =====================================================================
mode       written for a value named ``x`` (``args``, ``result``, ``task`` …)
=========  =====================================================================
hash       ``x_hash``, ``x_size`` (the default)
redacted   ``x_hash``, ``x_size``, ``x`` with secrets *and* emails and phone
           numbers replaced, capped at the capture limit
full       ``x_hash``, ``x_size``, ``x`` with secrets replaced (credentials are
           never written), capped at the capture limit
none       ``x_size`` only (``x_hash`` is null)
=========  =====================================================================

``x_size`` is the size in bytes of the value's canonical JSON; a capped value
is cut at the limit, ends with a truncation marker, and ``x_truncated`` is
true. Only what can be written is scanned: the limit and a margin, whether the
value is one long string or a large nested structure (its walk stops there).

In every mode, values under secret key names are remembered, so that a line
echoing them later is scrubbed; in ``hash`` and ``none`` modes, a tool call's
argument strings (and their URL- and JSON-encoded forms) are remembered too,
since they are never written (see `secret_memory`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from .._serialize import canonical_json, truncate_utf8
from .hashing import Hasher, without_secrets
from .redactor import CUT_MARGIN, Redactor
from .secret_memory import remember_all, remember_arguments

__all__ = ["CAPTURE_MODES", "CapturePolicy", "captured"]

CAPTURE_MODES: tuple[str, ...] = ("hash", "redacted", "full", "none")
DEFAULT_LIMIT = 4096


def _check_mode(mode: object, where: str) -> str:
    if mode not in CAPTURE_MODES:
        raise ValueError(f"unknown capture mode {mode!r} for {where}; use one of {', '.join(CAPTURE_MODES)}")
    return str(mode)


class CapturePolicy:
    """Which capture mode applies where.

    Args:
        capture: A mode for everything, or a mapping of tool names to modes
            where the key ``"*"`` gives the mode for everything else (tasks,
            prompts, completions, unnamed tools).
        limit: The most bytes of a captured value written.

    Raises:
        ValueError: an unknown mode, or a limit below 64.
    """

    __slots__ = ("default", "limit", "per_tool")

    def __init__(self, capture: str | Mapping[str, str] = "hash", limit: int = DEFAULT_LIMIT) -> None:
        if isinstance(capture, str):
            self.default = _check_mode(capture, "capture")
            self.per_tool: dict[str, str] = {}
        else:
            modes = dict(capture)
            self.default = _check_mode(modes.pop("*", "hash"), "'*'")
            self.per_tool = {tool: _check_mode(mode, repr(tool)) for tool, mode in modes.items()}
        if not isinstance(limit, int) or limit < 64:
            raise ValueError(f"capture_limit must be an int of at least 64 bytes, not {limit!r}")
        self.limit = limit

    def mode_for(self, tool: str | None) -> str:
        """Return the mode for *tool* (the default mode when None)."""
        if tool is None or not self.per_tool:
            return self.default
        return self.per_tool.get(tool, self.default)


def _remember_payload_secret(value: Any, kind: str) -> None:
    remember_all(value, kind, tier="payload")


def captured(
    name: str,
    value: Any,
    mode: str,
    hasher: Hasher,
    redactor: Redactor,
    limit: int,
) -> dict[str, Any]:
    """Return the fields that describe *value* under *mode* (see module docs)."""
    # Secret-keyed values never enter a hash, and are remembered (in every mode) so that an
    # error message or a library's line echoing them later is scrubbed.
    data = canonical_json(without_secrets(value, redactor.key_kind, _remember_payload_secret))
    if name == "args" and (mode == "hash" or mode == "none"):
        # Arguments never written are not written when a library echoes them either.
        remember_arguments(value, redactor.key_kind, data)
    if mode == "none":
        # The hash field stays (null), so the event keeps its schema.
        return {f"{name}_hash": None, f"{name}_size": len(data)}
    fields: dict[str, Any] = {f"{name}_hash": hasher.hash_bytes(data), f"{name}_size": len(data)}
    if mode == "hash":
        return fields
    # Only what can be written is scanned: the limit and a margin, of a string or of a
    # nested value (its walk stops there), so a 17 MB result costs what 4 KiB does.
    budget = limit + CUT_MARGIN
    clean = redactor.scrub(value, pii=mode == "redacted", max_chars=budget, budget=budget)
    if isinstance(clean, str):
        text = clean
        if len(text.encode("utf-8")) <= limit:
            fields[name] = text
            return fields
    else:
        text = orjson.dumps(clean, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
        if len(text.encode("utf-8")) <= limit:
            fields[name] = clean
            return fields
    fields[name] = truncate_utf8(text, limit)
    fields[f"{name}_truncated"] = True
    return fields
