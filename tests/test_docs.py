"""Every public name has a docstring and is shown in the docs; README and CI agree."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import agentlog
from agentlog import events, processors

ROOT = Path(__file__).resolve().parent.parent
DOCS = "\n".join(p.read_text("utf-8") for p in sorted((ROOT / "docs").glob("*.md")))

PUBLIC = [(agentlog, name) for name in agentlog.__all__ if name != "__version__"]
PUBLIC += [(events, name) for name in events.__all__]
PUBLIC += [(processors, name) for name in processors.__all__]


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=[f"{m.__name__}.{n}" for m, n in PUBLIC])
def test_public_name_is_documented(module: object, name: str) -> None:
    """The name has a docstring (functions, classes, modules) and the docs mention it."""
    obj = getattr(module, name)
    if callable(obj) or inspect.ismodule(obj):
        assert inspect.getdoc(obj), f"{name} has no docstring"
    assert name in DOCS, f"{name} is not shown in docs/"


def test_readme_opens_with_the_two_commands() -> None:
    """The README's first code block is exactly the demo command and the test command."""
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme.split("```console\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert block == [
        "python3 -m pip install . && agentlog demo",
        "python3 -m pip install nox && python3 -m nox -s tests",
    ]


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run runs the README's test command verbatim."""
    readme = (ROOT / "README.md").read_text("utf-8")
    test_command = readme.split("```console\n", 1)[1].splitlines()[1]
    assert test_command in (ROOT / ".ci" / "run").read_text("utf-8").splitlines()


def test_no_install_instruction_names_the_unpublished_package() -> None:
    """Agentlog is installed from a checkout: no page, README or message says `pip install agentlog`."""
    texts = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "src").rglob("*.py")]
    pattern = re.compile(r"pip install\s+['\"]?agentlog\b")
    offenders = [str(path) for path in texts if pattern.search(path.read_text("utf-8"))]
    assert offenders == []
