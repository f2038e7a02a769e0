"""Carriers: the run's context into and out of HTTP headers, message attributes and environments.

`inject` writes W3C ``traceparent``, ``tracestate``, ``baggage`` and
``X-Run-Id``; `extract` reads them back (names matched case-insensitively)
into a `RemoteParent`; `subprocess_env` does the same for a child process's
environment (`client_spans` gives each outgoing HTTP request a span of its
own, written with `write_headers`). Malformed or hostile values never raise.

Outbound, baggage goes only to the propagation targets when the destination
is known (``inject(carrier, url=...)``, the HTTP integrations). Inbound, a
carrier is unauthenticated input: it may choose the parent trace and carry
correlation (session and request IDs), but never the user — an
``agentlog.user_id`` member is ignored — and every value is checked: an ID
that is too long, holds control, format or line-separator characters, or is
given twice with different values is dropped, never cut or cleaned into
something else, and counted in `agentlog.problems`. Each header (and each
baggage member) is read on its own: one that cannot be read — a byte that is
not UTF-8, a lone surrogate from ``os.environ``, a value of another type —
is skipped and the others are used.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import Any, NamedTuple, TypeVar

from .. import _diagnostics
from .._context import RunContext, SpanRef, get_context
from .._context.ids import is_valid_span_id, is_valid_trace_id
from .._settings import CONFIG
from .._vocabulary import REQUEST_ID, RUN_ID, SESSION_ID, USER_ID
from .targets import DEFAULT as DEFAULT_TARGETS
from .targets import PropagationTargets
from .w3c import (
    encode_member,
    format_baggage,
    format_traceparent,
    parse_baggage,
    parse_traceparent,
    parse_tracestate,
)

__all__ = [
    "HTTP_NAMES",
    "RemoteParent",
    "baggage_allowed",
    "clean_id",
    "extract",
    "headers",
    "inject",
    "one_value",
    "subprocess_env",
    "write_headers",
]

BAGGAGE_PREFIX = "agentlog."
_RUN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MAX_ID_LENGTH = 256
# Characters no inbound ID may hold: controls (C0, DEL, C1), format characters
# (bidi overrides, zero-width), surrogates, line and paragraph separators, and
# U+FFFD (what an invalid percent-encoded byte became).
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_WANTED = ("traceparent", "tracestate", "baggage", "x-run-id")
# Baggage keys agentlog writes from the context; "user_id" only when allowed.
_CORRELATION = (RUN_ID, SESSION_ID, REQUEST_ID)

# What agentlog.problems() counts for inbound values it drops.
INVALID_ID = "inbound ID dropped: too long, or control/format characters"
AMBIGUOUS_ID = "inbound ID dropped: given twice with different values"
USER_ID_CLAIM = "inbound agentlog.user_id ignored: a carrier never sets the user"
INVALID_TRACEPARENT = "inbound traceparent invalid or repeated: fresh trace"
UNREADABLE_CARRIER = "carrier could not be read to its end; what was read is used"
UNREADABLE_HEADER = "inbound header could not be read; skipped"


def _member_key(member: str) -> str:
    return member.partition("=")[0].strip(" \t")


class RemoteParent(NamedTuple):
    """A caller's context, read from a carrier by `extract`.

    Pass it as ``agentlog.run(parent=...)``. With a valid ``traceparent``
    (``trace_id`` and ``span_id`` set) the new run joins ``trace_id``, names
    ``span_id`` as its parent span and ``run_id`` as its ``parent_run_id``,
    and inherits ``session_id`` and ``request_id``.

    Without one — a carrier holding only ``baggage`` (and perhaps
    ``X-Run-Id``), which W3C Baggage lets travel on its own — ``trace_id``
    and ``span_id`` are None: there is no parent span to join, so the run
    starts a fresh trace (or, inside a run, is a plain child run of that
    run), but it keeps the carrier's ``session_id`` and ``request_id`` and
    passes the carrier's other baggage members on. ``run_id`` then names the
    caller's run for your information only: a run on another trace is not
    its child run.

    ``user_id`` is never read from a carrier (`extract` leaves it None):
    identity comes from your own code, as ``agentlog.run(user_id=...)``.
    """

    trace_id: str | None
    span_id: str | None
    run_id: str | None = None
    session_id: str | None = None
    request_id: str | None = None
    user_id: str | None = None
    trace_flags: str = "01"
    tracestate: str | None = None
    baggage: tuple[str, ...] = ()

    @property
    def span(self) -> SpanRef | None:
        """The caller's span, as the new run names its parent (None without a ``traceparent``)."""
        if self.trace_id is None or self.span_id is None:
            return None
        return SpanRef(self.trace_id, self.span_id, self.trace_flags, is_remote=True)

    def carry_into(self, ctx: RunContext) -> RunContext:
        """*ctx* passing this carrier's baggage members on, before those it already passes on.

        For a run started from a carrier without a ``traceparent`` (see the
        class): the run's own context, with the caller's baggage added.
        """
        keys = {_member_key(member) for member in self.baggage}
        merged = (*self.baggage, *(member for member in ctx.baggage if _member_key(member) not in keys))
        return ctx if merged == ctx.baggage else ctx.replace(baggage=merged)


