"""Carriers: the run's context into and out of HTTP headers, message attributes and environments.

`inject` writes W3C ``traceparent``, ``tracestate``, ``baggage`` and
``X-Run-Id``; `extract` reads them back (names matched case-insensitively)
into a `RemoteParent`; `subprocess_env` does the same for a child process's
environment. Malformed or hostile values never raise.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, NamedTuple, TypeVar

from .. import _diagnostics
from .._context import RunContext, SpanRef, get_context
from .._vocabulary import REQUEST_ID, RUN_ID, SESSION_ID, USER_ID
from .w3c import (
    encode_member,
    format_baggage,
    format_traceparent,
    parse_baggage,
    parse_traceparent,
    parse_tracestate,
)

__all__ = ["RemoteParent", "clean_id", "extract", "headers", "inject", "subprocess_env"]

BAGGAGE_PREFIX = "agentlog."
_RUN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_ID_LENGTH = 256
_WANTED = ("traceparent", "tracestate", "baggage", "x-run-id")
# Baggage keys agentlog writes from the context; "user_id" only when allowed.
_CORRELATION = (RUN_ID, SESSION_ID, REQUEST_ID)


class RemoteParent(NamedTuple):
    """A caller's context, read from a carrier by `extract`.

    Pass it as ``agentlog.run(parent=...)``: the new run joins ``trace_id``,
    names ``span_id`` as its parent span and ``run_id`` as its
    ``parent_run_id``, and inherits ``session_id``, ``request_id`` and
    ``user_id``.
    """

    trace_id: str
    span_id: str
    run_id: str | None = None
    session_id: str | None = None
    request_id: str | None = None
    user_id: str | None = None
    trace_flags: str = "01"
    tracestate: str | None = None
    baggage: tuple[str, ...] = ()

    @property
    def span(self) -> SpanRef:
        """The caller's span, as the new run names its parent."""
        return SpanRef(self.trace_id, self.span_id, self.trace_flags, is_remote=True)


# -- extract ---------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, str):
        return value
    return None


def _normalize_key(key: str) -> str:
    key = key.strip().lower()
    if key.startswith("http_"):  # WSGI environ: HTTP_X_RUN_ID
        key = key[5:].replace("_", "-")
    return key


def _collect(carrier: Any) -> dict[str, list[str]]:
    pairs = carrier.items() if hasattr(carrier, "items") else carrier
    found: dict[str, list[str]] = {}
    for pair in pairs:
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
    return found


def clean_id(value: str | None) -> str | None:
    """An ID from a header, made safe to write: no control characters, bounded."""
    if value is None:
        return None
    cleaned = _CONTROL.sub("", value)[:_MAX_ID_LENGTH].strip()
    return cleaned or None


def extract(carrier: Any) -> RemoteParent | None:
    """Read a caller's context from *carrier*; None when it holds no valid one.

    Header names are matched case-insensitively (``TRACEPARENT`` in an
    environment, ``HTTP_TRACEPARENT`` in a WSGI environ, ASGI's byte pairs
    all work). A missing, malformed or repeated ``traceparent`` gives None;
    an invalid ``tracestate`` is dropped; invalid baggage members are skipped.
    Never raises.

    Args:
        carrier: A mapping of headers or message attributes, ``os.environ``,
            or an iterable of (name, value) pairs.
    """
    if carrier is None:
        return None
    try:
        found = _collect(carrier)
        parents = found.get("traceparent", [])
        if len(parents) != 1:
            return None
        parent = parse_traceparent(parents[0])
        if parent is None:
            return None
        states = found.get("tracestate")
        tracestate = parse_tracestate(",".join(states)) if states else None
        correlation: dict[str, str] = {}
        foreign: list[str] = []
        for key, value, raw in parse_baggage(",".join(found.get("baggage", []))):
            if key.startswith(BAGGAGE_PREFIX):
                correlation.setdefault(key[len(BAGGAGE_PREFIX) :], value)
            else:
                foreign.append(raw)
        run_id = correlation.get(RUN_ID)
        if run_id is None and found.get("x-run-id"):
            run_id = found["x-run-id"][0].strip()
        return RemoteParent(
            trace_id=parent.trace_id,
            span_id=parent.parent_id,
            run_id=run_id if run_id is not None and _RUN_ID.fullmatch(run_id) else None,
            session_id=clean_id(correlation.get(SESSION_ID)),
            request_id=clean_id(correlation.get(REQUEST_ID)),
            user_id=clean_id(correlation.get(USER_ID)),
            trace_flags=parent.flags,
            tracestate=tracestate,
            baggage=tuple(foreign),
        )
    except Exception as exc:
        _diagnostics.report("carrier could not be read; starting a fresh trace", exc)
        return None


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


def _inject(
    carrier: MutableMapping[str, str],
    names: tuple[str, str, str, str | None],
    allow: Iterable[str],
    baggage: Mapping[str, str] | None,
) -> MutableMapping[str, str]:
    ctx = get_context()
    if ctx is None:
        return carrier
    traceparent, tracestate, baggage_name, run_id_name = names
    _set(carrier, traceparent, format_traceparent(ctx.trace_id, ctx.span_id, ctx.trace_flags))
    if ctx.tracestate:
        _set(carrier, tracestate, ctx.tracestate)
    members = _baggage_for(ctx, allow, baggage)
    if members:
        _set(carrier, baggage_name, members)
    if run_id_name is not None:
        _set(carrier, run_id_name, ctx.run_id)
    return carrier


_M = TypeVar("_M", bound=MutableMapping[str, str])


def inject(carrier: _M, *, allow: Iterable[str] = (), baggage: Mapping[str, str] | None = None) -> _M:
    """Write the IDs in force into *carrier*; modify it in place and return it.

    Writes ``traceparent`` (the current span as parent), ``tracestate`` (as
    received, if any), ``baggage`` (``agentlog.run_id``,
    ``agentlog.session_id``, ``agentlog.request_id``, then members received
    from upstream) and ``X-Run-Id``. Outside a run, writes nothing. Existing
    entries with the same names in another case are replaced.

    Args:
        carrier: HTTP headers or message attributes.
        allow: Context attributes beyond the defaults to send in baggage;
            only ``"user_id"`` exists. Off by default: user IDs are PII.
        baggage: Extra baggage members to send (percent-encoded for you).
    """
    try:
        _inject(carrier, ("traceparent", "tracestate", "baggage", "X-Run-Id"), allow, baggage)
    except Exception as exc:
        _diagnostics.report("carrier could not be written", exc)
    return carrier


def headers(*, allow: Iterable[str] = (), baggage: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return a new dict of propagation headers, for ``extra_headers=`` and the like.

    Args:
        allow: As for `inject`.
        baggage: As for `inject`.
    """
    return inject({}, allow=allow, baggage=baggage)


_ENV_NAMES = ("TRACEPARENT", "TRACESTATE", "BAGGAGE")


def subprocess_env(base: Mapping[str, str] | None = None, *, allow: Iterable[str] = ()) -> dict[str, str]:
    """Return a copy of the environment with ``TRACEPARENT``, ``TRACESTATE``, ``BAGGAGE``.

    Use it as ``subprocess.run(..., env=subprocess_env())``; in the child,
    ``agentlog.run(parent=extract(os.environ))`` continues the run as a child
    run. Outside a run the environment is returned unchanged (a copy).

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
        _inject(env, ("TRACEPARENT", "TRACESTATE", "BAGGAGE", None), allow, None)
    except Exception as exc:
        _diagnostics.report("carrier could not be written", exc)
    return env
