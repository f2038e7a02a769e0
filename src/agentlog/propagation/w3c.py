"""W3C Trace Context (``traceparent``, ``tracestate``) and W3C Baggage, to the letter.

agentlog follows the current editor's draft of Trace Context (Level 2, as
published as a Candidate Recommendation Draft, and the Level 3 editor's
draft, which agree on everything here) and W3C Baggage.

Parsing is strict where the specifications are strict — lowercase hex only,
all-zero IDs and version ``ff`` rejected, a version ``00`` value with anything
after the flags rejected, a ``tracestate`` with an invalid member or more than
32 members dropped — and lenient where they ask for leniency: surrounding
whitespace is ignored, a higher version is read by position when what follows
the flags starts a new field, empty ``tracestate`` members are skipped and a
repeated key keeps its first entry, invalid baggage members are skipped.
Every function here returns None (or drops the offending part) instead of
raising, whatever text it is given: non-ASCII, lone surrogates (an
``os.environ`` value holding a byte that is not UTF-8), control characters.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import quote, unquote

from .. import _diagnostics

__all__ = [
    "BAGGAGE_MAX_BYTES",
    "BAGGAGE_MAX_MEMBERS",
    "TRACESTATE_LONG_MEMBER",
    "TRACESTATE_MAX_LENGTH",
    "TRACESTATE_MAX_MEMBERS",
    "TraceParent",
    "format_baggage",
    "format_traceparent",
    "parse_baggage",
    "parse_traceparent",
    "parse_tracestate",
]

_OWS = " \t"
_HEX_FIELD = re.compile(r"[0-9a-f]+")
_VERSION = re.compile(r"[0-9a-f]{2}")
# The flags this implementation knows (Level 2): sampled (bit 0) and random
# trace ID (bit 1). Others are cleared before a value is sent on.
_KNOWN_FLAGS = 0x03


class TraceParent(NamedTuple):
    """The parts of a valid ``traceparent`` header."""

    trace_id: str
    parent_id: str
    flags: str


def parse_traceparent(value: object) -> TraceParent | None:
    """Parse a ``traceparent`` header value; None when it is not valid.

    ``flags`` keeps only the flags Trace Context Level 2 defines (sampled and
    random); the others are reserved, and a vendor must send them as zero.
    """
    if not isinstance(value, str) or len(value) > 512:
        return None
    text = value.strip(_OWS)
    if len(text) < 55 or not _VERSION.fullmatch(text[:2]) or text[:2] == "ff":
        return None
    if text[:2] == "00" and len(text) != 55:
        return None
    if len(text) > 55 and text[55] != "-":
        return None
    if text[2] != "-" or text[35] != "-" or text[52] != "-":
        return None
    trace_id, parent_id, flags = text[3:35], text[36:52], text[53:55]
    for field in (trace_id, parent_id, flags):
        if not _HEX_FIELD.fullmatch(field):
            return None
    if trace_id == "0" * 32 or parent_id == "0" * 16:
        return None
    return TraceParent(trace_id, parent_id, f"{int(flags, 16) & _KNOWN_FLAGS:02x}")


def format_traceparent(trace_id: str, span_id: str, flags: str = "01") -> str:
    """Return a version ``00`` ``traceparent`` value."""
    return f"00-{trace_id}-{span_id}-{flags}"


# The key of the current drafts: a lowercase letter or digit, then up to 255
# of lowercase letters, digits, "_", "-", "*", "/" and "@" (any number of "@",
# anywhere but first). Level 1's tenant@system form is one case of it.
_TRACESTATE_KEY = re.compile(r"[a-z0-9][a-z0-9_\-*/@]{0,255}")
# Up to 256 printable ASCII characters but "," and "=", not ending in a space.
_TRACESTATE_VALUE = re.compile(r"[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]")
TRACESTATE_MAX_MEMBERS = 32
"""A list holds at most 32 members; one with more is invalid and dropped whole."""
TRACESTATE_MAX_LENGTH = 512
"""The longest ``tracestate`` agentlog passes on (the specification's minimum), shortened by whole members."""
TRACESTATE_LONG_MEMBER = 128
"""Members longer than this are the first removed when a ``tracestate`` must be shortened."""
# Longer input is not read at all: 32 members of the longest key and value
# with their separators are 16 447 characters; this leaves room for whitespace.
_TRACESTATE_MAX_INPUT = 32_768


def parse_tracestate(value: object) -> str | None:
    """Validate a ``tracestate`` value for pass-through; None when it cannot be kept.

    Several headers are given joined with commas. Whitespace around members
    and empty members are ignored. A member that is not ``key=value`` in the
    draft's grammar makes the header invalid (dropped whole, as the
    processing model allows and the W3C test suite expects). A repeated key
    keeps its first entry. More than 32 (distinct) members make the header
    invalid. Over 512 characters, whole members are removed: those longer
    than 128 characters first, right-most first, then from the right.
    """
    if not isinstance(value, str) or len(value) > _TRACESTATE_MAX_INPUT:
        return None
    members: list[str] = []
    keys: set[str] = set()
    for raw in value.split(","):
        member = raw.strip(_OWS)
        if not member:
            continue
        key, sep, member_value = member.partition("=")
        if not sep or not _TRACESTATE_KEY.fullmatch(key) or not _TRACESTATE_VALUE.fullmatch(member_value):
            return None
        if key in keys:
            continue  # one entry per key: the first (left-most) is the latest position
        keys.add(key)
        members.append(member)
        if len(members) > TRACESTATE_MAX_MEMBERS:
            return None
    return ",".join(_shortened(members)) or None


def _shortened(members: list[str]) -> list[str]:
    """*members* within 512 characters: long members removed first (right-most first), then from the right."""
    kept = list(members)
    for index in range(len(kept) - 1, -1, -1):
        if len(",".join(kept)) <= TRACESTATE_MAX_LENGTH:
            return kept
        if len(kept[index]) > TRACESTATE_LONG_MEMBER:
            del kept[index]
    while kept and len(",".join(kept)) > TRACESTATE_MAX_LENGTH:
        kept.pop()
    return kept


# -- baggage --------------------------------------------------------------------

BAGGAGE_MAX_MEMBERS = 64
BAGGAGE_MAX_BYTES = 8192
BAGGAGE_OVER_LIMITS = "inbound baggage beyond 64 members or 8192 bytes: the rest dropped"
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAGGAGE_VALUE = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")
# Characters left as they are when percent-encoding a value: baggage-octets
# except "%" itself (which must be encoded to round-trip).
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '",;\\%')


