"""Secret value shapes: the patterns that find secrets inside any string.

Bearer tokens, JWTs, PEM and PGP private keys, provider API keys, credentials
in URLs, ``key=value`` secrets in free text and card numbers that pass the
Luhn check; emails and phone numbers when asked. Every replacement is a
marker naming the kind, ``[REDACTED:api_key]``, that never repeats any part of
what it replaced.

Speed. A redactor scans every string written, so text without a secret must
cost little more than reading it. Each shape holds an *anchor*, a character
found with ``str.find`` at memchr speed: ``-`` for ``sk-…`` and PEM armour,
``=`` and ``:`` for ``key=value`` (and ``://`` credentials), ``J`` for the
``eyJ`` of a JWT, ``B`` for ``Bearer``, ``_`` for ``ghp_…`` … A string without
any anchor is done after a few memchr calls. Where an anchor is, a small
*candidate* regex starting at it checks the few characters around it with
fixed-width lookbehinds, in C; only a candidate runs the shape's full
pattern. The first anchors are tried one by one and a text dense with them is
handed to one ``finditer`` pass. Card numbers are found through a byte
skeleton of the text (digits and their separators). Matches are collected as
spans of the text and replaced in one pass.

Linear time. Every pattern starts at an anchor, and no quantifier that can
fail after a long match is unbounded, so a 1 MB hostile string costs one pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

from .secret_keys import SECRET_WORD_ENDINGS, classify_key, query_kind
from .secret_memory import MEMORY

__all__ = ["ARMOUR", "EMAIL", "PHONE", "Scanner", "apply_spans", "marker", "pem_body_line"]

Span = tuple[int, int, str]
"""(start, end, replacement) in the scanned text."""


def marker(kind: str) -> str:
    """Return the replacement text for a secret of *kind*."""
    return f"[REDACTED:{kind}]"


_T = "A-Za-z0-9_-"  # a token character (base64url)
# Anchors of one kind tried one at a time before one finditer pass takes the rest.
_HITS_ONE_BY_ONE = 4
# Below one anchor in this many characters, checking anchors one by one is
# cheaper than a pass of the regex engine over the rest of the text.
_SPARSE = 400


class _Shape(NamedTuple):
    """A shape found at an anchor: its full pattern starts *back* characters before the anchor."""

    kind: str
    back: int
    pattern: re.Pattern[str]
    span: str = "all"  # "all": the whole match; "value": the group "v"; "pem": all, and armour


def _shape(kind: str, back: int, pattern: str, span: str = "all") -> _Shape:
    return _Shape(kind, back, re.compile(pattern), span)


Affixes = tuple[str | tuple[str, ...] | None, str | tuple[str, ...] | None]
"""What must end just before an anchor and start just after it (None: anything)."""


class _Anchor(NamedTuple):
    char: str
    candidate: str  # after the anchor character: a cheap test, mostly lookbehinds
    shapes: tuple[_Shape, ...]
    affixes: Affixes  # the same test in plain string calls, for anchors taken one by one


_PEM = (
    # PEM and PGP armour, with its headers (Version:, Comment: …) and body, up to
    # the END line, or up to the next armour line or the end of the text.
    r"-----BEGIN (?:[A-Z0-9]+ ){0,4}(?:PRIVATE|SECRET) KEY(?: BLOCK)?-----"
    r"[^-]*(?:-(?!----)[^-]*)*(?:-----END [A-Z0-9 ]{0,60}-----)?"
)
# "Bearer <token>": the token holds a digit or a symbol (not only as trailing
# punctuation), or is 16 letters or more, so that "Bearer bonds." stays prose;
# it may end with base64 padding, and is not the key of a key=value pair
# ("token_type=bearer secret_name=db").
_BEARER_VALUE = (
    r"(?P<v>(?:(?=[A-Za-z]{0,200}(?:[0-9_~+/-]|\.[A-Za-z0-9]))[A-Za-z0-9._~+/-]{6,}|[A-Za-z]{16,})"
    r"(?:={1,3})?)(?![=A-Za-z0-9._~+/-])"
)

_DASHED = ("sk", "key", "glpat", "pypi", "xapp", "sq0atp", "sq0csp", *(f"xox{c}" for c in "abposr"))
_UNDERSCORED = (
    *(f"gh{c}" for c in "pousr"),
    *("github", "hf", "rk", "sk", "npm", "dop", "whsec", "shpat", "shpss", "shpca", "shppa"),
)

_ANCHORS: tuple[_Anchor, ...] = (
    _Anchor(
        "G",
        "(?<=-----BEG)IN ",
        (_shape("private_key", 7, _PEM, "pem"),),
        (None, "IN "),
    ),
    _Anchor(
        "-",
        r"(?:(?<=sk-)|(?<=key-)|(?<=(?:pypi|xox[abposr]|xapp)-)|(?<=glpat-)|(?<=sq0(?:atp|csp)-))",
        (
            _shape("api_key", 2, rf"(?<![{_T}])sk-[{_T}]{{20,}}"),
            _shape("api_key", 3, rf"(?<![{_T}])key-[0-9a-f]{{32}}(?![0-9a-f])"),
            _shape("api_key", 5, rf"(?<![{_T}])glpat-[{_T}]{{20,}}"),
            _shape("api_key", 4, rf"(?<![{_T}])pypi-[{_T}]{{50,}}"),
            _shape("api_key", 4, r"(?<![A-Za-z0-9-])xox[abposr]-[A-Za-z0-9-]{10,}"),
            _shape("api_key", 4, r"(?<![A-Za-z0-9-])xapp-[0-9]-[A-Za-z0-9-]{10,}"),
            _shape("api_key", 6, rf"(?<![{_T}])sq0(?:atp|csp)-[{_T}]{{22,}}"),
        ),
        (_DASHED, None),
    ),
    _Anchor(
        "_",
        r"(?:(?<=gh[pousr]_)|(?<=(?:hf|rk|sk)_)|(?<=(?:npm|dop)_)|(?<=(?:whsec|shp(?:at|ss|ca|pa))_)"
        r"|(?<=github_)pat_)",
        (
            _shape("api_key", 3, r"(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{30,}"),
            _shape("api_key", 6, r"(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{22,}"),
            _shape("api_key", 2, r"(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,}"),
            _shape("api_key", 2, r"(?<![A-Za-z0-9_])[rs]k_(?:live|test)_[0-9A-Za-z]{16,}"),
            _shape("api_key", 3, r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36,}"),
            _shape("api_key", 3, r"(?<![A-Za-z0-9_])dop_v1_[a-f0-9]{64}"),
            _shape("api_key", 5, r"(?<![A-Za-z0-9_])whsec_[A-Za-z0-9+/=]{24,}"),
            _shape("api_key", 5, r"(?<![A-Za-z0-9_])shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}"),
        ),
        (_UNDERSCORED, None),
    ),
    # A JWT (or JWE): the header is JSON, so base64url "eyJ"; the payload may be anything.
    _Anchor(
        "J",
        "(?<=eyJ)",
        (_shape("jwt", 2, rf"(?<![{_T}])eyJ[{_T}]{{8,}}\.[{_T}]*\.[{_T}]*(?:\.[{_T}]+){{0,2}}"),),
        ("ey", None),
    ),
    _Anchor(
        "K",
        "(?<=AK)IA",
        (_shape("api_key", 1, r"(?<![A-Za-z0-9])AKIA[A-Z0-9]{16}(?![A-Za-z0-9])"),),
        ("A", "IA"),
    ),
    _Anchor(
        "S",
        r"(?:(?<=AS)IA|G\.)",
        (
            _shape("api_key", 1, r"(?<![A-Za-z0-9])ASIA[A-Z0-9]{16}(?![A-Za-z0-9])"),
            _shape("api_key", 0, rf"(?<![A-Za-z0-9_.-])SG\.[{_T}]{{16,32}}\.[{_T}]{{16,64}}"),
        ),
        (None, ("IA", "G.")),
    ),
    _Anchor(
        "z",
        "(?<=AIz)a",
        (_shape("api_key", 2, rf"(?<![{_T}])AIza[{_T}]{{35}}(?![{_T}])"),),
        ("AI", "a"),
    ),
    _Anchor(
        "9",
        r"(?<=ya29)\.",
        (_shape("api_key", 3, rf"(?<![{_T}])ya29\.[{_T}]{{20,}}"),),
        ("ya2", "."),
    ),
    _Anchor(
        "B",
        r"(?:earer|EARER)[ \t]",
        (_shape("bearer_token", 0, rf"(?<![A-Za-z0-9])B(?:earer|EARER)[ \t]+{_BEARER_VALUE}", "value"),),
        (None, ("earer", "EARER")),
    ),
    _Anchor(
        "b",
        r"(?<![A-Za-z0-9]b)earer[ \t]",
        (_shape("bearer_token", 0, rf"(?<![A-Za-z0-9])bearer[ \t]+{_BEARER_VALUE}", "value"),),
        (None, "earer"),
    ),
    _Anchor(
        "/",
        r"(?:(?<=hooks\.slack\.com/)[swt]|(?<=discord\.com/)a|(?<=discordapp\.com/)a)",
        (
            _shape("webhook_url", 15, r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+"),
            _shape("webhook_url", 11, r"discord\.com/api/webhooks/[A-Za-z0-9/_-]+"),
            _shape("webhook_url", 14, r"discordapp\.com/api/webhooks/[A-Za-z0-9/_-]+"),
        ),
        (("hooks.slack.com", "discord.com", "discordapp.com"), None),
    ),
)


def _ending_check(sep: str) -> str:
    """A test passing where *sep* follows a key that may name a secret (`SECRET_WORD_ENDINGS`).

    The key may be followed by a closing quote (maybe escaped) and up to two
    blanks before the separator. A one-character lookbehind first, which fails
    at once for most separators (a digit before a colon, a colon before a
    colon); then the key's last letters, in fixed-width lookbehinds whose
    branches start with a character class, so that the regex engine skips
    them cheaply.
    """
    by_width: dict[int, list[str]] = {}
    for ending in sorted(SECRET_WORD_ENDINGS):
        letters = "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in ending)
        by_width.setdefault(len(ending), []).append(letters)
    ends = ["(?:" + "|".join(endings) + ")" for _, endings in sorted(by_width.items())]
    sep = re.escape(sep)

    def variants(trailers: list[str]) -> str:
        return "|".join(f"(?<={end}{trailer}{sep})" for trailer in trailers for end in ends)

    quote, blank, escaped = "[\"']", "[ \t]", r"\\"
    return (
        f"(?:(?<=[A-Za-z]{sep})(?:{variants([''])})"
        f"|(?<={quote}{sep})(?:{variants([quote, escaped + quote])})"
        f"|(?<={blank}{sep})(?:{variants([blank, quote + blank, blank + blank, escaped + quote + blank])}))"
    )


# -- key=value --------------------------------------------------------------------------------

# Read backwards from a separator: blanks, a closing quote (maybe escaped), the key.
_KEY_BACKWARDS = re.compile(r"[ \t]{0,5}(?P<quote>[\"']\\?)?(?P<key>[A-Za-z0-9_.-]{1,64})")
# The value after a separator (matched from the separator).
_QUOTED = (
    r"[bB]?\"(?P<dq>[^\"\\\n]*(?:\\.[^\"\\\n]*)*)\"|[bB]?'(?P<sq>[^'\\\n]*(?:\\.[^'\\\n]*)*)'"
    r"|\\\"(?P<eq>[^\"\\\n]*(?:\\[^\"\n][^\"\\\n]*)*)\\\""
)
_SCHEME = r"(?:(?i:bearer|basic|digest|token|bot|negotiate|ntlm|apikey|sso-key)[ \t]+)?"
_VALUES = {
    # A query string: the value ends where the next parameter starts.
    "query": re.compile(rf"[=:]>?[ \t]{{0,5}}(?:{_QUOTED}|(?P<raw>[^\s&;#\"'<>]+))"),
    # A connection string: ';' separates its pairs.
    "conn": re.compile(rf"[=:]>?[ \t]{{0,5}}(?:{_QUOTED}|(?P<raw>[^\s;\"']+))"),
    # Free text: an unquoted value runs to the next blank (a secret may hold & ; , …);
    # a quote never closed takes the rest of the line.
    "text": re.compile(
        rf"[=:]>?[ \t]{{0,5}}(?:{_QUOTED}|(?P<num>-?[0-9]+(?:\.[0-9]+)?)(?=[,}}\]\s]|$)"
        rf"|(?P<open>[bB]?[\"'][^\n]*)|(?P<raw>{_SCHEME}\S+))"
    ),
    # A header whose value runs to the end of its line (Cookie: a=1; b=2).
    "line": re.compile(rf"[:=][ \t]{{0,5}}(?:{_QUOTED}|(?P<raw>[^\r\n]+))"),
}
_NOT_SECRETS = frozenset({"null", "none", "nil", "true", "false", "undefined", ""})
_LINE_KINDS = frozenset({"cookie"})


def _key_value(text: str, sep: int, spans: list[Span]) -> int:
    """A separator at *sep* that may end a secret key: its value's span. Returns where to go on."""
    window = text[sep - 1 : sep - 81 if sep > 80 else None : -1]
    found = _KEY_BACKWARDS.match(window)
    if found is None:
        return sep + 1
    key = found.group("key")[::-1].strip(".-")
    before = sep - found.end()  # where the key starts
    lead = text[before - 1] if before >= 1 else ""
    if lead and lead in "\"'" and before >= 2:
        lead = text[before - 2]  # the key is quoted: what is before its quote
    if lead and (lead in "?&" or (lead == ";" and text.endswith("&amp", 0, before - 1))):
        context, kind = "query", query_kind(key)
    else:
        kind = classify_key(key)
        context = "conn" if lead == ";" else "line" if kind in _LINE_KINDS and text[sep] == ":" else "text"
    if kind is None:
        return sep + 1
    value = _VALUES[context].match(text, sep)
    if value is None:
        return sep + 1
    group = value.lastgroup or "raw"
    start, end = value.span(group)
    if group == "open":  # from after the opening quote to the end of the line
        start += 2 if text[start] in "bB" else 1
    secret = text[start:end]
    if secret.strip().casefold() in _NOT_SECRETS or secret.startswith("[REDACTED:"):
        return value.end()
    spans.append((start, end, marker(kind)))
    if group in ("raw", "open"):
        # "Basic dXNl…": the scheme is not the secret, the token after it is.
        parts = secret.split()
        secret = parts[-1] if parts else secret
    MEMORY.remember(secret, kind, "text")
    return value.end()


