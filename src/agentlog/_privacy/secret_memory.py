"""Remembered secrets: values known to be secret, scrubbed wherever they reappear.

A password passed as a tool argument may come back in the tool's error
message, a result, or a library's stdlib line. Values are remembered
process-wide (a secret is a secret everywhere in the process) in three tiers,
each bounded on its own so that no tier can push another's values out:

* ``payload`` — every string (and integer) seen under a secret key name in
  a tool's arguments, a result, a task or a prompt (in every capture mode):
  the strongest, fed only by payloads, so no amount of logging can push a
  password given to a tool out of it;
* ``key`` — the same for log fields (``log.info(..., token=…)``);
* ``text`` — values of ``password=…`` shapes met in free text: a weaker tier,
  since any logged text can fill it, and remembered only when they look like a
  secret (8 characters or more, mixed character classes or 16 or more);
* ``args`` — the string arguments of tool calls captured as ``hash`` or
  ``none``, and their URL- and JSON-encoded forms, so that a library echoing
  them (an HTTP client logging its request URL) does not write them raw.

No tier remembers common words: agentlog's own statuses, stop reasons and
event names, and the usual status and boolean words, so that logging
``password=completed`` does not turn every later ``completed`` into a marker.

Readers take `SecretMemory.snapshot`, an immutable tuple replaced whole on
every change: a cache tied to one snapshot can never serve a text scrubbed
before a secret was remembered. Writers take a re-entrant lock (a signal
handler or ``__del__`` that logs while it is held on the same thread does not
deadlock), replaced in a forked child (a fork while another thread held it
does not hang the child).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from .._vocabulary import LEVELS, STOP_REASONS, TYPED_EVENTS

__all__ = [
    "ARGS_KIND",
    "MEMORY",
    "TIERS",
    "SecretMemory",
    "Snapshot",
    "common_word",
    "remember_all",
    "remember_arguments",
]

TIERS: dict[str, int] = {"payload": 256, "key": 256, "text": 64, "args": 128}
"""Each tier and the most values it holds (the least recently seen go first)."""
_STRENGTH = {"payload": 4, "key": 3, "text": 2, "args": 1}
_MIN_LENGTH = {"payload": 6, "key": 6, "text": 8, "args": 8}
_MAX_LENGTH = 64 * 1024
# Values that are never secrets however they were met: agentlog's own words and
# the statuses, stop reasons and placeholders every log is full of.
_COMMON = frozenset(
    word.casefold()
    for word in (
        *STOP_REASONS,
        *TYPED_EVENTS,
        *LEVELS,
        "success",
        "succeeded",
        "successful",
        "failed",
        "failure",
        "complete",
        "completed",
        "finished",
        "pending",
        "running",
        "started",
        "stopped",
        "canceled",
        "cancelled",
        "timeout",
        "timed_out",
        "unknown",
        "enabled",
        "disabled",
        "active",
        "inactive",
        "expired",
        "revoked",
        "invalid",
        "missing",
        "required",
        "optional",
        "default",
        "changeme",
        "password",
        "passwd",
        "secret",
        "redacted",
        "[redacted]",
        "<redacted>",
        "********",
        "undefined",
        "nullptr",
        "end_turn",
        "stop_sequence",
        "max_tokens",
        "tool_use",
        "tool_calls",
        "function_call",
        "content_filter",
        "stop",
        "length",
        "refusal",
        "pause_turn",
        "max_turns",
        "max_steps",
        "in_progress",
        "queued",
        "requires_action",
        "not_found",
        "forbidden",
        "unauthorized",
        "internal_error",
        "bad_request",
        "rate_limited",
        "overloaded",
    )
)
# Markers, and the words a marker is made of, are never remembered.
_MARKER_TEXT = "[REDACTED:"
# Characters ordered from most to least common in prose and log text: a value
# is found through its rarest character, checked at memchr speed first.
_FREQUENT = " etaoinsrhldcumfpgwybvkxjqz0123456789.,-_/:=ETAOINSRHLDCUMFPGWYBVKXJQZ\"'"
_RANK = {char: index for index, char in enumerate(_FREQUENT)}
_DIRECT_LIMIT = 12


def common_word(value: str) -> bool:
    """Whether *value* is a word too common to be remembered as a secret (``completed``, ``true``)."""
    return value.strip().casefold() in _COMMON


def _classes(value: str) -> int:
    lower = upper = digit = other = 0
    for char in value:
        if char.islower():
            lower = 1
        elif char.isupper():
            upper = 1
        elif char.isdigit():
            digit = 1
        else:
            other = 1
    return lower + upper + digit + other


def eligible(value: str, tier: str) -> bool:
    """Whether *value* may be remembered in *tier* (long enough, not a common word, not a marker)."""
    if not _MIN_LENGTH[tier] <= len(value) <= _MAX_LENGTH or _MARKER_TEXT in value:
        return False
    stripped = value.strip()
    if len(stripped) < _MIN_LENGTH[tier] or stripped.casefold() in _COMMON:
        return False
    if len(set(stripped)) < 3 and tier != "payload":
        # "aaaaaaaa" in a log field is filler; given to a tool as a password, it is the password.
        return False
    if tier == "text":
        # Free text can say anything: only values shaped like a secret are learned from it.
        return len(stripped) >= 16 or _classes(stripped) >= 2
    if tier == "args":
        # A single plain word is an enum-like argument ("ascending"), not content.
        return len(stripped) >= 16 or not stripped.isalpha()
    return True


class _Ranks(dict[str, int]):
    def __missing__(self, char: str) -> int:
        return len(_FREQUENT)  # not listed: rarer than any that is


_RANKS = _Ranks(_RANK)


def _anchor(value: str) -> str:
    """The value's rarest character (by `_FREQUENT`): where a search for it starts."""
    return max(set(value), key=_RANKS.__getitem__)


