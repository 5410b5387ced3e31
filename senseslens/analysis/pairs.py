"""Clean / corrupted prompt pairs for activation patching.

Two constructions, both minimal in-distribution counterfactuals:

* `twin_pairs`: the standard and the misleading question about the same clip (the
  twins of the 2x2 design). Their token lengths may differ (a swapped word can
  tokenise differently); patching aligns spans by name and skips a (pair, span)
  whose lengths differ.
* `clip_swap_pairs`: the same question asked about another clip whose media have the
  same shapes, so media spans line up token for token.

Each pair carries the letters of the logit difference ``LD = logit(correct) - logit(foil)``:
``correct`` is the answer the clean run should give, ``foil`` the corrupted run's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from ..data.items import Item
from ..data.prompt import Prompt
from ..data.prompts import build_prompt
from ..errors import InputError


@dataclass(frozen=True)
class PatchPairs:
    """Aligned clean / corrupted prompts and the letters of each pair's logit difference.

    Attributes:
        clean, corrupted: prompts, one per pair.
        correct, foil: one letter (or string of letters, a union of sets, e.g. ``"EF"``) per pair.
        meta: one row per pair (``pair_id``, ``modality``, ``kind`` ...).
        skipped: inputs that could not be paired, with the reason.
    """

    clean: tuple[Prompt, ...]
    corrupted: tuple[Prompt, ...]
    correct: tuple[str, ...]
    foil: tuple[str, ...]
    meta: pd.DataFrame
    skipped: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=["item_id", "reason"]))

    def __post_init__(self) -> None:
        n = len(self.clean)
        if not (len(self.corrupted) == len(self.correct) == len(self.foil) == len(self.meta) == n):
            raise InputError(
                f"PatchPairs needs equal lengths: clean {n}, corrupted {len(self.corrupted)}, correct "
                f"{len(self.correct)}, foil {len(self.foil)}, meta {len(self.meta)}."
            )

    def __len__(self) -> int:
        return len(self.clean)

    def select(self, mask: Sequence[bool] | np.ndarray) -> "PatchPairs":
        """The pairs where ``mask`` is True."""
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        pick = lambda xs: tuple(xs[i] for i in idx)  # noqa: E731
        return PatchPairs(pick(self.clean), pick(self.corrupted), pick(self.correct), pick(self.foil),
                          self.meta.iloc[idx].reset_index(drop=True), self.skipped)

    def to_dataframe(self) -> pd.DataFrame:
        return self.meta.assign(correct=list(self.correct), foil=list(self.foil))


def twin_pairs(items: Iterable[Item], *, clean: str = "misleading", variant: str = "A1",
               modality: str | None = None) -> PatchPairs:
    """Standard / misleading twins of the same clip as patching pairs.

    ``clean="misleading"`` (default): clean = misleading question, corrupted = its standard
    twin; ``correct`` = the reject letter of the modality (E vision, F audio), ``foil`` = the
    standard twin's gold letter. So the effect measures how much of "reject" is restored.
    ``clean="standard"`` swaps the roles (``correct`` = gold, ``foil`` = reject letter).
    Items without their twin in ``items`` are listed in ``skipped``.
    """
    if clean not in ("misleading", "standard"):
        raise InputError(f"clean must be 'misleading' or 'standard', got {clean!r}.")
    pool = list(items)
    by_id = {it.item_id: it for it in pool}
    cl, co, cor, foil, meta, skipped = [], [], [], [], [], []
    for mis in pool:
        if not mis.is_misleading or (modality and mis.modality != modality):
            continue
        std = by_id.get(mis.twin_id or "")
        if std is None or std.is_misleading:
            skipped.append({"item_id": mis.item_id, "reason": "standard twin not in items"})
            continue
        a, b = (mis, std) if clean == "misleading" else (std, mis)
        cl.append(build_prompt(a, variant))
        co.append(build_prompt(b, variant))
        cor.append(mis.reject_letter if clean == "misleading" else std.gold)
        foil.append(std.gold if clean == "misleading" else mis.reject_letter)
        meta.append({"pair_id": f"{mis.item_id}|{std.item_id}", "clean_id": a.item_id, "corrupted_id": b.item_id,
                     "clip_id": mis.clip_id, "modality": mis.modality, "kind": "twin"})
    if not cl:
        raise InputError("no standard/misleading twins found; pass items that include both twins (Item.twin_id).")
    return PatchPairs(tuple(cl), tuple(co), tuple(cor), tuple(foil), pd.DataFrame(meta),
                      pd.DataFrame(skipped, columns=["item_id", "reason"]))


def _media_shapes(it: Item) -> tuple:
    return tuple(None if x is None else np.shape(x) for x in (it.image, it.waveform, it.frames))


def clip_swap_pairs(items: Iterable[Item], *, variant: str = "A1", seed: int = 0,
                    foil: str | Callable[[Item, Item], str] = "reject") -> PatchPairs:
    """The same question about another clip with media of identical shapes.

    Clean = ``item`` on its own clip; corrupted = the same question and options with the
    media of a randomly chosen other clip (seeded) whose image / waveform / frames shapes
    match, so every span lines up. ``correct`` = the item's gold; ``foil`` = the item's
    reject letter (``"reject"``), a fixed letter, or ``foil(item, other_item)``.
    """
    pool = list(items)
    rng = np.random.default_rng(seed)
    by_shape: dict[tuple, list[Item]] = {}
    first_of_clip: dict[str, Item] = {}
    for it in pool:
        if it.clip_id not in first_of_clip:
            first_of_clip[it.clip_id] = it
            by_shape.setdefault(_media_shapes(it), []).append(it)
    cl, co, cor, fo, meta, skipped = [], [], [], [], [], []
    for it in pool:
        others = [o for o in by_shape.get(_media_shapes(it), []) if o.clip_id != it.clip_id]
        if not others:
            skipped.append({"item_id": it.item_id, "reason": "no other clip with media of the same shapes"})
            continue
        other = others[int(rng.integers(len(others)))]
        swapped = dataclasses.replace(it, clip_id=other.clip_id, image=other.image, waveform=other.waveform,
                                      frames=other.frames, video=other.video, audio_path=other.audio_path,
                                      image_path=other.image_path)
        f = it.reject_letter if foil == "reject" else (foil(it, other) if callable(foil) else foil)
        if f == it.gold:
            skipped.append({"item_id": it.item_id, "reason": "foil equals the gold letter"})
            continue
        cl.append(build_prompt(it, variant))
        co.append(build_prompt(swapped, variant))
        cor.append(it.gold)
        fo.append(f)
        meta.append({"pair_id": f"{it.item_id}|{other.clip_id}", "clean_id": it.item_id, "corrupted_id": it.item_id,
                     "clip_id": it.clip_id, "other_clip_id": other.clip_id, "modality": it.modality,
                     "premise": it.premise, "kind": "clip_swap"})
    if not cl:
        raise InputError("no clip-swap pairs: every item lacked another clip with same-shaped media.")
    return PatchPairs(tuple(cl), tuple(co), tuple(cor), tuple(fo), pd.DataFrame(meta),
                      pd.DataFrame(skipped, columns=["item_id", "reason"]))