_ENDINGS = frozenset(SECRET_WORD_ENDINGS)
_LAST_LETTERS = frozenset(ending[-1] for ending in SECRET_WORD_ENDINGS if ending[-1].isalpha())
# What may stand just before a separator that follows a secret key: a letter a
# secret name ends with (either case), or a closing quote or a blank.
_BEFORE_SEPARATOR = frozenset({*_LAST_LETTERS, *(letter.upper() for letter in _LAST_LETTERS), *"\"' \t"})


def _colon_may_start(text: str, at: int) -> bool:
    """Whether the colon at *at* may start ://user:pass@, a bot token's :AA…, or follow a secret key."""
    if text.startswith("//", at + 1):
        return text.find("@", at + 3, at + 2048) >= 0  # no @ in reach: no credentials
    return text.startswith("AA", at + 1) or _may_end_key(text, at)


def _may_end_key(text: str, at: int) -> bool:
    """Whether the separator at *at* may follow a key ending like a secret name, in plain string calls.

    A quote or a blank before the separator is left to the candidate regex.
    """
    if at == 0 or text[at - 1] not in _BEFORE_SEPARATOR:
        return False  # a digit, a bracket, a letter no secret name ends with …
    if text[at - 1] in "\"' \t":
        return True
    tail = text[max(at - 3, 0) : at].lower()
    return tail in _ENDINGS or tail[-2:] in _ENDINGS


