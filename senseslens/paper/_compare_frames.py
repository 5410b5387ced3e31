"""Turn a :class:`~senseslens.paper.compare.ComparisonResult` into figure DataFrames and plots.

Rows are labelled ``"paper"`` and ``"ours"`` in the ``model`` column so the very same figure
functions that draw the published tables draw the comparison.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from senseslens.figures import plot_cells, plot_pgla_delta, plot_probe_vs_behavior

if TYPE_CHECKING:
    from senseslens.paper.compare import ComparisonResult

__all__ = ["figure_frames", "plot_comparison"]

_CELLS = ("std_v", "std_a", "mis_v", "mis_a", "bal")
_CONTROL_COLUMNS = {"resid": "resid_pct", "tfidf": "text_tfidf_pct", "sbert": "text_sbert_pct",
                    "majority": "majority_pct", "shuffle": "shuffle_pct"}


def _num(x: Any) -> float:
    return float(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else float("nan")


def _control_kind(name: str) -> str | None:
    key = "".join(ch for ch in name.lower() if ch.isalpha())
    for kind in _CONTROL_COLUMNS:
        if kind in key:
            return kind
    return None


def figure_frames(result: ComparisonResult) -> dict[str, pd.DataFrame]:
    """Per figure name, a DataFrame in that figure function's schema (empty if no data)."""
    values = {(r.figure, r.metric): r for r in result.rows}
    frames: dict[str, pd.DataFrame] = {}

    cells = [
        {"model": who, "cell": c, "accuracy_pct": _num(getattr(values[("behavior_cells", c)], attr))}
        for who, attr in (("paper", "published"), ("ours", "ours"))
        for c in _CELLS if ("behavior_cells", c) in values
    ]
    frames["behavior_cells"] = pd.DataFrame(cells, columns=["model", "cell", "accuracy_pct"])

    probe_rows = []
    for who, attr in (("paper", "published"), ("ours", "ours")):
        for mod, cell in (("vision", "mis_v"), ("audio", "mis_a")):
            acc = values.get(("probe", f"{mod}.acc"))
            beh = values.get(("behavior_cells", cell))
            if acc is None and beh is None:
                continue
            row = {"model": who, "modality": mod,
                   "probe_pct": _num(getattr(acc, attr)) if acc else float("nan"),
                   "behavior_pct": _num(getattr(beh, attr)) if beh else float("nan")}
            for r in result.rows:
                parts = r.metric.split(".")
                if r.figure == "probe" and parts[0] == "controls" and parts[-1] == mod:
                    kind = _control_kind(parts[1])
                    if kind:
                        row[_CONTROL_COLUMNS[kind]] = _num(getattr(r, attr))
            probe_rows.append(row)
    frames["probe"] = pd.DataFrame(
        probe_rows, columns=None if probe_rows else ["model", "modality", "probe_pct",
                                                     "behavior_pct"])

    pgla_rows = []
    for who, attr in (("paper", "published"), ("ours", "ours")):
        for r in result.rows:
            if r.figure != "pgla" or "delta_bal" not in r.metric:
                continue
            method = "constant_bias" if r.metric.startswith("constant_bias") else "pgla"
            budget = r.metric.split(".", 1)[1] if method == "pgla" else "unconstrained"
            pgla_rows.append({"model": who, "method": method, "budget": budget,
                              "delta_bal_pct": _num(getattr(r, attr))})
    frames["pgla"] = pd.DataFrame(
        pgla_rows, columns=["model", "method", "budget", "delta_bal_pct"])
    return frames


def _drawable(name: str, frame: pd.DataFrame) -> bool:
    if frame.empty:
        return False
    column = {"behavior_cells": "accuracy_pct", "probe": "behavior_pct",
              "pgla": "delta_bal_pct"}[name]
    values = frame[column]
    if name == "probe":
        values = pd.concat([frame["probe_pct"], frame["behavior_pct"]])
    return bool(values.notna().any())


def plot_comparison(result: ComparisonResult, figure: str | None, ax: Any) -> Any:
    """Draw one figure (returns its Axes) or all drawable ones (returns a list of Axes)."""
    import matplotlib.pyplot as plt

    from senseslens.paper.compare import FIGURES

    frames = figure_frames(result)
    draw = {
        "behavior_cells": lambda df, a: plot_cells(
            df, a, title=f"{result.model}: accuracy per cell (%)", legend_outside=True),
        "probe": lambda df, a: plot_probe_vs_behavior(
            df, a, title=f"{result.model}: probe vs behaviour (%)"),
        "pgla": lambda df, a: plot_pgla_delta(df, a, title=f"{result.model}: ΔBal (points)"),
    }
    if figure is not None:
        if figure not in FIGURES:
            raise ValueError(f"unknown figure {figure!r}; choose one of {list(FIGURES)}.")
        if not _drawable(figure, frames[figure]):
            raise ValueError(f"nothing to draw for {figure!r}: the report has no value for "
                             "it that can be placed beside a published one.")
        return draw[figure](frames[figure], ax)
    names = [f for f in FIGURES if _drawable(f, frames[f])]
    if not names:
        raise ValueError("nothing to draw: the report holds no metric of any figure.")
    fig, axes = plt.subplots(1, len(names), figsize=(5.2 * len(names), 3.8),
                             layout="constrained", squeeze=False)
    return [draw[n](frames[n], a) for n, a in zip(names, axes[0])]
