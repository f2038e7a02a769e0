"""A tool call: ``tool_call`` (arguments as captured) on entry, ``tool_result`` on exit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

from .._context import CURRENT
from .._context.ids import new_tool_call_id
from .._events.accounting import count
from .._events.emit import emit, emit_tool_result
from .._events.openings import open_tool_call
from .._events.payloads import MISSING, capture_payload
from .._events.records import new_tool_call, new_tool_result
from .._genai import TOOL_RESULT
from .._otel import payload_text
from .._settings import CONFIG
from .decorate import Arguments
from .scope import Scope, latency_since

__all__ = ["ToolCall", "tool", "tool_call"]

_F = TypeVar("_F", bound=Callable[..., Any])


class ToolCall(Scope):
    """One tool invocation. Create it with `agentlog.tool_call`.

    Attributes:
        tool: The tool's name.
        tool_call_id: The provider's call ID, or a generated one.
    """

    def __init__(
        self,
        tool: str,
        args: Any = None,
        *,
        tool_call_id: str | None = None,
        capture: str | None = None,
        **fields: Any,
    ) -> None:
        self.tool = tool
        self.args = args
        self.tool_call_id = tool_call_id if tool_call_id is not None else new_tool_call_id()
        self._capture = capture
        self._result: Any = MISSING
        self._fields = fields

    def _for_call(self, arguments: Arguments) -> Scope:
        return ToolCall(self.tool, arguments(), capture=self._capture, **self._fields)

    def _returned(self, value: Any) -> None:
        self.result = value

    @property
    def result(self) -> Any:
        """The tool's result, once set (None before).

        Set it inside the scope; ``tool_result`` records it per the capture
        policy (``result_hash`` and ``result_size`` by default).
        """
        return None if self._result is MISSING else self._result

    @result.setter
    def result(self, value: Any) -> None:
        self._result = value

    def _open(self) -> None:
        settings = CONFIG.settings
        outer = CURRENT.get()
        ctx = None
        args = capture_payload(settings, "args", self.args, self.tool, self._capture)
        if outer is not None:
            ctx, self._span = open_tool_call(
                settings, outer, self.tool, self.tool_call_id, args, self.args, self._capture
            )
        self._activate(ctx)
        emit(
            settings,
            ctx,
            new_tool_call(tool=self.tool, tool_call_id=self.tool_call_id, args=args, fields=self._fields),
        )

    def _close(self, exc: BaseException | None) -> None:
        settings = CONFIG.settings
        ctx = self._ctx
        if (
            exc is None
            and self._failure is None
            and self._result is MISSING
            and self._span is None
            and ctx is not None
            and emit_tool_result(settings, ctx, self.tool, self.tool_call_id, latency_since(self._start_ns))
        ):
            return  # the hot path: a call that returned, with no result to record
        status, error = self._outcome(exc)
        result = None
        if self._result is not MISSING:
            result = capture_payload(settings, "result", self._result, self.tool, self._capture)
        record = new_tool_result(
            tool=self.tool,
            tool_call_id=self.tool_call_id,
            latency_ms=latency_since(self._start_ns),
            status=status,
            error=error,
            result=result,
        )
        count(self._ctx, record, exc)
        emit(settings, self._ctx, record)
        if self._span is not None:
            content = None
            if self._result is not MISSING:
                content = payload_text(
                    settings, "result", self._result, result, tool=self.tool, mode=self._capture
                )
            attributes = {"agentlog.status": status, TOOL_RESULT: content}
            self._span.close(attributes, exc, record.error, status)


def tool_call(
    tool: str,
    args: Any = None,
    *,
    tool_call_id: str | None = None,
    capture: str | None = None,
    **fields: Any,
) -> ToolCall:
    """Open a tool call: ``with agentlog.tool_call("search", args) as call: ...``.

    Writes ``tool_call`` on entry and ``tool_result`` (latency, status,
    error) on exit. The arguments and the result (``call.result = ...``) are
    written per the capture policy: by default only as ``args_hash`` /
    ``result_hash`` and their sizes, never raw.

    Args:
        tool: The tool's name.
        args: The arguments (any value).
        tool_call_id: The LLM provider's call ID; generated when not given.
        capture: A capture mode for this call's arguments and result
            (``hash``, ``redacted``, ``full``, ``none``), overriding the policy.
        fields: Further fields for the ``tool_call`` line.
    """
    return ToolCall(tool, args, tool_call_id=tool_call_id, capture=capture, **fields)


@overload
def tool(fn: _F, /) -> _F: ...


@overload
def tool(*, name: str | None = None, capture: str | None = None) -> Callable[[_F], _F]: ...


def tool(
    fn: _F | None = None, /, *, name: str | None = None, capture: str | None = None
) -> _F | Callable[[_F], _F]:
    """Make a function a tool: each call runs in `agentlog.tool_call`.

    ``@agentlog.tool`` or ``@agentlog.tool(name="search_docs", capture="redacted")``,
    on sync and async functions alike. The tool name is the function's name
    unless given; the call's arguments (by parameter name, defaults filled
    in, ``self`` left out) are the tool's arguments, and its return value the
    result, both recorded per the capture policy.

    Args:
        fn: The function (when used without parentheses).
        name: The tool name.
        capture: A capture mode for this tool's arguments and result.
    """

    def decorate(function: _F) -> _F:
        return ToolCall(name if name is not None else function.__name__, capture=capture)(function)

    return decorate(fn) if fn is not None else decorate
