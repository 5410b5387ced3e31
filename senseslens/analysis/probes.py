"""Layerwise probes over grouped folds, with controls: `probe_layers`, `paper_probes`.

Protocol (the paper's, see docs/probing.md): one vector per item and layer (the
last prompt token at prefill); per fold a ``StandardScaler`` fitted on the
training part and an L2 logistic regression with scikit-learn's ``C=1``
objective; ``StratifiedGroupKFold(n_splits=4, shuffle=True, random_state=42)``
grouped by clip so standard/misleading twins never straddle train and test.
All layers x folds x label variants are solved together (`probe_fit`), which is
what makes a full sweep fast.

An *encoder-output probe* (the "hidden in plain sight" baseline) is the same
call on tower / projector features: pass ``X`` of shape ``[n, 1, d_enc]`` (one
pseudo-layer, e.g. the mean-pooled ``vision_out`` site) and compare its
accuracy with the LM layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from jaxtyping import Float

from senseslens.analysis import controls as ctl
from senseslens.analysis.probe_estimators import LinearProbe, MLPProbe
from senseslens.analysis.probe_fit import as_tensor, decision_function, fit_logistic, fit_mlp, mlp_proba
from senseslens.analysis.probe_folds import check_labels, fold_metrics, grouped_folds
from senseslens.analysis.probe_result import ControlResult, ProbeResult
from senseslens.errors import AnalysisError

__all__ = ["probe_layers", "paper_probes", "ProbeResult", "ControlResult", "LinearProbe", "MLPProbe", "PAPER_PROBES"]

LAYERWISE_CONTROLS = ("shuffle", "control_task")
TEXT_CONTROLS = ("tfidf", "sbert")
ALL_CONTROLS = LAYERWISE_CONTROLS + TEXT_CONTROLS + ("residualised",)

#: The paper's three probes: name -> (which items, which are positive), on meta columns.
PAPER_PROBES: dict[str, str] = {
    "global": "all items; misleading (either modality) vs standard",
    "vision": "all standard items vs misleading-vision items (majority baseline 2/3)",
    "audio": "all standard items vs misleading-audio items (majority baseline 2/3)",
}


@dataclass(frozen=True)
class _Spec:
    """One label vector on fixed folds: ``labels [n]`` (-1 outside the mask), ``folds [n]``."""

    name: str
    labels: np.ndarray
    folds: np.ndarray


def _check_X(X: np.ndarray) -> np.ndarray:
    if not isinstance(X, np.ndarray) or X.ndim != 3:
        shape = getattr(X, "shape", None)
        raise AnalysisError(f"X must be a numpy array [n_items, n_layers, d]; got shape {shape}.")
    return X


def _layer_chunks(n: int, d: int, layers: Sequence[int], budget_bytes: int) -> list[list[int]]:
    per = max(1, budget_bytes // max(1, n * d * 4))
    return [list(layers[i : i + per]) for i in range(0, len(layers), per)]


def _run_logistic(X, specs, layers, n_splits, *, C, tol, max_iter, budget_bytes):
    """Fit every spec x fold at every layer; return per spec ``(scores [L,n], n_iter [L,F], conv [L,F])``."""
    n, _, d = X.shape
    Y, M = [], []
    for s in specs:
        for f in range(n_splits):
            Y.append(np.clip(s.labels, 0, 1))
            M.append((s.folds >= 0) & (s.folds != f))
    Yt = torch.from_numpy(np.stack(Y)).float()[None]
    Mt = torch.from_numpy(np.stack(M)).float()[None]
    L = len(layers)
    scores = [np.full((L, n), np.nan) for _ in specs]
    iters = [np.zeros((L, n_splits), np.int64) for _ in specs]
    conv = [np.zeros((L, n_splits), bool) for _ in specs]
    row = 0
    used = np.any([s.folds >= 0 for s in specs], axis=0)
    for chunk in _layer_chunks(n, d, layers, budget_bytes):
        Xc = np.ascontiguousarray(X[:, chunk, :].transpose(1, 0, 2), dtype=np.float32)
        Xc[:, ~used] = 0.0  # items outside every mask never enter (their NaNs must not either)
        bad = ~np.isfinite(Xc).all(axis=(1, 2))
        if bad.any():
            raise AnalysisError(
                f"NaN/inf activations at layer(s) {np.asarray(chunk)[bad].tolist()}; "
                "drop the affected items (mask) or re-capture them."
            )
        Xt = torch.from_numpy(Xc)
        # one layer per solve: its activations stay in cache across the iterations, which
        # beats amortising the per-iteration overhead over several layers
        for j in range(len(chunk)):
            fit = fit_logistic(Xt[j : j + 1], Yt, Mt, C=C, tol=tol, max_iter=max_iter)
            p = torch.sigmoid(decision_function(Xt[j : j + 1], fit))[0].double().numpy()  # [T, n]
            for k, s in enumerate(specs):
                for f in range(n_splits):
                    te = s.folds == f
                    scores[k][row, te] = p[k * n_splits + f, te]
                iters[k][row] = fit.n_iter[0, k * n_splits : (k + 1) * n_splits].numpy()
                conv[k][row] = fit.converged[0, k * n_splits : (k + 1) * n_splits].numpy()
            row += 1
    return [(scores[k], iters[k], conv[k]) for k in range(len(specs))]


def _run_mlp(X, specs, layers, n_splits, *, seed):
    """The paper's MLP probe per layer; the folds of one spec are trained as one batch."""
    n = X.shape[0]
    out = []
    for s in specs:
        sc = np.full((len(layers), n), np.nan)
        for r, layer in enumerate(layers):
            Xl = np.asarray(X[:, layer, :], dtype=np.float32)
            if not np.isfinite(Xl[s.folds >= 0]).all():
                raise AnalysisError(f"NaN/inf activations at layer {layer}; drop those items (mask) or re-capture.")
            trs = [np.flatnonzero((s.folds >= 0) & (s.folds != f)) for f in range(n_splits)]
            m = max(len(t) for t in trs)
            Xtr = np.zeros((n_splits, m, Xl.shape[1]), np.float32)
            ytr = np.zeros((n_splits, m), np.float32)
            wtr = np.zeros((n_splits, m), np.float32)
            for f, t in enumerate(trs):
                Xtr[f, : len(t)], ytr[f, : len(t)], wtr[f, : len(t)] = Xl[t], s.labels[t], 1.0
            fit = fit_mlp(torch.from_numpy(Xtr), torch.from_numpy(ytr), torch.from_numpy(wtr), seed=seed)
            p = mlp_proba(as_tensor(Xl)[None].expand(n_splits, -1, -1), fit).double().numpy()
            for f in range(n_splits):
                te = s.folds == f
                sc[r, te] = p[f, te]
        out.append((sc, None, None))
    return out


