"""Shared look of every senseslens figure: palettes, percent axes, input checks.

This module is the only one the figure functions share. Like them, it imports nothing
else of senseslens, so a figure can be drawn from any DataFrame with the right columns.

Conventions
-----------
* Vision is blue, audio is orange. Standard cells are drawn solid, misleading cells
  hatched in the same hue, so modality and premise read independently.
* Percent columns (``*_pct``) hold values in 0–100. Probability / fraction columns
  (``prob``, ``rel_change``, ``closure``, ``false_reject``) hold fractions and are only
  *formatted* as percent where noted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, PercentFormatter

__all__ = [
    "FigureInputError",
    "CELL_ORDER",
    "CELL_LABELS",
    "CELL_COLORS",
    "CELL_HATCHES",
    "MODALITY_COLORS",
    "METHOD_COLORS",
    "BUDGET_ORDER",
    "BUDGET_ALPHA",
    "color_for",
    "require_columns",
    "require_unique",
    "get_ax",
    "percent_axis",
    "fraction_as_percent_axis",
    "finish_legend",
]


class FigureInputError(ValueError):
    """A DataFrame handed to a figure function lacks columns or has unusable values.

    Kept here (a ``ValueError``) rather than in ``senseslens.errors`` so that the figure
    functions stay importable on their own.
    """


CELL_ORDER: tuple[str, ...] = ("std_v", "std_a", "mis_v", "mis_a")
CELL_LABELS: dict[str, str] = {
    "std_v": "standard · vision",
    "std_a": "standard · audio",
    "mis_v": "misleading · vision",
    "mis_a": "misleading · audio",
    "bal": "balanced accuracy",
}

_BLUE = "#2f6eb5"
_ORANGE = "#e07b22"

MODALITY_COLORS: dict[str, str] = {"vision": _BLUE, "audio": _ORANGE}
CELL_COLORS: dict[str, str] = {
    "std_v": _BLUE,
    "std_a": _ORANGE,
    "mis_v": _BLUE,
    "mis_a": _ORANGE,
    "bal": "#222222",
}
CELL_HATCHES: dict[str, str] = {"std_v": "", "std_a": "", "mis_v": "///", "mis_a": "///"}

METHOD_COLORS: dict[str, str] = {
    "pgla": "#6a3d9a",
    "probe": "#6a3d9a",
    "constant_bias": "#8c8c8c",
    "random": "#b15928",
    "oracle": "#33a02c",
}

BUDGET_ORDER: tuple[str, ...] = ("unconstrained", "3pt", "1pt")
BUDGET_ALPHA: dict[str, float] = {"unconstrained": 1.0, "3pt": 0.65, "1pt": 0.35}

_FALLBACK = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["#444444"])


def color_for(key: str, palette: dict[str, str], order: Sequence[str] = ()) -> str:
    """Colour of ``key`` in ``palette``; unknown keys get a stable colour from the cycle."""
    if key in palette:
        return palette[key]
    idx = list(order).index(key) if key in order else sum(map(ord, key))
    return _FALLBACK[idx % len(_FALLBACK)]


def require_columns(df: pd.DataFrame, required: Iterable[str], figure: str) -> None:
    """Raise :class:`FigureInputError` listing every required column ``df`` lacks."""
    if not isinstance(df, pd.DataFrame):
        raise FigureInputError(
            f"{figure} expects a pandas DataFrame, got {type(df).__name__}; "
            "pass result.to_dataframe() or build one with pd.DataFrame(...)."
        )
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise FigureInputError(
            f"{figure}: DataFrame lacks column(s) {missing}; it has {list(df.columns)}. "
            "Rename or add the missing columns (see the function's docstring for the schema)."
        )
    if df.empty:
        raise FigureInputError(f"{figure}: DataFrame has no rows; nothing to draw.")


def require_unique(df: pd.DataFrame, keys: Sequence[str], figure: str) -> None:
    """Raise if several rows share the same ``keys`` (aggregate before plotting)."""
    dup = df.duplicated(subset=list(keys), keep=False)
    if dup.any():
        first = df.loc[dup, list(keys)].head(3).to_dict("records")
        raise FigureInputError(
            f"{figure}: several rows share the same {list(keys)} (e.g. {first}); "
            "aggregate them first (e.g. df.groupby(...).mean()) so each is drawn once."
        )


def get_ax(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """Return ``ax`` or a fresh Axes on a new figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    _, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return new_ax


def percent_axis(ax: Axes, axis: str = "y", lim: tuple[float, float] | None = (0, 100)) -> None:
    """Format an axis whose data are already in percent (0–100)."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    if lim is not None:
        (ax.set_ylim if axis == "y" else ax.set_xlim)(*lim)


def fraction_as_percent_axis(ax: Axes, axis: str = "y", signed: bool = False) -> None:
    """Format an axis whose data are fractions (0.25 → "25%"; with ``signed``, "+25%")."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    if signed:
        target.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v * 100:+.0f}%"))
    else:
        target.set_major_formatter(PercentFormatter(xmax=1, decimals=0))


def finish_legend(ax: Axes, outside: bool, **kw) -> None:
    """Put the legend inside (best spot) or to the right of the axes, never over bars."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    if outside:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  frameon=False, fontsize="small", **kw)
    else:
        ax.legend(handles, labels, fontsize="small", frameon=False, **kw)
