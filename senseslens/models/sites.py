"""`Site`, `Edit`, `Knockout`: where to read, what to change, which attention edges to cut.

Analyses are written in these terms only; a backend turns them into hooks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import torch

Component = Literal["resid", "embed", "vision_out", "projector_out", "audio_out", "audio_projector_out"]
Reduce = Literal["mean", "none"]
Op = Literal["add", "replace", "scale"]

LAYER_COMPONENTS: frozenset[str] = frozenset({"resid"})
TOWER_ROLES: dict[str, str] = {
    "vision_out": "vision_tower",
    "projector_out": "projector",
    "audio_out": "audio_tower",
    "audio_projector_out": "audio_projector",
}


@dataclass(frozen=True)
class Site:
    """A place in the forward pass.

    Attributes:
        component: ``"resid"`` = output of decoder block ``layer`` (0-based);
            ``"embed"`` = input of block 0 (after media are merged in);
            ``"vision_out"`` / ``"projector_out"`` / ``"audio_out"`` /
            ``"audio_projector_out"`` = the module's output (layer is None).
        layer: decoder block index for ``"resid"``; negative indices count from the end.
        span: ``None`` (all positions), ``"last"``, or a span name.
        reduce: ``"mean"`` -> ``[B, H]`` (NaN rows lack the span), ``"none"`` -> list
            of ``[n_b, H]``. Ignored for ``span in (None, "last")``.
    """

    component: Component = "resid"
    layer: int | None = None
    span: str | None = "last"
    reduce: Reduce = "mean"

    def __post_init__(self) -> None:
        if self.component in LAYER_COMPONENTS and self.layer is None:
            raise ValueError(f"Site({self.component!r}) needs a layer index.")
        if self.component not in LAYER_COMPONENTS | {"embed"} | set(TOWER_ROLES):
            raise ValueError(f"unknown component {self.component!r}; use one of resid, embed, {', '.join(TOWER_ROLES)}.")

    def __str__(self) -> str:
        where = "" if self.layer is None else f"{self.layer}"
        return f"{self.component}{where}:{self.span or 'all'}"


@dataclass(frozen=True, eq=False)
class Edit:
    """A change applied to a ``resid``/``embed`` site during a run.

    ``op="add"``: add ``value`` (``[H]``, ``[B, H]`` or ``[B, T, H]``) at the site's positions.
    ``op="replace"``: ``value`` is ``[B, T, H]``; the site's positions take its values.
    ``op="scale"``: multiply the site's positions by the scalar ``value``.
    """

    site: Site
    op: Op
    value: torch.Tensor | float


@dataclass(frozen=True)
class Knockout:
    """Block attention from span ``query`` to span ``key`` in decoder ``layers`` (pre-softmax)."""

    layers: Sequence[int]
    query: str
    key: str


def resid(layer: int, span: str | None = "last", reduce: Reduce = "mean") -> Site:
    """Shorthand for ``Site("resid", layer, span, reduce)``."""
    return Site("resid", layer, span, reduce)
