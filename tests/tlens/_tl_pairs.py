"""Pairs of identical tiny models, one per backend, for TransformerLens parity tests.

Each family is built twice from the same seed: one copy runs on nnsight, the other is
booted by TransformerLens (booting rewraps the HF model in place, so the copies
must not be shared with other tests). The nnsight copy is switched to the attention
implementation TransformerLens left on its copy, so both run the same kernels.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass

import pytest

import senseslens as sl
from senseslens.testing.tiny import build_tiny
from tests.models._zoo import prompt

#: families both backends run (TL: native, torchvision-free native, or registered adapter)
TL_FAMILIES: tuple[str, ...] = (
    "llava",
    "llava_onevision",
    "idefics3",
    "smolvlm",
    "gemma3",
    "gemma3n",
    "qwen2_vl",
    "qwen2_5_vl",
    "qwen3_vl",
    "qwen2_audio",
    "qwen2_5_omni_thinker",
    "qwen2_5_omni",
    "qwen3_omni_moe_thinker",
    "qwen3_omni_moe",
)


@dataclass(frozen=True)
class Pair:
    name: str
    nn: sl.OmniModel
    tl: sl.OmniModel

    def batch(self) -> sl.Batch:
        """Two rows with the same text and different media (so spans line up row by row)."""
        return self.nn.encode([prompt(self.name, 0), prompt(self.name, 1)])

    def swapped(self) -> sl.Batch:
        """The same rows in the other order: a same-shape counterfactual batch."""
        return self.nn.encode([prompt(self.name, 1), prompt(self.name, 0)])

    def media(self, batch: sl.Batch) -> str:
        return next(k for k in ("image", "video", "audio") if k in batch.spans.names())


def skip_unavailable(name: str) -> None:
    if name == "gemma3n" and importlib.util.find_spec("timm") is None:
        pytest.skip("gemma3n needs timm (its vision tower is a timm MobileNet), which is not installed")


@functools.lru_cache(maxsize=None)
def pair(name: str) -> Pair:
    first, second = build_tiny(name, seed=0), build_tiny(name, seed=0)
    tl = sl.load(second.model, second.processor, name=name, backend="transformer_lens")
    nn_model = sl.load(first.model, first.processor, name=name)
    attn = tl.backend.attn_after
    if attn is not None and attn != getattr(nn_model.root.config, "_attn_implementation", None):
        nn_model.root.set_attn_implementation(attn)
    return Pair(name, nn_model, tl)
