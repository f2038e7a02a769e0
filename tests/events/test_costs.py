"""The cost of each LLM call and of each run: the price table's own figures, overrides, unknown models."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import genai_prices
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agentlog
from agentlog import ModelPrice, PriceTable, events
from agentlog._pricing import Usage
from tests.conftest import Captured
from tests.otel_support import Recorded

PICO = Decimal("1e-12")


def _table_price(model: str, provider: str | None, **usage: int) -> Decimal:
    """What genai-prices itself says the call costs (to the pico-dollar agentlog keeps)."""
    found = genai_prices.calc_price(genai_prices.Usage(**usage), model, provider_id=provider)
    return Decimal(found.total_price).quantize(PICO)


def _configure(tmp_path: Path, **options: Any) -> Captured:
    path = tmp_path / "costs.jsonl"
    agentlog.configure(output=path, **options)
    return Captured(path)


@pytest.mark.parametrize(
    ("model", "provider", "usage"),
    [
        ("gpt-4o", "openai", {"input_tokens": 1200, "output_tokens": 300}),
        ("gpt-4o-mini", "openai", {"input_tokens": 5000, "output_tokens": 10, "cache_read_tokens": 4000}),
        (
            "claude-sonnet-4-5",
            "anthropic",
            {"input_tokens": 900, "output_tokens": 77, "cache_write_tokens": 500},
        ),
        (
            "gemini-2.5-flash",
            "google",
            {"input_tokens": 333, "output_tokens": 999, "output_reasoning_tokens": 700},
        ),
        ("o3", "openai", {"input_tokens": 10_000, "output_tokens": 2_000, "output_reasoning_tokens": 1_500}),
        ("claude-3-5-haiku", None, {"input_tokens": 1, "output_tokens": 1}),
    ],
)
def test_a_call_costs_what_the_price_table_says(
    logs: Captured, model: str, provider: str | None, usage: dict[str, int]
) -> None:
    """cost_usd is genai-prices' own calc_price of the call's tokens, cache and reasoning ones included."""
    with agentlog.run("t"):
        events.llm_result(
            model,
            provider=provider,
            input_tokens=usage["input_tokens"],
            output_tokens=usage["output_tokens"],
            cache_read_input_tokens=usage.get("cache_read_tokens"),
            cache_creation_input_tokens=usage.get("cache_write_tokens"),
            reasoning_output_tokens=usage.get("output_reasoning_tokens"),
        )
    line = logs.one("llm_result")
    expected = _table_price(model, provider, **usage)
    assert expected > 0
    assert Decimal(repr(line["cost_usd"])) == expected
    assert (line["price_source"], line["price_version"]) == ("genai-prices", genai_prices.__version__)
    assert logs.one("run_finished")["cost_usd"] == line["cost_usd"]


def test_cached_and_reasoning_tokens_change_the_cost(logs: Captured) -> None:
    """The same tokens cost less when most input was read from the cache (the table's cache rate)."""
    with agentlog.run("t"):
        events.llm_result("gpt-4o", provider="openai", input_tokens=10_000, output_tokens=100)
        events.llm_result(
            "gpt-4o", provider="openai", input_tokens=10_000, output_tokens=100, cache_read_input_tokens=9_000
        )
    plain, cached = (line["cost_usd"] for line in logs.events("llm_result"))
    assert cached < plain
    assert Decimal(repr(cached)) == _table_price(
        "gpt-4o", "openai", input_tokens=10_000, output_tokens=100, cache_read_tokens=9_000
    )


def test_llm_call_scopes_are_priced_too(logs: Captured) -> None:
    """agentlog.llm_call writes the cost of the usage given to set_usage."""
    with agentlog.run("t"), agentlog.llm_call("gpt-4o-mini", provider="openai") as llm:
        llm.set_usage(2_000, 500, "stop")
    line = logs.one("llm_result")
    assert Decimal(repr(line["cost_usd"])) == _table_price(
        "gpt-4o-mini", "openai", input_tokens=2_000, output_tokens=500
    )


def test_configured_prices_override_the_table_and_price_self_hosted_models(tmp_path: Path) -> None:
    """A configured model is priced at its own rates first; price_source and price_version say so."""
    logs = _configure(
        tmp_path,
        prices=PriceTable(
            {
                "gpt-4o": ModelPrice(input=2, output=8),
                "llama-3-70b": {"input": "0.5", "output": "1.5", "cache_read": "0.05"},
            },
            version="contract-2026-11",
        ),
    )
    with agentlog.run("t"):
        events.llm_result("gpt-4o", provider="openai", input_tokens=1_000_000, output_tokens=500_000)
        events.llm_result("llama-3-70b", provider="vllm", input_tokens=3_000, output_tokens=1_000,
                          cache_read_input_tokens=2_000)  # fmt: skip
        events.llm_result("gpt-4o-mini", provider="openai", input_tokens=1_000, output_tokens=1_000)
    negotiated, own, bundled = logs.events("llm_result")
    assert (negotiated["cost_usd"], negotiated["price_source"], negotiated["price_version"]) == (
        6.0,
        "configured",
        "contract-2026-11",
    )
    # 1,000 plain input at 0.5, 2,000 cached at 0.05, 1,000 output at 1.5 (per million).
    assert Decimal(repr(own["cost_usd"])) == Decimal("0.0005") + Decimal("0.0001") + Decimal("0.0015")
    assert bundled["price_source"] == "genai-prices"
    total = sum(Decimal(repr(line["cost_usd"])) for line in (negotiated, own, bundled))
    assert Decimal(repr(logs.one("run_finished")["cost_usd"])) == total


def test_a_plain_mapping_of_prices_keeps_the_bundled_table(tmp_path: Path) -> None:
    """configure(prices={...}) adds models; the others are still priced from genai-prices."""
    logs = _configure(tmp_path, prices={"house-model": ModelPrice(input=1, output=1)})
    with agentlog.run("t"):
        events.llm_result("house-model", input_tokens=500_000, output_tokens=500_000)
        events.llm_result("gpt-4o", provider="openai", input_tokens=10, output_tokens=10)
    house, known = logs.events("llm_result")
    assert (house["cost_usd"], house["price_source"], house["price_version"]) == (
        1.0,
        "configured",
        "configured",
    )
    assert known["price_source"] == "genai-prices"


def test_rates_may_be_given_with_genai_prices_names(tmp_path: Path) -> None:
    """{"input_mtok": ..., "output_mtok": ...} prices a model as {"input": ..., "output": ...} does."""
    rates = {"input_mtok": "3", "output_mtok": "15", "cache_read_mtok": "0.3"}
    logs = _configure(tmp_path, prices={"own": rates})
    with agentlog.run("t"):
        events.llm_result("own", input_tokens=2_000, output_tokens=100, cache_read_input_tokens=1_000)
    expected = (1_000 * Decimal(3) + 1_000 * Decimal("0.3") + 100 * Decimal(15)) / 1_000_000
    assert Decimal(repr(logs.one("llm_result")["cost_usd"])) == expected


def test_a_table_without_the_bundled_prices_prices_only_its_models(tmp_path: Path) -> None:
    """PriceTable(bundled=False): a model it does not list has no cost, even one genai-prices knows."""
    logs = _configure(tmp_path, prices=PriceTable({"m": ModelPrice(input=1, output=1)}, bundled=False))
    with agentlog.run("t"):
        events.llm_result("gpt-4o", provider="openai", input_tokens=10, output_tokens=10)
    assert "cost_usd" not in logs.one("llm_result")
    assert logs.one("run_finished")["unpriced_llm_calls"] == 1


def test_an_unknown_model_has_no_cost_and_is_counted(logs: Captured) -> None:
    """No guess: no cost fields on the line, a count on run_finished, and one problem said per model."""
    with agentlog.run("t"):
        for _ in range(3):
            events.llm_result("no-such-model-xyz", provider="openai", input_tokens=10, output_tokens=5)
        events.llm_result("gpt-4o", provider="openai", input_tokens=10, output_tokens=5)
    unknown = logs.events("llm_result")[:3]
    assert all("cost_usd" not in line and "price_source" not in line for line in unknown)
    finished = logs.one("run_finished")
    assert finished["unpriced_llm_calls"] == 3
    assert Decimal(repr(finished["cost_usd"])) == _table_price(
        "gpt-4o", "openai", input_tokens=10, output_tokens=5
    )
    assert agentlog.problems() == {
        "no price for model 'no-such-model-xyz' of provider 'openai'; its calls have no cost": 3
    }


def test_a_provider_the_table_does_not_know_is_never_guessed(logs: Captured) -> None:
    """A self-hosted model named like a cloud one is not priced as the cloud's."""
    with agentlog.run("t"):
        events.llm_result("gpt-4o", provider="my-own-gpu-box", input_tokens=1_000, output_tokens=1_000)
    assert "cost_usd" not in logs.one("llm_result")
    assert logs.one("run_finished")["unpriced_llm_calls"] == 1


def test_provider_names_of_the_conventions_are_understood(logs: Captured) -> None:
    """gcp.gemini (the OpenTelemetry name) finds Google's prices, aws.bedrock AWS's."""
    with agentlog.run("t"):
        events.llm_result("gemini-2.5-flash", provider="gcp.gemini", input_tokens=100, output_tokens=100)
    assert Decimal(repr(logs.one("llm_result")["cost_usd"])) == _table_price(
        "gemini-2.5-flash", "google", input_tokens=100, output_tokens=100
    )


def test_a_call_without_usage_is_not_counted_as_unpriced(logs: Captured) -> None:
    """A failed call that reported no tokens has no cost and is not an unpriced call."""
    with agentlog.run("t"):
        events.llm_result("gpt-4o", provider="openai", error=TimeoutError("slow"))
    assert "cost_usd" not in logs.one("llm_result")
    finished = logs.one("run_finished")
    assert "unpriced_llm_calls" not in finished and "cost_usd" not in finished


def test_prices_off_writes_no_cost_and_counts_nothing(tmp_path: Path) -> None:
    """configure(prices=False): no cost fields anywhere, no unpriced count, no problem."""
    logs = _configure(tmp_path, prices=False)
    with agentlog.run("t"):
        events.llm_result("gpt-4o", provider="openai", input_tokens=10, output_tokens=10)
        events.llm_result("no-such-model", input_tokens=10, output_tokens=10)
    assert all("cost_usd" not in line for line in logs.lines())
    assert "unpriced_llm_calls" not in logs.one("run_finished")
    assert agentlog.problems() == {}


def test_a_child_runs_cost_is_in_its_parents_total(logs: Captured) -> None:
    """run_finished.cost_usd: the run's own calls and its in-process children's; child_cost_usd their part."""
    with agentlog.run("parent"):
        events.llm_result("gpt-4o", provider="openai", input_tokens=100, output_tokens=10)
        with agentlog.run("child"):
            events.llm_result("gpt-4o-mini", provider="openai", input_tokens=100, output_tokens=10)
            with agentlog.run("grandchild"):
                events.llm_result("gpt-4o", provider="openai", input_tokens=7, output_tokens=3)
    own, child, grandchild = (Decimal(repr(line["cost_usd"])) for line in logs.events("llm_result"))
    by_run = {line["run_id"]: line for line in logs.events("run_finished")}
    starts = logs.events("run_started")
    parent_end, child_end, grandchild_end = (by_run[line["run_id"]] for line in starts)
    assert Decimal(repr(grandchild_end["cost_usd"])) == grandchild and "child_cost_usd" not in grandchild_end
    assert Decimal(repr(child_end["cost_usd"])) == child + grandchild
    assert Decimal(repr(child_end["child_cost_usd"])) == grandchild
    assert Decimal(repr(parent_end["cost_usd"])) == own + child + grandchild
    assert Decimal(repr(parent_end["child_cost_usd"])) == child + grandchild


def test_a_child_run_in_another_thread_adds_its_cost(logs: Captured) -> None:
    """A child run started in a worker thread from the parent's context hands its cost up when it ends."""
    with agentlog.run("parent"):
        parent = agentlog.current()

        def work() -> None:
            with agentlog.run("child", parent=parent):
                events.llm_result("gpt-4o", provider="openai", input_tokens=1_000, output_tokens=100)

        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
    child_cost = Decimal(repr(logs.one("llm_result")["cost_usd"]))
    parent_end = next(line for line in logs.events("run_finished") if "parent_run_id" not in line)
    assert Decimal(repr(parent_end["cost_usd"])) == child_cost == Decimal(repr(parent_end["child_cost_usd"]))


def test_a_run_without_priced_calls_writes_no_cost(logs: Captured) -> None:
    """Unknown is not zero: a run none of whose calls was priced has no cost_usd."""
    with agentlog.run("t"):
        events.llm_result("mystery", input_tokens=1, output_tokens=1)
    assert "cost_usd" not in logs.one("run_finished")


def test_a_free_model_costs_zero_and_says_so(tmp_path: Path) -> None:
    """A model priced at 0 is priced: cost_usd 0, not missing."""
    logs = _configure(tmp_path, prices={"free": ModelPrice(input=0, output=0)})
    with agentlog.run("t"):
        events.llm_result("free", input_tokens=1_000, output_tokens=1_000)
    assert logs.one("llm_result")["cost_usd"] == 0.0 == logs.one("run_finished")["cost_usd"]


def test_a_failing_price_table_never_fails_the_call(logs: Captured, monkeypatch: pytest.MonkeyPatch) -> None:
    """If genai-prices itself raises, the line is written without a cost and the failure counted."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("price data corrupt")

    monkeypatch.setattr(genai_prices, "calc_price", broken)
    with agentlog.run("t"):
        events.llm_result("gpt-4o", provider="openai", input_tokens=1, output_tokens=1)
    assert "cost_usd" not in logs.one("llm_result")
    assert agentlog.problems() == {"price lookup failed": 1}


@pytest.mark.parametrize(
    ("prices", "error"),
    [
        ({"m": ModelPrice}, TypeError),
        ({"m": {"input": 1}}, TypeError),
        ({"m": {"input": -1, "output": 1}}, ValueError),
        ({"m": {"input": "cheap", "output": 1}}, ValueError),
        ({"m": {"input": float("nan"), "output": 1}}, ValueError),
        ({"m": {"input": True, "output": 1}}, TypeError),
        ({"m": {"input": 1, "output": 1, "per_request": 1}}, TypeError),
        ({1: {"input": 1, "output": 1}}, TypeError),
        ("gpt-4o", TypeError),
        (["gpt-4o"], TypeError),
    ],
)
def test_bad_prices_are_refused_at_configure(tmp_path: Path, prices: Any, error: type[Exception]) -> None:
    """A price that is not a number of USD per million tokens is a clear error, before anything is written."""
    with pytest.raises(error):
        agentlog.configure(output=tmp_path / "x.jsonl", prices=prices)
    assert not (tmp_path / "x.jsonl").exists()


def test_request_parameters_are_written_when_given(logs: Captured) -> None:
    """temperature, max_tokens, top_p and seed are fields of llm_result, given to llm_call or llm_result."""
    with agentlog.run("t"):
        with agentlog.llm_call(
            "gpt-4o", provider="openai", temperature=0.2, max_tokens=256, top_p=0.9, seed=42
        ):
            pass
        events.llm_result("gpt-4o", provider="openai", temperature=0, seed=-3)
        events.llm_result("gpt-4o", provider="openai")
    scoped, direct, plain = logs.events("llm_result")
    assert [scoped[k] for k in ("temperature", "max_tokens", "top_p", "seed")] == [0.2, 256, 0.9, 42]
    assert (direct["temperature"], direct["seed"]) == (0, -3) and "max_tokens" not in direct
    assert not {"temperature", "max_tokens", "top_p", "seed"} & set(plain)


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ({"temperature": "0.7"}, {"temperature": 0.7}),
        ({"temperature": float("nan")}, {}),
        ({"temperature": "hot"}, {}),
        ({"max_tokens": -5}, {}),
        ({"max_tokens": "128"}, {"max_tokens": 128}),
        ({"seed": 1.5}, {}),
        ({"top_p": True}, {}),
    ],
)
def test_bad_request_parameters_are_mended_and_kept_under_invalid(
    logs: Captured, given: dict[str, Any], written: dict[str, Any]
) -> None:
    """A parameter of the wrong type is written mended (or left out), the value given kept under invalid."""
    with agentlog.run("t"):
        events.llm_result("gpt-4o", provider="openai", **given)
    line = logs.one("llm_result")
    (name,) = given
    assert {key: line[key] for key in written} == written
    if name not in written:
        assert name not in line
    assert name in line["invalid"]


def test_request_parameters_are_on_the_chat_span(tmp_path: Path) -> None:
    """The chat span carries the conventions' gen_ai.request.* attributes for the parameters given."""
    recorded = Recorded()
    agentlog.configure(output=tmp_path / "x.jsonl", otel_spans=True, tracer_provider=recorded.provider)
    with agentlog.run("t"), agentlog.llm_call("gpt-4o", provider="openai", temperature=0.5, seed=1) as llm:
        llm.set_usage(1, 1)
    with agentlog.run("t"):
        events.llm_result("gpt-4o", provider="openai", max_tokens=9, top_p=0.1)
    chats = [span for span in recorded.get_finished_spans() if span.name.startswith("chat")]
    attributes = [dict(span.attributes or {}) for span in chats]
    assert (attributes[0]["gen_ai.request.temperature"], attributes[0]["gen_ai.request.seed"]) == (0.5, 1)
    assert (attributes[1]["gen_ai.request.max_tokens"], attributes[1]["gen_ai.request.top_p"]) == (9, 0.1)
    assert "gen_ai.request.temperature" not in attributes[1]


_RATES = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(
    rates=st.tuples(_RATES, _RATES, st.none() | _RATES, st.none() | _RATES, st.none() | _RATES),
    tokens=st.tuples(*(st.integers(0, 10**7) for _ in range(5))),
)
def test_a_model_price_is_the_sum_of_its_token_kinds(
    rates: tuple[Decimal, Decimal, Decimal | None, Decimal | None, Decimal | None],
    tokens: tuple[int, int, int, int, int],
) -> None:
    """Plain input, cache reads and writes, plain output and reasoning: each at its rate (or the base one)."""
    inp, out, cache_read, cache_write, reasoning = rates
    total_in, total_out, read, written, thought = tokens
    read, written = min(read, total_in), min(written, max(0, total_in - read))
    thought = min(thought, total_out)
    price = ModelPrice(inp, out, cache_read, cache_write, reasoning)
    cost = price.cost(Usage(total_in, total_out, read, written, thought))
    expected = (
        (total_in - read - written) * inp
        + read * (inp if cache_read is None else cache_read)
        + written * (inp if cache_write is None else cache_write)
        + (total_out - thought) * out
        + thought * (out if reasoning is None else reasoning)
    ) / Decimal(1_000_000)
    assert cost == expected >= 0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 200_000), st.integers(0, 20_000)), min_size=1, max_size=8))
