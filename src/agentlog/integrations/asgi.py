"""An ASGI middleware: every HTTP request runs as an agentlog run.

::

    from agentlog.integrations.asgi import AgentlogMiddleware

    app = AgentlogMiddleware(app)   # Starlette, FastAPI, any ASGI app

A request that carries a valid ``traceparent`` (and agentlog's baggage)
becomes a child run of the caller's run on the caller's trace; any other
request starts a fresh trace, keeping the session and request IDs and the
baggage members a ``baggage`` header brings (W3C Baggage travels without
``traceparent`` too). The run's ``request_id`` is the ``X-Request-Id``
header when present, and the response gets an ``X-Run-Id`` header.

Request headers are not trusted: they never set the run's ``user_id`` (set it
from your authentication, inside the app), and an ID that is too long, holds
control or format characters, or is sent twice with different values is
dropped and counted in ``agentlog.problems()``. ``X-Request-Id`` is read as
a list, as servers join a repeated header with commas: ``a, a`` is ``a``,
``a, b`` is no request ID. Each header is read on its own: a value that is
not bytes, or holds bytes that are not ASCII, costs that header only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .. import _diagnostics
from .._scopes import run
from ..propagation.carriers import clean_id, extract, one_value

__all__ = ["AgentlogMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _raw(value: Any) -> bytes:
    """An ASGI header name or value as bytes (a server that gives text: its Latin-1 bytes)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("latin-1")
    raise TypeError(f"an ASGI header is bytes, not {type(value).__name__}")


class AgentlogMiddleware:
    """Wrap an ASGI app so each HTTP request is a run (a child run when called from one).

    Args:
        app: The ASGI application.
        request_id_header: The request header whose value becomes ``request_id``.
    """

    def __init__(self, app: ASGIApp, *, request_id_header: str = "x-request-id") -> None:
        self.app = app
        self._request_id_header = request_id_header.lower().encode("latin-1")

    def _request_id(self, raw_headers: Any) -> str | None:
        """The request's ``X-Request-Id``, when it is one acceptable value."""
        values: list[str] = []
        try:
            for pair in raw_headers:
                try:
                    name, value = (_raw(part) for part in pair)
                    if name.lower() == self._request_id_header:
                        values.extend(value.decode("latin-1").split(","))
                except Exception as exc:  # this header only
                    _diagnostics.report("request header could not be read", exc)
        except Exception as exc:
            _diagnostics.report("request headers could not be read", exc)
            return None
        return clean_id(one_value(values))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        raw_headers = scope.get("headers") or []
        request_id = self._request_id(raw_headers)
        task = f"{scope.get('method', '')} {scope.get('path', '')}"
        async with run(task, parent=extract(raw_headers), request_id=request_id) as current:

            async def send_with_run_id(message: Message) -> None:
                if message.get("type") == "http.response.start":
                    current.finish(http_status=message.get("status"))
                    message["headers"] = [*message.get("headers", []), (b"x-run-id", current.run_id.encode())]
                await send(message)

            await self.app(scope, receive, send_with_run_id)
