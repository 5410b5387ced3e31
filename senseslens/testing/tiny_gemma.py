"""Tiny Gemma 3 (SigLIP + Gemma 3 text) and Gemma 3n (MobileNet-v5 vision via timm + USM audio).

Gemma 3: SigLIP 32x32 / patch 8 = 4x4 patches, average-pooled to ``mm_tokens_per_image=4`` (must
be a square). The processor replaces each ``<start_of_image>`` with
``\\n\\n<start_of_image>`` + 4 x ``<image_soft_token>`` + ``<end_of_image>\\n\\n`` and returns
``token_type_ids`` (1 on image tokens), which the model needs for bidirectional attention over
the image. Random init leaves ``multi_modal_projector.mm_input_projection_weight`` at zero
(every image would vanish): it is re-drawn.
"""

from __future__ import annotations

from transformers import Gemma3Config, Gemma3ForConditionalGeneration, Gemma3ImageProcessorPil, Gemma3Processor

from senseslens.testing.tiny_chat import ChatStyle, render_template
from senseslens.testing.tiny_recipe import VOCAB, TinyRecipe, redraw_, text_sizes
from senseslens.testing.tiny_tokenizer import build_word_tokenizer

IMAGE_SIZE, PATCH, MM_TOKENS = 32, 8, 4

GEMMA3_TOKENS = {
    "<pad>": 0, "<eos>": 1, "<bos>": 2, "<start_of_turn>": VOCAB - 8, "<end_of_turn>": VOCAB - 7,
    "<start_of_image>": VOCAB - 6, "<end_of_image>": VOCAB - 5, "<image_soft_token>": VOCAB - 4,
}


def gemma_text_sizes(**overrides: object) -> dict:
    """Gemma text sizes: head_dim 16, one sliding (window 32) and one full attention layer."""
    return text_sizes(
        head_dim=16, query_pre_attn_scalar=16, sliding_window=32,
        layer_types=["sliding_attention", "full_attention"], pad_token_id=0, eos_token_id=1, bos_token_id=2,
        **overrides,
    )


def gemma_chat(media: dict[str, str]) -> str:
    """Gemma turn layout: ``<bos><start_of_turn>user\\n...<end_of_turn>\\n<start_of_turn>model\\n``."""
    return render_template(
        ChatStyle(
            bos="<bos>", turn_start="<start_of_turn>{role}\n", turn_end="<end_of_turn>\n",
            generation_prompt="<start_of_turn>{role}\n", media=media, role_names={"assistant": "model"},
        )
    )


def _gemma3_config() -> Gemma3Config:
    return Gemma3Config(
        text_config=gemma_text_sizes(),
        vision_config=dict(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2, image_size=IMAGE_SIZE,
            patch_size=PATCH, vision_use_head=False,
        ),
        mm_tokens_per_image=MM_TOKENS,
        boi_token_index=GEMMA3_TOKENS["<start_of_image>"],
        eoi_token_index=GEMMA3_TOKENS["<end_of_image>"],
        image_token_index=GEMMA3_TOKENS["<image_soft_token>"],
    )


def _gemma3_processor() -> Gemma3Processor:
    tokenizer = build_word_tokenizer(
        GEMMA3_TOKENS, VOCAB, pad_token="<pad>", bos_token="<bos>", eos_token="<eos>",
        named_tokens={
            "boi_token": "<start_of_image>", "eoi_token": "<end_of_image>", "image_token": "<image_soft_token>",
        },
    )
    image_processor = Gemma3ImageProcessorPil(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    return Gemma3Processor(
        image_processor=image_processor, tokenizer=tokenizer, image_seq_length=MM_TOKENS,
        chat_template=gemma_chat({"image": "<start_of_image>"}),
    )


def _fix_gemma3(model, generator) -> None:
    redraw_(model.model.multi_modal_projector.mm_input_projection_weight, generator)


RECIPES: dict[str, TinyRecipe] = {
    "gemma3": TinyRecipe(
        _gemma3_config, Gemma3ForConditionalGeneration, _gemma3_processor, ("image",), fix_weights=_fix_gemma3
    ),
}
