"""JSON serialization that never raises.

orjson does the work. Values it cannot take go through `fallback` (sets,
bytes, models, arbitrary objects); values that make orjson fail outright
(integers beyond 64 bits, lone surrogates, cycles, keys it cannot convert,
a ``__repr__`` that raises) go through `sanitize`, a pure-Python walk that
always yields something orjson accepts, with a marker where a value could not
be kept.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping, Set
from typing import Any

import orjson

__all__ = ["canonical_json", "dumps_line", "fallback", "safe_repr", "safe_str", "truncate_utf8"]

# Lines are serialized without OPT_NON_STR_KEYS first (faster); only a line
# holding a dict with a non-string key is serialized again with it.
LINE_OPTIONS = orjson.OPT_APPEND_NEWLINE
_LINE_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS
# Tried first: without OPT_NON_STR_KEYS orjson is a third faster, and a dict
# with a non-string key then raises, so the second try gives the same bytes.
_CANONICAL_FAST = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
_CANONICAL_OPTIONS = _CANONICAL_FAST | orjson.OPT_NON_STR_KEYS
_MAX_REPR = 4096
# orjson refuses nesting deeper than 254 levels.
_MAX_DEPTH = 250
_I64_MIN = -(2**63)
_U64_MAX = 2**64 - 1


def type_name(obj: object) -> str:
    """Return ``module.QualName`` of *obj*'s type (just the name for builtins)."""
    cls = type(obj)
    module = getattr(cls, "__module__", None)
    name = getattr(cls, "__qualname__", None) or cls.__name__
    if module in (None, "builtins"):
        return str(name)
    return f"{module}.{name}"


def safe_repr(obj: object) -> str:
    """Return ``repr(obj)``, or a marker naming the type if repr raises."""
    try:
        text = repr(obj)
    except Exception:
        return f"<unrepresentable {type_name(obj)}>"
    if not isinstance(text, str):
        return f"<unrepresentable {type_name(obj)}>"
    return text if len(text) <= _MAX_REPR else text[:_MAX_REPR] + "…"


def safe_str(obj: object) -> str:
    """Return ``str(obj)``, or a marker naming the type if str raises."""
    if type(obj) is str:
        return obj
    try:
        text = str(obj)
    except Exception:
        return f"<unprintable {type_name(obj)}>"
    if not isinstance(text, str):
        return f"<unprintable {type_name(obj)}>"
    return text


