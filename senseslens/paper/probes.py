"""Published probing results: probe and residualised-probe accuracy, peak layers, controls.

Accuracies are percent (0–100), mean over 4 folds of StratifiedGroupKFold grouped by
clip, at each model's peak layer l*. The vision probe separates the 1,000 standard items
from the 500 misleading-vision items (majority baseline 66.7 %); the audio probe likewise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from senseslens.paper.behavior import BEHAVIOR
from senseslens.paper.provenance import PEAK_LAYERS, PROBE_TABLE, TEXT_CONTROLS, Source

__all__ = [
    "ProbeRow",
    "PROBES",
    "PeakLayer",
    "PEAK_LAYER",
    "TextBaseline",
    "TEXT_BASELINES",
    "MAJORITY_PCT",
    "probe_table",
    "peak_layer_table",
    "text_baseline_table",
]

Modality = Literal["vision", "audio"]

#: Majority-class accuracy of the vision (and the audio) probe: 1,000 vs 500 items.
MAJORITY_PCT: float = 66.7


@dataclass(frozen=True)
class ProbeRow:
    """Probe accuracy, residualised probe accuracy, and reject rate per modality (percent)."""

    model: str
    probe_v: float
    probe_a: float
    resid_v: float
    resid_a: float
    reject_mis_v: float
    reject_mis_a: float
    source: Source = PROBE_TABLE


PROBES: tuple[ProbeRow, ...] = (
    ProbeRow("OLA", 84.0, 77.8, 79.0, 67.7, 6.8, 0.0),
    ProbeRow("OmniVinci", 84.4, 78.8, 78.9, 66.1, 6.6, 0.0),
    ProbeRow("Qwen2.5-Omni", 86.0, 75.6, 77.7, 67.0, 16.0, 0.6),
    ProbeRow("MiniCPM-o 2.6", 83.2, 78.6, 78.7, 69.5, 9.0, 6.6),
    ProbeRow("Uni-MoE-2.0-Omni", 84.4, 76.3, 76.7, 65.6, 9.0, 0.0),
    ProbeRow("Video-SALMONN-2", 83.5, 77.1, 80.7, 65.8, 16.2, 0.0),
    ProbeRow("Qwen3-Omni", 76.5, 64.9, 79.8, 65.0, 72.8, 23.6),
)


@dataclass(frozen=True)
class PeakLayer:
    """Peak layer l* of the global probe, as an index into the authors' hidden-state list.

    ``of_entries`` is the denominator the paper printed next to the layer (``None`` where
    it printed none; :data:`senseslens.paper.MODELS` has every model's entry count).
    ``excluded`` marks a peak the authors set aside.
    """

    model: str
    layer: int
    of_entries: int | None = None
    excluded: bool = False
    note: str = ""
    source: Source = PEAK_LAYERS


PEAK_LAYER: tuple[PeakLayer, ...] = (
    PeakLayer("OLA", 14, 29),
    PeakLayer("OmniVinci", 14),
    PeakLayer("Qwen2.5-Omni", 17, 28),
    PeakLayer("MiniCPM-o 2.6", 17),
    PeakLayer("Uni-MoE-2.0-Omni", 16),
    PeakLayer("Video-SALMONN-2", 15),
    PeakLayer("Qwen3-Omni", 30, 48),
    PeakLayer("Baichuan-Omni-1.5", 2, excluded=True,
              note="near-ceiling artefact, excluded by the authors"),
)


@dataclass(frozen=True)
class TextBaseline:
    """Accuracy (percent) of a probe that reads only the question text, no model."""

    method: Literal["tfidf", "sbert"]
    modality: Modality
    acc: float
    detail: str
    source: Source = TEXT_CONTROLS


TEXT_BASELINES: tuple[TextBaseline, ...] = (
    TextBaseline("tfidf", "vision", 73.4, "TF-IDF (5,000 features) + logistic regression"),
    TextBaseline("tfidf", "audio", 71.4, "TF-IDF (5,000 features) + logistic regression"),
    TextBaseline("sbert", "vision", 66.8, "SBERT all-MiniLM-L6-v2 + logistic regression"),
    TextBaseline("sbert", "audio", 57.3, "SBERT all-MiniLM-L6-v2 + logistic regression"),
)


def _text(method: str, modality: str) -> float:
    return next(t.acc for t in TEXT_BASELINES if t.method == method and t.modality == modality)


def probe_table(*, include_behavior_only: bool = False) -> pd.DataFrame:
    """Probe vs behaviour in the schema of :func:`senseslens.figures.plot_probe_vs_behavior`.

    Columns: ``model, modality, probe_pct, behavior_pct, resid_pct, text_tfidf_pct,
    text_sbert_pct, majority_pct, peak_layer`` (percent; layer as published). The
    text-only and majority columns are the same for every model (they do not use one).
    ``include_behavior_only`` adds the behaviour-table models without a published probe
    (Baichuan-Omni-1.5, Gemini 3.1 Pro) with NaN probe columns.
    """
    peaks = {p.model: p.layer for p in PEAK_LAYER}
    rows = []
    for r in PROBES:
        for mod, probe, resid, beh in (
            ("vision", r.probe_v, r.resid_v, r.reject_mis_v),
            ("audio", r.probe_a, r.resid_a, r.reject_mis_a),
        ):
            rows.append({
                "model": r.model, "modality": mod, "probe_pct": probe, "behavior_pct": beh,
                "resid_pct": resid, "text_tfidf_pct": _text("tfidf", mod),
                "text_sbert_pct": _text("sbert", mod), "majority_pct": MAJORITY_PCT,
                "peak_layer": peaks.get(r.model),
            })
    if include_behavior_only:
        probed = {r.model for r in PROBES}
        for b in BEHAVIOR:
            if b.model in probed:
                continue
            for mod, beh in (("vision", b.mis_v), ("audio", b.mis_a)):
                rows.append({
                    "model": b.model, "modality": mod, "probe_pct": None, "behavior_pct": beh,
                    "resid_pct": None, "text_tfidf_pct": _text("tfidf", mod),
                    "text_sbert_pct": _text("sbert", mod), "majority_pct": MAJORITY_PCT,
                    "peak_layer": peaks.get(b.model),
                })
    df = pd.DataFrame(rows)
    for c in ("probe_pct", "behavior_pct", "resid_pct"):
        df[c] = df[c].astype(float)
    df["peak_layer"] = df["peak_layer"].astype("Int64")
    return df


def peak_layer_table() -> pd.DataFrame:
    """Peak layers: ``model, layer, of_entries, excluded, note`` (layer as published)."""
    df = pd.DataFrame([
        {"model": p.model, "layer": p.layer, "of_entries": p.of_entries,
         "excluded": p.excluded, "note": p.note} for p in PEAK_LAYER
    ])
    df["of_entries"] = df["of_entries"].astype("Int64")
    return df


def text_baseline_table() -> pd.DataFrame:
    """Text-only controls: ``method, modality, acc_pct, detail``."""
    return pd.DataFrame([
        {"method": t.method, "modality": t.modality, "acc_pct": t.acc, "detail": t.detail}
        for t in TEXT_BASELINES
    ])
