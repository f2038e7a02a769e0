"""What ``stats --by``, ``slo`` and ``compare`` know of each run: one `RunFacts` per run.

A run's place in a group and its figures, read from its typed lines:
``run_started`` (who, which service, its metadata such as ``prompt_version``),
``run_finished`` (how it ended, its latency and totals), and its calls
(``tool_call``/``tool_result`` per tool, ``llm_result`` per model with the
cost each line carries).

Costs are the run's *own*: the sum of the ``cost_usd`` of its own
``llm_result`` lines, never its children's, so that adding runs up (per user,
per version) counts every call once. `RunFacts.total_cost_usd` is filled in by
the builder with the run's children rolled up, for the views of one run.

A child run (a sub-agent) is usually started without the metadata of its
parent, though it does the parent's work: for a metadata key, a run without
a value of its own takes that of its nearest ancestor that has one
(`RunFacts.meta_value`, `Lineage`), so that ``--by prompt_version`` puts a
sub-agent, and what it spent, with the version that called it.

The builder (`FactsBuilder`, `facts_of_files`) reads a log once. The run
itself (who, when, how it ended, the counts an unfinished run's lines prove)
is `runs.RunBuilder`'s, so only agentlog's own typed lines define it; the
call figures are counted from the call lines: ``tool_result`` per tool,
``llm_result`` per model (with its ``cost_usd``, summed as exact decimals of
the numbers written), and ``tool_call`` for repeated calls. A line marked
free-form counts toward nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from agentlog._vocabulary import (
    COST_USD,
    ERROR,
    EVENT,
    FREE_FORM,
    LLM_RESULT,
    RUN_FINISHED,
    RUN_ID,
    RUN_STARTED,
    SESSION_ID,
    TOOL_CALL,
    TOOL_RESULT,
    USER_ID,
)

from .filters import RunFilter, meta_text
from .reader import Counts, map_parts
from .runs import PROOF_EVENTS, RUN_EVENTS, RunBuilder, RunSummary, build_runs
from .typed import has_typed_shape
from .values import cost_of, count

__all__ = [
    "COMPLETED",
    "DIMENSIONS",
    "FACTS_EVENTS",
    "CallFacts",
    "FactsBuilder",
    "Lineage",
    "RunFacts",
    "facts_of_files",
    "facts_of_lines",
    "select_facts",
]

COMPLETED = "completed"
"""The stop reason of a run that did its task: the numerator of the completion rate."""
DIMENSIONS = ("user", "session", "service", "model", "tool")
"""The keys ``--by`` knows by name; any other key is looked up in the run's metadata."""


def _has_value(value: Any) -> bool:
    """Whether a metadata value puts its run in a group: text, a number, a boolean (not null, an object)."""
    return value is not None and meta_text(value) is not None


class Lineage:
    """The runs of one input by ``run_id``, and what each inherits of a metadata key from its ancestors.

    A run with no value of a key of its own (missing, null, or an object or
    array, which is no group either) takes that of its nearest ancestor that
    has one, following ``parent_run_id`` through the runs of the input (a
    parent that is not in the input ends the chain). Each key is worked out
    once, for every run, when first asked for: walking up from each run
    until a run whose value is known, without recursion (chains of sub-agents
    may be thousands deep); a loop of parents (only a hostile log has one)
    ends the walk where it comes back.
    """

    def __init__(self, runs: Iterable[RunFacts]) -> None:
        self.runs = {run.run_id: run for run in runs}
        self._values: dict[str, dict[str, Any]] = {}

    def value(self, run_id: str, key: str) -> Any:
        """The value of *key* that run *run_id* has or inherits; None when no ancestor has one either."""
        values = self._values.get(key)
        if values is None:
            values = self._values[key] = self._resolve(key)
        return values.get(run_id)

    def _resolve(self, key: str) -> dict[str, Any]:
        """Every run's value of *key*, its own or inherited (runs with none are left out)."""
        runs = self.runs
        found: dict[str, Any] = {}
        settled: set[str] = set()
        for run in runs.values():
            path: list[str] = []
            on_path: set[str] = set()
            value: Any = None
            current: RunFacts | None = run
            while current is not None:
                run_id = current.run_id
                if run_id in settled:
                    value = found.get(run_id)
                    break
                own = current.metadata.get(key)
                if _has_value(own):
                    value = found[run_id] = own
                    settled.add(run_id)
                    break
                if run_id in on_path:  # a loop of parents, none with a value
                    break
                path.append(run_id)
                on_path.add(run_id)
                parent = current.parent_run_id
                current = None if parent is None else runs.get(parent)
            settled.update(path)
            if value is not None:
                found.update(dict.fromkeys(path, value))
        return found


