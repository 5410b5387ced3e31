"""Activation patching of the residual stream over windows of layers x named spans.

Conventions (Heimersheim & Nanda 2024; Zhang & Nanda 2024):

* Metric: ``LD = logit(correct) - logit(foil)`` where a letter's logit is the
  logsumexp over its token-id set (``model.letter_ids``), read at the last prompt token.
* ``mode="denoise"``: run the corrupted prompt, write in the clean activations at the
  patched (layers, span) - tests sufficiency. ``effect = (LD_patched - LD_corrupt) /
  (LD_clean - LD_corrupt)``.
* ``mode="noise"``: run the clean prompt, write in the corrupted activations - tests
  necessity. ``effect = (LD_clean - LD_patched) / (LD_clean - LD_corrupt)``.
  In both modes 0 = no effect and 1 = the patched run moves all the way to the other run.
* Pairs with ``|LD_clean - LD_corrupt| < min_diff`` are dropped (and counted): their
  normalised effect divides by about zero.
* A span is patched position for position: the k-th position of the span in the source
  row goes to the k-th position of the same span in the target row. A (pair, span) whose
  span is missing from either row or has different lengths is skipped and counted.
* A window of ``window`` layers centred on each layer (clipped at the ends) is patched
  at once; the span positions of every layer in the window get the source values.

Patches are batched: ``batch_patches`` patched copies of each chunk of pairs share one
forward. The copies are built by encoding the target prompts ``k`` times (so media
tensors are collated by the processor), and each copy gets its own positions through a
per-layer span named ``patch@<layer>`` added to the batch's spans.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
import torch

from ..data.prompt import Prompt
from ..errors import InputError
from ..models.batch import Batch
from ..models.sites import Edit, Site
from ..models.spans import ModalitySpans, Span
from .causal_common import bootstrap_ci, ids_of, letter_set_logits, resolve_layers, window_layers
from .pairs import PatchPairs

DEFAULT_SPANS: tuple[str, ...] = ("image", "audio", "question", "options", "last")
_LETTERS = "ABCDEF"


@dataclass(frozen=True)
class PatchResult:
    """Patching effects per (layer window, span, pair).

    Attributes:
        layers: centre layer of each window (the heatmap's x axis).
        windows: the layers patched for each centre.
        spans: span names patched (``"all"`` = every non-pad position).
        mode: ``"denoise"`` or ``"noise"``.
        pairs: one row per pair: metadata, ``correct``, ``foil``, ``ld_clean``, ``ld_corrupt``,
            ``dropped`` (True when ``|LD_clean - LD_corrupt| < min_diff``).
        ld_patched: ``[windows, spans, pairs]`` LD of the patched run (NaN where skipped).
        choice_patched: ``[windows, spans, pairs, 6]`` letter-set logits A-F of the patched run.
        skipped: ``[span, reason, n]`` counts of skipped (pair, span) combinations.
        min_diff: the drop threshold, in logits.
        n_boot, seed: bootstrap settings of `to_dataframe`.
    """

    layers: tuple[int, ...]
    windows: tuple[tuple[int, ...], ...]
    spans: tuple[str, ...]
    mode: str
    pairs: pd.DataFrame
    ld_patched: np.ndarray
    choice_patched: np.ndarray
    skipped: pd.DataFrame
    min_diff: float
    n_boot: int = 1000
    seed: int = 0

    @property
    def effects(self) -> np.ndarray:
        """``[windows, spans, pairs]`` normalised effect per pair (NaN for dropped or skipped pairs)."""
        c = self.pairs["ld_clean"].to_numpy(float)
        x = self.pairs["ld_corrupt"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            num = self.ld_patched - x if self.mode == "denoise" else c - self.ld_patched
            eff = num / (c - x)
        eff[..., self.pairs["dropped"].to_numpy(bool)] = np.nan
        return eff

    @property
    def n_dropped(self) -> int:
        return int(self.pairs["dropped"].sum())

    def select(self, mask: Sequence[bool] | np.ndarray | pd.Series) -> "PatchResult":
        """The same result restricted to the pairs where ``mask`` is True (e.g. one modality)."""
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        return dataclasses.replace(self, pairs=self.pairs.iloc[idx].reset_index(drop=True),
                                   ld_patched=self.ld_patched[..., idx], choice_patched=self.choice_patched[:, :, idx])

    def to_dataframe(self) -> pd.DataFrame:
        """``[layer, span, effect, lo, hi, n, pooled]``: mean normalised effect over kept pairs,
        its bootstrap CI, the number of pairs, and the pooled effect computed from mean LDs."""
        eff = self.effects
        c = self.pairs["ld_clean"].to_numpy(float)
        x = self.pairs["ld_corrupt"].to_numpy(float)
        rows = []
        for wi, layer in enumerate(self.layers):
            for si, span in enumerate(self.spans):
                v = eff[wi, si]
                ok = np.isfinite(v)
                lo, hi = bootstrap_ci(v, n_boot=self.n_boot, seed=self.seed)
                p = self.ld_patched[wi, si][ok]
                if ok.any():
                    num = p.mean() - x[ok].mean() if self.mode == "denoise" else c[ok].mean() - p.mean()
                    pooled = float(num / (c[ok].mean() - x[ok].mean()))
                else:
                    pooled = np.nan
                rows.append({"layer": layer, "span": span, "effect": float(v[ok].mean()) if ok.any() else np.nan,
                             "lo": lo, "hi": hi, "n": int(ok.sum()), "pooled": pooled})
        return pd.DataFrame(rows)

    def per_pair(self) -> pd.DataFrame:
        """Long frame ``[layer, span, pair, effect, ld_patched]`` with the pair metadata."""
        eff = self.effects
        W, S, N = eff.shape
        frame = pd.DataFrame({"layer": np.repeat(self.layers, S * N), "span": np.tile(np.repeat(self.spans, N), W),
                              "pair": np.tile(np.arange(N), W * S), "effect": eff.reshape(-1),
                              "ld_patched": self.ld_patched.reshape(-1)})
        return frame.merge(self.pairs, left_on="pair", right_index=True)

    def plot(self, ax: Any = None, **kw: Any) -> Any:
        """`figures.patching.plot_patching_heatmap` of `to_dataframe()`."""
        from ..figures.patching import plot_patching_heatmap

        return plot_patching_heatmap(self.to_dataframe(), ax=ax, **kw)


def _letters_per_pair(value: str | Sequence[str] | None, n: int, name: str) -> tuple[str, ...]:
    if value is None:
        raise InputError(f"patch() needs {name}= letters (one string, or one per pair) when prompts are given; "
                         "or pass PatchPairs from twin_pairs / clip_swap_pairs.")
    if isinstance(value, str):
        return (value,) * n
    out = tuple(value)
    if len(out) != n:
        raise InputError(f"{name} has {len(out)} entries for {n} pairs; give one per pair.")
    return out


def _span_positions(batch: Batch, name: str, row: int) -> np.ndarray:
    if name == "all":
        mask = batch.inputs.get("attention_mask")
        T = batch.spans.seq_len
        return np.flatnonzero(mask[row].cpu().numpy()) if mask is not None else np.arange(T)
    return batch.spans.positions(name, row) if batch.spans.has(name, row) else np.zeros(0, dtype=np.int64)


def _align(target: Batch, source: Batch, span: str, row: int) -> tuple[np.ndarray, np.ndarray] | str:
    if span != "all" and span != "last" and not (target.spans.has(span, row) and source.spans.has(span, row)):
        return "span missing"
    t, s = _span_positions(target, span, row), _span_positions(source, span, row)
    if len(t) != len(s):
        return "unequal span lengths"
    if len(t) == 0:
        return "span missing"
    return t, s


def _runs(positions: np.ndarray, name: str) -> list[Span]:
    if len(positions) == 0:
        return []
    p = np.sort(positions)
    cuts = np.flatnonzero(np.diff(p) != 1) + 1
    return [Span(name, int(g[0]), int(g[-1]) + 1) for g in np.split(p, cuts)]


def _ld(model: Any, logits: torch.Tensor, correct: Sequence[str], foil: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    ld = torch.stack([letter_set_logits(logits[i:i + 1], ids_of(model, c))[0] - letter_set_logits(logits[i:i + 1], ids_of(model, f))[0]
                      for i, (c, f) in enumerate(zip(correct, foil))])
    choice = torch.stack([letter_set_logits(logits, model.letter_ids[l]) for l in _LETTERS], 1)
    return ld.double().cpu().numpy(), choice.double().cpu().numpy()


def patch(
    model: Any,
    clean: PatchPairs | Sequence[Prompt],
    corrupted: Sequence[Prompt] | None = None,
    *,
    layers: Sequence[int] | None = None,
    spans: Sequence[str] = DEFAULT_SPANS,
    window: int = 1,
    mode: str = "denoise",
    metric: str = "logit_diff",
    correct: str | Sequence[str] | None = None,
    foil: str | Sequence[str] | None = None,
    batch_patches: int = 8,
    batch_size: int = 4,
    min_diff: float | None = 0.1,
    n_boot: int = 1000,
    seed: int = 0,
) -> PatchResult:
    """Patch the residual stream of windows of layers x spans between clean and corrupted runs.

    Args:
        model: an `OmniModel`.
        clean: `PatchPairs` (from `twin_pairs` / `clip_swap_pairs`), or clean prompts.
        corrupted: corrupted prompts (only with prompts for ``clean``), aligned with them.
        layers: window centres (default every layer).
        spans: span names to patch: ``"image"``, ``"audio"``, ``"video"``, ``"question"``,
            ``"options"``, ``"prompt"``, ``"last"``, or ``"all"`` (every non-pad position).
        window: layers per window, centred on each layer, clipped at the ends.
        mode: ``"denoise"`` (corrupted run, clean values written in) or ``"noise"``.
        metric: ``"logit_diff"`` (the only one).
        correct, foil: letters of the LD (one string or one per pair); taken from the pairs
            when ``clean`` is `PatchPairs`. A string of several letters is the union of sets.
        batch_patches: patched copies per forward (1 = one forward per patch).
        batch_size: pairs encoded together; a forward holds ``batch_size * batch_patches`` rows.
        min_diff: pairs with ``|LD_clean - LD_corrupt|`` below it (logits) are dropped; None keeps all.
        n_boot, seed: bootstrap of the CIs in `PatchResult.to_dataframe`.

    Returns:
        `PatchResult`. Caveat: activations of every window layer of a chunk are held in
        memory (``batch_size x T x H`` per layer and run); lower ``batch_size`` for long prompts.
    """
    if metric != "logit_diff":
        raise InputError(f"unknown metric {metric!r}; patch() supports metric='logit_diff'.")
    if mode not in ("denoise", "noise"):
        raise InputError(f"mode must be 'denoise' or 'noise', got {mode!r}.")
    if batch_patches < 1 or batch_size < 1:
        raise InputError(f"batch_patches and batch_size must be >= 1, got {batch_patches} and {batch_size}.")
    if isinstance(clean, PatchPairs):
        if corrupted is not None:
            raise InputError("pass either PatchPairs or (clean, corrupted) prompts, not both.")
        pairs = clean
    else:
        clean_p = list(clean)
        corr_p = list(corrupted or [])
        if len(clean_p) != len(corr_p) or not clean_p:
            raise InputError(f"clean and corrupted must be non-empty and aligned; got {len(clean_p)} and {len(corr_p)} prompts.")
        n = len(clean_p)
        pairs = PatchPairs(tuple(clean_p), tuple(corr_p), _letters_per_pair(correct, n, "correct"),
                           _letters_per_pair(foil, n, "foil"), pd.DataFrame({"pair_id": range(n)}))
    spans = tuple(spans)
    centres = resolve_layers(layers, model.n_layers)
    windows = tuple(window_layers(c, window, model.n_layers) for c in centres)
    needed = sorted({l for w in windows for l in w})
    patches = [(wi, si) for wi in range(len(windows)) for si in range(len(spans))]
    N = len(pairs)
    ld_p = np.full((len(windows), len(spans), N), np.nan)
    ch_p = np.full((len(windows), len(spans), N, len(_LETTERS)), np.nan)
    ld_c, ld_x = np.zeros(N), np.zeros(N)
    skipped: dict[tuple[str, str], int] = {}
    for start in range(0, N, batch_size):
        idx = list(range(start, min(N, start + batch_size)))
        b = len(idx)
        cor = [pairs.correct[i] for i in idx]
        fo = [pairs.foil[i] for i in idx]
        bc = model.encode([pairs.clean[i] for i in idx])
        bx = model.encode([pairs.corrupted[i] for i in idx])
        sites = [Site("resid", l, None) for l in needed]  # read on the source run only
        rc = model.run(bc, capture=sites if mode == "denoise" else ())
        rx = model.run(bx, capture=sites if mode == "noise" else ())
        ld_c[idx], _ = _ld(model, rc.logits, cor, fo)
        ld_x[idx], _ = _ld(model, rx.logits, cor, fo)
        target, source, src_run = (bx, bc, rc) if mode == "denoise" else (bc, bx, rx)
        target_prompts = [pairs.corrupted[i] if mode == "denoise" else pairs.clean[i] for i in idx]
        align: dict[tuple[int, int], Any] = {}
        for si, span in enumerate(spans):
            for r in range(b):
                a = _align(target, source, span, r)
                align[si, r] = a
                if isinstance(a, str):
                    skipped[span, a] = skipped.get((span, a), 0) + 1
        encoded: dict[int, Batch] = {}
        for g in range(0, len(patches), batch_patches):
            group = patches[g:g + batch_patches]
            k = len(group)
            if k not in encoded:
                encoded[k] = target if k == 1 else model.encode(target_prompts * k)
                if encoded[k].spans.seq_len != target.spans.seq_len:
                    raise InputError("re-encoding the target prompts changed the padded length; the processor "
                                     "pads differently for repeated batches, so patches cannot be batched. Use batch_patches=1.")
            bk = encoded[k]
            extra: list[list[Span]] = [[] for _ in range(b * k)]
            edits = []
            for l in sorted({l for wi, _ in group for l in windows[wi]}):
                name = f"patch@{l}"
                H = src_run.captures[Site("resid", l, None)].shape[-1]
                value = torch.zeros(b * k, target.spans.seq_len, H, dtype=src_run.captures[Site("resid", l, None)].dtype)
                src = src_run.captures[Site("resid", l, None)]
                for c, (wi, si) in enumerate(group):
                    if l not in windows[wi]:
                        continue
                    for r in range(b):
                        a = align[si, r]
                        if isinstance(a, str):
                            continue
                        tpos, spos = a
                        value[c * b + r, torch.as_tensor(tpos)] = src[r, torch.as_tensor(spos)].to(value.dtype)
                        extra[c * b + r] += _runs(tpos, name)
                edits.append(Edit(Site("resid", l, name), "replace", value))
            spans_k = ModalitySpans(rows=tuple(tuple(row) + tuple(e) for row, e in zip(bk.spans.rows, extra)),
                                    seq_len=bk.spans.seq_len, last=bk.spans.last)
            out = model.run(dataclasses.replace(bk, spans=spans_k), edits=edits)
            ld, ch = _ld(model, out.logits, cor * k, fo * k)
            for c, (wi, si) in enumerate(group):
                for r in range(b):
                    if not isinstance(align[si, r], str):
                        ld_p[wi, si, idx[r]] = ld[c * b + r]
                        ch_p[wi, si, idx[r]] = ch[c * b + r]
    diff = np.abs(ld_c - ld_x)
    frame = pairs.to_dataframe().assign(ld_clean=ld_c, ld_corrupt=ld_x,
                                        dropped=(diff < min_diff) if min_diff is not None else np.zeros(N, bool))
    skip_frame = pd.DataFrame([{"span": s, "reason": r, "n": n} for (s, r), n in skipped.items()],
                              columns=["span", "reason", "n"])
    return PatchResult(layers=centres, windows=windows, spans=spans, mode=mode, pairs=frame, ld_patched=ld_p,
                       choice_patched=ch_p, skipped=skip_frame, min_diff=float(min_diff or 0.0), n_boot=n_boot, seed=seed)
