"""An HTTP call continues the run in the callee as a child run, on the same trace.

A tiny service on 127.0.0.1 reads the caller's context with ``extract``; the
caller sends it with ``headers()``. Run it: ``python examples/propagation_http.py``.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import agentlog
from agentlog import propagation


class RetrievalService(BaseHTTPRequestHandler):
    """The callee: one child run per request."""

    def do_POST(self) -> None:
        """Continue the caller's run as a child run and answer."""
        with agentlog.run(parent=propagation.extract(self.headers), task=self.path):
            agentlog.get_logger("retrieval").info("searching index")
            body = json.dumps({"hits": 3}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Keep the server quiet; agentlog does the logging."""


def main() -> None:
    agentlog.configure(service="agent-and-retrieval")
    server = ThreadingHTTPServer(("127.0.0.1", 0), RetrievalService)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/search"
    try:
        with agentlog.run(task="answer with retrieval"), agentlog.tool_call("retrieve", {"q": "refunds"}):
            request = urllib.request.Request(url, data=b"{}", headers=propagation.headers())
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own loopback service
                agentlog.get_logger("agent").info("retrieved", **json.loads(response.read()))
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