def _specs_for(name, labels, groups, mask, controls, n_splits, seed):
    labels, mask = check_labels(labels, groups, mask, labels.shape[0] if hasattr(labels, "shape") else len(labels))
    folds = grouped_folds(labels, groups, mask, n_splits, seed)
    specs = [_Spec(name, labels, folds)]
    if "shuffle" in controls:
        specs.append(_Spec("shuffle", ctl.shuffled_labels(labels, mask, seed), folds))
    if "control_task" in controls:
        specs.append(_Spec("control_task", ctl.control_task_labels(labels, groups, mask, seed), folds))
    return specs, labels, mask, folds


def _assemble(name, kind, layers, specs, fitted, groups, mask, n_splits, info) -> ProbeResult:
    main, *rest = specs
    scores, iters, conv = fitted[0]
    acc, bal, auc = fold_metrics(scores, main.labels, main.folds, n_splits)
    controls = {}
    for s, (sc, _, _) in zip(rest, fitted[1:]):
        a, b, u = fold_metrics(sc, s.labels, s.folds, n_splits)
        note = {
            "shuffle": "labels permuted across the probed items; same folds; scored against the permuted labels",
            "control_task": "one random label per clip (base rate of the task); same folds",
        }[s.name]
        controls[s.name] = ControlResult(s.name, np.asarray(layers), a, b, u, sc, s.labels, note)
    y = main.labels[mask]
    majority = float(max(y.mean(), 1 - y.mean()))
    return ProbeResult(name, kind, np.asarray(layers), acc, bal, auc, scores, main.labels, np.asarray(groups),
                       mask, main.folds, majority, controls, iters, conv, info)


