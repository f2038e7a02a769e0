"""A WSGI middleware: every request runs as an agentlog run.

::

    from agentlog.integrations.wsgi import AgentlogWSGIMiddleware

    app = AgentlogWSGIMiddleware(app)   # Flask's app.wsgi_app, Django's WSGI handler, ...

The run lasts until the server closes the response iterable, so streamed
bodies are inside it. A request that carries a valid ``traceparent`` becomes
a child run of the caller's run; any other request starts a fresh trace,
keeping the session and request IDs and the baggage members a ``baggage``
header brings. The response gets an ``X-Run-Id`` header.

Request headers are not trusted: they never set the run's ``user_id``, and an
ID that is too long, holds control or format characters, or is sent twice
with different values (``X-Request-Id: a, b``) is dropped and counted in
``agentlog.problems()``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any

from .._scopes import Run, run
from ..propagation.carriers import clean_id, extract, one_value

__all__ = ["AgentlogWSGIMiddleware"]

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class _ClosingBody:
    """The app's body; leaving the run when the server closes it."""

    def __init__(self, body: Iterable[bytes], current: Run) -> None:
        self._body = body
        self._run = current
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._body
        except BaseException as exc:
            self._finish(exc)
            raise

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._finish(None)

    def _finish(self, exc: BaseException | None) -> None:
        if not self._closed:
            self._closed = True
            tb: TracebackType | None = exc.__traceback__ if exc is not None else None
            self._run.__exit__(type(exc) if exc is not None else None, exc, tb)


def _request_id(environ: dict[str, Any]) -> str | None:
    """``X-Request-Id`` when it is one acceptable value (servers join a repeated header with commas)."""
    value = environ.get("HTTP_X_REQUEST_ID")
    return clean_id(one_value(value.split(","))) if isinstance(value, str) else None


class AgentlogWSGIMiddleware:
    """Wrap a WSGI app so each request is a run (a child run when called from one).

    Args:
        app: The WSGI application.
    """

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Handle one request."""
        task = f"{environ.get('REQUEST_METHOD', '')} {environ.get('PATH_INFO', '')}"
        current = run(task, parent=extract(environ), request_id=_request_id(environ))
        current.__enter__()

        def start_with_run_id(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            current.finish(http_status=int(status.split(" ", 1)[0]) if status[:3].isdigit() else None)
            return start_response(status, [*headers, ("X-Run-Id", current.run_id)], exc_info)

        try:
            body = self.app(environ, start_with_run_id)
        except BaseException as exc:
            current.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return _ClosingBody(body, current)
