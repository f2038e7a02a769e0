"""Hashes of tasks, arguments, results, prompts and completions.

A hash is computed over the value's canonical JSON form (see
`agentlog.canonical_json` and docs/hashing.md), in which every value under a
secret key name is replaced first — a password never enters a hash, so it
cannot be recovered from one by hashing guesses. A hash names its scheme:

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
from collections.abc import Callable, Mapping
from itertools import chain
from typing import Any

from .. import _settings
from .._serialize import canonical_json as encode
from .._serialize import fallback

__all__ = ["HASH_KEY_ENV", "SECRET_PLACEHOLDER", "Hasher", "canonical_json", "hash_value", "without_secrets"]

SECRET_PLACEHOLDER = "[REDACTED]"  # noqa: S105 - a placeholder, not a password
"""What the canonical form writes instead of a value under a secret key name."""

KeyKind = Callable[[str], "str | None"]
Remember = Callable[[Any, str], None]
_SCALARS = frozenset({str, int, float, bool, type(None)})
_DICT = frozenset({dict})
_MAX_DEPTH = 64
_PLAIN_KEYS_LIMIT = 4096


def secret_pair_kind(item: Any, key_kind: KeyKind) -> str | None:
    """The secret kind of a ``(name, value)`` pair whose name is a secret key name, else None.

    HTTP clients take headers and query parameters as such pairs
    (``[("X-Api-Key", "…")]``); the value is the secret, as in a mapping.
    """
    cls = type(item)
    if (cls is tuple or cls is list) and len(item) == 2 and type(item[0]) is str:
        value = item[1]
        if value is not None and type(value) is not bool:
            return key_kind(item[0])
    return None


class _SecretFinder:
    """Walks values for members under secret key names, for one set of key rules.

    Key names seen before and found plain are kept in a set, so a dict whose
    keys are all known is checked in one C-level subset test.
    """

    __slots__ = ("_key_kind", "_plain", "_remember")

    def __init__(self, key_kind: KeyKind, remember: Remember | None) -> None:
        self._key_kind = key_kind
        self._remember = remember
        self._plain: set[str] = set()

    def walk(self, value: Any, depth: int) -> Any:
        cls = type(value)
        if cls in _SCALARS or depth > _MAX_DEPTH:
            return value
        if cls is dict:
            if value.keys() <= self._plain:
                return self._values(value, depth)
            return self._mapping(value, depth)
        if cls is list or cls is tuple:
            if self._all_plain(value):
                return value
            items: list[Any] | None = None
            for index, item in enumerate(value):
                if type(item) in _SCALARS:
                    continue
                kind = secret_pair_kind(item, self._key_kind)
                if kind is not None:  # ("Authorization", "Basic …"): a header as HTTP clients take it
                    if self._remember is not None:
                        self._remember(item[1], kind)
                    clean = [item[0], SECRET_PLACEHOLDER]
                else:
                    clean = self.walk(item, depth + 1)
                if clean is not item:
                    if items is None:
                        items = list(value)
                    items[index] = clean
            return value if items is None else items
        if issubclass(cls, Mapping):
            return self._mapping(value, depth)
        converted = fallback(value)  # what the encoder makes of it: a model's fields, a set's items
        if type(converted) in _SCALARS or converted is value:
            return value
        clean = self.walk(converted, depth + 1)
        return value if clean is converted else clean

    def _all_plain(self, items: list[Any] | tuple[Any, ...]) -> bool:
        """Whether *items* are all scalars, or all dicts of known plain keys and scalar values.

        Checked at C speed (no call per item): a list of records, the common
        shape of tool arguments and results, is then passed over whole.
        """
        kinds = set(map(type, items))
        if kinds <= _SCALARS:
            return True
        return (
            kinds == _DICT
            and set().union(*items) <= self._plain
            and _SCALARS.issuperset(map(type, chain.from_iterable(map(dict.values, items))))
        )

    def _values(self, value: dict[Any, Any], depth: int) -> Any:
        changed: dict[Any, Any] | None = None
        for key, item in value.items():
            if type(item) in _SCALARS:
                continue
            clean = self.walk(item, depth + 1)
            if clean is not item:
                if changed is None:
                    changed = dict(value)
                changed[key] = clean
        return value if changed is None else changed

    def _mapping(self, value: Mapping[Any, Any], depth: int) -> Any:
        changed: dict[Any, Any] | None = None
        plain = self._plain
        for key, item in value.items():
            kind = self._key_kind(key) if type(key) is str else None
            if kind is None:
                if type(key) is str and len(plain) < _PLAIN_KEYS_LIMIT:
                    plain.add(key)
                clean = item if type(item) in _SCALARS else self.walk(item, depth + 1)
            elif item is None or type(item) is bool:
                clean = item  # whether a secret was given, not what it is
            else:
                if self._remember is not None:
                    self._remember(item, kind)
                clean = SECRET_PLACEHOLDER
            if clean is not item:
                if changed is None:
                    changed = dict(value.items())
                changed[key] = clean
        return value if changed is None else changed


def without_secrets(value: Any, key_kind: KeyKind, remember: Remember | None = None) -> Any:
    """*value* with every member under a secret key name replaced by ``"[REDACTED]"``.

    At any depth, in mappings and in what the canonical form turns into one
    (dataclasses, pydantic models). None and booleans under a secret key are
    kept: they say whether a secret was given, not what it is. Each value
    replaced is passed to *remember* with its kind, so that it can be scrubbed
    wherever it shows up later. Returns *value* itself, not a copy, when it
    holds no secret. Never raises.
    """
    finder = _finders.get((key_kind, remember))
    if finder is None:
        finder = _SecretFinder(key_kind, remember)
        if len(_finders) >= 64:
            _finders.clear()
        _finders[key_kind, remember] = finder
    try:
        return finder.walk(value, 0)
    except Exception:
        return value  # the encoder writes its own marker for a value that cannot be read


# One finder per set of key rules (a redactor's key_kind) and remembering, so its
# plain-key set lasts: hashing alone (hash_value) and capture (which remembers) alternate.
_finders: dict[tuple[KeyKind, Remember | None], _SecretFinder] = {}


def _key_kind() -> KeyKind:
    return _settings.current().redactor.key_kind


def canonical_json(value: Any) -> bytes:
    """Return the canonical JSON form of *value* as UTF-8 bytes: what agentlog hashes.

    Object keys sorted by Unicode code point, no whitespace, non-ASCII
    written as UTF-8 (not escaped), and every value under a secret key name
    (``password``, ``api_key`` …, and the configured `agentlog.Redactor`'s
    ``secret_keys``, less its ``allow_keys``) replaced by ``"[REDACTED]"``; see
    docs/hashing.md for every rule. The same value gives the same bytes in
    every process. Never raises.
    """
    return encode(without_secrets(value, _key_kind()))


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
        """Hash *value*'s canonical JSON (secret-keyed values replaced). Never raises."""
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
