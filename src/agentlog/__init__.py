"""agentlog: correlated, structured logs for AI-agent runs.

Configure once, then every line written inside a run — typed events,
structlog loggers, stdlib ``logging`` — carries the run's IDs::

    import agentlog

    agentlog.configure(service="support-agent")
    with agentlog.run(task=task, user_id="u-42") as run:
        with agentlog.step("tool"):
            with agentlog.tool_call("search_docs", args) as call:
                call.result = search_docs(**args)

Each public name lives in the module that does its job and is loaded on
first use, so ``import agentlog`` costs nothing and the ``agentlog`` command
(the run explorer) never loads the logging runtime or structlog.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import events, processors, propagation, testing
    from ._config import configure
    from ._context import RunContext, current
    from ._diagnostics import problems
    from ._pipeline.logger import BoundLogger, get_logger
    from ._pipeline.stdlib import CorrelationFilter, LogHandler
    from ._pricing import ModelPrice, PriceTable
    from ._privacy.capture import CapturePolicy
    from ._privacy.hashing import HASH_KEY_ENV, canonical_json, hash_value
    from ._privacy.redactor import Redactor
    from ._schema import SCHEMA_VERSION, event_schema
    from ._scopes import LLMCall, Run, Step, ToolCall, llm_call, run, step, tool, tool_call

from ._version import __version__

# Public name -> the module that defines it.
_HOMES = {
    "HASH_KEY_ENV": "._privacy.hashing",
    "SCHEMA_VERSION": "._schema",
    "BoundLogger": "._pipeline.logger",
    "CapturePolicy": "._privacy.capture",
    "CorrelationFilter": "._pipeline.stdlib",
    "LLMCall": "._scopes",
    "LogHandler": "._pipeline.stdlib",
    "ModelPrice": "._pricing",
    "PriceTable": "._pricing",
    "Redactor": "._privacy.redactor",
    "Run": "._scopes",
    "RunContext": "._context",
    "Step": "._scopes",
    "ToolCall": "._scopes",
    "canonical_json": "._privacy.hashing",
    "configure": "._config",
    "current": "._context",
    "event_schema": "._schema",
    "events": ".events",
    "get_logger": "._pipeline.logger",
    "hash_value": "._privacy.hashing",
    "llm_call": "._scopes",
    "problems": "._diagnostics",
    "processors": ".processors",
    "propagation": ".propagation",
    "testing": ".testing",
    "run": "._scopes",
    "step": "._scopes",
    "tool": "._scopes",
    "tool_call": "._scopes",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'agentlog' has no attribute {name!r}")
    module = importlib.import_module(home, __name__)
    value = module if home == f".{name}" else getattr(module, name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


__all__ = [
    "HASH_KEY_ENV",
    "SCHEMA_VERSION",
    "BoundLogger",
    "CapturePolicy",
    "CorrelationFilter",
    "LLMCall",
    "LogHandler",
    "ModelPrice",
    "PriceTable",
    "Redactor",
    "Run",
    "RunContext",
    "Step",
    "ToolCall",
    "__version__",
    "canonical_json",
    "configure",
    "current",
    "event_schema",
    "events",
    "get_logger",
    "hash_value",
    "llm_call",
    "problems",
    "processors",
    "propagation",
    "run",
    "step",
    "testing",
    "tool",
    "tool_call",
]