def _add_text_controls(res: ProbeResult, X, controls, texts, text_embeddings, n_splits, n_boot, seed,
                       layer: int | None = None) -> ProbeResult:
    extra = dict(res.controls)
    needs_text = [c for c in controls if c in ("tfidf", "sbert", "residualised")]
    if not needs_text:
        return res
    if "tfidf" in controls:
        if texts is None:
            raise AnalysisError("the 'tfidf' control needs the question texts: pass texts=[...] (one per item).")
        extra["tfidf"] = ctl.text_baseline(texts, res.labels, res.folds, n_splits, kind="tfidf")
    emb = None
    if "sbert" in controls or "residualised" in controls:
        emb = text_embeddings if text_embeddings is not None else (ctl.sbert_embed(texts) if texts is not None else None)
        if emb is None:
            raise AnalysisError("'sbert'/'residualised' controls need texts=[...] or text_embeddings=[n, e].")
    layer = res.best_layer if layer is None else layer
    probe_correct = ((res.oof_score[res._row(layer)] > 0.5).astype(int) == res.labels)[res.mask]
    sb = None
    if "sbert" in controls:
        sb = ctl.text_baseline(emb, res.labels, res.folds, n_splits, kind="embedding", name="sbert")
        sb_correct = ((sb.oof_score[0] > 0.5).astype(int) == res.labels)[res.mask]
        test = ctl.paired_test(probe_correct, sb_correct, res.groups[res.mask], n_boot=n_boot, seed=seed)
        extra["sbert"] = ControlResult(**{**sb.__dict__, "test": test,
                                          "note": sb.note + f"; test: probe at layer {layer} minus SBERT accuracy"})
    if "residualised" in controls:
        rr = ctl.residualised_probe(X[:, layer, :], res.labels, res.folds, n_splits, emb, layer=layer)
        if sb is not None:
            r_correct = ((rr.oof_score[0] > 0.5).astype(int) == res.labels)[res.mask]
            test = ctl.paired_test(r_correct, sb_correct, res.groups[res.mask], n_boot=n_boot, seed=seed)
            rr = ControlResult(**{**rr.__dict__, "test": test,
                                  "note": rr.note + "; test: residualised minus SBERT accuracy"})
        extra["residualised"] = rr
    return ProbeResult(**{**res.__dict__, "controls": extra})


def _from_store(store, label, groups, site: str):
    """``(X, labels, groups)`` from an activation store and meta column names.

    ``label="premise"`` means 1 = misleading; any other column must already be 0/1.
    """
    meta = store.meta
    X = np.asarray(store.layer_matrix(site)[:], dtype=np.float32)
    if isinstance(label, str):
        if label not in meta.columns:
            raise AnalysisError(f"the store's meta has no column {label!r}; columns: {list(meta.columns)}.")
        col = meta[label]
        labels = (col == "misleading").to_numpy().astype(int) if label == "premise" else col.to_numpy()
    else:
        labels = np.asarray(label)
    groups = meta[groups].to_numpy() if isinstance(groups, str) else np.asarray(groups)
    return X, labels, groups


def probe_layers(
    X: Float[np.ndarray, "n layers d"],
    labels: np.ndarray | str | None = None,
    groups: np.ndarray | str = "clip_id",
    *,
    label: str | np.ndarray | None = None,
    site: str = "last",
    mask: np.ndarray | None = None,
    kind: str = "logistic",
    controls: Sequence[str] = LAYERWISE_CONTROLS,
    n_splits: int = 4,
    seed: int = 42,
    layers: Sequence[int] | None = None,
    texts: Sequence[str] | None = None,
    text_embeddings: np.ndarray | None = None,
    C: float = 1.0,
    tol: float = 1e-6,
    max_iter: int = 1000,
    n_boot: int = 10_000,
    name: str = "probe",
    memory_budget_mb: int = 16,
) -> ProbeResult:
    """Probe every layer of ``X`` for binary ``labels`` over grouped folds, with controls.

    ``X``: ``[n_items, n_layers, d]`` activations (any float dtype; read layer-chunk by
    layer-chunk, float32 in the solver). ``labels``: ``[n]`` 0/1 (1 = misleading).
    ``groups``: ``[n]`` clip ids (folds never split a clip). ``mask``: ``[n]`` bool,
    the items this probe uses (others get -1 / NaN in the result).
    ``kind``: "logistic" (default; scikit-learn ``LogisticRegression(C)`` objective)
    or "mlp" (the paper's PGLA probe; slow on CPU, restrict ``layers``).
    ``controls``: any of "shuffle", "control_task" (every layer, same folds, batched
    with the probe), "tfidf" (needs ``texts``), "sbert", "residualised" (need
    ``texts`` or ``text_embeddings``; residualised runs at the best layer only, as in
    the paper, and carries a paired bootstrap vs SBERT over clips with ``n_boot``).
    ``X`` may also be an `ActivationStore`: ``probe_layers(store, label="premise",
    groups="clip_id", site="last")`` reads ``[n, L, d]`` of ``site`` and takes labels
    (``"premise"``: 1 = misleading) and groups from the store's meta columns.

    Returns a `ProbeResult`. Raises `AnalysisError` on one class only, fewer clips
    than folds, NaN activations, or a control without its inputs.
    """
    if hasattr(X, "layer_matrix") and hasattr(X, "meta"):  # an ActivationStore
        X, labels, groups = _from_store(X, label if label is not None else (labels if labels is not None else "premise"), groups, site)
    elif labels is None:
        labels = label
    if labels is None or isinstance(groups, str):
        raise AnalysisError("with an activation array, pass labels [n] and groups [n] (clip ids); "
                            "column names work only with a store: probe_layers(store, label='premise', groups='clip_id').")
    X = _check_X(X)
    unknown = set(controls) - set(ALL_CONTROLS)
    if unknown:
        raise AnalysisError(f"unknown controls {sorted(unknown)}; choose from {list(ALL_CONTROLS)}.")
    layers = list(range(X.shape[1])) if layers is None else [int(l) for l in layers]
    specs, labels, mask, folds = _specs_for(name, np.asarray(labels), np.asarray(groups), mask, controls, n_splits, seed)
    if kind == "logistic":
        fitted = _run_logistic(X, specs, layers, n_splits, C=C, tol=tol, max_iter=max_iter,
                               budget_bytes=memory_budget_mb * 2**20)
    elif kind == "mlp":
        fitted = _run_mlp(X, specs, layers, n_splits, seed=seed)
    else:
        raise AnalysisError(f"unknown probe kind {kind!r}; use 'logistic' or 'mlp'.")
    res = _assemble(name, kind, layers, specs, fitted, groups, mask, n_splits, {"C": C, "seed": seed, "n_splits": n_splits})
    return _add_text_controls(res, X, controls, texts, text_embeddings, n_splits, n_boot, seed)


