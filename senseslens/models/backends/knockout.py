"""Attention knockout as an edit of the attention mask handed to one attention module.

Cutting an edge sets its pre-softmax score to -inf (float masks) or False (boolean
masks), so the remaining attention of that query renormalises. Works for the
``eager`` and ``sdpa`` implementations, which both take an explicit mask; flash
attention takes none and is switched to ``sdpa`` for the run by the caller.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from ..sites import Knockout
from ..spans import ModalitySpans


def cut_edges(spans: ModalitySpans, knockouts: Sequence[Knockout], device: torch.device) -> torch.Tensor:
    """``[B, 1, T, T]`` boolean, True where a query->key edge is cut."""
    cut = torch.zeros(spans.batch_size, 1, spans.seq_len, spans.seq_len, dtype=torch.bool, device=device)
    for ko in knockouts:
        q = spans.mask(ko.query).to(device)
        k = spans.mask(ko.key).to(device)
        cut |= (q[:, :, None] & k[:, None, :])[:, None]
    return cut


def knockout_mask(mask: Any, knockouts: Sequence[Knockout], spans: ModalitySpans, args: tuple, kwargs: dict) -> torch.Tensor:
    """The attention mask with the knocked-out edges removed."""
    hidden = args[0] if args else kwargs["hidden_states"]
    device = hidden.device
    cut = cut_edges(spans, knockouts, device)
    T = spans.seq_len
    if mask is None:
        allowed = torch.ones(T, T, dtype=torch.bool, device=device).tril()
        return (allowed[None, None] & ~cut).expand(spans.batch_size, 1, T, T)
    if mask.dtype == torch.bool:
        return mask & ~cut
    return mask.masked_fill(cut, torch.finfo(mask.dtype).min)
