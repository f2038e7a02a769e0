"""Checking lines against the published JSON Schema, line by line.

Every line that is not blank is checked, in every profile: it is read back
to the flat form first, which is what the schema describes. The check needs
the optional ``jsonschema`` package (``python3 -m pip install jsonschema``),
imported only when a check runs, so the rest of the explorer works without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agentlog._schema import event_schema

from . import reader
from .reader import numbered_lines, parse
from .text import safe

__all__ = ["JsonschemaMissingError", "Validation", "validate"]


class JsonschemaMissingError(Exception):
    """``jsonschema`` cannot be imported: the ``validate`` extra is not installed."""


@dataclass
class Validation:
    """What checking found: lines checked, lines invalid, and the first problems."""

    checked: int = 0
    invalid: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {"checked": self.checked, "invalid": self.invalid, "errors": self.errors}

    def as_text(self) -> str:
        """The problems, one per line, then the totals."""
        return "\n".join([*self.errors, f"{self.checked} lines checked, {self.invalid} invalid"])


def validate(inputs: Iterable[str], max_errors: int = 20) -> Validation:
    """Check every line of *inputs* against the schema.

    Args:
        inputs: Files, directories, ``.gz`` files, or ``-`` for stdin.
        max_errors: How many problems to describe (all are counted). Each
            reads ``file:line: where: what``, the file name and the logged
            text made safe to print. A line longer than `reader.MAX_LINE_BYTES` is
            invalid, unread.

    Raises:
        JsonschemaMissingError: ``jsonschema`` cannot be imported.
        OSError: A file could not be opened or read.
    """
    try:
        import jsonschema  # an optional extra: see the module's docstring
    except ImportError as exc:
        raise JsonschemaMissingError(str(exc)) from exc

    validator = jsonschema.Draft202012Validator(event_schema())
    result = Validation()
    for name, number, raw in numbered_lines(inputs):
        result.checked += 1
        problem: str | None
        if raw is None:
            line, problem = None, f"longer than {reader.MAX_LINE_BYTES / (1024 * 1024):g} MiB: not checked"
        else:
            line = parse(raw)
            problem = "not an agentlog JSON line" if line is None else None
        if line is not None:
            error = jsonschema.exceptions.best_match(validator.iter_errors(line))
            if error is not None:
                where = "/".join(str(part) for part in error.absolute_path) or "(line)"
                problem = f"{where}: {error.message}"
        if problem is not None:
            result.invalid += 1
            if len(result.errors) < max_errors:
                result.errors.append(f"{safe(name)}:{number}: {safe(problem, 200)}")
    return result