def test_a_runs_cost_is_exactly_the_sum_of_its_written_calls(calls: list[tuple[int, int]]) -> None:
    """Each written call cost reads back as the decimal it was; the run's total is their exact sum."""
    out = io.StringIO()
    agentlog.configure(output=out, prices={"m": ModelPrice(input="0.15", output="0.6", cache_read="0.075")})
    with agentlog.run("t"):
        for input_tokens, output_tokens in calls:
            events.llm_result("m", input_tokens=input_tokens, output_tokens=output_tokens)

    lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
    costs = [Decimal(repr(line["cost_usd"])) for line in lines if line["event"] == "llm_result"]
    expected = [(Decimal(i) * Decimal("0.15") + Decimal(o) * Decimal("0.6")) / 1_000_000 for i, o in calls]
    assert costs == [value.quantize(PICO).normalize() for value in expected]
    finished = next(line for line in lines if line["event"] == "run_finished")
    assert Decimal(repr(finished["cost_usd"])) == sum(costs, Decimal(0))


_FORK_RIGHT_AFTER_CONFIGURE = """
import os, sys, agentlog
from agentlog import events
agentlog.configure(output=sys.argv[1])
pid = os.fork()  # while the price table may still be loading in the background
with agentlog.run("t"):
    events.llm_result("gpt-4o", provider="openai", input_tokens=1000, output_tokens=100)
if pid == 0:
    os._exit(0)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_a_fork_right_after_configure_prices_in_both_processes(tmp_path: Path) -> None:
    """A process forked right after configure prices its calls as its parent does (no lock left held)."""
    path = tmp_path / "forked.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", _FORK_RIGHT_AFTER_CONFIGURE, str(path)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    costs = [line["cost_usd"] for line in lines if line["event"] == "llm_result"]
    assert len(costs) == 2 and costs[0] == costs[1] > 0


def test_configure_loads_the_table_before_the_first_call(tmp_path: Path) -> None:
    """With the bundled table in use, configure loads it (not the first LLM call); else nothing loads."""
    script = "import sys, agentlog\nagentlog.configure(output=sys.argv[1], prices=sys.argv[2] == 'on')\n"
    script += "print('genai_prices' in sys.modules)\n"
    for mode, expected in (("on", "True"), ("off", "False")):
        command = [sys.executable, "-c", script, str(tmp_path / "x.jsonl"), mode]
        done = subprocess.run(command, capture_output=True, timeout=60, check=True)
        assert done.stdout.decode().strip() == expected


def test_a_configured_price_covers_the_models_snapshots_and_casing(tmp_path: Path) -> None:
    """prices={"gpt-4o": ...} also prices GPT-4o and gpt-4o-2024-08-06; not gpt-4o-mini (another model)."""
    logs = _configure(tmp_path, prices={"gpt-4o": ModelPrice(input=2, output=8)})
    with agentlog.run("t"):
        for model in ("gpt-4o", "GPT-4o", "gpt-4o-2024-08-06", "gpt-4o@20240806", "gpt-4o-mini"):
            events.llm_result(model, provider="openai", input_tokens=1_000_000, output_tokens=0)
    sources = [(line["model"], line["price_source"], line["cost_usd"]) for line in logs.events("llm_result")]
    assert sources[:4] == [
        ("gpt-4o", "configured", 2.0),
        ("GPT-4o", "configured", 2.0),
        ("gpt-4o-2024-08-06", "configured", 2.0),
        ("gpt-4o@20240806", "configured", 2.0),
    ]
    assert sources[4][1] == "genai-prices"


def test_an_exact_configured_name_wins_over_a_folded_one(tmp_path: Path) -> None:
    """A snapshot priced on its own keeps its own rate; other snapshots take the family's."""
    prices = {"m": ModelPrice(input=1, output=1), "m-2025-01-01": ModelPrice(input=5, output=5)}
    logs = _configure(tmp_path, prices=prices)
    with agentlog.run("t"):
        events.llm_result("m-2025-01-01", input_tokens=1_000_000, output_tokens=0)
        events.llm_result("m-2024-01-01", input_tokens=1_000_000, output_tokens=0)
    assert [line["cost_usd"] for line in logs.events("llm_result")] == [5.0, 1.0]


