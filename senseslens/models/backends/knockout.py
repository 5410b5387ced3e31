"""Attention knockout as an edit of the attention mask handed to one attention module.

Cutting an edge sets its pre-softmax score to -inf (float masks) or False (boolean
masks), so the remaining attention of that query renormalises. Works for the
``eager`` and ``sdpa`` implementations and for any attention module that takes an
explicit ``attention_mask`` (keyword or positional). Flash attention and other
implementations that take no explicit mask ignore it: `mask_free_implementation`
names them so that callers switch the model to ``sdpa`` for the run.
"""

from __future__ import annotations

import inspect
from typing import Any, Sequence

import torch
from jaxtyping import Bool
from torch import nn

from ...errors import InputError
from ..sites import Knockout
from ..spans import ModalitySpans

#: attention implementations whose kernels take an explicit [B, 1, T, T] mask
MASKED_IMPLEMENTATIONS: frozenset[str] = frozenset({"eager", "sdpa"})
_ATTN_NAMES: tuple[str, ...] = ("self_attn", "attn", "attention", "self_attention")


def attention_child(layer: nn.Module) -> tuple[str, int | None]:
    """Name of a decoder block's attention module and the position of its mask argument.

    Returns ``(name, index)`` where ``index`` is the 0-based position of the
    ``attention_mask`` parameter in the module's ``forward`` (``None`` when it is
    keyword-only or absent). Raises `InputError` if the block has no attention child
    under a known name.
    """
    for name in _ATTN_NAMES:
        module = getattr(layer, name, None)
        if isinstance(module, nn.Module):
            # the class's own forward: a tracing wrapper may have replaced the instance attribute
            params = [p for p in inspect.signature(type(module).forward).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            names = [p.name for p in params][1:]  # drop self
            return name, names.index("attention_mask") if "attention_mask" in names else None
    raise InputError(
        f"decoder block {type(layer).__name__} has no attention module named one of {_ATTN_NAMES}; "
        "attention knockout cannot find where to cut. Register a spec whose layers use one of these names."
    )


def cut_edges(spans: ModalitySpans, knockouts: Sequence[Knockout], device: torch.device) -> Bool[torch.Tensor, "batch 1 seq seq"]:
    """``[B, 1, T, T]`` boolean, True where a query->key edge is cut.

    The diagonal is never cut, so every query keeps at least itself (a span cut from
    itself would otherwise leave rows without any key and give NaN).
    """
    T = spans.seq_len
    cut = torch.zeros(spans.batch_size, 1, T, T, dtype=torch.bool, device=device)
    for ko in knockouts:
        q = spans.mask(ko.query).to(device)
        k = spans.mask(ko.key).to(device)
        cut |= (q[:, :, None] & k[:, None, :])[:, None]
    cut &= ~torch.eye(T, dtype=torch.bool, device=device)
    return cut


def knockout_mask(mask: Any, knockouts: Sequence[Knockout], spans: ModalitySpans, device: torch.device) -> torch.Tensor:
    """The attention mask with the knocked-out edges removed.

    ``mask`` is the module's mask: ``None`` (causal attention implied), a boolean
    ``[B or 1, 1, T, T]`` (True = attend) or an additive float mask (0 / large negative).
    A ``None`` mask is replaced by the explicit causal mask minus the cut edges.
    """
    cut = cut_edges(spans, knockouts, device)
    T = spans.seq_len
    if mask is None:
        allowed = torch.ones(T, T, dtype=torch.bool, device=device).tril()
        return (allowed[None, None] & ~cut).expand(spans.batch_size, 1, T, T)
    if not isinstance(mask, torch.Tensor) or mask.ndim != 4 or mask.shape[-1] != T or mask.shape[-2] != T:
        raise InputError(
            f"attention knockout needs a [B, 1, T, T] attention mask with T={T}; the attention module got "
            f"{type(mask).__name__}{tuple(getattr(mask, 'shape', ()))}. Load the model with "
            "attn_implementation='sdpa' or 'eager'."
        )
    if mask.dtype == torch.bool:
        return mask & ~cut
    return mask.masked_fill(cut, torch.finfo(mask.dtype).min)


def knockout_inputs(mask_index: int | None, args: tuple, kwargs: dict, knockouts: Sequence[Knockout],
                    spans: ModalitySpans) -> tuple[tuple, dict]:
    """The attention module's ``(args, kwargs)`` with its mask replaced by the knocked-out mask."""
    hidden = args[0] if args else kwargs["hidden_states"]
    args, kwargs = tuple(args), dict(kwargs)
    if "attention_mask" not in kwargs and mask_index is not None and len(args) > mask_index:
        new = knockout_mask(args[mask_index], knockouts, spans, hidden.device)
        args = (*args[:mask_index], new, *args[mask_index + 1:])
    else:
        kwargs["attention_mask"] = knockout_mask(kwargs.get("attention_mask"), knockouts, spans, hidden.device)
    return args, kwargs


def attn_implementations(hf_model: nn.Module) -> set[str]:
    """Every ``_attn_implementation`` set on the model's config and its sub-configs."""
    found: set[str] = set()
    config = getattr(hf_model, "config", None)
    stack = [config]
    seen: set[int] = set()
    while stack:
        cfg = stack.pop()
        if cfg is None or id(cfg) in seen:
            continue
        seen.add(id(cfg))
        impl = getattr(cfg, "_attn_implementation", None)
        if isinstance(impl, str):
            found.add(impl)
        for key in getattr(cfg, "sub_configs", {}) or {}:
            stack.append(getattr(cfg, key, None))
        stack.append(getattr(cfg, "text_config", None))
    return found


def mask_free_implementation(hf_model: nn.Module) -> str | None:
    """The model's attention implementation if it takes no explicit mask (e.g. flash attention), else None."""
    impls = attn_implementations(hf_model) - MASKED_IMPLEMENTATIONS
    return sorted(impls)[0] if impls else None
