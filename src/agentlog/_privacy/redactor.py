"""The redactor: secrets and credentials out of everything written raw.

Two ways a value is recognised as secret: by its key name
(`secret_keys`), replacing the value whole and remembering it
(`secret_memory`), and by its shape inside any string (`secret_shapes`).
Scrubbing is cached: log messages and field values repeat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .. import _diagnostics
from .._serialize import safe_str, sanitize
from .secret_keys import classify_key
from .secret_memory import MEMORY, remember_all
from .secret_shapes import EMAIL, MIN_SHAPE_LENGTH, PHONE, SHAPES, marker, rules

__all__ = ["DEFAULT", "SCAN_LIMIT", "Redactor"]

_KEY_CACHE_LIMIT = 4096
# Log messages and field values repeat; scrubbing a short string once and
# remembering the answer makes the common case a dict lookup.
_CACHEABLE_LENGTH = 256
_CACHE_LIMIT = 4096
# Text beyond this is never written (lines over 256 KiB are cut), so it is not
# scanned either: a 10 MB string costs what 256 KiB does. The cut drops a
# margin after scanning, so a secret straddling the cut is not half-written.
SCAN_LIMIT = 256 * 1024
_CUT_MARGIN = 1024


def _key_names(keys: Iterable[str] | str, argument: str) -> frozenset[str]:
    """Lower-cased key names; one name given as a string is that name, not its letters."""
    if isinstance(keys, str):
        keys = (keys,)
    names = list(keys)
    if not all(isinstance(name, str) for name in names):
        raise TypeError(f"{argument} must be key names (strings)")
    return frozenset(name.lower() for name in names)


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
        extra = [(name, pattern, ()) for name, pattern in (patterns or {}).items()]
        self._allow = _key_names(allow_keys, "allow_keys")
        self._deny = _key_names(secret_keys, "secret_keys")
        self._callback = callback
        base = [*SHAPES, *extra]
        self._rules = rules([*base, *([EMAIL] if emails else []), *([PHONE] if phones else [])])
        self._pii_rules = rules([*base, EMAIL, PHONE])
        self._min_length = 1 if extra else 6 if emails else MIN_SHAPE_LENGTH
        self._key_cache: dict[str, str | None] = {}
        self._cache: dict[str, str] = {}
        self._pii_cache: dict[str, str] = {}
        self._safe_keys: dict[str, bool] = {}
        self._cached_for: tuple[tuple[str, str], ...] = ()

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

    def scrub_text(
        self, text: str, key: str | None = None, *, pii: bool = False, max_chars: int = SCAN_LIMIT
    ) -> str:
        """Return *text* with every secret it contains replaced by a marker.

        Args:
            text: The string to scrub.
            key: The field it belongs to, passed to the callback.
            pii: Also replace emails and phone numbers, whatever the
                redactor's own setting.
            max_chars: Text beyond this many characters is cut (with a
                marker) rather than scanned.
        """
        if not pii and self._callback is None and self._cached_for is MEMORY.snapshot:
            hit = self._cache.get(text)
            if hit is not None:
                return hit
        clean = self._scrub_plain(text, pii, max_chars)
        if self._callback is not None:
            clean = self._call_back(key, clean)
        return clean

    def _scrub_plain(self, text: str, pii: bool = False, max_chars: int = SCAN_LIMIT) -> str:
        """`scrub_text` without the user's callback (also used for dict keys)."""
        snapshot = MEMORY.snapshot
        if len(text) <= _CACHEABLE_LENGTH:
            cache = self._pii_cache if pii else self._cache
            if self._cached_for is not snapshot:
                # A newly remembered secret changes what a string scrubs to.
                self._cache.clear()
                self._pii_cache.clear()
                self._safe_keys.clear()
                self._cached_for = snapshot
            clean = cache.get(text)
            if clean is None:
                clean = self._scan(text, snapshot, pii)
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[text] = clean
        elif len(text) > max_chars:
            kept = max(max_chars - _CUT_MARGIN, 0)
            clean = self._scan(text[:max_chars], snapshot, pii)[:kept]
            clean += f"…[truncated {len(text) - kept} chars]"
        else:
            clean = self._scan(text, snapshot, pii)
        return clean

    def _scan(self, text: str, snapshot: tuple[tuple[str, str], ...], pii: bool) -> str:
        for secret, kind in snapshot:
            if secret in text:
                text = text.replace(secret, marker(kind))
        if len(text) >= self._min_length or pii:
            lowered = text.lower()
            for rule in self._pii_rules if pii else self._rules:
                if rule.may_match(text, lowered):
                    text = rule.pattern.sub(rule.replace, text)
        return text

    def _call_back(self, key: str | None, text: str) -> str:
        assert self._callback is not None
        try:
            result = self._callback(key, text)
        except Exception as exc:
            _diagnostics.report("redaction callback raised; value redacted", exc)
            return marker("callback_error")
        return result if isinstance(result, str) else safe_str(result)

    def scrub(
        self, value: Any, key: str | None = None, *, pii: bool = False, max_chars: int = SCAN_LIMIT
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
            max_chars: The longest string scanned; longer ones are cut.
        """
        value = sanitize(value, bytes_as_text=True)
        snapshot = MEMORY.snapshot
        clean = self._scrub(value, key, pii, max_chars)
        if MEMORY.snapshot is not snapshot:
            # A secret met under a key name may also sit in parts scrubbed before it.
            clean = self._scrub(value, key, pii, max_chars)
        return clean

    def _scrub(self, value: Any, key: str | None, pii: bool, max_chars: int) -> Any:
        if isinstance(value, str):
            return self.scrub_text(value, key, pii=pii, max_chars=max_chars)
        if isinstance(value, dict):
            return {
                self._scrub_plain(k, pii): self._scrub_item(k, v, pii, max_chars) for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._scrub(v, key, pii, max_chars) for v in value]
        return value

    def _scrub_item(self, key: str, value: Any, pii: bool, max_chars: int) -> Any:
        kind = self.key_kind(key)
        if kind is None:
            return self._scrub(value, key, pii, max_chars)
        if value is None or isinstance(value, bool):
            return value
        remember_all(value, kind)
        return marker(kind)

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
        warm = self._cached_for is MEMORY.snapshot
        cache, key_cache, plain = self._cache, self._key_cache, self._callback is None
        safe_keys = self._safe_keys if warm else {}
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
                if kind is None and clean_key == key and warm and self._cached_for is MEMORY.snapshot:
                    if len(self._safe_keys) >= _KEY_CACHE_LIMIT:
                        self._safe_keys.clear()
                    self._safe_keys[key] = True
            cls = type(value)
            if kind is not None and value is not None and cls is not bool:
                remember_all(value, kind)
                out[clean_key] = marker(kind)
            elif cls is str:
                clean = cache.get(value) if warm and plain else None
                out[clean_key] = clean if clean is not None else self.scrub_text(value, key)
            elif value is None or cls in (bool, int, float):
                out[clean_key] = value
            else:
                out[clean_key] = self.scrub(value, key)
        return out


DEFAULT = Redactor()
