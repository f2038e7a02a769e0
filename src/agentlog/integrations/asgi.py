"""An ASGI middleware: every HTTP request runs as an agentlog run.

::

    from agentlog.integrations.asgi import AgentlogMiddleware

    app = AgentlogMiddleware(app)   # Starlette, FastAPI, any ASGI app

A request that carries ``traceparent`` (and agentlog's baggage) becomes a
child run of the caller's run on the caller's trace; any other request starts
a fresh trace. The run's ``request_id`` is the ``X-Request-Id`` header when
present, and the response gets an ``X-Run-Id`` header.

Request headers are not trusted: they never set the run's ``user_id`` (set it
from your authentication, inside the app), and an ID that is too long, holds
control or format characters, or is sent twice with different values is
dropped and counted in ``agentlog.problems()``. ``X-Request-Id`` is read as
a list, as servers join a repeated header with commas: ``a, a`` is ``a``,
``a, b`` is no request ID.
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
        try:
            values = [
                part
                for name, value in raw_headers
                if name.lower() == self._request_id_header
                for part in value.decode("latin-1").split(",")
            ]
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
