"""Cost per call and per run, and a prompt change that made one tool fail more: found from the lines.

Run it: ``python examples/costs_and_versions.py > agent.jsonl`` — 120 runs of a
simulated agent, half on ``prompt_version`` v7 and half on v8, where v8 makes
``search_docs`` fail far more often. Then ask the lines:

    agentlog stats agent.jsonl --by prompt_version          # cost, completion, latency per version
    agentlog stats agent.jsonl --by user                    # cost per user
    agentlog slo agent.jsonl --completion 95 --latency-p95 2s --by prompt_version
    agentlog compare agent.jsonl --by prompt_version v7 v8  # "search_docs error rate … larger than chance"

Every LLM call is priced: ``llama-3-70b`` (self-hosted) from the rates given
to ``configure``, ``gpt-4o-mini`` from the ``genai-prices`` table when the
``prices`` extra is installed (without it, those calls are counted as
unpriced: no cost is ever guessed).
"""

from __future__ import annotations

import random

import agentlog
from agentlog import ModelPrice, events

USERS = ("u-1", "u-2", "u-3", "u-4")
FAILURE_RATE = {"v7": 0.05, "v8": 0.35}
"""How often search_docs fails under each prompt version: the regression to find."""


def one_run(index: int, version: str, dice: random.Random) -> None:
    """Plan with a cheap model, search, answer with the self-hosted one; give up when the search fails."""
    user = USERS[index % len(USERS)]
    with agentlog.run(f"question {index}", user_id=user, metadata={"prompt_version": version}) as run:
        with (
            agentlog.step("plan"),
            agentlog.llm_call("gpt-4o-mini", provider="openai", temperature=0.0) as llm,
        ):
            llm.set_usage(400 + dice.randrange(200), 30 + dice.randrange(20), "tool_calls")
        failed = dice.random() < FAILURE_RATE[version]
        with agentlog.step("tool"):
            call_id = events.tool_call("search_docs", {"query": f"q{index}"})
            if failed:
                events.tool_result("search_docs", tool_call_id=call_id, error_class="TimeoutError")
            else:
                events.tool_result("search_docs", tool_call_id=call_id, latency_ms=20 + dice.random() * 30)
        if failed:
            run.finish(stop_reason="tool_error")
            return
        with agentlog.step("model"), agentlog.llm_call("llama-3-70b", provider="vllm", seed=index) as llm:
            llm.set_usage(900 + dice.randrange(400), 150 + dice.randrange(100), "stop")


def main() -> None:
    agentlog.configure(
        service="support-agent",
        prices={"llama-3-70b": ModelPrice(input=0.6, output=0.8)},  # our own GPUs, per million tokens
    )
    dice = random.Random(16)
    for index in range(120):
        one_run(index, "v7" if index < 60 else "v8", dice)


if __name__ == "__main__":
    main()
