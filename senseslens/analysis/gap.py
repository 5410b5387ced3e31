"""The representation-action gap, per modality: `gap_report(...) -> GapReport`.

For each target modality m (never pooled across modalities: reject margins are
calibrated differently per modality and pooling them fakes a gap):

* items: standard and misleading questions *about m*;
* probe: its out-of-fold P(misleading) at one layer (default: the global probe's
  best layer), accuracy / AUROC there;
* behaviour: reject rate on misleading items (the right reject letter: E for
  vision, F for audio), false-reject rate on standard items;
* threshold-free comparison: AUROC of the probe's held-out scores vs AUROC of the
  model's own reject margin ``max(L_E, L_F) - max(L_A..L_D)`` on the same items,
  with clip-bootstrap CIs and the paired difference (probe - margin);
* runner-up rate: how often the right reject option is the second-ranked choice;
* "knows but does not say": misleading items the probe flags at its tuned
  threshold (the one maximising balanced accuracy on these held-out scores,
  so slightly optimistic) whose answer is not the right reject option;
* cross-modal interference: cell accuracies when audio / video are removed
  (logits of those runs are passed in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd
from jaxtyping import Float

from senseslens.analysis.metrics import BootstrapCI, bootstrap_auroc
from senseslens.analysis.pgla import item_cells
from senseslens.analysis.probe_result import ProbeResult
from senseslens.errors import AnalysisError

__all__ = ["gap_report", "GapReport", "reject_margin"]

MODALITIES = ("vision", "audio")
REJECT = {"vision": 4, "audio": 5}
LETTERS = "ABCDEF"
#: control name -> column of the probe-vs-behaviour (dumbbell) figure
CONTROL_COLUMNS = {"residualised": "resid_pct", "tfidf": "text_tfidf_pct", "sbert": "text_sbert_pct",
                   "shuffle": "shuffle_pct", "control_task": "control_task_pct"}


def reject_margin(choice_logits: Float[np.ndarray, "n 6"]) -> Float[np.ndarray, " n"]:
    """The model's own reject margin ``max(L_E, L_F) - max(L_A..L_D)`` (> 0: it rejects)."""
    L = np.asarray(choice_logits, np.float64)
    return L[:, 4:6].max(1) - L[:, :4].max(1)


@dataclass(frozen=True)
class GapReport:
    """Per-modality gap numbers (fractions in [0, 1]; ``*_pct`` columns in tables).

    ``table``: one row per modality (see `gap_report`). ``cis``: ``{modality: {"probe_auroc",
    "margin_auroc", "auroc_gap"}: BootstrapCI}``. ``knows_not_says``: one row per flagged item.
    ``interference``: cell accuracies per condition (empty if no ablation logits).
    """

    table: pd.DataFrame
    cis: Mapping[str, Mapping[str, BootstrapCI]]
    knows_not_says: pd.DataFrame
    interference: pd.DataFrame
    info: Mapping[str, Any] = field(default_factory=dict)

    def to_dataframe(self, model: str = "") -> pd.DataFrame:
        """Rows for the probe-vs-behaviour dumbbell: ``[model, modality, probe_pct,
        behavior_pct, <control>_pct..., probe_auroc, margin_auroc, auroc_gap, ci columns]``."""
        df = self.table.copy()
        df.insert(0, "model", model)
        return df

    def plot(self, ax=None, kind: str = "auroc", **kw):
        """``kind="auroc"``: probe vs own-margin AUROC per modality with 95% clip-bootstrap CIs;
        ``kind="dumbbell"``: probe accuracy vs reject rate (`senseslens.figures.dumbbell`).
        ``probe_pct`` is the probe's fold-mean accuracy on its own items (for the paper's
        vision probe: all standard items + misleading-vision, majority 66.7%), comparable
        with ``majority_pct`` and the controls; ``probe_modality_items_pct`` is its
        accuracy on this modality's items only (the items of the AUROC comparison)."""
        if kind == "dumbbell":
            from senseslens.figures.dumbbell import plot_probe_vs_behavior

            return plot_probe_vs_behavior(self.to_dataframe(kw.pop("model", "")), ax=ax, **kw)
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(4, 3))[1]
        mods = list(self.cis)
        x = np.arange(len(mods))
        for off, key, lab in ((-0.15, "probe_auroc", "probe (held-out)"), (0.15, "margin_auroc", "own reject margin")):
            est = [self.cis[m][key].estimate for m in mods]
            lo = [self.cis[m][key].estimate - self.cis[m][key].low for m in mods]
            hi = [self.cis[m][key].high - self.cis[m][key].estimate for m in mods]
            ax.errorbar(x + off, est, yerr=[lo, hi], fmt="o", capsize=3, label=lab)
        ax.axhline(0.5, color="grey", lw=0.8, ls="--")
        ax.set_xticks(x, mods)
        ax.set_ylabel("AUROC, misleading vs standard")
        ax.set_ylim(0.4, 1.0)
        ax.legend(frameon=False, fontsize=8)
        return ax


