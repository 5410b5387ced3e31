"""`ModalitySpans`: which sequence positions are image, video, audio, question, options.

Spans are computed from the processor's outputs (placeholder token ids, patch grids)
and from the prompt's character regions, per batch row, in the coordinates of the
padded batch. Names: ``"image"``, ``"video"``, ``"audio"`` (one span per contiguous
placeholder run; a medium split into several runs gives several spans sharing one
``index``), ``"question"``, ``"options"``, ``"prompt"`` (the whole user text), and
the pseudo-span ``"last"`` (the last prompt token, where the answer is read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from jaxtyping import Bool, Int

from ..errors import InputError

MEDIA_KINDS: tuple[str, ...] = ("image", "video", "audio")


@dataclass(frozen=True)
class Span:
    """Positions ``[start, stop)`` of one span in one batch row.

    Attributes:
        name: span name (``"image"``, ``"audio"``, ``"question"``, ...).
        start, stop: first position and one past the last, padded-batch coordinates.
        index: 0-based order of the medium within its row (media spans only).
        grid: ``(t, h, w)`` of LM tokens (after any spatial merge) for image/video
            runs when the processor reports grids; ``None`` otherwise. For audio the
            positions themselves are in time order.
    """

    name: str
    start: int
    stop: int
    index: int = 0
    grid: tuple[int, int, int] | None = None

    def __len__(self) -> int:
        return self.stop - self.start

    @property
    def positions(self) -> np.ndarray:
        return np.arange(self.start, self.stop)


@dataclass(frozen=True)
class ModalitySpans:
    """Spans of every row of a batch.

    Attributes:
        rows: per row, its spans sorted by start.
        seq_len: padded sequence length ``T``.
        last: per row, the position of the last prompt token.
    """

    rows: tuple[tuple[Span, ...], ...]
    seq_len: int
    last: tuple[int, ...]
    _masks: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def batch_size(self) -> int:
        return len(self.rows)

    def names(self) -> set[str]:
        return {s.name for row in self.rows for s in row} | {"last"}

    def spans(self, row: int, name: str | None = None) -> tuple[Span, ...]:
        return tuple(s for s in self.rows[row] if name is None or s.name == name)

    def has(self, name: str, row: int) -> bool:
        return name == "last" or any(s.name == name for s in self.rows[row])

    def positions(self, name: str, row: int) -> np.ndarray:
        """Sorted positions of every span called ``name`` in ``row`` (may be empty)."""
        if name == "last":
            return np.array([self.last[row]])
        parts = [s.positions for s in self.rows[row] if s.name == name]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def counts(self, name: str) -> np.ndarray:
        return np.array([len(self.positions(name, r)) for r in range(self.batch_size)])

    def mask(self, name: str | None = None) -> Bool[torch.Tensor, "batch seq"]:
        """Boolean ``[B, T]`` mask of the span's positions (``None``: all positions). Cached; do not edit."""
        if name in self._masks:
            return self._masks[name]
        m = torch.zeros(self.batch_size, self.seq_len, dtype=torch.bool)
        for r in range(self.batch_size):
            if name is None:
                m[r] = True
            else:
                m[r, torch.as_tensor(self.positions(name, r), dtype=torch.long)] = True
        self._masks[name] = m
        return m

    def require(self, name: str) -> None:
        """Raise if some row lacks span ``name`` (names the rows and what exists)."""
        missing = [r for r in range(self.batch_size) if not self.has(name, r)]
        if missing:
            raise InputError(
                f"span {name!r} is absent from rows {missing}; spans present: {sorted(self.names())}. "
                "Pick a span every row has, or select the rows that have it."
            )

    def to_dataframe(self) -> pd.DataFrame:
        rows = [
            {"row": r, "name": s.name, "start": s.start, "stop": s.stop, "length": len(s), "index": s.index, "grid": s.grid}
            for r, row in enumerate(self.rows)
            for s in row
        ]
        rows += [{"row": r, "name": "last", "start": p, "stop": p + 1, "length": 1, "index": 0, "grid": None} for r, p in enumerate(self.last)]
        return pd.DataFrame(rows).sort_values(["row", "start"]).reset_index(drop=True)


