"""Shared pieces of the causal analyses (lens, patching, knockout, steering).

Inputs in any of the accepted forms become `Batch` chunks with per-row metadata;
letter-set logits and bootstrap intervals are computed the same way everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from jaxtyping import Float

from ..data.items import Item
from ..data.prompt import Prompt
from ..errors import InputError
from ..models.batch import Batch

#: Everything an analysis accepts as its inputs.
Inputs = Batch | Prompt | Sequence[Prompt] | Sequence[Item] | Iterable[Item]


@dataclass(frozen=True)
class Chunk:
    """One encoded batch of inputs and its rows' metadata (``item_id``, ``premise``, ...)."""

    batch: Batch
    meta: pd.DataFrame
    items: tuple[Item, ...] = ()


def item_meta(item: Item, gold_of: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Metadata of one item: ids, cell, gold and reject letters, and the content letter.

    The content letter is the A-D answer about the clip: the gold of a standard item, and
    the gold of its standard twin for a misleading item (None when the twin is unknown).
    """
    content = item.gold if not item.is_misleading else (gold_of or {}).get(item.twin_id or "")
    return {"item_id": item.item_id, "clip_id": item.clip_id, "modality": item.modality, "premise": item.premise,
            "cell": item.cell, "gold": item.gold, "reject": item.reject_letter, "content": content}


def _as_list(inputs: Any) -> list[Any]:
    if isinstance(inputs, (Prompt, Item)):
        return [inputs]
    return list(inputs)


def chunks(model: Any, inputs: Inputs, *, batch_size: int = 16, variant: str = "A1") -> Iterator[Chunk]:
    """Encode ``inputs`` in chunks of ``batch_size`` rows.

    ``inputs``: a `Batch` (one chunk, as is), a `Prompt` or a sequence of prompts, or
    items / a `Benchmark` (prompts built with ``build_prompt(item, variant)``; metadata
    from `item_meta`).
    """
    if isinstance(inputs, Batch):
        yield Chunk(inputs, pd.DataFrame({"row": np.arange(len(inputs))}))
        return
    seq = _as_list(inputs)
    if not seq:
        raise InputError("no inputs given; pass prompts, items or a Batch.")
    if batch_size < 1:
        raise InputError(f"batch_size must be >= 1, got {batch_size}.")
    if all(isinstance(x, Item) for x in seq):
        from ..data.prompts import build_prompt

        gold_of = {it.item_id: it.gold for it in seq if not it.is_misleading}
        for s in range(0, len(seq), batch_size):
            part = seq[s:s + batch_size]
            meta = pd.DataFrame([item_meta(it, gold_of) for it in part])
            yield Chunk(model.encode([build_prompt(it, variant) for it in part]), meta, tuple(part))
        return
    if not all(isinstance(x, Prompt) for x in seq):
        raise InputError("inputs must be a Batch, Prompts, or Items (a Benchmark); got a mix of "
                         f"{sorted({type(x).__name__ for x in seq})}.")
    for s in range(0, len(seq), batch_size):
        part = seq[s:s + batch_size]
        meta = pd.DataFrame([dict(p.meta) for p in part]) if any(p.meta for p in part) else pd.DataFrame(index=range(len(part)))
        yield Chunk(model.encode(part), meta.reset_index(drop=True))


def letter_set_logits(logits: Float[torch.Tensor, "batch vocab"], ids: Sequence[int]) -> Float[torch.Tensor, " batch"]:
    """``logsumexp`` of ``logits`` over a token-id set (one letter's spellings, or several letters')."""
    if not len(ids):
        raise InputError("empty token-id set; every letter needs at least one token id (model.letter_ids).")
    return logits.float()[:, list(ids)].logsumexp(-1)


def ids_of(model: Any, letters: str | Sequence[str]) -> tuple[int, ...]:
    """Union of the token-id sets of ``letters`` (e.g. ``"EF"``) from ``model.letter_ids``."""
    table = model.letter_ids
    missing = [l for l in letters if l not in table]
    if missing:
        raise InputError(f"letters {missing} have no token-id set; known letters: {sorted(table)}.")
    return tuple(sorted({i for l in letters for i in table[l]}))


def choice_matrix(model: Any, logits: Float[torch.Tensor, "batch vocab"], letters: str = "ABCDEF") -> np.ndarray:
    """``[B, len(letters)]`` letter-set logits (logsumexp over each letter's spellings), float64."""
    return torch.stack([letter_set_logits(logits, model.letter_ids[l]) for l in letters], 1).double().cpu().numpy()


def bootstrap_ci(values: np.ndarray, *, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of the finite ``values`` (NaN, NaN if none)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan")
    if v.size == 1 or n_boot <= 0:
        return float(v.mean()), float(v.mean())
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, v.size, size=(n_boot, v.size))].mean(1)
    a = (1 - level) / 2
    return float(np.quantile(means, a)), float(np.quantile(means, 1 - a))


def window_layers(centre: int, window: int, n_layers: int) -> tuple[int, ...]:
    """Layers of a window of ``window`` layers centred on ``centre``, clipped to ``[0, n_layers)``.

    An even window has one more layer after the centre than before it.
    """
    if window < 1:
        raise InputError(f"window must be >= 1 layer, got {window}.")
    lo = max(0, centre - (window - 1) // 2)
    hi = min(n_layers, centre + window // 2 + 1)
    return tuple(range(lo, hi))


def resolve_layers(layers: Sequence[int] | None, n_layers: int) -> tuple[int, ...]:
    """Layer indices normalised to ``[0, n_layers)`` (negative ones count from the end); None = all."""
    if layers is None:
        return tuple(range(n_layers))
    out = []
    for l in layers:
        if not -n_layers <= int(l) < n_layers:
            raise InputError(f"layer {l} is out of range for a model with {n_layers} layers.")
        out.append(int(l) % n_layers)
    return tuple(out)
