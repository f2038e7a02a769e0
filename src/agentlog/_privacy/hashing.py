"""Hashes of tasks, arguments, results, prompts and completions.

A hash is computed over the value's canonical JSON form (see
`agentlog.canonical_json` and docs/hashing.md) and names its scheme:

* ``sha256:<64 hex>`` — plain SHA-256, the default;
* ``hmac-sha256:<key id>:<64 hex>`` — HMAC-SHA256 with the configured secret
  key, so low-entropy values (emails, short queries) cannot be recovered by
  hashing guesses. The key id is the first 8 hex digits of
  ``SHA-256("agentlog-key-id:" + key)``: it tells keys apart (for rotation)
  without revealing them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

from .. import _settings
from .._serialize import canonical_json

__all__ = ["HASH_KEY_ENV", "Hasher", "hash_value"]

HASH_KEY_ENV = "AGENTLOG_HASH_KEY"
"""The environment variable read for a hash key when configure() is given none."""

_sha256 = hashlib.sha256
_hmac_digest = hmac.digest


def _key_bytes(key: str | bytes) -> bytes:
    data = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if not data:
        raise ValueError("hash_key must not be empty")
    return data


def key_id(key: str | bytes) -> str:
    """Return the 8-hex-digit identifier agentlog writes for *key*."""
    return _sha256(b"agentlog-key-id:" + _key_bytes(key)).hexdigest()[:8]


class Hasher:
    """Hashes values with one scheme (plain or keyed).

    Args:
        key: A secret for HMAC-SHA256, or None for plain SHA-256.
    """

    __slots__ = ("_key", "prefix")

    def __init__(self, key: str | bytes | None = None) -> None:
        self._key = _key_bytes(key) if key is not None else None
        self.prefix = "sha256:" if key is None else f"hmac-sha256:{key_id(key)}:"

    def hash_bytes(self, data: bytes) -> str:
        """Hash already-canonical bytes."""
        if self._key is None:
            return self.prefix + _sha256(data).hexdigest()
        return self.prefix + _hmac_digest(self._key, data, "sha256").hex()

    def __call__(self, value: Any) -> str:
        """Hash *value*'s canonical JSON. Never raises."""
        return self.hash_bytes(canonical_json(value))


def from_environment() -> Hasher:
    """The hasher for ``$AGENTLOG_HASH_KEY``, or plain SHA-256 when it is unset or empty."""
    key = os.environ.get(HASH_KEY_ENV)
    return Hasher(key) if key else Hasher()


class _Configured:
    def __repr__(self) -> str:
        return "<the configured key>"


CONFIGURED: Any = _Configured()


def hash_value(value: Any, *, key: str | bytes | None = CONFIGURED) -> str:
    """Return the hash agentlog writes for *value*. Never raises.

    With the default *key*, the scheme in force is used (the key given to
    `agentlog.configure` or ``$AGENTLOG_HASH_KEY``), so the result can be
    searched for in the logs. Pass ``key=None`` for plain SHA-256, or a key
    for HMAC-SHA256 with that key.

    Args:
        value: Any value; see `agentlog.canonical_json` for how non-JSON
            values are mapped.
        key: The HMAC key, None for plain SHA-256, or (default) the
            configured scheme.
    """
    hasher = _settings.current().hasher if key is CONFIGURED else Hasher(key)
    return hasher(value)