_URL_CREDENTIALS = re.compile(r"://(?P<v>[^\s/?#]*)@")
_TELEGRAM = re.compile(rf"(?<![0-9])[0-9]{{8,10}}:AA[{_T}]{{30,40}}(?![{_T}])")


def _colon(text: str, at: int, spans: list[Span]) -> int:
    """A colon: a key: value pair, scheme://user:password@, or a Telegram bot token."""
    if text.startswith("//", at + 1):
        found = _URL_CREDENTIALS.match(text, at)
        if found is not None:
            userinfo = found.group("v")
            if userinfo and userinfo != "git":
                spans.append((found.start("v"), found.end("v"), marker("url_credentials")))
            return found.end()
        return at + 3
    if text.startswith("AA", at + 1):
        for back in (10, 9, 8):
            found = _TELEGRAM.match(text, at - back) if at >= back else None
            if found is not None:
                spans.append((found.start(), found.end(), marker("api_key")))
                return found.end()
    return _key_value(text, at, spans)


# -- the anchors' scanners --------------------------------------------------------------------


class _Driver:
    """One anchor character: its candidate regex, and what a candidate becomes."""

    __slots__ = ("after", "before", "candidate", "char", "handle", "quick")

    def __init__(
        self,
        char: str,
        candidate: str,
        handle: Callable[[str, int, list[Span]], int],
        affixes: Affixes | None = None,
        quick: Callable[[str, int], bool] | None = None,
    ) -> None:
        self.char = char
        self.candidate = re.compile(re.escape(char) + candidate)
        self.handle = handle
        self.before, self.after = affixes or (None, None)
        self.quick = quick

    def collect(self, text: str, first: int, spans: list[Span]) -> None:
        """Add the spans of this anchor's shapes in *text*, whose first anchor is at *first*.

        Anchors are taken one by one with memchr while they are sparse (less
        than one per `_SPARSE` characters), tested with plain string calls:
        then that is cheaper than a pass of the regex engine over the rest of
        the text. Past that, one `finditer` of the candidate regex takes the
        rest, in C.
        """
        find, char, handle, quick = text.find, self.char, self.handle, self.quick
        before, after = self.before, self.after
        at = first
        seen = 0
        while at >= 0:
            if seen >= _HITS_ONE_BY_ONE and (at - first) < seen * _SPARSE:
                break  # dense
            seen += 1
            if quick is not None:
                hit = quick(text, at)
            else:
                hit = (before is None or text.endswith(before, 0, at)) and (
                    after is None or text.startswith(after, at + 1)
                )
            at = find(char, max(handle(text, at, spans), at + 1) if hit else at + 1)
        else:
            return
        resume = at
        for found in self.candidate.finditer(text, at):
            if found.start() >= resume:  # not inside what a match before took
                resume = handle(text, found.start(), spans)


