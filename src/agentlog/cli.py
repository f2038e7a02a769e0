"""The ``agentlog`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agentlog", description="Debuggable logs for AI-agent runs.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="run an offline demo agent, write its JSON lines, and show the failing run",
    )
    demo.add_argument(
        "--output",
        default="agentlog-demo.jsonl",
        help="where to write the JSON lines (default: %(default)s)",
    )
    demo.add_argument("--runs", type=int, default=6, help="how many agent runs to start at once")
    demo.add_argument("--seed", type=int, default=7, help="seed for the simulated model")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``agentlog`` command line; return its exit status."""
    args = _build_parser().parse_args(argv)
    if args.command == "demo":
        from ._demo import run_demo

        return run_demo(args.output, runs=args.runs, seed=args.seed, out=sys.stdout)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
