"""Logit-lens curves: probability of a set of answer letters at every layer."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator
from matplotlib.axes import Axes

from senseslens.figures._style import (
    color_for,
    fraction_as_percent_axis,
    get_ax,
    require_columns,
    require_unique,
)

__all__ = ["plot_lens_curves", "REQUIRED_COLUMNS"]

REQUIRED_COLUMNS: tuple[str, ...] = ("layer", "premise", "series", "prob")
_SERIES_COLORS = {"correct": "#2f6eb5", "reject": "#d62728", "foil": "#7f7f7f"}
_PREMISE_STYLES = {"standard": "-", "misleading": "--"}


def plot_lens_curves(
    df: pd.DataFrame,
    ax: Axes | None = None,
    *,
    title: str | None = "Logit lens: probability of the letter set per layer",
    ci_alpha: float = 0.18,
) -> Axes:
    """One line per (series, premise): mean probability against layer.

    Parameters
    ----------
    df
        One row per (layer, premise, series). Columns:

        * ``layer`` (int) – decoder layer, 0-based (layer *i* is the output of block *i*);
        * ``premise`` – ``standard`` (solid) or ``misleading`` (dashed);
        * ``series`` – which letter set, e.g. ``correct`` (the gold A–D letter) or
          ``reject`` (the E/F letter of the right modality); colour per series;
        * ``prob`` – probability (fraction 0–1, shown as percent): softmax mass summed
          over every token id that spells the letters, averaged over items;
        * optional ``lo`` / ``hi`` – CI bounds in the same unit, drawn as a band.

        ``df`` is not modified.
    """
    require_columns(df, REQUIRED_COLUMNS, "plot_lens_curves")
    has_ci = "lo" in df.columns and "hi" in df.columns
    cols = list(REQUIRED_COLUMNS) + (["lo", "hi"] if has_ci else [])
    data = df.loc[:, cols].copy()
    data["premise"] = data["premise"].astype(str)
    data["series"] = data["series"].astype(str)
    require_unique(data, ["layer", "premise", "series"], "plot_lens_curves")

    ax = get_ax(ax, figsize=(6.0, 3.6))
    series = list(dict.fromkeys(data["series"]))
    premises = [p for p in _PREMISE_STYLES if p in set(data["premise"])] + [
        p for p in dict.fromkeys(data["premise"]) if p not in _PREMISE_STYLES
    ]
    extra_styles = iter([":", "-."])
    styles = {p: _PREMISE_STYLES.get(p) or next(extra_styles, ":") for p in premises}
    for s in series:
        colour = color_for(s, _SERIES_COLORS, series)
        for p in premises:
            part = data[(data["series"] == s) & (data["premise"] == p)].sort_values("layer")
            if part.empty:
                continue
            layer = part["layer"].to_numpy(dtype=float)
            ax.plot(layer, part["prob"].to_numpy(dtype=float), color=colour,
                    linestyle=styles[p], linewidth=1.8, label=f"{s} · {p}")
            if has_ci:
                lo = part["lo"].to_numpy(dtype=float)
                hi = part["hi"].to_numpy(dtype=float)
                ok = ~(np.isnan(lo) | np.isnan(hi))
                ax.fill_between(layer[ok], lo[ok], hi[ok], color=colour, alpha=ci_alpha,
                                linewidth=0)
    ax.set_xlabel("layer (0-based decoder block)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("probability")
    fraction_as_percent_axis(ax, "y")
    ymax = float(np.nanmax(data["hi"] if has_ci else data["prob"]))
    ax.set_ylim(0, max(1.0, ymax) * 1.02 if ymax > 0.5 else max(ymax * 1.15, 0.05))
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title, fontsize="medium")
    ax.legend(fontsize="x-small", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
