"""The layout is the architecture: each layer imports only the ones beneath it.

The writer flows one way — context → events → pipeline → formats → outputs,
with privacy beside the pipeline and propagation and OpenTelemetry at the
edge — and the explorer stands apart, reading lines without the runtime that
writes them. These tests read the imports from the source, so a dependency
against the flow fails here before it tangles the house.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "agentlog"

# Lower layers never import higher ones; a part may import its own layer.
LAYERS: dict[str, int] = {
    "_vocabulary": 0,
    "_diagnostics": 0,
    "_serialize": 0,
    "_schema": 0,
    "_version": 0,
    "typing": 0,
    "_context": 1,
    "_output": 1,
    "_formats": 1,
    "_genai": 1,
    "_pricing": 1,
    "_privacy": 2,
    "_otel": 2,
    "_settings": 2,
    "_pipeline": 3,
    "_events": 4,
    "_scopes": 5,
    "events": 5,
    "processors": 5,
    "propagation": 5,
    "_config": 6,
    "integrations": 6,
    "testing": 6,
    "__init__": 6,
}
APART = {"_explorer", "cli", "__main__", "_demo"}
"""The explorer, the command line and the demo: the runtime never imports them."""


def _part(module: str) -> str:
    """``agentlog._pipeline.line`` → ``_pipeline``; ``agentlog`` → ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_imports(path: Path) -> set[str]:
    """Modules imported when *path* is imported (not under TYPE_CHECKING, not inside functions)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for child in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) else ():
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - child.level + 1]
                    module = ".".join([*base, child.module] if child.module else base)
                else:
                    module = child.module or ""
                found.add(module)
                found.update(f"{module}.{alias.name}" for alias in child.names)
    return {name for name in found if name == "agentlog" or name.startswith("agentlog.")}


def _existing(name: str) -> bool:
    relative = Path(*name.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative / "__init__.py").exists()


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_part_has_a_place() -> None:
    """Each top-level module and package of agentlog is placed in a layer or set apart."""
    parts = {_part(_module_name(path)) for path in SOURCES}
    assert parts == set(LAYERS) | APART


@pytest.mark.parametrize("path", [p for p in SOURCES if _part(_module_name(p)) in LAYERS], ids=str)
def test_runtime_imports_follow_the_layers(path: Path) -> None:
    """A runtime module imports only its own layer and those beneath it, never the explorer."""
    own = _part(_module_name(path))
    for name in _runtime_imports(path):
        if name == "agentlog" or not _existing(name):
            continue  # the package itself, or a name imported from a module
        other = _part(name)
        assert other not in APART, f"{path.name} imports {name}"
        assert LAYERS[other] <= LAYERS[own], f"{own} (layer {LAYERS[own]}) imports {name}"


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys; print('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(result.stdout.split())


RUNTIME = {"structlog", "agentlog._pipeline", "agentlog._scopes", "agentlog._events", "agentlog._context"}


def test_importing_agentlog_loads_nothing_else() -> None:
    """``import agentlog`` loads no part of the runtime and not structlog: names load on first use."""
    loaded = _loaded_after("import agentlog")
    assert {m for m in loaded if m.startswith("agentlog.")} == {"agentlog._version"}
    assert "structlog" not in loaded


def test_the_explorer_runs_without_the_logging_runtime(tmp_path: Path) -> None:
    """`agentlog runs` reads a log without loading structlog or any part of the writer."""
    log = tmp_path / "a.jsonl"
    log.write_text(
        '{"timestamp":"2026-12-01T03:14:00.000000Z","level":"info","event":"run_started",'
        '"run_id":"6f1c2b9e-8d3a-4c1e-9b7a-2e5d4c3b2a10","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}\n'
    )
    loaded = _loaded_after(f"from agentlog.cli import main; main(['runs', {str(log)!r}, '--json'])")
    assert "agentlog._explorer.runs" in loaded
    assert not RUNTIME & loaded
