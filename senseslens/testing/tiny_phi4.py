"""Tiny Phi-4-multimodal (SigLIP-style vision with dynamic-HD crops + conformer audio + Phi-3 text).

The family's image processor is torchvision-only, so images go through
:class:`Phi4MultimodalImageProcessorTorch`, a torch-only port of the same dynamic-HD recipe: the
image is resized (aspect kept) onto a grid of ``crop x crop`` tiles, padded white to the grid,
normalised to [-1, 1], and a global ``crop x crop`` view is prepended. Per image the LM sees
``m² + m`` global tokens (m = crop / patch / 2, one separator per row), 1 global/sub separator,
then ``h·w + h`` sub-image tokens (h, w = unpadded pooled rows / columns). With crop 32 and patch 4
a 32x32 image is 20 + 1 + 20 = 41 ``<|image|>`` tokens; the separators (row ends and the
global/sub separator) are learned vectors, not pixels. Random init leaves both separator vectors
at zero; they are re-drawn. The real processor's token formula hard-codes m = 16 (crop 448,
patch 14); the port computes it from the sizes.

Audio: 16 log-mel bins, conformer with time reduction 8; ``audio_embed_sizes`` placeholders per
clip. Pass ``audio_attention_mask`` when clips differ in length (the processor returns it).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from transformers import (
    Phi4MultimodalConfig,
    Phi4MultimodalFeatureExtractor,
    Phi4MultimodalForCausalLM,
    Phi4MultimodalProcessor,
)
from transformers.image_processing_utils import BaseImageProcessor, BatchFeature
from transformers.image_utils import make_flat_list_of_images

from senseslens.testing.tiny_chat import ChatStyle, render_template
from senseslens.testing.tiny_recipe import VOCAB, MediaSizes, TinyRecipe, redraw_, text_sizes
from senseslens.testing.tiny_tokenizer import build_word_tokenizer

CROP, PATCH, MEL_BINS = 32, 4, 16

PHI4_TOKENS = {
    "<|endoftext|>": VOCAB - 16, "<|user|>": VOCAB - 15, "<|assistant|>": VOCAB - 14, "<|end|>": VOCAB - 13,
    "<|system|>": VOCAB - 12, "<|image|>": VOCAB - 11, "<|audio|>": VOCAB - 10,
}


class Phi4MultimodalImageProcessorTorch(BaseImageProcessor):
    """Dynamic-HD crops for Phi-4-multimodal using torch only (no torchvision).

    Returns ``image_pixel_values`` ``[B, crops, 3, crop, crop]`` (global view first, batch padded
    with zero crops), ``image_sizes`` ``[B, 2]`` (grid height, width in pixels),
    ``image_attention_mask`` ``[B, crops, crop/patch, crop/patch]`` and ``num_img_tokens``.
    """

    model_input_names = ["image_pixel_values", "image_sizes", "image_attention_mask"]

    def __init__(self, crop_size: int = 448, patch_size: int = 14, dynamic_hd: int = 36, **kwargs):
        super().__init__(**kwargs)
        self.crop_size, self.patch_size, self.dynamic_hd = crop_size, patch_size, dynamic_hd

    def _grid(self, height: int, width: int) -> tuple[int, int]:
        """(rows, cols) of crops: ceil of each side, shrunk to the closest aspect if above ``dynamic_hd``."""
        rows, cols = math.ceil(height / self.crop_size), math.ceil(width / self.crop_size)
        if rows * cols <= self.dynamic_hd:
            return rows, cols
        shapes = [(r, c) for r in range(1, self.dynamic_hd + 1) for c in range(1, self.dynamic_hd // r + 1)]
        return min(shapes, key=lambda rc: (abs(width / height - rc[1] / rc[0]), -rc[0] * rc[1]))

    def _one(self, image: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, tuple[int, int], int]:
        pixels = torch.as_tensor(np.ascontiguousarray(image)).permute(2, 0, 1).float()[None]
        height, width = pixels.shape[-2:]
        rows, cols = self._grid(height, width)
        grid_h, grid_w = rows * self.crop_size, cols * self.crop_size
        scale = min(grid_h / height, grid_w / width)
        new_h, new_w = min(grid_h, int(height * scale)), min(grid_w, int(width * scale))
        resized = F.interpolate(pixels, size=(new_h, new_w), mode="bicubic", align_corners=False).clamp(0, 255)
        padded = F.pad(resized, (0, grid_w - new_w, 0, grid_h - new_h), value=255.0)
        normed = (padded / 255.0 - 0.5) / 0.5
        global_view = F.interpolate(normed, size=(self.crop_size, self.crop_size), mode="bicubic", align_corners=False)
        tiles = normed.reshape(3, rows, self.crop_size, cols, self.crop_size).permute(1, 3, 0, 2, 4)
        crops = torch.cat([global_view, tiles.reshape(-1, 3, self.crop_size, self.crop_size)])
        side = self.crop_size // self.patch_size
        mask = torch.ones(rows * side, cols * side)
        mask[:, mask.shape[1] - (grid_w - new_w) // self.patch_size :] = 0
        mask[mask.shape[0] - (grid_h - new_h) // self.patch_size :, :] = 0
        tile_masks = mask.reshape(rows, side, cols, side).permute(0, 2, 1, 3).reshape(-1, side, side)
        masks = torch.cat([torch.ones(1, side, side), tile_masks])
        pooled = mask[0::2, 0::2]
        useful_h, useful_w = int(pooled[:, 0].sum()), int(pooled[0].sum())
        half = math.ceil(side / 2)
        n_tokens = half * half + half + 1 + useful_h * useful_w + useful_h
        return crops, masks, (grid_h, grid_w), n_tokens

    def preprocess(self, images, return_tensors=None, **kwargs) -> BatchFeature:
        """``images``: uint8 ``[H, W, 3]`` arrays or PIL images, flat or nested one list per prompt."""
        images = make_flat_list_of_images(images)
        done = [self._one(np.asarray(image.convert("RGB") if hasattr(image, "convert") else image)) for image in images]
        most = max(crops.shape[0] for crops, *_ in done)
        pixel_values = torch.stack([F.pad(c, (0, 0, 0, 0, 0, 0, 0, most - c.shape[0])) for c, *_ in done])
        masks = torch.stack([F.pad(m, (0, 0, 0, 0, 0, most - m.shape[0]), value=1.0) for _, m, *_ in done])
        data = {
            "image_pixel_values": pixel_values,
            "image_sizes": torch.tensor([list(size) for *_, size, _ in done], dtype=torch.long),
            "image_attention_mask": masks,
            "num_img_tokens": [n for *_, n in done],
        }
        return BatchFeature(data=data, tensor_type=return_tensors)

    def __call__(self, images, **kwargs) -> BatchFeature:
        return self.preprocess(images, **kwargs)


class Phi4MultimodalProcessorTorchImages(Phi4MultimodalProcessor):
    """Phi-4-multimodal processor holding :class:`Phi4MultimodalImageProcessorTorch`."""

    def __init__(self, image_processor, audio_processor, tokenizer, chat_template=None, **kwargs):
        super().__init__(image_processor, audio_processor, tokenizer, chat_template=chat_template, **kwargs)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, **kwargs):
        """Reload from a directory written by ``save_pretrained`` (offline)."""
        config = json.loads((Path(pretrained_model_name_or_path) / "processor_config.json").read_text())
        sizes = config.get("image_processor", {})
        image_processor = Phi4MultimodalImageProcessorTorch(
            **{k: sizes[k] for k in ("crop_size", "patch_size", "dynamic_hd") if k in sizes}
        )
        return super().from_pretrained(pretrained_model_name_or_path, image_processor=image_processor, **kwargs)


def _phi4_config() -> Phi4MultimodalConfig:
    return Phi4MultimodalConfig(
        **text_sizes(
            bos_token_id=PHI4_TOKENS["<|endoftext|>"], eos_token_id=[PHI4_TOKENS["<|end|>"]],
            pad_token_id=PHI4_TOKENS["<|endoftext|>"], rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
        ),
        vision_config=dict(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=CROP,
            patch_size=PATCH, crop_size=CROP, image_token_id=PHI4_TOKENS["<|image|>"],
        ),
        audio_config=dict(
            hidden_size=32, intermediate_size=64, num_blocks=2, num_attention_heads=2, ext_pw_out_channel=32,
            depthwise_separable_out_channel=32, nemo_conv_channels=32, input_size=MEL_BINS,
            audio_token_id=PHI4_TOKENS["<|audio|>"],
        ),
    )


def _phi4_processor() -> Phi4MultimodalProcessorTorchImages:
    tokenizer = build_word_tokenizer(
        PHI4_TOKENS, VOCAB, pad_token="<|endoftext|>", eos_token="<|end|>",
        named_tokens={"image_token": "<|image|>", "audio_token": "<|audio|>"},
    )
    template = render_template(
        ChatStyle(
            turn_start="<|{role}|>", turn_end="<|end|>", generation_prompt="<|assistant|>",
            media={"image": "<|image|>", "audio": "<|audio|>"},
        )
    )
    return Phi4MultimodalProcessorTorchImages(
        Phi4MultimodalImageProcessorTorch(crop_size=CROP, patch_size=PATCH, dynamic_hd=4),
        Phi4MultimodalFeatureExtractor(feature_size=MEL_BINS, audio_compression_rate=8),
        tokenizer,
        chat_template=template,
    )


def _fix_phi4(model, generator) -> None:
    embed = model.model.embed_tokens_extend.image_embed
    redraw_(embed.global_img_feature_extensor, generator)
    redraw_(embed.sub_img_feature_extensor, generator)


RECIPES: dict[str, TinyRecipe] = {
    "phi4_multimodal": TinyRecipe(
        _phi4_config, Phi4MultimodalForCausalLM, _phi4_processor, ("image", "audio"),
        media=MediaSizes(audio_seconds=0.5), fix_weights=_fix_phi4,
        token_id_attrs={"image": "vision_config.image_token_id", "audio": "audio_config.audio_token_id"},
    ),
}