class Snapshot:
    """The remembered (value, kind) pairs at one moment, grouped by anchor to find them.

    Immutable: the memory publishes a new one for every change. ``version``
    counts the values ever added, and `added_since` names those added after
    an older version, so that a text scrubbed under an older snapshot can be
    checked against just those instead of scanned again. Iterating gives the
    (value, kind) pairs.
    """

    __slots__ = ("_count", "_log", "_log_start", "groups", "version")

    def __init__(
        self,
        groups: tuple[tuple[str, tuple[tuple[str, str], ...]], ...],
        count: int,
        version: int,
        log: list[str],
        log_start: int,
    ) -> None:
        self.groups = groups
        self._count = count
        self.version = version
        # The memory only ever appends to this list (it starts a new one to trim
        # it), so the part up to *version* stays as this snapshot saw it.
        self._log = log
        self._log_start = log_start

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for _, members in self.groups:
            yield from members

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def added_since(self, version: int) -> tuple[str, ...] | None:
        """The values added after *version* (None when that is too long ago to say)."""
        if version < self._log_start:
            return None
        return tuple(self._log[version - self._log_start : self.version - self._log_start])

    def spans_in(self, text: str, marker: Callable[[str], str]) -> list[tuple[int, int, str]]:
        """Where remembered values sit in *text*: (start, end, ``marker(kind)``) for each occurrence.

        Spans of the text as it is, not replacements: the value shapes are
        found in the same text, so that replacing a remembered value never
        breaks a shape around it (a remembered ``-----BEGIN`` must not hide
        the private key after it).
        """
        if self._count <= _DIRECT_LIMIT:
            found = [(value, kind) for _, members in self.groups for value, kind in members if value in text]
        else:
            found = [
                (value, kind)
                for anchor, members in self.groups
                if anchor in text
                for value, kind in members
                if value in text
            ]
        spans = []
        for value, kind in found:
            replacement, size, find = marker(kind), len(value), text.find
            start = find(value)
            while start >= 0:
                spans.append((start, start + size, replacement))
                start = find(value, start + size)
        return spans


def _snapshot(
    groups: Mapping[str, tuple[tuple[str, str], ...]],
    count: int,
    version: int,
    log: list[str],
    log_start: int,
) -> Snapshot:
    """A snapshot of the anchor *groups* (anchor -> its (value, kind) pairs) at *version*."""
    return Snapshot(tuple(groups.items()), count, version, log, log_start)


# How many recent additions a snapshot can name (`Snapshot.added_since`).
_LOG_LIMIT = 256