@pytest.mark.parametrize("rate", [1e300, "1e40", 1_000_001, "Infinity"])
def test_an_absurd_rate_is_refused_at_configure(tmp_path: Path, rate: Any) -> None:
    """Above a dollar a token a rate is a mistake: refused, rather than accepted and failing every call."""
    with pytest.raises(ValueError, match="from 0 to 1,000,000"):
        agentlog.configure(output=tmp_path / "x.jsonl", prices={"m": {"input": rate, "output": 1}})


def test_the_largest_counts_at_the_highest_rate_are_priced_exactly(tmp_path: Path) -> None:
    """2**53 - 1 tokens at $1,000,000 per million: no arithmetic error drops the line."""
    logs = _configure(tmp_path, prices={"m": ModelPrice(input=1_000_000, output="999999.999999")})
    biggest = 2**53 - 1
    with agentlog.run("t"):
        events.llm_result("m", input_tokens=biggest, output_tokens=biggest)
    line = logs.one("llm_result")
    assert line["cost_usd"] == float(biggest * Decimal("1999999.999999") / 1_000_000)
    assert agentlog.problems() == {}


@pytest.mark.parametrize("bad", [-5, 1.5, float("nan"), "many", 10**18])
def test_a_token_count_that_had_to_be_mended_gives_no_cost(logs: Captured, bad: Any) -> None:
    """input_tokens kept under invalid: the call is not priced on the rest (a guess) but counted unpriced."""
    with agentlog.run("t"):
        events.llm_result("gpt-4o", provider="openai", input_tokens=bad, output_tokens=100)
    line = logs.one("llm_result")
    assert "input_tokens" in line["invalid"] and "cost_usd" not in line
    assert logs.one("run_finished")["unpriced_llm_calls"] == 1


