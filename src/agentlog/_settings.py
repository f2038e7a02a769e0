"""All of agentlog's configuration in one immutable value, and the one place it is held.

`agentlog.configure` validates its arguments, builds one `Settings` and
installs it with a single assignment, so a line written while another thread
reconfigures sees either the old settings or the new ones, never a mix.
Every emitter reads the holder once per line.

Before `agentlog.configure` nothing is installed: typed events then go to the
application's own structlog configuration, and whatever needs settings uses
`defaults` (JSON to stdout, hashing as ``$AGENTLOG_HASH_KEY`` says).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._pricing import BUNDLED_ONLY, PriceTable
from ._vocabulary import STATIC_FIELDS

MAX_LINE_BYTES = 256 * 1024
"""The largest line written by default, newline included: more than log shippers reject."""
MIN_LINE_BYTES = 2048
"""The smallest line limit allowed: room for the time, level, event and every ID."""

if TYPE_CHECKING:
    from ._formats import Profile
    from ._otel import Bridge
    from ._output import Writer
    from ._privacy.capture import CapturePolicy
    from ._privacy.hashing import Hasher
    from ._privacy.redactor import Redactor
    from .propagation.targets import PropagationTargets

__all__ = ["CONFIG", "Settings", "current", "defaults", "install", "static_fields"]


@dataclass(frozen=True, slots=True)
class Settings:
    """One configuration of agentlog, never changed once built.

    Attributes:
        min_level: Lines below this stdlib level are not written.
        static: Fields written on every line (service, env, version).
        profile: How a line becomes output bytes.
        writer: Where finished lines go.
        redactor: What replaces secrets.
        capture: What of arguments, results, prompts and completions is written.
        hasher: How payloads and tasks are hashed (plain or keyed).
        otel: The OpenTelemetry bridge emitting spans, or None when spans are off.
        pre: The structlog processors run on every line before agentlog writes
            it: the merge of ``structlog.contextvars``, then yours.
        user_chain: Your structlog chain as you configured it (kept when
            agentlog is configured again).
        chain: The processor list structlog is configured with (``pre`` and
            agentlog's finisher); agentlog's loggers share it, so
            ``structlog.testing.capture_logs`` sees their lines.
        max_line_bytes: The largest line written, newline included.
        propagation_targets: Where outgoing requests may carry baggage;
            None for the default targets (this machine, private networks).
        span_content: Content (prompts, completions, arguments, results) on
            spans: None where the lines have it, True also where they keep
            only a hash, False never (from
            ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``).
        prices: What LLM calls are priced with; None when costs are off.
    """

    min_level: int
    static: Mapping[str, Any]
    profile: Profile
    writer: Writer
    redactor: Redactor
    capture: CapturePolicy
    hasher: Hasher
    otel: Bridge | None = None
    pre: tuple[Any, ...] = ()
    user_chain: tuple[Any, ...] = ()
    chain: list[Any] | None = None
    propagation_targets: PropagationTargets | None = None
    max_line_bytes: int = MAX_LINE_BYTES
    span_content: bool | None = None
    prices: PriceTable | None = BUNDLED_ONLY
    direct: bool = dataclasses.field(init=False, default=False)
    """No processor of the user's and the json profile: a typed event's line needs no chain or mapping."""

    def __post_init__(self) -> None:
        plain = self.profile.transform is None and self.profile.name == "json"
        object.__setattr__(self, "direct", plain and len(self.pre) <= 1)


def static_fields(service: str | None, env: str | None, version: str | None) -> dict[str, str]:
    """The fields written on every line, those that are given, in line order.

    Raises:
        TypeError: one is given and is not a string.
    """
    given = (service, env, version)
    for name, value in zip(STATIC_FIELDS, given, strict=True):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a string or None, not {type(value).__name__}")
    return {name: value for name, value in zip(STATIC_FIELDS, given, strict=True) if value is not None}


class _Holder:
    """The one place the installed settings live (None before configure)."""

    __slots__ = ("settings",)

    def __init__(self) -> None:
        self.settings: Settings | None = None


CONFIG = _Holder()
_defaults: list[Settings] = []


def install(settings: Settings | None) -> None:
    """Make *settings* the ones every emitter uses from now on (None: not configured)."""
    CONFIG.settings = settings
    if settings is None:
        _defaults.clear()  # read $AGENTLOG_HASH_KEY again


def current() -> Settings:
    """The installed settings, or the defaults before `agentlog.configure`."""
    return CONFIG.settings or defaults()


def defaults() -> Settings:
    """The settings in force before `agentlog.configure`: JSON lines to stdout at level info."""
    if not _defaults:
        # Imported here, not above: these modules read the settings back.
        from ._formats import PROFILES
        from ._output import make_writer
        from ._pipeline.chain import merge_bound_contextvars
        from ._privacy.capture import CapturePolicy
        from ._privacy.hashing import from_environment
        from ._privacy.redactor import DEFAULT
        from ._vocabulary import INFO

        _defaults.append(
            Settings(
                min_level=INFO,
                static={},
                profile=PROFILES["json"],
                writer=make_writer(None),
                redactor=DEFAULT,
                capture=CapturePolicy(),
                hasher=from_environment(),
                pre=(merge_bound_contextvars,),
            )
        )
    return _defaults[0]
