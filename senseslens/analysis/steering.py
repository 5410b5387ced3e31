"""Steering along the probe-decoded mismatch direction, with controls.

Per item, a fitted linear probe reads the residual stream at ``(layer, span)`` and decides
"mismatch" (class 1 = misleading premise). For the items it flags, the decoded direction is
added at that site; ``alpha`` is swept. The question: does writing the signal the model
already holds close the representation-action gap (items the probe flags but the model
answers without rejecting), and does it do better than controls?

Direction. A `LinearProbe` is fitted on standardised activations ``z = (x - mu) / sigma``
with weights ``w``; its ``coef_ = w / sigma`` acts on raw activations (``decision = x @ coef_
+ b``). The steering direction is ``u = coef_ / ||coef_||``: the raw-space gradient of the
decision, i.e. the residual-space direction that raises the probe's logit fastest per unit
L2 norm (moving ``x`` by ``t * u`` raises the decision by ``t * ||coef_||``).

Scale. ``scale="resid_norm"`` (default): item ``i`` gets ``alpha * ||x_i|| * u`` where ``x_i``
is its residual vector at the site (span mean for named spans), so ``alpha`` is in units
of the item's own residual norm; ``scale="margin"``: ``alpha * |decision_i| / ||coef_||``, the
item's distance to the probe's decision boundary (``alpha = 1`` moves a flagged item one margin
further from it); a float gives an absolute L2 norm ``alpha * scale``.

Methods (rows of the result):

* ``probe``: the probe direction, on the items the probe flags.
* ``random``: a random unit direction (seeded), same norm, on the same flagged items.
* ``oracle``: the difference of class means (misleading - standard) of the given items,
  normalised, on exactly the truly misleading items (uses the labels: an upper reference).
* ``constant_bias``: no steering; ``c_m`` is added to the choice logit of each item's own reject
  letter (E for vision questions, F for audio: the question names its modality), for every
  item, with ``c_m`` per modality the smallest value whose false-rejection rate on that
  modality's standard items reaches the probe method's at the same ``alpha`` (the PGLA-style
  baseline without any representation; columns ``bias_vision`` / ``bias_audio``, ``bias`` = max).

Metrics: ``closure`` = fraction of the "knows but does not say" items (truly misleading,
flagged by the probe, and not answered with the reject letter of their modality before
steering) answered with that reject letter after; ``false_reject`` = fraction of standard
items answered E or F; ``std_acc`` / ``mis_acc`` = mean of the two standard / misleading cell
accuracies (argmax over the letter sets A-F); ``bal`` = their mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
import torch

from ..errors import AnalysisError, InputError
from ..models.sites import Edit, Site
from .causal_common import Inputs, choice_matrix, chunks

LETTERS = "ABCDEF"
METHODS: tuple[str, ...] = ("probe", "random", "oracle", "constant_bias")


@dataclass(frozen=True)
class SteeringResult:
    """Steering sweep results.

    Attributes:
        summary: one row per (method, alpha): ``closure``, ``false_reject``, ``std_acc``,
            ``mis_acc``, ``bal`` (fractions), ``n_steered``, ``bias`` and ``bias_<modality>``
            (constant_bias only).
        items: one row per item: metadata, ``flagged`` (probe says mismatch), ``kbns`` (knows but
            does not say), ``base_pred`` (letter before steering), ``resid_norm``.
        predictions: ``[methods, alphas, items]`` predicted letter index (0-5) under each setting.
        layer, span, scale: where and how strongly the direction was added.
    """

    summary: pd.DataFrame
    items: pd.DataFrame
    predictions: np.ndarray
    methods: tuple[str, ...]
    alphas: tuple[float, ...]
    layer: int
    span: str
    scale: str

    def to_dataframe(self) -> pd.DataFrame:
        """The summary: ``[method, alpha, closure, false_reject, std_acc, mis_acc, bal, n_steered, bias]``."""
        return self.summary.copy()

    def pareto_dataframe(self) -> pd.DataFrame:
        """Rows for the Pareto figure shared with PGLA: ``[method, std_acc_pct, mis_acc_pct, bal_pct, config]``."""
        s = self.summary
        config = [f"alpha={a:g}" + (f", c={b:.3g}" if np.isfinite(b) else "") for a, b in zip(s["alpha"], s["bias"])]
        return pd.DataFrame({"method": "steer_" + s["method"], "std_acc_pct": 100 * s["std_acc"],
                             "mis_acc_pct": 100 * s["mis_acc"], "bal_pct": 100 * s["bal"], "config": config})

    def plot(self, ax: Any = None, **kw: Any) -> Any:
        """`figures.steering.plot_steering_closure` of the summary."""
        from ..figures.steering import plot_steering_closure

        return plot_steering_closure(self.summary, ax=ax, **kw)

    def plot_pareto(self, ax: Any = None, **kw: Any) -> Any:
        from ..figures.pareto import plot_pareto

        return plot_pareto(self.pareto_dataframe(), ax=ax, **kw)


def probe_direction(probe: Any) -> tuple[np.ndarray, float]:
    """``(u, ||coef_||)``: unit raw-space direction of a fitted linear probe and the norm of its raw weights."""
    coef = getattr(probe, "coef_", None)
    if coef is None:
        raise InputError("steer() needs a fitted linear probe with coef_ (LinearProbe().fit(X, y)); "
                         f"got {type(probe).__name__}.")
    coef = np.asarray(coef, dtype=np.float64).reshape(-1)
    norm = float(np.linalg.norm(coef))
    if not np.isfinite(norm) or norm == 0:
        raise AnalysisError("the probe's weights are zero or not finite; refit it (more data, other C).")
    return coef / norm, norm


def _scores(pred: np.ndarray, meta: pd.DataFrame, kbns: np.ndarray) -> dict[str, float]:
    gold = meta["gold"].to_numpy()
    letters = np.array(list(LETTERS))[pred]
    hit = letters == gold
    cells = meta["cell"].to_numpy()
    acc = {c: float(hit[cells == c].mean()) if (cells == c).any() else np.nan for c in ("std_v", "std_a", "mis_v", "mis_a")}
    std = float(np.nanmean([acc["std_v"], acc["std_a"]]))
    mis = float(np.nanmean([acc["mis_v"], acc["mis_a"]]))
    is_std = meta["premise"].to_numpy() == "standard"
    reject = meta["reject"].to_numpy()
    return {
        "closure": float((letters[kbns] == reject[kbns]).mean()) if kbns.any() else np.nan,
        "false_reject": float(np.isin(letters[is_std], ["E", "F"]).mean()) if is_std.any() else np.nan,
        "std_acc": std, "mis_acc": mis, "bal": 0.5 * (std + mis),
    }


def _with_bias(choice: np.ndarray, reject_col: np.ndarray, c: float) -> np.ndarray:
    out = choice.copy()
    out[np.arange(len(out)), reject_col] += c
    return out


def _matched_bias(choice: np.ndarray, reject_col: np.ndarray, is_std: np.ndarray, target: float) -> float:
    """Smallest ``c >= 0`` added to each item's own reject letter that makes at least ``target``
    of the standard items answer E or F (the largest candidate if none reaches it)."""
    ch, col = choice[is_std], reject_col[is_std]
    if not len(ch):
        return 0.0
    own = ch[np.arange(len(ch)), col]
    others = ch.copy()
    others[np.arange(len(ch)), col] = -np.inf
    need = others.max(1) - own  # an item flips to its reject letter once c > need
    candidates = [0.0] + sorted(float(x) + 1e-6 for x in need if x >= 0)
    for c in candidates:
        if np.isin(_with_bias(ch, col, c).argmax(1), [4, 5]).mean() >= target - 1e-12:
            return c
    return candidates[-1]


def steer(
    model: Any,
    inputs: Inputs,
    probe: Any,
    *,
    layer: int,
    span: str = "last",
    alphas: Sequence[float] = (0.0, 0.25, 0.5, 1.0, 2.0),
    scale: str | float = "resid_norm",
    methods: Sequence[str] = METHODS,
    threshold: float = 0.5,
    seed: int = 0,
    batch_size: int = 16,
    variant: str = "A1",
) -> SteeringResult:
    """Add the probe-decoded mismatch direction where the probe flags a mismatch; sweep ``alpha``.

    Args:
        model: an `OmniModel`.
        inputs: items or a `Benchmark` (gold letters, premises and modalities are needed).
        probe: a fitted `LinearProbe` on activations of ``Site("resid", layer, span)``
            (``reduce="mean"`` for named spans); class 1 = misleading.
        layer, span: where the probe reads and the direction is added (``"last"`` or a span
            name: then every position of the span gets the same vector).
        alphas: strengths (see module docstring for units); ``alpha=0`` is the unsteered model.
        scale: ``"resid_norm"``, ``"margin"`` or an absolute norm (float).
        methods: subset of ``probe``, ``random``, ``oracle``, ``constant_bias``.
        threshold: probe probability above which an item counts as flagged.

    Returns:
        `SteeringResult`. Caveat: a probe fitted on these same items makes ``flagged``
        optimistic; fit it on held-out clips.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise InputError(f"unknown steering methods {unknown}; choose from {METHODS}.")
    if not (scale in ("resid_norm", "margin") or isinstance(scale, (int, float))):
        raise InputError(f"scale must be 'resid_norm', 'margin' or a number, got {scale!r}.")
    site = Site("resid", layer, span)
    cached, metas, xs, choices = [], [], [], []
    for ch in chunks(model, inputs, batch_size=batch_size, variant=variant):
        if "gold" not in ch.meta.columns:
            raise InputError("steer() needs items (a Benchmark or Items), not bare prompts: it scores gold letters.")
        if span != "last":
            ch.batch.spans.require(span)
        out = model.run(ch.batch, capture=[site])
        cached.append(ch.batch)
        metas.append(ch.meta)
        xs.append(out.captures[site].double().cpu().numpy())
        choices.append(choice_matrix(model, out.logits, LETTERS))
    meta = pd.concat(metas, ignore_index=True)
    X = np.concatenate(xs)
    base = np.concatenate(choices)
    u, coef_norm = probe_direction(probe)
    if u.shape[0] != X.shape[1]:
        raise InputError(f"the probe has {u.shape[0]} weights but the site has width {X.shape[1]}; fit it on this layer/span.")
    flagged = probe.predict_proba(X)[:, 1] > threshold
    is_mis = meta["premise"].to_numpy() == "misleading"
    is_std = ~is_mis
    base_pred = base.argmax(1)
    reject_col = np.array([LETTERS.index(r) for r in meta["reject"]])
    modality = meta["modality"].to_numpy()
    kbns = is_mis & flagged & (np.array(list(LETTERS))[base_pred] != meta["reject"].to_numpy())
    if scale == "resid_norm":
        norms = np.linalg.norm(X, axis=1)
    elif scale == "margin":
        norms = np.abs(probe.decision_function(X)) / coef_norm
    else:
        norms = np.full(len(X), float(scale))
    rng = np.random.default_rng(seed)
    r = rng.standard_normal(X.shape[1])
    directions = {"probe": (u, flagged), "random": (r / np.linalg.norm(r), flagged)}
    if "oracle" in methods:
        if not (is_mis.any() and is_std.any()):
            raise AnalysisError("the oracle control needs both standard and misleading items.")
        d = X[is_mis].mean(0) - X[is_std].mean(0)
        directions["oracle"] = (d / np.linalg.norm(d), is_mis)
    alphas = tuple(float(a) for a in alphas)
    methods = tuple(sorted(methods, key=lambda m: m == "constant_bias"))  # the bias is matched to the probe rows
    preds = np.zeros((len(methods), len(alphas), len(X)), dtype=np.int64)
    rows = []
    for mi, method in enumerate(methods):
        for ai, alpha in enumerate(alphas):
            bias = np.nan
            biases: dict[str, float] = {}
            if method == "constant_bias":
                ref = preds[methods.index("probe"), ai] if "probe" in methods else base_pred
                pred = base_pred.copy()
                for mod in sorted(set(modality)):  # matched per modality: the reject letters differ
                    g = modality == mod
                    target = float(np.isin(ref[g & is_std], [4, 5]).mean()) if (g & is_std).any() else 0.0
                    biases[mod] = _matched_bias(base[g], reject_col[g], is_std[g], target)
                    pred[g] = _with_bias(base[g], reject_col[g], biases[mod]).argmax(1)
                bias, n_steered = max(biases.values()), 0
            else:
                d, who = directions[method]
                parts, start = [], 0
                for batch in cached:
                    b = len(batch)
                    value = alpha * norms[start:start + b, None] * d[None, :] * who[start:start + b, None]
                    out = model.run(batch, edits=[Edit(site, "add", torch.as_tensor(value, dtype=model.dtype))])
                    parts.append(choice_matrix(model, out.logits, LETTERS))
                    start += b
                pred, n_steered = np.concatenate(parts).argmax(1), int(who.sum()) if alpha != 0 else 0
            preds[mi, ai] = pred
            rows.append({"method": method, "alpha": alpha, **_scores(pred, meta, kbns), "n_steered": n_steered, "bias": bias,
                         **{f"bias_{m_}": biases.get(m_, np.nan) for m_ in sorted(set(modality))}})
    items = meta.assign(flagged=flagged, kbns=kbns, base_pred=np.array(list(LETTERS))[base_pred], resid_norm=np.linalg.norm(X, axis=1))
    return SteeringResult(summary=pd.DataFrame(rows), items=items, predictions=preds, methods=methods, alphas=alphas,
                          layer=layer, span=span, scale=str(scale))