def placeholder_runs(ids: np.ndarray, token_id: int) -> list[tuple[int, int]]:
    """Contiguous ``[start, stop)`` runs of ``token_id`` in a 1-D id array."""
    hit = np.concatenate([[False], ids == token_id, [False]])
    edges = np.flatnonzero(np.diff(hit.astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def _ungridded(kind: str, runs: list[tuple[int, int]], n_media: int | None) -> list[Span]:
    """Spans of one row's runs when the processor reports no grids.

    With ``n_media`` known: runs are grouped into that many media when the counts
    allow it (several tiles per image, e.g. Idefics3), or one run is cut into equal
    parts (adjacent images with a fixed token count, e.g. LLaVA). Otherwise each run
    is its own medium.
    """
    if not n_media or len(runs) == n_media:
        return [Span(kind, a, b, index=i) for i, (a, b) in enumerate(runs)]
    if len(runs) > n_media and len(runs) % n_media == 0:
        per = len(runs) // n_media
        return [Span(kind, a, b, index=i // per) for i, (a, b) in enumerate(runs)]
    total = sum(b - a for a, b in runs)
    if len(runs) == 1 and total % n_media == 0:
        a, _ = runs[0]
        size = total // n_media
        side = int(round(size**0.5))
        grid = (1, side, side) if side * side == size else None
        return [Span(kind, a + i * size, a + (i + 1) * size, index=i, grid=grid) for i in range(n_media)]
    return [Span(kind, a, b, index=i) for i, (a, b) in enumerate(runs)]


def media_spans(
    input_ids: Int[torch.Tensor, "batch seq"],
    token_ids: Mapping[str, int],
    grids: Mapping[str, Sequence[tuple[int, int, int]]] | None = None,
    n_media: Sequence[Mapping[str, int]] | None = None,
) -> list[list[Span]]:
    """Spans of every media placeholder run, per row.

    Args:
        input_ids: the processor's ``[B, T]`` ids.
        token_ids: medium kind -> placeholder token id.
        grids: medium kind -> one LM-token grid ``(t, h, w)`` per medium, in batch
            order (row-major, then order within the row). When given, runs are
            grouped into media whose token counts must equal ``t*h*w``; a mismatch
            raises `InputError` (media and placeholders disagree).
        n_media: per row, medium kind -> how many media of that kind the prompt has
            (used to group runs when no grids are reported).
    """
    ids = input_ids.cpu().numpy()
    out: list[list[Span]] = [[] for _ in range(ids.shape[0])]
    for kind, tok in token_ids.items():
        kind_grids = list((grids or {}).get(kind, ()))
        cursor = 0
        for r in range(ids.shape[0]):
            runs = placeholder_runs(ids[r], tok)
            if not kind_grids:
                out[r] += _ungridded(kind, runs, n_media[r].get(kind) if n_media else None)
                continue
            index, filled = 0, 0
            for a, b in runs:
                if cursor >= len(kind_grids):
                    raise InputError(
                        f"row {r} has more {kind} placeholder tokens than the processor produced {kind} features "
                        f"({len(kind_grids)} {kind} grid(s) in the batch). Media and placeholders disagree: pass "
                        f"one {kind} per <{kind}> placeholder, or let the processor insert the placeholders."
                    )
                grid = kind_grids[cursor]
                need = int(np.prod(grid))
                out[r].append(Span(kind, a, b, index=index, grid=tuple(int(g) for g in grid)))
                filled += b - a
                if filled > need:
                    raise InputError(
                        f"row {r}: {kind} #{index} has {filled} placeholder tokens but its grid {tuple(grid)} "
                        f"gives {need} features. Media and placeholders disagree; re-encode with the processor."
                    )
                if filled == need:
                    cursor, index, filled = cursor + 1, index + 1, 0
            if filled:
                raise InputError(
                    f"row {r}: the last {kind} run is incomplete ({filled} tokens for a grid of "
                    f"{int(np.prod(kind_grids[cursor]))}). Media and placeholders disagree."
                )
        if kind_grids and cursor != len(kind_grids):
            raise InputError(
                f"the batch has {len(kind_grids)} {kind} grid(s) but placeholders for {cursor}. "
                "Media and placeholders disagree: every medium needs its placeholder in the text."
            )
    return out


def build_spans(
    input_ids: Int[torch.Tensor, "batch seq"],
    attention_mask: Int[torch.Tensor, "batch seq"],
    media: list[list[Span]],
    regions: Sequence[Mapping[str, tuple[int, int]]],
) -> ModalitySpans:
    """Assemble `ModalitySpans` from media spans and token-level text regions per row."""
    rows = []
    lasts = []
    am = attention_mask.cpu()
    for r in range(input_ids.shape[0]):
        text = [Span(name, a, b) for name, (a, b) in regions[r].items() if b > a] if r < len(regions) else []
        rows.append(tuple(sorted(media[r] + text, key=lambda s: (s.start, s.name))))
        valid = torch.nonzero(am[r]).flatten()
        lasts.append(int(valid[-1]) if len(valid) else input_ids.shape[1] - 1)
    return ModalitySpans(rows=tuple(rows), seq_len=int(input_ids.shape[1]), last=tuple(lasts))
