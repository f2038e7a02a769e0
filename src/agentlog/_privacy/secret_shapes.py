"""Secret value shapes: the regexes that find secrets inside any string.

Bearer tokens, JWTs, PEM private keys, provider API keys, credentials in URLs,
``key=value`` secrets in free text and card numbers that pass the Luhn check;
emails and phone numbers when asked. Every replacement is a marker naming the
kind, ``[REDACTED:api_key]``, that never repeats any part of what it
replaced. Every pattern runs in linear time: each starts with a literal or
only where a run of its characters begins, and no quantifier that can fail
after a long match is unbounded, so a 1 MB hostile string costs one pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from .secret_keys import classify_key
from .secret_memory import MEMORY

__all__ = ["EMAIL", "MIN_SHAPE_LENGTH", "PHONE", "SHAPES", "Rule", "marker", "rules"]


def marker(kind: str) -> str:
    """Return the replacement text for a secret of *kind*."""
    return f"[REDACTED:{kind}]"


_TOKEN = "A-Za-z0-9_-"  # noqa: S105 - a character class, not a password
# (kind, pattern, needles): a pattern runs only on text whose lowercased form
# contains one of its needles, a check at memchr speed; the regexes themselves
# then see only the few strings that could hold a match.
SHAPES: list[tuple[str, str, tuple[str, ...]]] = [
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
EMAIL = (
    "email",
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@"
    r"[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z])",
    ("@",),
)
PHONE = ("phone", r"(?<![0-9A-Za-z_+])\+?[0-9](?:[ .()-]{0,2}[0-9]){7,14}(?![0-9A-Za-z_])", ())
_DIGITS = "0123456789"

# The shortest string any built-in shape can match; shorter strings skip the scan.
MIN_SHAPE_LENGTH = 8


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


class Rule:
    """One value shape: its kind, its regex, and the needles that gate it."""

    __slots__ = ("kind", "min_digits", "needles", "pattern", "replace")

    def __init__(self, kind: str, pattern: str, needles: tuple[str, ...], min_digits: int = 0) -> None:
        self.kind = kind
        self.pattern = re.compile(pattern)
        self.replace = _replacer(kind)
        self.needles = needles
        self.min_digits = min_digits

    def may_match(self, text: str, lowered: str) -> bool:
        """Whether the regex is worth running on *text* (*lowered* is its lowercase form)."""
        if self.min_digits:
            return _digit_count_at_least(text, self.min_digits)
        if not self.needles:
            return True
        return any(needle in lowered for needle in self.needles)


def rules(shapes: Iterable[tuple[str, str, tuple[str, ...]]]) -> tuple[Rule, ...]:
    """Compile (kind, pattern, needles) shapes; a needle-less digit shape is gated by its digit count."""
    compiled = []
    for kind, pattern, needles in shapes:
        min_digits = {"card_number": 13, "phone": 8}.get(kind, 0) if not needles else 0
        compiled.append(Rule(kind, pattern, needles, min_digits))
    return tuple(compiled)


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