@dataclass
class CallFacts:
    """One run's calls of one tool or one model."""

    calls: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    unpriced: int = 0
    """LLM calls that reported tokens but carry no cost (model not in the price table)."""
    priced: int = 0
    """LLM calls that carry a cost: when 0, the cost of these calls is unknown rather than zero."""

    def add(self, other: CallFacts) -> None:
        """Add *other*'s calls to these (the same tool or model, in another part or another run)."""
        self.calls += other.calls
        self.errors += other.errors
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cost_usd += other.cost_usd
        self.unpriced += other.unpriced
        self.priced += other.priced


@dataclass
class RunFacts:
    """One run, as grouped statistics need it.

    ``duration_ms`` is the run's reported ``total_latency_ms`` (None for an
    unfinished run: it has no end-to-end latency). Counts are those of the
    ``run_finished`` line, or for an unfinished run those its lines prove.
    """

    run_id: str
    started: str | None = None
    parent_run_id: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    service: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    status: str | None = None
    stop_reason: str | None = None
    unfinished: bool = True
    duration_ms: float | None = None
    steps: int = 0
    errors: int = 0
    tool_calls: int = 0
    llm_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    """The run's own cost: the sum of its own ``llm_result`` lines' ``cost_usd``."""
    priced_calls: int = 0
    """Its own LLM calls that carry a cost: when 0, the run's cost is unknown rather than zero."""
    unpriced_llm_calls: int = 0
    total_cost_usd: Decimal = Decimal(0)
    """Its own cost and that of its child runs (and theirs) found in the same lines."""
    repeated_calls: int = 0
    """Tool calls repeating an earlier call of the same tool with the same ``args_hash`` in this run."""
    tools: dict[str, CallFacts] = field(default_factory=dict)
    """Per tool it called (named on a ``tool_call`` or ``tool_result`` line): its results and failures."""
    models: dict[str, CallFacts] = field(default_factory=dict)
    total_priced_calls: int = 0
    """Priced LLM calls of the run and of its child runs (and theirs): when 0, the total cost is unknown."""
    summary: RunSummary | None = field(default=None, compare=False, repr=False)
    """The run as `runs` describes it, for choosing runs with the filters of ``runs`` (`select_facts`)."""
    lineage: Lineage | None = field(default=None, compare=False, repr=False)
    """The runs of its input, for the metadata it inherits; None: it has only its own (built by hand)."""

    @property
    def completed(self) -> bool:
        """The run ended with stop reason ``completed``."""
        return self.stop_reason == COMPLETED

    @property
    def failed(self) -> bool:
        """The run ended with status ``error``."""
        return self.status == ERROR

    @property
    def tokens(self) -> int:
        """Input and output tokens together."""
        return self.input_tokens + self.output_tokens

    @property
    def tool_errors(self) -> int:
        """Its tool calls that ended with status ``error``."""
        return sum(facts.errors for facts in self.tools.values())

    def meta_value(self, key: str) -> Any:
        """Its value of metadata *key* as ``--by`` and ``--meta`` read it: its own, else its ancestor's.

        Its own when it has one (text, a number, a boolean); else that of its
        nearest ancestor with one (`Lineage`); else its own (None, an object).
        """
        own = self.metadata.get(key)
        if _has_value(own) or self.lineage is None:
            return own
        inherited = self.lineage.value(self.run_id, key)
        return own if inherited is None else inherited

    def has_meta(self, key: str, value: str) -> bool:
        """Whether it passes ``--meta key=value``: its value (`meta_value`) reads as *value*.

        As ``runs --meta`` decides it on a run's own metadata, but with what a
        child run inherits: ``--meta prompt_version=v8`` keeps v8's sub-agents.
        """
        found = self.meta_value(key)
        if found is None and key not in self.metadata:
            return False
        return meta_text(found) == value

    def values_of(self, key: str) -> list[str | None]:
        """The groups this run falls in for ``--by key``: one value, or one per tool or model it called.

        A run that did not call any tool (model) falls in no ``tool``
        (``model``) group; a run without the user, session, service or
        metadata key (or with null there, or an object) falls in the group None.
        A metadata key is read with `meta_value`: a child run without it is in
        its nearest ancestor's group.
        """
        if key == "user":
            return [self.user_id]
        if key == "session":
            return [self.session_id]
        if key == "service":
            return [self.service]
        if key == "model":
            return [*sorted(self.models)]
        if key == "tool":
            return [*sorted(self.tools)]
        if key == USER_ID:
            return [self.user_id]
        if key == SESSION_ID:
            return [self.session_id]
        value = self.meta_value(key)
        # Missing and null alike are the group None (as a SQL store reads them); so is an object or array.
        return [None if value is None else meta_text(value)]


