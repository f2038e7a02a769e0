"""``agentlog demo``: an offline agent that fails, and the failure found.

A simulated model plans tool calls for a handful of support tasks; real
(small) tools run them: arithmetic, a search over bundled notes, and an order
lookup whose upstream times out for one order. Several runs go at once under
asyncio, with structlog and stdlib lines in between. The lines go to a file,
which is then read back to show the failing run.
"""

from __future__ import annotations

import ast
import asyncio
import logging
import operator
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import agentlog

from ._explorer.reader import Counts, read_lines
from ._explorer.runs import summarize_runs
from ._explorer.text import Style, runs_table, show_text
from ._explorer.tree import build_tree

__all__ = ["run_demo"]

NOTES = {
    "refund-policy": "Refunds are issued within 14 days of delivery for unopened items.",
    "shipping-times": "Standard shipping takes 3 to 5 business days; express takes 1 to 2.",
    "password-reset": "Users reset their password from the sign-in page via the emailed link.",
    "warranty": "Hardware carries a two-year limited warranty covering manufacturing defects.",
}

ORDERS: dict[str, dict[str, Any]] = {
    "A-1001": {"status": "shipped", "carrier": "UPS"},
    "A-1002": {"status": "delivered", "carrier": "DHL"},
    "A-1009": {"status": "processing", "carrier": None},
}
DEMO_PRICES = agentlog.PriceTable(
    {"sim-1": agentlog.ModelPrice(input=0.5, output=1.5)}, version="demo", bundled=False
)
"""The simulated model's price (USD per million tokens), so the demo's runs have a cost."""
_SLOW_ORDERS = frozenset({"A-1009"})

http_log = logging.getLogger("demo.orders_api")


class UpstreamTimeoutError(TimeoutError):
    """The simulated orders API did not answer in time."""


