"""Rebuilding one run as a tree of spans, child runs included, and finding where it failed."""

from __future__ import annotations

from typing import Any

import orjson

from agentlog._explorer.tree import (
    Node,
    bounded,
    build_tree,
    descendants,
    first_failure,
    run_metadata,
    trace_lines,
    walk,
)

RUN = "aaaaaaaa-0000-4000-8000-000000000001"
CHILD = "bbbbbbbb-0000-4000-8000-000000000002"
GRANDCHILD = "cccccccc-0000-4000-8000-000000000003"
OTHER = "dddddddd-0000-4000-8000-000000000004"


def _line(event: str, second: float, run_id: str = RUN, **fields: Any) -> dict[str, Any]:
    stamp = f"2026-11-22T03:00:{second:09.6f}Z"
    return {"timestamp": stamp, "level": "info", "event": event, "run_id": run_id, "trace_id": "t1", **fields}


def _run(
    run_id: str = RUN, span: str = "r0", start: float = 0, end: float = 9, **fields: Any
) -> list[dict[str, Any]]:
    """A run's first and last lines."""
    return [
        _line("run_started", start, run_id, span_id=span, **fields),
        _line("run_finished", end, run_id, span_id=span, status="ok", stop_reason="completed"),
    ]


def _step(
    span: str, start: float, end: float, parent: str = "r0", status: str = "ok", **fields: Any
) -> list[dict[str, Any]]:
    return [
        _line(
            "agent_step", start, span_id=span, parent_span_id=parent, step_id=1, step_type="tool", **fields
        ),
        _line(
            "step_finished",
            end,
            span_id=span,
            parent_span_id=parent,
            status=status,
            latency_ms=round((end - start) * 1000, 3),
        ),
    ]


def _tool(
    span: str,
    start: float,
    end: float,
    parent: str = "s1",
    status: str = "ok",
    run_id: str = RUN,
    **fields: Any,
) -> list[dict[str, Any]]:
    common = {"span_id": span, "parent_span_id": parent, "tool": "search", "tool_call_id": f"call-{span}"}
    return [
        _line("tool_call", start, run_id, **common),
        _line(
            "tool_result",
            end,
            run_id,
            **common,
            status=status,
            latency_ms=round((end - start) * 1000, 3),
            **fields,
        ),
    ]


def _kinds(node: Node) -> list[Any]:
    """The tree's shape: each child's kind and name, and its own children, depth first."""
    return [(child.kind, child.name, _kinds(child)) for child in node.children]


def test_a_run_with_a_step_and_a_tool_call() -> None:
    """Run, step and tool nest by span ID; each span is closed by its last line."""
    tree = build_tree(_run() + _step("s1", 1, 3) + _tool("t1", 1.5, 2.5), RUN)
    assert tree.root.kind == "run" and tree.root.run_id == RUN
    assert _kinds(tree.root) == [("step", "tool", [("tool", "search", [])])]
    tool = tree.root.children[0].children[0]
    assert (tool.status, tool.latency_ms, tool.line["tool_call_id"]) == ("ok", 1000.0, "call-t1")
    assert tool.end is not None and tool.start is not None and tool.end - tool.start == 1.0
    assert (tree.status, tree.stop_reason, tree.failure) == ("ok", "completed", None)


def test_lines_are_placed_by_time_not_by_file_order() -> None:
    """Lines given out of order (files read in any order) still build the same tree."""
    lines = _run() + _step("s1", 1, 3) + _tool("t1", 1.5, 2.5)
    assert _kinds(build_tree(list(reversed(lines)), RUN).root) == _kinds(build_tree(lines, RUN).root)


def test_parallel_tool_calls_each_close_their_own_span() -> None:
    """Two overlapping calls in one step, finishing in reverse order, keep their own results."""
    lines = _run() + _step("s1", 1, 5) + _tool("t1", 2, 4) + _tool("t2", 2.1, 3, status="error")
    step = build_tree(lines, RUN).root.children[0]
    assert [(tool.span_id, tool.status, tool.latency_ms) for tool in step.children] == [
        ("t1", "ok", 2000.0),
        ("t2", "error", 900.0),
    ]


