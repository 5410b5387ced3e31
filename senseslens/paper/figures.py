"""The paper's figures redrawn from its published tables with senseslens' figure functions.

Run ``python -m senseslens.paper.figures --out figures/paper`` to write
``behavior_cells.png``, ``probe_vs_behavior.png`` and ``pgla_delta.png``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from matplotlib.axes import Axes

from senseslens.figures import plot_cells, plot_pgla_delta, plot_probe_vs_behavior
from senseslens.paper.behavior import behavior_table
from senseslens.paper.pgla import pgla_table
from senseslens.paper.probes import probe_table
from senseslens.paper.provenance import PAPER

__all__ = [
    "draw_behavior_cells",
    "draw_probe_vs_behavior",
    "draw_pgla_delta",
    "FIGURES",
    "write_all",
    "main",
]

_CAPTION = f"Published numbers: {PAPER.title}, arXiv {PAPER.arxiv_id}"


def _caption(ax: Axes, extra: str = "") -> None:
    text = _CAPTION + (f" · {extra}" if extra else "")
    ax.figure.supxlabel(text, fontsize=6.5, color="#666666", x=0.01, ha="left")


def draw_behavior_cells(ax: Axes | None = None) -> Axes:
    """Accuracy per cell for the 9 models and the human reference (percent)."""
    ax = plot_cells(behavior_table(), ax=ax,
                    title="IMAVB accuracy per cell (%), 500 items per cell; line = Bal")
    _caption(ax, "human: 1 person, 50 clips")
    return ax


def draw_probe_vs_behavior(ax: Axes | None = None) -> Axes:
    """Probe accuracy at l* versus reject rate, with residualised and text-only controls."""
    ax = plot_probe_vs_behavior(
        probe_table(), ax=ax,
        title="Probe accuracy at peak layer vs. rejection of the false premise (%)",
    )
    _caption(ax, "text-only and majority markers are model-independent")
    return ax


def draw_pgla_delta(ax: Axes | None = None) -> Axes:
    """ΔBal of PGLA per model (unconstrained) and the 8-model averages per budget."""
    ax = plot_pgla_delta(pgla_table(), ax=ax,
                         title="PGLA: change in balanced accuracy (percentage points)")
    _caption(ax, "per-model ΔBal published for the unconstrained budget only")
    return ax


#: file stem → drawing function.
FIGURES: dict[str, Callable[[Axes | None], Axes]] = {
    "behavior_cells": draw_behavior_cells,
    "probe_vs_behavior": draw_probe_vs_behavior,
    "pgla_delta": draw_pgla_delta,
}


def write_all(out: str | Path, *, dpi: int = 100) -> list[Path]:
    """Draw every figure of :data:`FIGURES` into ``out/<stem>.png``; return the paths."""
    import matplotlib.pyplot as plt

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, draw in FIGURES.items():
        ax = draw(None)
        path = out_dir / f"{stem}.png"
        ax.figure.savefig(path, dpi=dpi, metadata={"Software": None})
        plt.close(ax.figure)
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: ``python -m senseslens.paper.figures --out DIR [--dpi N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m senseslens.paper.figures",
        description="Redraw the published figures of 'Senses Wide Shut' as PNG files.",
    )
    parser.add_argument("--out", default="figures/paper", help="output folder")
    parser.add_argument("--dpi", type=int, default=100, help="resolution (dots per inch)")
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    for path in write_all(args.out, dpi=args.dpi):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
