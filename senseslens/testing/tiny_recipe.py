"""The declarative recipe each tiny family provides, and the shared tiny sizes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import PretrainedConfig, PreTrainedModel, ProcessorMixin

VOCAB = 512
HIDDEN = 64
LAYERS = 2
HEADS = 4
KV_HEADS = 2
FFN = 128

#: standard name of each medium in the processor call and in chat content parts
MEDIA_KWARGS: Mapping[str, str] = {"image": "images", "video": "videos", "audio": "audio"}


def text_sizes(**overrides: object) -> dict:
    """Decoder sizes shared by every family: hidden 64, 2 layers, 4 heads (2 KV), vocab 512."""
    sizes = dict(
        vocab_size=VOCAB,
        hidden_size=HIDDEN,
        intermediate_size=FFN,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        num_key_value_heads=KV_HEADS,
        max_position_embeddings=2048,
    )
    sizes.update(overrides)
    return sizes


@dataclass(frozen=True)
class MediaSizes:
    """Sizes of the sample media: image ``[H, W, 3]``, video ``[frames, H, W, 3]``, audio seconds."""

    image_hw: tuple[int, int] = (32, 32)
    video_frames: int = 4
    video_hw: tuple[int, int] = (32, 32)
    audio_seconds: float = 0.5


@dataclass(frozen=True)
class TinyRecipe:
    """Everything needed to build one tiny family.

    ``make_config`` returns the full config; ``model_class(config)`` is built under a fixed seed;
    ``fix_weights(model, generator)`` re-draws parameters whose random initialisation would
    silence a medium; ``make_processor`` builds the processor offline.
    """

    make_config: Callable[[], PretrainedConfig]
    model_class: type[PreTrainedModel]
    make_processor: Callable[[], ProcessorMixin]
    modalities: tuple[str, ...]
    media: MediaSizes = MediaSizes()
    chat_content_types: Mapping[str, str] | None = None
    media_kwargs: Mapping[str, str] | None = None
    fix_weights: Callable[[PreTrainedModel, torch.Generator], None] | None = None
    #: medium -> dotted config attribute holding the id of the *expanded* placeholder token
    #: (default ``"<medium>_token_id"``); may differ from the chat placeholder
    #: (Gemma 3's ``<start_of_image>``)
    token_id_attrs: Mapping[str, str] | None = None
    #: extra files a checkpoint of the family must hold, written by ``save_tiny`` (e.g. ``spk_dict.pt``)
    on_save: Callable[[Path], None] | None = None


def redraw_fan_in_(module: torch.nn.Module, generator: torch.Generator) -> None:
    """Re-draw ``module.weight`` with std 1/sqrt(fan_in) (variance preserving), keep the bias."""
    weight = module.weight
    redraw_(weight, generator, std=float(weight[0].numel()) ** -0.5)


def redraw_(param: torch.Tensor, generator: torch.Generator, std: float = 0.02) -> None:
    """Overwrite ``param`` in place with N(0, std²) draws from ``generator``."""
    with torch.no_grad():
        param.copy_(torch.randn(param.shape, generator=generator, dtype=param.dtype) * std)
