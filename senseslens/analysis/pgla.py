"""PGLA (probe-guided logit adjustment) under the paper's nested protocol, side by side
with a constant-bias baseline: `pgla(...) -> PGLAResult`.

Protocol (paper, App. F):

1. Stratified (standard vs misleading) 25% probe-training / 75% evaluation split
   (``StratifiedShuffleSplit(test_size=0.75, random_state=seed)``). The probe (MLP
   d->256->2 or linear) is trained on the 25% and scores every item; ``beta`` =
   mean(L_E - L_F) over the standard items of the 25%.
2. On the 75%: ``StratifiedKFold(5, shuffle=True, random_state=seed)`` on the
   misleading label. For each held-out fold, the config with the best balanced
   accuracy on the other 4 folds is scored on the held-out fold; the mean over the
   5 folds is reported. With a budget of ``k`` points, only configs whose standard
   accuracy on the tuning folds is at most ``k`` points below the unadjusted model's
   are eligible (if none is, the unadjusted model is kept: delta Bal = 0).
3. The constant-bias baseline runs the identical protocol with ``p`` replaced by a
   constant ``c`` from `CONSTANT_GRID` (crossed with the whole PGLA grid). If PGLA
   does not beat it, the probe adds nothing over moving the decision threshold.

Accuracies are fractions in [0, 1] in arrays and percentages (``*_pct``) in tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from jaxtyping import Float

from senseslens.analysis.pgla_core import (
    CELLS,
    adjusted_predictions,
    cell_counts,
    grid_table,
    raw_predictions,
    scores_from_counts,
)
from senseslens.errors import AnalysisError

__all__ = ["pgla", "PGLAResult", "pgla_split", "item_cells"]

LETTERS = "ABCDEF"


def item_cells(meta: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(cell [n] in CELLS order, gold option index [n])`` from meta columns
    ``modality``, ``premise`` and ``gold`` (a letter; misleading golds default to E / F)."""
    for col in ("modality", "premise"):
        if col not in meta.columns:
            raise AnalysisError(f"meta lacks column {col!r}; PGLA needs modality, premise and gold.")
    mod = meta["modality"].to_numpy()
    mis = meta["premise"].to_numpy() == "misleading"
    cell = np.where(mis, 2, 0) + np.where(mod == "audio", 1, 0)
    reject = np.where(mod == "vision", 4, 5)
    if "gold" in meta.columns:
        gold = np.array([LETTERS.find(str(g).strip()[:1].upper()) for g in meta["gold"]])
    else:
        gold = np.full(len(meta), -1)
    gold = np.where(mis, reject, gold)
    if (gold[~mis] < 0).any() or (gold[~mis] > 3).any():
        raise AnalysisError("standard items need a 'gold' letter A-D in meta (the correct content answer).")
    return cell.astype(np.int64), gold.astype(np.int64)


def pgla_split(is_misleading: np.ndarray, train_frac: float = 0.25, seed: int = 42) -> np.ndarray:
    """Boolean ``[n]`` mask of the stratified probe-training part (the rest is evaluated)."""
    from sklearn.model_selection import StratifiedShuffleSplit

    sss = StratifiedShuffleSplit(n_splits=1, test_size=1.0 - train_frac, random_state=seed)
    tr, _ = next(sss.split(np.zeros(len(is_misleading)), is_misleading))
    out = np.zeros(len(is_misleading), bool)
    out[tr] = True
    return out


@dataclass(frozen=True)
class PGLAResult:
    """PGLA and the constant-bias baseline under the nested protocol.

    * ``summary``: one row per (method, budget): ``bal/std/mis _before/_after`` (mean over
      the 5 held-out folds, %), ``delta_bal_pct``, and per-cell after accuracies. Methods:
      "pgla" (the first / only probe), "pgla_<kind>" (further probes), "constant_bias";
      budgets "unconstrained", "3pt", "1pt".
    * ``configs``: one row per (method, config): mean held-out std / mis / Bal (%), the
      config's parameters and ``pareto`` (not dominated in (std, mis) within its method).
    * ``folds``: chosen config per (method, budget, fold) with its tuning and test Bal.
    * ``beta``, ``probe_accuracy`` (probe on the 75%), ``train_mask [n]``, ``p [n]``.
    """

    summary: pd.DataFrame
    configs: pd.DataFrame
    folds: pd.DataFrame
    beta: float
    probe_accuracy: Mapping[str, float]
    train_mask: np.ndarray
    p: Mapping[str, np.ndarray]
    info: Mapping[str, Any] = field(default_factory=dict)

    def to_dataframe(self, model: str = "") -> pd.DataFrame:
        """Rows for the ΔBal bars figure: ``[model, method, budget, bal_before_pct, bal_after_pct, ...]``."""
        df = self.summary.copy()
        df.insert(0, "model", model)
        return df

    def pareto_dataframe(self) -> pd.DataFrame:
        """Rows for the Pareto figure: ``[method, std_acc_pct, mis_acc_pct, bal_pct, config, pareto]``."""
        return self.configs[["method", "std_acc_pct", "mis_acc_pct", "bal_pct", "config", "pareto"]].copy()

    def plot(self, ax=None, kind: str = "pareto", **kw):
        """``kind="pareto"``: standard vs misleading accuracy of every config per method;
        ``kind="bars"``: Bal before/after per method and budget."""
        if kind == "pareto":
            from senseslens.figures.pareto import plot_pareto

            base = self.summary.iloc[0]
            return plot_pareto(self.pareto_dataframe(), ax=ax,
                               baseline=(base["std_before_pct"], base["mis_before_pct"]), **kw)
        from senseslens.figures.pgla import plot_pgla_delta

        return plot_pgla_delta(self.to_dataframe(kw.pop("model", "")), ax=ax, **kw)