FACTS_EVENTS = RUN_EVENTS + PROOF_EVENTS
"""The events a run's facts come from (the reader's ``events``): its start and end, steps and calls."""
_CALL_EVENTS = frozenset({TOOL_CALL, TOOL_RESULT, LLM_RESULT, RUN_STARTED, RUN_FINISHED})
"""Of those, the ones counted here (the others only prove an unfinished run's steps, in `RunBuilder`)."""


@dataclass
class _Calls:
    """What one run's call lines say, as they are read."""

    tools: dict[str, CallFacts] = field(default_factory=dict)
    models: dict[str, CallFacts] = field(default_factory=dict)
    repeated: int = 0
    seen: set[tuple[str, str]] | None = field(default_factory=set)
    """(tool, args_hash) of its tool calls so far; None once its run is whole here and they are counted."""
    started: bool = False
    finished: bool = False

    def merge(self, later: _Calls) -> None:
        """Take in what *later* counted of the same run in the lines that follow."""
        for mine, theirs in ((self.tools, later.tools), (self.models, later.models)):
            for name, facts in theirs.items():
                if name in mine:
                    mine[name].add(facts)
                else:
                    mine[name] = facts
        self.repeated += later.repeated
        if self.seen is not None and later.seen is not None:
            # A call made in both parts is made once more than each part counted.
            self.repeated += len(self.seen & later.seen)
            self.seen |= later.seen
        elif later.seen is not None:
            self.seen = later.seen
        self.started = self.started or later.started
        self.finished = self.finished or later.finished
        if self.started and self.finished:
            self.seen = None


