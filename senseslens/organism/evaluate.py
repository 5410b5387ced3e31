"""Read the organism out on benchmark items and measure the representation-action gap.

Everything here works on plain arrays so that it is independent of the model layer:
choice logits ``[N, 6]`` (A-F at the last prompt token), the logit of ``no``, and the
last-prompt-token residual ``[N, L+1, H]`` (index 0 = embeddings entering block 0,
index i+1 = output of decoder block i, before the final norm).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from jaxtyping import Float
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ..data.items import ALL_LETTERS, Item
from .train import encode_items

CELLS = ("std_v", "std_a", "mis_v", "mis_a")


@dataclass
class Readout:
    """Per item: choice logits A-F, ``no`` logit and last-token residuals per layer."""

    items: list[Item]
    choice: Float[np.ndarray, "n 6"]
    no_logit: Float[np.ndarray, " n"]
    resid: Float[np.ndarray, "n l h"]

    def select(self, mask: np.ndarray) -> "Readout":
        idx = np.flatnonzero(mask)
        return Readout([self.items[i] for i in idx], self.choice[idx], self.no_logit[idx], self.resid[idx])

    @property
    def cells(self) -> np.ndarray:
        return np.array([it.cell for it in self.items])


@torch.no_grad()
def readout(model, processor, items: Sequence[Item], batch_size: int = 256, image: bool = True,
            audio: bool = True) -> Readout:
    """Run A1 prompts of ``items`` and collect choice logits and last-token residuals."""
    tok = processor.tokenizer
    letter_ids = tok.convert_tokens_to_ids(list(ALL_LETTERS))
    no_id = tok.convert_tokens_to_ids("no")
    layers = model.model.language_model.layers
    choice, no, resid = [], [], []
    for start in range(0, len(items), batch_size):
        chunk = list(items[start:start + batch_size])
        captured: list[torch.Tensor] = []
        hooks = [layer.register_forward_hook(lambda m, i, o: captured.append(o[:, -1].clone())) for layer in layers]
        try:
            out = model(**encode_items(processor, chunk, image, audio), output_hidden_states=True)
        finally:
            for h in hooks:
                h.remove()
        logits = out.logits[:, -1]
        choice.append(logits[:, letter_ids].numpy())
        no.append(logits[:, no_id].numpy())
        resid.append(torch.stack([out.hidden_states[0][:, -1], *captured], 1).numpy())
    return Readout(list(items), np.concatenate(choice), np.concatenate(no), np.concatenate(resid))


def behaviour(r: Readout) -> dict[str, float]:
    """Accuracy per cell (argmax over A-F) and balanced accuracy Bal."""
    pred = np.array(ALL_LETTERS)[r.choice.argmax(1)]
    gold = np.array([it.gold for it in r.items])
    cells = r.cells
    acc = {c: float((pred[cells == c] == gold[cells == c]).mean()) for c in CELLS}
    acc["Bal"] = 0.5 * ((acc["std_v"] + acc["std_a"]) / 2 + (acc["mis_v"] + acc["mis_a"]) / 2)
    std = np.isin(cells, ("std_v", "std_a"))
    acc["false_reject"] = float(np.isin(pred[std], ("E", "F")).mean())
    return acc


def reject_margin(r: Readout) -> np.ndarray:
    """max(L_E, L_F) - max(L_A..L_D): the model's own reject margin."""
    return r.choice[:, 4:].max(1) - r.choice[:, :4].max(1)


def probe_scores(x: np.ndarray, y: np.ndarray, groups: np.ndarray, seed: int = 42) -> np.ndarray:
    """Out-of-fold logistic-probe logits (4-fold StratifiedGroupKFold by clip, StandardScaler + C=1)."""
    scores = np.zeros(len(y))
    for tr, te in StratifiedGroupKFold(4, shuffle=True, random_state=seed).split(x, y, groups):
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
        clf.fit(x[tr], y[tr])
        scores[te] = clf.decision_function(x[te])
    return scores


