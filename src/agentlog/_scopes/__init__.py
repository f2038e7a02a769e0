"""Scopes: with-blocks (and decorators) for a run, its steps, tool calls and LLM calls.

``scope`` is what every scope does on entry and exit; ``decorate`` makes a
scope a decorator; ``run``, ``step``, ``tool_call`` and ``llm_call`` each open
one kind of scope and write its events.
"""

from .llm_call import LLMCall, llm_call
from .run import Run, run
from .step import Step, step
from .tool_call import ToolCall, tool, tool_call

__all__ = ["LLMCall", "Run", "Step", "ToolCall", "llm_call", "run", "step", "tool", "tool_call"]