# -- extract ---------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A header name or value as text: bytes are read as Latin-1 (byte for byte), others skipped."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("latin-1")
    if isinstance(value, str):
        return value
    return None


def _normalize_key(key: str) -> str:
    key = key.strip().lower()
    if key.startswith("http_"):  # WSGI environ: HTTP_X_RUN_ID
        key = key[5:].replace("_", "-")
    return key


def _pairs(carrier: Any) -> Iterator[Any]:
    """The carrier's (name, value) pairs; a carrier that fails part-way yields what came before."""
    try:
        iterator = iter(carrier.items() if hasattr(carrier, "items") else carrier)
    except Exception as exc:
        _diagnostics.report(UNREADABLE_CARRIER, exc)
        return
    while True:
        try:
            pair = next(iterator)
        except StopIteration:
            return
        except Exception as exc:
            _diagnostics.report(UNREADABLE_CARRIER, exc)
            return
        yield pair


def _collect(carrier: Any) -> dict[str, list[str]]:
    """The headers agentlog reads, by lower-case name; each pair and value read on its own."""
    found: dict[str, list[str]] = {}
    for pair in _pairs(carrier):
        try:
            key, value = pair
            name = _text(key)
            if name is None:
                continue
            name = _normalize_key(name)
            if name not in _WANTED:
                continue
            values = value if isinstance(value, (list, tuple)) else [value]
            for item in values:
                text = _text(item)
                if text is not None:
                    found.setdefault(name, []).append(text)
        except Exception as exc:  # not a pair, a value that fails when read: this pair only
            _diagnostics.report(UNREADABLE_HEADER, exc)
    return found


def _acceptable(value: str) -> bool:
    return len(value) <= MAX_ID_LENGTH and not any(
        char == "\ufffd" or unicodedata.category(char) in _FORBIDDEN_CATEGORIES for char in value
    )


def clean_id(value: object) -> str | None:
    """An inbound ID as it may be written, or None (dropped, and counted, when it is not acceptable).

    Surrounding whitespace is removed; an empty value is no value. A value
    longer than 256 characters, or holding a control, format (bidi, zero
    width) or line-separator character, or U+FFFD, is dropped whole — never
    cut or cleaned into another ID.
    """
    if not isinstance(value, str):
        return None
    if len(value) > 4 * MAX_ID_LENGTH:
        _diagnostics.report(INVALID_ID)
        return None
    stripped = value.strip()
    if not stripped:
        return None
    if not _acceptable(stripped):
        _diagnostics.report(INVALID_ID)
        return None
    return stripped


def one_value(values: Iterable[str]) -> str | None:
    """The one value a carrier gives for a field: None when absent or given differently twice (counted)."""
    distinct = {value.strip() for value in values}
    if len(distinct) > 1:
        _diagnostics.report(AMBIGUOUS_ID)
        return None
    return distinct.pop() if distinct else None


def _run_id(value: str | None) -> str | None:
    if value is None:
        return None
    if _RUN_ID.fullmatch(value):
        return value
    _diagnostics.report(INVALID_ID)
    return None


_T = TypeVar("_T")


def _guarded(read: Callable[[], _T], default: _T) -> _T:
    """One part of a carrier, read on its own: a failure loses that part only (counted)."""
    try:
        return read()
    except Exception as exc:
        _diagnostics.report(UNREADABLE_HEADER, exc)
        return default


def _traceparent(values: list[str]) -> Any:
    if not values:
        return None
    parent = parse_traceparent(values[0]) if len(values) == 1 else None
    if parent is None:
        _diagnostics.report(INVALID_TRACEPARENT)
    return parent