def test_child_runs_hang_under_the_span_that_started_them() -> None:
    """A child run (and its child) started inside a step appear under that step, at any depth."""
    lines = (
        _run()
        + _step("s1", 1, 8)
        + _run(CHILD, "c0", 2, 7, parent_run_id=RUN, parent_span_id="s1")
        + _run(GRANDCHILD, "g0", 3, 6, parent_run_id=CHILD, parent_span_id="c0")
    )
    tree = build_tree(lines, RUN)
    assert _kinds(tree.root) == [("step", "tool", [("run", CHILD, [("run", GRANDCHILD, [])])])]
    assert [run.run_id for run in tree.runs] == [RUN, CHILD, GRANDCHILD]


def test_a_tool_result_without_its_tool_call_is_a_span_of_its_own() -> None:
    """A lone tool_result (its tool_call line lost) becomes a closed tool span under its step."""
    lone = _line(
        "tool_result",
        2,
        span_id="t9",
        parent_span_id="s1",
        tool="fetch",
        status="error",
        latency_ms=250,
        error_class="TimeoutError",
        error_message="slow",
    )
    tree = build_tree(_run() + _step("s1", 1, 3) + [lone], RUN)
    [tool] = tree.root.children[0].children
    assert (tool.kind, tool.name, tool.status, tool.latency_ms) == ("tool", "fetch", "error", 250.0)
    assert (tool.error_class, tool.error_message) == ("TimeoutError", "slow")
    assert tool.end is not None


def test_an_llm_call_is_one_line_that_started_its_latency_earlier() -> None:
    """llm_result opens and closes its span; the span starts latency_ms before the line."""
    llm = _line(
        "llm_result",
        3,
        span_id="l1",
        parent_span_id="s1",
        model="gpt",
        provider="openai",
        latency_ms=500,
        status="ok",
    )
    [node] = build_tree(_run() + _step("s1", 1, 4) + [llm], RUN).root.children[0].children
    assert (node.kind, node.name, node.status) == ("llm", "gpt (openai)", "ok")
    assert node.start is not None and node.end is not None and node.end - node.start == 0.5


def test_a_line_whose_span_is_missing_hangs_under_its_run() -> None:
    """An orphan line (its span not among the lines) is placed under its own run, not lost."""
    orphan = _line("hello", 2, CHILD, span_id="nowhere")
    lines = _run() + _step("s1", 1, 8) + _run(CHILD, "c0", 2, 7, parent_run_id=RUN, parent_span_id="s1")
    child_run = build_tree([*lines, orphan], RUN).root.children[0].children[0]
    assert [(node.kind, node.name) for node in child_run.children] == [("log", "hello")]


def test_a_line_in_an_http_client_span_hangs_under_the_span_that_made_the_request() -> None:
    """An HTTP library's line carries its request's own span ID, and the scope's as parent: placed there."""
    request_line = _line("HTTP Request: GET http://10.0.0.7/", 2, span_id="http1", parent_span_id="s1")
    lines = _run() + _step("s1", 1, 3)
    assert _kinds(build_tree([*lines, request_line], RUN).root) == [
        ("step", "tool", [("log", "HTTP Request: GET http://10.0.0.7/", [])])
    ]


def test_a_line_of_a_run_without_run_started_hangs_under_the_root() -> None:
    """When a run's own span is missing too, its lines go under the root run."""
    # The child's typed lines (a tool call) still name its parent run; its run_started is lost.
    call = _line("tool_call", 2, CHILD, span_id="c1", tool="search", parent_run_id=RUN)
    lost = _line("hello", 3, CHILD, parent_run_id=RUN)
    tree = build_tree([*_run(), call, lost], RUN)
    assert [(node.kind, node.run_id) for node in tree.root.children] == [("tool", CHILD), ("log", CHILD)]


def test_a_run_with_no_lines_of_its_own_gets_a_placeholder_root() -> None:
    """Asking for a run that has no run_started line gives an empty run node, not an error."""
    tree = build_tree(_run(OTHER), RUN)
    assert (tree.root.kind, tree.root.run_id, tree.root.children) == ("run", RUN, [])
    assert (tree.status, tree.stop_reason, tree.runs) == (None, None, [])


