"""Shared helpers for model-layer tests: cached tiny models wrapped as OmniModels."""

from __future__ import annotations

import dataclasses
import functools
import importlib.util

import pytest
import torch

import senseslens as sl
from senseslens.data.items import Item
from senseslens.data.prompts import build_a1
from senseslens.testing.tiny import TINY_FAMILIES, TinyModel, build_tiny

ITEM = Item(
    item_id="i0",
    clip_id="c0",
    modality="vision",
    premise="standard",
    question="where is the red circle ?",
    options=("top left", "top right", "bottom left", "bottom right"),
    gold="A",
)


def skip_unbuildable(name: str) -> None:
    if name == "gemma3n" and importlib.util.find_spec("timm") is None:
        pytest.skip("gemma3n needs timm (its vision tower is a timm MobileNet), which is not installed")


@functools.lru_cache(maxsize=None)
def tiny(name: str) -> TinyModel:
    return build_tiny(name, seed=0)


@functools.lru_cache(maxsize=None)
def omni(name: str) -> sl.OmniModel:
    t = tiny(name)
    return sl.load(t.model, t.processor, name=name)


def prompt(name: str, seed: int = 0, extra_text: str = "", media: tuple[str, ...] = ("image", "audio")) -> sl.Prompt:
    """The A1 prompt of a fixed item, with every medium the family takes (image/audio by default)."""
    t = tiny(name)
    m = t.sample_media(seed)
    p = build_a1(ITEM)
    fields = {"image": "images", "audio": "audios", "video": "videos"}
    kw = {fields[k]: [m[k]] for k in media if k in t.modalities and k in m}
    return dataclasses.replace(p, text=p.text + extra_text, **kw)


def hidden_states_reference(model: sl.OmniModel, batch: sl.Batch) -> list[torch.Tensor]:
    """Outputs of every decoder block from plain PyTorch forward hooks (no tracing library)."""
    outs: list[torch.Tensor] = []
    hooks = [layer.register_forward_hook(lambda _m, _i, o: outs.append(o[0] if isinstance(o, tuple) else o)) for layer in model.layers]
    try:
        with torch.no_grad():
            logits = model.root(**batch.inputs).logits
    finally:
        for h in hooks:
            h.remove()
    return outs + [logits]


FAMILIES = TINY_FAMILIES
