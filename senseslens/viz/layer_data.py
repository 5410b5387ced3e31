"""What the layer browser shows, computed without any widget: one item's view at one layer.

`ItemTrace` runs an item once (every layer's residual stream cached) and answers
cheap questions about it: logit-lens top tokens at a position, letter probabilities,
a per-token heat over a media span, the probe's score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
import torch
from jaxtyping import Float

from ..analysis.lens import lens_readout
from ..data.items import ALL_LETTERS, Item
from ..data.prompts import build_prompt
from ..errors import InputError
from ..models.sites import Site

HEATS: tuple[str, ...] = ("reject letter probability", "residual norm")


@dataclass
class ItemTrace:
    """One item run through the model with the residual stream of every layer cached.

    Attributes:
        item: the item.
        batch: its encoded batch (one row).
        hidden: ``[layers, T, H]`` residual stream (layer i = output of block i).
        logits: ``[V]`` final logits at the last prompt token.
    """

    model: Any
    item: Item
    batch: Any
    hidden: Float[torch.Tensor, "layers seq d"]
    logits: Float[torch.Tensor, " vocab"]
    _lens_cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def run(cls, model: Any, item: Item, variant: str = "A1") -> "ItemTrace":
        batch = model.encode([build_prompt(item, variant)])
        sites = [Site("resid", i, None) for i in range(model.n_layers)]
        out = model.run(batch, capture=sites)
        hidden = torch.stack([out.captures[s][0] for s in sites]).float()
        return cls(model=model, item=item, batch=batch, hidden=hidden, logits=out.logits[0].float())

    # --- positions ------------------------------------------------------------------
    def span_names(self) -> list[str]:
        order = ["last", "question", "options", "image", "video", "audio", "prompt"]
        names = self.batch.spans.names()
        return [n for n in order if n in names]

    def positions(self, span: str) -> np.ndarray:
        pos = self.batch.spans.positions(span, 0)
        if len(pos) == 0:
            raise InputError(f"item {self.item.item_id} has no {span!r} span; spans: {self.span_names()}.")
        return pos

    def token_text(self, position: int) -> str:
        tok = self.model.tokenizer.convert_ids_to_tokens(int(self.batch.input_ids[0, position]))
        return str(tok)

    # --- readouts ---------------------------------------------------------------------
    def _lens(self, layer: int, positions: Sequence[int], top_k: int = 10) -> dict[str, torch.Tensor]:
        key = (layer, tuple(int(p) for p in positions), top_k)
        if key not in self._lens_cache:
            letter_sets = [self.model.letter_ids[l] for l in ALL_LETTERS]
            self._lens_cache[key] = lens_readout(self.model, self.hidden[layer, list(positions)], letter_sets=letter_sets, top_k=top_k)
        return self._lens_cache[key]

    def top_tokens(self, layer: int, position: int, top_k: int = 10) -> pd.DataFrame:
        """``[rank, token, prob]`` of the logit lens at (layer, position)."""
        r = self._lens(layer, [position], top_k)
        ids, probs = r["top_ids"][0].tolist(), r["top_probs"][0].tolist()
        toks = self.model.tokenizer.convert_ids_to_tokens(ids)
        return pd.DataFrame({"rank": range(len(ids)), "token": toks, "prob": probs})

    def letter_probs(self, layer: int | None = None) -> dict[str, float]:
        """A-F probabilities: at the model's output (``layer=None``) or through the lens at ``layer``."""
        if layer is None:
            p = torch.softmax(self.logits, -1)
            return {l: float(p[list(self.model.letter_ids[l])].sum()) for l in ALL_LETTERS}
        last = int(self.batch.spans.last[0])
        probs = self._lens(layer, [last])["letter_probs"][0].tolist()
        return dict(zip(ALL_LETTERS, probs))

    def heat(self, layer: int, span: str, kind: str = HEATS[0]) -> np.ndarray:
        """One value per token of ``span`` at ``layer``: lens probability of the item's reject
        letter, or the residual-stream norm."""
        pos = self.positions(span)
        if kind == "residual norm":
            return self.hidden[layer, pos].norm(dim=-1).numpy()
        if kind == "reject letter probability":
            j = ALL_LETTERS.index(self.item.reject_letter)
            return self._lens(layer, pos.tolist())["letter_probs"][:, j].numpy()
        raise InputError(f"unknown heat {kind!r}; choose one of {HEATS}.")

    def grid(self, span: str) -> tuple[int, int] | None:
        """(h, w) of the first medium of ``span`` when the spans know it or the count is square."""
        spans = self.batch.spans.spans(0, span)
        if not spans:
            return None
        first = [s for s in spans if s.index == spans[0].index]
        grid = first[0].grid
        n = sum(len(s) for s in first)
        if grid is not None and grid[1] * grid[2] * grid[0] == n:
            return (grid[0] * grid[1], grid[2])
        side = int(round(n**0.5))
        return (side, side) if side * side == n else None


def probe_score(probe: Any, item_index: int, layer: int) -> float | None:
    """P(misleading) for one item at one layer from a `ProbeResult` (out-of-fold) or ``[L, n]`` array."""
    if probe is None:
        return None
    scores = getattr(probe, "oof_score", probe)
    layers = list(getattr(probe, "layers", range(np.asarray(scores).shape[0])))
    if layer not in layers:
        return None
    value = float(np.asarray(scores)[layers.index(layer), item_index])
    return None if np.isnan(value) else value


def spectrogram(waveform: np.ndarray, n_fft: int = 256, hop: int = 64) -> np.ndarray:
    """Log-power spectrogram ``[freq, time]`` of a mono waveform (for display only)."""
    w = np.asarray(waveform, dtype=np.float32)
    if len(w) < n_fft:
        w = np.pad(w, (0, n_fft - len(w)))
    frames = np.lib.stride_tricks.sliding_window_view(w, n_fft)[::hop] * np.hanning(n_fft)
    return np.log1p(np.abs(np.fft.rfft(frames, axis=-1)) ** 2).T
