"""One outgoing request, one span: the client span the HTTP integrations give every request.

As OpenTelemetry's HTTP client instrumentations do, each request (each
redirect hop, each retry) gets a span ID of its own whose parent is the
scope it was made in; its ``traceparent`` names that span, and the lines
written while it is in flight (the HTTP library's own) carry it. With
``configure(otel_spans=True)`` it is a real CLIENT span.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import Token
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .. import _diagnostics
from .._context import CURRENT, RunContext, get_context
from .._context.ids import is_valid_span_id, new_span_id
from .._settings import CONFIG
from .carriers import HTTP_NAMES, write_headers

__all__ = ["ClientSpan", "client_span"]

_HTTP_METHODS = frozenset({"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"})
# Query parameters that carry a signature or a key in a URL (OpenTelemetry's HTTP conventions).
_SIGNED_QUERY = re.compile(r"(?i)(?<![^?&])(AWSAccessKeyId|Signature|sig|X-Goog-Signature)=[^&#]*")


def _http_attributes(url: object, method: object, resend_count: int) -> tuple[str, dict[str, Any]]:
    """An HTTP client span's name and attributes (OpenTelemetry HTTP semantic conventions)."""
    attributes: dict[str, Any] = {}
    name = "HTTP"
    given = None
    if method is not None:
        try:
            given = (method.decode("latin-1") if isinstance(method, bytes) else str(method)).upper()
        except Exception:  # a method object that cannot be shown: the method is not described
            given = None
    if given is not None:
        if given in _HTTP_METHODS:
            name = given
            attributes["http.request.method"] = given
        else:
            attributes["http.request.method"] = "_OTHER"
            attributes["http.request.method_original"] = given
    if url is not None:
        try:
            parts = urlsplit(str(url))
            if parts.hostname:
                attributes["server.address"] = parts.hostname
                port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
                if port is not None:
                    attributes["server.port"] = port
            netloc = parts.netloc.rpartition("@")[2]
            if "@" in parts.netloc:
                netloc = f"REDACTED:REDACTED@{netloc}"
            query = _SIGNED_QUERY.sub(lambda match: f"{match.group(1)}=REDACTED", parts.query)
            attributes["url.full"] = urlunsplit((parts.scheme, netloc, parts.path, query, ""))
        except Exception:  # a port that is not one, a URL object that fails: the URL is not described
            for key in ("server.address", "server.port", "url.full"):
                attributes.pop(key, None)
    if resend_count:
        attributes["http.request.resend_count"] = resend_count
    return name, attributes


def _span_ids(span: Any) -> tuple[str, str, str]:
    context = span.get_span_context()
    return f"{context.trace_id:032x}", f"{context.span_id:016x}", f"{int(context.trace_flags):02x}"


