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

Each request — each redirect hop and each authentication retry too — gets a
span ID of its own, whose parent is the scope it was made in: its
``traceparent`` names that span, and while it is in flight that span's IDs
are the ones in force, so httpx's own ``HTTP Request: ...`` log line carries
it (and the scope's span as ``parent_span_id``). With
``configure(otel_spans=True)`` it is an OpenTelemetry CLIENT span. The
scope's IDs are back in force when ``send`` returns or raises.

Baggage (the run's session and request IDs) goes only to the propagation
targets (``agentlog.configure(propagation_targets=[...])``; by default this
machine and private networks), matched against each request's URL.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from contextvars import ContextVar
from typing import Any, TypeVar

from .. import _diagnostics
from .._context import RunContext, get_context
from ..propagation.client_spans import ClientSpan

__all__ = ["async_client", "client", "instrument"]

_C = TypeVar("_C")
_MARK = "_agentlog_instrumented"


class _Flight:
    """One ``send`` call: the scope it was made in and the request (hop) now in flight."""

    __slots__ = ("hop", "hops", "scope")

    def __init__(self, scope: RunContext) -> None:
        self.scope = scope
        self.hop: ClientSpan | None = None
        self.hops = 0

    def start(self, request: Any) -> None:
        """A request is about to go out: its own span, in force, named by its headers."""
        self.finish()  # a previous hop whose response hook did not run
        hop = ClientSpan(self.scope, url=request.url, method=request.method, resend_count=self.hops)
        self.hop, self.hops = hop, self.hops + 1
        hop.enter()
        hop.inject(request.headers, url=request.url)

    def finish(self, status_code: Any = None, exc: BaseException | None = None) -> None:
        """The hop in flight got its response (or failed): the scope's IDs back in force."""
        hop, self.hop = self.hop, None
        if hop is not None:
            if isinstance(status_code, int):
                hop.status_code = status_code
            hop.close(exc)


_FLIGHT: ContextVar[_Flight | None] = ContextVar("agentlog.httpx_flight", default=None)


def _on_request(request: Any) -> None:
    try:
        flight = _FLIGHT.get()
        if flight is not None:
            flight.start(request)
        else:
            # A send agentlog could not wrap: the request still gets its own span ID in its
            # headers, but nothing would restore the IDs afterwards, so none are put in force.
            hop = ClientSpan(get_context(), url=request.url, method=request.method)
            hop.inject(request.headers, url=request.url)
            hop.close()
    except Exception as exc:
        _diagnostics.report("httpx request could not be instrumented", exc)


def _on_response(response: Any) -> None:
    try:
        flight = _FLIGHT.get()
        if flight is not None:
            flight.finish(status_code=response.status_code)
    except Exception as exc:
        _diagnostics.report("httpx request could not be instrumented", exc)


async def _on_request_async(request: Any) -> None:
    _on_request(request)


async def _on_response_async(response: Any) -> None:
    _on_response(response)


def _begin() -> tuple[_Flight | None, Any]:
    scope = get_context()
    if scope is None:
        return None, None
    flight = _Flight(scope)
    return flight, _FLIGHT.set(flight)


def _end(flight: _Flight | None, token: Any, exc: BaseException | None) -> None:
    if flight is None:
        return
    try:
        flight.finish(exc=exc)
    finally:
        with contextlib.suppress(ValueError):
            _FLIGHT.reset(token)


def _wrap_send(send: Any) -> Any:
    @functools.wraps(send)
    def send_in_flight(request: Any, *args: Any, **kwargs: Any) -> Any:
        flight, token = _begin()
        failure: BaseException | None = None
        try:
            return send(request, *args, **kwargs)
        except BaseException as exc:
            failure = exc
            raise
        finally:
            _end(flight, token, failure)

    return send_in_flight


def _wrap_send_async(send: Any) -> Any:
    @functools.wraps(send)
    async def send_in_flight(request: Any, *args: Any, **kwargs: Any) -> Any:
        flight, token = _begin()
        failure: BaseException | None = None
        try:
            return await send(request, *args, **kwargs)
        except BaseException as exc:
            failure = exc
            raise
        finally:
            _end(flight, token, failure)

    return send_in_flight


def instrument(http_client: _C) -> _C:
    """Make every request of an httpx-style client carry the run, with a span ID of its own.

    Adds a request and a response hook, and wraps the client's ``send`` so
    that the IDs in force during a request are restored when it ends,
    whatever happens. Each request (each redirect hop) gets
    ``traceparent`` naming its own span, ``X-Run-Id``, and ``baggage``
    when its URL is a propagation target.

    Works with ``httpx.Client``/``AsyncClient`` and their httpx2 counterparts
    (anything with ``event_hooks`` and ``send``). Instrumenting twice adds
    one hook. Returns the client.

    Args:
        http_client: The client to instrument.
    """
    if getattr(http_client, _MARK, False):
        return http_client
    client_: Any = http_client
    hooks: Any = client_.event_hooks
    is_async = inspect.iscoroutinefunction(type(client_).send)
    client_.event_hooks = {
        **hooks,
        "request": [*hooks.get("request", []), _on_request_async if is_async else _on_request],
        "response": [*hooks.get("response", []), _on_response_async if is_async else _on_response],
    }
    try:
        client_.send = (_wrap_send_async if is_async else _wrap_send)(client_.send)
    except Exception as exc:  # a client whose send cannot be replaced: headers only
        _diagnostics.report("httpx client's send could not be wrapped", exc)
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
