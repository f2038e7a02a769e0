"""LlamaIndex with agentlog: one ``instrument()`` call, and each workflow agent run is an agentlog run.

Run it: ``python examples/framework_llama_index.py`` — it prints JSON lines to stdout.
Offline: the LLM is a scripted ``FunctionCallingLLM`` that calls two tools
(one of which fails) and then answers, reporting its token usage the way
provider integrations do (``raw["usage"]``).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.llms import ChatMessage, ChatResponse, CompletionResponse, LLMMetadata
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.tools import FunctionTool, ToolSelection
from pydantic import PrivateAttr

import agentlog
from agentlog.integrations.llama_index import instrument


def get_order(order_id: str) -> str:
    """Look up an order."""
    agentlog.get_logger("tools").info("order found")  # carries run_id, step_id, tool_call_id
    return "shipped"


def refund(order_id: str) -> str:
    """Refund an order."""
    raise PermissionError("refunds need a supervisor")


class ScriptedLLM(FunctionCallingLLM):
    """Stands in for an LLM: two tool calls, then the final answer."""

    _turn: int = PrivateAttr(default=0)

    @property
    def metadata(self) -> LLMMetadata:
        """A function-calling chat model."""
        return LLMMetadata(model_name="scripted-gpt", is_function_calling_model=True, is_chat_model=True)

    def _answer(self) -> ChatResponse:
        self._turn += 1
        usage = {"usage": {"prompt_tokens": 420, "completion_tokens": 31}}
        if self._turn > 1:
            return ChatResponse(
                message=ChatMessage(role="assistant", content="Shipped; refund needs a supervisor."),
                raw=usage,
            )
        calls = [
            ToolSelection(tool_id=f"call_{name}", tool_name=name, tool_kwargs={"order_id": "A17"})
            for name in ("get_order", "refund")
        ]
        return ChatResponse(
            message=ChatMessage(role="assistant", additional_kwargs={"tool_calls": calls}), raw=usage
        )

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """The next scripted answer."""
        return self._answer()

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """The next scripted answer."""
        return self._answer()

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> Any:
        """The next scripted answer, as a one-chunk stream."""
        return iter([self._answer()])

    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> Any:
        """The next scripted answer, as a one-chunk stream."""
        answer = self._answer()

        async def stream() -> AsyncIterator[ChatResponse]:
            yield answer

        return stream()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Unused by the agent."""
        return CompletionResponse(text="")

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        """Unused by the agent."""
        return iter([CompletionResponse(text="")])

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Unused by the agent."""
        return CompletionResponse(text="")

    @llm_completion_callback()
    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        """Unused by the agent."""
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
        """The tool calls of a scripted answer."""
        return list(response.message.additional_kwargs.get("tool_calls", []))


async def main() -> None:
    agentlog.configure(service="orders-agent", output=sys.stdout)
    instrument()  # the one line: every LlamaIndex workflow agent run from now on is recorded
    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(get_order), FunctionTool.from_defaults(refund)],
        llm=ScriptedLLM(),
        name="orders",
    )
    await agent.run(user_msg="Where is order A17, and refund it")


if __name__ == "__main__":
    asyncio.run(main())
