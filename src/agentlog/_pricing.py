"""The USD cost of an LLM call, from an offline price table.

Two sources, in this order:

- prices the user configured (``configure(prices=...)``): negotiated rates,
  self-hosted models, or a whole table of their own;
- the table bundled with ``genai-prices`` (the ``prices`` extra), looked up by
  model and provider as that package matches them.

A call whose model neither knows gets no cost — never a guess — and is
counted in `agentlog.problems()` (said once per model and provider). The
provider is given to ``genai-prices`` as it names providers, and one it does
not know prices nothing: a self-hosted ``gpt-4o`` must not be priced as
OpenAI's.

Costs are exact decimals until they are written: a run's total is the sum of
its calls' decimals, so the figures add up the same in the log, the explorer
and a SQL store.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Context, Decimal, localcontext
from typing import Any

from . import _diagnostics

__all__ = [
    "BUNDLED",
    "BUNDLED_ONLY",
    "CONFIGURED",
    "ModelPrice",
    "Price",
    "PriceTable",
    "preload",
    "price_call",
    "price_table",
]

BUNDLED = "genai-prices"
"""``price_source`` of a cost from the ``genai-prices`` table (``price_version`` is its version)."""
CONFIGURED = "configured"
"""``price_source`` of a cost from prices given to ``configure`` (``price_version`` is the table's)."""

_MILLION = Decimal(1_000_000)
_MAX_RATE = Decimal(1_000_000)
"""A dollar a token: beyond it a rate is a mistake (cents for dollars, per token for per million)."""
_EXACT = Context(prec=60)
"""Enough digits for any count of tokens (up to 2**53) at any rate allowed, to the pico-dollar."""
_PICODOLLAR = Decimal("1e-12")
"""Costs are kept to this: far below any price step, and few enough digits that a written cost
reads back as the very decimal (a float holds 15 significant digits), so sums agree everywhere."""
# agentlog's provider names (the OpenTelemetry GenAI ones) that genai-prices spells otherwise.
_PROVIDER_IDS = {
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "google-gla": "google",
    "google-vertex": "google",
    "gemini": "google",
    "vertex_ai": "google",
    "aws.bedrock": "aws",
    "bedrock": "aws",
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "mistral_ai": "mistral",
    "x_ai": "x-ai",
    "xai": "x-ai",
}


_RATE_NAMES = {
    "input_mtok": "input",
    "output_mtok": "output",
    "cache_read_mtok": "cache_read",
    "cache_write_mtok": "cache_write",
}
"""genai-prices' names for the same rates (USD per million tokens), taken in a mapping of rates too."""


def _rate(name: str, value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise TypeError(
            f"a price's {name} must be a number of USD per million tokens, not {type(value).__name__}"
        )
    try:
        rate = Decimal(str(value))
    except ArithmeticError:
        raise ValueError(f"a price's {name} is not a number: {value!r}") from None
    if not rate.is_finite() or rate < 0 or rate > _MAX_RATE:
        raise ValueError(
            f"a price's {name} must be a number of USD per million tokens from 0 to 1,000,000, not {value!r}"
        )
    return rate


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """One model's prices, in USD per million tokens (numbers, or decimal strings such as ``"0.15"``).

    Input tokens read from or written to the provider's cache, and output
    tokens spent on reasoning, are priced at their own rates when given, else
    at the input (output) rate.

    Args:
        input: Per million input tokens (those not read from or written to a cache).
        output: Per million output tokens.
        cache_read: Per million input tokens read from the cache.
        cache_write: Per million input tokens written to the cache.
        reasoning: Per million reasoning output tokens.

    Raises:
        TypeError: a rate is not a number.
        ValueError: a rate is negative, infinite or not a number.
    """

    input: float | Decimal | str
    output: float | Decimal | str
    cache_read: float | Decimal | str | None = None
    cache_write: float | Decimal | str | None = None
    reasoning: float | Decimal | str | None = None
    _rates: tuple[Decimal, Decimal, Decimal, Decimal, Decimal] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = ("input", "output", "cache_read", "cache_write", "reasoning")
        inp, out, cache_read, cache_write, reasoning = (_rate(name, getattr(self, name)) for name in names)
        if inp is None or out is None:
            raise ValueError("a price needs both an input and an output rate")
        rates = (
            inp,
            out,
            inp if cache_read is None else cache_read,
            inp if cache_write is None else cache_write,
            out if reasoning is None else reasoning,
        )
        object.__setattr__(self, "_rates", rates)

    def cost(self, usage: Usage) -> Decimal:
        """The cost of *usage* at these prices, in USD."""
        inp, out, cache_read, cache_write, reasoning = self._rates
        cached = usage.cache_read + usage.cache_write
        plain_input = max(0, usage.input - cached)
        plain_output = max(0, usage.output - usage.reasoning)
        with localcontext(_EXACT):
            total = (
                plain_input * inp
                + usage.cache_read * cache_read
                + usage.cache_write * cache_write
                + plain_output * out
                + usage.reasoning * reasoning
            )
            return total / _MILLION


_SNAPSHOT = re.compile(r"(?:[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|latest))+$")
"""A dated snapshot's suffix (``-2024-08-06``, ``-20250514``, ``@20240620``, ``-latest``)."""


def _folded_name(model: str) -> str:
    """A model name as configured prices match it: lower case, without a snapshot suffix."""
    return _SNAPSHOT.sub("", model.strip().lower())


@dataclass(frozen=True, slots=True)
class PriceTable:
    """Prices of your own, by model name, with a version written on every cost they give.

    Args:
        models: Model name → its `ModelPrice`, or a
            mapping of the same rates (``{"input": 0.2, "output": 0.6}``;
            ``genai-prices``' names ``input_mtok``, ``output_mtok``,
            ``cache_read_mtok`` and ``cache_write_mtok`` are understood too).
            A call's model matches its exact name first, then ignoring case
            and a dated snapshot suffix (``gpt-4o`` prices
            ``GPT-4o-2024-08-06``), whatever its provider.
        version: Written as ``price_version`` on each cost from this table
            (e.g. the date or contract of the rates).
        bundled: Also price models not listed here from the ``genai-prices``
            table, when it is installed.

    Raises:
        TypeError: a model name is not a string, or a price is neither a
            `ModelPrice` nor a mapping of rates.
        ValueError: a rate is invalid.
    """

    models: Mapping[str, ModelPrice | Mapping[str, Any]] = field(default_factory=dict)
    version: str = CONFIGURED
    bundled: bool = True
    _folded: dict[str, ModelPrice] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.models, Mapping):
            raise TypeError(f"prices must map model names to prices, not {type(self.models).__name__}")
        checked: dict[str, ModelPrice] = {}
        for model, price in self.models.items():
            if not isinstance(model, str):
                raise TypeError(f"a model name in prices must be a string, not {type(model).__name__}")
            if isinstance(price, Mapping):
                price = ModelPrice(**{_RATE_NAMES.get(name, name): rate for name, rate in price.items()})
            if not isinstance(price, ModelPrice):
                raise TypeError(f"the price of {model!r} must be a ModelPrice or a mapping of rates")
            checked[model] = price
        if not isinstance(self.version, str):
            raise TypeError(f"a price table's version must be a string, not {type(self.version).__name__}")
        object.__setattr__(self, "models", checked)
        folded: dict[str, ModelPrice] = {}
        for model, price in checked.items():
            folded.setdefault(_folded_name(model), price)
        object.__setattr__(self, "_folded", folded)

    def price_of(self, model: str) -> ModelPrice | None:
        """The configured price of *model*: by exact name, else ignoring case and a dated snapshot suffix."""
        own = self.models.get(model)
        if own is None and self._folded:
            own = self._folded.get(_folded_name(model))
        return own  # type: ignore[return-value]  # checked in __post_init__


BUNDLED_ONLY = PriceTable()
"""The default: the ``genai-prices`` table alone (no cost at all when it is not installed)."""


def price_table(prices: PriceTable | Mapping[str, Any] | bool | None) -> PriceTable | None:
    """What ``configure(prices=...)`` was given, as a table; None when costs are off (``False``).

    None (the default) and True mean the bundled table alone.
    """
    if prices is None or prices is True:
        return BUNDLED_ONLY
    if prices is False:
        return None
    if isinstance(prices, PriceTable):
        return prices
    if isinstance(prices, Mapping):
        return PriceTable(prices)
    raise TypeError(
        f"prices must be a PriceTable, a mapping of model prices, or False, not {type(prices).__name__}"
    )


@dataclass(frozen=True, slots=True)
class Usage:
    """The tokens of one call, as the price calculation needs them (each ≥ 0)."""

    input: int
    output: int
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0


@dataclass(frozen=True, slots=True)
class Price:
    """A call's cost and where its prices came from."""

    cost_usd: Decimal
    source: str
    version: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "cost_usd", self.cost_usd.quantize(_PICODOLLAR, context=_EXACT))


