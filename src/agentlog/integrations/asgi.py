"""An ASGI middleware: every HTTP request runs as an agentlog run.

::

    from agentlog.integrations.asgi import AgentlogMiddleware

    app = AgentlogMiddleware(app)   # Starlette, FastAPI, any ASGI app

A request that carries ``traceparent`` (and agentlog's baggage) becomes a
child run of the caller's run on the caller's trace; any other request starts
a fresh trace. The run's ``request_id`` is the ``X-Request-Id`` header when
present, and the response gets an ``X-Run-Id`` header.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .._scopes import run
from ..propagation.carriers import clean_id, extract

__all__ = ["AgentlogMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class AgentlogMiddleware:
    """Wrap an ASGI app so each HTTP request is a run (a child run when called from one).

    Args:
        app: The ASGI application.
        request_id_header: The request header whose value becomes ``request_id``.
    """

    def __init__(self, app: ASGIApp, *, request_id_header: str = "x-request-id") -> None:
        self.app = app
        self._request_id_header = request_id_header.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        raw_headers = scope.get("headers") or []
        request_id = next(
            (
                clean_id(value.decode("latin-1"))
                for name, value in raw_headers
                if name.lower() == self._request_id_header
            ),
            None,
        )
        task = f"{scope.get('method', '')} {scope.get('path', '')}"
        async with run(task, parent=extract(raw_headers), request_id=request_id) as current:

            async def send_with_run_id(message: Message) -> None:
                if message.get("type") == "http.response.start":
                    current.finish(http_status=message.get("status"))
                    message["headers"] = [*message.get("headers", []), (b"x-run-id", current.run_id.encode())]
                await send(message)

            await self.app(scope, receive, send_with_run_id)
