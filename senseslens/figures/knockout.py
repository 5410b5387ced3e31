"""Attention-knockout curves: relative change of the answer probability per layer window."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator
from matplotlib.axes import Axes

from senseslens.figures._style import (
    MODALITY_COLORS,
    color_for,
    fraction_as_percent_axis,
    get_ax,
    require_columns,
    require_unique,
)

__all__ = ["plot_knockout_curves", "REQUIRED_COLUMNS"]

REQUIRED_COLUMNS: tuple[str, ...] = ("layer", "flow", "rel_change")
_FLOW_COLORS = {
    "image->last": MODALITY_COLORS["vision"],
    "video->last": MODALITY_COLORS["vision"],
    "audio->last": MODALITY_COLORS["audio"],
    "question->last": "#2ca02c",
    "options->last": "#9467bd",
    "image->question": "#8c564b",
    "video->question": "#8c564b",
    "audio->question": "#e377c2",
}


def plot_knockout_curves(
    df: pd.DataFrame,
    ax: Axes | None = None,
    *,
    title: str | None = "Attention knockout: relative change of answer probability",
    ci_alpha: float = 0.18,
) -> Axes:
    """One line per flow: relative change of the answer probability against layer.

    Parameters
    ----------
    df
        One row per (layer, flow). Columns:

        * ``layer`` (int) – first (or centre) decoder layer of the knocked-out window,
          0-based, as the producing analysis states;
        * ``flow`` (str) – the blocked edges, e.g. ``video->last``, ``audio->last``,
          ``question->last``;
        * ``rel_change`` (float) – (p_knockout − p_clean) / p_clean, a fraction
          (−0.4 = the probability fell by 40 %), shown as signed percent;
        * optional ``lo`` / ``hi`` – CI bounds in the same unit.

        ``df`` is not modified.
    """
    require_columns(df, REQUIRED_COLUMNS, "plot_knockout_curves")
    has_ci = "lo" in df.columns and "hi" in df.columns
    data = df.loc[:, list(REQUIRED_COLUMNS) + (["lo", "hi"] if has_ci else [])].copy()
    data["flow"] = data["flow"].astype(str)
    require_unique(data, ["layer", "flow"], "plot_knockout_curves")

    ax = get_ax(ax, figsize=(6.0, 3.6))
    flows = list(dict.fromkeys(data["flow"]))
    for flow in flows:
        part = data[data["flow"] == flow].sort_values("layer")
        colour = color_for(flow, _FLOW_COLORS, flows)
        layer = part["layer"].to_numpy(dtype=float)
        ax.plot(layer, part["rel_change"].to_numpy(dtype=float), color=colour,
                marker="o", markersize=3, linewidth=1.6, label=flow)
        if has_ci:
            lo, hi = part["lo"].to_numpy(dtype=float), part["hi"].to_numpy(dtype=float)
            ok = ~(np.isnan(lo) | np.isnan(hi))
            ax.fill_between(layer[ok], lo[ok], hi[ok], color=colour, alpha=ci_alpha,
                            linewidth=0)
    ax.axhline(0, color="#333333", linewidth=0.8)
    fraction_as_percent_axis(ax, "y", signed=True)
    ax.set_xlabel("layer (0-based decoder block; centre of the knocked-out window)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("relative change of P(answer)")
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title, fontsize="medium")
    ax.legend(fontsize="x-small", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
