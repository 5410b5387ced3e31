"""Vectorised PGLA arithmetic: the 162-config grid, adjusted predictions, cell accuracies.

PGLA (probe-guided logit adjustment), with choice logits ``L_A..L_F`` and probe
score ``p = P(misleading)``::

    Delta = max(L_A..L_D) - max(L_E, L_F)
    gate  = sigmoid(gamma * (p**P - alpha))
    L'_E  = L_E + gate * (s * Delta + delta) - beta / 2
    L'_F  = L_F + gate * (s * Delta + delta) + beta / 2
    prediction = argmax(L_A, L_B, L_C, L_D, L'_E, L'_F)   (first index on ties)

``beta`` = mean(L_E - L_F) over the standard items of the probe-training part.
The *constant-bias* baseline replaces ``p`` by a constant ``c`` (same formula,
so the gate is the same for every item).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from jaxtyping import Bool, Float, Int

__all__ = ["PGLA_GRID", "CONSTANT_GRID", "grid_table", "pgla_adjust", "adjusted_predictions", "cell_counts", "CELLS"]

#: The paper's grid (162 configs), in its product order.
PGLA_GRID: dict[str, tuple[float, ...]] = {
    "gamma": (0.5, 1.0, 2.0),
    "power": (1.0, 2.0),
    "alpha": (0.3, 0.5, 1.0),
    "scale": (0.75, 1.0, 1.5),
    "boost": (5.0, 8.0, 12.0),
}
#: Constants replacing p for the constant-bias baseline. Crossed with the full PGLA
#: grid, so the baseline gets every gate value PGLA can reach at a constant p
#: (11 x 162 = 1,782 configs: at least as much tuning freedom as PGLA itself).
CONSTANT_GRID: tuple[float, ...] = tuple(np.round(np.linspace(0.0, 1.0, 11), 2))

CELLS = ("std_v", "std_a", "mis_v", "mis_a")


def grid_table(constant: bool = False) -> pd.DataFrame:
    """One row per config: ``gamma, power, alpha, scale, boost`` (+ ``c`` for the constant baseline)."""
    keys = list(PGLA_GRID)
    rows = list(itertools.product(*PGLA_GRID.values()))
    df = pd.DataFrame(rows, columns=keys)
    if constant:
        df = pd.concat([df.assign(c=c) for c in CONSTANT_GRID], ignore_index=True)
    return df


def pgla_adjust(
    logits: Float[np.ndarray, "n 6"],
    p: Float[np.ndarray, " n"] | float,
    *,
    gamma: float,
    power: float,
    alpha: float,
    scale: float,
    boost: float,
    beta: float,
) -> Float[np.ndarray, "n 6"]:
    """Adjusted choice logits of one config (A-D unchanged, E/F per the formula above).
    ``p`` may be a scalar (the constant-bias baseline)."""
    L = np.array(logits, np.float64, copy=True)
    delta = L[:, :4].max(1) - L[:, 4:6].max(1)
    gate = 1.0 / (1.0 + np.exp(-gamma * (np.asarray(p, np.float64) ** power - alpha)))
    push = gate * (scale * delta + boost)
    L[:, 4] += push - beta / 2.0
    L[:, 5] += push + beta / 2.0
    return L


def adjusted_predictions(
    logits: Float[np.ndarray, "n 6"],
    p: Float[np.ndarray, " n"] | None,
    configs: pd.DataFrame,
    beta: float,
) -> Int[np.ndarray, "K n"]:
    """Predicted option index (0..5 = A..F) of every config (rows of ``configs``) on every item.

    ``p`` is the probe score per item; ``None`` means use each config's constant ``c``.
    """
    L = np.asarray(logits, np.float64)
    content = L[:, :4]
    cmax = content.max(1)
    carg = content.argmax(1)
    delta = cmax - np.maximum(L[:, 4], L[:, 5])  # [n]
    g = configs["gamma"].to_numpy()[:, None]
    P = configs["power"].to_numpy()[:, None]
    a = configs["alpha"].to_numpy()[:, None]
    s = configs["scale"].to_numpy()[:, None]
    b = configs["boost"].to_numpy()[:, None]
    base = (configs["c"].to_numpy()[:, None] if p is None else np.asarray(p, np.float64)[None, :])
    gate = 1.0 / (1.0 + np.exp(-g * (base**P - a)))  # [K, n] or [K, 1]
    push = gate * (s * delta[None, :] + b)
    E = L[None, :, 4] + push - beta / 2.0
    F = L[None, :, 5] + push + beta / 2.0
    pred = np.where(cmax[None, :] >= np.maximum(E, F), carg[None, :], np.where(E >= F, 4, 5))
    return pred


def raw_predictions(logits: Float[np.ndarray, "n 6"]) -> Int[np.ndarray, " n"]:
    """Unadjusted argmax over A..F (the model's own answer)."""
    return np.asarray(logits).argmax(1)


def cell_counts(
    correct: Bool[np.ndarray, "K n"], cell: Int[np.ndarray, " n"], fold: Int[np.ndarray, " n"], n_folds: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(hits [K, 4, n_folds], totals [4, n_folds])`` per cell (CELLS order) and fold."""
    onehot = np.zeros((cell.size, 4 * n_folds))
    onehot[np.arange(cell.size), cell * n_folds + fold] = 1.0
    hits = (correct.astype(np.float64) @ onehot).reshape(correct.shape[0], 4, n_folds)
    totals = onehot.sum(0).reshape(4, n_folds)
    return hits, totals


def scores_from_counts(hits: np.ndarray, totals: np.ndarray) -> dict[str, np.ndarray]:
    """Cell accuracies and std / mis / Bal (fractions) from summed hits ``[..., 4]`` and totals ``[4]``
    (cells missing from a subset are left out of the means, as in the paper's code)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = hits / totals
    std = np.nanmean(acc[..., :2], axis=-1) if np.isfinite(acc[..., :2]).any() else acc[..., 0]
    mis = np.nanmean(acc[..., 2:], axis=-1) if np.isfinite(acc[..., 2:]).any() else acc[..., 2]
    return {"cells": acc, "std": std, "mis": mis, "bal": 0.5 * (std + mis)}
