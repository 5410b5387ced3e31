"""Grouped folds, input validation and per-fold metrics shared by probes and controls."""

from __future__ import annotations

import numpy as np
from jaxtyping import Float, Int
from sklearn.model_selection import StratifiedGroupKFold

from senseslens.errors import AnalysisError

__all__ = ["check_labels", "grouped_folds", "fold_metrics"]


def check_labels(labels: np.ndarray, groups: np.ndarray, mask: np.ndarray | None, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate 0/1 ``labels``, ``groups`` and ``mask`` for ``n_items``; return ``(labels int64, mask bool)``."""
    labels = np.asarray(labels)
    groups = np.asarray(groups)
    if labels.shape != (n_items,) or groups.shape != (n_items,):
        raise AnalysisError(
            f"labels {labels.shape} and groups {groups.shape} must both be ({n_items},), one entry per item of X."
        )
    mask = np.ones(n_items, bool) if mask is None else np.asarray(mask, bool)
    if mask.shape != (n_items,):
        raise AnalysisError(f"mask has shape {mask.shape}; expected ({n_items},).")
    lab = labels[mask]
    if lab.dtype == bool:
        lab = lab.astype(np.int64)
    if not np.isin(np.unique(lab), (0, 1)).all():
        raise AnalysisError(f"labels must be 0/1 or bool; got values {np.unique(lab)[:5].tolist()}.")
    if np.unique(lab).size < 2:
        raise AnalysisError(
            "only one class among the probed items: a probe needs both standard (0) and "
            "misleading (1) items. Check the mask / the metadata filter."
        )
    out = np.full(n_items, -1, np.int64)
    out[mask] = lab.astype(np.int64)
    return out, mask


def grouped_folds(labels: np.ndarray, groups: np.ndarray, mask: np.ndarray, n_splits: int = 4, seed: int = 42) -> Int[np.ndarray, " n"]:
    """Held-out fold of each item from ``StratifiedGroupKFold(n_splits, shuffle=True,
    random_state=seed)`` run on the masked items (so twins of a clip never straddle
    train and test); -1 outside the mask. Raises `AnalysisError` if there are fewer
    clips than folds or a training part would lack a class."""
    idx = np.flatnonzero(mask)
    g = np.asarray(groups)[idx]
    y = labels[idx]
    n_groups = np.unique(g).size
    if n_groups < n_splits:
        raise AnalysisError(
            f"{n_groups} clips for {n_splits} grouped folds: need at least one clip per fold. "
            "Use fewer folds (n_splits) or more clips."
        )
    folds = np.full(labels.shape[0], -1, np.int64)
    sgkf = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    for f, (tr, te) in enumerate(sgkf.split(np.zeros(idx.size), y, groups=g)):
        if np.unique(y[tr]).size < 2:
            raise AnalysisError(
                f"fold {f}: the training part has a single class (too few clips of the minority class). "
                "Use fewer folds or more items."
            )
        folds[idx[te]] = f
    return folds


def fold_metrics(
    scores: Float[np.ndarray, "L n"], labels: np.ndarray, folds: np.ndarray, n_splits: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-fold accuracy, balanced accuracy and AUROC of held-out scores, each ``[L, F]``.

    ``scores``: P(label 1) per layer and item (threshold 0.5). Folds whose test part
    has one class get AUROC NaN (accuracy is still defined).
    """
    from scipy.stats import rankdata

    L = scores.shape[0]
    acc = np.full((L, n_splits), np.nan)
    bal = np.full((L, n_splits), np.nan)
    auc = np.full((L, n_splits), np.nan)
    for f in range(n_splits):
        te = folds == f
        if not te.any():
            continue
        y = labels[te]
        s = scores[:, te]
        pred = (s > 0.5).astype(np.int64)
        acc[:, f] = (pred == y).mean(1)
        recalls = [(pred[:, y == c] == c).mean(1) for c in np.unique(y)]
        bal[:, f] = np.mean(recalls, axis=0)
        n1 = int(y.sum())
        n0 = y.size - n1
        if n1 and n0:
            r = rankdata(s, axis=1)
            auc[:, f] = (r[:, y == 1].sum(1) - n1 * (n1 + 1) / 2) / (n1 * n0)
    return acc, bal, auc
