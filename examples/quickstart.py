"""Quickstart: one agent run with a step, a tool call and an LLM call.

Run it: ``python examples/quickstart.py`` — it prints JSON lines to stdout.
"""

from __future__ import annotations

from typing import Any

import agentlog


def search_docs(query: str, k: int = 3) -> list[str]:
    """A stand-in tool."""
    return [f"doc-{i}" for i in range(k)]


def main() -> None:
    agentlog.configure(service="support-agent", env="dev", version="1.4.2")
    log = agentlog.get_logger(__name__)
    args: dict[str, Any] = {"query": "refund policy", "k": 2}

    with agentlog.run(task="How do refunds work?", user_id="u-42", metadata={"prompt_version": "v7"}) as run:
        with agentlog.step("tool", tool="search_docs"), agentlog.tool_call("search_docs", args) as call:
            call.result = search_docs(**args)
            log.info("retrieved", hits=len(call.result))
        with agentlog.step("model"), agentlog.llm_call("gpt-4o", provider="openai") as llm:
            llm.set_usage(input_tokens=812, output_tokens=97, finish_reason="stop")
        run.finish(stop_reason="completed")


if __name__ == "__main__":
    main()
