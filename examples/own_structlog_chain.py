"""Keep your own structlog configuration; add agentlog's processors to it.

Without ``agentlog.configure()``, agentlog's typed events go through your
structlog chain too. Run it: ``python examples/own_structlog_chain.py``.
"""

from __future__ import annotations

import orjson
import structlog

import agentlog


def main() -> None:
    structlog.configure(
        processors=[
            agentlog.processors.add_ids,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            agentlog.processors.add_error_fields,
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        logger_factory=structlog.BytesLoggerFactory(),
    )
    log = structlog.get_logger()
    with agentlog.run(task="triage ticket 881"), agentlog.step("plan"):
        log.info("planning", options=2)


if __name__ == "__main__":
    main()