def _shapes_handler(shapes: tuple[_Shape, ...]) -> Callable[[str, int, list[Span]], int]:
    def handle(text: str, at: int, spans: list[Span]) -> int:
        for shape in shapes:
            if at < shape.back:
                continue
            found = shape.pattern.match(text, at - shape.back)
            if found is None:
                continue
            if shape.span == "value":
                spans.append((found.start("v"), found.end("v"), marker(shape.kind)))
            else:
                spans.append((found.start(), found.end(), marker(shape.kind)))
                if shape.span == "pem" and found.end() == len(text) and "-----END" not in found.group():
                    # A key logged line by line: its body lines come in the next strings.
                    ARMOUR.left = _ARMOUR_STRINGS
            return found.end()
        return at + 1

    return handle


def apply_spans(text: str, spans: list[Span]) -> str:
    """*text* with each span replaced; overlapping spans become one replacement."""
    spans.sort()
    parts = []
    at = 0
    for start, end, replacement in spans:
        if start < at:  # inside the previous replacement: its tail goes with it
            at = max(at, end)
            continue
        parts.append(text[at:start])
        parts.append(replacement)
        at = end
    parts.append(text[at:])
    return "".join(parts)


# -- card numbers ----------------------------------------------------------------------------

_CARD = re.compile(
    # Printed the ways cards are: 13-19 digits in a row, 4-4-4-4(-3), or 4-6-4/5.
    r"(?<![0-9A-Za-z_])(?:[0-9]{13,19}|[0-9]{4}(?:[ -][0-9]{4}){2}[ -][0-9]{1,4}(?:[ -][0-9]{1,3})?"
    r"|[0-9]{4}[ -][0-9]{6}[ -][0-9]{4,5})(?![0-9A-Za-z_])"
)
# A digit, a blank or a dash to "0", anything else to ".": a card is then
# thirteen "0" in a row, a needle found at memchr-like speed.
_SKELETON = bytes(48 if 48 <= byte <= 57 or byte in (32, 45) else 46 for byte in range(256))
_RUN = b"0" * 13
_DIGITS = "0123456789"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _cards(text: str, spans: list[Span]) -> None:
    """Card numbers (13-19 digits passing the Luhn check) in *text*."""
    if not any(digit in text for digit in _DIGITS):
        return
    if not text.isascii():
        for found in _CARD.finditer(text):
            _card_span(found, spans)
        return
    skeleton = text.encode("ascii").translate(_SKELETON)
    at = skeleton.find(_RUN)
    while at >= 0:
        # The run may be blanks around a number: look in it for the card, in C.
        end = skeleton.find(b".", at + 13)
        if end < 0:
            end = len(skeleton)
        # One character past the run, so the pattern's look-ahead sees what follows it (a letter
        # right after the digits makes them part of a word, such as a UUID, not a card number).
        for found in _CARD.finditer(text, at, end + 1):
            _card_span(found, spans)
        at = skeleton.find(_RUN, end)


