"""Scopes: with-blocks (and decorators) for a run, its steps, tool calls and LLM calls.

``scope`` is what every scope does on entry and exit; ``decorate`` makes a
scope a decorator; ``runs``, ``steps``, ``tool_calls`` and ``llm_calls`` each
define one kind of scope, the events it writes, and the function that opens
it.
"""

from .llm_calls import LLMCall, llm_call
from .runs import Run, run
from .steps import Step, step
from .tool_calls import ToolCall, tool, tool_call

__all__ = ["LLMCall", "Run", "Step", "ToolCall", "llm_call", "run", "step", "tool", "tool_call"]
