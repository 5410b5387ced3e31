"""``senseslens models``: the supported-architecture table."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("models", help="list supported architectures and their status")
    p.add_argument("--markdown", action="store_true", help="print a markdown table")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ..models.registry import supported_architectures

    table = supported_architectures()
    print(table.to_markdown(index=False) if args.markdown and _has_tabulate() else table.to_string(index=False))
    return 0


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True
