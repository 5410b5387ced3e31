"""Logit lens: read every layer's residual stream through the final norm and the unembedding.

The readout of layer ``i`` is ``lm_head(final_norm(h_i))`` (plus the final logit soft-cap
when the config has one), the same map the model applies after its last block, so the
lens at the last layer equals the model's own logits. The vocabulary is processed in
chunks of ``chunk_size`` rows of the unembedding: the softmax normaliser is a streaming
logsumexp and the top-k is kept as a running top-k, so no ``[layers, batch, positions,
vocab]`` tensor is ever built (peak: ``positions x chunk_size`` logits per layer). The
residuals of every requested layer are captured in one forward per batch: only the read
positions for a named span, ``[B, T, H]`` per layer for ``span=None`` or an int position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
import torch
from jaxtyping import Float

from ..errors import InputError
from ..models.sites import Site
from .causal_common import Inputs, bootstrap_ci, chunks, resolve_layers


@dataclass(frozen=True)
class LensResult:
    """Per-layer readouts at the chosen positions.

    Attributes:
        layers: decoder layers read (layer ``i`` = output of block ``i``).
        letters: option letters, in column order of ``letter_probs``.
        positions: one row per read position: ``row`` (input index), ``position``
            (padded-batch index within its chunk) and the input's metadata (``premise``,
            ``gold``, ``reject``, ``content`` ... when items were given).
        letter_probs: ``[layers, positions, letters]`` softmax probability over the full
            vocabulary summed over each letter's token-id set.
        top_ids, top_probs: ``[layers, positions, top_k]`` most probable tokens.
        target_rank: ``[layers, positions]`` rank (0 = top) of the best-ranked token of the
            target set, or None when no targets were given.
        target_prob: ``[layers, positions]`` probability summed over the target set, or None.
    """

    layers: tuple[int, ...]
    letters: tuple[str, ...]
    positions: pd.DataFrame
    letter_probs: np.ndarray
    top_ids: np.ndarray
    top_probs: np.ndarray
    target_rank: np.ndarray | None = None
    target_prob: np.ndarray | None = None

    def to_dataframe(self) -> pd.DataFrame:
        """Long frame ``[layer, row, position, letter, prob]`` (+ metadata columns)."""
        L, N, K = self.letter_probs.shape
        meta = self.positions.reset_index(drop=True)
        frame = pd.DataFrame({
            "layer": np.repeat(self.layers, N * K),
            "pos_index": np.tile(np.repeat(np.arange(N), K), L),
            "letter": np.tile(self.letters, L * N),
            "prob": self.letter_probs.reshape(-1),
        })
        return frame.merge(meta, left_on="pos_index", right_index=True).drop(columns="pos_index")

    def curves(self, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
        """``[layer, premise, series, prob, lo, hi]``: mean probability of each item's content
        letter (``correct``, the A-D answer about the clip) and of its modality's reject
        letter (``reject``) per layer and premise, with bootstrap CIs over items.

        Needs item metadata (inputs given as items); otherwise one series per letter,
        premise ``all``.
        """
        meta = self.positions.reset_index(drop=True)
        index = {l: i for i, l in enumerate(self.letters)}
        rows = []
        if {"premise", "content", "reject"} <= set(meta.columns):
            for premise, part in meta.groupby("premise", sort=False):
                for series, col in (("correct", "content"), ("reject", "reject")):
                    letters = part[col]
                    ok = letters.map(lambda x: isinstance(x, str) and x in index).to_numpy()
                    idx = part.index.to_numpy()[ok]
                    cols = np.array([index[x] for x in letters[ok]], dtype=int)
                    for li, layer in enumerate(self.layers):
                        vals = self.letter_probs[li, idx, cols] if idx.size else np.zeros(0)
                        lo, hi = bootstrap_ci(vals, n_boot=n_boot, seed=seed)
                        rows.append({"layer": layer, "premise": premise, "series": series,
                                     "prob": float(vals.mean()) if vals.size else np.nan, "lo": lo, "hi": hi})
        else:
            for letter, j in index.items():
                for li, layer in enumerate(self.layers):
                    vals = self.letter_probs[li, :, j]
                    lo, hi = bootstrap_ci(vals, n_boot=n_boot, seed=seed)
                    rows.append({"layer": layer, "premise": "all", "series": letter, "prob": float(vals.mean()),
                                 "lo": lo, "hi": hi})
        return pd.DataFrame(rows)

    def top_tokens(self, pos_index: int = 0, tokenizer: Any = None) -> pd.DataFrame:
        """``[layer, rank, token_id, prob]`` (+ ``token`` text with a tokenizer) for one read position."""
        rows = []
        for li, layer in enumerate(self.layers):
            for r, (tid, p) in enumerate(zip(self.top_ids[li, pos_index], self.top_probs[li, pos_index])):
                row = {"layer": layer, "rank": r, "token_id": int(tid), "prob": float(p)}
                if tokenizer is not None:
                    row["token"] = tokenizer.convert_ids_to_tokens(int(tid))
                rows.append(row)
        return pd.DataFrame(rows)

    def rank_trajectory(self) -> pd.DataFrame:
        """``[layer, pos_index, rank, prob]`` of the target token set (requires targets)."""
        if self.target_rank is None:
            raise InputError("no target tokens were given; call logit_lens(..., targets=[token ids]).")
        L, N = self.target_rank.shape
        return pd.DataFrame({"layer": np.repeat(self.layers, N), "pos_index": np.tile(np.arange(N), L),
                             "rank": self.target_rank.reshape(-1), "prob": self.target_prob.reshape(-1)})

    def plot(self, ax: Any = None, **kw: Any) -> Any:
        """`figures.lens.plot_lens_curves` of `curves()`."""
        from ..figures.lens import plot_lens_curves

        return plot_lens_curves(self.curves(), ax=ax, **kw)


def _unembed_parts(model: Any) -> tuple[torch.Tensor, torch.Tensor | None, float | None]:
    head = model.lm_head
    weight = getattr(head, "weight", None)
    if not isinstance(weight, torch.Tensor) or weight.ndim != 2:
        raise InputError(f"logit_lens needs an lm_head with a [vocab, hidden] weight; got {type(head).__name__}.")
    bias = getattr(head, "bias", None)
    cfg = model.config
    cap = getattr(cfg, "final_logit_softcapping", None) or getattr(getattr(cfg, "text_config", None), "final_logit_softcapping", None)
    return weight, bias if isinstance(bias, torch.Tensor) else None, float(cap) if cap else None


@torch.no_grad()
def lens_readout(
    model: Any,
    hidden: Float[torch.Tensor, "n d"],
    *,
    letter_sets: Sequence[Sequence[int]],
    top_k: int = 10,
    targets: Sequence[int] | None = None,
    chunk_size: int = 8192,
) -> dict[str, torch.Tensor]:
    """Normalised readout of ``n`` residual vectors, streamed over vocabulary chunks.

    Returns ``letter_probs [n, n_sets]``, ``top_ids``/``top_probs [n, k]``, ``lse [n]`` (the
    log normaliser), and with ``targets``: ``target_rank [n]`` (number of tokens with a
    strictly larger logit than the best target token) and ``target_prob [n]``.
    """
    weight, bias, cap = _unembed_parts(model)
    h = model.final_norm(hidden.to(device=weight.device, dtype=weight.dtype))
    h = h[0] if isinstance(h, tuple) else h

    def logits_of(rows: slice | list[int]) -> torch.Tensor:
        out = h @ weight[rows].T
        if bias is not None:
            out = out + bias[rows]
        out = out.float()
        return cap * torch.tanh(out / cap) if cap else out

    V = weight.shape[0]
    n = h.shape[0]
    k = min(top_k, V)
    lse = torch.full((n,), -float("inf"), device=h.device)
    top_v = torch.full((n, 0), -float("inf"), device=h.device)
    top_i = torch.zeros((n, 0), dtype=torch.long, device=h.device)
    tgt = list(targets) if targets else []
    best_t = logits_of(tgt).max(-1).values if tgt else None
    above = torch.zeros(n, dtype=torch.long, device=h.device)
    for s in range(0, V, chunk_size):
        part = logits_of(slice(s, min(V, s + chunk_size)))
        lse = torch.logaddexp(lse, part.logsumexp(-1))
        cv, ci = part.topk(min(k, part.shape[1]), dim=-1)
        top_v, order = torch.cat([top_v, cv], 1).topk(min(k, top_v.shape[1] + cv.shape[1]), dim=-1)
        top_i = torch.cat([top_i, ci + s], 1).gather(1, order)
        if best_t is not None:
            above += (part > best_t[:, None]).sum(-1)
    out = {
        "lse": lse,
        "letter_probs": torch.stack([(logits_of(list(ids)).logsumexp(-1) - lse).exp() for ids in letter_sets], 1),
        "top_ids": top_i,
        "top_probs": (top_v - lse[:, None]).exp(),
    }
    if tgt:
        out["target_rank"] = above
        out["target_prob"] = (logits_of(tgt).logsumexp(-1) - lse).exp()
    return out


def _site(layer: int, span: str | int | None) -> Site:
    """``"last"`` -> ``[B, H]``; a span name -> its positions only (``reduce="none"``); else all positions."""
    if isinstance(span, str):
        return Site("resid", layer, span, "none" if span != "last" else "mean")
    return Site("resid", layer, None)


def logit_lens(
    model: Any,
    inputs: Inputs,
    *,
    layers: Sequence[int] | None = None,
    span: str | int | None = "last",
    top_k: int = 10,
    letters: str = "ABCDEF",
    targets: Sequence[int] | None = None,
    chunk_size: int = 8192,
    batch_size: int = 8,
    variant: str = "A1",
) -> LensResult:
    """Logit lens at every layer for one span or position.

    Args:
        model: an `OmniModel`.
        inputs: a `Batch`, prompts, or items / a `Benchmark` (items give premise-wise curves).
        layers: decoder layers (default all).
        span: ``"last"`` (the answer position), a span name (every position of it in every
            row that has it: ``"question"``, ``"image"``...), ``None`` (every non-pad
            position), or an int position in padded-batch coordinates (negative: from the end).
        top_k: tokens kept per position and layer.
        letters: option letters whose set probabilities are read (``model.letter_ids``).
        targets: token ids whose rank trajectory is tracked (rank of the best one).
        chunk_size: vocabulary rows of the unembedding per step (memory knob, not a result knob).

    Returns:
        `LensResult`. Caveat: the lens assumes intermediate layers live in the basis of the
        final layer; early-layer readouts are often uninformative (a tuned lens corrects this).
    """
    if top_k < 1 or chunk_size < 1:
        raise InputError(f"top_k and chunk_size must be >= 1, got {top_k} and {chunk_size}.")
    layer_ids = resolve_layers(layers, model.n_layers)
    letter_sets = [model.letter_ids[l] for l in letters]
    per_layer: dict[str, list[list[torch.Tensor]]] = {}
    pos_frames = []
    offset = 0
    for ch in chunks(model, inputs, batch_size=batch_size, variant=variant):
        spans = ch.batch.spans
        if isinstance(span, str) and span != "last" and span not in spans.names():
            raise InputError(f"no row has a {span!r} span; spans present: {sorted(spans.names())}.")
        sites = [_site(l, span) for l in layer_ids]
        run = model.run(ch.batch, capture=sites)
        rows, pos = _positions(ch.batch, span)
        frame = ch.meta.iloc[rows].reset_index(drop=True) if len(ch.meta.columns) else pd.DataFrame(index=range(len(rows)))
        frame.insert(0, "position", pos)
        frame.insert(0, "row", np.asarray(rows) + offset)
        pos_frames.append(frame)
        offset += len(ch.batch)
        for li, site in enumerate(sites):
            acts = run.captures[site]
            if span == "last":
                h = acts
            elif isinstance(span, str):
                h = torch.cat(list(acts))  # rows in order, positions sorted: matches _positions
            else:
                h = acts[torch.as_tensor(rows), torch.as_tensor(pos)]
            res = lens_readout(model, h, letter_sets=letter_sets, top_k=top_k, targets=targets, chunk_size=chunk_size)
            for key, val in res.items():
                per_layer.setdefault(key, [[] for _ in layer_ids])[li].append(val.cpu())
    stack = {key: np.stack([torch.cat(parts).numpy() for parts in vals]) for key, vals in per_layer.items()}
    return LensResult(
        layers=layer_ids, letters=tuple(letters), positions=pd.concat(pos_frames, ignore_index=True),
        letter_probs=stack["letter_probs"], top_ids=stack["top_ids"], top_probs=stack["top_probs"],
        target_rank=stack.get("target_rank"), target_prob=stack.get("target_prob"),
    )


def _positions(batch: Any, span: str | int | None) -> tuple[list[int], list[int]]:
    spans = batch.spans
    B, T = len(batch), spans.seq_len
    if span == "last":
        return list(range(B)), list(spans.last)
    if isinstance(span, int):
        p = span % T
        return list(range(B)), [p] * B
    rows, pos = [], []
    valid = batch.inputs.get("attention_mask")
    for r in range(B):
        ps = spans.positions(span, r) if span is not None else (
            np.flatnonzero(valid[r].cpu().numpy()) if valid is not None else np.arange(T))
        rows += [r] * len(ps)
        pos += [int(p) for p in ps]
    return rows, pos