def test_decisions_and_log_lines_are_leaves_of_their_span() -> None:
    """A decision and a plain log line sit under the span they were written in."""
    lines = (
        _run()
        + _step("s1", 1, 3)
        + [
            _line("decision", 2, span_id="s1", kind="route", outcome="billing"),
            _line("thinking", 2.5, span_id="s1"),
        ]
    )
    assert _kinds(build_tree(lines, RUN).root) == [
        ("step", "tool", [("decision", "decision", []), ("log", "thinking", [])])
    ]


def test_the_failure_is_the_innermost_failed_span() -> None:
    """A failed step whose tool failed: the tool is where it failed, the only node marked."""
    lines = _run() + _step("s1", 1, 3, status="error") + _tool("t1", 1.5, 2, status="error", error_class="E")
    tree = build_tree(lines, RUN)
    assert tree.failure is not None and tree.failure.span_id == "t1"
    assert [node.span_id for node in _walk(tree.root) if node.failed_here] == ["t1"]


def test_the_failure_is_the_earliest_ending_one_across_child_runs() -> None:
    """Of two failed leaves, the one that ended first, even inside a child run."""
    lines = (
        _run()
        + _step("s1", 1, 8, status="error")
        + _tool("t1", 2, 6, status="error")
        + _run(CHILD, "c0", 2, 7, parent_run_id=RUN, parent_span_id="s1")
        + _tool("t2", 3, 4, parent="c0", status="error", run_id=CHILD)
    )
    failure = build_tree(lines, RUN).failure
    assert failure is not None and (failure.span_id, failure.run_id) == ("t2", CHILD)


def test_a_failed_step_is_not_the_failure_when_a_span_inside_it_failed() -> None:
    """Even if the step seems to end first (a child run on a host with a skewed clock), inner wins."""
    lines = (
        _run()
        + _step("s1", 1, 3, status="error")
        + _run(CHILD, "c0", 4, 9, parent_run_id=RUN, parent_span_id="s1")
        + _tool("t2", 4, 5, parent="c0", status="error", run_id=CHILD)
    )
    failure = build_tree(lines, RUN).failure
    assert failure is not None and failure.span_id == "t2"


def test_first_failure_is_none_when_nothing_failed() -> None:
    """An ok run, or only a failed log line (not a span), has no failure."""
    lines = _run() + _step("s1", 1, 3) + [_line("oops", 2, span_id="s1", status="error")]
    assert first_failure(build_tree(lines, RUN).root) is None


def test_as_dict_names_the_failure() -> None:
    """The JSON view has the failing tool, its call ID, step and error."""
    lines = (
        _run()
        + _step("s1", 1, 3, status="error")
        + _tool("t1", 1.5, 2, status="error", step_id=1, error_class="E", error_message="m")
    )
    view = build_tree(lines, RUN).as_dict()
    assert view["run_id"] == RUN
    failure = view["failure"]
    assert (failure["kind"], failure["tool"], failure["tool_call_id"], failure["step_id"]) == (
        "tool",
        "search",
        "call-t1",
        1,
    )
    assert (failure["error_class"], failure["error_message"]) == ("E", "m")
    assert [(node["index"], node["parent"], node["depth"], node["kind"]) for node in view["nodes"]] == [
        (0, None, 0, "run"),
        (1, 0, 1, "step"),
        (2, 1, 2, "tool"),
    ]


def _started(run_id: str, **fields: Any) -> dict[str, Any]:
    """A ``run_started`` line with every field agentlog's writer puts on one."""
    return _line("run_started", 0, run_id, task_hash="sha256:0", request_id=None, session_id=None, **fields)


def test_descendants_finds_child_runs_at_any_depth() -> None:
    """The root and its children's children, but not unrelated runs; a cycle does not loop."""
    lines = [
        _started(CHILD, parent_run_id=RUN),
        _started(GRANDCHILD, parent_run_id=CHILD),
        _started(OTHER),
        _started(RUN, parent_run_id=GRANDCHILD),
    ]
    assert descendants(lines, RUN) == {RUN, CHILD, GRANDCHILD}
    assert descendants(lines, OTHER) == {OTHER}


def test_descendants_ignores_parent_run_id_on_a_plain_log_line() -> None:
    """A log line whose caller passed a parent_run_id field does not make its run a child of that one."""
    lines = [_started(RUN), _started(OTHER), _line("user message", 1, OTHER, parent_run_id=RUN)]
    assert descendants(lines, RUN) == {RUN}


