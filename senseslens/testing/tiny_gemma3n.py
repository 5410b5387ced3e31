"""Tiny Gemma 3n (MobileNet-v5 vision through timm + USM conformer audio + AltUp text).

Needs ``timm`` importable *and* seen by transformers (``is_timm_available()`` also requires
torchvision); without them :func:`build_tiny` raises :class:`~senseslens.errors.InputError`
naming the fix. Layout of the 512-id vocabulary, mirroring the real one: text ids 0..255
(``vocab_size_per_layer_input=256``), vision ids 256..383 (``<end_of_image>`` 256 is the vision
offset, ``<image_soft_token>`` 257), audio ids 384..511 (``<end_of_audio>`` 384,
``<audio_soft_token>`` 385); ``<start_of_image>`` and ``<start_of_audio>`` are text ids.

Vision: ``mobilenetv5_300m_enc`` with ``channel_multiplier=0.125`` and a 2x2 fusion output, so a
64x64 image is 4 ``<image_soft_token>``. Audio: 16 mel bins, 2 conformer layers; every clip is
padded to ``audio_soft_tokens_per_image=8`` soft tokens (a 0.5 s clip fills 3; the rest carry the
padding embedding, not audio). Pass ``input_features_mask`` (without it audio is silently dropped)
and ``token_type_ids``. Hidden states come out per AltUp stream.
"""

from __future__ import annotations

import importlib.util

from transformers import (
    Gemma3nAudioFeatureExtractor,
    Gemma3nConfig,
    Gemma3nForConditionalGeneration,
    Gemma3nProcessor,
    SiglipImageProcessorPil,
)
from transformers.utils import is_timm_available

from senseslens.errors import InputError
from senseslens.testing.tiny_gemma import gemma_chat, gemma_text_sizes
from senseslens.testing.tiny_recipe import VOCAB, MediaSizes, TinyRecipe
from senseslens.testing.tiny_tokenizer import build_word_tokenizer

TEXT_VOCAB, VISION_OFFSET, AUDIO_OFFSET, MM_VOCAB = 256, 256, 384, 128
IMAGE_SIZE, IMAGE_TOKENS, AUDIO_TOKENS, MEL_BINS = 64, 4, 8, 16

GEMMA3N_TOKENS = {
    "<pad>": 0, "<eos>": 1, "<bos>": 2, "<start_of_turn>": TEXT_VOCAB - 4, "<end_of_turn>": TEXT_VOCAB - 3,
    "<start_of_image>": TEXT_VOCAB - 2, "<start_of_audio>": TEXT_VOCAB - 1,
    "<end_of_image>": VISION_OFFSET, "<image_soft_token>": VISION_OFFSET + 1,
    "<end_of_audio>": AUDIO_OFFSET, "<audio_soft_token>": AUDIO_OFFSET + 1,
}
_NAMED = {
    "image_token": "<image_soft_token>", "boi_token": "<start_of_image>", "eoi_token": "<end_of_image>",
    "audio_token": "<audio_soft_token>", "boa_token": "<start_of_audio>", "eoa_token": "<end_of_audio>",
}


def _require_timm() -> None:
    if importlib.util.find_spec("timm") is None or not is_timm_available():
        raise InputError(
            "gemma3n needs timm for its MobileNet-v5 vision tower, and transformers only uses timm when "
            "torchvision imports too; install a consistent torch/torchvision pair plus timm "
            "(e.g. torch==2.14.1 torchvision==0.29.1 timm) to build it"
        )


def _gemma3n_config() -> Gemma3nConfig:
    _require_timm()
    return Gemma3nConfig(
        text_config=gemma_text_sizes(
            vocab_size_per_layer_input=TEXT_VOCAB, hidden_size_per_layer_input=16, altup_num_inputs=2,
            num_kv_shared_layers=0, laurel_rank=8, activation_sparsity_pattern=[0.0, 0.0],
            final_logit_softcapping=30.0,
        ),
        vision_config=dict(
            architecture="mobilenetv5_300m_enc", hidden_size=2048, vocab_size=MM_VOCAB, vocab_offset=VISION_OFFSET,
            model_args={"channel_multiplier": 0.125, "msfa_output_resolution": 2},
        ),
        audio_config=dict(
            input_feat_size=MEL_BINS, hidden_size=32, conf_num_attention_heads=2, conf_num_hidden_layers=2,
            sscp_conv_channel_size=[16, 8], vocab_size=MM_VOCAB, vocab_offset=AUDIO_OFFSET,
        ),
        audio_soft_tokens_per_image=AUDIO_TOKENS,
        vision_soft_tokens_per_image=IMAGE_TOKENS,
        boi_token_id=GEMMA3N_TOKENS["<start_of_image>"],
        eoi_token_id=GEMMA3N_TOKENS["<end_of_image>"],
        image_token_id=GEMMA3N_TOKENS["<image_soft_token>"],
        boa_token_id=GEMMA3N_TOKENS["<start_of_audio>"],
        eoa_token_id=GEMMA3N_TOKENS["<end_of_audio>"],
        audio_token_id=GEMMA3N_TOKENS["<audio_soft_token>"],
    )


def _gemma3n_processor() -> Gemma3nProcessor:
    tokenizer = build_word_tokenizer(
        GEMMA3N_TOKENS, VOCAB, named_tokens=_NAMED, pad_token="<pad>", bos_token="<bos>", eos_token="<eos>",
        fill_below=TEXT_VOCAB,
    )
    return Gemma3nProcessor(
        feature_extractor=Gemma3nAudioFeatureExtractor(feature_size=MEL_BINS),
        image_processor=SiglipImageProcessorPil(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}),
        tokenizer=tokenizer,
        chat_template=gemma_chat({"image": "<image_soft_token>", "audio": "<audio_soft_token>"}),
        audio_seq_length=AUDIO_TOKENS,
        image_seq_length=IMAGE_TOKENS,
    )


RECIPES: dict[str, TinyRecipe] = {
    "gemma3n": TinyRecipe(
        _gemma3n_config, Gemma3nForConditionalGeneration, _gemma3n_processor, ("image", "audio"),
        media=MediaSizes(image_hw=(IMAGE_SIZE, IMAGE_SIZE)),
    ),
}
