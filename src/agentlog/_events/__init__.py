"""Typed events: records, how they are written, and how they count toward a run.

``records`` defines one small value per event; ``payloads`` captures tasks,
arguments and results under the policy in force; ``standalone`` gives a
helper called on its own the context of a nested scope; ``accounting`` adds
a finished event to its run's totals; ``emit`` writes the line. The public
helpers (`agentlog.events`) and the scopes (`agentlog._scopes`) are built on
these.
"""

__all__: list[str] = []
