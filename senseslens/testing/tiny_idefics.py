"""Tiny Idefics3 and SmolVLM (SigLIP-style tower + pixel-shuffle connector + Llama).

Vision 32x32 / patch 8 = 16 patches, ``scale_factor=2`` -> 4 ``<image>`` tokens per tile. Image
splitting is on (as in the real checkpoints): a 32x32 image is resized to 64 pixels on its
longest edge, cut into 2x2 tiles of 32 plus one global view, so it becomes 5 x 4 = 20 ``<image>``
tokens framed by ``<fake_token_around_image>``, ``<row_i_col_j>`` and ``<global-img>`` tokens
(structural, no pixels). Pass ``pixel_attention_mask`` (the processor returns it). The SmolVLM
processor is a subclass without the video processor and needs ``num2words``.
"""

from __future__ import annotations

from transformers import (
    Idefics3Config,
    Idefics3ForConditionalGeneration,
    Idefics3ImageProcessorPil,
    Idefics3Processor,
    SmolVLMConfig,
    SmolVLMForConditionalGeneration,
    SmolVLMImageProcessorPil,
    SmolVLMProcessor,
)

from transformers.processing_utils import ProcessorMixin

from senseslens.testing.tiny_chat import ChatStyle, render_template
from senseslens.testing.tiny_recipe import VOCAB, TinyRecipe, text_sizes
from senseslens.testing.tiny_tokenizer import build_word_tokenizer

TILE, PATCH, SCALE = 32, 8, 2
SEQ_LEN = (TILE // PATCH) ** 2 // SCALE**2

_BASE = {
    "<|begin_of_text|>": 1, "<|end_of_text|>": 2, "<|im_start|>": 3, "<pad>": VOCAB - 1,
    "<fake_token_around_image>": VOCAB - 2, "<image>": VOCAB - 3, "<end_of_utterance>": VOCAB - 4,
    "<global-img>": VOCAB - 5, "<video>": VOCAB - 6,
}
_ROW_COL = {f"<row_{i + 1}_col_{j + 1}>": VOCAB - 7 - (6 * i + j) for i in range(6) for j in range(6)}
TOKENS = {**_BASE, **_ROW_COL}
_NAMED = {
    "image_token": "<image>", "fake_image_token": "<fake_token_around_image>",
    "global_image_token": "<global-img>", "end_of_utterance_token": "<end_of_utterance>", "video_token": "<video>",
}


def _config(cls, bos: str):
    def make():
        return cls(
            vision_config=dict(
                hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=TILE,
                patch_size=PATCH,
            ),
            text_config=dict(
                model_type="llama", bos_token_id=TOKENS[bos], eos_token_id=TOKENS["<end_of_utterance>"],
                pad_token_id=TOKENS["<pad>"], **text_sizes(),
            ),
            image_token_id=TOKENS["<image>"],
            scale_factor=SCALE,
            pad_token_id=TOKENS["<pad>"],
        )

    return make


def _template(bos: str) -> str:
    return render_template(
        ChatStyle(
            bos=bos, turn_start="{role}:", turn_end="<end_of_utterance>\n", generation_prompt="Assistant:",
            media={"image": "<image>"}, role_names={"user": "User", "assistant": "Assistant", "system": "System"},
        )
    )


def _tokenizer(bos: str):
    return build_word_tokenizer(
        TOKENS, VOCAB, named_tokens=_NAMED, pad_token="<pad>", bos_token=bos, eos_token="<end_of_utterance>"
    )


def _image_kwargs() -> dict:
    return dict(size={"longest_edge": 2 * TILE}, max_image_size={"longest_edge": TILE}, do_image_splitting=True)


class SmolVLMProcessorNoVideo(SmolVLMProcessor):
    """SmolVLM processor without the video processor (usable without torchvision)."""

    def __init__(self, image_processor=None, tokenizer=None, image_seq_len: int = 169, chat_template=None, **kwargs):
        super().__init__(image_processor, tokenizer, None, image_seq_len=image_seq_len, chat_template=chat_template)

    def apply_chat_template(self, conversation, chat_template=None, **kwargs):
        """Render a chat; the SmolVLM override only adds video sampling defaults, skipped here."""
        return ProcessorMixin.apply_chat_template(self, conversation, chat_template, **kwargs)


def _idefics3_processor() -> Idefics3Processor:
    return Idefics3Processor(
        Idefics3ImageProcessorPil(**_image_kwargs()), tokenizer=_tokenizer("<|begin_of_text|>"),
        image_seq_len=SEQ_LEN, chat_template=_template("<|begin_of_text|>"),
    )


def _smolvlm_processor() -> SmolVLMProcessorNoVideo:
    return SmolVLMProcessorNoVideo(
        SmolVLMImageProcessorPil(**_image_kwargs()), tokenizer=_tokenizer("<|im_start|>"), image_seq_len=SEQ_LEN,
        chat_template=_template("<|im_start|>"),
    )


RECIPES: dict[str, TinyRecipe] = {
    "idefics3": TinyRecipe(
        _config(Idefics3Config, "<|begin_of_text|>"), Idefics3ForConditionalGeneration, _idefics3_processor,
        ("image",),
    ),
    "smolvlm": TinyRecipe(
        _config(SmolVLMConfig, "<|im_start|>"), SmolVLMForConditionalGeneration, _smolvlm_processor, ("image",),
    ),
}
