"""An LLM call: one ``llm_result`` on exit, with the usage the model reported."""

from __future__ import annotations

from typing import Any

from .._context import CURRENT
from .._events.accounting import count, price
from .._events.emit import emit
from .._events.openings import open_llm_call
from .._events.payloads import MISSING, llm_payloads
from .._events.records import new_llm_result
from .._genai import FINISH_REASONS, INPUT_MESSAGES, OUTPUT_MESSAGES, request_attributes, usage_attributes
from .._otel import messages_text
from .._settings import CONFIG
from .._vocabulary import ERROR
from .decorate import Arguments
from .scope import Scope, latency_since

__all__ = ["LLMCall", "llm_call"]


class LLMCall(Scope):
    """One model call. Create it with `agentlog.llm_call`.

    Attributes:
        model: The model name.
        provider: The provider.
        temperature: The request's sampling temperature, when given.
        max_tokens: The request's output token limit, when given.
        top_p: The request's nucleus sampling probability, when given.
        seed: The request's sampling seed, when given.
        input_tokens: Set by `set_usage`.
        output_tokens: Set by `set_usage`.
        cache_read_input_tokens: Set by `set_usage`.
        cache_creation_input_tokens: Set by `set_usage`.
        reasoning_output_tokens: Set by `set_usage`.
        finish_reason: Set by `set_usage`.
        prompt: Set it to the messages sent; recorded per the capture policy.
        completion: Set it to the model's answer; recorded per the capture policy.
    """

    def __init__(
        self,
        model: str,
        provider: str | None = None,
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        top_p: float | None = None,
        seed: int | None = None,
        capture: str | None = None,
        **fields: Any,
    ) -> None:
        self.model = model
        self.provider = provider
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.top_p = top_p
        self.seed = seed
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.cache_read_input_tokens: int | None = None
        self.cache_creation_input_tokens: int | None = None
        self.reasoning_output_tokens: int | None = None
        self.finish_reason: str | None = None
        self.prompt: Any = MISSING
        self.completion: Any = MISSING
        self._capture = capture
        self._fields = fields

    def _for_call(self, arguments: Arguments) -> Scope:
        return LLMCall(
            self.model,
            self.provider,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            top_p=self.top_p,
            seed=self.seed,
            capture=self._capture,
            **self._fields,
        )

    def set_usage(
        self,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        finish_reason: str | None = None,
        *,
        cache_read_input_tokens: int | None = None,
        cache_creation_input_tokens: int | None = None,
        reasoning_output_tokens: int | None = None,
    ) -> None:
        """Record what the model reported; written on ``llm_result``.

        Args:
            input_tokens: Input tokens, cached ones included (as the
                OpenTelemetry GenAI conventions count them).
            output_tokens: Output tokens, reasoning ones included.
            finish_reason: Why the model stopped.
            cache_read_input_tokens: Of the input tokens, those read from
                the provider's cache.
            cache_creation_input_tokens: Of the input tokens, those written
                to the provider's cache.
            reasoning_output_tokens: Of the output tokens, those spent on
                reasoning.
        """
        if input_tokens is not None:
            self.input_tokens = input_tokens
        if output_tokens is not None:
            self.output_tokens = output_tokens
        if cache_read_input_tokens is not None:
            self.cache_read_input_tokens = cache_read_input_tokens
        if cache_creation_input_tokens is not None:
            self.cache_creation_input_tokens = cache_creation_input_tokens
        if reasoning_output_tokens is not None:
            self.reasoning_output_tokens = reasoning_output_tokens
        if finish_reason is not None:
            self.finish_reason = finish_reason

    def _open(self) -> None:
        settings = CONFIG.settings
        outer = CURRENT.get()
        ctx = None
        if outer is not None:
            ctx, self._span = open_llm_call(settings, outer, self.model, self.provider)
        self._activate(ctx)

    def _close(self, exc: BaseException | None) -> None:
        settings = CONFIG.settings
        status, error = self._outcome(exc)
        payloads = llm_payloads(settings, self.prompt, self.completion, self._capture)
        record = new_llm_result(
            model=self.model,
            provider=self.provider,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            top_p=self.top_p,
            seed=self.seed,
            cache_read_input_tokens=self.cache_read_input_tokens,
            cache_creation_input_tokens=self.cache_creation_input_tokens,
            reasoning_output_tokens=self.reasoning_output_tokens,
            latency_ms=latency_since(self._start_ns),
            status=status,
            finish_reason=self.finish_reason,
            error=error,
            payloads=payloads,
            fields=self._fields,
        )
        price(settings, record)
        count(self._ctx, record, exc)
        emit(settings, self._ctx, record)
        if self._span is not None:
            failed = status == ERROR
            self._span.close(
                {
                    "agentlog.status": status,
                    **request_attributes(record),
                    **usage_attributes(record),
                    FINISH_REASONS: [self.finish_reason] if self.finish_reason else None,
                    INPUT_MESSAGES: None
                    if self.prompt is MISSING
                    else messages_text(settings, self.prompt, self._capture, output=False),
                    OUTPUT_MESSAGES: None
                    if self.completion is MISSING
                    else messages_text(
                        settings,
                        self.completion,
                        self._capture,
                        output=True,
                        finish_reason=self.finish_reason,
                        failed=failed,
                    ),
                },
                exc,
                record.error,
                status,
            )


def llm_call(
    model: str,
    provider: str | None = None,
    *,
    temperature: float | None = None,
    max_tokens: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    capture: str | None = None,
    **fields: Any,
) -> LLMCall:
    """Open an LLM call: ``with agentlog.llm_call("gpt-4o", provider="openai") as llm: ...``.

    Writes ``llm_result`` on exit, with the usage given to
    `LLMCall.set_usage`, the latency, the status and the call's cost (when
    its model has a price, see ``configure(prices=...)``); ``llm.prompt``
    and ``llm.completion``, when set, are written per the capture policy.

    Args:
        model: The model name.
        provider: The provider (``openai``, ``anthropic`` …).
        temperature: The sampling temperature the request asks for.
        max_tokens: The most output tokens the request allows.
        top_p: The nucleus sampling probability the request asks for.
        seed: The sampling seed the request gives.
        capture: A capture mode for the prompt and completion, overriding the policy.
        fields: Further fields for the ``llm_result`` line.
    """
    return LLMCall(
        model,
        provider,
        temperature=temperature,
        max_tokens=max_tokens,
        top_p=top_p,
        seed=seed,
        capture=capture,
        **fields,
    )
