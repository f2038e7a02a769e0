"""Ready-made integrations; each imports its library only when used.

* `agentlog.integrations.httpx` — propagation on httpx (and httpx2) clients,
  the transport of the OpenAI and Anthropic SDKs;
* `agentlog.integrations.requests` — propagation on requests sessions;
* `agentlog.integrations.asgi` — a middleware that runs each request as a
  (child) run;
* `agentlog.integrations.wsgi` — the same for WSGI applications.

Agent frameworks, each with ``instrument()`` / ``uninstrument()`` and an
extra of the same name (one framework run = one agentlog run):

* `agentlog.integrations.openai_agents` — the OpenAI Agents SDK;
* `agentlog.integrations.langchain` — LangChain and LangGraph;
* `agentlog.integrations.pydantic_ai` — PydanticAI;
* `agentlog.integrations.otel_genai` — any library emitting OpenTelemetry
  GenAI spans;
* `agentlog.integrations.google_adk` — Google ADK;
* `agentlog.integrations.strands` — Strands Agents;
* `agentlog.integrations.smolagents` — smolagents;
* `agentlog.integrations.llama_index` — LlamaIndex.
"""

__all__: list[str] = []
