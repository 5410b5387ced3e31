"""Backend-independent pieces: the run output, edits and span reductions on real tensors."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import torch
from jaxtyping import Float

from ...errors import InputError
from ..sites import TOWER_ROLES, Edit, Knockout, Site
from ..spans import ModalitySpans

_TOWER_MEDIA: Mapping[str, tuple[str, ...]] = {
    "vision_tower": ("image", "video"),
    "projector": ("image", "video"),
    "audio_tower": ("audio",),
    "audio_projector": ("audio",),
}


@dataclass(frozen=True)
class RunOutput:
    """What one run returns.

    Attributes:
        logits: ``[B, V]`` at the last prompt token (or ``[B, T, V]`` with ``logits="all"``).
        captures: site -> ``[B, H]`` (span ``"last"`` or ``reduce="mean"``), ``[B, T, H]``
            (span ``None``), or a list of ``[n_b, H]`` (``reduce="none"``).
    """

    logits: torch.Tensor
    captures: Mapping[Site, Any] = field(default_factory=dict)

    def __getitem__(self, site: Site) -> Any:
        return self.captures[site]


@dataclass
class RunPlan:
    """What one run reads and changes, grouped by where it happens (layers 0-based, wrapped)."""

    tower_sites: dict[str, list[Site]] = field(default_factory=lambda: defaultdict(list))  # by tower role
    layer_sites: dict[int, list[Site]] = field(default_factory=lambda: defaultdict(list))
    layer_edits: dict[int, list[Edit]] = field(default_factory=lambda: defaultdict(list))
    embed_sites: list[Site] = field(default_factory=list)
    embed_edits: list[Edit] = field(default_factory=list)
    knockouts: dict[int, list[Knockout]] = field(default_factory=lambda: defaultdict(list))


def plan_run(capture: Sequence[Site], edits: Sequence[Edit], knockouts: Sequence[Knockout], n_layers: int, paths: Mapping[str, str]) -> RunPlan:
    """Group sites, edits and knockouts by layer / tower role; raise on what the model lacks."""
    plan = RunPlan()
    for site in capture:
        if site.component == "resid":
            plan.layer_sites[site.layer % n_layers].append(site)  # type: ignore[operator]
        elif site.component == "embed":
            plan.embed_sites.append(site)
        else:
            role = TOWER_ROLES[site.component]
            if role not in paths:
                raise InputError(f"this model has no {role}; cannot capture {site.component}.")
            plan.tower_sites[role].append(site)
    for edit in edits:
        if edit.site.component == "resid":
            plan.layer_edits[edit.site.layer % n_layers].append(edit)  # type: ignore[operator]
        elif edit.site.component == "embed":
            plan.embed_edits.append(edit)
        else:
            raise InputError(f"edits apply to 'resid' or 'embed' sites, not {edit.site.component!r}.")
    for ko in knockouts:
        for layer in ko.layers:
            plan.knockouts[layer % n_layers].append(ko)
    return plan


def _positions_mask(spans: ModalitySpans, site_span: str | None, device: torch.device) -> torch.Tensor:
    return spans.mask(site_span).to(device)


def reduce_positions(hidden: Float[torch.Tensor, "batch seq d"], site: Site, spans: ModalitySpans) -> Any:
    """Read ``site`` from a ``[B, T, H]`` activation."""
    if site.span is None:
        return hidden.detach().clone()
    if site.span == "last":
        idx = torch.as_tensor(spans.last, device=hidden.device)
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), idx].detach().clone()
    if site.span not in spans.names():
        raise InputError(f"no row of this batch has a {site.span!r} span; spans present: {sorted(spans.names())}.")
    mask = _positions_mask(spans, site.span, hidden.device)
    if site.reduce == "none":
        return [hidden[r, mask[r]].detach().clone() for r in range(hidden.shape[0])]
    # mean as one batched product, accumulated in float32 (long bf16 spans lose precision otherwise)
    counts = mask.sum(dim=1, keepdim=True).float()
    weights = mask.float() / counts.clamp(min=1)
    mean = torch.bmm(weights[:, None, :], hidden.detach().float())[:, 0]
    mean = torch.where(counts > 0, mean, torch.full_like(mean, float("nan")))
    return mean.to(hidden.dtype)


def apply_edit(hidden: Float[torch.Tensor, "batch seq d"], edit: Edit, spans: ModalitySpans) -> None:
    """Apply ``edit`` to ``hidden`` in place, at the positions of the edit's span."""
    span = edit.site.span
    mask = _positions_mask(spans, span, hidden.device) if span != "last" else _last_mask(spans, hidden)
    value = edit.value
    if edit.op == "scale":
        factor = float(value) if not isinstance(value, torch.Tensor) else value.to(hidden)
        hidden[mask] = hidden[mask] * factor
        return
    if not isinstance(value, torch.Tensor):
        raise InputError(f"an {edit.op!r} edit needs a tensor value, got {type(value).__name__}.")
    value = value.to(device=hidden.device, dtype=hidden.dtype)
    B, T, H = hidden.shape
    if edit.op == "add":
        if value.shape == (H,):
            hidden[mask] += value
        elif value.shape == (B, H):
            hidden += mask.unsqueeze(-1).to(hidden.dtype) * value[:, None, :]
        elif value.shape == (B, T, H):
            hidden[mask] += value[mask]
        else:
            raise InputError(f"add edit value has shape {tuple(value.shape)}; expected [H], [B, H] or [B, T, H] with B={B}, T={T}, H={H}.")
    elif edit.op == "replace":
        if value.shape != (B, T, H):
            raise InputError(f"replace edit value has shape {tuple(value.shape)}; expected the full site activation [B, T, H] = {(B, T, H)}.")
        hidden[mask] = value[mask]
    else:
        raise InputError(f"unknown edit op {edit.op!r}; use add, replace or scale.")


