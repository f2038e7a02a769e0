"""The redactor: secrets and credentials out of everything written raw.

Two ways a value is recognised as secret: by its key name
(`secret_keys`), replacing the value whole and remembering it
(`secret_memory`), and by its shape inside any string (`secret_shapes`).
Scrubbing short strings is cached: log messages and field values repeat. Each
answer is kept with the version of the remembered secrets it was scanned
under, and served under a later version only once the values remembered since
are checked absent from the text — so no text scrubbed before a secret was
remembered is served after it, and remembering one new tool argument does not
throw every answer away.

Text is cut after it is scanned, never before: a string longer than the
limit is scanned a margin past it and the margin dropped after redaction, so a
secret straddling the cut is found whole and none of it is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .. import _diagnostics
from .._serialize import safe_str, sanitize
from .._vocabulary import ERROR_MESSAGE, ERROR_STACK
from .hashing import secret_pair_kind
from .secret_keys import classify_key
from .secret_memory import MEMORY, Snapshot, remember_all
from .secret_shapes import ARMOUR, Scanner, apply_spans, marker

__all__ = ["DEFAULT", "FIELD_LIMITS", "SCAN_LIMIT", "Redactor"]

_KEY_CACHE_LIMIT = 4096
# Log messages and field values repeat; scrubbing a short string once and
# remembering the answer makes the common case a dict lookup.
_CACHEABLE_LENGTH = 256
_CACHE_LIMIT = 4096
SCAN_LIMIT = 256 * 1024
"""The most characters of one string written. Lines over 256 KiB are cut anyway,
so longer text is not scanned either: a 10 MB string costs what 256 KiB does."""
FIELD_LIMITS: dict[str, int] = {ERROR_MESSAGE: 4096, ERROR_STACK: 32768}
"""Fields written shorter than `SCAN_LIMIT`: cut here, after they are scanned."""
# How far past a cut text is scanned (and then dropped), so that a secret
# straddling the cut is recognised whole rather than half-written.
CUT_MARGIN = 4096
_MIN_SCANNED = 6


def _key_names(keys: Iterable[str] | str, argument: str) -> frozenset[str]:
    """Lower-cased key names; one name given as a string is that name, not its letters."""
    if isinstance(keys, str):
        keys = (keys,)
    names = list(keys)
    if not all(isinstance(name, str) for name in names):
        raise TypeError(f"{argument} must be key names (strings)")
    return frozenset(name.lower() for name in names)


def _cut(clean: str, keep: int) -> str:
    """The first *keep* characters of *clean*, never ending inside a marker."""
    keep = max(keep, 0)
    opened = clean.rfind("[REDACTED:", max(keep - 40, 0), keep + 9)
    if 0 <= opened < keep:
        closed = clean.find("]", opened)
        if closed >= keep:
            keep = closed + 1
    return clean[:keep]


class _Caches:
    """What short strings scrub to: text -> (clean text, the memory version it was scanned under)."""

    __slots__ = ("pii", "plain", "safe")

    def __init__(self, version: int) -> None:
        self.plain: dict[str, tuple[str, int]] = {}
        self.pii: dict[str, tuple[str, int]] = {}
        # Plain, non-secret keys, for one memory version: replaced as one value, never relabelled.
        self.safe: tuple[int, dict[str, bool]] = (version, {})


# The most remembered values checked to carry a cached answer over to a new version.
_CARRY_LIMIT = 32


def _carried(text: str, clean_and_version: tuple[str, int], snapshot: Snapshot) -> str | None:
    """The cached *clean* text if still right under *snapshot*: nothing remembered since is in *text*."""
    clean, version = clean_and_version
    if version == snapshot.version:
        return clean
    added = snapshot.added_since(version)
    if added is None or len(added) > _CARRY_LIMIT:
        return None
    for value in added:
        if value in text:
            return None
    return clean


class _Walk:
    """One walk over a nested value, with the budget of characters it may still produce."""

    __slots__ = ("left", "max_chars", "pii", "redactor")

    def __init__(self, redactor: Redactor, pii: bool, max_chars: int, budget: int | None) -> None:
        self.redactor = redactor
        self.pii = pii
        self.max_chars = max_chars
        self.left = budget

    def value(self, value: Any, key: str | None, depth: int, path: frozenset[int]) -> Any:
        cls = type(value)
        if cls is str:
            return self.text(value, key)
        if value is None or cls is bool or cls is int or cls is float:
            if self.left is not None:
                self.left -= 1
            return value
        if depth >= 250:
            return "<too deep>"
        if issubclass(cls, (dict, list, tuple)):
            if id(value) in path:
                return "<circular>"
            path = path | {id(value)}
            if issubclass(cls, dict):
                return self.mapping(value, depth, path)
            return self.items(value, key, depth, path)
        if issubclass(cls, (bytes, bytearray, memoryview)):
            return self.text(bytes(value).decode("utf-8", "backslashreplace"), key)
        plain = sanitize(value, bytes_as_text=True)  # a model, a set, a datetime, anything else
        if type(plain) is str:
            return self.text(plain, key)
        if isinstance(plain, (dict, list)):
            return self.value(plain, key, depth + 1, path)
        if self.left is not None:
            self.left -= 1
        return plain

    def text(self, text: str, key: str | None) -> str:
        if not text.isascii():
            text = sanitize(text)  # lone surrogates, which orjson refuses
        limit = self.max_chars if self.left is None else max(min(self.max_chars, self.left), 0)
        clean = self.redactor.scrub_text(text, key, pii=self.pii, max_chars=limit)
        if self.left is not None:
            self.left -= len(clean) + 2
        return clean

    def mapping(self, value: dict[Any, Any], depth: int, path: frozenset[int]) -> dict[str, Any]:
        try:
            return self._mapping(value.items(), depth, path)
        except RuntimeError:  # changed while walked (another thread): walk a copy
            return self._mapping(list(value.items()), depth, path)

    def _mapping(self, pairs: Iterable[tuple[Any, Any]], depth: int, path: frozenset[int]) -> dict[str, Any]:
        redactor = self.redactor
        out: dict[str, Any] = {}
        for key, item in pairs:
            if self.left is not None and self.left <= 0:
                break  # past what can be written: the rest is never scanned
            name = key if type(key) is str else next(iter(sanitize({key: None})))
            if not name.isascii():
                name = sanitize(name)
            clean_key = redactor._scrub_plain(name, self.pii)
            if self.left is not None:
                self.left -= len(clean_key) + 4
            kind = redactor.key_kind(name)
            if kind is None:
                out[clean_key] = self.value(item, name, depth + 1, path)
            elif item is None or type(item) is bool:
                out[clean_key] = item
            else:
                remember_all(item, kind)
                out[clean_key] = marker(kind)
        return out

    def items(self, value: Any, key: str | None, depth: int, path: frozenset[int]) -> list[Any]:
        out = []
        for item in value:  # lists only grow or shrink under a walk: no copy of a huge one
            if self.left is not None:
                if self.left <= 0:
                    break
                self.left -= 1
            kind = secret_pair_kind(item, self.redactor.key_kind)
            if kind is not None:
                # A (name, value) pair, as HTTP clients take headers: [("X-Api-Key", "…")].
                remember_all(item[1], kind)
                out.append([self.text(item[0], None), marker(kind)])
                continue
            out.append(self.value(item, key, depth + 1, path))
        return out


class Redactor:
    """Finds and replaces secrets in strings and nested values.

    Args:
        patterns: Extra value shapes: ``{"employee_id": r"EMP-[0-9]{6}"}``;
            the name is the marker's kind. Keep them linear (no nested
            unbounded quantifiers).
        allow_keys: Key names never treated as secret by name (values are
            still scanned by shape).
        secret_keys: Extra key names always treated as secret.
        callback: Called as ``callback(key, text)`` for every string after
            the built-in redaction (key is None outside a mapping); returns
            the text to write. If it raises, the string is replaced by
            ``[REDACTED:callback_error]``: the callback fails closed.
        emails: Also replace email addresses in every line.
        phones: Also replace phone numbers in every line (numbers of 8 to 15
            digits; expect some false positives on long IDs).
    """

    def __init__(
        self,
        *,
        patterns: Mapping[str, str] | None = None,
        allow_keys: Iterable[str] = (),
        secret_keys: Iterable[str] = (),
        callback: Callable[[str | None, str], str] | None = None,
        emails: bool = False,
        phones: bool = False,
    ) -> None:
        # A bad user pattern is a configuration error, raised here by re.compile.
        if patterns is not None and not isinstance(patterns, Mapping):
            raise TypeError(
                "patterns must map a name to a regular expression, "
                f"like {{'order_id': r'ORD-\\d+'}}, not {type(patterns).__name__}"
            )
        extra = list((patterns or {}).items())
        self._allow = _key_names(allow_keys, "allow_keys")
        self._deny = _key_names(secret_keys, "secret_keys")
        self._callback = callback
        self._scanner = Scanner(extra, emails=emails, phones=phones)
        self._min_length = 1 if extra else _MIN_SCANNED
        self._key_cache: dict[str, str | None] = {}
        self._caches = _Caches(MEMORY.snapshot.version)

    def key_kind(self, key: str) -> str | None:
        """Return the kind of secret a field named *key* holds, or None."""
        cached = self._key_cache.get(key, "")
        if cached != "":
            return cached
        lowered = key.lower()
        if lowered in self._allow:
            kind = None
        elif lowered in self._deny:
            kind = "secret"
        else:
            kind = classify_key(key)
        if len(self._key_cache) >= _KEY_CACHE_LIMIT:
            self._key_cache.clear()
        self._key_cache[key] = kind
        return kind

    def _safe_keys(self, snapshot: Snapshot) -> dict[str, bool]:
        """The keys known plain under *snapshot* (a new, empty set for a new version)."""
        version, keys = self._caches.safe
        if version != snapshot.version:
            keys = {}
            self._caches.safe = (snapshot.version, keys)
        return keys

    def scrub_text(
        self, text: str, key: str | None = None, *, pii: bool = False, max_chars: int | None = None
    ) -> str:
        """Return *text* with every secret it contains replaced by a marker.

        Args:
            text: The string to scrub.
            key: The field it belongs to, passed to the callback.
            pii: Also replace emails and phone numbers, whatever the
                redactor's own setting.
            max_chars: Text beyond this many characters is cut (with a
                marker), after it is scanned. By default `SCAN_LIMIT`, or the
                field's limit in `FIELD_LIMITS` (``error_message``: 4096).
        """
        if max_chars is None:
            max_chars = FIELD_LIMITS.get(key, SCAN_LIMIT) if key is not None else SCAN_LIMIT
        clean = self._scrub_plain(text, pii, max_chars)
        if self._callback is not None:
            clean = self._call_back(key, clean)
        return clean

    def _scrub_plain(self, text: str, pii: bool = False, max_chars: int = SCAN_LIMIT) -> str:
        """`scrub_text` without the user's callback (also used for dict keys)."""
        snapshot = MEMORY.snapshot
        length = len(text)
        if length <= _CACHEABLE_LENGTH and length <= max_chars and not ARMOUR.left:
            cache = self._caches.pii if pii else self._caches.plain
            entry = cache.get(text)
            clean = _carried(text, entry, snapshot) if entry is not None else None
            if clean is None:
                clean = self._scan(text, snapshot, pii)
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
            # Kept with the version it was scanned (or checked) under, never a later one.
            cache[text] = (clean, snapshot.version)
            return clean
        if length <= max_chars:
            return self._scan(text, snapshot, pii)
        # Scanned a margin past the cut, the margin dropped after redaction.
        window = text[: max_chars + CUT_MARGIN]
        clean = self._scan(window, snapshot, pii)
        kept = _cut(clean, len(clean) - (len(window) - max_chars))
        return f"{kept}…[truncated {length - max_chars} chars]"

    def _scan(self, text: str, snapshot: Snapshot, pii: bool) -> str:
        spans = snapshot.spans_in(text, marker) if snapshot else []
        if len(text) < self._min_length and not pii and not ARMOUR.left:
            return apply_spans(text, spans) if spans else text
        return self._scanner.scan(text, pii, spans)

    def _call_back(self, key: str | None, text: str) -> str:
        assert self._callback is not None
        try:
            result = self._callback(key, text)
        except Exception as exc:
            _diagnostics.report("redaction callback raised; value redacted", exc)
            return marker("callback_error")
        return result if isinstance(result, str) else safe_str(result)

    def scrub(
        self,
        value: Any,
        key: str | None = None,
        *,
        pii: bool = False,
        max_chars: int = SCAN_LIMIT,
        budget: int | None = None,
    ) -> Any:
        """Return *value* with secrets replaced, by key name and by shape, at any depth.

        Values under a secret key name are replaced whole (None and booleans
        are kept) and remembered; dict keys are scrubbed like any text; bytes
        are read as UTF-8 text so that secrets inside them are found. The
        result is plain JSON data.

        Args:
            value: Any value.
            key: The field *value* belongs to, if any.
            pii: Also replace emails and phone numbers.
            max_chars: The longest string kept; longer ones are cut after
                they are scanned.
            budget: The most characters worth producing: once the result
                holds this many (strings, keys and a character per other
                item, an underestimate of its JSON size), the rest of the
                value is left out unscanned, and the result is cut there.
        """
        snapshot = MEMORY.snapshot
        clean = _Walk(self, pii, max_chars, budget).value(value, key, 0, frozenset())
        if MEMORY.snapshot is not snapshot:
            # A secret met under a key name may also sit in parts scrubbed before it.
            clean = _Walk(self, pii, max_chars, budget).value(value, key, 0, frozenset())
        return clean

    def scrub_fields(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Scrub the top-level fields of a line (cheap for plain scalars).

        A value under a secret key name is also replaced in the other fields,
        before or after it.
        """
        snapshot = MEMORY.snapshot
        clean = self._scrub_fields(fields)
        if MEMORY.snapshot is not snapshot:
            # A secret met under a key name may also sit in fields scrubbed before it.
            clean = self._scrub_fields(fields)
        return clean

    def _scrub_fields(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        # Fast path: most keys and values have been seen before and sit in the caches.
        snapshot = MEMORY.snapshot
        cache = self._caches.plain if self._callback is None and not ARMOUR.left else {}
        version = snapshot.version
        safe_keys, key_cache = self._safe_keys(snapshot), self._key_cache
        for key, value in fields.items():
            if key in safe_keys:  # a plain, non-secret key seen before
                kind: str | None = None
                clean_key = key
            else:
                if type(key) is not str:
                    out.update(self.scrub({key: value}))
                    continue
                kind = key_cache.get(key, "")
                if kind == "":
                    kind = self.key_kind(key)
                clean_key = self._scrub_plain(key)
                if kind is None and clean_key == key:
                    if len(safe_keys) >= _KEY_CACHE_LIMIT:
                        safe_keys.clear()
                    safe_keys[key] = True
            cls = type(value)
            if kind is not None and value is not None and cls is not bool:
                remember_all(value, kind)
                out[clean_key] = marker(kind)
            elif cls is str:
                entry = cache.get(value)
                if entry is not None and entry[1] == version:
                    out[clean_key] = entry[0]
                else:
                    out[clean_key] = self.scrub_text(value, key)
            elif value is None or cls in (bool, int, float):
                out[clean_key] = value
            else:
                out[clean_key] = self.scrub(value, key)
        return out


DEFAULT = Redactor()