def _budget_label(budget: float | None) -> str:
    return "unconstrained" if budget is None else f"{budget:g}pt"


def _pareto(std: np.ndarray, mis: np.ndarray) -> np.ndarray:
    dom = (std[None, :] >= std[:, None]) & (mis[None, :] >= mis[:, None]) & (
        (std[None, :] > std[:, None]) | (mis[None, :] > mis[:, None]))
    return ~dom.any(1)


def _nested(correct, raw_correct, cell, fold, n_folds, budgets):
    """Nested selection for one method. Returns per budget the per-fold (config index or -1,
    tune bal, test scores) and the per-config mean test scores."""
    hits, tot = cell_counts(correct, cell, fold, n_folds)  # [K,4,F], [4,F]
    rhits, _ = cell_counts(raw_correct[None], cell, fold, n_folds)
    all_h, all_t = hits.sum(-1, keepdims=True), tot.sum(-1, keepdims=True)
    tune = scores_from_counts(np.moveaxis(all_h - hits, 1, -1), (all_t - tot).T)  # [K, F]
    test = scores_from_counts(np.moveaxis(hits, 1, -1), tot.T)  # [K, F]
    rtune = scores_from_counts(np.moveaxis(rhits.sum(-1, keepdims=True) - rhits, 1, -1), (all_t - tot).T)
    rtest = scores_from_counts(np.moveaxis(rhits, 1, -1), tot.T)
    chosen = {}
    for budget in budgets:
        ok = np.ones_like(tune["bal"], bool) if budget is None else tune["std"] >= rtune["std"] - budget / 100.0 - 1e-12
        sel = np.where(ok, tune["bal"], -np.inf)
        idx = sel.argmax(0)  # first best config per fold
        has = ok.any(0)
        chosen[budget] = np.where(has, idx, -1)
    return chosen, tune, test, rtune, rtest