def _baggage(values: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """The baggage's ``agentlog.*`` members (by name, prefix removed) and the other members (raw)."""
    correlation: dict[str, list[str]] = {}
    foreign: list[str] = []
    for key, value, raw in parse_baggage(",".join(values)):
        if key.startswith(BAGGAGE_PREFIX):
            # agentlog's own members are read, never passed on: the run writes its own.
            correlation.setdefault(key[len(BAGGAGE_PREFIX) :], []).append(value)
        else:
            foreign.append(raw)
    return correlation, foreign


def extract(carrier: Any) -> RemoteParent | None:
    """Read a caller's context from *carrier*; None when it holds none.

    Header names are matched case-insensitively (``TRACEPARENT`` in an
    environment, ``HTTP_TRACEPARENT`` in a WSGI environ, ASGI's byte pairs
    all work). A valid ``traceparent`` gives a `RemoteParent` to continue;
    a missing, malformed or repeated one gives none, and then ``tracestate``
    is not read (W3C Trace Context: it belongs to that parent) but
    ``baggage`` and ``X-Run-Id`` still are (W3C Baggage travels on its own):
    a carrier with correlation or baggage but no valid ``traceparent`` gives
    a `RemoteParent` whose ``trace_id`` and ``span_id`` are None, and a run
    given it starts a fresh trace that keeps the session and request IDs and
    passes the baggage on. A carrier with nothing of this gives None.

    An invalid ``tracestate`` is dropped; invalid baggage members are
    skipped; each header is read on its own, so a value that cannot be read
    (an undecodable byte, a lone surrogate) costs that header or member
    only, never a valid ``traceparent``. The carrier is not trusted:
    ``agentlog.user_id`` is ignored (the result's ``user_id`` is always
    None), and a run, session or request ID that is invalid, too long or
    given twice with different values is dropped and counted in
    `agentlog.problems`. Never raises.

    Args:
        carrier: A mapping of headers or message attributes, ``os.environ``,
            or an iterable of (name, value) pairs.
    """
    if carrier is None or isinstance(carrier, (str, bytes, bytearray)):
        return None  # text is not a carrier (and would be read character by character)
    try:
        found = _collect(carrier)
    except Exception as exc:  # _collect guards each pair; this is a last resort
        _diagnostics.report("carrier could not be read; starting a fresh trace", exc)
        return None
    parent = _guarded(lambda: _traceparent(found.get("traceparent", [])), None)
    tracestate = None
    if parent is not None and found.get("tracestate"):
        tracestate = _guarded(lambda: parse_tracestate(",".join(found["tracestate"])), None)
    nothing: tuple[dict[str, list[str]], list[str]] = ({}, [])
    correlation, foreign = _guarded(lambda: _baggage(found.get("baggage", [])), nothing)
    if USER_ID in correlation:
        _diagnostics.report(USER_ID_CLAIM)
    run_id = _guarded(
        lambda: _run_id(one_value([*correlation.get(RUN_ID, []), *found.get("x-run-id", [])])), None
    )
    session_id = _guarded(lambda: clean_id(one_value(correlation.get(SESSION_ID, []))), None)
    request_id = _guarded(lambda: clean_id(one_value(correlation.get(REQUEST_ID, []))), None)
    if parent is None and not (run_id or session_id or request_id or foreign):
        return None
    return RemoteParent(
        trace_id=parent.trace_id if parent is not None else None,
        span_id=parent.parent_id if parent is not None else None,
        run_id=run_id,
        session_id=session_id,
        request_id=request_id,
        trace_flags=parent.flags if parent is not None else "01",
        tracestate=tracestate,
        baggage=tuple(foreign),
    )


# -- inject ----------------------------------------------------------------------


def _baggage_for(ctx: RunContext, allow: Iterable[str], extra: Mapping[str, str] | None) -> str:
    members: list[str] = []
    names = list(_CORRELATION) + [name for name in allow if name not in _CORRELATION]
    for name in names:
        value = getattr(ctx, name, None)
        if isinstance(value, str):
            member = encode_member(BAGGAGE_PREFIX + name, value)
            if member is not None:
                members.append(member)
    for key, value in (extra or {}).items():
        member = encode_member(str(key), str(value))
        if member is not None:
            members.append(member)
    mine = {member.partition("=")[0] for member in members}
    members.extend(raw for raw in ctx.baggage if raw.partition("=")[0].strip() not in mine)
    return format_baggage(members)


def _set(carrier: MutableMapping[str, str], name: str, value: str) -> None:
    lowered = name.lower()
    for key in [k for k in carrier if isinstance(k, str) and k.lower() == lowered and k != name]:
        del carrier[key]
    carrier[name] = value


def _targets() -> PropagationTargets:
    settings = CONFIG.settings
    targets = settings.propagation_targets if settings is not None else None
    return targets if targets is not None else DEFAULT_TARGETS


def baggage_allowed(url: object) -> bool:
    """True when the propagation targets in force let baggage go to *url*. Never raises."""
    return _targets().allows(url)


def _drop_own(carrier: MutableMapping[str, str], name: str, value: str) -> None:
    """Remove the header *name* where it holds exactly *value* (what agentlog wrote), not another."""
    lowered = name.lower()
    for key in [k for k in carrier if isinstance(k, str) and k.lower() == lowered]:
        if carrier.get(key) == value:
            del carrier[key]


def write_headers(
    carrier: MutableMapping[str, str],
    names: tuple[str, str, str, str | None],
    allow: Iterable[str],
    baggage: Mapping[str, str] | None,
    url: object = None,
    ctx: RunContext | None = None,
) -> MutableMapping[str, str]:
    """Write the headers naming *ctx* (the IDs in force when None) under *names*; may raise.

    *names* are the ``traceparent``, ``tracestate``, ``baggage`` and run ID
    header names (the last None where no run ID header is written).
    """
    if ctx is None:
        ctx = get_context()
    if ctx is None:
        return carrier
    traceparent, tracestate, baggage_name, run_id_name = names
    if is_valid_trace_id(ctx.trace_id) and is_valid_span_id(ctx.span_id):  # never an invalid one
        _set(carrier, traceparent, format_traceparent(ctx.trace_id, ctx.span_id, ctx.trace_flags))
    if ctx.tracestate:
        _set(carrier, tracestate, ctx.tracestate)
    members = _baggage_for(ctx, allow, baggage)
    if url is None or baggage_allowed(url):
        if members:
            _set(carrier, baggage_name, members)
    elif members:
        # A redirect copies the first request's headers, ours included: take ours back.
        _drop_own(carrier, baggage_name, members)
    if run_id_name is not None:
        _set(carrier, run_id_name, ctx.run_id)
    return carrier


_M = TypeVar("_M", bound=MutableMapping[str, str])
HTTP_NAMES = ("traceparent", "tracestate", "baggage", "X-Run-Id")
"""The header names `write_headers` uses for HTTP."""


def inject(
    carrier: _M,
    *,
    url: object = None,
    allow: Iterable[str] = (),
    baggage: Mapping[str, str] | None = None,
) -> _M:
    """Write the IDs in force into *carrier*; modify it in place and return it.

    Writes ``traceparent`` (the current span as parent: the scope in force,
    or the request's own span inside `client_span` and the HTTP
    integrations), ``tracestate`` (as received, if any), ``baggage``
    (``agentlog.run_id``,
    ``agentlog.session_id``, ``agentlog.request_id``, then members received
    from upstream) and ``X-Run-Id``. Outside a run, writes nothing. Existing
    entries with the same names in another case are replaced.

    Args:
        carrier: HTTP headers or message attributes.
        url: Where the carrier is going. Given, ``baggage`` is written only
            when the URL is one of the propagation targets
            (``configure(propagation_targets=...)``; by default this machine
            and private networks); ``traceparent`` and ``X-Run-Id`` are
            written whatever the URL. For a URL that is not a target, a
            ``baggage`` header holding exactly what agentlog would write (a
            redirect's copy) is removed; another is left alone. Without
            *url* (a queue, a process you start) you chose the destination,
            and baggage is written.
        allow: Context attributes beyond the defaults to send in baggage;
            only ``"user_id"`` exists. Off by default: user IDs are PII.
        baggage: Extra baggage members to send (percent-encoded for you).
    """
    try:
        write_headers(carrier, HTTP_NAMES, allow, baggage, url)
    except Exception as exc:
        _diagnostics.report("carrier could not be written", exc)
    return carrier


def headers(
    *, url: object = None, allow: Iterable[str] = (), baggage: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Return a new dict of propagation headers, for ``extra_headers=`` and the like.

    Args:
        url: As for `inject`: pass the request's URL (or the API's base URL)
            so that baggage goes only to propagation targets.
        allow: As for `inject`.
        baggage: As for `inject`.
    """
    return inject({}, url=url, allow=allow, baggage=baggage)


# -- a child process's environment ------------------------------------------------

_ENV_NAMES = ("TRACEPARENT", "TRACESTATE", "BAGGAGE")


def subprocess_env(base: Mapping[str, str] | None = None, *, allow: Iterable[str] = ()) -> dict[str, str]:
    """Return a copy of the environment with ``TRACEPARENT``, ``TRACESTATE``, ``BAGGAGE``.

    Use it as ``subprocess.run(..., env=subprocess_env())``; in the child,
    ``agentlog.run(parent=extract(os.environ))`` continues the run as a child
    run. Outside a run the environment is returned unchanged (a copy). You
    chose the destination, so the baggage is written (propagation targets
    are for HTTP). The child's run does not take a user ID from it: pass
    ``user_id=`` there yourself.

    Args:
        base: The environment to copy; ``os.environ`` by default.
        allow: As for `inject`.
    """
    env = dict(os.environ if base is None else base)
    if get_context() is None:
        return env
    for name in _ENV_NAMES:
        env.pop(name, None)
    try:
        write_headers(env, ("TRACEPARENT", "TRACESTATE", "BAGGAGE", None), allow, None)
    except Exception as exc:
        _diagnostics.report("carrier could not be written", exc)
    return env
