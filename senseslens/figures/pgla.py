"""Change of balanced accuracy under probe-guided logit adjustment (and its controls)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from senseslens.figures._style import (
    BUDGET_ALPHA,
    BUDGET_ORDER,
    METHOD_COLORS,
    FigureInputError,
    color_for,
    get_ax,
    require_columns,
    require_unique,
)

__all__ = ["plot_pgla_delta", "REQUIRED_COLUMNS"]

REQUIRED_COLUMNS: tuple[str, ...] = ("model", "method", "budget")
_VALUE_COLUMNS = ("bal_before_pct", "bal_after_pct")
_DELTA = "delta_bal_pct"
_METHOD_ORDER = ("pgla", "constant_bias")
_METHOD_LABELS = {"pgla": "PGLA (probe-gated)", "constant_bias": "constant E/F bias"}
_BUDGET_LABELS = {
    "unconstrained": "unconstrained",
    "3pt": "≤ 3 pt std-accuracy drop",
    "1pt": "≤ 1 pt std-accuracy drop",
}


def delta_column(df: pd.DataFrame) -> pd.Series:
    """ΔBal in points: ``bal_after_pct − bal_before_pct``, else ``delta_bal_pct``.

    Where both before/after are present their difference is used; rows lacking them
    fall back to a ``delta_bal_pct`` column (e.g. a paper that published only the change).
    """
    delta = pd.Series(np.nan, index=df.index, dtype=float)
    if all(c in df.columns for c in _VALUE_COLUMNS):
        before = pd.to_numeric(df["bal_before_pct"], errors="raise").astype(float)
        after = pd.to_numeric(df["bal_after_pct"], errors="raise").astype(float)
        delta = after - before
    if _DELTA in df.columns:
        given = pd.to_numeric(df[_DELTA], errors="raise").astype(float)
        delta = delta.where(delta.notna(), given)
    return delta


def plot_pgla_delta(
    df: pd.DataFrame,
    ax: Axes | None = None,
    *,
    title: str | None = "Change in balanced accuracy, ΔBal (percentage points)",
    annotate: bool = True,
) -> Axes:
    """Bars of ΔBal per model; one bar per (method, budget), methods side by side.

    Parameters
    ----------
    df
        One row per (model, method, budget). Columns:

        * ``model`` (str), drawn in order of first appearance (an "average" row is fine);
        * ``method`` – ``pgla`` or ``constant_bias`` (others get a fallback colour);
        * ``budget`` – ``unconstrained``, ``3pt`` or ``1pt``: the largest allowed drop of
          standard accuracy when the configuration was chosen;
        * ``bal_before_pct`` and ``bal_after_pct`` (balanced accuracy, percent), or
          ``delta_bal_pct`` (their difference in points) where only that is known.

        Rows whose ΔBal is NaN are not drawn. ``df`` is not modified.

    Notes
    -----
    Colour is the method, shade the budget (darker = looser budget). When constant-bias
    rows are present each PGLA bar has its control next to it: a PGLA bar no taller
    than its neighbour means the probe adds nothing over shifting E/F by a constant.
    """
    require_columns(df, REQUIRED_COLUMNS, "plot_pgla_delta")
    has_pair = all(c in df.columns for c in _VALUE_COLUMNS)
    if not has_pair and _DELTA not in df.columns:
        missing = [c for c in _VALUE_COLUMNS if c not in df.columns]
        raise FigureInputError(
            f"plot_pgla_delta: DataFrame lacks column(s) {missing} and has no "
            f"'{_DELTA}' either; it has {list(df.columns)}. Provide bal_before_pct and "
            f"bal_after_pct (percent), or {_DELTA} (points)."
        )
    data = df.loc[:, list(REQUIRED_COLUMNS)].copy()
    for c in REQUIRED_COLUMNS:
        data[c] = data[c].astype(str)
    require_unique(data, list(REQUIRED_COLUMNS), "plot_pgla_delta")
    data["delta"] = delta_column(df).to_numpy()
    data = data[data["delta"].notna()]
    if data.empty:
        raise FigureInputError(
            "plot_pgla_delta: every row has an undefined ΔBal (NaN before/after and delta); "
            "fill bal_before_pct/bal_after_pct or delta_bal_pct."
        )

    models = list(dict.fromkeys(data["model"]))
    methods_present = list(dict.fromkeys(data["method"]))
    methods = [m for m in _METHOD_ORDER if m in methods_present] + [
        m for m in methods_present if m not in _METHOD_ORDER
    ]
    budgets_present = list(dict.fromkeys(data["budget"]))
    budgets = [b for b in BUDGET_ORDER if b in budgets_present] + [
        b for b in budgets_present if b not in BUDGET_ORDER
    ]
    slots = [(b, m) for b in budgets for m in methods]  # methods adjacent within a budget
    per_model = {
        mod: [s for s in slots if ((data["model"] == mod) & (data["budget"] == s[0])
                                   & (data["method"] == s[1])).any()]
        for mod in models
    }
    n_max = max(len(v) for v in per_model.values())
    width = min(0.8 / n_max, 0.45)

    ax = get_ax(ax, figsize=(max(4.5, 1.8 + 0.75 * len(models) * max(1.0, n_max / 3)), 3.6))
    x = np.arange(len(models), dtype=float)
    lookup = data.set_index(["model", "budget", "method"])["delta"]
    for i, mod in enumerate(models):
        present = per_model[mod]
        start = x[i] - width * len(present) / 2
        for k, (budget, method) in enumerate(present):
            value = float(lookup.loc[(mod, budget, method)])
            colour = color_for(method, METHOD_COLORS, methods)
            ax.bar(start + width * (k + 0.5), value, width=width * 0.92, color=colour,
                   alpha=BUDGET_ALPHA.get(budget, 0.8), edgecolor=colour, linewidth=0.8,
                   zorder=2)
            if annotate:
                ax.annotate(f"{value:+.1f}", (start + width * (k + 0.5), value),
                            xytext=(0, 2 if value >= 0 else -2), textcoords="offset points",
                            ha="center", va="bottom" if value >= 0 else "top",
                            fontsize="x-small")

    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.set_xticks(x)
    rot = 0 if len(models) <= 4 else 30
    ax.set_xticklabels(models, rotation=rot, ha="right" if rot else "center")
    ax.set_xlim(-0.6, len(models) - 0.4)
    lo, hi = float(min(0.0, data["delta"].min())), float(max(0.0, data["delta"].max()))
    pad = 0.15 * max(hi - lo, 1.0)
    ax.set_ylim(lo - (pad if lo < 0 else 0), hi + pad)
    ax.set_ylabel("ΔBal (percentage points)")
    ax.grid(axis="y", alpha=0.3, zorder=0)
    ax.set_axisbelow(True)
    if title:
        ax.set_title(title, fontsize="medium")

    handles = [Patch(color=color_for(m, METHOD_COLORS, methods), label=_METHOD_LABELS.get(m, m))
               for m in methods]
    if len(budgets) > 1 or budgets != ["unconstrained"]:
        handles += [Patch(facecolor="#555555", alpha=BUDGET_ALPHA.get(b, 0.8),
                          label=_BUDGET_LABELS.get(b, b)) for b in budgets]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              fontsize="x-small", frameon=False)
    return ax