class SecretMemory:
    """Values known to be secret, in bounded tiers, replaced wherever they reappear."""

    def __init__(self, limits: Mapping[str, int] | None = None) -> None:
        self._limits = dict(TIERS if limits is None else limits)
        self._lock = threading.RLock()
        self._tiers: dict[str, OrderedDict[str, str]] = {tier: OrderedDict() for tier in self._limits}
        # value -> tier, for the lock-free check that a value is known already.
        self._known: dict[str, str] = {}
        self._anchors: dict[str, str] = {}
        # The values by anchor, and each anchor's pairs as the snapshot holds them
        # (rebuilt only for the anchors a change touched).
        self._groups: dict[str, dict[str, str]] = {}
        self._group_pairs: dict[str, tuple[tuple[str, str], ...]] = {}
        self._dirty: set[str] = set()
        self._log: list[str] = []  # the values added, the last _LOG_LIMIT of them
        self._added = 0  # values added ever: the version
        # Fingerprints of tool arguments whose values are all remembered (see
        # remember_arguments); forgotten whenever the arguments tier evicts.
        self.arguments_seen: dict[int, None] = {}
        self._version = 0
        self.snapshot: Snapshot = _snapshot({}, 0, 0, [], 0)

    def remember(self, value: str, kind: str, tier: str = "key") -> None:
        """Remember *value* as a secret of *kind* in *tier* (values not `eligible` are not)."""
        self.remember_many(((value, kind),), tier)

    def remember_many(self, items: Iterable[tuple[str, str]], tier: str = "key") -> None:
        """Remember several (value, kind) pairs in *tier*, publishing one new snapshot."""
        strength = _STRENGTH[tier]
        known = self._known
        fresh = []
        for value, kind in items:
            held = known.get(value)
            if held is not None and _STRENGTH[held] >= strength:
                if held == tier:
                    self.touch(value)  # seen again: evicted last
                continue  # known as strongly already: the common case, without the lock
            if eligible(value, tier):
                fresh.append((value, kind))
        if not fresh:
            return
        with self._lock:
            values = self._tiers[tier]
            for value, kind in fresh:
                held = known.get(value)
                if held is not None:
                    if _STRENGTH[held] >= strength:
                        continue
                    self._tiers[held].pop(value, None)  # promoted to a stronger tier
                    self._ungroup(value)
                values[value] = kind
                known[value] = tier
                anchor = self._anchors[value] = _anchor(value)
                self._groups.setdefault(anchor, {})[value] = kind
                self._dirty.add(anchor)
                self._log.append(value)
                self._added += 1
            while len(values) > self._limits[tier]:
                evicted, _ = values.popitem(last=False)
                if known.get(evicted) == tier:
                    del known[evicted]
                    self._ungroup(evicted)
                if tier == "args":
                    self.arguments_seen.clear()
            if len(self._log) > 2 * _LOG_LIMIT:
                self._log = self._log[-_LOG_LIMIT:]  # a new list: snapshots keep theirs
            self._version += 1
            self._publish()

    def _ungroup(self, value: str) -> None:
        anchor = self._anchors.pop(value, None)
        members = self._groups.get(anchor) if anchor is not None else None
        if members is not None and anchor is not None:
            members.pop(value, None)
            self._dirty.add(anchor)

    def _publish(self) -> None:
        # Called holding the lock. A remember() re-entering on this thread (a
        # signal handler, a __del__) between building and storing would be lost
        # to a stale store: build again until no change slipped in.
        while True:
            version = self._version
            try:
                pairs = self._group_pairs
                for anchor in list(self._dirty):
                    self._dirty.discard(anchor)
                    members = self._groups.get(anchor)
                    if members:
                        pairs[anchor] = tuple(members.items())
                    else:
                        pairs.pop(anchor, None)
                        self._groups.pop(anchor, None)
                log = self._log
                self.snapshot = _snapshot(pairs, len(self._known), self._added, log, self._added - len(log))
            except RuntimeError:  # a group changed under the copy (a __del__ remembering): again
                continue
            if self._version == version:
                return

    def touch(self, value: str) -> None:
        """Mark a remembered value as just seen, so that it is evicted last in its tier."""
        tier = self._known.get(value)
        if tier is not None:
            with contextlib.suppress(KeyError):  # evicted meanwhile
                self._tiers[tier].move_to_end(value)

    def clear(self) -> None:
        """Forget every remembered secret."""
        with self._lock:
            for values in self._tiers.values():
                values.clear()
            self._known.clear()
            self._anchors.clear()
            self._groups.clear()
            self._group_pairs.clear()
            self._dirty.clear()
            self._log = []
            self.arguments_seen.clear()
            self._version += 1
            self._added += 1  # caches of texts scrubbed before cannot be carried over
            self.snapshot = _snapshot({}, 0, self._added, self._log, self._added)

    def _after_fork_in_child(self) -> None:
        # The parent's lock may have been held by a thread that does not exist here.
        self._lock = threading.RLock()


MEMORY = SecretMemory()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=MEMORY._after_fork_in_child)


def remember_all(value: Any, kind: str, depth: int = 0, tier: str = "key") -> None:
    """Remember every string (and integer, as digits) inside a secret value, with its encoded forms.

    A password may come back URL-encoded in a request line or escaped in a
    repr, as well as raw.
    """
    pairs: list[tuple[str, str]] = []
    _collect(value, kind, depth, pairs)
    if pairs and len(pairs) <= 16:
        pairs = [(form, kind) for raw, kind in pairs for form in _forms(raw)]
    if pairs:
        MEMORY.remember_many(pairs, tier)