def test_descendants_ignores_a_free_form_line_named_like_a_typed_event() -> None:
    """A line marked free_form (a log message "run_started") defines no parentage either."""
    spoof = {**_started(OTHER, parent_run_id=RUN), "free_form": True}
    assert descendants([_started(RUN), _started(OTHER), spoof], RUN) == {RUN}


def test_a_spoofed_parent_run_id_does_not_pull_another_run_into_the_tree() -> None:
    """build_tree leaves out a run that only a plain log line claims as a child."""
    lines = _run() + _run(OTHER, "o0", 1, 2) + [_line("user message", 1.5, OTHER, parent_run_id=RUN)]
    tree = build_tree(lines, RUN)
    assert {node.run_id for node, _, _ in walk(tree.root)} == {RUN}
    assert [run.run_id for run in tree.runs] == [RUN]


def test_trace_lines_keeps_the_runs_trace() -> None:
    """Lines on the run's trace, and the run's own, are kept; another trace's lines are not."""
    lines = [
        _line("a", 0, RUN),
        _line("b", 0, CHILD),
        {**_line("c", 0, OTHER), "trace_id": "t2"},
        {**_line("d", 0, RUN), "trace_id": "t9"},
    ]
    assert [line["event"] for line in trace_lines(lines, RUN)] == ["a", "b", "d"]


def _walk(node: Node) -> list[Node]:
    return [node, *(found for child in node.children for found in _walk(child))]


def test_an_llm_result_never_closes_an_earlier_span() -> None:
    """Two llm_result lines with one span ID (a file given twice) are two LLM spans, not one closed twice."""
    llm = _line("llm_result", 2, span_id="l1", parent_span_id="s1", model="gpt", latency_ms=100, status="ok")
    step = build_tree([*_run(), *_step("s1", 1, 3), llm, dict(llm)], RUN).root.children[0]
    assert [(node.kind, node.span_id) for node in step.children] == [("llm", "l1"), ("llm", "l1")]


def _chain(depth: int) -> tuple[list[dict[str, Any]], list[str]]:
    """Runs each started from a step of the one before, *depth* deep; the deepest one's tool fails."""
    ids = [f"{index:08x}-0000-4000-8000-000000000000" for index in range(depth)]
    lines: list[dict[str, Any]] = []
    for index, run_id in enumerate(ids):
        parent = {"parent_run_id": ids[index - 1], "parent_span_id": f"s{index - 1}"} if index else {}
        start, end = index * 0.001, 100 - index * 0.001
        lines += [
            _line("run_started", start, run_id, span_id=f"r{index}", **parent),
            _line("agent_step", start, run_id, span_id=f"s{index}", parent_span_id=f"r{index}", step_id=1),
            _line("step_finished", end, run_id, span_id=f"s{index}", parent_span_id=f"r{index}", status="ok"),
            _line("run_finished", end, run_id, span_id=f"r{index}", status="ok", stop_reason="completed"),
        ]
    lines += _tool("deep", 50, 51, parent=f"s{depth - 1}", status="error", run_id=ids[-1], error_class="E")
    return lines, ids


def test_a_chain_of_2000_child_runs_is_built_without_recursion() -> None:
    """Child runs 2000 deep: the tree is 4001 spans deep, and the failure at the bottom is found."""
    lines, ids = _chain(2000)
    tree = build_tree(lines, ids[0])
    assert max(depth for _, depth, _ in walk(tree.root)) == 4000
    assert tree.failure is not None and (tree.failure.span_id, tree.failure.run_id) == ("deep", ids[-1])
    assert len(tree.runs) == 2000


def test_the_json_view_of_a_deep_tree_is_flat_and_encodes() -> None:
    """The nodes of a 4000-deep tree are listed flat, so the JSON encoder's nesting limit is never met."""
    lines, ids = _chain(2000)
    view = orjson.loads(orjson.dumps(build_tree(lines, ids[0]).as_dict()))
    deepest = view["nodes"][-1]
    assert (deepest["depth"], deepest["span_id"], deepest["failed_here"]) == (4000, "deep", True)
    assert view["nodes"][deepest["parent"]]["span_id"] == "s1999"


