"""stdlib logging from libraries, inside a run, comes out with the run's IDs.

Run it: ``python examples/third_party_logging.py``.
"""

from __future__ import annotations

import logging

import agentlog

http = logging.getLogger("httpx")  # what a third-party library would use


def fetch(url: str) -> int:
    """A tool that logs through the stdlib, as HTTP clients do."""
    http.info("HTTP Request: GET %s", url, extra={"http_status": 200})
    return 200


def main() -> None:
    agentlog.configure(service="research-agent")
    with agentlog.run(task="summarize the changelog"), agentlog.step("retrieve"):
        with agentlog.tool_call("fetch", {"url": "https://example.invalid/changelog"}):
            fetch("https://example.invalid/changelog")
        try:
            raise ConnectionResetError("peer reset")
        except ConnectionResetError:
            http.exception("retrying after network error")


if __name__ == "__main__":
    main()
