"""agentlog: correlated, structured logs for AI-agent runs.

Configure once, then every line written inside a run — typed events,
structlog loggers, stdlib ``logging`` — carries the run's IDs::

    import agentlog

    agentlog.configure(service="support-agent")
    with agentlog.run(task=task, user_id="u-42") as run:
        with agentlog.step("tool"):
            with agentlog.tool_call("search_docs", args) as call:
                call.result = search_docs(**args)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import events, propagation
from ._capture import CapturePolicy
from ._context import RunContext, current
from ._diagnostics import problems
from ._hashing import HASH_KEY_ENV, hash_value
from ._redact import Redactor
from ._schema import SCHEMA_VERSION, event_schema
from ._scopes import LLMCall, Run, Step, ToolCall, llm_call, run, step, tool, tool_call
from ._serialize import canonical_json
from ._stdlib import CorrelationFilter, LogHandler

if TYPE_CHECKING:
    from . import processors
    from ._config import configure
    from ._logger import BoundLogger, get_logger

__version__ = "0.1.0"

# These pull in structlog (about 0.1 s); they load on first use, so that the
# `agentlog` command, which never needs them, starts fast.
_LAZY = {
    "configure": "._config",
    "BoundLogger": "._logger",
    "get_logger": "._logger",
    "processors": ".processors",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'agentlog' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(module_name, __name__)
    value = module if module_name == f".{name}" else getattr(module, name)
    globals()[name] = value
    return value


__all__ = [
    "HASH_KEY_ENV",
    "SCHEMA_VERSION",
    "BoundLogger",
    "CapturePolicy",
    "CorrelationFilter",
    "LLMCall",
    "LogHandler",
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
    "tool",
    "tool_call",
]
