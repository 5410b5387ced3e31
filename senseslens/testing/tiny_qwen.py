"""Tiny Qwen2-VL, Qwen2.5-VL and Qwen3-VL.

Vision: patch 8, temporal patch 2, merge 2, so a 32x32 image is a (1, 4, 4) patch grid and
4 placeholder tokens, and a 4-frame 32x32 video a (2, 4, 4) grid and 8 tokens. HF video
processors need torchvision, so the processors are the real classes with a torch-only video
processor (:class:`QwenVideoProcessorTorch`) and the video-processor type check done directly;
reload them with ``load_tiny_processor``.
"""

from __future__ import annotations

from collections.abc import Mapping

from transformers import (
    Qwen2_5_VLConfig,
    Qwen2_5_VLForConditionalGeneration,
    Qwen2_5_VLProcessor,
    Qwen2VLConfig,
    Qwen2VLForConditionalGeneration,
    Qwen2VLProcessor,
    Qwen3VLConfig,
    Qwen3VLForConditionalGeneration,
    Qwen3VLProcessor,
)
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

from senseslens.testing.tiny_chat import ChatStyle, render_template
from senseslens.testing.tiny_recipe import HIDDEN, VOCAB, TinyRecipe, text_sizes
from senseslens.testing.tiny_tokenizer import build_word_tokenizer
from senseslens.testing.tiny_video import QwenVideoProcessorTorch, TorchVideoProcessorCheck

#: Qwen-VL special tokens and their ids (the top of the 512-token vocabulary)
QWEN_VL_TOKENS: Mapping[str, int] = {
    "<|endoftext|>": VOCAB - 16,
    "<|im_start|>": VOCAB - 15,
    "<|im_end|>": VOCAB - 14,
    "<|vision_start|>": VOCAB - 13,
    "<|vision_end|>": VOCAB - 12,
    "<|image_pad|>": VOCAB - 11,
    "<|video_pad|>": VOCAB - 10,
}
QWEN_VL_IDS = {
    "image_token_id": QWEN_VL_TOKENS["<|image_pad|>"],
    "video_token_id": QWEN_VL_TOKENS["<|video_pad|>"],
    "vision_start_token_id": QWEN_VL_TOKENS["<|vision_start|>"],
    "vision_end_token_id": QWEN_VL_TOKENS["<|vision_end|>"],
}
QWEN_SPECIAL_IDS = dict(
    bos_token_id=QWEN_VL_TOKENS["<|endoftext|>"],
    eos_token_id=QWEN_VL_TOKENS["<|im_end|>"],
    pad_token_id=QWEN_VL_TOKENS["<|endoftext|>"],
)

QWEN_VISION = dict(patch_size=8, spatial_merge_size=2, temporal_patch_size=2)


def qwen_chat(media: Mapping[str, str]) -> str:
    """ChatML template (``<|im_start|>role ... <|im_end|>``) with ``media`` placeholder strings."""
    return render_template(
        ChatStyle(
            turn_start="<|im_start|>{role}\n",
            turn_end="<|im_end|>\n",
            generation_prompt="<|im_start|>{role}\n",
            media=media,
        )
    )


def qwen_image_processor() -> Qwen2VLImageProcessorPil:
    """Qwen2-VL PIL image processor with patch 8 / merge 2, 32x32 .. 64x64 pixels."""
    return Qwen2VLImageProcessorPil(
        patch_size=8, temporal_patch_size=2, merge_size=2, size={"shortest_edge": 32 * 32, "longest_edge": 64 * 64}
    )


def mrope(interleaved: bool = False) -> dict:
    """M-RoPE parameters for head_dim 16: sections (t, h, w) = (2, 3, 3) sum to head_dim / 2."""
    params = {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3]}
    if interleaved:
        params["mrope_interleaved"] = True
    return params


