"""Accuracy in the four cells of the 2×2 design (vision/audio × standard/misleading), per model."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from senseslens.figures._style import (
    CELL_COLORS,
    CELL_HATCHES,
    CELL_LABELS,
    CELL_ORDER,
    FigureInputError,
    finish_legend,
    get_ax,
    percent_axis,
    require_columns,
    require_unique,
)

__all__ = ["plot_cells", "REQUIRED_COLUMNS"]

REQUIRED_COLUMNS: tuple[str, ...] = ("model", "cell", "accuracy_pct")


def plot_cells(
    df: pd.DataFrame,
    ax: Axes | None = None,
    *,
    title: str | None = "Accuracy per cell (%)",
    annotate_bal: bool = True,
    legend_outside: bool | None = None,
    rotate_labels: float | None = None,
) -> Axes:
    """Grouped bars: one group per model, one bar per cell, balanced accuracy as a line.

    Parameters
    ----------
    df
        Long format, one row per (model, cell). Columns:

        * ``model`` (str) – group label, drawn in order of first appearance;
        * ``cell`` (str) – ``std_v``, ``std_a``, ``mis_v``, ``mis_a``; the optional
          ``bal`` row (balanced accuracy) is drawn as a black segment across the
          group with its value written above it;
        * ``accuracy_pct`` (float) – accuracy in percent, 0–100. NaN bars are skipped.

        Other columns are ignored. ``df`` is not modified.
    ax
        Axes to draw on; a new figure is made when omitted.
    title
        Axes title (``None`` for none).
    annotate_bal
        Write the balanced accuracy value next to its segment.
    legend_outside
        Legend right of the axes; default: outside when more than 3 models.
    rotate_labels
        Rotation of the model labels in degrees; default 0 for ≤ 4 models, else 30.

    Returns
    -------
    matplotlib.axes.Axes
    """
    require_columns(df, REQUIRED_COLUMNS, "plot_cells")
    data = df.loc[:, list(REQUIRED_COLUMNS)].copy()
    data["cell"] = data["cell"].astype(str)
    unknown = sorted(set(data["cell"]) - set(CELL_ORDER) - {"bal"})
    if unknown:
        raise FigureInputError(
            f"plot_cells: unknown cell name(s) {unknown}; use {list(CELL_ORDER)} and "
            "optionally 'bal'."
        )
    require_unique(data, ["model", "cell"], "plot_cells")
    data["accuracy_pct"] = pd.to_numeric(data["accuracy_pct"], errors="raise").astype(float)

    models = list(dict.fromkeys(data["model"].astype(str)))
    data["model"] = data["model"].astype(str)
    cells = [c for c in CELL_ORDER if c in set(data["cell"])]
    n_models, n_cells = len(models), max(len(cells), 1)
    table = data.pivot(index="model", columns="cell", values="accuracy_pct").reindex(models)

    ax = get_ax(ax, figsize=(max(4.5, 1.0 + 1.05 * n_models), 3.6))
    x = np.arange(n_models, dtype=float)
    group = 0.8
    width = group / n_cells
    for j, cell in enumerate(cells):
        offs = -group / 2 + width * (j + 0.5)
        vals = table[cell].to_numpy(dtype=float)
        ok = ~np.isnan(vals)
        ax.bar(
            x[ok] + offs, vals[ok], width=width * 0.95,
            hatch=CELL_HATCHES[cell],
            edgecolor="white" if not CELL_HATCHES[cell] else CELL_COLORS[cell],
            facecolor=CELL_COLORS[cell] if not CELL_HATCHES[cell] else "white",
            linewidth=0.8, label=CELL_LABELS[cell], zorder=2,
        )
        if n_models <= 3:  # few groups: label every bar, so a 0% cell reads as 0, not as missing
            for xi, v in zip(x[ok] + offs, vals[ok]):
                ax.annotate(f"{v:.0f}", (xi, v), xytext=(0, 1), textcoords="offset points",
                            fontsize="xx-small", ha="center", va="bottom", zorder=4)

    if "bal" in table.columns:
        bal = table["bal"].to_numpy(dtype=float)
        for xi, b in zip(x, bal):
            if np.isnan(b):
                continue
            ax.hlines(b, xi - group / 2, xi + group / 2, colors=CELL_COLORS["bal"],
                      linewidth=2.0, zorder=3)
            if annotate_bal:
                ax.annotate(f"{b:.1f}", (xi, b), xytext=(0, 2), textcoords="offset points",
                            fontsize="x-small", ha="center", va="bottom",
                            color=CELL_COLORS["bal"], zorder=4,
                            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white",
                                  "edgecolor": "none", "alpha": 0.8})
        ax.add_line(Line2D([], [], color=CELL_COLORS["bal"], linewidth=2.0,
                           label=CELL_LABELS["bal"]))

    ax.set_xticks(x)
    rot = rotate_labels if rotate_labels is not None else (0 if n_models <= 4 else 30)
    ax.set_xticklabels(models, rotation=rot, ha="right" if rot else "center")
    ax.set_xlim(-0.6, n_models - 0.4)
    percent_axis(ax, "y", (0, 100))
    ax.set_ylabel("accuracy (%)")
    ax.grid(axis="y", alpha=0.3, zorder=0)
    ax.set_axisbelow(True)
    if title:
        ax.set_title(title)
    outside = legend_outside if legend_outside is not None else n_models > 3
    # A legend inside a bar chart would hide bars: use the outside slot or the top margin.
    if outside:
        finish_legend(ax, outside=True)
    else:
        ax.set_ylim(0, 125)
        ax.set_yticks(range(0, 101, 20))
        finish_legend(ax, outside=False, loc="upper center", ncol=3)
    return ax

