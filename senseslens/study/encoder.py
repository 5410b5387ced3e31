"""Perception baseline: can the encoder output alone tell that the named detail is absent?

The tower/projector output of a clip is the same for a standard question and its
misleading twin (same clip), so a probe of it for "misleading" is at chance by
construction. What perception can offer is whether a *given* detail is present. For
benchmarks whose items name their detail (``meta["target"]``) and list the clip's
details (``meta["present"]``), as the synthetic IMAVB does, we fit one linear probe per
detail ("is the red circle in this clip?") on the mean encoder output, out of fold
(folds grouped by clip), and score each item by ``1 - P(its named detail is present)``.
The AUROC of that score for the false premise is what perception alone could deliver,
to set beside the LM-layer probe and the model's own reject margin.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from jaxtyping import Float
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler

from ..analysis.metrics import auroc
from ..data.items import Item


def detail_labels_available(items: Sequence[Item]) -> bool:
    return all("target" in it.meta and "present" in it.meta for it in items)


def perception_scores(
    features: Float[np.ndarray, "n d"],
    items: Sequence[Item],
    *,
    n_splits: int = 4,
    seed: int = 42,
) -> np.ndarray:
    """Out-of-fold ``1 - P(named detail present)`` per item (NaN where it cannot be scored)."""
    clips = np.array([it.clip_id for it in items])
    targets = np.array([it.meta["target"] for it in items])
    present = [set(it.meta["present"]) for it in items]
    # one row per clip: its features and its details
    _, first = np.unique(clips, return_index=True)
    clip_rows = np.sort(first)
    Xc = features[clip_rows]
    clip_ids = clips[clip_rows]
    details = sorted(set(targets))
    scores = np.full(len(items), np.nan)
    folds = GroupKFold(n_splits=min(n_splits, len(clip_ids))).split(Xc, groups=clip_ids)
    item_of_clip = {c: np.flatnonzero(clips == c) for c in clip_ids}
    for train, test in folds:
        scaler = StandardScaler().fit(Xc[train])
        Xtr, Xte = scaler.transform(Xc[train]), scaler.transform(Xc[test])
        for detail in details:
            y = np.array([detail in present[clip_rows[i]] for i in train], dtype=int)
            if y.min() == y.max():
                continue
            p = LogisticRegression(C=1.0, max_iter=1000, random_state=seed).fit(Xtr, y).predict_proba(Xte)[:, 1]
            for k, ci in enumerate(test):
                rows = item_of_clip[clip_ids[ci]]
                hit = rows[targets[rows] == detail]
                scores[hit] = 1.0 - p[k]
    return scores


def perception_baseline(features: Float[np.ndarray, "n d"], items: Sequence[Item], **kw: Any) -> dict[str, float]:
    """AUROC and accuracy (threshold 0.5) of the perception score for the false premise."""
    s = perception_scores(features, items, **kw)
    y = np.array([it.premise == "misleading" for it in items], dtype=int)
    ok = np.isfinite(s)
    if ok.sum() == 0 or np.unique(y[ok]).size < 2:
        return {"auroc": float("nan"), "accuracy": float("nan"), "n_items": int(ok.sum())}
    return {"auroc": float(auroc(y[ok], s[ok])), "accuracy": float(((s[ok] > 0.5) == y[ok]).mean()), "n_items": int(ok.sum())}
