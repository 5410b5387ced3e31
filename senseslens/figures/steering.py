"""Steering along a direction: how much of the gap closes, and at what false-rejection cost."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from senseslens.figures._style import (
    METHOD_COLORS,
    color_for,
    fraction_as_percent_axis,
    get_ax,
    require_columns,
    require_unique,
)

__all__ = ["plot_steering_closure", "REQUIRED_COLUMNS"]

REQUIRED_COLUMNS: tuple[str, ...] = ("alpha", "method", "closure", "false_reject")
_METHOD_ORDER = ("probe", "random", "oracle", "constant_bias")
_METHOD_LABELS = {
    "probe": "probe direction",
    "random": "random direction",
    "oracle": "oracle (difference of means)",
    "constant_bias": "constant E/F bias",
}


def plot_steering_closure(
    df: pd.DataFrame,
    ax: Axes | None = None,
    *,
    title: str | None = "Steering: gap closure (solid) and false rejections (dotted)",
) -> Axes:
    """Closure against steering strength per method, false rejections on a twin y axis.

    Parameters
    ----------
    df
        One row per (alpha, method). Columns:

        * ``alpha`` (float) – steering strength (scale of the added direction; the
          producing analysis states its unit, e.g. multiples of the residual norm);
        * ``method`` – ``probe``, ``random``, ``oracle`` or ``constant_bias``;
        * ``closure`` (float) – fraction of the probe–behaviour gap closed on misleading
          items (0 = none, 1 = all), left axis, shown as percent;
        * ``false_reject`` (float) – fraction of standard items now answered with a
          reject option, right axis, shown as percent.

        ``df`` is not modified.

    Returns
    -------
    matplotlib.axes.Axes
        The closure axes; the false-rejection axes is reachable as ``ax.twin_false_reject``.
    """
    require_columns(df, REQUIRED_COLUMNS, "plot_steering_closure")
    data = df.loc[:, list(REQUIRED_COLUMNS)].copy()
    data["method"] = data["method"].astype(str)
    require_unique(data, ["alpha", "method"], "plot_steering_closure")

    ax = get_ax(ax, figsize=(6.0, 3.6))
    twin = ax.twinx()
    present = list(dict.fromkeys(data["method"]))
    methods = [m for m in _METHOD_ORDER if m in present] + [m for m in present if m not in _METHOD_ORDER]
    handles = []
    for method in methods:
        part = data[data["method"] == method].sort_values("alpha")
        colour = color_for(method, METHOD_COLORS, methods)
        a = part["alpha"].to_numpy(dtype=float)
        ax.plot(a, part["closure"].to_numpy(dtype=float), color=colour, marker="o",
                markersize=3.5, linewidth=1.8)
        twin.plot(a, part["false_reject"].to_numpy(dtype=float), color=colour,
                  linestyle=":", linewidth=1.6)
        handles.append(Line2D([], [], color=colour, linewidth=2,
                              label=_METHOD_LABELS.get(method, method)))
    handles += [
        Line2D([], [], color="#444444", linestyle="-", marker="o", markersize=3.5,
               label="closure (left axis)"),
        Line2D([], [], color="#444444", linestyle=":", label="false rejections (right axis)"),
    ]
    ax.axhline(0, color="#333333", linewidth=0.6)
    fraction_as_percent_axis(ax, "y")
    fraction_as_percent_axis(twin, "y")
    top = float(np.nanmax(data["false_reject"].to_numpy(dtype=float)))
    twin.set_ylim(0, max(top * 1.1, 0.05))
    if float(np.nanmin(data["closure"].to_numpy(dtype=float))) >= 0:
        ax.set_ylim(bottom=0)  # both zeros on the same height
    ax.set_xlabel("steering strength α")
    ax.set_ylabel("gap closed on misleading items")
    twin.set_ylabel("false rejections on standard items")
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title, fontsize="medium")
    # Right of the twin axis's ticks and label (~60 pt), whatever the axes width.
    ax.legend(handles=handles, fontsize="x-small", frameon=False, loc="upper left",
              bbox_to_anchor=(1.0, 1.0), borderaxespad=9.5)
    ax.twin_false_reject = twin
    return ax
