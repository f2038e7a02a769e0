"""The pipeline: how one event becomes one written line.

Three front doors — typed events (`agentlog._events`), structlog loggers
(``logger``) and stdlib records (``stdlib``) — meet in one function,
``line.assemble``, which adds the timestamp, level, static fields and IDs,
redacts, and renders with the output profile (`agentlog._formats`). The
settings' writer (`agentlog._output`) then writes the bytes. ``clock`` makes
the timestamps, ``errors`` turns exceptions into fields.
"""

__all__: list[str] = []
