"""Tiny LLaVA (CLIP + Llama) and LLaVA-OneVision (SigLIP + Qwen2, anyres).

LLaVA: CLIP 32x32 / patch 8 = 16 patches + CLS; ``vision_feature_layer=-2`` and the "default"
strategy drop CLS, so one image is 16 ``<image>`` tokens. LLaVA-OneVision: SigLIP 32x32 / patch 8
(16 features, no CLS), grid pinpoints up to 64x64; a 32x32 image is 16 base + 16 unpadded + 4
newline = 36 ``<image>`` tokens, the 4 newline positions carry ``image_newline``, not pixels.
A 4-frame video is 4 x (2x2 pooled) + 1 newline = 17 ``<video>`` tokens; its video processor is
the torch-only :class:`FrameVideoProcessorTorch`.
"""

from __future__ import annotations

from transformers import (
    CLIPImageProcessorPil,
    LlavaConfig,
    LlavaForConditionalGeneration,
    LlavaOnevisionConfig,
    LlavaOnevisionForConditionalGeneration,
    LlavaOnevisionImageProcessorPil,
    LlavaOnevisionProcessor,
    LlavaProcessor,
)

from senseslens.testing.tiny_chat import ChatStyle, render_template
from senseslens.testing.tiny_recipe import HIDDEN, VOCAB, TinyRecipe, text_sizes
from senseslens.testing.tiny_tokenizer import build_word_tokenizer
from senseslens.testing.tiny_video import FrameVideoProcessorTorch, TorchVideoProcessorCheck

IMAGE_SIZE, PATCH = 32, 8
_VISION = dict(
    hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=IMAGE_SIZE,
    patch_size=PATCH,
)

# ---- LLaVA-1.5 -------------------------------------------------------------------------------
_LLAVA_TOKENS = {"<s>": 1, "</s>": 2, "<image>": VOCAB - 1, "<pad>": VOCAB - 2}


def _llava_config() -> LlavaConfig:
    return LlavaConfig(
        vision_config=dict(model_type="clip_vision_model", projection_dim=HIDDEN, **_VISION),
        text_config=dict(model_type="llama", bos_token_id=1, eos_token_id=2, pad_token_id=VOCAB - 2, **text_sizes()),
        image_token_index=_LLAVA_TOKENS["<image>"],
        image_seq_length=(IMAGE_SIZE // PATCH) ** 2,
        vision_feature_layer=-2,
        vision_feature_select_strategy="default",
    )


def _llava_processor() -> LlavaProcessor:
    tokenizer = build_word_tokenizer(
        _LLAVA_TOKENS, VOCAB, named_tokens={"image_token": "<image>"}, pad_token="<pad>", bos_token="<s>",
        eos_token="</s>",
    )
    template = render_template(
        ChatStyle(
            bos="<s>", turn_start="{role}: ", turn_end=" ", generation_prompt="ASSISTANT:",
            media={"image": "<image>\n"}, role_names={"user": "USER", "assistant": "ASSISTANT", "system": "SYSTEM"},
        )
    )
    image_processor = CLIPImageProcessorPil(
        size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}
    )
    return LlavaProcessor(
        image_processor=image_processor, tokenizer=tokenizer, patch_size=PATCH,
        vision_feature_select_strategy="default", num_additional_image_tokens=1, chat_template=template,
    )


# ---- LLaVA-OneVision -------------------------------------------------------------------------
_OV_TOKENS = {
    "<|endoftext|>": VOCAB - 16, "<|im_start|>": VOCAB - 15, "<|im_end|>": VOCAB - 14, "<image>": VOCAB - 11,
    "<video>": VOCAB - 10,
}
_PINPOINTS = [[32, 32], [32, 64], [64, 32], [64, 64]]


class LlavaOnevisionProcessorTorchVideo(TorchVideoProcessorCheck, LlavaOnevisionProcessor):
    """LLaVA-OneVision processor holding the torch-only :class:`FrameVideoProcessorTorch`."""


def _onevision_config() -> LlavaOnevisionConfig:
    return LlavaOnevisionConfig(
        vision_config=dict(model_type="siglip_vision_model", **_VISION),
        text_config=dict(
            model_type="qwen2", bos_token_id=VOCAB - 16, eos_token_id=VOCAB - 14, pad_token_id=VOCAB - 16,
            **text_sizes(),
        ),
        image_token_index=_OV_TOKENS["<image>"],
        video_token_index=_OV_TOKENS["<video>"],
        vision_feature_select_strategy="full",
        vision_feature_layer=-1,
        image_grid_pinpoints=_PINPOINTS,
    )


def _onevision_processor() -> LlavaOnevisionProcessorTorchVideo:
    tokenizer = build_word_tokenizer(
        _OV_TOKENS, VOCAB, named_tokens={"image_token": "<image>", "video_token": "<video>"},
        pad_token="<|endoftext|>", eos_token="<|im_end|>",
    )
    template = render_template(
        ChatStyle(
            turn_start="<|im_start|>{role}\n", turn_end="<|im_end|>\n", generation_prompt="<|im_start|>{role}\n",
            media={"image": "<image>\n", "video": "<video>\n"},
        )
    )
    image_processor = LlavaOnevisionImageProcessorPil(
        size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}, image_grid_pinpoints=_PINPOINTS
    )
    return LlavaOnevisionProcessorTorchVideo(
        image_processor=image_processor, tokenizer=tokenizer,
        video_processor=FrameVideoProcessorTorch(height=IMAGE_SIZE, width=IMAGE_SIZE),
        num_image_tokens=(IMAGE_SIZE // PATCH) ** 2,
        vision_feature_select_strategy="full", vision_aspect_ratio="anyres_max_9", chat_template=template,
    )


RECIPES: dict[str, TinyRecipe] = {
    "llava": TinyRecipe(_llava_config, LlavaForConditionalGeneration, _llava_processor, ("image",)),
    "llava_onevision": TinyRecipe(
        _onevision_config, LlavaOnevisionForConditionalGeneration, _onevision_processor, ("image", "video"),
    ),
}