def test_walk_gives_depth_and_parent_in_tree_order() -> None:
    """`walk` yields each node once, parents before children, children in time order."""
    tree = build_tree(_run() + _step("s1", 1, 3) + _tool("t1", 1.5, 2) + _tool("t2", 2, 2.5), RUN)
    assert [
        (node.span_id, depth, parent.span_id if parent else None) for node, depth, parent in walk(tree.root)
    ] == [
        ("r0", 0, None),
        ("s1", 1, "r0"),
        ("t1", 2, "s1"),
        ("t2", 2, "s1"),
    ]


def test_spans_that_name_each_other_as_parents_are_still_in_the_tree() -> None:
    """A cycle of parent span IDs (a hostile file) is cut under the root: no span is lost, no loop."""
    lines = [
        *_run(),
        _line("agent_step", 1, span_id="a", parent_span_id="b", step_id=1, step_type="x"),
        _line("agent_step", 2, span_id="b", parent_span_id="a", step_id=2, step_type="y"),
    ]
    tree = build_tree(lines, RUN)
    assert [(node.span_id, depth) for node, depth, _ in walk(tree.root)] == [("r0", 0), ("a", 1), ("b", 2)]


def test_the_failure_view_carries_the_stack_as_written() -> None:
    """The failing call's error_stack (already redacted by the writer) is in the failure's JSON view."""
    stack = 'Traceback (most recent call last):\n  File "x.py", line 1\nE: [REDACTED]\n'
    lines = (
        _run() + _step("s1", 1, 3, status="error") + _tool("t1", 1.5, 2, status="error", error_stack=stack)
    )
    tree = build_tree(lines, RUN)
    assert tree.failure is not None and tree.failure.error_stack == stack
    assert tree.as_dict()["failure"]["error_stack"] == stack


def test_run_metadata_is_the_run_started_fields_agentlog_did_not_write() -> None:
    """Metadata written top-level and the clashing ones kept under `metadata`, merged; IDs left out."""
    line = _line(
        "run_started",
        0,
        span_id="r0",
        user_id="u",
        session_id="s",
        request_id=None,
        task_hash=None,
        prompt_version="v7",
        metadata={"service": "billing"},
    )
    assert run_metadata(line) == {"prompt_version": "v7", "service": "billing"}
    assert build_tree([line], RUN).metadata == {"prompt_version": "v7", "service": "billing"}


def test_bounded_cuts_values_nested_deeper_than_the_limit() -> None:
    """A value nested 300 levels deep keeps its first levels and a marker, so it can be encoded."""
    deep: Any = "bottom"
    for _ in range(300):
        deep = [deep]
    kept = bounded({"value": deep}, depth=3)
    assert kept == {"value": [["…(list nested too deep)"]]}
    orjson.dumps(bounded(deep))


def test_ids_of_the_wrong_type_are_ignored_not_fatal() -> None:
    """A line whose run, span or parent ID is a list or an object (a hostile file) is left out or placed."""
    odd = [
        {**_line("hello", 1), "run_id": ["x"]},
        {**_line("hello", 1), "span_id": {"a": 1}, "parent_span_id": [1]},
        {**_line("tool_call", 2), "span_id": ["t"], "parent_span_id": {"s": 1}, "tool": "x"},
    ]
    tree = build_tree([*_run(), *odd], RUN)
    assert [(node.kind, node.span_id) for node, _, _ in walk(tree.root)] == [
        ("run", "r0"),
        ("log", None),
        ("tool", None),
    ]


def test_the_json_view_of_an_unfinished_run_says_unfinished() -> None:
    """A killed run (no run_finished) has outcome `unfinished` and the ≥ duration its lines cover."""
    lines = [_run()[0], *_step("s1", 1, 8)[:1], *_tool("t1", 2, 3)[:1]]
    view = build_tree(lines, RUN).as_dict()
    assert (view["status"], view["stop_reason"]) == (None, None)
    assert (view["outcome"], view["unfinished"], view["duration_ms"]) == ("unfinished", True, 2000.0)


def test_the_json_view_of_a_finished_run_gives_its_outcome() -> None:
    """A finished run's outcome is its status, and its duration the latency it reported."""
    lines = [*_run()[:1], {**_run()[1], "total_latency_ms": 9000}]
    view = build_tree(lines, RUN).as_dict()
    assert (view["outcome"], view["unfinished"], view["duration_ms"]) == ("ok", False, 9000.0)
