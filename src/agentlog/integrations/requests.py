"""Propagation on requests sessions.

::

    import requests
    from agentlog.integrations.requests import instrument

    session = instrument(requests.Session())
    session.get("http://10.0.3.7/query")          # sends traceparent, X-Run-Id, and baggage
    session.get("https://api.example.com/")       # traceparent and X-Run-Id only

Each request — each redirect hop too — gets a span ID of its own, whose
parent is the scope it was made in: its ``traceparent`` names that span, and
while it is in flight that span's IDs are the ones in force, so urllib3's
own log line for it carries them. With ``configure(otel_spans=True)`` it is
an OpenTelemetry CLIENT span. The scope's IDs are back in force when the
request returns or raises.

Baggage goes only to the propagation targets
(``agentlog.configure(propagation_targets=[...])``; by default this machine
and private networks), matched against each request's URL.
"""

from __future__ import annotations

from typing import Any, TypeVar

from .._context import get_context
from ..propagation.client_spans import ClientSpan

__all__ = ["instrument"]

_S = TypeVar("_S")
_MARK = "_agentlog_instrumented"


def _wrap(send: Any) -> Any:
    def send_with_context(request: Any, *args: Any, **kwargs: Any) -> Any:
        scope = get_context()
        if scope is None:
            return send(request, *args, **kwargs)
        span = ClientSpan(scope, url=request.url, method=request.method)
        span.enter()
        span.inject(request.headers, url=request.url)
        failure: BaseException | None = None
        try:
            response = send(request, *args, **kwargs)
            span.status_code = getattr(response, "status_code", None)
            return response
        except BaseException as exc:
            failure = exc
            raise
        finally:
            span.close(failure)

    setattr(send_with_context, _MARK, True)
    return send_with_context


def instrument(session: _S) -> _S:
    """Make every request of a ``requests.Session`` carry the run, with a span ID of its own.

    The session's mounted adapters (including your own) are wrapped, not
    replaced. Instrumenting twice wraps once. Each request (each redirect
    hop) gets ``traceparent`` naming its own span, ``X-Run-Id``, and
    ``baggage`` when its URL is a propagation target. Returns the session.

    Args:
        session: The session to instrument.
    """
    adapters: Any = session.adapters  # type: ignore[attr-defined]
    for adapter in adapters.values():
        if not getattr(adapter.send, _MARK, False):
            adapter.send = _wrap(adapter.send)
    return session
