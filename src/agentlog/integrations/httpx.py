"""Propagation on httpx clients (and httpx2 clients, used by the OpenAI and Anthropic SDKs).

::

    import httpx
    from agentlog.integrations.httpx import instrument

    client = instrument(httpx.Client())          # or httpx.AsyncClient()
    client.get("http://10.0.3.7/query")          # sends traceparent, X-Run-Id, and baggage
    client.get("https://api.example.com/")       # traceparent and X-Run-Id only

    from openai import OpenAI
    import httpx2                                 # the SDKs' transport
    openai_client = OpenAI(http_client=instrument(httpx2.Client()))

Baggage (the run's session and request IDs) goes only to the propagation
targets (``agentlog.configure(propagation_targets=[...])``; by default this
machine and private networks), matched against each request's URL.
"""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

from ..propagation import inject

__all__ = ["async_client", "client", "instrument"]

_C = TypeVar("_C")
_MARK = "_agentlog_instrumented"


def _inject_request(request: Any) -> None:
    inject(request.headers, url=request.url)


async def _inject_request_async(request: Any) -> None:
    inject(request.headers, url=request.url)


def instrument(http_client: _C) -> _C:
    """Add a request hook to an httpx-style client so every request carries the run.

    Each request gets ``traceparent`` and ``X-Run-Id``, and ``baggage`` when
    its URL is a propagation target.

    Works with ``httpx.Client``/``AsyncClient`` and their httpx2 counterparts
    (anything with ``event_hooks`` and ``send``). Instrumenting twice adds
    one hook. Returns the client.

    Args:
        http_client: The client to instrument.
    """
    if getattr(http_client, _MARK, False):
        return http_client
    hooks: Any = http_client.event_hooks  # type: ignore[attr-defined]
    is_async = inspect.iscoroutinefunction(type(http_client).send)  # type: ignore[attr-defined]
    request_hooks = list(hooks.get("request", []))
    request_hooks.append(_inject_request_async if is_async else _inject_request)
    http_client.event_hooks = {**hooks, "request": request_hooks}  # type: ignore[attr-defined]
    setattr(http_client, _MARK, True)
    return http_client


def client(**kwargs: Any) -> Any:
    """Return a new instrumented ``httpx.Client`` (requires the ``httpx`` extra).

    Args:
        kwargs: Passed to ``httpx.Client``.
    """
    import httpx

    return instrument(httpx.Client(**kwargs))


def async_client(**kwargs: Any) -> Any:
    """Return a new instrumented ``httpx.AsyncClient`` (requires the ``httpx`` extra).

    Args:
        kwargs: Passed to ``httpx.AsyncClient``.
    """
    import httpx

    return instrument(httpx.AsyncClient(**kwargs))
