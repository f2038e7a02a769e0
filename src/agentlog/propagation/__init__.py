"""Carrying a run across threads, processes, HTTP calls and message queues.

Context variables stop at a thread pool, a subprocess and an HTTP call. This
package carries the IDs in force across each of them:

* **threads**: `wrap` a callable, or use `ThreadPoolExecutor`, and work
  submitted from a run keeps its IDs and counts toward its totals;
* **HTTP and messages**: `inject` writes W3C ``traceparent``,
  ``tracestate``, ``baggage`` and ``X-Run-Id`` into a dict of headers;
  `extract` reads them back, and ``agentlog.run(parent=extract(headers))``
  continues the caller's trace as a child run; `client_span` gives one
  outgoing request a span ID of its own (the HTTP integrations do so for
  every request);
* **processes**: `subprocess_env` returns an environment with
  ``TRACEPARENT``, ``TRACESTATE`` and ``BAGGAGE``; the child continues with
  ``agentlog.run(parent=extract(os.environ))``.

The run's correlation travels in ``baggage`` as ``agentlog.run_id``,
``agentlog.session_id`` and ``agentlog.request_id``; nothing else of yours
(no user ID, no metadata) unless you allow it, and to HTTP destinations only
where the propagation targets allow it (``configure(propagation_targets=...)``;
by default this machine and private networks). Malformed or hostile headers
never raise: without a valid ``traceparent`` the run starts a fresh trace
(keeping the session and request IDs and the baggage a carrier holds); an
inbound carrier never sets a run's ``user_id``.

agentlog follows W3C Trace Context as its current drafts (Level 2, Level 3
editor's draft) define it, and W3C Baggage.
"""

from .carriers import BAGGAGE_PREFIX as BAGGAGE_PREFIX  # the baggage keys' prefix, as before
from .carriers import (
    RemoteParent,
    baggage_allowed,
    extract,
    headers,
    inject,
    subprocess_env,
)
from .client_spans import ClientSpan, client_span
from .targets import DEFAULT_PROPAGATION_TARGETS
from .threads import ThreadPoolExecutor, wrap

__all__ = [
    "DEFAULT_PROPAGATION_TARGETS",
    "ClientSpan",
    "RemoteParent",
    "ThreadPoolExecutor",
    "baggage_allowed",
    "client_span",
    "extract",
    "headers",
    "inject",
    "subprocess_env",
    "wrap",
]
