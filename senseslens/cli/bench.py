"""``senseslens bench``: run every registered benchmark, print ratios, write one JSON object."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("bench", help="run the performance benchmarks (senseslens.bench)",
                              description="Run every module of senseslens.bench and write one JSON object "
                                          "keyed by benchmark name; each entry has at least 'value'.")
    add_arguments(p)
    p.set_defaults(func=run)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="small sizes (about a minute per module)")
    p.add_argument("--out", default=None, help="write the JSON results here")
    p.add_argument("--only", nargs="+", default=None, metavar="MODULE",
                   help="run only these modules of senseslens.bench (e.g. extract probes)")


def run(args: argparse.Namespace) -> int:
    import torch

    from ..bench import run_and_report

    torch.set_num_threads(1)
    results = run_and_report(quick=args.quick, out=args.out, only=args.only)
    return 1 if any(e.get("error") for e in results.values()) else 0
