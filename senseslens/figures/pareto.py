"""Pareto plot of logit-adjustment configs: standard accuracy vs misleading accuracy.

Input columns ``[method, std_acc_pct, mis_acc_pct, bal_pct, config]`` (optional boolean
``pareto``), one row per (method, config), percentages; e.g. ``PGLAResult.pareto_dataframe()``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from senseslens.figures._style import FigureInputError

__all__ = ["plot_pareto", "pareto_mask"]


def pareto_mask(std: np.ndarray, mis: np.ndarray) -> np.ndarray:
    """True where no other point is at least as good on both axes and better on one."""
    std, mis = np.asarray(std), np.asarray(mis)
    dom = (std[None] >= std[:, None]) & (mis[None] >= mis[:, None]) & ((std[None] > std[:, None]) | (mis[None] > mis[:, None]))
    return ~dom.any(1)


def plot_pareto(df: pd.DataFrame, ax=None, *, baseline: tuple[float, float] | None = None, **kw):
    """Scatter every config per method (faint), join each method's Pareto frontier, and mark
    the unadjusted model (``baseline = (std_pct, mis_pct)``). Returns the Axes."""
    need = {"method", "std_acc_pct", "mis_acc_pct"}
    if not need <= set(df.columns):
        raise FigureInputError(f"plot_pareto needs columns {sorted(need)}; got {list(df.columns)}.")
    ax = ax or plt.subplots(figsize=(4.5, 3.5))[1]
    for method, d in df.groupby("method", sort=False):
        front = d["pareto"].to_numpy(bool) if "pareto" in d else pareto_mask(d["std_acc_pct"], d["mis_acc_pct"])
        sc = ax.scatter(d["std_acc_pct"], d["mis_acc_pct"], s=8, alpha=0.25, **kw)
        f = d[front].sort_values("std_acc_pct")
        ax.plot(f["std_acc_pct"], f["mis_acc_pct"], marker="o", ms=3, color=sc.get_facecolor()[0][:3], label=method)
    if baseline is not None:
        ax.scatter([baseline[0]], [baseline[1]], marker="*", s=120, color="black", zorder=4, label="unadjusted")
    ax.set_xlabel("standard accuracy (%)")
    ax.set_ylabel("misleading accuracy (%) = right rejection")
    ax.legend(frameon=False, fontsize=8)
    return ax
