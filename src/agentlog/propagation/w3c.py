"""W3C Trace Context (``traceparent``, ``tracestate``) and Baggage, to the letter.

Parsing is strict where the specifications are strict — lowercase hex only,
all-zero IDs and version ``ff`` rejected, a version ``00`` value with anything
after the flags rejected — and lenient where they ask for leniency: surrounding
whitespace is ignored, a higher version is read by position when what follows
the flags starts a new field, invalid baggage members are skipped. Every
function here returns None (or drops the offending part) instead of raising.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import quote, unquote

from .. import _diagnostics

__all__ = [
    "BAGGAGE_MAX_BYTES",
    "BAGGAGE_MAX_MEMBERS",
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


class TraceParent(NamedTuple):
    """The parts of a valid ``traceparent`` header."""

    trace_id: str
    parent_id: str
    flags: str


def parse_traceparent(value: object) -> TraceParent | None:
    """Parse a ``traceparent`` header value; None when it is not valid."""
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
    return TraceParent(trace_id, parent_id, flags)


def format_traceparent(trace_id: str, span_id: str, flags: str = "01") -> str:
    """Return a version ``00`` ``traceparent`` value."""
    return f"00-{trace_id}-{span_id}-{flags}"


_TRACESTATE_KEY = re.compile(
    r"[a-z][a-z0-9_\-*/]{0,255}|[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13}"
)
_TRACESTATE_VALUE = re.compile(r"[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]")
TRACESTATE_MAX_MEMBERS = 32
TRACESTATE_MAX_LENGTH = 512


def parse_tracestate(value: object) -> str | None:
    """Validate a ``tracestate`` value for pass-through; None when it cannot be kept.

    Members are kept in order (at most 32, at most 512 characters in all,
    dropping from the right as the specification allows). A malformed member or
    a duplicated key invalidates the whole header.
    """
    if not isinstance(value, str) or len(value) > 8192:
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
            return None
        keys.add(key)
        members.append(member)
    while members and (
        len(members) > TRACESTATE_MAX_MEMBERS or len(",".join(members)) > TRACESTATE_MAX_LENGTH
    ):
        members.pop()
    return ",".join(members) or None


# -- baggage --------------------------------------------------------------------

BAGGAGE_MAX_MEMBERS = 64
BAGGAGE_MAX_BYTES = 8192
BAGGAGE_OVER_LIMITS = "inbound baggage beyond 64 members or 8192 bytes: the rest dropped"
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAGGAGE_VALUE = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")
# Characters left as they are when percent-encoding a value: baggage-octets
# except "%" itself (which must be encoded to round-trip).
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '",;\\%')


def parse_baggage(value: object) -> list[tuple[str, str, str]]:
    """Parse a ``baggage`` value into (key, decoded value, raw member) triples.

    Invalid members are skipped; at most 64 members and 8192 bytes are read
    (no partial member is ever kept; what is left is counted in
    `agentlog.problems`). Values are percent-decoded as UTF-8, invalid
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
        pair, _, _properties = member.partition(";")
        key, sep, encoded = pair.partition("=")
        key, encoded = key.strip(_OWS), encoded.strip(_OWS)
        if not sep or not _TOKEN.fullmatch(key) or not _BAGGAGE_VALUE.fullmatch(encoded):
            continue
        added = len(member.encode("utf-8")) + (1 if members else 0)
        if len(members) >= BAGGAGE_MAX_MEMBERS or size + added > BAGGAGE_MAX_BYTES:
            _diagnostics.report(BAGGAGE_OVER_LIMITS)
            break
        size += added
        members.append((key, unquote(encoded, errors="replace"), member))
    return members


def encode_member(key: str, value: str) -> str | None:
    """Return ``key=<percent-encoded value>``, or None if *key* is not a token."""
    if not _TOKEN.fullmatch(key):
        return None
    return f"{key}={quote(value, safe=_SAFE)}"


def format_baggage(members: list[str]) -> str:
    """Join raw members into a header value within the limits, never cutting one."""
    kept: list[str] = []
    size = 0
    for member in members:
        added = len(member.encode("utf-8")) + (1 if kept else 0)
        if len(kept) >= BAGGAGE_MAX_MEMBERS or size + added > BAGGAGE_MAX_BYTES:
            continue
        size += added
        kept.append(member)
    return ",".join(kept)
