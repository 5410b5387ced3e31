"""Result containers of the probes: `ControlResult` and `ProbeResult` (frozen, tidy, plottable)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd
from jaxtyping import Bool, Float, Int

from senseslens.analysis.metrics import BootstrapCI
from senseslens.errors import AnalysisError

__all__ = ["ControlResult", "ProbeResult"]


@dataclass(frozen=True)
class ControlResult:
    """Scores of one control on the probe's folds.

    ``layers``: the layers it was computed at (``None`` for layer-free controls such as
    text-only baselines, whose arrays then have a leading axis of length 1).
    ``accuracy``/``balanced_accuracy``/``auroc``: ``[n_layers or 1, n_folds]`` in [0, 1].
    ``oof_score``: ``[n_layers or 1, n_items]`` held-out P(label 1), NaN outside the probe mask.
    ``labels``: ``[n_items]`` the labels the control was trained and scored on (a shuffled
    or per-clip random labelling for the label controls; the task labels otherwise), -1
    outside the mask. ``test``: an optional bootstrap comparison stored with the control.
    """

    name: str
    layers: Int[np.ndarray, " Lc"] | None
    accuracy: Float[np.ndarray, "Lc F"]
    balanced_accuracy: Float[np.ndarray, "Lc F"]
    auroc: Float[np.ndarray, "Lc F"]
    oof_score: Float[np.ndarray, "Lc n"]
    labels: Int[np.ndarray, " n"]
    note: str = ""
    test: BootstrapCI | None = None

    def mean(self, metric: str = "accuracy") -> Float[np.ndarray, " Lc"]:
        return np.nanmean(getattr(self, metric), axis=1)


@dataclass(frozen=True)
class ProbeResult:
    """A probe evaluated at every requested layer over grouped folds, with its controls.

    Arrays (``L`` = number of probed layers, ``F`` = folds, ``n`` = all items passed in):

    * ``layers [L]``: layer indices (positions along the ``layers`` axis of ``X``).
    * ``accuracy``, ``balanced_accuracy``, ``auroc``: ``[L, F]`` per held-out fold, in [0, 1].
    * ``oof_score [L, n]``: out-of-fold P(positive) per item (each item scored by the
      probe that did not see its clip); NaN outside ``mask``.
    * ``labels [n]`` (0/1, -1 outside ``mask``), ``groups [n]``, ``mask [n]``, ``folds [n]``
      (held-out fold of each item, -1 outside ``mask``).
    * ``majority``: accuracy of always predicting the majority class (66.7% for the
      paper's vision/audio probes, not 50%).
    * ``controls``: name -> `ControlResult` ("shuffle", "control_task", "tfidf", "sbert",
      "residualised", ...).
    * ``n_iter``/``converged`` ``[L, F]``: solver diagnostics (logistic probes).
    """

    name: str
    kind: str
    layers: Int[np.ndarray, " L"]
    accuracy: Float[np.ndarray, "L F"]
    balanced_accuracy: Float[np.ndarray, "L F"]
    auroc: Float[np.ndarray, "L F"]
    oof_score: Float[np.ndarray, "L n"]
    labels: Int[np.ndarray, " n"]
    groups: np.ndarray
    mask: Bool[np.ndarray, " n"]
    folds: Int[np.ndarray, " n"]
    majority: float
    controls: Mapping[str, ControlResult] = field(default_factory=dict)
    n_iter: Int[np.ndarray, "L F"] | None = None
    converged: Bool[np.ndarray, "L F"] | None = None
    info: Mapping[str, Any] = field(default_factory=dict)

    # ---------------------------------------------------------------- summaries
    def mean(self, metric: str = "accuracy") -> Float[np.ndarray, " L"]:
        """Mean over folds of ``metric`` ("accuracy", "balanced_accuracy", "auroc"), ``[L]``."""
        return np.nanmean(getattr(self, metric), axis=1)

    @property
    def best_layer(self) -> int:
        """Layer with the highest mean accuracy (the paper's l*); ties -> earliest."""
        return int(self.layers[int(np.argmax(self.mean("accuracy")))])

    def _row(self, layer: int) -> int:
        hits = np.flatnonzero(self.layers == layer)
        if hits.size == 0:
            raise AnalysisError(f"layer {layer} was not probed; probed layers are {self.layers.tolist()}.")
        return int(hits[0])

    def selectivity(self, metric: str = "accuracy") -> Float[np.ndarray, " L"]:
        """Task minus control-task score per layer (Hewitt & Liang). Needs the
        "control_task" control computed at every layer."""
        if "control_task" not in self.controls:
            raise AnalysisError("selectivity needs the 'control_task' control; pass controls=('control_task', ...).")
        return self.mean(metric) - self.controls["control_task"].mean(metric)

    def scores_at(self, layer: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(oof_score, labels)`` of the masked items at ``layer`` (default: best layer)."""
        r = self._row(self.best_layer if layer is None else layer)
        return self.oof_score[r, self.mask], self.labels[self.mask]

    def at_layer(self, layer: int | None = None) -> dict[str, float]:
        """Mean metrics and control scores at one layer (default: best layer)."""
        layer = self.best_layer if layer is None else layer
        r = self._row(layer)
        out: dict[str, float] = {
            "layer": layer,
            "accuracy": float(np.nanmean(self.accuracy[r])),
            "balanced_accuracy": float(np.nanmean(self.balanced_accuracy[r])),
            "auroc": float(np.nanmean(self.auroc[r])),
            "majority": self.majority,
            "n_items": int(self.mask.sum()),
        }
        for name, c in self.controls.items():
            if c.layers is None:
                cr = 0
            else:
                hit = np.flatnonzero(c.layers == layer)
                if hit.size == 0:
                    continue
                cr = int(hit[0])
            out[f"{name}_accuracy"] = float(np.nanmean(c.accuracy[cr]))
            out[f"{name}_auroc"] = float(np.nanmean(c.auroc[cr]))
        return out

    # ---------------------------------------------------------------- tidy / plot
    def to_dataframe(self) -> pd.DataFrame:
        """Long table ``[layer, metric, value, sd, series]``: mean over folds (sd across
        folds) of the probe ("probe") and of every control (``series`` = control name);
        layer-free controls get one row per probed layer so they draw as flat lines."""
        rows = []
        metrics = ("accuracy", "balanced_accuracy", "auroc")
        for m in metrics:
            a = getattr(self, m)
            for r, layer in enumerate(self.layers):
                rows.append((int(layer), m, float(np.nanmean(a[r])), float(np.nanstd(a[r])), "probe"))
        for name, c in self.controls.items():
            for m in metrics:
                a = getattr(c, m)
                if c.layers is None:
                    for layer in self.layers:
                        rows.append((int(layer), m, float(np.nanmean(a[0])), float(np.nanstd(a[0])), name))
                else:
                    for r, layer in enumerate(c.layers):
                        rows.append((int(layer), m, float(np.nanmean(a[r])), float(np.nanstd(a[r])), name))
        if "control_task" in self.controls and self.controls["control_task"].layers is not None:
            sel = self.selectivity()
            for r, layer in enumerate(self.layers):
                rows.append((int(layer), "selectivity", float(sel[r]), float("nan"), "probe"))
        return pd.DataFrame(rows, columns=["layer", "metric", "value", "sd", "series"])

    def plot(self, ax=None, metric: str = "accuracy", own_margin_auroc: float | None = None, **kw):
        """Layerwise curve of ``metric`` with controls (see `senseslens.figures.probes`)."""
        from senseslens.figures.probes import plot_probe_curves

        return plot_probe_curves(
            self.to_dataframe(), ax=ax, metric=metric, own_margin_auroc=own_margin_auroc,
            chance=self.majority if metric == "accuracy" else 0.5, title=self.name, **kw
        )