@pytest.mark.parametrize(
    "usage",
    [
        {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 5_000},
        {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 11},
        {"input_tokens": 10, "output_tokens": 5, "reasoning_output_tokens": 6},
    ],
)
def test_token_counts_that_do_not_add_up_give_no_cost_from_either_source(
    tmp_path: Path, usage: dict[str, Any]
) -> None:
    """More cached than input tokens (or reasoning than output): no cost, configured or bundled alike."""
    logs = _configure(tmp_path, prices={"own": ModelPrice(input=1, output=1)})
    with agentlog.run("t"):
        events.llm_result("own", **usage)
        events.llm_result("gpt-4o", provider="openai", **usage)
    assert all("cost_usd" not in line for line in logs.events("llm_result"))
    assert logs.one("run_finished")["unpriced_llm_calls"] == 2
    assert any("do not add up" in problem for problem in agentlog.problems())


def test_the_unknown_model_problem_names_the_provider(logs: Captured) -> None:
    """A self-hosted gpt-4o is said as such: the provider is in the problem."""
    with agentlog.run("t"):
        events.llm_result("gpt-4o", provider="my-gpu-box", input_tokens=1, output_tokens=1)
    assert agentlog.problems() == {
        "no price for model 'gpt-4o' of provider 'my-gpu-box'; its calls have no cost": 1
    }