def _collect(value: Any, kind: str, depth: int, pairs: list[tuple[str, str]]) -> None:
    cls = type(value)
    try:
        if issubclass(cls, str):
            pairs.append((str.__str__(value), kind))
        elif issubclass(cls, int) and cls is not bool:
            pairs.append((int.__repr__(value), kind))
        elif issubclass(cls, (bytes, bytearray)):
            pairs.append((bytes(value).decode("utf-8", "backslashreplace"), kind))
        elif depth < 8 and issubclass(cls, Mapping):
            for item in list(value.values())[:64]:
                _collect(item, kind, depth + 1, pairs)
        elif depth < 8 and issubclass(cls, (list, tuple)):
            for item in list(value)[:64]:
                _collect(item, kind, depth + 1, pairs)
    except Exception:  # noqa: S110 - remembering is best effort; the value itself is already replaced
        pass


ARGS_KIND = "tool_args"
"""The marker kind of a remembered tool argument: ``[REDACTED:tool_args]``."""
_ARGS_PER_CALL = 32
_FORMS_UP_TO = 1024


def _percent_table(safe: str, plus: bool) -> dict[int, str]:
    """A `str.translate` table percent-encoding a UTF-8 text read as Latin-1, as `quote` does."""
    keep = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~" + safe)
    table = {byte: f"%{byte:02X}" for byte in range(256) if chr(byte) not in keep}
    if plus:
        table[0x20] = "+"
    return table


# urllib's quote and quote_plus, a character at a time in Python, cost 10 µs for a
# short query; one translate of the UTF-8 bytes gives the same text at C speed.
_QUERY = _percent_table("", plus=True)
_COMPONENT = _percent_table("", plus=False)
_PATH = _percent_table("/", plus=False)


# Printable ASCII that JSON or repr escapes.
_ESCAPED = frozenset("\"'\\")


def _forms(value: str) -> list[str]:
    """*value* as it may be echoed: raw, URL-encoded (query and path style), JSON- and repr-escaped."""
    forms = [value]
    if len(value) > _FORMS_UP_TO:
        return forms
    try:
        latin = value.encode("utf-8").decode("latin-1")
    except ValueError:  # a lone surrogate has no UTF-8 form
        latin = None
    if latin is not None:
        for table in (_QUERY, _COMPONENT, _PATH):
            form = latin.translate(table)
            if form not in forms:
                forms.append(form)
    if value.isascii() and value.isprintable() and not _ESCAPED.intersection(value):
        return forms  # JSON and repr write it as it is
    escapers: tuple[Callable[[str], str], ...] = (
        lambda text: json.dumps(text)[1:-1],
        lambda text: json.dumps(text, ensure_ascii=False)[1:-1],
        lambda text: repr(text)[1:-1],
    )
    for escape in escapers:
        form = escape(value)
        if form not in forms:
            forms.append(form)
    return forms


def remember_arguments(
    value: Any, key_kind: Callable[[str], str | None], fingerprint: bytes | None = None
) -> None:
    """Remember a tool call's string arguments (and their encoded forms) in the ``args`` tier.

    For calls captured as ``hash`` or ``none``, whose arguments are never
    written: a library that echoes them later (an HTTP client logging its
    request URL) must not write them either. Strings and integers of 8
    characters or more, at any depth (the first 32), not under a secret key
    name (those are remembered more strongly, as secrets). *fingerprint*, the
    arguments' canonical JSON, skips the walk for arguments met before while
    none of their values has been evicted since.
    """
    seen = MEMORY.arguments_seen
    marked = hash(fingerprint) if fingerprint is not None else None
    if marked is not None and marked in seen:
        return
    with contextlib.suppress(Exception):  # best effort: the arguments themselves are not written
        found: list[str] = []
        _arguments(value, key_kind, 0, found)
        pairs: list[tuple[str, str]] = []
        known = MEMORY._known
        for raw in found:
            if raw in known or not eligible(raw, "args"):
                continue  # known already: its forms were remembered with it
            pairs.extend((form, ARGS_KIND) for form in _forms(raw))
        if pairs:
            MEMORY.remember_many(pairs, "args")
        if marked is not None:
            if len(seen) >= 1024:
                seen.clear()
            seen[marked] = None


def _arguments(value: Any, key_kind: Callable[[str], str | None], depth: int, found: list[str]) -> None:
    cls = type(value)
    if cls is str:
        if len(value) >= _MIN_LENGTH["args"] and len(found) < _ARGS_PER_CALL:
            found.append(value)
    elif cls is int:
        if abs(value) >= 10_000_000 and len(found) < _ARGS_PER_CALL:
            found.append(int.__repr__(value))
    elif depth >= 8 or len(found) >= _ARGS_PER_CALL:
        return
    elif cls is dict or (cls is not list and cls is not tuple and issubclass(cls, Mapping)):
        for key, item in islice(value.items(), 64):
            kind = type(item)
            if kind is float or kind is bool or item is None:
                continue
            if type(key) is str and key_kind(key) is not None:
                continue
            _arguments(item, key_kind, depth + 1, found)
    elif cls is list or cls is tuple or issubclass(cls, (list, tuple)):
        for item in islice(value, 64):
            _arguments(item, key_kind, depth + 1, found)
