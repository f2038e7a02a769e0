"""I already configure structlog: agentlog.configure() keeps my processors and bound fields.

The application's chain (a hostname processor, contextvars, its own
timestamp and renderer) was set up before agentlog. ``configure()`` keeps the
processors, runs them on every line — structlog lines, typed events, stdlib
records — and writes the timestamp, level and JSON itself (it says once, on
stderr, which processors it left out).

Run it: ``python examples/existing_structlog.py`` — it prints JSON lines to stdout.
"""

from __future__ import annotations

import logging
import socket

import structlog
from structlog.typing import EventDict, WrappedLogger

import agentlog


def add_hostname(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """The application's own processor: which machine wrote the line."""
    event_dict.setdefault("hostname", socket.gethostname())
    return event_dict


def setup_logging() -> None:
    """The application's logging setup, as it was before agentlog."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            add_hostname,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.JSONRenderer(),
        ]
    )


def main() -> None:
    setup_logging()
    agentlog.configure(service="support-agent", env="dev")  # composes with the chain above
    log = structlog.get_logger("api")
    structlog.contextvars.bind_contextvars(tenant="acme")  # on every line from here
    with agentlog.run(task="refund order 1042", user_id="u-42"):
        log.info("request accepted", route="/chat")
        with agentlog.tool_call("lookup_order", {"order_id": 1042}) as call:
            logging.getLogger("orders.client").info("GET /orders/1042")  # a third-party library
            call.result = {"status": "shipped"}


if __name__ == "__main__":
    main()