def _card_span(found: re.Match[str], spans: list[Span]) -> None:
    digits = found.group().replace(" ", "").replace("-", "")
    if 13 <= len(digits) <= 19 and _luhn_ok(digits):
        spans.append((found.start(), found.end(), marker("card_number")))


# -- PII (asked for) ---------------------------------------------------------------------------

EMAIL = (
    "email",
    # Unicode letters in the local part and the domain (josé@exämple.com, 用户@例子.广告),
    # and quoted local parts ("john doe"@example.com).
    r"(?:(?<![\w.%+-])[\w.%+-]{1,64}|\"[^\"\r\n@]{1,64}\")@"
    r"[\w-]{1,63}(?:\.[\w-]{1,63}){0,8}\.(?:[^\W\d_]{2,24}|xn--[a-z0-9-]{1,59})(?![\w-])",
)
_PHONE_SEPARATORS = " .()\\-\u00a0\u2009\u3000\uff0d\uff08\uff09"
# Digits of any script (Arabic-Indic, Devanagari, fullwidth …): \d is Unicode here.
PHONE = (
    "phone",
    rf"(?<![\w+\uff0b])[+\uff0b]?\d(?:[{_PHONE_SEPARATORS}]{{0,2}}\d){{7,14}}(?![\w])",
)


