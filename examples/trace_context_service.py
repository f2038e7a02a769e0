"""A service the W3C Trace Context test harness can drive: ASGI middleware in, instrumented httpx out.

The harness (``test/test.py`` of the w3c/trace-context repository) POSTs to
the service a JSON list of ``{"url": ..., "arguments": [...]}``; for each, the
service POSTs the arguments to the URL, and the harness reads the
``traceparent`` and ``tracestate`` it receives. Every request the service
gets is an agentlog run (`AgentlogMiddleware`: the caller's trace continued,
baggage carried on), and every call it makes has its own client span.

Run it for the harness (needs ``uvicorn`` and ``httpx``)::

    python examples/trace_context_service.py --serve 7000
    HARNESS_PORT=7777 python test/test.py http://127.0.0.1:7000/test   # in a checkout of w3c/trace-context

Harness copies that still assert Trace Context Level 1's ``tracestate`` rules
(a repeated key drops the header; ``tenant@system`` keys only) report three
``tracestate`` tests; agentlog follows the current draft there (see
docs/http.md).

Without ``--serve`` it plays one round against itself and exits.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import urllib.request
from collections.abc import MutableMapping
from typing import Any

import httpx
import uvicorn

import agentlog
from agentlog.integrations import httpx as agentlog_httpx
from agentlog.integrations.asgi import AgentlogMiddleware

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


async def _body(receive: Any) -> bytes:
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


def service() -> Any:
    """The ASGI app: ``POST /test`` runs the harness's actions; anything else answers ``null``."""
    client = agentlog_httpx.instrument(httpx.AsyncClient(timeout=10, trust_env=False))

    async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await client.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = await _body(receive)
        if scope["path"] == "/test":
            for action in json.loads(body or b"null") or []:
                await client.post(action["url"], json=action.get("arguments") or [])
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": b"null"})

    return AgentlogMiddleware(app)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    agentlog.configure(service="trace-context-service")
    if "--serve" in sys.argv:
        port = int(sys.argv[sys.argv.index("--serve") + 1])
        uvicorn.run(service(), host="127.0.0.1", port=port, log_level="warning")
        return
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(service(), host="127.0.0.1", port=port, log_level="critical"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    # One harness round: the service calls itself back, continuing the harness's trace.
    actions = [{"url": f"http://127.0.0.1:{port}/callback", "arguments": []}]
    headers = {"traceparent": TRACEPARENT, "tracestate": "foo=1"}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/test", data=json.dumps(actions).encode(), headers=headers, method="POST"
    )
    urllib.request.urlopen(request, timeout=10).read()  # noqa: S310 - our own http URL; the harness side, not logged
    server.should_exit = True


if __name__ == "__main__":
    main()
