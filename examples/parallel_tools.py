"""Parallel tool calls under asyncio.gather keep their own IDs; totals stay exact.

Run it: ``python examples/parallel_tools.py``.
"""

from __future__ import annotations

import asyncio

import agentlog


async def lookup(city: str) -> str:
    """A slow async tool; one city fails."""
    with agentlog.tool_call("weather", {"city": city}) as call:
        await asyncio.sleep(0.01)
        if city == "Atlantis":
            raise LookupError(f"no station in {city}")
        call.result = f"sunny in {city}"
        return str(call.result)


async def main() -> None:
    agentlog.configure(service="travel-agent")
    with agentlog.run(task="weather for three cities"), agentlog.step("tool"):
        results = await asyncio.gather(
            *(lookup(city) for city in ("Lisbon", "Atlantis", "Oslo")), return_exceptions=True
        )
        agentlog.get_logger().info("gathered", ok=sum(isinstance(r, str) for r in results))


if __name__ == "__main__":
    asyncio.run(main())
