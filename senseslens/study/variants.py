"""Prompt functions for the study's re-runs: modality removal and clip swap."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Sequence

import numpy as np

from ..data.items import Item
from ..data.prompt import Prompt
from ..data.prompts import build_prompt

MEDIA = ("image", "video", "audio")


def without(kind: str, variant: str = "A1", n_frames: int = 50) -> Callable[[Item], Prompt]:
    """``item -> Prompt`` with every medium except ``kind`` ("audio", or "vision" = image and video)."""
    drop = ("image", "video") if kind == "vision" else (kind,)
    keep = tuple(m for m in MEDIA if m not in drop)
    return lambda item: build_prompt(item, variant, media=keep, n_frames=n_frames)


def clip_donors(items: Sequence[Item], seed: int = 0) -> list[int]:
    """For each item, the index of an item of the same modality from another clip (seeded)."""
    rng = np.random.default_rng(seed)
    by_modality: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        by_modality.setdefault(it.modality, []).append(i)
    donors = [-1] * len(items)
    for idx in by_modality.values():
        order = rng.permutation(idx)
        clips = [items[i].clip_id for i in order]
        for k, i in enumerate(order):
            shift = 1
            while clips[(k + shift) % len(order)] == clips[k] and shift < len(order):
                shift += 1
            donors[i] = int(order[(k + shift) % len(order)])
    return donors


def swapped_item(item: Item, donor: Item) -> Item:
    """``item``'s question asked about ``donor``'s clip (media and clip id of the donor)."""
    return replace(
        item,
        clip_id=donor.clip_id,
        video=donor.video,
        audio_path=donor.audio_path,
        image_path=donor.image_path,
        frames=donor.frames,
        waveform=donor.waveform,
        image=donor.image,
    )


def swapped_label(item: Item, donor: Item) -> int | None:
    """1 if ``item``'s premise is false for ``donor``'s clip, 0 if true, None if unknown.

    Known when items carry ``meta["target"]`` (the premise detail) and ``meta["present"]``
    (the details in the clip), as synthetic items do; unknown for real benchmarks.
    """
    target, present = item.meta.get("target"), donor.meta.get("present")
    if target is None or present is None:
        return None
    return int(target not in present)


def clip_swap_prompts(items: Sequence[Item], variant: str = "A1", seed: int = 0, n_frames: int = 50) -> tuple[Callable[[Item], Prompt], list[int | None]]:
    """A prompt function that swaps each item's clip, and the swapped premise labels."""
    donors = clip_donors(items, seed)
    index = {it.item_id: i for i, it in enumerate(items)}
    labels = [swapped_label(it, items[d]) for it, d in zip(items, donors)]

    def prompt_fn(item: Item) -> Prompt:
        donor = items[donors[index[item.item_id]]]
        return build_prompt(swapped_item(item, donor), variant, n_frames=n_frames)

    return prompt_fn, labels
