"""``senseslens organism train --seed S --out DIR [--steps N]``: train the model organism."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``organism`` command (with its ``train`` subcommand) to ``subparsers``."""
    p = subparsers.add_parser("organism", help="train the senseslens model organism")
    sub = p.add_subparsers(dest="organism_command", required=True)
    t = sub.add_parser("train", help="train one organism (two stages, deterministic for a seed)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", type=Path, required=True, help="folder for model, processor and training curve")
    t.add_argument("--steps", type=int, default=None,
                   help="total steps, split over the stages in the recipe's proportions (default: the shipped recipe)")
    t.add_argument("--clips", type=int, default=None, help="training pool size in clips (default: the recipe's)")
    t.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    t.set_defaults(func=run_train)
    return p


def register(subparsers: argparse._SubParsersAction) -> None:
    """Register ``organism`` with the top-level CLI."""
    add_parser(subparsers)


def scaled_steps(recipe, total: int) -> dict[str, int]:
    """Stage step counts scaled to sum to about ``total``, keeping the recipe's proportions."""
    names = ("steps_micro", "steps0", "steps1", "steps2")
    full = sum(getattr(recipe, n) for n in names)
    return {n: int(round(getattr(recipe, n) * total / full)) for n in names}


def run_train(args: argparse.Namespace) -> int:
    from ..organism.train import Recipe, train

    kw: dict = {"seed": args.seed}
    if args.steps is not None:
        kw.update(scaled_steps(Recipe(), args.steps))
    if args.clips is not None:
        kw["n_clips"] = args.clips
    train(Recipe(**kw), out=args.out, progress=not args.no_progress)
    print(f"saved to {args.out}")
    return 0