def _last_mask(spans: ModalitySpans, hidden: torch.Tensor) -> torch.Tensor:
    mask = torch.zeros(hidden.shape[:2], dtype=torch.bool, device=hidden.device)
    mask[torch.arange(hidden.shape[0], device=hidden.device), torch.as_tensor(spans.last, device=hidden.device)] = True
    return mask


def first_tensor(out: Any) -> torch.Tensor:
    """The main tensor of a module output (tensor, tuple, or ModelOutput)."""
    if isinstance(out, torch.Tensor):
        return out
    for key in ("pooler_output", "last_hidden_state"):
        value = getattr(out, key, None)
        if isinstance(value, torch.Tensor):
            return value
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        return out[0]
    raise InputError(f"cannot read a tensor from a module output of type {type(out).__name__}.")


def split_tower_features(out: Any, site: Site, spans: ModalitySpans) -> Any:
    """Tower/projector output as per-row features aligned with the LM's media tokens.

    Features are flattened to ``[N, H]``; when ``N`` equals the number of media
    placeholder tokens in the batch they are split by row (``reduce="none"``) or
    averaged per row (``reduce="mean"``). Otherwise the raw flattened tensor is
    returned (its token count differs from the LM's, e.g. a CLIP tower before the
    projector) and ``reduce`` cannot apply.
    """
    feats = first_tensor(out).detach()
    feats = feats.reshape(-1, feats.shape[-1])
    kinds = _TOWER_MEDIA[TOWER_ROLES[site.component]]
    counts = [sum(len(spans.positions(k, r)) for k in kinds) for r in range(spans.batch_size)]
    if feats.shape[0] != sum(counts):
        if site.reduce == "none" and site.span is None:
            return feats
        raise InputError(
            f"{site.component} yields {feats.shape[0]} feature vectors but the batch has {sum(counts)} "
            f"{'/'.join(kinds)} placeholder tokens, so they cannot be assigned to rows. Capture the projector "
            "output instead, or use Site(..., span=None, reduce='none') for the raw tensor."
        )
    parts = list(torch.split(feats, counts))
    if site.reduce == "none" or site.span is None:
        return parts
    return torch.stack([p.mean(0) if len(p) else torch.full((feats.shape[-1],), float("nan"), dtype=feats.dtype, device=feats.device) for p in parts])