def _qwen_vl_tokenizer():
    return build_word_tokenizer(
        QWEN_VL_TOKENS,
        VOCAB,
        named_tokens={
            "image_token": "<|image_pad|>",
            "video_token": "<|video_pad|>",
            "vision_start_token": "<|vision_start|>",
            "vision_end_token": "<|vision_end|>",
        },
        pad_token="<|endoftext|>",
        eos_token="<|im_end|>",
    )


_VL_MEDIA = {
    "image": "<|vision_start|><|image_pad|><|vision_end|>",
    "video": "<|vision_start|><|video_pad|><|vision_end|>",
}


class Qwen2VLProcessorTorchVideo(TorchVideoProcessorCheck, Qwen2VLProcessor):
    """Qwen2-VL processor holding the torch-only :class:`QwenVideoProcessorTorch`."""


class Qwen2_5_VLProcessorTorchVideo(TorchVideoProcessorCheck, Qwen2_5_VLProcessor):
    """Qwen2.5-VL processor holding the torch-only :class:`QwenVideoProcessorTorch`."""


class Qwen3VLProcessorTorchVideo(TorchVideoProcessorCheck, Qwen3VLProcessor):
    """Qwen3-VL processor holding the torch-only :class:`QwenVideoProcessorTorch`."""


def qwen_video_processor() -> QwenVideoProcessorTorch:
    """Torch-only Qwen video processor with the same patch sizes as :func:`qwen_image_processor`."""
    return QwenVideoProcessorTorch(
        patch_size=8, temporal_patch_size=2, merge_size=2, min_pixels=32 * 32, max_pixels=64 * 64, fps=2.0
    )


def _processor(cls):
    def make():
        return cls(
            image_processor=qwen_image_processor(), tokenizer=_qwen_vl_tokenizer(),
            video_processor=qwen_video_processor(), chat_template=qwen_chat(_VL_MEDIA),
        )

    return make


def _qwen2_vl_config() -> Qwen2VLConfig:
    return Qwen2VLConfig(
        text_config=text_sizes(rope_parameters=mrope(), **QWEN_SPECIAL_IDS),
        vision_config=dict(depth=2, embed_dim=32, hidden_size=HIDDEN, num_heads=2, mlp_ratio=2, **QWEN_VISION),
        **QWEN_VL_IDS,
    )


def _qwen2_5_vl_config() -> Qwen2_5_VLConfig:
    return Qwen2_5_VLConfig(
        text_config=text_sizes(rope_parameters=mrope(), **QWEN_SPECIAL_IDS),
        vision_config=dict(
            depth=2,
            hidden_size=32,
            intermediate_size=64,
            num_heads=2,
            out_hidden_size=HIDDEN,
            window_size=16,
            fullatt_block_indexes=[1],
            **QWEN_VISION,
        ),
        **QWEN_VL_IDS,
    )


def _qwen3_vl_config() -> Qwen3VLConfig:
    return Qwen3VLConfig(
        text_config=text_sizes(head_dim=16, rope_parameters=mrope(interleaved=True), **QWEN_SPECIAL_IDS),
        vision_config=dict(
            depth=2,
            hidden_size=32,
            intermediate_size=64,
            num_heads=2,
            out_hidden_size=HIDDEN,
            num_position_embeddings=64,
            deepstack_visual_indexes=[0],
            **QWEN_VISION,
        ),
        **QWEN_VL_IDS,
    )


_MEDIA = ("image", "video")
RECIPES: dict[str, TinyRecipe] = {
    "qwen2_vl": TinyRecipe(
        _qwen2_vl_config, Qwen2VLForConditionalGeneration, _processor(Qwen2VLProcessorTorchVideo), _MEDIA
    ),
    "qwen2_5_vl": TinyRecipe(
        _qwen2_5_vl_config, Qwen2_5_VLForConditionalGeneration, _processor(Qwen2_5_VLProcessorTorchVideo), _MEDIA
    ),
    "qwen3_vl": TinyRecipe(
        _qwen3_vl_config, Qwen3VLForConditionalGeneration, _processor(Qwen3VLProcessorTorchVideo), _MEDIA
    ),
}