_OPERATORS: dict[type[ast.AST], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def calculator(expression: str) -> float:
    """Evaluate + - * / over numbers (nothing else is accepted)."""

    def evaluate(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return evaluate(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](evaluate(node.left), evaluate(node.right))
        raise ValueError(f"unsupported expression: {expression!r}")

    return evaluate(ast.parse(expression, mode="eval"))


def search_notes(query: str) -> list[str]:
    """Return the names of the notes sharing a word with *query*."""
    words = {w.lower().strip("?.,") for w in query.split() if len(w) > 3}
    return [name for name, text in NOTES.items() if words & {w.lower().strip(".,;") for w in text.split()}]


async def lookup_order(order_id: str) -> dict[str, Any]:
    """Fetch an order from the (simulated) orders API."""
    http_log.info("GET /orders/%s", order_id, extra={"http_method": "GET"})
    await asyncio.sleep(0.02 if order_id in _SLOW_ORDERS else 0.002)
    if order_id in _SLOW_ORDERS:
        http_log.warning("orders API slow for %s, giving up", order_id)
        raise UpstreamTimeoutError(f"orders API did not answer within 20 ms for order {order_id}")
    if order_id not in ORDERS:
        raise KeyError(order_id)
    return ORDERS[order_id]


@dataclass(frozen=True)
class Task:
    """A support request and the plan the simulated model will follow."""

    user_id: str
    text: str
    plan: tuple[tuple[str, dict[str, Any]], ...]
    recover: bool = False


TASKS = [
    Task(
        "u-101", "What is 17.5 * 4 plus shipping of 12?", (("calculator", {"expression": "17.5 * 4 + 12"}),)
    ),
    Task(
        "u-102", "How do refunds work for unopened items?", (("search_notes", {"query": "refunds unopened"}),)
    ),
    Task(
        "u-103",
        "Where is my order A-1001 and what is the warranty?",
        (("lookup_order", {"order_id": "A-1001"}), ("search_notes", {"query": "warranty hardware"})),
    ),
    Task("u-104", "Where is order A-1009?", (("lookup_order", {"order_id": "A-1009"}),)),
    Task(
        "u-105",
        "Status of A-1099, or else the shipping times?",
        (("lookup_order", {"order_id": "A-1099"}), ("search_notes", {"query": "shipping times"})),
        recover=True,
    ),
    Task("u-106", "How do I reset my password?", (("search_notes", {"query": "password reset"}),)),
]

TOOLS: dict[str, Callable[..., Any]] = {
    "calculator": calculator,
    "search_notes": search_notes,
    "lookup_order": lookup_order,
}


class SimulatedModel:
    """A stand-in for an LLM: it 'plans' by reading the task's script."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._random = random.Random(seed)

    def call(self) -> agentlog.LLMCall:
        """An LLM call to this model, with the request parameters a replay needs."""
        return agentlog.llm_call("sim-1", provider="offline", temperature=0.0, seed=self.seed)

    async def complete(self, prompt: str) -> tuple[int, int]:
        """Pretend to think; return (input_tokens, output_tokens)."""
        await asyncio.sleep(self._random.uniform(0.001, 0.004))
        return 120 + len(prompt) // 4, self._random.randint(12, 60)


async def _call_tool(name: str, args: dict[str, Any], index: int) -> Any:
    with (
        agentlog.step("tool", tool=name),
        agentlog.tool_call(name, args, tool_call_id=f"call_{index}") as call,
    ):
        result = TOOLS[name](**args)
        if asyncio.iscoroutine(result):
            result = await result
        call.result = result
        return result


async def _agent(task: Task, model: SimulatedModel, log: Any) -> None:
    with agentlog.run(task=task.text, user_id=task.user_id, metadata={"prompt_version": "v7"}) as run:
        with agentlog.step("plan"), model.call() as llm:
            tokens_in, tokens_out = await model.complete(task.text)
            llm.set_usage(input_tokens=tokens_in, output_tokens=tokens_out, finish_reason="tool_calls")
        for index, (tool, args) in enumerate(task.plan, start=1):
            try:
                result = await _call_tool(tool, args, index)
            except KeyError as missing:
                if not task.recover:
                    raise
                log.warning("tool failed, falling back", tool=tool, missing=str(missing))
                agentlog.events.decision("fallback", "next_tool", reason=f"{tool} found nothing")
                continue
            log.info(
                "tool answered",
                tool=tool,
                result_items=len(result) if isinstance(result, (list, dict)) else 1,
            )
        with agentlog.step("model"), model.call() as llm:
            tokens_in, tokens_out = await model.complete(task.text)
            llm.set_usage(input_tokens=tokens_in, output_tokens=tokens_out, finish_reason="stop")
        run.finish(stop_reason="completed")


async def _all(runs: int, seed: int) -> None:
    model = SimulatedModel(seed)
    log = agentlog.get_logger("demo.agent")
    tasks = [TASKS[i % len(TASKS)] for i in range(runs)]
    results = await asyncio.gather(*(_agent(t, model, log) for t in tasks), return_exceptions=True)
    for outcome in results:
        if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
            raise outcome


def run_demo(output: str, *, runs: int, seed: int, out: IO[str]) -> int:
    """Run the demo agents, write JSON lines to *output*, show the failing run.

    Args:
        output: The file the JSON lines go to (emptied first).
        runs: How many agent runs to start at once.
        seed: Seed for the simulated model.
        out: Where the summary is printed.
    """
    with open(output, "w"):
        pass  # start from an empty file: the summary reads back only this demo's runs
    agentlog.configure(
        service="demo-support-agent",
        env="demo",
        version=agentlog.__version__,
        output=output,
        prices=DEMO_PRICES,
    )
    logging.getLogger("asyncio").setLevel(logging.WARNING)
    asyncio.run(_all(runs, seed))

    counts = Counts()
    lines = list(read_lines([output], counts))
    runs_seen = summarize_runs(lines)
    style = Style(out.isatty() and not os.environ.get("NO_COLOR"))
    print(f"agentlog demo: {len(runs_seen)} runs, {len(lines)} lines in {output}", file=out)
    print(file=out)
    print(f"$ agentlog runs {output}", file=out)
    print(runs_table(runs_seen, style), file=out)
    for summary in (s for s in runs_seen if s.status == "error"):
        print(file=out)
        print(f"$ agentlog show {summary.run_id[:8]} {output}", file=out)
        print(show_text(build_tree(lines, summary.run_id), style), file=out)
    return 0
