"""Attention knockout over windows of layers for named information flows.

For each flow ``(query, key)`` and each centre layer, attention from every position of
span ``query`` to every position of span ``key`` is cut in a window of ``window``
layers centred on that layer (clipped at the ends), pre-softmax (scores set to -inf;
the remaining attention of each query renormalises), following Geva et al. (2023).
The readout is the relative change of the answer probability,
``(p_knockout - p_clean) / p_clean``, where ``p`` is the softmax probability over the
full vocabulary summed over the answer letter's token-id set at the last prompt token.

Implementations: the cut is an edit of the explicit attention mask, which flash
attention (and other kernels that take no mask) ignore. When the model is loaded with
one of those, the run switches the model to ``sdpa`` (``eager`` if that fails), restores
it afterwards, warns, and records the switch in the result.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd
import torch

from ..errors import InputError
from ..models.backends.knockout import mask_free_implementation
from ..models.sites import Knockout
from .causal_common import Inputs, bootstrap_ci, chunks, letter_set_logits, resolve_layers, window_layers

DEFAULT_FLOWS: tuple[tuple[str, str], ...] = (
    ("last", "image"), ("last", "audio"), ("question", "image"), ("question", "audio"),
    ("last", "question"), ("last", "options"),
)


def flow_name(query: str, key: str) -> str:
    """``"key->query"``: the direction information moves (``("last", "image")`` is ``image->last``)."""
    return f"{key}->{query}"


@dataclass(frozen=True)
class KnockoutResult:
    """Answer-probability changes per (centre layer, flow, input row).

    Attributes:
        layers: centre layers; ``windows`` the layers cut for each.
        flows: ``(query, key)`` pairs; their names (`flow_name`) label the frame.
        rows: one row per input: metadata, ``answer`` (the letter read), ``p_clean``.
        p_knockout: ``[layers, flows, rows]`` answer probability with the edges cut
            (NaN where the row lacks the query or key span).
        attn_implementation: implementation the runs used; ``switched_from`` the one the model
            was loaded with when it had to be switched (else None).
    """

    layers: tuple[int, ...]
    windows: tuple[tuple[int, ...], ...]
    flows: tuple[tuple[str, str], ...]
    rows: pd.DataFrame
    p_knockout: np.ndarray
    attn_implementation: str
    switched_from: str | None = None
    n_boot: int = 1000
    seed: int = 0

    @property
    def rel_change(self) -> np.ndarray:
        """``[layers, flows, rows]`` ``(p_knockout - p_clean) / p_clean`` (fraction)."""
        p = self.rows["p_clean"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.p_knockout - p) / p

    def select(self, mask: Sequence[bool] | np.ndarray | pd.Series) -> "KnockoutResult":
        """The result restricted to the input rows where ``mask`` is True."""
        import dataclasses

        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        return dataclasses.replace(self, rows=self.rows.iloc[idx].reset_index(drop=True), p_knockout=self.p_knockout[..., idx])

    def to_dataframe(self) -> pd.DataFrame:
        """``[layer, flow, rel_change, lo, hi, n]``: mean relative change over rows with both spans."""
        rc = self.rel_change
        out = []
        for li, layer in enumerate(self.layers):
            for fi, (q, k) in enumerate(self.flows):
                v = rc[li, fi]
                ok = np.isfinite(v)
                lo, hi = bootstrap_ci(v, n_boot=self.n_boot, seed=self.seed)
                out.append({"layer": layer, "flow": flow_name(q, k), "rel_change": float(v[ok].mean()) if ok.any() else np.nan,
                            "lo": lo, "hi": hi, "n": int(ok.sum())})
        return pd.DataFrame(out)

    def plot(self, ax: Any = None, **kw: Any) -> Any:
        """`figures.knockout.plot_knockout_curves` of `to_dataframe()`."""
        from ..figures.knockout import plot_knockout_curves

        return plot_knockout_curves(self.to_dataframe(), ax=ax, **kw)


@contextmanager
def masked_attention(model: Any, fallback: Sequence[str] = ("sdpa", "eager")) -> Iterator[tuple[str, str | None]]:
    """Within the block, the model uses an attention implementation that takes an explicit mask.

    Yields ``(implementation used, implementation switched from or None)``. A switch is
    undone on exit, even after an error.
    """
    current = mask_free_implementation(model.hf)
    if current is None:
        impl = getattr(getattr(model.hf, "config", None), "_attn_implementation", None) or "custom"
        yield str(impl), None
        return
    chosen, error = None, None
    for impl in fallback:
        try:
            model.hf.set_attn_implementation(impl)
            chosen = impl
            break
        except Exception as exc:  # the model may not support this implementation
            error = exc
    if chosen is None:
        raise InputError(f"the model uses attention implementation {current!r}, which ignores attention masks, and "
                         f"could not be switched to any of {list(fallback)} ({error}). Reload it with "
                         "attn_implementation='eager'.")
    warnings.warn(f"attention knockout needs an explicit attention mask; switched the model from {current!r} to "
                  f"{chosen!r} for this run (restored afterwards).", stacklevel=3)
    try:
        yield chosen, current
    finally:
        model.hf.set_attn_implementation(current)


def _answer_ids(model: Any, answer: str, logits: torch.Tensor, meta: pd.DataFrame, letters: str) -> list[tuple[str, tuple[int, ...]]]:
    if answer == "predicted":
        choice = torch.stack([letter_set_logits(logits, model.letter_ids[l]) for l in letters], 1)
        picked = [letters[i] for i in choice.argmax(1).tolist()]
    elif answer == "gold":
        if "gold" not in meta.columns:
            raise InputError("answer='gold' needs items (with gold letters) as inputs; use answer='predicted' for prompts.")
        picked = list(meta["gold"])
    elif len(answer) >= 1 and all(a in model.letter_ids for a in answer):
        picked = [answer] * logits.shape[0]
    else:
        raise InputError(f"answer must be 'predicted', 'gold' or letters like 'E'; got {answer!r}.")
    return [(a, tuple(sorted({i for l in a for i in model.letter_ids[l]}))) for a in picked]


def knockout(
    model: Any,
    inputs: Inputs,
    flows: Sequence[tuple[str, str]] = DEFAULT_FLOWS,
    *,
    window: int = 9,
    layers: Sequence[int] | None = None,
    answer: str = "predicted",
    letters: str = "ABCDEF",
    batch_size: int = 8,
    variant: str = "A1",
    n_boot: int = 1000,
    seed: int = 0,
) -> KnockoutResult:
    """Relative change of the answer probability when attention flows are cut.

    Args:
        model: an `OmniModel`.
        inputs: a `Batch`, prompts, or items / a `Benchmark`.
        flows: ``(query, key)`` span pairs; ``("last", "image")`` blocks the last token from
            reading the image tokens (flow ``image->last``).
        window: layers per window, centred on each layer and clipped at the ends (k = 9 is common).
        layers: centre layers (default all).
        answer: ``"predicted"`` (argmax letter among ``letters`` of the clean run), ``"gold"``
            (items only) or fixed letters (``"E"``, ``"EF"``: the union of the sets).

    Returns:
        `KnockoutResult`; ``to_dataframe()`` has ``[layer, flow, rel_change, lo, hi, n]``.
        Rows lacking a flow's query or key span are NaN for that flow (not counted).
    """
    for q, k in flows:
        if not isinstance(q, str) or not isinstance(k, str):
            raise InputError(f"each flow is a (query span, key span) pair of names; got {(q, k)!r}.")
    centres = resolve_layers(layers, model.n_layers)
    windows = tuple(window_layers(c, window, model.n_layers) for c in centres)
    metas, p_clean, answers, p_ko = [], [], [], []
    with masked_attention(model) as (impl, switched):
        for ch in chunks(model, inputs, batch_size=batch_size, variant=variant):
            clean = model.run(ch.batch)
            ans = _answer_ids(model, answer, clean.logits, ch.meta, letters)
            lse = clean.logits.float().logsumexp(-1)
            p0 = torch.stack([(clean.logits[i].float()[list(ids)].logsumexp(-1) - lse[i]).exp() for i, (_, ids) in enumerate(ans)])
            block = np.full((len(centres), len(flows), len(ch.batch)), np.nan)
            spans = ch.batch.spans
            for fi, (q, k) in enumerate(flows):
                has = np.array([spans.has(q, r) and spans.has(k, r) for r in range(len(ch.batch))])
                if not has.any():
                    continue
                for li, win in enumerate(windows):
                    out = model.run(ch.batch, knockouts=[Knockout(win, q, k)])
                    lz = out.logits.float().logsumexp(-1)
                    p = torch.stack([(out.logits[i].float()[list(ids)].logsumexp(-1) - lz[i]).exp() for i, (_, ids) in enumerate(ans)])
                    block[li, fi] = np.where(has, p.double().cpu().numpy(), np.nan)
            metas.append(ch.meta.reset_index(drop=True))
            answers += [a for a, _ in ans]
            p_clean.append(p0.double().cpu().numpy())
            p_ko.append(block)
    rows = pd.concat(metas, ignore_index=True)
    rows["answer"] = answers
    rows["p_clean"] = np.concatenate(p_clean)
    return KnockoutResult(layers=centres, windows=windows, flows=tuple((q, k) for q, k in flows), rows=rows,
                          p_knockout=np.concatenate(p_ko, axis=-1), attn_implementation=impl, switched_from=switched,
                          n_boot=n_boot, seed=seed)
