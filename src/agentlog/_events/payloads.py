"""Payloads (tasks, arguments, results, prompts, completions) under the capture policy in force."""

from __future__ import annotations

from typing import Any

from .. import _diagnostics
from .._privacy.capture import CAPTURE_MODES, captured
from .._serialize import safe_str
from .._settings import Settings, defaults

__all__ = ["MISSING", "capture_payload", "llm_payloads"]


class _Missing:
    def __repr__(self) -> str:
        return "<not given>"


MISSING: Any = _Missing()
"""Marks a payload (result, prompt, completion) that was not given."""


def capture_payload(
    settings: Settings | None, name: str, value: Any, tool: str | None = None, mode: str | None = None
) -> dict[str, Any]:
    """The fields describing payload *value* under the capture policy of *settings*. Never raises.

    Args:
        settings: The settings the line is written with (None: not configured).
        name: ``args``, ``result``, ``task``, ``prompt`` or ``completion``.
        value: The payload.
        tool: The tool it belongs to, for a per-tool mode.
        mode: A mode that overrides the policy (a per-call choice).
    """
    if settings is None:
        settings = defaults()
    policy = settings.capture
    if mode is None:
        mode = policy.mode_for(tool)
    elif mode not in CAPTURE_MODES:
        # A mistyped per-call mode must never loosen privacy: use the safe one.
        _diagnostics.report(f"unknown capture mode {safe_str(mode)[:20]!r}; hashed instead")
        mode = "hash"
    try:
        return captured(name, value, mode, settings.hasher, settings.redactor, policy.limit)
    except Exception as exc:
        _diagnostics.report("payload could not be captured", exc)
        return {f"{name}_hash": None, f"{name}_size": None}


def llm_payloads(
    settings: Settings | None, prompt: Any, completion: Any, mode: str | None
) -> dict[str, Any] | None:
    """Captured fields for an LLM call's prompt and completion, those given."""
    if prompt is MISSING and completion is MISSING:
        return None
    fields: dict[str, Any] = {}
    if prompt is not MISSING:
        fields.update(capture_payload(settings, "prompt", prompt, None, mode))
    if completion is not MISSING:
        fields.update(capture_payload(settings, "completion", completion, None, mode))
    return fields
