"""LlamaIndex: a FunctionAgent run timed alone and with ``agentlog.integrations.llama_index``.

The offline LLM is a scripted ``FunctionCallingLLM`` (no streaming, so each
model call is one ``achat``); the tool returns a constant. Two runs:

* *tool calls*: the model's first turn asks for ``CALLS`` calls of the
  constant tool (LlamaIndex runs them as ``CALLS`` ``call_tool`` steps), the
  second answers; per tool call: the run's time / ``CALLS``;
* *model calls*: the model's first turn calls a ``drive`` tool that makes
  ``CALLS`` ``llm.achat(messages)`` calls (the agent's own entry point, with a
  system prompt and a task), the second answers; per model call: the run's
  time / ``CALLS``.

Either way the run's own cost (two model calls, ``run_started`` …
``run_finished``, the event loop) is spread over the ``CALLS`` operations.
Rounds alternate the framework alone and adapted: the first run of a round
calls ``uninstrument()`` or ``instrument()``, the others find it done.
agentlog writes to ``os.devnull`` with the default capture policy.
"""

from __future__ import annotations

import asyncio
import os
import warnings
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.llms import ChatMessage, ChatResponse, CompletionResponse, LLMMetadata
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.tools import FunctionTool, ToolSelection
from pydantic import PrivateAttr

import agentlog
from agentlog.integrations import llama_index as adapter
from benchmarks.adapters.timing import interleaved, overhead, preceded

FRAMEWORK = "LlamaIndex"
CALLS = 20
REPEAT = 10
USAGE = {"usage": {"prompt_tokens": 100, "completion_tokens": 10}}


class _Scripted(FunctionCallingLLM):
    """First turn: the scripted tool calls; later turns: a short answer."""

    _first: list[ToolSelection] = PrivateAttr(default_factory=list)
    _turn: int = PrivateAttr(default=0)

    def __init__(self, first: list[ToolSelection]) -> None:
        super().__init__()
        self._first = first

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="bench-model", is_function_calling_model=True, is_chat_model=True)

    def _answer(self) -> ChatResponse:
        self._turn += 1
        if self._turn == 1:
            message = ChatMessage(role="assistant", additional_kwargs={"tool_calls": self._first})
        else:
            message = ChatMessage(role="assistant", content="done")
        return ChatResponse(message=message, raw=USAGE)

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._answer()

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._answer()

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> Any:
        return iter([self._answer()])

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> Any:
        answer = self._answer()

        async def stream() -> AsyncIterator[ChatResponse]:
            yield answer

        return stream()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="")

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        return iter([CompletionResponse(text="")])

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="")

    @llm_completion_callback()
    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        raise NotImplementedError

    def _prepare_chat_with_tools(
        self,
        tools: Any,
        user_msg: Any = None,
        chat_history: Any = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        return {"messages": list(chat_history or [])}

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        return list(response.message.additional_kwargs.get("tool_calls", []))


async def constant() -> str:
    """Return a constant."""
    return "ok"


def _tool_calls() -> Callable[[], None]:
    calls = [ToolSelection(tool_id=f"call_{i}", tool_name="constant", tool_kwargs={}) for i in range(CALLS)]

    def run() -> None:
        agent = FunctionAgent(
            tools=[FunctionTool.from_defaults(constant)],
            llm=_Scripted(calls),
            streaming=False,
            max_iterations=CALLS + 5,
        )
        asyncio.run(_run(agent))

    return run


def _model_calls() -> Callable[[], None]:
    messages = [
        ChatMessage(role="system", content="You are a helpful agent. " * 40),
        ChatMessage(role="user", content="bench"),
    ]

    def run() -> None:
        llm = _Scripted([ToolSelection(tool_id="call_drive", tool_name="drive", tool_kwargs={})])

        async def drive() -> str:
            """Make the timed model calls."""
            for _ in range(CALLS):
                await llm.achat(messages)
            return "driven"

        agent = FunctionAgent(tools=[FunctionTool.from_defaults(drive)], llm=llm, streaming=False)
        asyncio.run(_run(agent))

    return run


async def _run(agent: FunctionAgent) -> None:
    await agent.run(user_msg="bench")


def measure(rounds: int) -> dict[str, float]:
    """Median cost per tool call and per model call alone, and the adapter's extra, in µs."""
    agentlog.configure(service="bench", output=os.devnull)
    figures: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # LlamaIndex's own pydantic deprecations
        try:
            for name, target in (("tool_call", _tool_calls()), ("llm_call", _model_calls())):
                target()  # warm up
                alone, adapted = interleaved(
                    preceded(adapter.uninstrument, target),
                    preceded(adapter.instrument, target),
                    rounds=rounds,
                    repeat=REPEAT,
                )
                figures.update(overhead(name, alone, adapted, CALLS))
        finally:
            adapter.uninstrument()
    return figures