def pgla(
    choice_logits: Float[np.ndarray, "n 6"],
    probe: np.ndarray | tuple[np.ndarray, np.ndarray] | Mapping[str, np.ndarray],
    meta: pd.DataFrame,
    *,
    probe_kinds: Sequence[str] = ("mlp", "linear"),
    train_mask: np.ndarray | None = None,
    train_frac: float = 0.25,
    n_folds: int = 5,
    budgets: Sequence[float | None] = (None, 3.0, 1.0),
    seed: int = 42,
) -> PGLAResult:
    """Run PGLA and the constant-bias baseline under the paper's nested protocol.

    ``choice_logits``: ``[n, 6]`` logits of options A..F at the answer position.
    ``probe``: either ``X_layer [n, d]`` activations at the PGLA layer (probes of each
    ``probe_kinds`` are trained on the 25% split; labels come from ``meta.premise``), or
    precomputed ``P(misleading)`` scores: an array ``[n]`` or ``{name: [n]}`` (then pass
    ``train_mask`` = the items the probe was trained on, else the paper's split is used).
    ``meta``: ``modality``, ``premise``, ``gold`` (A-D for standard items) per item.
    ``budgets``: standard-accuracy drop allowances in points (``None`` = unconstrained).
    """
    logits = np.asarray(choice_logits, np.float64)
    if logits.ndim != 2 or logits.shape[1] != 6:
        raise AnalysisError(f"choice_logits must be [n, 6] (options A-F); got {logits.shape}.")
    if len(meta) != logits.shape[0]:
        raise AnalysisError(f"meta has {len(meta)} rows for {logits.shape[0]} items.")
    if not np.isfinite(logits).all():
        raise AnalysisError("choice_logits contain NaN/inf; drop those items first.")
    cell, gold = item_cells(meta)
    y = (cell >= 2).astype(np.int64)
    if np.unique(y).size < 2:
        raise AnalysisError("PGLA needs both standard and misleading items.")
    tm = pgla_split(y, train_frac, seed) if train_mask is None else np.asarray(train_mask, bool)
    scores: dict[str, np.ndarray]
    X = probe if isinstance(probe, np.ndarray) and probe.ndim == 2 else None
    if X is not None:
        from senseslens.analysis.probe_estimators import LinearProbe, MLPProbe

        scores = {}
        for k in probe_kinds:
            est = MLPProbe(seed=seed) if k == "mlp" else LinearProbe()
            scores[k] = est.fit(X[tm], y[tm]).predict_proba(X)[:, 1]
    elif isinstance(probe, Mapping):
        scores = {k: np.asarray(v, np.float64) for k, v in probe.items()}
    else:
        scores = {"probe": np.asarray(probe, np.float64)}
    for k, v in scores.items():
        if v.shape != (logits.shape[0],) or not np.isfinite(v).all():
            raise AnalysisError(f"probe scores {k!r} must be finite, shape ({logits.shape[0]},).")
    std_tr = tm & (y == 0)
    if not std_tr.any():
        raise AnalysisError("no standard items in the probe-training part: beta = mean(L_E - L_F) is undefined.")
    beta = float((logits[std_tr, 4] - logits[std_tr, 5]).mean())

    ev = np.flatnonzero(~tm)
    from sklearn.model_selection import StratifiedKFold

    if np.bincount(y[ev], minlength=2).min() < n_folds:
        raise AnalysisError(f"too few misleading or standard items in the evaluation part for {n_folds} folds.")
    fold = np.empty(ev.size, np.int64)
    for f, (_, te) in enumerate(StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(ev, y[ev])):
        fold[te] = f
    Lev, cev, gev = logits[ev], cell[ev], gold[ev]
    raw_correct = raw_predictions(Lev) == gev

    methods: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}
    grid = grid_table()
    first = next(iter(scores))
    for k, v in scores.items():
        methods["pgla" if k in (first, "probe") else f"pgla_{k}"] = (
            grid, adjusted_predictions(Lev, v[ev], grid, beta) == gev[None])
    cgrid = grid_table(constant=True)
    methods["constant_bias"] = (cgrid, adjusted_predictions(Lev, None, cgrid, beta) == gev[None])

    summ, conf, folds = [], [], []
    for name, (g, correct) in methods.items():
        chosen, tune, test, rtune, rtest = _nested(correct, raw_correct, cev, fold, n_folds, budgets)
        mstd, mmis, mbal = (100 * np.nanmean(test[k], 1) for k in ("std", "mis", "bal"))
        par = _pareto(mstd, mmis)
        cols = list(g.columns)
        labels = [", ".join(f"{c}={v:g}" for c, v in zip(cols, row)) for row in g.to_numpy()]
        conf.append(g.assign(method=name, config=labels, std_acc_pct=mstd, mis_acc_pct=mmis, bal_pct=mbal, pareto=par))
        for budget, idx in chosen.items():
            F = np.arange(n_folds)
            pick = lambda key: np.where(idx >= 0, test[key][np.maximum(idx, 0), F], rtest[key][0, F])
            cells = np.where((idx >= 0)[:, None], test["cells"][np.maximum(idx, 0), F], rtest["cells"][0, F])
            row = {"method": name, "budget": _budget_label(budget),
                   "bal_before_pct": 100 * rtest["bal"][0].mean(), "bal_after_pct": 100 * pick("bal").mean(),
                   "std_before_pct": 100 * rtest["std"][0].mean(), "std_after_pct": 100 * pick("std").mean(),
                   "mis_before_pct": 100 * rtest["mis"][0].mean(), "mis_after_pct": 100 * pick("mis").mean()}
            row["delta_bal_pct"] = row["bal_after_pct"] - row["bal_before_pct"]
            for j, c in enumerate(CELLS):
                row[f"{c}_after_pct"] = 100 * np.nanmean(cells[:, j])
            summ.append(row)
            for f in range(n_folds):
                folds.append({"method": name, "budget": row["budget"], "fold": f, "config": int(idx[f]),
                              "tune_bal_pct": 100 * (tune["bal"][idx[f], f] if idx[f] >= 0 else rtune["bal"][0, f]),
                              "tune_std_pct": 100 * (tune["std"][idx[f], f] if idx[f] >= 0 else rtune["std"][0, f]),
                              "tune_std_before_pct": 100 * rtune["std"][0, f],
                              "test_bal_pct": 100 * pick("bal")[f]})
    acc = {k: float(((v[ev] > 0.5) == y[ev]).mean()) for k, v in scores.items()}
    return PGLAResult(pd.DataFrame(summ), pd.concat(conf, ignore_index=True), pd.DataFrame(folds), beta, acc, tm,
                      scores, {"n_train": int(tm.sum()), "n_eval": int(ev.size), "n_folds": n_folds, "seed": seed})