def paper_masks(meta: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``name -> (mask, labels)`` of the paper's global / vision / audio probes from
    ``meta`` columns ``modality`` ("vision"/"audio") and ``premise`` ("standard"/"misleading")."""
    for col in ("clip_id", "modality", "premise"):
        if col not in meta.columns:
            raise AnalysisError(f"meta lacks column {col!r}; it needs clip_id, modality, premise.")
    mis = (meta["premise"].to_numpy() == "misleading")
    std = (meta["premise"].to_numpy() == "standard")
    mod = meta["modality"].to_numpy()
    y = mis.astype(np.int64)
    return {
        "global": (mis | std, y),
        "vision": (std | (mis & (mod == "vision")), y),
        "audio": (std | (mis & (mod == "audio")), y),
    }


def paper_probes(
    X: Float[np.ndarray, "n layers d"],
    meta: pd.DataFrame,
    *,
    controls: Sequence[str] = LAYERWISE_CONTROLS,
    layers: Sequence[int] | None = None,
    text_embeddings: np.ndarray | None = None,
    n_splits: int = 4,
    seed: int = 42,
    n_boot: int = 10_000,
    memory_budget_mb: int = 16,
    **fit_kw,
) -> dict[str, ProbeResult]:
    """The paper's global, vision and audio probes at every layer, solved in one batch.

    ``meta``: one row per item of ``X`` with ``clip_id``, ``modality``, ``premise``
    (and ``question`` when text controls are requested). Vision probe = all standard
    items vs misleading-vision items (majority 66.7%), audio likewise; read them at the
    global probe's best layer (``res["global"].best_layer``), as the paper does. Text
    controls use the same items and folds as each probe (the paper's text baselines
    used the within-modality items; see docs/probing.md).
    """
    X = _check_X(X)
    if len(meta) != X.shape[0]:
        raise AnalysisError(f"meta has {len(meta)} rows for {X.shape[0]} items of X.")
    layers = list(range(X.shape[1])) if layers is None else [int(l) for l in layers]
    groups = meta["clip_id"].to_numpy() if "clip_id" in meta.columns else None
    all_specs, spans, assembled = [], [], {}
    for name, (mask, y) in paper_masks(meta).items():
        specs, lab, msk, _ = _specs_for(name, y, groups, mask, controls, n_splits, seed)
        spans.append((name, len(all_specs), len(specs), msk))
        all_specs.extend(specs)
    fitted = _run_logistic(X, all_specs, layers, n_splits, C=fit_kw.get("C", 1.0), tol=fit_kw.get("tol", 1e-6),
                           max_iter=fit_kw.get("max_iter", 1000), budget_bytes=memory_budget_mb * 2**20)
    texts = meta["question"].tolist() if "question" in meta.columns else None
    if text_embeddings is None and ("sbert" in controls or "residualised" in controls):
        if texts is None:
            raise AnalysisError("SBERT controls need a 'question' column in meta or text_embeddings=[n, e].")
        text_embeddings = ctl.sbert_embed(texts)
    for name, a, k, msk in spans:
        res = _assemble(name, "logistic", layers, all_specs[a : a + k], fitted[a : a + k], groups, msk, n_splits,
                        {"seed": seed, "n_splits": n_splits, "probe": PAPER_PROBES[name]})
        at = None if name == "global" else assembled["global"].best_layer
        assembled[name] = _add_text_controls(res, X, controls, texts, text_embeddings, n_splits, n_boot, seed, at)
    return assembled
