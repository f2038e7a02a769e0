"""Ready-made integrations; each imports its library only when used.

* `agentlog.integrations.httpx` — propagation on httpx (and httpx2) clients,
  the transport of the OpenAI and Anthropic SDKs;
* `agentlog.integrations.requests` — propagation on requests sessions;
* `agentlog.integrations.asgi` — a middleware that runs each request as a
  (child) run;
* `agentlog.integrations.wsgi` — the same for WSGI applications.
"""

__all__: list[str] = []
