"""I keep structlog.configure to myself: agentlog's Renderer and LoggerFactory end my chain.

agentlog.configure() is never called. The chain's last processor renders
agentlog's line (IDs, redaction, the ecs/datadog/json/console profiles) and
the logger factory writes it as agentlog's output does (one whole line per
write). agentlog's typed events go through the same chain.

Run it: ``python examples/own_structlog_chain.py`` — it prints JSON lines to stdout.
"""

from __future__ import annotations

import logging

import structlog

import agentlog
from agentlog import events


def main() -> None:
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            agentlog.processors.Renderer(format="json", service="support-agent"),
        ],
        logger_factory=agentlog.processors.LoggerFactory(),  # stdout; or a path, or a stream
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    )
    log = structlog.get_logger("planner")
    with agentlog.run(task="triage ticket 881"), agentlog.step("plan"):
        log.info("planning", options=2)
        events.decision("route", "escalate", reason="customer is on the enterprise plan")
        log.debug("not written: below the wrapper's level")


if __name__ == "__main__":
    main()
