"""The run explorer behind ``agentlog runs``, ``show``, ``stats``, ``slo`` and ``validate``.

It reads log files back and never writes one, so it imports nothing of the
logging runtime (nor structlog): only `agentlog._vocabulary` for the words of
a line and `agentlog._schema` for the published schema
(``tests/explorer/test_boundaries.py`` keeps it so). Data flows one way:

    files ─▶ reader ─▶ profiles ─▶ flat lines ─▶ runs / tree / stats ─▶ text / html / JSON

Modules, in that order:

- `reader`: files, directories, ``.gz`` and stdin to raw lines, filtered on
  their bytes before any is parsed, then to flat lines; malformed lines are
  counted, not fatal.
- `profiles`: an ``ecs`` or ``datadog`` line back to the flat (``json``) form.
- `times`: RFC 3339 timestamps and the times a user types (``2h``) to seconds.
- `values`: counts and latencies read from a line without trusting their type.
- `runs`: one `RunSummary` per run; picking runs by filter or by ID prefix.
- `tree`: one run and its child runs as a tree of spans, and where it failed.
- `stats`: per tool and per model figures across runs.
- `facts`: one `RunFacts` per run (its group keys, outcome, latency, calls per
  tool and model, own cost) from one pass over a log.
- `significance`: Fisher's exact test and the Mann-Whitney U test, in the
  standard library: whether a difference between two groups is larger than chance.
- `compare`: two groups of runs (``prompt_version`` v7 and v8) side by side,
  each difference tested (``agentlog compare``).
- `text`: the terminal view of runs, a tree and stats, every logged value made safe.
- `groups`: runs grouped ``--by`` user, model, tool, a metadata key …, and each
  group's figures (completion, tool error rate, cost, latency percentiles).
- `slo`: objectives on those figures, with error budget and burn rate.
- `html`: a self-contained page with a run's waterfall.
- `validate`: lines checked against the published JSON Schema.

``agentlog.cli`` parses the command line and calls these; JSON output is the
``as_dict()`` of the models, printed by the CLI.
"""

from __future__ import annotations

__all__: list[str] = []