def _byte_length(text: str) -> int:
    """The UTF-8 length of *text*, whatever it holds (a lone surrogate counts as its three bytes)."""
    return len(text.encode("utf-8", "surrogatepass"))


def _valid_properties(properties: list[str]) -> bool:
    """Whether each ``;``-separated property is ``key`` or ``key=value`` (OWS allowed around both)."""
    for prop in properties:
        key, sep, value = prop.partition("=")
        if not _TOKEN.fullmatch(key.strip(_OWS)):
            return False
        if sep and not _BAGGAGE_VALUE.fullmatch(value.strip(_OWS)):
            return False
    return True


def parse_baggage(value: object) -> list[tuple[str, str, str]]:
    """Parse a ``baggage`` value into (key, decoded value, raw member) triples.

    A member is ``key=value`` with optional ``;property`` parts, all in the
    specification's grammar (so a member kept is plain ASCII); any other
    member is skipped, and the others are read. At most 64 members and 8192
    bytes are read (no partial member is ever kept; what is left is counted
    in `agentlog.problems`). Values are percent-decoded as UTF-8, invalid
    sequences becoming U+FFFD.
    """
    if not isinstance(value, str):
        return []
    members: list[tuple[str, str, str]] = []
    size = 0
    for raw in value.split(","):
        member = raw.strip(_OWS)
        if not member:
            continue
        pair, *properties = member.split(";")
        key, sep, encoded = pair.partition("=")
        key, encoded = key.strip(_OWS), encoded.strip(_OWS)
        if not sep or not _TOKEN.fullmatch(key) or not _BAGGAGE_VALUE.fullmatch(encoded):
            continue
        if not _valid_properties(properties):
            continue
        added = len(member) + (1 if members else 0)  # ASCII: one byte a character
        if len(members) >= BAGGAGE_MAX_MEMBERS or size + added > BAGGAGE_MAX_BYTES:
            _diagnostics.report(BAGGAGE_OVER_LIMITS)
            break
        size += added
        members.append((key, unquote(encoded, errors="replace"), member))
    return members


def encode_member(key: str, value: str) -> str | None:
    """Return ``key=<percent-encoded value>``, or None if *key* is not a token or *value* not encodable."""
    if not _TOKEN.fullmatch(key):
        return None
    try:
        return f"{key}={quote(value, safe=_SAFE)}"
    except UnicodeEncodeError:  # a lone surrogate (text read from os.environ): not sendable as UTF-8
        return None


def format_baggage(members: list[str]) -> str:
    """Join raw members into a header value within the limits, never cutting one."""
    kept: list[str] = []
    size = 0
    for member in members:
        added = _byte_length(member) + (1 if kept else 0)
        if len(kept) >= BAGGAGE_MAX_MEMBERS or size + added > BAGGAGE_MAX_BYTES:
            continue
        size += added
        kept.append(member)
    return ",".join(kept)