def _pick(probe_results, modality: str) -> ProbeResult:
    if isinstance(probe_results, ProbeResult):
        return probe_results
    if modality in probe_results:
        return probe_results[modality]
    if "global" in probe_results:
        return probe_results["global"]
    raise AnalysisError(f"no probe result for {modality!r}; pass a ProbeResult or a dict with '{modality}' or 'global'.")


def _best_threshold(y: np.ndarray, s: np.ndarray) -> float:
    """Threshold on ``s`` (predict 1 if s >= t) maximising balanced accuracy."""
    order = np.sort(np.unique(s))
    cands = np.r_[order, np.inf]
    pos, neg = s[y == 1], s[y == 0]
    tpr = (pos[None, :] >= cands[:, None]).mean(1)
    tnr = (neg[None, :] < cands[:, None]).mean(1)
    return float(cands[int(np.argmax(tpr + tnr))])


def gap_report(
    probe_results: ProbeResult | Mapping[str, ProbeResult],
    choice_logits: Float[np.ndarray, "n 6"],
    meta: pd.DataFrame,
    *,
    layer: int | None = None,
    ablations: Mapping[str, np.ndarray] | None = None,
    n_boot: int = 10_000,
    seed: int = 42,
) -> GapReport:
    """Compare what the probe decodes with what the model does, per modality.

    ``probe_results``: a `ProbeResult` or the dict of `paper_probes` (the "vision" /
    "audio" probes are used for their modality, else "global"). Its arrays must index
    the same ``n`` items as ``choice_logits [n, 6]`` (options A..F) and ``meta``
    (``clip_id``, ``modality``, ``premise``, ``gold``). ``layer``: probe layer (default:
    the "global" probe's best layer if given, else each probe's own best layer).
    ``ablations``: optional ``{"no_audio": [n, 6], "no_video": [n, 6]}`` choice logits of
    the same items with one modality removed.
    """
    L = np.asarray(choice_logits, np.float64)
    if L.ndim != 2 or L.shape[1] != 6 or L.shape[0] != len(meta):
        raise AnalysisError(f"choice_logits must be [n, 6] with n = len(meta) = {len(meta)}; got {L.shape}.")
    if not np.isfinite(L).all():
        raise AnalysisError("choice_logits contain NaN/inf; drop those items first.")
    if "clip_id" not in meta.columns:
        raise AnalysisError("meta lacks 'clip_id' (needed to bootstrap over clips).")
    cell, gold = item_cells(meta)
    mod = meta["modality"].to_numpy()
    mis = cell >= 2
    clips = meta["clip_id"].to_numpy()
    pred = L.argmax(1)
    margin = reject_margin(L)
    ranks = np.argsort(-L, axis=1)
    if layer is None and isinstance(probe_results, Mapping) and "global" in probe_results:
        layer = probe_results["global"].best_layer
    rows, cis, flagged = [], {}, []
    for m in MODALITIES:
        pr = _pick(probe_results, m)
        if pr.oof_score.shape[1] != L.shape[0]:
            raise AnalysisError(f"probe result covers {pr.oof_score.shape[1]} items, logits {L.shape[0]}.")
        lay = pr.best_layer if layer is None else layer
        s_all = pr.oof_score[pr._row(lay)]
        sel = (mod == m) & np.isfinite(s_all)
        y = mis[sel].astype(np.int64)
        if np.unique(y).size < 2:
            raise AnalysisError(f"{m}: need standard and misleading items with held-out probe scores.")
        s, mg, g = s_all[sel], margin[sel], clips[sel]
        ci_p = bootstrap_auroc(y, s, g, n_boot=n_boot, seed=seed)
        ci_m = bootstrap_auroc(y, mg, g, n_boot=n_boot, seed=seed)
        ci_d = bootstrap_auroc(y, s, g, baseline_scores=mg, n_boot=n_boot, seed=seed)
        cis[m] = {"probe_auroc": ci_p, "margin_auroc": ci_m, "auroc_gap": ci_d}
        r = REJECT[m]
        is_mis = mis & (mod == m)
        is_std = ~mis & (mod == m)
        runner_mis = float((ranks[is_mis, 1] == r).mean())
        runner_std = float((ranks[is_std, 1] == r).mean())
        thr = _best_threshold(y, s)
        pa = pr.at_layer(lay)
        row = {
            "modality": m, "layer": lay, "n_items": int(sel.sum()),
            "probe_pct": 100 * pa["accuracy"],  # the paper's number: fold-mean accuracy on the probe's items
            "probe_modality_items_pct": 100 * float(((s > 0.5) == y).mean()),
            "behavior_pct": 100 * float((pred[is_mis] == r).mean()),
            "false_reject_pct": 100 * float(np.isin(pred[is_std], (4, 5)).mean()),
            "std_acc_pct": 100 * float((pred[is_std] == gold[is_std]).mean()),
            "probe_auroc": ci_p.estimate, "probe_auroc_low": ci_p.low, "probe_auroc_high": ci_p.high,
            "margin_auroc": ci_m.estimate, "margin_auroc_low": ci_m.low, "margin_auroc_high": ci_m.high,
            "auroc_gap": ci_d.estimate, "auroc_gap_low": ci_d.low, "auroc_gap_high": ci_d.high,
            "auroc_gap_p": ci_d.p_le_zero,
            "runner_up_mis_pct": 100 * runner_mis, "runner_up_std_pct": 100 * runner_std,
            "threshold": thr,
        }
        row["majority_pct"] = 100 * pr.majority
        for name, c in pr.controls.items():
            if c.layers is None or lay in c.layers:
                cr = 0 if c.layers is None else int(np.flatnonzero(c.layers == lay)[0])
                row[CONTROL_COLUMNS.get(name, f"{name}_pct")] = 100 * float(np.nanmean(c.accuracy[cr]))
        rows.append(row)
        idx = np.flatnonzero(sel)[(s >= thr) & (y == 1)]
        idx = idx[pred[idx] != r]
        flagged.append(pd.DataFrame({
            "item": idx, "clip_id": clips[idx], "modality": m, "probe_score": s_all[idx],
            "answer": [LETTERS[k] for k in pred[idx]], "gold": [LETTERS[k] for k in gold[idx]],
            "reject_margin": margin[idx], "reject_rank": [int(np.flatnonzero(ranks[i] == r)[0]) + 1 for i in idx],
        }))
    inter = []
    conds = {"full": L, **({} if ablations is None else dict(ablations))}
    if len(conds) > 1:
        for cname, CL in conds.items():
            CL = np.asarray(CL, np.float64)
            if CL.shape != L.shape:
                raise AnalysisError(f"ablation {cname!r} logits have shape {CL.shape}; expected {L.shape}.")
            p = CL.argmax(1)
            for k, c in enumerate(("std_v", "std_a", "mis_v", "mis_a")):
                sel = cell == k
                inter.append({"condition": cname, "cell": c, "acc_pct": 100 * float((p[sel] == gold[sel]).mean())})
        inter = pd.DataFrame(inter)
        full = inter[inter.condition == "full"].set_index("cell")["acc_pct"]
        inter["delta_vs_full_pct"] = inter["acc_pct"] - inter["cell"].map(full)
    else:
        inter = pd.DataFrame(columns=["condition", "cell", "acc_pct", "delta_vs_full_pct"])
    return GapReport(pd.DataFrame(rows), cis, pd.concat(flagged, ignore_index=True), inter,
                     {"n_boot": n_boot, "margin": "max(L_E, L_F) - max(L_A..L_D)", "unit": "clip"})
