"""The IDs in force: span references, the per-scope context, the per-run state.

``ids`` makes them, ``span`` names a parent, ``run_state`` accumulates a run's
totals, and ``run_context`` holds the immutable context of each scope in one
ContextVar.
"""

from .run_context import CURRENT, LineIds, RunContext, current, get_context
from .run_state import NO_TOTALS, RunState
from .span import SpanRef

__all__ = ["CURRENT", "NO_TOTALS", "LineIds", "RunContext", "RunState", "SpanRef", "current", "get_context"]
