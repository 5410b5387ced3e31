"""Layerwise probe curves: probe score per layer, controls as a band, baselines as lines.

Input: a long DataFrame with columns ``[layer, metric, value, series]`` (optional ``sd``),
as produced by ``ProbeResult.to_dataframe()``: ``series == "probe"`` is the probe,
any other series a control. Values are fractions in [0, 1].
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
import pandas as pd

from senseslens.figures._style import FigureInputError

__all__ = ["plot_probe_curves"]

BAND_SERIES = ("shuffle", "control_task")


def plot_probe_curves(
    df: pd.DataFrame,
    ax=None,
    *,
    metric: str = "accuracy",
    own_margin_auroc: float | None = None,
    chance: float | None = None,
    band: tuple[str, ...] = BAND_SERIES,
    title: str | None = None,
    **kw,
):
    """Draw ``metric`` against layer for the probe (line, +/- sd across folds if given),
    the label controls in ``band`` as a shaded min-max band, every other series as a
    dashed line, the model's own reject-margin AUROC as a horizontal line and chance
    as a dotted line. Returns the Axes."""
    need = {"layer", "metric", "value", "series"}
    if not need <= set(df.columns):
        raise FigureInputError(f"plot_probe_curves needs columns {sorted(need)}; got {list(df.columns)}.")
    ax = ax or plt.subplots(figsize=(5, 3.2))[1]
    d = df[df["metric"] == metric]
    probe = d[d["series"] == "probe"].sort_values("layer")
    line = ax.plot(probe["layer"], probe["value"], marker="o", ms=3, label="probe", **kw)[0]
    if "sd" in probe and probe["sd"].notna().any():
        ax.fill_between(probe["layer"], probe["value"] - probe["sd"], probe["value"] + probe["sd"],
                        color=line.get_color(), alpha=0.15, lw=0)
    ctrl = d[d["series"].isin(band)]
    if len(ctrl):
        g = ctrl.groupby("layer")["value"]
        lo, hi = g.min(), g.max()
        ax.fill_between(lo.index, lo.values, hi.values, color="grey", alpha=0.3, lw=0,
                        label="label controls (" + ", ".join(sorted(ctrl["series"].unique())) + ")")
    for name, s in d[~d["series"].isin(("probe",) + tuple(band))].groupby("series"):
        s = s.sort_values("layer")
        if s["layer"].nunique() == 1:
            ax.scatter(s["layer"], s["value"], marker="D", s=25, label=name, zorder=3)
        else:
            ax.plot(s["layer"], s["value"], ls="--", lw=1, label=name)
    if own_margin_auroc is not None and metric == "auroc":
        ax.axhline(own_margin_auroc, color="crimson", lw=1.2, label="own reject margin")
    if chance is not None:
        ax.axhline(chance, color="black", lw=0.8, ls=":", label="chance / majority")
    ax.set_xlabel("layer")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(metric.replace("_", " "))
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=7)
    return ax