class _Bundled:
    """The ``genai-prices`` table, imported once (a quarter of a second) with its data loaded.

    `configure` loads it (`preload`), so that time is spent at startup and
    not inside the first LLM call, where it would land in the run's latency
    and block an event loop. It is loaded in the calling thread, not in the
    background: a fork during a background import would leave the child
    with the import's locks held by a thread it does not have.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded = False
        self._module: Any = None

    def module(self) -> Any:
        """The ``genai_prices`` module, or None when it is not installed."""
        if not self._loaded:
            with self._lock:
                if not self._loaded:
                    self._module = _import_table()
                    self._loaded = True
        return self._module


def _import_table() -> Any:
    """``genai_prices`` with its data loaded; None when it is not installed or cannot be imported."""
    try:
        module: Any = importlib.import_module("genai_prices")
    except Exception as exc:
        if not isinstance(exc, ImportError):
            _diagnostics.report("genai-prices could not be imported", exc)
        return None
    try:
        # The first lookup loads the price data: done here, once, off the agent's path.
        module.calc_price(module.Usage(input_tokens=0, output_tokens=0), "gpt-4o")
    except Exception as exc:  # a real call looks again, and reports what fails then
        _diagnostics.report("genai-prices failed its first lookup", exc)
    return module


_BUNDLED = _Bundled()


def preload(table: PriceTable | None) -> None:
    """Load the bundled table now when *table* will look prices up there."""
    if table is not None and table.bundled:
        _BUNDLED.module()


def _bundled_price(model: str, provider: str | None, usage: Usage) -> Price | None:
    module = _BUNDLED.module()
    if module is None:
        _diagnostics.report(
            "genai-prices is not installed: LLM calls of models without a configured price have no cost "
            "(install the prices extra)"
        )
        return None
    values = {"input_tokens": usage.input, "output_tokens": usage.output}
    if usage.cache_read:
        values["cache_read_tokens"] = usage.cache_read
    if usage.cache_write:
        values["cache_write_tokens"] = usage.cache_write
    if usage.reasoning:
        values["output_reasoning_tokens"] = usage.reasoning
    provider_id = _PROVIDER_IDS.get(provider, provider) if provider is not None else None
    try:
        found = module.calc_price(module.Usage(**values), model, provider_id=provider_id)
    except LookupError:
        return None
    return Price(Decimal(found.total_price), BUNDLED, str(module.__version__))


def _count(value: Any) -> int:
    return value if type(value) is int and value >= 0 else 0


_COUNTS_DO_NOT_ADD_UP = (
    "llm_result token counts do not add up (cached tokens above input, or reasoning above output); no cost"
)


def price_call(
    table: PriceTable | None,
    model: Any,
    provider: Any,
    input_tokens: Any,
    output_tokens: Any,
    cache_read: Any = None,
    cache_write: Any = None,
    reasoning: Any = None,
) -> Price | None:
    """The cost of one LLM call, or None when costs are off, no tokens were reported or the model is unknown.

    A model neither source prices, and token counts that do not add up
    (more cached than input tokens, more reasoning than output tokens), give
    no cost and are counted in `agentlog.problems()` (said once per model).
    """
    if table is None or not isinstance(model, str) or (input_tokens is None and output_tokens is None):
        return None
    counts = (input_tokens, output_tokens, cache_read, cache_write, reasoning)
    usage = Usage(*(_count(value) for value in counts))
    if usage.cache_read + usage.cache_write > usage.input or usage.reasoning > usage.output:
        _diagnostics.report(
            "llm_result token counts do not add up (cached above input, or reasoning above output); no cost"
        )
        return None
    provider = provider if isinstance(provider, str) else None
    try:
        own = table.price_of(model)
        if own is not None:
            return Price(own.cost(usage), CONFIGURED, table.version)
        price = _bundled_price(model, provider, usage) if table.bundled else None
    except Exception as exc:  # the table's own failure must not fail the call
        _diagnostics.report("price lookup failed", exc)
        return None
    if price is None:
        named = f"model {model[:80]!r}" + (f" of provider {provider[:40]!r}" if provider else "")
        _diagnostics.report(f"no price for {named}; its calls have no cost")
    return price
