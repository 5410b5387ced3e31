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
    fast = _stratified_group_folds(y, g, n_splits, seed)
    if fast is None:
        sgkf = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        fast = np.full(idx.size, -1, np.int64)
        for f, (_, te) in enumerate(sgkf.split(np.zeros(idx.size), y, groups=g)):
            fast[te] = f
    for f in range(n_splits):
        if np.unique(y[fast != f]).size < 2:
            raise AnalysisError(
                f"fold {f}: the training part has a single class (too few clips of the minority class). "
                "Use fewer folds or more items."
            )
    folds[idx] = fast
    return folds


def _stratified_group_folds(y: np.ndarray, g: np.ndarray, n_splits: int, seed: int) -> np.ndarray | None:
    """Held-out fold per item, identical to ``StratifiedGroupKFold(n_splits, shuffle=True,
    random_state=seed)`` (its greedy assignment, replayed with the candidate folds of each
    clip evaluated in one array operation instead of one Python call each). None where
    scikit-learn itself would raise or warn (too few members of a class): the caller then
    runs scikit-learn."""
    _, y_inv, y_cnt = np.unique(y, return_inverse=True, return_counts=True)
    if y_cnt.min() < n_splits:
        return None
    _, g_inv, g_cnt = np.unique(g, return_inverse=True, return_counts=True)
    n_groups, n_classes = g_cnt.size, y_cnt.size
    counts = np.zeros((n_groups, n_classes))
    np.add.at(counts, (g_inv, y_inv), 1)
    perm = np.arange(n_groups)
    np.random.RandomState(seed).shuffle(perm)
    counts = counts[perm]
    inv_perm = np.empty_like(perm)
    inv_perm[perm] = np.arange(perm.size)
    g_inv = inv_perm[g_inv]
    order = np.argsort(-np.std(counts, axis=1), kind="stable")
    per_fold = np.zeros((n_splits, n_classes))
    eye = np.eye(n_splits)[:, :, None]  # candidate i adds the clip to fold i
    ycnt = y_cnt.reshape(1, 1, -1)
    fold_of_group = np.empty(n_groups, np.int64)
    for gi in order:
        gc = counts[gi]
        trial = per_fold[None] + eye * gc  # [candidate, fold, class]
        evals = np.std(trial / ycnt, axis=1).mean(axis=1)  # = scikit-learn's fold_eval per candidate
        sizes = per_fold.sum(axis=1)
        best, min_eval, min_size = 0, np.inf, np.inf
        for i in range(n_splits):  # scikit-learn's scan, with its tie rule (isclose, then the smaller fold)
            e = evals[i]
            if e < min_eval or (abs(e - min_eval) <= 1e-8 + 1e-5 * abs(min_eval) and sizes[i] < min_size):
                best, min_eval, min_size = i, e, sizes[i]
        per_fold[best] += gc
        fold_of_group[gi] = best
    return fold_of_group[g_inv]


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
