"""Redaction: secrets and credentials out of everything written raw.

Two ways a value is recognised as secret:

* **by key name** — the value of a field or dict key named like ``password``,
  ``api_key``, ``Authorization``, ``client_secret`` … is replaced whole;
* **by value shape** — inside any string, Bearer tokens, JWTs, PEM private
  keys, provider API keys, credentials in URLs and card numbers that pass the
  Luhn check are replaced; emails and phone numbers too when asked.

A string once seen under a secret key name is remembered (a bounded number of
them, process-wide) and replaced wherever it shows up later: in an error
message that echoes it, a tool result, a stdlib line.

Every replacement is a marker naming the kind, ``[REDACTED:api_key]``; it
never repeats any part of what it replaced. Every pattern runs in linear time:
each starts with a literal or only where a run of its characters begins, and
no quantifier that can fail after a long match is unbounded, so a 1 MB hostile
string costs one pass, not a quadratic backtrack.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import _diagnostics
from ._serialize import safe_str, sanitize

__all__ = ["Redactor", "marker"]


def marker(kind: str) -> str:
    """Return the replacement text for a secret of *kind*."""
    return f"[REDACTED:{kind}]"


# -- by key name ---------------------------------------------------------------

_SECRET_WORDS = {
    "password": "password",
    "passwd": "password",
    "pwd": "password",
    "passphrase": "password",
    "secret": "secret",
    "token": "token",
    "apikey": "api_key",
    "auth": "authorization",
    "oauth": "authorization",
    "authorization": "authorization",
    "cookie": "cookie",
    "session": "session",
    "credential": "credential",
    "credentials": "credential",
    "jwt": "jwt",
    "ssn": "ssn",
    "cvv": "card_number",
    "cvc": "card_number",
}
# Matched against the key with separators removed ("x-api-key" -> "xapikey").
_SECRET_COMPOUNDS = {
    "apikey": "api_key",
    "accesskey": "api_key",
    "secretkey": "secret",
    "privatekey": "private_key",
    "signingkey": "private_key",
    "encryptionkey": "private_key",
    "creditcard": "card_number",
    "cardnumber": "card_number",
    "clientsecret": "secret",
    "setcookie": "cookie",
}
# A key that describes a secret rather than holding it ("token_count",
# "secret_name", "session_id", "password_expires") is left alone.
_DESCRIPTIVE_WORDS = frozenset(
    {
        "count",
        "counts",
        "limit",
        "limits",
        "max",
        "min",
        "usage",
        "used",
        "length",
        "len",
        "type",
        "types",
        "kind",
        "budget",
        "estimate",
        "expiry",
        "expires",
        "ttl",
        "name",
        "names",
        "id",
        "ids",
        "url",
        "uri",
        "method",
        "scheme",
        "provider",
        "required",
        "enabled",
        "hint",
        "policy",
        "version",
    }
)
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_WORDS = re.compile(r"[a-z0-9]+")
_KEY_CACHE_LIMIT = 4096


@functools.lru_cache(maxsize=2048)
def classify_key(key: str) -> str | None:
    """Return the kind of secret a field named *key* holds, or None."""
    words = _WORDS.findall(_CAMEL.sub(r"\1_\2", key).lower())
    if not words or _DESCRIPTIVE_WORDS.intersection(words):
        return None
    for word in words:
        kind = _SECRET_WORDS.get(word)
        if kind is not None:
            return kind
    joined = "".join(words)
    for compound, kind in _SECRET_COMPOUNDS.items():
        if compound in joined:
            return kind
    return None


# -- by value shape ------------------------------------------------------------

_TOKEN = "A-Za-z0-9_-"  # noqa: S105 - a character class, not a password
# (kind, pattern, needles): a pattern runs only on text whose lowercased form
# contains one of its needles, a check at memchr speed; the regexes themselves
# then see only the few strings that could hold a match.
_SHAPES: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "private_key",
        r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[A-Za-z0-9+/=\s\\:.,-]*?"
        r"(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|(?=-----)|$)",
        ("private key",),
    ),
    # "password=hunter2", "api_key: abc", "\"token\": \"xyz\"" inside free text:
    # the key and separator stay, the value goes.
    (
        "key_value",
        r"(?i)(?<![a-z0-9_.-])(?P<key>[\"']?[a-z0-9_.-]*?"
        r"(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key"
        r"|private[_-]?key|account[_-]?key|signing[_-]?key|authorization|auth|credentials?|sessionid"
        r"|cookie|signature|sig)(?:\\?[\"'])?)(?P<sep>[ \t]{0,5}[:=][ \t]{0,5})"
        r"(?P<value>\\?\"[^\"\\\n]{0,1024}\\?\"|'[^'\n]{0,1024}'"
        r"|(?:(?:bearer|basic|digest|token|bot)[ \t]+)?[^\s,;&\"'<>(){}\[\]]{1,1024})",
        ("pass", "pwd", "secret", "token", "key", "auth", "credential", "session", "cookie", "sig"),
    ),
    ("jwt", rf"(?<![{_TOKEN}])eyJ[{_TOKEN}]+\.eyJ[{_TOKEN}]+\.[{_TOKEN}]*", ("eyj",)),
    (
        "bearer_token",
        # The token must hold a non-letter early on, so "the bearer of" stays prose.
        r"(?<![A-Za-z0-9])[Bb][Ee][Aa][Rr][Ee][Rr][ \t]+"
        r"(?=[A-Za-z]{0,200}[0-9._~+/-])[A-Za-z0-9._~+/-]{6,}=*",
        ("bearer",),
    ),
    ("api_key", rf"(?<![{_TOKEN}])sk-[{_TOKEN}]{{20,}}", ("sk-",)),
    ("api_key", r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])", ("akia", "asia")),
    ("api_key", r"(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{30,}", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    ("api_key", r"(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{22,}", ("github_pat_",)),
    ("api_key", r"(?<![A-Za-z0-9-])xox[abposr]-[A-Za-z0-9-]{10,}", ("xox",)),
    ("api_key", rf"(?<![{_TOKEN}])AIza[{_TOKEN}]{{35}}", ("aiza",)),
    ("api_key", r"(?<![A-Za-z0-9_])[rs]k_(?:live|test)_[0-9A-Za-z]{16,}", ("k_live_", "k_test_")),
    ("api_key", r"(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,}", ("hf_",)),
    ("api_key", rf"(?<![{_TOKEN}])glpat-[{_TOKEN}]{{20,}}", ("glpat-",)),
    ("api_key", r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36,}", ("npm_",)),
    ("api_key", rf"(?<![{_TOKEN}])pypi-[{_TOKEN}]{{50,}}", ("pypi-",)),
    ("api_key", rf"(?<![A-Za-z0-9_.-])SG\.[{_TOKEN}]{{16,32}}\.[{_TOKEN}]{{16,64}}", ("sg.",)),
    ("api_key", r"(?<![A-Za-z0-9_-])key-[0-9a-f]{32}(?![0-9a-f])", ("key-",)),
    ("api_key", rf"(?<![{_TOKEN}])ya29\.[{_TOKEN}]{{20,}}", ("ya29.",)),
    ("api_key", r"(?<![A-Za-z0-9_])whsec_[A-Za-z0-9]{24,}", ("whsec_",)),
    ("api_key", rf"(?<![0-9])[0-9]{{8,10}}:AA[{_TOKEN}]{{33}}(?![{_TOKEN}])", (":aa",)),
    (
        "webhook_url",
        r"(?:hooks\.slack\.com/(?:services|workflows|triggers)|discord(?:app)?\.com/api/webhooks)/[A-Za-z0-9/_-]+",
        ("hooks.slack.com", "/api/webhooks"),
    ),
    ("url_credentials", r"(?<=://)[^\s/?#@:]*:[^\s/?#@]+(?=@)", ("://",)),
    (
        "card_number",
        # Printed the ways cards are: 13-19 digits in a row, 4-4-4-4(-3), or 4-6-4/5.
        r"(?<![0-9A-Za-z_])(?:[0-9]{13,19}|[0-9]{4}(?:[ -][0-9]{4}){2}[ -][0-9]{1,4}(?:[ -][0-9]{1,3})?"
        r"|[0-9]{4}[ -][0-9]{6}[ -][0-9]{4,5})(?![0-9A-Za-z_])",
        (),
    ),
]
_EMAIL = (
    "email",
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@"
    r"[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z])",
    ("@",),
)
_PHONE = ("phone", r"(?<![0-9A-Za-z_+])\+?[0-9](?:[ .()-]{0,2}[0-9]){7,14}(?![0-9A-Za-z_])", ())
_DIGITS = "0123456789"

# The shortest string any built-in shape can match; shorter strings skip the scan.
_MIN_SHAPE_LENGTH = 8


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _has_card(candidate: str) -> bool:
    """Whether *candidate* (digits, maybe grouped) is 13-19 digits passing the Luhn check."""
    digits = candidate.replace(" ", "").replace("-", "")
    return 13 <= len(digits) <= 19 and _luhn_ok(digits)


def _digit_count_at_least(text: str, count: int) -> bool:
    total = 0
    for digit in _DIGITS:
        total += text.count(digit)
        if total >= count:
            return True
    return False


class _Rule:
    """One value shape: its kind, its regex, and the needles that gate it."""

    __slots__ = ("kind", "min_digits", "needles", "pattern", "replace")

    def __init__(self, kind: str, pattern: str, needles: tuple[str, ...], min_digits: int = 0) -> None:
        self.kind = kind
        self.pattern = re.compile(pattern)
        self.replace = _replacer(kind)
        self.needles = needles
        self.min_digits = min_digits

    def may_match(self, text: str, lowered: str) -> bool:
        if self.min_digits:
            return _digit_count_at_least(text, self.min_digits)
        if not self.needles:
            return True
        return any(needle in lowered for needle in self.needles)


def _rules(shapes: Iterable[tuple[str, str, tuple[str, ...]]]) -> tuple[_Rule, ...]:
    rules = []
    for kind, pattern, needles in shapes:
        min_digits = {"card_number": 13, "phone": 8}.get(kind, 0) if not needles else 0
        rules.append(_Rule(kind, pattern, needles, min_digits))
    return tuple(rules)


# -- remembered secrets ----------------------------------------------------------

_MEMORY_LIMIT = 256
_MIN_REMEMBERED = 6
# Log messages and field values repeat; scrubbing a short string once and
# remembering the answer makes the common case a dict lookup.
_CACHEABLE_LENGTH = 256
_CACHE_LIMIT = 4096
# Text beyond this is never written (lines over 256 KiB are cut), so it is not
# scanned either: a 10 MB string costs what 256 KiB does. The cut drops a
# margin after scanning, so a secret straddling the cut is not half-written.
SCAN_LIMIT = 256 * 1024
_CUT_MARGIN = 1024


class _SecretMemory:
    """Strings seen under secret key names, replaced wherever they reappear."""

    def __init__(self, limit: int) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._values: OrderedDict[str, str] = OrderedDict()
        self.snapshot: tuple[tuple[str, str], ...] = ()

    def remember(self, value: str, kind: str) -> None:
        if len(value) < _MIN_REMEMBERED or "[REDACTED:" in value:
            return
        with self._lock:
            if value in self._values:
                return
            self._values[value] = kind
            self._values.move_to_end(value)
            while len(self._values) > self._limit:
                self._values.popitem(last=False)
            # Longest first, so a secret that contains another is replaced whole.
            self.snapshot = tuple(sorted(self._values.items(), key=lambda item: -len(item[0])))

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self.snapshot = ()


MEMORY = _SecretMemory(_MEMORY_LIMIT)


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
        extra = [(name, pattern, ()) for name, pattern in (patterns or {}).items()]
        self._allow = frozenset(k.lower() for k in allow_keys)
        self._deny = frozenset(k.lower() for k in secret_keys)
        self._callback = callback
        base = [*_SHAPES, *extra]
        self._rules = _rules([*base, *([_EMAIL] if emails else []), *([_PHONE] if phones else [])])
        self._pii_rules = _rules([*base, _EMAIL, _PHONE])
        self._min_length = 1 if extra else 6 if emails else _MIN_SHAPE_LENGTH
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
        _remember_all(value, kind)
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
                _remember_all(value, kind)
                out[clean_key] = marker(kind)
            elif cls is str:
                clean = cache.get(value) if warm and plain else None
                out[clean_key] = clean if clean is not None else self.scrub_text(value, key)
            elif value is None or cls in (bool, int, float):
                out[clean_key] = value
            else:
                out[clean_key] = self.scrub(value, key)
        return out


def _replacer(kind: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        found = match.group()
        if kind == "card_number" and not _has_card(found):
            return found
        if kind == "bearer_token":
            return found[:6] + " " + marker(kind)
        if kind == "key_value":
            key, value = match.group("key"), match.group("value")
            named = classify_key(key.strip("\\\"'")) or "secret"
            quote = value[: len(value) - len(value.lstrip("\\\"'"))]
            bare = value.strip("\\\"'")
            MEMORY.remember(bare.split()[-1] if bare.split() else bare, named)
            return f"{key}{match.group('sep')}{quote}{marker(named)}{quote}"
        return marker(kind)

    return replace


def _remember_all(value: Any, kind: str, depth: int = 0) -> None:
    """Remember every string (and integer, as digits) inside a secret value."""
    cls = type(value)
    try:
        if issubclass(cls, str):
            MEMORY.remember(str.__str__(value), kind)
        elif issubclass(cls, int) and cls is not bool:
            MEMORY.remember(int.__repr__(value), kind)
        elif depth < 8 and issubclass(cls, Mapping):
            for item in list(value.values())[:64]:
                _remember_all(item, kind, depth + 1)
        elif depth < 8 and issubclass(cls, (list, tuple)):
            for item in list(value)[:64]:
                _remember_all(item, kind, depth + 1)
    except Exception:  # noqa: S110 - remembering is best effort; the value itself is already replaced
        pass


DEFAULT = Redactor()