class ClientSpan:
    """One outgoing request's own span, from sending it to its response.

    Made in the scope in force (*scope*): a new span ID — the request's
    OpenTelemetry CLIENT span's, when ``configure(otel_spans=True)`` — whose
    parent is the scope's span. `enter` makes it the IDs in force (so
    ``traceparent`` names it, and lines written meanwhile, such as the HTTP
    library's own, carry its ``span_id`` and the scope's as
    ``parent_span_id``); `close` restores the scope's IDs and ends the
    OpenTelemetry span. Both never raise.

    Attributes:
        scope: The IDs in force when the request was made (None outside a run).
        ctx: The request's IDs (None outside a run).
        status_code: The response's status, when known (set it before `close`).
    """

    __slots__ = ("_bridge", "_otel_token", "_span", "_token", "ctx", "scope", "status_code")

    def __init__(
        self, scope: RunContext | None, *, url: object = None, method: object = None, resend_count: int = 0
    ) -> None:
        self.scope = scope
        self.ctx: RunContext | None = None
        self.status_code: int | None = None
        self._bridge: Any = None
        self._span: Any = None
        self._otel_token: Any = None
        self._token: Token[RunContext | None] | None = None
        if scope is None:
            return
        try:
            span_id, flags = self._start_otel(scope, url, method, resend_count)
            child = scope.child(span_id or new_span_id(), trace_flags=flags or scope.trace_flags)
            # Lines written while the request is in flight name the scope as the parent span, so that
            # a reader places them (the HTTP library's line) under the scope they were made in.
            self.ctx = child._replace(ids=child.event_ids)
        except Exception as exc:
            _diagnostics.report("client span could not be opened", exc)
            self.ctx = None

    def _start_otel(
        self, scope: RunContext, url: object, method: object, resend_count: int
    ) -> tuple[str | None, str | None]:
        settings = CONFIG.settings
        bridge = settings.otel if settings is not None else None
        if bridge is None:
            return None, None
        name, attributes = _http_attributes(url, method, resend_count)
        span = bridge.start(name, client=True, parent=scope.span, attributes=attributes)
        if span is None:
            return None, None
        try:
            trace_id, span_id, flags = _span_ids(span)
        except Exception:
            trace_id = span_id = flags = ""
        if trace_id != scope.trace_id or not is_valid_span_id(span_id) or span_id == scope.span_id:
            # Not a span of this trace (a no-op tracer): its ID cannot be the request's.
            bridge.end(span, {}, None)
            return None, None
        self._bridge, self._span = bridge, span
        return span_id, flags

    @property
    def span_id(self) -> str | None:
        """The request's span ID, as its ``traceparent`` names it (None outside a run)."""
        return self.ctx.span_id if self.ctx is not None else None

    def enter(self) -> None:
        """Make the request's IDs (and OpenTelemetry span) the ones in force."""
        if self.ctx is None or self._token is not None:
            return
        self._token = CURRENT.set(self.ctx)
        if self._bridge is not None:
            self._otel_token = self._bridge.attach(self._span)

    def inject(
        self,
        carrier: MutableMapping[str, str],
        *,
        url: object = None,
        allow: Iterable[str] = (),
        baggage: Mapping[str, str] | None = None,
    ) -> None:
        """Write the propagation headers naming this request's span into *carrier*, as `inject` does."""
        if self.ctx is None:
            return
        try:
            write_headers(carrier, HTTP_NAMES, allow, baggage, url, self.ctx)
        except Exception as exc:
            _diagnostics.report("carrier could not be written", exc)

    def close(self, exc: BaseException | None = None) -> None:
        """Restore the scope's IDs (if the request's are still in force) and end the OpenTelemetry span.

        Args:
            exc: The exception the request failed with, if any.
        """
        token, self._token = self._token, None
        if token is not None and CURRENT.get() is self.ctx:
            try:
                CURRENT.reset(token)
            except ValueError:  # closed in another context than it was entered in
                CURRENT.set(self.scope)
        bridge, span = self._bridge, self._span
        self._bridge = self._span = None
        if bridge is None:
            return
        bridge.detach(self._otel_token)
        attributes: dict[str, Any] = {}
        error_class = None
        if isinstance(self.status_code, int):
            attributes["http.response.status_code"] = self.status_code
            if self.status_code >= 400:
                error_class = str(self.status_code)
        if exc is not None:
            error_class = type(exc).__qualname__
        bridge.end(span, attributes, error_class)


@contextmanager
def client_span(
    carrier: MutableMapping[str, str] | None = None,
    *,
    url: object = None,
    method: object = None,
    allow: Iterable[str] = (),
    baggage: Mapping[str, str] | None = None,
) -> Iterator[ClientSpan]:
    """Give one outgoing request its own span ID, as the HTTP integrations do for each request.

    ::

        with propagation.client_span(headers, url=url, method="POST") as span:
            response = http_library.post(url, headers=headers)
            span.status_code = response.status

    Inside, the IDs in force are the request's: a new span ID (the request's
    OpenTelemetry CLIENT span, with ``configure(otel_spans=True)``) whose
    parent is the scope you are in, so that lines written meanwhile (the
    HTTP library's own) carry it; *carrier*, when given, receives the
    headers naming it (as `inject` writes them). On leaving, even by an
    exception, the scope's IDs are restored. Outside a run it does nothing.

    Args:
        carrier: The request's headers, to write ``traceparent`` and the rest into.
        url: The request's URL: where baggage may go (`inject`), and the span's ``url.full``.
        method: The request's method, for the span.
        allow: As for `inject`.
        baggage: As for `inject`.
    """
    span = ClientSpan(get_context(), url=url, method=method)
    span.enter()
    if carrier is not None:
        span.inject(carrier, url=url, allow=allow, baggage=baggage)
    failure: BaseException | None = None
    try:
        yield span
    except BaseException as exc:
        failure = exc
        raise
    finally:
        span.close(failure)
