"""Tools in a thread pool keep their run's IDs and count toward its totals.

Run it: ``python examples/propagation_threads.py``.
"""

from __future__ import annotations

import asyncio

import agentlog
from agentlog import propagation


def lookup(order_id: str) -> str:
    """A blocking tool, run in worker threads."""
    with agentlog.tool_call("lookup_order", {"order_id": order_id}) as call:
        call.result = f"order {order_id}: shipped"
        return str(call.result)


async def async_agent() -> None:
    """asyncio.to_thread carries the context; loop.run_in_executor needs wrap()."""
    with agentlog.run(task="async lookups"):
        await asyncio.to_thread(lookup, "A-2")
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, propagation.wrap(lookup), "A-3")


def main() -> None:
    agentlog.configure(service="orders-agent")
    with agentlog.run(task="check three orders"), propagation.ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lookup, ["A-1", "A-7", "A-9"]))
        agentlog.get_logger().info("looked up", orders=len(results))
    asyncio.run(async_agent())


if __name__ == "__main__":
    main()
