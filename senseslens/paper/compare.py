"""Compare a study report with the paper's published numbers for the same model.

Tolerance
---------
A value is *within* when the published number lies inside the report's bootstrap CI for
that value (widened by 0.05 points, the rounding of the published numbers), or, when the
report gives no CI, when ``|ours − published|`` is at most the default tolerance:

* accuracies per cell and Bal: **±5 points**. One cell has 500 items; the binomial
  standard error at p = 0.5 is √(0.25/500) ≈ 2.2 points, so ±2 SE ≈ 4.5 points, rounded
  up. (Bal averages four cells and is tighter; the same bound keeps one rule for the figure.)
* probe accuracies and text controls: **±5 points**. 1,500 items per probe give an SE of
  ≈ 1.2 points, but fold assignment, frame sampling and audio decoding move probes by
  several points between pipelines.
* PGLA ΔBal: **±5 points** (difference of two Bal values on ≈ 1,500 held-out items, plus
  the selection of one of 162 configurations per fold).
* peak layer: **±2 layers** (the probe curve is flat near its peak).
* failure mode: must be equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from senseslens.paper.behavior import BEHAVIOR
from senseslens.paper.models import PaperModel, match_model
from senseslens.paper.pgla import PGLA, PGLA_AVERAGE_LABEL
from senseslens.paper.probes import MAJORITY_PCT, PEAK_LAYER, PROBES, TEXT_BASELINES
from senseslens.paper.report import Measurement, ReportError, load_report, read_measurements

__all__ = ["Tolerance", "ComparisonRow", "ComparisonResult", "compare", "FIGURES", "Verdict"]

Verdict = Literal["within", "outside", "not published"]
FigureVerdict = Literal["within", "outside", "not published", "not reported"]

#: Figures a comparison is grouped by, in display order.
FIGURES: tuple[str, ...] = ("behavior_cells", "probe", "pgla")

#: Rounding of the published numbers (one decimal), added to CIs.
ROUNDING_PT = 0.05


@dataclass(frozen=True)
class Tolerance:
    """Default half-widths used when a report gives no CI (see the module docstring)."""

    accuracy_pt: float = 5.0
    probe_pt: float = 5.0
    delta_pt: float = 5.0
    layer: float = 2.0

    @classmethod
    def uniform(cls, points: float) -> Tolerance:
        """The same half-width for every percentage metric (layers keep their default)."""
        if points < 0:
            raise ValueError(f"tolerance must be ≥ 0 points, got {points}; pass e.g. 5.0.")
        return cls(accuracy_pt=points, probe_pt=points, delta_pt=points)

    def for_metric(self, figure: str, metric: str) -> float:
        """Half-width (points, or layers for ``best_layer``) that applies to ``metric``."""
        if metric == "best_layer":
            return self.layer
        return {"behavior_cells": self.accuracy_pt, "probe": self.probe_pt,
                "pgla": self.delta_pt}[figure]


@dataclass(frozen=True)
class ComparisonRow:
    """One metric: our value, the published one, and whether they agree."""

    figure: str
    metric: str
    ours: float | str
    published: float | str | None
    difference: float | None
    tolerance: float | None
    ci: tuple[float, float] | None
    tolerance_source: str
    verdict: Verdict
    note: str = ""


@dataclass(frozen=True)
class ComparisonResult:
    """Outcome of :func:`compare`: one row per metric found in the report."""

    model: str
    checkpoint: str | None
    report_model: str | None
    rows: tuple[ComparisonRow, ...]
    tolerance: Tolerance = field(default_factory=Tolerance)

    def to_dataframe(self) -> pd.DataFrame:
        """Columns ``figure, metric, ours, published, difference, tolerance, ci_lo, ci_hi,
        tolerance_source, verdict, note``; differences in points (layers for best_layer)."""
        records = []
        for r in self.rows:
            records.append({
                "figure": r.figure, "metric": r.metric, "ours": r.ours,
                "published": r.published, "difference": r.difference,
                "tolerance": r.tolerance,
                "ci_lo": r.ci[0] if r.ci else None, "ci_hi": r.ci[1] if r.ci else None,
                "tolerance_source": r.tolerance_source, "verdict": r.verdict, "note": r.note,
            })
        cols = ["figure", "metric", "ours", "published", "difference", "tolerance", "ci_lo",
                "ci_hi", "tolerance_source", "verdict", "note"]
        return pd.DataFrame(records, columns=cols)

    @property
    def verdict(self) -> dict[str, FigureVerdict]:
        """Per figure: ``outside`` if any metric is outside, else ``within`` if any was
        compared, ``not published`` if the paper has none of the reported metrics,
        ``not reported`` if the report has none for that figure."""
        out: dict[str, FigureVerdict] = {}
        for fig in FIGURES:
            verdicts = {r.verdict for r in self.rows if r.figure == fig}
            if "outside" in verdicts:
                out[fig] = "outside"
            elif "within" in verdicts:
                out[fig] = "within"
            elif verdicts:
                out[fig] = "not published"
            else:
                out[fig] = "not reported"
        return out

    @property
    def ok(self) -> bool:
        """True when no compared metric is outside its tolerance."""
        return all(r.verdict != "outside" for r in self.rows)

    def figure_frames(self) -> dict[str, pd.DataFrame]:
        """Ours and published side by side, in the schemas of the figure functions."""
        from senseslens.paper._compare_frames import figure_frames

        return figure_frames(self)

    def plot(self, figure: str | None = None, ax: Any = None) -> Any:
        """Draw ours next to the published values.

        With ``figure`` (one of :data:`FIGURES`) returns that Axes; without, draws every
        figure with data into one new figure and returns the list of Axes.
        """
        from senseslens.paper._compare_frames import plot_comparison

        return plot_comparison(self, figure, ax)


def _published(model: PaperModel, figure: str, metric: str) -> tuple[Any, str]:
    """Published value of ``metric`` for ``model`` (``None`` if not published) and a note."""
    if figure == "behavior_cells":
        row = next((b for b in BEHAVIOR if b.model == model.name), None)
        if row is None:
            return None, ""
        return (row.failure_mode if metric == "mode" else row.cell(metric)), ""
    if figure == "probe":
        return _published_probe(model.name, metric)
    if metric == "delta_bal.unconstrained":
        hit = next((p for p in PGLA if p.model == model.name and p.budget == "unconstrained"),
                   None)
        return (hit.delta_bal if hit else None), ""
    if metric.startswith("delta_bal."):
        budget = metric.split(".", 1)[1]
        avg = next((p.delta_bal for p in PGLA
                    if p.model == PGLA_AVERAGE_LABEL and p.budget == budget), None)
        note = (f"paper gives only the 8-model average for this budget ({avg:+.1f})"
                if avg is not None else "")
        return None, note
    if metric.startswith("constant_bias"):
        return None, "the paper ran no constant-bias control"
    return None, ""


_CONTROL_ALIASES = {
    "resid": "resid", "residual": "resid", "residualised": "resid", "residualized": "resid",
    "tfidf": "tfidf", "texttfidf": "tfidf", "sbert": "sbert", "textsbert": "sbert",
    "majority": "majority",
}


def _published_probe(name: str, metric: str) -> tuple[Any, str]:
    row = next((p for p in PROBES if p.model == name), None)
    if metric == "best_layer":
        peak = next((p for p in PEAK_LAYER if p.model == name), None)
        return (peak.layer if peak else None), (peak.note if peak else "")
    parts = metric.split(".")
    if parts[0] in ("vision", "audio") and parts[1] == "acc":
        if row is None:
            return None, ""
        return (row.probe_v if parts[0] == "vision" else row.probe_a), ""
    if parts[0] != "controls" or len(parts) not in (2, 3):
        return None, ""
    kind = _CONTROL_ALIASES.get("".join(ch for ch in parts[1].lower() if ch.isalpha()))
    if kind == "majority":  # the same for vision and audio (1,000 vs 500 items)
        return MAJORITY_PCT, ""
    if len(parts) == 2:
        return None, "give vision and audio separately to compare this control"
    mod = parts[2]
    if kind in ("tfidf", "sbert"):
        hit = next((t.acc for t in TEXT_BASELINES if t.method == kind and t.modality == mod), None)
        return hit, "text-only control: the same for every model"
    if kind == "resid" and row is not None:
        return (row.resid_v if mod == "vision" else row.resid_a), ""
    return None, ""


def _judge(m: Measurement, published: Any, tol: Tolerance) -> ComparisonRow:
    base = dict(figure=m.figure, metric=m.metric, ours=m.value, published=published, ci=m.ci,
                note=m.note)
    if published is None:
        return ComparisonRow(difference=None, tolerance=None, tolerance_source="—",
                             verdict="not published", **base)
    if isinstance(m.value, str) or isinstance(published, str):
        same = str(m.value) == str(published)
        return ComparisonRow(difference=None, tolerance=None, tolerance_source="exact match",
                             verdict="within" if same else "outside", **base)
    diff = round(float(m.value) - float(published), 9)
    if m.ci is not None:
        lo, hi = m.ci
        inside = lo - ROUNDING_PT <= float(published) <= hi + ROUNDING_PT
        return ComparisonRow(difference=diff, tolerance=None, tolerance_source="bootstrap CI",
                             verdict="within" if inside else "outside", **base)
    half = tol.for_metric(m.figure, m.metric)
    inside = abs(diff) <= half + 1e-9
    return ComparisonRow(difference=diff, tolerance=half, tolerance_source="default",
                         verdict="within" if inside else "outside", **base)


def compare(
    report: Mapping[str, Any] | str | Path,
    model: str | None = None,
    tolerance: Tolerance | float | None = None,
) -> ComparisonResult:
    """Compare ``report`` with the paper's numbers for its model.

    Parameters
    ----------
    report
        A study report dict or the path of its ``report.json`` (schema in
        :mod:`senseslens.paper.report`). Behaviour and PGLA values in percent.
    model
        The paper's model to compare with (display name, hub id or alias); defaults to
        ``report["model"]``. Unknown names raise
        :class:`~senseslens.paper.models.UnknownPaperModelError` listing the known ones.
    tolerance
        A :class:`Tolerance`, a number of points applied to every percentage metric, or
        ``None`` for the defaults. Bootstrap CIs in the report take precedence.
    """
    data = load_report(report)
    name = model if model is not None else data.get("model")
    if name is None:
        raise ReportError("the report has no 'model' key and no model= was given; pass "
                          "compare(report, model='Qwen2.5-Omni') or add 'model' to the report.")
    paper_model = match_model(str(name))
    if tolerance is None:
        tol = Tolerance()
    elif isinstance(tolerance, Tolerance):
        tol = tolerance
    elif isinstance(tolerance, (int, float)) and not isinstance(tolerance, bool):
        tol = Tolerance.uniform(float(tolerance))
    else:
        raise TypeError(f"tolerance must be a Tolerance, a number of points or None, "
                        f"got {type(tolerance).__name__}.")
    rows = []
    for m in read_measurements(data):
        published, note = _published(paper_model, m.figure, m.metric)
        row = _judge(m, published, tol)
        if note:
            row = replace(row, note="; ".join(n for n in (row.note, note) if n))
        rows.append(row)
    order = {f: i for i, f in enumerate(FIGURES)}
    rows.sort(key=lambda r: order[r.figure])
    return ComparisonResult(
        model=paper_model.name, checkpoint=paper_model.checkpoint,
        report_model=None if data.get("model") is None else str(data.get("model")),
        rows=tuple(rows), tolerance=tol,
    )