def truncate_utf8(text: str, limit: int) -> str:
    """Cut *text* to at most *limit* UTF-8 bytes (on a character boundary) plus a marker."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore") + f"…[truncated {len(data) - limit} bytes]"


def fallback(obj: Any) -> Any:
    """Map a value orjson cannot serialize to one it can (orjson's ``default``).

    The mapping is stable across processes, which hashing relies on:

    * sets and frozensets become arrays sorted by their elements' canonical JSON;
    * bytes-like values become ``"base64:<standard base64>"``;
    * dataclasses become objects of their fields;
    * objects with ``model_dump()`` (pydantic v2) become its result;
    * other mappings become objects, other sets and tuples-alike become arrays;
    * anything else becomes its ``repr()`` when its class defines one, else
      ``"<module.QualName>"`` (default reprs carry memory addresses).
    """
    # Checks go by type(obj), never obj.__class__, which a hostile object may
    # make raise.
    cls = type(obj)
    if issubclass(cls, (set, frozenset, Set)):
        return sorted(obj, key=canonical_json)
    if issubclass(cls, (bytes, bytearray, memoryview)):
        return "base64:" + base64.b64encode(bytes(obj)).decode("ascii")
    if dataclasses.is_dataclass(cls) and not issubclass(cls, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(cls)}
    model_dump = getattr(cls, "model_dump", None)
    if callable(model_dump):
        return model_dump(obj)
    if issubclass(cls, Mapping):
        return dict(obj)
    tolist = getattr(cls, "tolist", None)  # numpy arrays and scalars
    if callable(tolist):
        return tolist(obj)
    if getattr(cls, "__repr__", None) is object.__repr__:
        return f"<{type_name(obj)}>"
    return safe_repr(obj)


def _fix_str(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Pair up what pairs, mark lone surrogates with U+FFFD.
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def _fix_key(key: Any) -> str:
    cls = type(key)
    if issubclass(cls, str):
        return _fix_str(str.__str__(key))
    if key is None or issubclass(cls, (bool, int, float)):
        return _fix_str(orjson.dumps(sanitize(key)).decode())
    return _fix_str(safe_str(key))


def sanitize(
    value: Any, _depth: int = 0, _path: frozenset[int] = frozenset(), *, bytes_as_text: bool = False
) -> Any:
    """Return a copy of *value* that orjson can always serialize.

    Lone surrogates become U+FFFD, integers beyond 64 bits stay exact as raw
    JSON numbers, keys become strings, cycles become ``"<circular>"``, nesting
    past 250 levels becomes ``"<too deep>"``, and objects whose conversion
    raises become ``"<unserializable module.Class>"``. With *bytes_as_text*,
    bytes are decoded as UTF-8 (invalid bytes backslash-escaped) instead of
    base64, so that text inside them can be scanned.
    """
    try:
        return _sanitize(value, _depth, _path, bytes_as_text)
    except Exception:
        return f"<unserializable {type_name(value)}>"


def _sanitize(value: Any, depth: int, path: frozenset[int], bytes_as_text: bool) -> Any:
    cls = type(value)
    if value is None or cls is bool or issubclass(cls, float):
        return value
    if issubclass(cls, int):
        if _I64_MIN <= value <= _U64_MAX:
            return int.__int__(value)
        return orjson.Fragment(int.__repr__(value).encode())
    if issubclass(cls, str):
        return _fix_str(str.__str__(value))
    if depth >= _MAX_DEPTH:
        return "<too deep>"
    if id(value) in path:
        return "<circular>"
    path = path | {id(value)}
    depth += 1
    if issubclass(cls, dict):
        return {
            _fix_key(k): sanitize(v, depth, path, bytes_as_text=bytes_as_text) for k, v in list(value.items())
        }
    if issubclass(cls, (list, tuple)):
        return [sanitize(v, depth, path, bytes_as_text=bytes_as_text) for v in list(value)]
    if bytes_as_text and issubclass(cls, (bytes, bytearray, memoryview)):
        return _fix_str(bytes(value).decode("utf-8", "backslashreplace"))
    if dataclasses.is_dataclass(cls):
        converted = fallback(value)
    else:
        try:
            orjson.dumps(value)
        except TypeError:
            converted = fallback(value)
        else:
            # orjson knows the type (datetime, UUID, enum, ...).
            return value
    if converted is value:
        return f"<unserializable {type_name(value)}>"
    return sanitize(converted, depth, path, bytes_as_text=bytes_as_text)


def dumps_line(value: Any) -> bytes:
    """Serialize one log line (or any value): compact JSON and a newline. Never raises."""
    try:
        return orjson.dumps(value, default=fallback, option=LINE_OPTIONS)
    except Exception:
        try:
            return orjson.dumps(value, default=fallback, option=_LINE_OPTIONS)
        except Exception:
            return orjson.dumps(sanitize(value), option=_LINE_OPTIONS)


def canonical_json(value: Any) -> bytes:
    """Return the canonical JSON form of *value* as UTF-8 bytes.

    Object keys sorted by Unicode code point, no whitespace, non-ASCII
    written as UTF-8 (not escaped); see docs/hashing.md for every rule. The
    same value gives the same bytes in every process. Never raises.
    """
    try:
        return orjson.dumps(value, default=fallback, option=_CANONICAL_FAST)
    except Exception:
        try:
            return orjson.dumps(value, default=fallback, option=_CANONICAL_OPTIONS)
        except Exception:
            return orjson.dumps(sanitize(value), option=_CANONICAL_OPTIONS)