def gap_table(r: Readout, modality: str, seed: int = 42) -> dict[str, object]:
    """Per modality: probe AUROC per layer, own-margin AUROC, ``no``-logit AUROC, shuffled control."""
    m = np.array([it.modality == modality for it in r.items])
    s = r.select(m)
    y = np.array([it.is_misleading for it in s.items], dtype=int)
    groups = np.array([it.clip_id for it in s.items])
    probe = [float(roc_auc_score(y, probe_scores(s.resid[:, l], y, groups, seed))) for l in range(s.resid.shape[1])]
    best = int(np.argmax(probe))
    y_shuf = np.random.default_rng(seed).permutation(y)
    shuffled = float(roc_auc_score(y_shuf, probe_scores(s.resid[:, best], y_shuf, groups, seed)))
    margin = float(roc_auc_score(y, reject_margin(s)))
    no_auc = float(roc_auc_score(y, s.no_logit - s.choice[:, :4].max(1)))
    return {"probe": probe, "best_layer": best, "probe_best": probe[best], "margin": margin,
            "gap": probe[best] - margin, "no_logit": no_auc, "shuffled": shuffled}


def pgla_vs_constant(r: Readout, modality: str, layer: int, max_false_reject: float = 0.05,
                     seed: int = 0, lambdas: Sequence[float] = (0.25, 0.5, 1, 2, 4, 8, 16)) -> dict[str, float]:
    """Misleading rejection at <= ``max_false_reject`` false rejection: probe-guided vs constant bias.

    Clips of one modality are split 50/25/25 into probe-fit / tuning / test. The adjusted
    reject logit is ``L_r + lam * z + c`` (r = the modality's reject letter, z = probe logit);
    ``lam`` and ``c`` are tuned on the tuning split (c: largest rejection with false rejection
    on standard items <= the budget); ``lam = 0`` is the constant bias. Reported on test.
    """
    m = np.array([it.modality == modality for it in r.items])
    s = r.select(m)
    y = np.array([it.is_misleading for it in s.items], dtype=int)
    clips = np.array(sorted({it.clip_id for it in s.items}))
    perm = np.random.default_rng(seed).permutation(len(clips))
    part = {c: (0 if k < len(clips) // 2 else 1 if k < 3 * len(clips) // 4 else 2) for k, c in zip(perm, clips)}
    split = np.array([part[it.clip_id] for it in s.items])
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    clf.fit(s.resid[split == 0, layer], y[split == 0])
    z = clf.decision_function(s.resid[:, layer])
    r_col = 4 if modality == "vision" else 5
    others = np.delete(s.choice, r_col, axis=1).max(1)
    base = s.choice[:, r_col] - others          # reject iff base + lam*z + c > 0

    def tune(lam: float) -> tuple[float, float]:
        sc = base + lam * z
        std_val = sc[(split == 1) & (y == 0)]
        c = -np.quantile(std_val, 1 - max_false_reject, method="higher") - 1e-6
        return c, float((sc[(split == 1) & (y == 1)] + c > 0).mean())

    def test(lam: float, c: float) -> tuple[float, float]:
        sc = base + lam * z + c
        return float((sc[(split == 2) & (y == 1)] > 0).mean()), float((sc[(split == 2) & (y == 0)] > 0).mean())

    c0, _ = tune(0.0)
    const_rej, const_fr = test(0.0, c0)
    best = max(lambdas, key=lambda lam: tune(lam)[1])
    c1, _ = tune(best)
    pgla_rej, pgla_fr = test(best, c1)
    untuned = float((base[(split == 2) & (y == 1)] > 0).mean())
    return {"none": untuned, "constant": const_rej, "constant_fr": const_fr, "pgla": pgla_rej,
            "pgla_fr": pgla_fr, "lambda": float(best)}