class FactsBuilder:
    """`RunFacts` built up line by line; builders fed consecutive parts of a log merge.

    The runs are `runs.RunBuilder`'s; the call lines of each run are counted
    here. A run's ``(tool, args_hash)`` pairs are kept only until its
    ``run_finished`` (when its ``run_started`` was read by the same builder),
    so memory holds the calls of the runs open at a time, and the figures.
    """

    def __init__(self) -> None:
        self.runs = RunBuilder()
        self.calls: dict[str, _Calls] = {}

    def add_all(self, lines: Iterable[dict[str, Any]]) -> None:
        """Take flat lines in order (only agentlog's typed lines count)."""
        add = self.runs.add
        for line in self.tally(lines):
            add(line)

    def tally(self, lines: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Count the calls each of *lines* makes, and pass every line on (to a `RunBuilder`)."""
        count_calls = self._count
        for line in lines:
            count_calls(line)
            yield line

    def _count(self, line: dict[str, Any]) -> None:
        # typed.typed_event, inline (every name here is a typed one): this runs for every call line.
        event = line.get(EVENT)
        if type(event) is not str or event not in _CALL_EVENTS or line.get(FREE_FORM) is True:
            return
        run_id = line.get(RUN_ID)
        if not isinstance(run_id, str):
            return
        calls = self.calls.get(run_id)
        if calls is None:
            calls = self.calls[run_id] = _Calls()
        if event == TOOL_RESULT:
            tool = _call(calls.tools, str(line.get("tool")))
            tool.calls += 1
            if line.get("status") == ERROR:
                tool.errors += 1
        elif event == TOOL_CALL:
            name = str(line.get("tool"))
            _call(calls.tools, name)
            args_hash = line.get("args_hash")
            if isinstance(args_hash, str):
                if calls.seen is None:
                    calls.seen = set()
                if (name, args_hash) in calls.seen:
                    calls.repeated += 1
                else:
                    calls.seen.add((name, args_hash))
        elif event == LLM_RESULT:
            _count_llm(_call(calls.models, str(line.get("model"))), line)
        elif event == RUN_STARTED:
            calls.started = True
        elif has_typed_shape(line):  # run_finished: its calls are all here if it started here
            calls.finished = True
            if calls.started:
                calls.seen = None

    def merge(self, later: FactsBuilder) -> None:
        """Take in what *later* built from the lines that follow this builder's."""
        self.runs.merge(later.runs)
        for run_id, theirs in later.calls.items():
            mine = self.calls.get(run_id)
            if mine is None:
                self.calls[run_id] = theirs
            else:
                mine.merge(theirs)

    def result(self) -> list[RunFacts]:
        """Every run, in order of first appearance, with its children's cost rolled up.

        The runs share one `Lineage`: a run's metadata is read with what it
        inherits from its ancestors among these runs.
        """
        runs = [self._facts(summary) for summary in self.runs.summaries()]
        _roll_up(runs)
        lineage = Lineage(runs)
        for run in runs:
            run.lineage = lineage
        return runs

    def _facts(self, summary: RunSummary) -> RunFacts:
        calls = self.calls.get(summary.run_id) or _Calls()
        models = calls.models.values()
        unfinished = summary.unfinished
        latency = summary.total_latency_ms
        return RunFacts(
            run_id=summary.run_id,
            started=summary.started,
            parent_run_id=summary.parent_run_id,
            user_id=summary.user_id,
            session_id=summary.session_id,
            service=summary.service,
            metadata=summary.metadata,
            status=summary.status,
            stop_reason=summary.stop_reason,
            unfinished=unfinished,
            duration_ms=None if unfinished or latency is None else float(latency),
            steps=summary.total_steps,
            errors=summary.errors,
            tool_calls=summary.tool_calls,
            llm_calls=summary.llm_calls,
            input_tokens=summary.input_tokens,
            output_tokens=summary.output_tokens,
            cost_usd=sum((model.cost_usd for model in models), Decimal(0)),
            priced_calls=sum(model.priced for model in models),
            unpriced_llm_calls=sum(model.unpriced for model in models),
            repeated_calls=calls.repeated,
            tools=calls.tools,
            models=calls.models,
            summary=summary,
        )


def _call(table: dict[str, CallFacts], name: str) -> CallFacts:
    facts = table.get(name)
    if facts is None:
        facts = table[name] = CallFacts()
    return facts


def _count_llm(model: CallFacts, line: dict[str, Any]) -> None:
    """One ``llm_result`` line counted into its model's facts."""
    model.calls += 1
    if line.get("status") == ERROR:
        model.errors += 1
    tokens_in, tokens_out = line.get("input_tokens"), line.get("output_tokens")
    model.input_tokens += count(tokens_in)
    model.output_tokens += count(tokens_out)
    cost = cost_of(line.get(COST_USD))
    if cost is not None:
        model.cost_usd += cost
        model.priced += 1
    elif type(tokens_in) is int or type(tokens_out) is int:
        model.unpriced += 1


def _roll_up(runs: list[RunFacts]) -> None:
    """Set each run's total cost: its own and its child runs' (theirs included), without recursion.

    Children are added to their parent once all of theirs have been added to
    them, leaves first. A loop of parents (only a hostile log has one) is
    summed up to where it starts.
    """
    by_id = {run.run_id: run for run in runs}
    parent_of: dict[str, str] = {}
    waiting: dict[str, int] = {}
    for run in runs:
        run.total_cost_usd = run.cost_usd
        run.total_priced_calls = run.priced_calls
        parent = run.parent_run_id
        if parent is not None and parent != run.run_id and parent in by_id:
            parent_of[run.run_id] = parent
            waiting[parent] = waiting.get(parent, 0) + 1
    ready = [run_id for run_id in by_id if run_id not in waiting]
    while ready:
        run_id = ready.pop()
        parent = parent_of.get(run_id)
        if parent is None:
            continue
        child, above = by_id[run_id], by_id[parent]
        above.total_cost_usd += child.total_cost_usd
        above.total_priced_calls += child.total_priced_calls
        waiting[parent] -= 1
        if not waiting[parent]:
            ready.append(parent)


def _as_summary(run: RunFacts) -> RunSummary:
    """A run built by hand (not read from lines) as the filters read it."""
    return RunSummary(
        run.run_id,
        started=run.started,
        user_id=run.user_id,
        service=run.service,
        parent_run_id=run.parent_run_id,
        status=run.status,
        stop_reason=run.stop_reason,
        total_steps=run.steps,
        tool_calls=run.tool_calls,
        llm_calls=run.llm_calls,
        errors=run.errors,
        input_tokens=run.input_tokens,
        output_tokens=run.output_tokens,
        total_latency_ms=run.duration_ms,
        tools=set(run.tools),
        session_id=run.session_id,
        metadata=run.metadata,
        ended=not run.unfinished,
    )


def select_facts(runs: Iterable[RunFacts], chosen: RunFilter) -> list[RunFacts]:
    """The runs that pass *chosen*, decided as ``agentlog runs`` decides it (on the run's summary).

    Except ``--meta``: a run's metadata is read with what it inherits
    (`RunFacts.has_meta`), as ``--by`` reads it.
    """
    meta = chosen.meta
    rest = replace(chosen, meta=()) if meta else chosen
    return [
        run
        for run in runs
        if rest.matches(run.summary if run.summary is not None else _as_summary(run))
        and all(run.has_meta(key, value) for key, value in meta)
    ]


def facts_of_lines(lines: Iterable[dict[str, Any]], chosen: RunFilter | None = None) -> list[RunFacts]:
    """One `RunFacts` per run of flat *lines*, in order of first appearance (those *chosen*, if given)."""
    builder = FactsBuilder()
    builder.add_all(lines)
    runs = builder.result()
    return runs if chosen is None else select_facts(runs, chosen)


def _build(lines: Iterator[dict[str, Any]]) -> FactsBuilder:
    """What a part of the input is reduced to (counts, not lines: it may be pickled from a forked part)."""
    builder = FactsBuilder()
    builder.runs = build_runs(builder.tally(lines))
    return builder


def facts_of_files(
    inputs: Iterable[str], counts: Counts, chosen: RunFilter | None = None, *, workers: int | None = 1
) -> list[RunFacts]:
    """One `RunFacts` per run of *inputs*, each file read once.

    Args:
        inputs: Files, directories, ``.gz`` files, or ``-``.
        counts: Updated with what reading found; too many runs open at once
            to count (see `runs.OPEN_RUNS_COUNTED`) is said in its problems.
        chosen: Only the runs that pass these filters (None: every run).
            Child runs' costs are rolled up before the runs are chosen.
        workers: At most this many processes (None: one per CPU). One by
            default: a part's facts are as many objects as it has runs, and
            unpickling them here costs about what the other processes save
            (a 140 MB log of 84 000 runs took longer in two processes than
            in one, on 2 cores).
    """
    builders = map_parts(inputs, counts, (), _build, events=FACTS_EVENTS, workers=workers)
    whole = builders[0] if builders else FactsBuilder()
    for later in builders[1:]:
        whole.merge(later)
    runs = whole.result()
    if whole.runs.uncounted:
        counts.problems.append(
            f"too many runs open at once: {whole.runs.uncounted} unfinished runs are counted"
            " only up to then (their steps, calls and tokens are lower bounds)"
        )
    return runs if chosen is None else select_facts(runs, chosen)
