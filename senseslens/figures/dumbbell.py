"""Probe accuracy versus behaviour, per model and modality: the representation–action gap."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from senseslens.figures._style import (
    MODALITY_COLORS,
    color_for,
    get_ax,
    percent_axis,
    require_columns,
    require_unique,
)

__all__ = ["plot_probe_vs_behavior", "REQUIRED_COLUMNS", "CONTROL_MARKERS"]

REQUIRED_COLUMNS: tuple[str, ...] = ("model", "modality", "probe_pct", "behavior_pct")

#: Optional control columns → (marker, colour, legend label).
CONTROL_MARKERS: dict[str, tuple[str, str, str]] = {
    "resid_pct": ("D", "#555555", "probe, wording residualised"),
    "text_tfidf_pct": ("s", "#a6761d", "text only: TF-IDF"),
    "text_sbert_pct": ("^", "#1b9e77", "text only: SBERT"),
    "majority_pct": ("|", "#000000", "majority class"),
    "shuffle_pct": ("x", "#7570b3", "label-shuffled probe"),
}

_MODALITY_ORDER = ("vision", "audio")


def plot_probe_vs_behavior(
    df: pd.DataFrame,
    ax: Axes | None = None,
    *,
    title: str | None = "What the probe decodes vs what the model does (%)",
    annotate_gap: bool = True,
    behavior_label: str = "behaviour: rejects false premise",
    probe_label: str = "probe: standard vs misleading",
) -> Axes:
    """Dumbbell chart: behaviour (open marker) → probe accuracy (filled marker) per row.

    Parameters
    ----------
    df
        One row per (model, modality). Columns, all in percent (0–100):

        * ``model`` (str), ``modality`` (str, ``vision`` / ``audio``; others allowed);
        * ``probe_pct`` – accuracy of a probe separating standard from misleading items;
        * ``behavior_pct`` – how often the model picks the right reject option on the
          misleading items of that modality;
        * optional controls drawn as extra markers on the same row: ``resid_pct``,
          ``text_tfidf_pct``, ``text_sbert_pct``, ``majority_pct``, ``shuffle_pct``.
          NaN values are skipped (a model with no probe shows only its behaviour).

        ``df`` is not modified.
    ax
        Axes to draw on; a new figure is made when omitted.
    annotate_gap
        Write the gap ``probe − behaviour`` (percentage points, "pt") right of each row.

    Notes
    -----
    Probe and behaviour are different quantities on the same scale: the probe is a
    held-out classification accuracy (chance is the majority rate), behaviour is a
    rejection rate. The gap is what the paper calls the representation–action gap.
    """
    require_columns(df, REQUIRED_COLUMNS, "plot_probe_vs_behavior")
    controls = [c for c in CONTROL_MARKERS if c in df.columns]
    data = df.loc[:, list(REQUIRED_COLUMNS) + controls].copy()
    data["model"] = data["model"].astype(str)
    data["modality"] = data["modality"].astype(str)
    require_unique(data, ["model", "modality"], "plot_probe_vs_behavior")
    for col in ["probe_pct", "behavior_pct", *controls]:
        data[col] = pd.to_numeric(data[col], errors="raise").astype(float)

    models = list(dict.fromkeys(data["model"]))
    present = list(dict.fromkeys(data["modality"]))
    modalities = [m for m in _MODALITY_ORDER if m in present] + [
        m for m in present if m not in _MODALITY_ORDER
    ]
    n_mod = len(modalities)
    step = 0.8 / n_mod
    offsets = {m: 0.4 - step * (i + 0.5) for i, m in enumerate(modalities)}

    ax = get_ax(ax, figsize=(9.0, 1.2 + 0.36 * len(models) * max(n_mod, 1)))
    ypos = {m: len(models) - 1 - i for i, m in enumerate(models)}
    gap_tf = blended_transform_factory(ax.transAxes, ax.transData)
    used_controls: set[str] = set()

    for row in data.itertuples(index=False):
        y = ypos[row.model] + offsets[row.modality]
        col = color_for(row.modality, MODALITY_COLORS, modalities)
        probe, beh = row.probe_pct, row.behavior_pct
        if not (np.isnan(probe) or np.isnan(beh)):
            ax.plot([beh, probe], [y, y], color=col, linewidth=2.2, alpha=0.55, zorder=2,
                    solid_capstyle="butt")
        if not np.isnan(beh):
            ax.plot(beh, y, marker="o", markersize=7, markerfacecolor="white",
                    markeredgecolor=col, markeredgewidth=1.8, linestyle="none", zorder=4)
        if not np.isnan(probe):
            ax.plot(probe, y, marker="o", markersize=7, color=col, linestyle="none", zorder=4)
        for c in controls:
            v = getattr(row, c)
            if np.isnan(v):
                continue
            marker, mcol, _ = CONTROL_MARKERS[c]
            ax.plot(v, y, marker=marker, markersize=5.5, color=mcol, linestyle="none",
                    markeredgewidth=1.4, alpha=0.9, zorder=3)
            used_controls.add(c)
        if annotate_gap and not (np.isnan(probe) or np.isnan(beh)):
            ax.annotate(f"{probe - beh:+.1f} pt", xy=(1.0, y), xycoords=gap_tf,
                        xytext=(4, 0), textcoords="offset points", fontsize="x-small",
                        va="center", ha="left", color=col, annotation_clip=False)

    for m in models[:-1]:
        ax.axhline(ypos[m] - 0.5, color="#dddddd", linewidth=0.8, zorder=0)
    ax.set_yticks([ypos[m] for m in models])
    ax.set_yticklabels(models)
    ax.set_ylim(-0.5, len(models) - 0.5)
    percent_axis(ax, "x", (-2, 102))
    ax.set_xlabel("percent")
    ax.grid(axis="x", alpha=0.3, zorder=0)
    ax.set_axisbelow(True)
    if title:
        ax.set_title(title, fontsize="medium")

    handles = [
        Line2D([], [], marker="o", color="#444444", linestyle="none", label=probe_label),
        Line2D([], [], marker="o", markerfacecolor="white", markeredgecolor="#444444",
               markeredgewidth=1.8, linestyle="none", label=behavior_label),
    ]
    handles += [
        Line2D([], [], color=color_for(m, MODALITY_COLORS, modalities), linewidth=3,
               label=m) for m in modalities
    ]
    handles += [
        Line2D([], [], marker=CONTROL_MARKERS[c][0], color=CONTROL_MARKERS[c][1],
               linestyle="none", markeredgewidth=1.4, label=CONTROL_MARKERS[c][2])
        for c in CONTROL_MARKERS if c in used_controls
    ]
    if annotate_gap:
        handles.append(Line2D([], [], linestyle="none",
                              label="right margin: gap = probe − behaviour (pt)"))
    # The gap column takes ~45 pt right of the axes; the legend starts after it.
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0),
              borderaxespad=7.0 if annotate_gap else 0.8, fontsize="x-small", frameon=False)
    return ax
