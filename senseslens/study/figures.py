"""Write the study's figures (one PNG per figure type) from its results."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd


def behavior_frame(report: Mapping[str, Any], model: str) -> pd.DataFrame:
    """2×2 cells and Bal (percent) in the schema of `figures.cells.plot_cells`."""
    b = report.get("behavior", {})
    return pd.DataFrame([{"model": model, "cell": c, "accuracy_pct": b.get(c)} for c in ("std_v", "std_a", "mis_v", "mis_a", "bal") if c in b])


def report_frames(report: Mapping[str, Any], model: str | None = None) -> dict[str, pd.DataFrame]:
    """The report's headline tables in the schemas the paper's figures use."""
    model = model or str(report.get("model", "model"))
    return {
        "behavior_cells": behavior_frame(report, model),
        "probe_vs_behavior": probe_vs_behavior_frame(report, model),
        "pgla_delta": pgla_frame(report, model),
    }


def probe_vs_behavior_frame(report: Mapping[str, Any], model: str) -> pd.DataFrame:
    """Dumbbell rows: probe accuracy vs reject rate per modality, with controls (percent)."""
    rows = []
    probe, beh = report.get("probe", {}), report.get("behavior", {})
    for modality, cell in (("vision", "mis_v"), ("audio", "mis_a")):
        p = probe.get(modality)
        if not p:
            continue
        row = {"model": model, "modality": modality, "probe_pct": p.get("accuracy"), "behavior_pct": beh.get(cell), "majority_pct": p.get("majority")}
        for ctrl, col in (("shuffle", "shuffle_pct"), ("tfidf", "text_tfidf_pct"), ("sbert", "text_sbert_pct"), ("residualised", "resid_pct")):
            if f"{ctrl}_accuracy" in p:
                row[col] = p[f"{ctrl}_accuracy"]
        rows.append(row)
    return pd.DataFrame(rows)


def pgla_frame(report: Mapping[str, Any], model: str) -> pd.DataFrame:
    rows = []
    for method, section in (("pgla", report.get("pgla", {}).get("pgla", {})), ("constant_bias", report.get("constant_bias", {}))):
        for budget, r in section.items():
            rows.append({"model": model, "method": method, "budget": budget, "bal_before_pct": r.get("bal_before_pct"), "bal_after_pct": r.get("bal_after_pct")})
    return pd.DataFrame(rows)


def _save(fig: Any, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path.name


def write_figures(results: Mapping[str, Any], report: Mapping[str, Any], directory: Path) -> list[str]:
    """Draw every figure the results allow into ``directory``; return the file names."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    model = str(report.get("model", "model"))
    written: list[str] = []

    def single(name: str, draw: Callable[[Any], Any], size: tuple[float, float] = (6.4, 4.0)) -> None:
        fig, ax = plt.subplots(figsize=size)
        draw(ax)
        written.append(_save(fig, directory / name))

    if "behavior" in results:
        single("behavior_cells.png", lambda ax: results["behavior"].plot(ax=ax))
    if "probes" in results:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
        for ax, modality in zip(axes, ("vision", "audio")):
            margin = report.get("probe", {}).get(modality, {}).get("own_margin_auroc")
            results["probes"][modality].plot(ax=ax, metric="auroc", own_margin_auroc=margin)
        written.append(_save(fig, directory / "probe_layers.png"))
        frame = probe_vs_behavior_frame(report, model)
        if len(frame):
            from ..figures.dumbbell import plot_probe_vs_behavior

            single("probe_vs_behavior.png", lambda ax: plot_probe_vs_behavior(frame, ax=ax))
    if "pgla" in results:
        frame = pgla_frame(report, model)
        if len(frame):
            from ..figures.pgla import plot_pgla_delta

            single("pgla_delta.png", lambda ax: plot_pgla_delta(frame, ax=ax))
        single("pgla_pareto.png", lambda ax: results["pgla"].plot(ax=ax, kind="pareto"))
    for key, name in (("lens", "lens_curves.png"), ("patching", "patching_heatmap.png"), ("knockout", "knockout_curves.png"), ("steering", "steering_closure.png")):
        if key in results:
            single(name, lambda ax, k=key: results[k].plot(ax=ax), size=(7, 4.2))
    return written
