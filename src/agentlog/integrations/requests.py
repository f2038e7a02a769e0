"""Propagation on requests sessions.

::

    import requests
    from agentlog.integrations.requests import instrument

    session = instrument(requests.Session())
    session.get("http://10.0.3.7/query")          # sends traceparent, X-Run-Id, and baggage
    session.get("https://api.example.com/")       # traceparent and X-Run-Id only

Baggage goes only to the propagation targets
(``agentlog.configure(propagation_targets=[...])``; by default this machine
and private networks), matched against each request's URL.
"""

from __future__ import annotations

from typing import Any, TypeVar

from ..propagation import inject

__all__ = ["instrument"]

_S = TypeVar("_S")
_MARK = "_agentlog_instrumented"


def instrument(session: _S) -> _S:
    """Make every request of a ``requests.Session`` carry the run's headers.

    The session's mounted adapters (including your own) are wrapped, not
    replaced. Instrumenting twice wraps once. Each request gets
    ``traceparent`` and ``X-Run-Id``, and ``baggage`` when its URL is a
    propagation target. Returns the session.

    Args:
        session: The session to instrument.
    """
    adapters: Any = session.adapters  # type: ignore[attr-defined]
    for adapter in adapters.values():
        send = adapter.send
        if getattr(send, _MARK, False):
            continue

        def send_with_context(request: Any, *args: Any, _send: Any = send, **kwargs: Any) -> Any:
            inject(request.headers, url=request.url)
            return _send(request, *args, **kwargs)

        setattr(send_with_context, _MARK, True)
        adapter.send = send_with_context
    return session
