"""Hashes of arguments, tasks and results.

A hash is SHA-256 over the value's canonical JSON form (see
`agentlog.canonical_json` and docs/hashing.md), written as
``"sha256:<64 lowercase hex digits>"`` so every hash names its scheme.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ._serialize import canonical_json

__all__ = ["hash_value"]

_sha256 = hashlib.sha256


def hash_value(value: Any) -> str:
    """Return ``"sha256:<hex>"`` of *value*'s canonical JSON. Never raises.

    Args:
        value: Any value; see `agentlog.canonical_json` for how non-JSON
            values are mapped.
    """
    return "sha256:" + _sha256(canonical_json(value)).hexdigest()
