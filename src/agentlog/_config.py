"""One-call configuration: validate, build one `Settings`, install it, wire structlog and stdlib."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import IO, Any

import structlog

from . import _diagnostics, _settings
from ._context import CURRENT
from ._diagnostics import notice
from ._events.frames import forget_open_runs
from ._formats import profile_named
from ._genai import CONTENT_ENV, content_setting
from ._otel import Bridge
from ._output import make_writer
from ._pipeline.chain import compose
from ._pipeline.logger import BoundLogger, finish_line, follow_level, sink_factory
from ._pipeline.stdlib import install_handler, remove_handler
from ._pricing import ModelPrice, PriceTable, preload, price_table
from ._privacy.capture import DEFAULT_LIMIT, CapturePolicy
from ._privacy.hashing import Hasher, from_environment
from ._privacy.redactor import DEFAULT as DEFAULT_REDACTOR
from ._privacy.redactor import Redactor
from ._privacy.secret_memory import MEMORY
from ._serialize import safe_repr
from ._settings import MAX_LINE_BYTES, MIN_LINE_BYTES, Settings, static_fields
from ._vocabulary import LEVEL_ALIASES, LEVELS
from .propagation.targets import PropagationTargets, Target
from .typing import Format, Level, Processor

__all__ = ["configure", "parse_level", "reset"]


def parse_level(level: Level) -> int:
    """Return the numeric level for a name (any case) or a number.

    Raises:
        ValueError: *level* is not a known name or a non-negative int.
    """
    if isinstance(level, bool):
        raise ValueError(f"invalid level {level!r}")
    if isinstance(level, int):
        if level < 0:
            raise ValueError(f"invalid level {level!r}")
        return level
    if isinstance(level, str):
        name = level.strip().lower()
        number = LEVELS.get(name) if name != "warn" else LEVELS[LEVEL_ALIASES[name]]
        if number is not None:
            return number
    names = ", ".join(LEVELS)
    raise ValueError(f"invalid level {level!r}; use one of {names} or a number")


def _line_limit(value: object) -> int:
    if type(value) is not int:
        raise TypeError(f"max_line_bytes must be an int, not {type(value).__name__}")
    if value < MIN_LINE_BYTES:
        raise ValueError(f"max_line_bytes must be at least {MIN_LINE_BYTES}, not {value}")
    return value


def configure(
    *,
    service: str | None = None,
    env: str | None = None,
    version: str | None = None,
    format: Format = "json",  # noqa: A002 - the contract's name
    output: IO[str] | IO[bytes] | str | os.PathLike[str] | None = None,
    level: Level = "info",
    capture: str | Mapping[str, str] | None = None,
    hash_key: str | bytes | None = None,
    stdlib: bool = True,
    redactor: Redactor | None = None,
    capture_limit: int = DEFAULT_LIMIT,
    otel_spans: bool = False,
    tracer_provider: Any = None,
    processors: Iterable[Processor] | None = None,
    propagation_targets: Iterable[Target] | Target | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
    prices: PriceTable | Mapping[str, ModelPrice | Mapping[str, Any]] | bool | None = None,
) -> None:
    """Configure agentlog (and structlog, and stdlib logging) once at startup.

    Every line written afterwards — typed events, structlog loggers,
    stdlib ``logging`` records — goes through one pipeline: the IDs in force,
    level, UTC timestamp and the static fields are added, the profile
    renders it, and the output receives it with one write per line.

    Calling it again replaces the configuration; loggers already created
    follow the new one.

    Args:
        service: Written as ``service`` on every line.
        env: Written as ``env`` on every line.
        version: Written as ``version`` on every line.
        format: ``"json"`` (one JSON object per line), ``"ecs"`` (Elastic
            Common Schema), ``"datadog"`` (Datadog's attributes) or
            ``"console"`` (readable, for local development).
        output: None for ``sys.stdout`` (looked up at each write), a text or
            binary stream, or a file path (appended to, created if missing).
        level: The lowest level of the free-form lines written (structlog
            and stdlib): a name (``"debug"`` … ``"critical"``) or a stdlib
            number. Typed events are the run's skeleton and are written
            whatever the level.
        capture: What of tool arguments and results, tasks, prompts and
            completions is written: ``"hash"`` (hash and size only, the
            default), ``"redacted"`` (also the value, with secrets, emails and
            phone numbers replaced), ``"full"`` (also the value, with secrets
            replaced), ``"none"`` (size only). A mapping sets modes per tool
            name, with ``"*"`` for everything else. When None,
            ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` decides
            (``true``, ``EVENT_ONLY`` or ``SPAN_AND_EVENT``: ``"full"``),
            else ``"hash"``; that variable also decides whether spans carry
            content (see docs/opentelemetry.md).
        hash_key: A secret that makes every hash keyed (HMAC-SHA256), so
            low-entropy values cannot be recovered by guessing. Defaults to
            ``$AGENTLOG_HASH_KEY``; plain SHA-256 when neither is set.
        stdlib: Route the stdlib ``logging`` module (including third-party
            libraries) through agentlog: a `LogHandler` is added to the root
            logger, the root logger's level is set to *level*, and a root
            handler writing to the same output as agentlog (for example
            ``logging.basicConfig(stream=sys.stdout)`` with agentlog on
            stdout) is removed so that each record is written once — said
            once on stderr. Other handlers stay. ``stdlib=False`` leaves
            stdlib logging untouched.
        redactor: How secrets are found (extra patterns, allowed keys, a
            callback, emails and phone numbers); `Redactor()` by default.
        capture_limit: The most bytes of one captured value written.
        otel_spans: Also emit an OpenTelemetry span per run, step, tool call
            and LLM call (GenAI semantic conventions), with the very trace and
            span IDs of the log lines. Needs ``opentelemetry-api``.
        tracer_provider: The OpenTelemetry tracer provider for those spans;
            the global one when None.
        processors: structlog processors to run on every line before agentlog
            writes it. Without them, the chain you configured with
            ``structlog.configure`` is kept (minus what agentlog does itself:
            timestamp, level, exceptions, rendering); given, they replace
            it, and agentlog says so once.
        propagation_targets: Where outgoing HTTP requests may carry the run's
            baggage (session and request IDs, members from upstream): host
            names, ``.domains``, IP networks, URL prefixes, compiled regular
            expressions, or ``"*"``. None means this machine and private
            networks only; ``[]`` means nowhere. ``traceparent`` and
            ``X-Run-Id`` go to every destination.
        max_line_bytes: The largest line written, newline included (256 KiB
            by default; at least 2 KiB). A larger line has its largest
            fields cut, then its last caller fields left out
            (``fields_dropped``); the time, level, event and IDs always stay.
            16384 keeps every line whole through container log drivers that
            split longer ones (see docs/operations.md).
        prices: What each ``llm_result`` is priced with (``cost_usd``,
            ``price_source``, ``price_version``). None (the default) uses the
            table of ``genai-prices`` when installed (the ``prices`` extra);
            a mapping of model name to `ModelPrice` (or to a mapping of its
            rates) adds or overrides models, looked up first; a `PriceTable`
            also names its version and may leave the bundled table out;
            ``False`` writes no costs. A model priced by neither gets no cost
            and is counted in `agentlog.problems()`.

    Raises:
        ValueError: *format*, *level* or a capture mode is not known,
            *hash_key* is empty, a propagation target is misshapen, or
            *max_line_bytes* is under 2048, or a price is negative or not
            a number.
        ImportError: *otel_spans* is set and OpenTelemetry is not installed.
        TypeError: *output* is not a stream, a path or None; *service*,
            *env* or *version* is not a string; *processors* is not a list
            of callables; *propagation_targets* is not a list of targets;
            *max_line_bytes* is not an int; *prices* is not a table, a
            mapping of prices or a bool.
        OSError: the output file cannot be opened.
    """
    min_level = parse_level(level)
    profile = profile_named(format)
    static = static_fields(service, env, version)
    content = content_setting(os.environ)
    if not content.valid:
        _diagnostics.report(f"{CONTENT_ENV} holds a value the conventions do not define; content kept off")
    if capture is None:
        capture = "full" if content.lines else "hash"
    policy = CapturePolicy(capture, capture_limit)
    hasher = from_environment() if hash_key is None else Hasher(hash_key)
    user_chain = _users_chain(processors)
    targets = PropagationTargets(propagation_targets) if propagation_targets is not None else None
    line_limit = _line_limit(max_line_bytes)
    table = price_table(prices)
    # Opening the output comes after every check that needs no side effect.
    writer = make_writer(output)
    pre = compose(user_chain)
    chain = [*pre, finish_line]
    settings = Settings(
        min_level=min_level,
        static=static,
        profile=profile,
        writer=writer,
        redactor=redactor if redactor is not None else DEFAULT_REDACTOR,
        capture=policy,
        hasher=hasher,
        otel=Bridge(tracer_provider, service) if otel_spans else None,
        pre=pre,
        user_chain=user_chain,
        chain=chain,
        propagation_targets=targets,
        max_line_bytes=line_limit,
        span_content=content.spans,
        prices=table,
    )
    _settings.install(settings)
    preload(table)
    follow_level(min_level)
    structlog.configure(
        processors=chain,
        wrapper_class=BoundLogger,
        logger_factory=sink_factory,
        context_class=dict,
        cache_logger_on_first_use=True,
    )
    if stdlib:
        install_handler(min_level, output)
    else:
        remove_handler()


def _users_chain(given: Iterable[Processor] | None) -> tuple[Processor, ...]:
    """The structlog chain to keep: the one given, else the application's own, else none.

    When agentlog configured structlog already, the application's chain is
    the one agentlog kept then.
    """
    configured = structlog.get_config()["processors"]
    ours = any(processor is finish_line for processor in configured)
    previous = _settings.CONFIG.settings
    if given is not None:
        if isinstance(given, (str, bytes, Mapping)) or not isinstance(given, Iterable):
            raise TypeError(f"processors must be a list of structlog processors, not {type(given).__name__}")
        given = tuple(given)
        for processor in given:
            if not callable(processor):
                raise TypeError(f"processors must be callables; {safe_repr(processor)} is not")
        if structlog.is_configured() and not ours and list(configured) != list(given):
            notice(
                f"agentlog.configure(processors=...) replaces the structlog chain you configured "
                f"({len(configured)} processors)"
            )
        return given
    if ours:
        return previous.user_chain if previous is not None else ()
    return tuple(configured) if structlog.is_configured() else ()


def reset() -> None:
    """Undo `configure` and forget what the process learnt (for tests).

    agentlog defers to structlog's defaults again, stdlib logging loses
    agentlog's handler, the remembered secrets and problem counts are
    cleared, and no run is in force in the calling context any more (runs
    started by `events.run_started` and never finished are forgotten).
    """
    _settings.install(None)
    forget_open_runs()
    CURRENT.set(None)
    follow_level(0)
    structlog.reset_defaults()
    remove_handler()
    MEMORY.clear()
    _diagnostics.clear()