def _digit_count_at_least(text: str, count: int) -> bool:
    total = 0
    for digit in _DIGITS:
        total += text.count(digit)
        if total >= count:
            return True
    return False


# -- a private key logged line by line --------------------------------------------------------


class _Armour:
    """Process-wide: a private key's BEGIN line was seen without its END line."""

    left = 0
    """How many more strings are checked for the key's lines (0: none expected)."""


ARMOUR = _Armour()
_ARMOUR_STRINGS = 200
_ARMOUR_BODY = re.compile(r"[A-Za-z0-9+/=\s]{4,8192}")
_ARMOUR_HEADER = re.compile(r"(?:Version|Comment|Hash|Charset|MessageID|Proc-Type|DEK-Info): [^\n]{0,200}")
_BASE64_LINE = re.compile(r"[A-Za-z0-9+/]{64}|[A-Za-z0-9+/]{70}|[A-Za-z0-9+/]{76}")


def _armour_line(text: str) -> bool:
    """While a key is open: whether *text* is one of its lines (body, checksum, header)."""
    line = text.strip()
    if _ARMOUR_HEADER.fullmatch(line) is not None:
        return True
    if _ARMOUR_BODY.fullmatch(line) is None:
        return False
    # Base64, not a word or a number: a digit or a base64 symbol, with letters.
    return not line.isalpha() and not line.isdigit() and any(char.isalpha() for char in line)


