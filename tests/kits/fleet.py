"""A fleet of runs agentlog itself wrote, whose every figure is known (the ClickHouse kit's tests).

Twelve runs (``i`` = 0 … 11) written by the runtime with a price table of
its own (model ``m-a``: 1.5 USD per million input tokens, 6 per million
output tokens, so a call of 100 in and 10 out costs 0.00021):

- user ``u-1`` for even ``i``, ``u-2`` for odd; ``prompt_version`` ``v7``
  for ``i`` < 6, else ``v8``; ``policy_version`` ``p1``; ``tier`` ``i % 3``
  (a number); ``route_config_version`` ``r2`` when ``i % 4 == 1``;
- two ``search`` calls, the same arguments twice (a repeated call) when
  ``i % 4 == 0``; one ``m-a`` call (100 in, 10 out, priced, with
  temperature, max_tokens, top_p and seed); when ``i % 3 == 0`` one call of
  ``m-x`` (50 in, 5 out), which the table does not price;
- run 2 starts a child run (user ``u-1``, no metadata of its own, so
  grouped by run 2's) that calls ``m-a``;
- runs 5 and 11 call ``fetch``, which fails, and stop ``tool_error``; run 9
  stops ``max_steps``; run 10's ``run_finished`` line is lost (a killed
  process), so it is unfinished; the others stop ``completed``.

Latencies are the ones the runtime measured, read back from the lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

import agentlog
from agentlog import _config, events
from agentlog._explorer.profiles import to_flat
from tests.kits.clickhouse_support import Store, open_store

__all__ = ["CALL", "Fleet", "loaded_fleet", "write"]

PRICES = agentlog.PriceTable({"m-a": {"input": 1.5, "output": 6}}, version="rates-2026-11", bundled=False)
CALL = 0.00021
"""The cost of one ``m-a`` call."""


@dataclass
class Fleet:
    """The fleet's log, its store, its runs' IDs (by ``i``, the child as ``"child"``) and latencies."""

    path: Path
    store: Store
    run_ids: dict[int | str, str]
    latency: dict[int | str, float]


def write(path: Path, fmt: Literal["json", "ecs", "datadog"] = "json") -> dict[int | str, str]:
    """The twelve runs of the module docstring, through the runtime, in the format *fmt*; their run IDs."""
    agentlog.configure(output=path, format=fmt, service="fleet", prices=PRICES)
    run_ids: dict[int | str, str] = {}
    for i in range(12):
        metadata: dict[str, Any] = {
            "prompt_version": "v7" if i < 6 else "v8",
            "policy_version": "p1",
            "tier": i % 3,
        }
        if i % 4 == 1:
            metadata["route_config_version"] = "r2"
        handle = events.run_started(f"task {i}", user_id="u-1" if i % 2 == 0 else "u-2", metadata=metadata)
        assert handle is not None
        run_ids[i] = handle.run_id
        events.agent_step("tool")
        for n in range(2):
            call = events.tool_call("search", {"q": i} if i % 4 == 0 else {"q": i, "n": n})
            events.tool_result("search", tool_call_id=call, result="hit", latency_ms=1.0 + n)
        events.agent_step("model")
        events.llm_result(
            "m-a",
            provider="p",
            input_tokens=100,
            output_tokens=10,
            latency_ms=20.0,
            temperature=0.2,
            max_tokens=256,
            top_p=0.9,
            seed=7,
        )
        if i % 3 == 0:
            events.llm_result("m-x", provider="p", input_tokens=50, output_tokens=5, latency_ms=5.0)
        if i == 2:
            child = events.run_started("child task", user_id="u-1")
            assert child is not None
            run_ids["child"] = child.run_id
            events.llm_result("m-a", provider="p", input_tokens=100, output_tokens=10)
            events.run_finished()
        if i in (5, 11):
            call = events.tool_call("fetch", {"id": i})
            events.tool_result("fetch", tool_call_id=call, error_class="TimeoutError", error_message="slow")
            events.run_finished(status="error", stop_reason="tool_error", error_class="TimeoutError")
        elif i == 9:
            events.run_finished(stop_reason="max_steps")
        else:
            events.run_finished()
    _config.reset()
    # Run 10's process was killed: its run_finished line never reached the log.
    kept = []
    for raw in path.read_bytes().splitlines():
        line = to_flat(orjson.loads(raw))
        if not (line is not None and line["event"] == "run_finished" and line["run_id"] == run_ids[10]):
            kept.append(raw)
    path.write_bytes(b"\n".join(kept) + b"\n")
    return run_ids


@contextmanager
def loaded_fleet(directory: Path) -> Iterator[Fleet]:
    """The fleet, written to *directory* and loaded into ClickHouse whole lines at a time."""
    path = directory / "fleet.jsonl"
    run_ids = write(path)
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    by_id = {run_id: key for key, run_id in run_ids.items()}
    latency = {
        by_id[line["run_id"]]: line["total_latency_ms"] for line in lines if line["event"] == "run_finished"
    }
    with open_store(directory / "chdb") as store:
        store.load_lines(path.read_text())
        yield Fleet(path, store, run_ids, latency)
