"""Heatmap of normalised activation-patching effects over layers and token spans."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm

from senseslens.figures._style import get_ax, require_columns, require_unique

__all__ = ["plot_patching_heatmap", "REQUIRED_COLUMNS"]

REQUIRED_COLUMNS: tuple[str, ...] = ("layer", "span", "effect")


def plot_patching_heatmap(
    df: pd.DataFrame,
    ax: Axes | None = None,
    *,
    title: str | None = "Normalised patching effect (0 = none, 1 = full)",
    cmap: str = "RdBu_r",
    vmax: float | None = None,
    annotate: bool | None = None,
    colorbar: bool = True,
) -> Axes:
    """Diverging heatmap: layer on x, span on y, colour = normalised effect, centred at 0.

    Parameters
    ----------
    df
        One row per (layer, span). Columns:

        * ``layer`` (int) – decoder layer (0-based) or start of a layer window;
        * ``span`` (str) – token span patched, e.g. ``video``, ``audio``, ``question``,
          ``last``; drawn top-down in order of first appearance;
        * ``effect`` (float) – (LD_patched − LD_corrupt) / (LD_clean − LD_corrupt),
          dimensionless: 0 = no effect, 1 = full recovery; may be negative or exceed 1.

        Missing (layer, span) combinations are left blank. ``df`` is not modified.
    vmax
        Colour limit (symmetric, ±vmax); default max(1, max |effect|).
    annotate
        Write each value into its cell; default for small grids (≤ 12 layers, ≤ 80 cells).
    """
    require_columns(df, REQUIRED_COLUMNS, "plot_patching_heatmap")
    data = df.loc[:, list(REQUIRED_COLUMNS)].copy()
    data["span"] = data["span"].astype(str)
    require_unique(data, ["layer", "span"], "plot_patching_heatmap")
    data["effect"] = pd.to_numeric(data["effect"], errors="raise").astype(float)

    spans = list(dict.fromkeys(data["span"]))
    layers = sorted(data["layer"].unique())
    grid = data.pivot(index="span", columns="layer", values="effect").reindex(
        index=spans, columns=layers
    )
    values = grid.to_numpy(dtype=float)
    limit = vmax if vmax is not None else max(1.0, float(np.nanmax(np.abs(values))))

    ax = get_ax(ax, figsize=(max(4.0, 1.5 + 0.28 * len(layers)), 1.2 + 0.45 * len(spans)))
    image = ax.imshow(np.ma.masked_invalid(values), aspect="auto", cmap=cmap,
                      norm=TwoSlopeNorm(vcenter=0.0, vmin=-limit, vmax=limit),
                      interpolation="nearest")
    ax.set_yticks(range(len(spans)))
    ax.set_yticklabels(spans)
    every = max(1, -(-len(layers) // 14))  # at most ~14 tick labels
    ax.set_xticks(range(0, len(layers), every))
    ax.set_xticklabels([str(layers[i]) for i in range(0, len(layers), every)])
    ax.set_xlabel("layer (0-based decoder block)")
    ax.set_ylabel("patched span")
    if annotate if annotate is not None else (values.size <= 80 and len(layers) <= 12):
        for (r, c), v in np.ndenumerate(values):
            if not np.isnan(v):
                ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize="xx-small",
                        color="white" if abs(v) > 0.6 * limit else "black")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="normalised effect", shrink=0.9)
    if title:
        ax.set_title(title, fontsize="medium")
    return ax