def pem_body_line(text: str) -> bool:
    """Whether *text* is, alone, one full line of a PEM or PGP body (64, 70 or 76 base64 characters)."""
    line = text.strip()
    if len(line) not in (64, 70, 76) or _BASE64_LINE.fullmatch(line) is None:
        return False
    return not (line.islower() or line.isupper()) and any(char.isdigit() for char in line)


# -- the scanner -------------------------------------------------------------------------------


class Scanner:
    """Finds every built-in (and user-given) shape in a text and replaces it."""

    def __init__(
        self, extra: Iterable[tuple[str, str]] = (), emails: bool = False, phones: bool = False
    ) -> None:
        drivers = [
            _Driver(anchor.char, anchor.candidate, _shapes_handler(anchor.shapes), anchor.affixes)
            for anchor in _ANCHORS
        ]
        drivers.append(_Driver("=", _ending_check("="), _key_value, quick=_may_end_key))
        drivers.append(_Driver(":", f"(?://|AA|{_ending_check(':')})", _colon, quick=_colon_may_start))
        self._drivers = tuple(drivers)
        self._extra = tuple((kind, re.compile(pattern)) for kind, pattern in extra)
        self._email = re.compile(EMAIL[1]) if emails else None
        self._phone = re.compile(PHONE[1]) if phones else None
        self._pii_email = re.compile(EMAIL[1])
        self._pii_phone = re.compile(PHONE[1])

    def scan(self, text: str, pii: bool = False, spans: list[Span] | None = None) -> str:
        """*text* with every shape found, and every span given, replaced by its marker."""
        if ARMOUR.left:
            ARMOUR.left -= 1
            if "-----END" in text:
                ARMOUR.left = 0
            elif _armour_line(text):
                return marker("private_key")
        if spans is None:
            spans = []
        for driver in self._drivers:
            first = text.find(driver.char)
            if first >= 0:
                driver.collect(text, first, spans)
        _cards(text, spans)
        for kind, pattern in self._extra:
            for found in pattern.finditer(text):
                if found.end() > found.start():
                    spans.append((found.start(), found.end(), marker(kind)))
        email = self._pii_email if pii else self._email
        if email is not None and "@" in text:
            for found in email.finditer(text):
                spans.append((found.start(), found.end(), marker("email")))
        phone = self._pii_phone if pii else self._phone
        if phone is not None and (not text.isascii() or _digit_count_at_least(text, 8)):
            for found in phone.finditer(text):
                spans.append((found.start(), found.end(), marker("phone")))
        if len(text) <= 80 and pem_body_line(text):
            spans.append((0, len(text), marker("private_key")))
        return apply_spans(text, spans) if spans else text
