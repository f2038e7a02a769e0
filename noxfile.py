"""Project tasks: ``nox -s tests``, ``lint``, ``typecheck``, ``docs``, ``demo``."""

from __future__ import annotations

import os
import shutil

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "docs"]
nox.options.reuse_existing_virtualenvs = True


def _install_chromium(session: nox.Session) -> None:
    """The explorer's HTML test renders in Debian's chromium; install it where we may."""
    if shutil.which("chromium") or not shutil.which("apt-get") or os.geteuid() != 0:
        return
    session.run("apt-get", "update", "-qq", external=True)
    session.run("apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", external=True)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite."""
    _install_chromium(session)
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style and common bugs with ruff."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", "src", "tests", "examples", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "examples", "benchmarks", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Check types with mypy --strict."""
    session.install("-e", ".[typecheck]", "nox")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation; any warning fails the build."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark agentlog against its peers in one process (see docs/performance.md)."""
    if not shutil.which("jq") and shutil.which("apt-get") and os.geteuid() == 0:
        session.run("apt-get", "install", "-y", "-qq", "jq", external=True)
    session.install("-e", ".[bench]")
    session.run(
        "python", "benchmarks/bench.py", *session.posargs, env={"BENCH_JSON": "benchmarks/results.json"}
    )
    session.run("python", "benchmarks/publish.py")  # the docs' and README's figures, from that one run


@nox.session
def demo(session: nox.Session) -> None:
    """Run the offline demo agent."""
    session.install("-e", ".")
    session.run("agentlog", "demo", *session.posargs)
