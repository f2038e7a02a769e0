"""The runs in a set of lines: one summary per run, as its typed lines describe it.

Only agentlog's own typed lines define a run (see `typed`): a log message
named like a typed event is ignored, and of two ``run_started`` (or
``run_finished``) lines for one run the first that has the typed shape wins,
so a later line can never re-attribute the run to another user or session.

A run whose ``run_finished`` line is missing (killed, crashed, still running)
is *unfinished*: its steps, calls, errors and tokens are counted from the
lines that prove them (``agent_step``, ``tool_call``/``tool_result``,
``llm_result``, failed ``step_finished``), each once however often it is
read, and its duration is the time between its first and last typed line.
A finished run's figures are the totals its ``run_finished`` reports.

Files are read once: a run's proofs are counted while it is open and
dropped when its ``run_finished`` arrives, so memory holds the counts of the
runs open at a time (at most `OPEN_RUNS_COUNTED` of them; the oldest past
that are counted only up to then, and `RunBuilder.uncounted` says how many).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, cast

from agentlog._vocabulary import (
    AGENT_STEP,
    COST_USD,
    ERROR,
    ERROR_CLASS,
    EVENT,
    EXTRA,
    FIELDS_DROPPED,
    FREE_FORM,
    INVALID,
    LEVEL,
    LINE_IDS,
    LLM_RESULT,
    LOGGER,
    METADATA,
    OK,
    PARENT_RUN_ID,
    PARENT_SPAN_ID,
    PROCESSOR_ERROR,
    REQUEST_ID,
    RUN_FINISHED,
    RUN_ID,
    RUN_STARTED,
    SESSION_ID,
    SPAN_ID,
    STATIC_FIELDS,
    STEP_FINISHED,
    STEP_ID,
    TIMESTAMP,
    TOOL_CALL,
    TOOL_CALL_ID,
    TOOL_RESULT,
    TYPED_EVENT_NAMES,
    USER_ID,
)

from .filters import RunFilter, sort_runs
from .reader import Buffer, Counts, Selection, count_not_objects, map_blocks, map_parts, parse, parse_spans
from .times import epoch
from .typed import has_typed_shape
from .values import cost_of, count

__all__ = [
    "ERROR_NEEDLES",
    "OPEN_RUNS_COUNTED",
    "PROOF_EVENTS",
    "PROOF_NEEDLES",
    "RUN_EVENTS",
    "RUN_NEEDLES",
    "TOOL_NEEDLES",
    "RunBuilder",
    "RunSummary",
    "build_runs",
    "matching_run_ids",
    "run_metadata",
    "runs_of_files",
    "select_runs",
    "summarize_runs",
]

RUN_NEEDLES = (RUN_STARTED.encode(), RUN_FINISHED.encode())
"""What a line must contain for `summarize_runs` to need it (its reader's needles)."""
TOOL_NEEDLES = (TOOL_CALL.encode(),)
"""Also needed when runs are picked by the tools they called."""
ERROR_NEEDLES = (b'error_class"', b'"failure"')
"""Also needed when runs are picked by error class: the failed calls and steps (``error_class`` in
the json profile, an outcome of ``failure`` in ecs and datadog)."""
PROOF_EVENTS = (AGENT_STEP, TOOL_CALL, TOOL_RESULT, LLM_RESULT, STEP_FINISHED)
"""What an unfinished run's steps, calls, failures, tokens and last moment are counted from."""
PROOF_NEEDLES = tuple(event.encode() for event in PROOF_EVENTS)
"""The same, as bytes a line must contain."""
RUN_EVENTS = (RUN_STARTED, RUN_FINISHED)
"""The events that start and finish runs (with `PROOF_EVENTS`, what `runs_of_files` reads)."""
OPEN_RUNS_COUNTED = 100_000
"""At most this many runs open at once have their lines counted by one builder; past that, the oldest
are counted only up to then (`RunBuilder.uncounted`)."""
_CALLS = frozenset({TOOL_CALL, TOOL_RESULT})
_RUN_EVENT_NAMES = frozenset(RUN_EVENTS)
_PENDING = 20_000
"""At most this many lines of open runs wait, uncounted, for their run to finish (which drops them)."""
_STEPS = frozenset({AGENT_STEP, STEP_FINISHED})

_RUN_STARTED_FIELDS = frozenset(
    {
        TIMESTAMP,
        LEVEL,
        "event",
        LOGGER,
        *STATIC_FIELDS,
        *LINE_IDS,
        PARENT_SPAN_ID,
        USER_ID,
        "task",
        "task_hash",
        "task_size",
        "task_truncated",
        EXTRA,
        METADATA,
        INVALID,
        PROCESSOR_ERROR,
        FIELDS_DROPPED,
        FREE_FORM,
    }
)
"""The fields agentlog itself writes on ``run_started``; any other is the run's metadata."""


def run_metadata(line: dict[str, Any]) -> dict[str, Any]:
    """The run's metadata from its ``run_started`` *line*: top-level fields, then those under ``metadata``.

    ``agentlog.run(metadata={...})`` writes each entry as a field of its own,
    except those whose names clash with agentlog's, kept under ``metadata``.
    """
    found = {key: value for key, value in line.items() if key not in _RUN_STARTED_FIELDS}
    nested = line.get(METADATA)
    if isinstance(nested, dict):
        for key, value in nested.items():
            found.setdefault(key, value)
    return found


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass
class RunSummary:
    """One run as its typed lines describe it.

    Its ``run_started`` and ``run_finished`` lines, and for an unfinished run
    the lines that prove its steps and calls.
    """

    run_id: str
    started: str | None = None
    finished: str | None = None
    user_id: str | None = None
    service: str | None = None
    parent_run_id: str | None = None
    status: str | None = None
    stop_reason: str | None = None
    total_steps: int = 0
    tool_calls: int = 0
    llm_calls: int = 0
    errors: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_latency_ms: float | None = None
    cost_usd: float | None = None
    """What its ``run_finished`` says it cost (its child runs in the same process included)."""
    tools: set[str] = field(default_factory=set)
    session_id: str | None = None
    request_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    error_classes: set[str] = field(default_factory=set)
    last_seen: str | None = None
    ended: bool = False

    @property
    def unfinished(self) -> bool:
        """No ``run_finished`` line: killed, crashed, or still running."""
        return not self.ended and self.finished is None and self.status is None

    @property
    def outcome(self) -> str:
        """``ok``, ``error`` (or the status the line gave), or ``unfinished``."""
        if self.unfinished:
            return "unfinished"
        return self.status if isinstance(self.status, str) else "?"

    @property
    def duration_ms(self) -> float | None:
        """The reported total latency; for an unfinished run, first to last typed line seen."""
        if self.total_latency_ms is not None:
            return float(self.total_latency_ms)
        start, last = epoch(self.started), epoch(self.last_seen or self.started)
        if self.unfinished and start is not None and last is not None and last >= start:
            return round((last - start) * 1000, 3)
        return None

    @property
    def tokens(self) -> int:
        """Input and output tokens together."""
        return self.input_tokens + self.output_tokens

    def __reduce__(self) -> tuple[Any, ...]:
        # Tens of thousands cross from a reading process to its parent: as one tuple of the
        # field values they pickle and load several times faster than attribute by attribute.
        return (RunSummary, _summary_fields(self))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view (``tools`` and ``error_classes`` as sorted lists, the outcome and duration)."""
        view = dict(self.__dict__)
        del view["ended"]
        view["unfinished"] = self.unfinished
        view["short_id"] = self.run_id[:8]
        view["tools"] = sorted(self.tools)
        view["error_classes"] = sorted(self.error_classes)
        view["outcome"] = self.outcome
        view["duration_ms"] = self.duration_ms
        return view


_summary_fields = attrgetter(*(item.name for item in fields(RunSummary)))


@dataclass
class _Proof:
    """What the lines of a run not yet finished prove: each step, call and failure once."""

    steps: set[Any] = field(default_factory=set)
    tools: set[Any] = field(default_factory=set)
    llm_tokens: dict[Any, tuple[int, int]] = field(default_factory=dict)
    call_failures: set[Any] = field(default_factory=set)
    failed_in_step: set[tuple[Any, str | None]] = field(default_factory=set)
    step_failures: dict[Any, str | None] = field(default_factory=dict)
    last: str | None = None

    def errors(self) -> int:
        """Failed calls, and failed steps whose exception no failed call inside them accounts for."""
        own = sum(1 for step, cls in self.step_failures.items() if (step, cls) not in self.failed_in_step)
        return len(self.call_failures) + own


_START_FIELDS = ("started", "user_id", "service", "parent_run_id", "session_id", "request_id", "metadata")
"""What a run's accepted ``run_started`` line sets."""
_FINISH_FIELDS = (
    "finished",
    "status",
    "stop_reason",
    "ended",
    "total_steps",
    "tool_calls",
    "llm_calls",
    "errors",
    "input_tokens",
    "output_tokens",
    "total_latency_ms",
    "cost_usd",
    "last_seen",
)
"""What a run's accepted ``run_finished`` line sets."""
_COUNTS = ("total_steps", "tool_calls", "llm_calls", "errors", "input_tokens", "output_tokens")
"""What an unfinished run's lines are counted into."""


def _takes(mine: bool | None, theirs: bool | None) -> bool:
    """Whether a later line (shaped or not: *theirs*) replaces an earlier one (*mine*) of the same kind."""
    return theirs is not None and (mine is None or (not mine and theirs))


def _later(stamp: Any, than: str | None) -> bool:
    """Whether timestamp *stamp* is later than *than* (None: anything is).

    agentlog's own stamps (UTC, ``Z``, a fixed number of digits) compare as
    text, which is cheap; any other form is compared as a time.
    """
    if not isinstance(stamp, str):
        return False
    if than is None:
        return epoch(stamp) is not None
    if len(stamp) == len(than) and stamp[-1:] == than[-1:] == "Z":
        return stamp > than
    moment, before = epoch(stamp), epoch(than)
    return moment is not None and (before is None or moment > before)


def _key(*candidates: Any) -> Any:
    """The first usable identifier among *candidates*; a new object (counted once) if none is."""
    for candidate in candidates:
        if isinstance(candidate, (str, int)) and not isinstance(candidate, bool):
            return candidate
    return object()


def _note_tools_and_errors(summary: RunSummary, event: str, line: dict[str, Any]) -> None:
    """The tool a call line names, and the exception class a failed line names, into the run's sets."""
    if event in _CALLS:
        tool = line.get("tool")
        if isinstance(tool, str):
            summary.tools.add(tool)
    if line.get("status") == ERROR:
        error_class = line.get(ERROR_CLASS)
        if isinstance(error_class, str):
            summary.error_classes.add(error_class)


class RunBuilder:
    """Runs built up line by line, in any order: for `summarize_runs`, and for ``tail`` as lines arrive.

    `add` returns a run's summary when the line is that run's ``run_finished``
    (the first typed one), so a follower can print each run as it finishes.
    Counting state is kept only for runs not yet finished, for at most
    *open_runs* of them at once: past that the oldest one's figures are
    settled as its lines so far prove them and its later lines are not
    counted (`uncounted` says how many runs were left so).
    """

    def __init__(self, open_runs: int = OPEN_RUNS_COUNTED) -> None:
        self._runs: dict[str, RunSummary] = {}
        self._proof: dict[str, _Proof] = {}
        self._start_shaped: dict[str, bool] = {}
        self._end_shaped: dict[str, bool] = {}
        self._open_runs = max(1, open_runs)
        self._uncounted: set[str] = set()
        # The proof lines of open runs not counted yet: most runs finish within a few lines, which
        # drops them unread; the rest are counted when they are many, or before any figure is read.
        self._pending: dict[str, list[dict[str, Any] | bytes]] = {}
        self._pending_lines = 0
        # Raw lines held (`hold`) and parsed when counted, and those of them that were not agentlog JSON.
        self.late_parsed = 0
        self.late_skipped = 0

    @property
    def uncounted(self) -> int:
        """How many unfinished runs were counted only up to a point (more than the cap open at once)."""
        return sum(1 for run_id in self._uncounted if self._runs[run_id].unfinished)

    def __len__(self) -> int:
        return len(self._runs)

    def get(self, run_id: str) -> RunSummary | None:
        """The run's summary so far (counts of an unfinished run brought up to date), or None."""
        summary = self._runs.get(run_id)
        if run_id in self._pending:
            self._count_pending(run_id)
        if summary is not None and run_id in self._proof:
            self._settle(summary, self._proof[run_id])
        return summary

    def forget(self, run_id: str) -> None:
        """Drop a run (a follower keeps only so many)."""
        self._runs.pop(run_id, None)
        self._proof.pop(run_id, None)
        self._pending_lines -= len(self._pending.pop(run_id, ()))
        self._start_shaped.pop(run_id, None)
        self._end_shaped.pop(run_id, None)
        self._uncounted.discard(run_id)

    def open_runs(self) -> list[str]:
        """The IDs of the runs seen without a ``run_finished`` line, oldest first."""
        return [run_id for run_id, summary in self._runs.items() if summary.unfinished]

    def summaries(self) -> list[RunSummary]:
        """Every run, in order of first appearance, unfinished ones counted from their lines."""
        self._count_pending()
        for run_id, proof in self._proof.items():
            self._settle(self._runs[run_id], proof)
        return list(self._runs.values())

    def merge(self, later: RunBuilder) -> None:
        """Take in what *later* built from the lines that follow this builder's (a later part of a file).

        The result is what one builder fed both parts' lines in order would
        hold: the first typed ``run_started``/``run_finished`` wins, proofs of
        unfinished runs are united, and runs keep their order of first appearance.
        """
        self._count_pending()
        later._count_pending()
        for run_id, theirs in later._runs.items():
            mine = self._runs.get(run_id)
            if mine is None:
                self._runs[run_id] = theirs
                for table, other in (
                    (self._start_shaped, later._start_shaped),
                    (self._end_shaped, later._end_shaped),
                ):
                    if run_id in other:
                        table[run_id] = other[run_id]
                if run_id in later._proof:
                    self._proof[run_id] = later._proof[run_id]
                if run_id in later._uncounted:
                    self._uncounted.add(run_id)
                continue
            self._merge_run(mine, theirs, later)
        self._cap()

    def _merge_run(self, mine: RunSummary, theirs: RunSummary, later: RunBuilder) -> None:
        run_id = mine.run_id
        mine.tools |= theirs.tools
        mine.error_classes |= theirs.error_classes
        if _takes(self._start_shaped.get(run_id), later._start_shaped.get(run_id)):
            self._start_shaped[run_id] = later._start_shaped[run_id]
            for name in _START_FIELDS:
                setattr(mine, name, getattr(theirs, name))
        mine.started = mine.started or theirs.started
        mine.service = mine.service or theirs.service
        if _takes(self._end_shaped.get(run_id), later._end_shaped.get(run_id)):
            self._end_shaped[run_id] = later._end_shaped[run_id]
            for name in _FINISH_FIELDS:
                setattr(mine, name, getattr(theirs, name))
            self._proof.pop(run_id, None)
        proof, other = self._proof.get(run_id), later._proof.get(run_id)
        if mine.ended:
            self._proof.pop(run_id, None)
            return
        if run_id in self._uncounted:
            return  # counted up to the point where it was settled
        if run_id in later._uncounted:
            # Counted only up to a point there: the larger of the two counts of each figure
            # (each is a lower bound; a step seen in both parts must not count twice).
            self._uncounted.add(run_id)
            if proof is not None:
                del self._proof[run_id]
                self._settle(mine, proof)
            for name in _COUNTS:
                setattr(mine, name, max(getattr(mine, name), getattr(theirs, name)))
            if _later(theirs.last_seen, mine.last_seen):
                mine.last_seen = theirs.last_seen
            return
        if other is None:
            return
        if proof is None:
            self._proof[run_id] = other
            mine.last_seen = other.last
            return
        proof.steps |= other.steps
        proof.tools |= other.tools
        proof.llm_tokens.update(other.llm_tokens)
        proof.call_failures |= other.call_failures
        proof.failed_in_step |= other.failed_in_step
        proof.step_failures.update(other.step_failures)
        if _later(other.last, proof.last):
            proof.last = mine.last_seen = other.last

    def add(self, line: dict[str, Any]) -> RunSummary | None:
        """Take one flat line; the run's summary if the line finished it, else None."""
        # typed.typed_event, inline: this runs for every step and call line of a file.
        event = line.get(EVENT)
        if type(event) is not str or event not in TYPED_EVENT_NAMES or line.get(FREE_FORM) is True:
            return None
        run_id = line.get(RUN_ID)
        if not isinstance(run_id, str):
            return None
        summary = self._runs.get(run_id)
        if summary is None:
            summary = self._runs[run_id] = RunSummary(run_id)
        if event == RUN_STARTED:
            self._start(summary, line)
        elif event == RUN_FINISHED:
            return self._finish(summary, line)
        _note_tools_and_errors(summary, event, line)
        if summary.started is None:
            summary.started = _text(line.get(TIMESTAMP))
        if event != RUN_STARTED and not summary.ended:
            self.hold(run_id, line)
        return None

    def hold(self, run_id: str, line: dict[str, Any] | bytes) -> None:
        """Keep a line of open run *run_id* until it is counted, or dropped when the run finishes.

        `add` holds the parsed proof lines it takes. A raw line (bytes) of a
        run known, started and not finished may be held unparsed: it is
        parsed only if the run is still open when its lines are counted, and
        most runs finish first. The caller vouches that a raw line's only
        ``run_id`` is *run_id* (or that it has no top-level one) and that it
        is not a ``run_started``/``run_finished`` line; anything else about it
        is checked when it is parsed, as `add` checks it.
        """
        waiting = self._pending.get(run_id)
        if waiting is None:
            self._pending[run_id] = [line]
        else:
            waiting.append(line)
        self._pending_lines += 1
        if self._pending_lines > _PENDING:
            self._count_pending()

    def _late(self, run_id: str, summary: RunSummary, raw: bytes) -> dict[str, Any] | None:
        """A held raw line, parsed: the flat line if it is a typed line of run *run_id*, as `add` takes it."""
        line = parse(raw)
        if line is None:
            self.late_skipped += 1
            return None
        self.late_parsed += 1
        event = line.get(EVENT)
        if (
            type(event) is not str
            or event not in TYPED_EVENT_NAMES
            or event in _RUN_EVENT_NAMES
            or line.get(FREE_FORM) is True
            or line.get(RUN_ID) != run_id
        ):
            return None
        _note_tools_and_errors(summary, event, line)
        return line

    def _count_pending(self, only: str | None = None) -> None:
        """Count the waiting lines of every open run (or of run *only*) into its proof."""
        for run_id in list(self._pending) if only is None else [only]:
            lines = self._pending.pop(run_id)
            self._pending_lines -= len(lines)
            proof = self._proof.get(run_id)
            if proof is None:
                if run_id in self._uncounted:
                    continue
                proof = self._proof[run_id] = _Proof()
                if len(self._proof) > self._open_runs:
                    self._cap()
                    if run_id not in self._proof:
                        continue
            summary = self._runs[run_id]
            for waiting in lines:
                line = waiting if type(waiting) is dict else self._late(run_id, summary, cast(bytes, waiting))
                if line is not None:
                    self._prove(summary, proof, line[EVENT], line)

    def _cap(self) -> None:
        """Settle the oldest open runs' figures until at most the cap are counted."""
        while len(self._proof) > self._open_runs:
            run_id = next(iter(self._proof))
            self._settle(self._runs[run_id], self._proof.pop(run_id))
            self._uncounted.add(run_id)

    def _start(self, summary: RunSummary, line: dict[str, Any]) -> None:
        shaped = has_typed_shape(line)
        if not _takes(self._start_shaped.get(summary.run_id), shaped):
            return  # the first run_started stays, unless only this one has the typed shape
        self._start_shaped[summary.run_id] = shaped
        summary.started = _text(line.get(TIMESTAMP)) or summary.started
        summary.user_id = _text(line.get(USER_ID))
        summary.service = _text(line.get("service")) or summary.service
        summary.parent_run_id = _text(line.get(PARENT_RUN_ID))
        summary.session_id = _text(line.get(SESSION_ID))
        summary.request_id = _text(line.get(REQUEST_ID))
        summary.metadata = run_metadata(line)

    def _finish(self, summary: RunSummary, line: dict[str, Any]) -> RunSummary | None:
        shaped = has_typed_shape(line)
        if not _takes(self._end_shaped.get(summary.run_id), shaped):
            return None
        self._end_shaped[summary.run_id] = shaped
        self._proof.pop(summary.run_id, None)
        self._pending_lines -= len(self._pending.pop(summary.run_id, ()))
        summary.finished = _text(line.get(TIMESTAMP))
        status = line.get("status")
        summary.status = status if isinstance(status, str) else None
        summary.stop_reason = _text(line.get("stop_reason"))
        summary.ended = True
        summary.total_steps = count(line.get("total_steps"))
        summary.tool_calls = count(line.get("tool_calls"))
        summary.llm_calls = count(line.get("llm_calls"))
        summary.errors = count(line.get("errors"))
        summary.input_tokens = count(line.get("input_tokens"))
        summary.output_tokens = count(line.get("output_tokens"))
        latency = line.get("total_latency_ms")
        # Kept as logged (an int stays an int), since it is printed back as JSON.
        summary.total_latency_ms = latency if type(latency) in (int, float) else None
        cost = cost_of(line.get(COST_USD))
        summary.cost_usd = float(cost) if cost is not None else None
        summary.service = summary.service or _text(line.get("service"))
        if summary.status == ERROR and isinstance(line.get(ERROR_CLASS), str):
            summary.error_classes.add(line[ERROR_CLASS])
        summary.last_seen = summary.finished
        if summary.started is None:
            summary.started = summary.finished
        return summary

    def _prove(self, summary: RunSummary, proof: _Proof, event: str, line: dict[str, Any]) -> None:
        """Count what *line* proves of an unfinished run: a step, a call, a failure, tokens."""
        stamp, last = line.get(TIMESTAMP), proof.last
        # _later's test, with agentlog's own stamps (same length, UTC) compared in place.
        if (
            stamp > last
            if type(stamp) is str
            and type(last) is str
            and len(stamp) == len(last)
            and stamp[-1:] == "Z"
            and last[-1:] == "Z"
            else _later(stamp, last)
        ):
            proof.last = summary.last_seen = stamp
        failed = line.get("status") == ERROR
        if event in _STEPS:
            step = line.get(STEP_ID)
            if type(step) is not str and type(step) is not int:
                step = _key(step, line.get(SPAN_ID))
            proof.steps.add(step)
            if failed and event == STEP_FINISHED:
                proof.step_failures[step] = _text(line.get(ERROR_CLASS))
        elif event in _CALLS:
            call = line.get(TOOL_CALL_ID)
            if type(call) is not str and type(call) is not int:
                call = _key(call, line.get(SPAN_ID))
            proof.tools.add(call)
            if failed and event == TOOL_RESULT:
                proof.call_failures.add(("tool", call))
                proof.failed_in_step.add((_key(line.get(STEP_ID)), _text(line.get(ERROR_CLASS))))
        elif event == LLM_RESULT:
            call = _key(line.get(SPAN_ID), line.get(TIMESTAMP))
            proof.llm_tokens[call] = (count(line.get("input_tokens")), count(line.get("output_tokens")))
            if failed:
                proof.call_failures.add(("llm", call))
                proof.failed_in_step.add((_key(line.get(STEP_ID)), _text(line.get(ERROR_CLASS))))

    @staticmethod
    def _settle(summary: RunSummary, proof: _Proof) -> None:
        summary.total_steps = len(proof.steps)
        summary.tool_calls = len(proof.tools)
        summary.llm_calls = len(proof.llm_tokens)
        summary.errors = proof.errors()
        summary.input_tokens = sum(tokens[0] for tokens in proof.llm_tokens.values())
        summary.output_tokens = sum(tokens[1] for tokens in proof.llm_tokens.values())


def build_runs(lines: Iterable[dict[str, Any]]) -> RunBuilder:
    """A builder fed *lines*: what a part of a file is reduced to (see `RunBuilder.merge`)."""
    builder = RunBuilder()
    for line in lines:
        builder.add(line)
    builder._count_pending()  # what is handed on (pickled, from a forked part) is counts, not lines
    return builder


_LISTED_EVENTS = RUN_EVENTS + PROOF_EVENTS
_LISTED = Selection((), _LISTED_EVENTS)
"""The lines `runs` reads; its ``by_event`` names the event of a json-profile line (group 1)."""
_RUN_EVENT_BYTES = frozenset(event.encode() for event in RUN_EVENTS)


def _deferring(blocks: Iterator[tuple[Buffer, int]], counts: Counts) -> RunBuilder:
    """The runs of one part's raw blocks, the lines that only prove a run's steps and calls parsed late.

    Every proof line of a run that finishes is dropped by its ``run_finished``
    (the run's figures are the totals that line reports), so a proof line of
    a run already started is held raw (`RunBuilder.hold`) and parsed only
    if the run is still open when it is counted. That is most of a log's
    typed lines never parsed. A line is held only when its bytes settle, without
    parsing, which run it belongs to: one compact ``"run_id":"…"`` and no
    other, no escape anywhere in the line, one ``"event"`` key, an opening
    and a closing brace (a line cut short or the tail of a torn one is
    parsed, and counted as skipped).
    Every other line is parsed and taken in order, as `build_runs` takes it;
    so are the blocks of the ecs and datadog profiles.
    """
    builder = RunBuilder()
    runs, add, hold = builder._runs, builder.add, builder.hold
    by_event = cast("re.Pattern[bytes]", _LISTED.by_event)
    for buffer, end in blocks:
        if buffer.find(b'"message"', 0, end) >= 0:  # an ecs or datadog block: every line parsed
            for line in parse_spans(buffer, _LISTED.chosen(buffer, end, counts), counts):
                add(line)
            continue
        data = buffer.data
        find, rfind = data.find, data.rfind
        spans = []
        last = -1
        # The spans of `reader._pattern_spans`, found here: each proof line is decided as it is found.
        for match in by_event.finditer(data, 0, end):
            position = match.start()
            if position <= last:
                continue  # another match on a line already taken
            start = rfind(b"\n", 0, position) + 1
            last = find(b"\n", position, end)
            if last < 0:
                last = end
            spans.append((start, last))
            if match.group(1) not in _RUN_EVENT_BYTES:
                at = find(b'"run_id"', start, last)
                close = find(b'"', at + 10, last) if at >= 0 and data[at + 8 : at + 10] == b':"' else -1
                if (
                    close >= 0
                    and data[start] == 0x7B  # {: not the tail of a torn line
                    and data[last - 1] == 0x7D  # }: not a line cut short
                    and find(b"\\", start, last) < 0
                    and find(b'"run_id"', close, last) < 0
                    and find(b'"event"', match.end(), last) < 0
                ):
                    run_id = data[at + 10 : close].decode("utf-8", "surrogateescape")
                    summary = runs.get(run_id)
                    if summary is not None and summary.started is not None:
                        if not summary.ended:
                            hold(run_id, bytes(data[start:last]))
                        continue
            parsed = parse(data[start:last])
            if parsed is not None:
                counts.parsed += 1
                add(parsed)
            elif data[start:last].strip():
                counts.skipped += 1
        counts.skipped += count_not_objects(buffer, end, spans)
    builder._count_pending()  # what is handed on (pickled, from a forked part) is counts, not lines
    counts.parsed += builder.late_parsed
    counts.skipped += builder.late_skipped
    builder.late_parsed = builder.late_skipped = 0
    return builder


def runs_of_files(
    inputs: list[str],
    counts: Counts,
    chosen: RunFilter | None = None,
    *,
    tools: bool = False,
    errors: bool = False,
) -> RunBuilder:
    """The runs of *inputs*, each file read once (large ones by all the cores).

    The lines that start and finish runs are parsed, and those that prove an
    unfinished run's steps and calls (`PROOF_EVENTS`), counted while their
    run is open and dropped when it finishes; with *tools* the tool calls
    are wanted too, with *errors* the failed lines. Only runs that ended
    ``ok`` or ``error`` can pass *chosen* with such a status: then the
    proofs are not read at all.

    Args:
        inputs: Files, directories, ``.gz`` files, or ``-``.
        counts: Updated with what the reading found.
        chosen: The filters the runs will be picked by (None: all runs).
        tools: Also read the tool calls (for the tools each run called).
        errors: Also read the failed calls and steps (for their error classes).
    """
    if chosen is not None and chosen.status in (OK, ERROR):
        events = RUN_EVENTS + ((TOOL_CALL,) if tools else ())
        builders = map_parts(inputs, counts, ERROR_NEEDLES if errors else (), build_runs, events=events)
    elif tools or errors:  # every call and failure of every run: each proof line parsed
        needles = ERROR_NEEDLES if errors else ()
        builders = map_parts(inputs, counts, needles, build_runs, events=_LISTED_EVENTS)
    else:
        builders = map_blocks(inputs, counts, _deferring)
    whole = builders[0] if builders else RunBuilder()
    for later in builders[1:]:
        whole.merge(later)
    return whole


def summarize_runs(lines: Iterable[dict[str, Any]]) -> list[RunSummary]:
    """One summary per run, in order of first appearance (see the module docstring).

    A run with no ``run_started`` line is still listed, started at its first
    typed line's timestamp; one with no ``run_finished`` line has no status
    and is counted from its lines. Lines that are not typed create no run.
    """
    return build_runs(lines).summaries()


def select_runs(
    runs: Iterable[RunSummary],
    *,
    status: str | None = None,
    since: float | None = None,
    until: float | None = None,
    user: str | None = None,
    service: str | None = None,
    tool: str | None = None,
    limit: int = 0,
    failed: bool = False,
    session: str | None = None,
    request: str | None = None,
    error_class: str | None = None,
    meta: Iterable[tuple[str, str]] = (),
    min_duration_ms: float | None = None,
    sort: str = "start",
) -> list[RunSummary]:
    """The runs that pass every filter given, sorted, at most *limit* of them (0: all).

    Args:
        runs: The summaries to choose from.
        status: Only runs that ended so (``ok``, ``error``), or ``unfinished``.
        since: Only runs started at or after this time (seconds since the epoch).
        until: Only runs started before this time.
        user: Only this user's runs.
        service: Only this service's runs.
        tool: Only runs that called this tool.
        limit: At most this many runs; 0 for no limit.
        failed: Only runs that failed or recovered from a failure (status error, or errors ≥ 1).
        session: Only runs of this session.
        request: Only runs of this request.
        error_class: Only runs where a call, step or the run failed with this exception class.
        meta: Only runs whose metadata has each of these (key, value) pairs.
        min_duration_ms: Only runs that took at least this long.
        sort: ``start`` (newest first), ``duration``, ``tokens`` or ``errors`` (most first).
    """
    chosen = RunFilter(
        status=status,
        failed=failed,
        since=since,
        until=until,
        user=user,
        service=service,
        session=session,
        request=request,
        tool=tool,
        error_class=error_class,
        meta=tuple(meta),
        min_duration_ms=min_duration_ms,
    )
    selected = sort_runs([run for run in runs if chosen.matches(run)], sort)
    return selected[:limit] if limit > 0 else selected


def matching_run_ids(lines: Iterable[dict[str, Any]], prefix: str) -> list[str]:
    """The distinct run IDs among *lines* that start with *prefix*, sorted."""
    return sorted({str(line[RUN_ID]) for line in lines if str(line.get(RUN_ID, "")).startswith(prefix)})