def test_without_genai_prices_calls_have_no_cost_and_it_is_said_once(tmp_path: Path) -> None:
    """A plain install (no prices extra): no cost, no failure, one notice of the extra; own prices work."""
    script = (
        "import sys\n"
        "sys.modules['genai_prices'] = None  # as if not installed: importing it raises ImportError\n"
        "import agentlog\n"
        "from agentlog import events\n"
        "agentlog.configure(output=sys.argv[1], prices={'own': agentlog.ModelPrice(input=1, output=1)})\n"
        "with agentlog.run('t'):\n"
        "    events.llm_result('gpt-4o', provider='openai', input_tokens=10, output_tokens=10)\n"
        "    events.llm_result('gpt-4o', provider='openai', input_tokens=10, output_tokens=10)\n"
        "    events.llm_result('own', input_tokens=1_000_000, output_tokens=0)\n"
        "print(agentlog.problems())\n"
    )
    path = tmp_path / "plain.jsonl"
    command = [sys.executable, "-c", script, str(path)]
    done = subprocess.run(command, capture_output=True, timeout=60, check=True)
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    calls = [line for line in lines if line["event"] == "llm_result"]
    assert ["cost_usd" in line for line in calls] == [False, False, True]
    assert lines[-1]["unpriced_llm_calls"] == 2 and lines[-1]["cost_usd"] == 1.0
    assert "genai-prices is not installed" in done.stdout.decode() and ": 2}" in done.stdout.decode()
    assert done.stderr.decode().count("genai-prices is not installed") == 1
