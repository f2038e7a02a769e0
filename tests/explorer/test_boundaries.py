"""What the explorer may import, checked by reading its source.

The explorer reads log files back; it must not depend on the logging runtime
that writes them (structlog, the pipeline, the scopes, the formats), so the
two can change independently and a reader of the explorer finds everything it
uses in one place. It may use the standard library, orjson, the shared words of
a line (`agentlog._vocabulary`), the published schema (`agentlog._schema`) and
its own modules; ``jsonschema`` is an optional extra, so only `validate` may
import it, and only inside a function. ``agentlog.cli`` is held to the same
rule at import time; it reaches the runtime only through the demo, lazily.

The check parses the source (ast) rather than importing it, because importing
any ``agentlog`` module runs ``agentlog/__init__.py``, which loads the runtime
anyway.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import agentlog

PACKAGE = Path(agentlog.__file__).resolve().parent
EXPLORER = PACKAGE / "_explorer"
ALLOWED_AGENTLOG = {"agentlog._vocabulary", "agentlog._schema", "agentlog._version", "agentlog._explorer"}
ALLOWED_THIRD_PARTY = {"orjson"}
# The one-way flow: a module may import only modules before it here.
ORDER = [
    "times",
    "values",
    "significance",
    "profiles",
    "reader",
    "typed",
    "filters",
    "runs",
    "follow",
    "tree",
    "diff",
    "stats",
    "facts",
    "text",
    "groups",
    "slo",
    "compare",
    "views",
    "html",
    "validate",
]


def _is_module(name: str) -> bool:
    """Whether *name* is a module or package of agentlog's source tree."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _module_name(path: Path) -> str:
    """The dotted name of the module at *path* (a package's name for its ``__init__.py``)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(modules imported at module level, modules imported inside functions) by the file at *path*."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return _imports_of(path.read_text("utf-8"), package)


def _imports_of(source: str, package: str) -> tuple[set[str], set[str]]:
    """What `_imports` says of *source*, a module of *package*."""
    tree = ast.parse(source)
    top: set[str] = set()
    lazy: set[str] = set()
    nested = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(function)
    }
    for node in ast.walk(tree):
        found: list[str] = []
        if isinstance(node, ast.Import):
            found = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            # `from . import reader` or `from agentlog import _formats` names a module, not a value.
            found = [
                f"{module}.{alias.name}" if _is_module(f"{module}.{alias.name}") else module
                for alias in node.names
            ]
        (lazy if id(node) in nested else top).update(found)
    return top, lazy


def _allowed(module: str) -> bool:
    """Whether the explorer may import *module*."""
    root = module.partition(".")[0]
    if root == "agentlog":
        return module in ALLOWED_AGENTLOG or module.startswith("agentlog._explorer.")
    return root in sys.stdlib_module_names or root in ALLOWED_THIRD_PARTY


EXPLORER_FILES = sorted(EXPLORER.glob("*.py"))
MODULE_FILES = [path for path in EXPLORER_FILES if path.stem != "__init__"]


def test_the_explorer_modules_are_all_checked() -> None:
    """Every module of the one-way order exists, and no module is missing from it."""
    assert {path.stem for path in EXPLORER_FILES} == {"__init__", *ORDER}


@pytest.mark.parametrize("path", EXPLORER_FILES, ids=[path.stem for path in EXPLORER_FILES])
def test_explorer_module_imports_only_allowed_modules(path: Path) -> None:
    """No explorer module imports structlog or the runtime, at module level or inside a function."""
    top, lazy = _imports(path)
    if path.stem == "validate":
        assert "jsonschema" in lazy, "validate checks lines with jsonschema, imported when it runs"
        lazy = lazy - {"jsonschema"}
    assert {module for module in top | lazy if not _allowed(module)} == set()


def test_only_validate_imports_jsonschema() -> None:
    """The optional jsonschema: only validate imports it, and only inside a function."""
    for path in EXPLORER_FILES:
        top, lazy = _imports(path)
        assert "jsonschema" not in top, path.name
        if path.stem != "validate":
            assert "jsonschema" not in lazy, path.name


@pytest.mark.parametrize("path", MODULE_FILES, ids=[path.stem for path in MODULE_FILES])
def test_data_flows_one_way(path: Path) -> None:
    """An explorer module imports only modules before it in reader → model → reports order."""
    top, lazy = _imports(path)
    own = {module.rpartition(".")[2] for module in top | lazy if module.startswith("agentlog._explorer.")}
    earlier = set(ORDER[: ORDER.index(path.stem)])
    assert own - earlier == set()


def test_cli_imports_only_the_explorer_at_import_time() -> None:
    """`agentlog.cli` loads no runtime on import; only the demo, imported lazily, reaches it."""
    top, lazy = _imports(PACKAGE / "cli.py")
    assert {module for module in top if not _allowed(module)} == set()
    assert {module for module in lazy if not _allowed(module)} == {"agentlog._demo"}


def test_the_import_reader_sees_relative_and_lazy_imports() -> None:
    """The checker itself: relative imports resolve to full names, function-level ones count as lazy."""
    top, _ = _imports(EXPLORER / "reader.py")
    assert {"agentlog._explorer.profiles", "agentlog._vocabulary", "orjson", "gzip"} <= top
    _, validate_lazy = _imports(EXPLORER / "validate.py")
    assert "jsonschema" in validate_lazy
    assert not _allowed("structlog") and not _allowed("agentlog._formats") and not _allowed("agentlog")


def test_the_import_reader_resolves_from_agentlog_import() -> None:
    """`from agentlog import cli` is seen as importing agentlog.cli, which is refused."""
    source = "from agentlog import cli, _schema\nfrom . import tree\n\ndef f():\n    import structlog\n"
    top, lazy = _imports_of(source, "agentlog._explorer")
    assert top == {"agentlog.cli", "agentlog._schema", "agentlog._explorer.tree"}
    assert lazy == {"structlog"}
    assert [module for module in sorted(top | lazy) if not _allowed(module)] == ["agentlog.cli", "structlog"]
