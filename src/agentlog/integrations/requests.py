"""Propagation on requests sessions.

::

    import requests
    from agentlog.integrations.requests import instrument

    session = instrument(requests.Session())
    session.get("https://internal-search/query")  # sends traceparent, baggage, X-Run-Id
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
    replaced. Instrumenting twice wraps once. Returns the session.

    Args:
        session: The session to instrument.
    """
    adapters: Any = session.adapters  # type: ignore[attr-defined]
    for adapter in adapters.values():
        send = adapter.send
        if getattr(send, _MARK, False):
            continue

        def send_with_context(request: Any, *args: Any, _send: Any = send, **kwargs: Any) -> Any:
            inject(request.headers)
            return _send(request, *args, **kwargs)

        setattr(send_with_context, _MARK, True)
        adapter.send = send_with_context
    return session
