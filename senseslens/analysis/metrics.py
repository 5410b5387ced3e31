"""Classification metrics and cluster-bootstrap helpers, vectorised with numpy.

Conventions
-----------
* Binary labels are ``{0, 1}`` (1 = positive, e.g. "misleading"); scores are any
  real numbers where larger means "more positive" (probabilities or logits).
* AUROC uses average ranks for ties (a tie counts one half), which is what
  ``sklearn.metrics.roc_auc_score`` computes.
* Bootstraps resample *clips* (groups) with replacement by default: twins of one
  clip are correlated, so resampling items would make intervals too narrow. A
  resample is represented as integer weights ``W[b, i]`` = how often the clip of
  item ``i`` was drawn, so every statistic is a weighted version of itself and B
  resamples cost a few ``[B, n]`` array operations instead of a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from jaxtyping import Float, Int
from scipy.stats import rankdata

from senseslens.errors import AnalysisError

__all__ = [
    "auroc",
    "accuracy",
    "balanced_accuracy",
    "bootstrap_weights",
    "weighted_auroc",
    "BootstrapCI",
    "bootstrap_auroc",
    "paired_bootstrap",
]


def _binary(y: np.ndarray, name: str = "labels") -> np.ndarray:
    y = np.asarray(y)
    if y.dtype == bool:
        return y.astype(np.int8)
    u = np.unique(y)
    if not np.isin(u, (0, 1)).all():
        raise AnalysisError(
            f"{name} must be binary 0/1 (or bool); got values {u[:5].tolist()}. "
            "Map the positive class to 1 before calling."
        )
    return y.astype(np.int8)


def auroc(y: np.ndarray, scores: Float[np.ndarray, "*batch n"]) -> Float[np.ndarray, "*batch"] | float:
    """Area under the ROC curve of ``scores`` for binary ``y``; batched over leading axes.

    ``y``: ``[n]`` 0/1. ``scores``: ``[..., n]``. Returns ``[...]`` (a float for 1-D input).
    Raises `AnalysisError` if one class is missing or scores contain NaN.
    """
    y = _binary(y)
    s = np.asarray(scores, dtype=np.float64)
    if s.shape[-1] != y.shape[0]:
        raise AnalysisError(f"scores have {s.shape[-1]} items on the last axis but labels have {y.shape[0]}.")
    n1 = int(y.sum())
    n0 = y.size - n1
    if n1 == 0 or n0 == 0:
        raise AnalysisError("AUROC needs both classes among the scored items; only one is present.")
    if np.isnan(s).any():
        raise AnalysisError("scores contain NaN; drop or impute those items before computing AUROC.")
    ranks = rankdata(s, axis=-1)
    r1 = ranks[..., y == 1].sum(axis=-1)
    out = (r1 - n1 * (n1 + 1) / 2.0) / (n1 * n0)
    return float(out) if out.ndim == 0 else out


def accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    """Fraction of ``pred == y`` (any label type)."""
    y, pred = np.asarray(y), np.asarray(pred)
    return float((y == pred).mean()) if y.size else float("nan")


def balanced_accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    """Mean over the classes present in ``y`` of the per-class recall."""
    y, pred = np.asarray(y), np.asarray(pred)
    classes = np.unique(y)
    return float(np.mean([(pred[y == c] == c).mean() for c in classes])) if y.size else float("nan")


def bootstrap_weights(
    n_items: int,
    groups: np.ndarray | None = None,
    n_boot: int = 10_000,
    seed: int = 42,
) -> Int[np.ndarray, "B n"]:
    """Resampling weights ``W[b, i]`` for a (cluster) bootstrap.

    With ``groups`` (``[n]`` clip ids) whole clips are drawn with replacement and every
    item inherits its clip's count; with ``groups=None`` items are drawn. Returns int32
    ``[n_boot, n_items]``; row sums vary with clip sizes under the cluster bootstrap.
    """
    rng = np.random.default_rng(seed)
    if groups is None:
        codes = np.arange(n_items)
    else:
        groups = np.asarray(groups)
        if groups.shape[0] != n_items:
            raise AnalysisError(f"groups has {groups.shape[0]} entries for {n_items} items.")
        _, codes = np.unique(groups, return_inverse=True)
    n_units = int(codes.max()) + 1 if codes.size else 0
    if n_units < 2:
        raise AnalysisError("a bootstrap needs at least two clips (groups); got fewer.")
    counts = rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=n_boot).astype(np.int32)
    return counts[:, codes]


def weighted_auroc(
    y: np.ndarray, scores: Float[np.ndarray, " n"], W: Float[np.ndarray, "B n"], chunk: int = 1000
) -> Float[np.ndarray, " B"]:
    """AUROC for each row of item weights ``W`` (ties count one half); NaN where a class has zero weight.

    Sorting is done once; each weighted AUROC is a cumulative sum over the sorted items.
    """
    y = _binary(y)
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    n = s.size
    # start / end (inclusive) of each item's tie block in sorted order
    new_block = np.r_[True, s_sorted[1:] != s_sorted[:-1]]
    block_id = np.cumsum(new_block) - 1
    starts = np.flatnonzero(new_block)
    ends = np.r_[starts[1:] - 1, n - 1]
    start_i, end_i = starts[block_id], ends[block_id]
    pos, neg = y_sorted == 1, y_sorted == 0
    out = np.empty(W.shape[0])
    for a in range(0, W.shape[0], chunk):
        w = np.asarray(W[a : a + chunk], dtype=np.float64)[:, order]
        cneg = np.cumsum(w * neg, axis=1)
        below = np.where(start_i > 0, cneg[:, np.maximum(start_i - 1, 0)], 0.0)
        tie = cneg[:, end_i] - below
        wp = w * pos
        num = (wp * (below + 0.5 * tie)).sum(axis=1)
        den = wp.sum(axis=1) * (w * neg).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[a : a + chunk] = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    return out


@dataclass(frozen=True)
class BootstrapCI:
    """A point estimate with a percentile bootstrap interval.

    ``estimate`` is the statistic on the original sample, ``low``/``high`` the
    ``(1-level)/2`` and ``(1+level)/2`` percentiles of the resampled statistic,
    ``p_le_zero`` the fraction of resamples with statistic <= 0 (a one-sided
    bootstrap p-value for "statistic > 0", floored at 1/B), ``n_boot`` the number
    of resamples and ``unit`` what was resampled ("clip" or "item").
    """

    estimate: float
    low: float
    high: float
    p_le_zero: float
    n_boot: int
    unit: str

    def to_dict(self) -> dict[str, float | int | str]:
        return {
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "p_le_zero": self.p_le_zero,
            "n_boot": self.n_boot,
            "unit": self.unit,
        }


def _ci(estimate: float, boot: np.ndarray, level: float, unit: str) -> BootstrapCI:
    boot = boot[np.isfinite(boot)]
    if boot.size == 0:
        return BootstrapCI(estimate, float("nan"), float("nan"), float("nan"), 0, unit)
    lo, hi = np.percentile(boot, [50 * (1 - level), 50 * (1 + level)])
    p = max(float(np.mean(boot <= 0)), 1.0 / boot.size)
    return BootstrapCI(float(estimate), float(lo), float(hi), p, int(boot.size), unit)


def bootstrap_auroc(
    y: np.ndarray,
    scores: np.ndarray,
    groups: np.ndarray | None = None,
    *,
    baseline_scores: np.ndarray | None = None,
    n_boot: int = 10_000,
    seed: int = 42,
    level: float = 0.95,
) -> BootstrapCI:
    """AUROC of ``scores`` (or, with ``baseline_scores``, the paired difference
    ``AUROC(scores) - AUROC(baseline_scores)`` on the same resamples) with a
    cluster-bootstrap CI over ``groups`` (items if None)."""
    W = bootstrap_weights(len(y), groups, n_boot, seed)
    boot = weighted_auroc(y, scores, W)
    est = auroc(y, scores)
    if baseline_scores is not None:
        boot = boot - weighted_auroc(y, baseline_scores, W)
        est = est - auroc(y, baseline_scores)
    return _ci(est, boot, level, "item" if groups is None else "clip")


def paired_bootstrap(
    correct_a: np.ndarray,
    correct_b: np.ndarray,
    groups: np.ndarray | None = None,
    *,
    n_boot: int = 10_000,
    seed: int = 42,
    level: float = 0.95,
) -> BootstrapCI:
    """Paired bootstrap of the accuracy difference ``mean(correct_a) - mean(correct_b)``.

    ``correct_a``/``correct_b``: ``[n]`` 0/1 per-item correctness of two methods on
    the same held-out items. ``p_le_zero`` tests "a > b" one-sided.
    """
    a = np.asarray(correct_a, dtype=np.float64)
    b = np.asarray(correct_b, dtype=np.float64)
    if a.shape != b.shape:
        raise AnalysisError(f"paired bootstrap needs equal-length inputs; got {a.shape} and {b.shape}.")
    diff = a - b
    W = bootstrap_weights(diff.size, groups, n_boot, seed).astype(np.float64)
    boot = (W @ diff) / W.sum(axis=1)
    return _ci(float(diff.mean()), boot, level, "item" if groups is None else "clip")
