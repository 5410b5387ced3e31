"""The ``senseslens`` command line. Each subcommand lives in its own module."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from typing import Sequence

#: modules under senseslens.cli, each exposing ``register(subparsers)``
SUBCOMMAND_MODULES: tuple[str, ...] = ("demo", "models", "organism", "extract", "bench")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="senseslens",
        description="Interpretability for omnimodal and vision-language models: does the model see what it fails to say?",
    )
    parser.add_argument("--version", action="version", version=f"senseslens {importlib.import_module('senseslens').__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        if importlib.util.find_spec(f"senseslens.cli.{name}") is not None:
            importlib.import_module(f"senseslens.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    result = args.func(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
