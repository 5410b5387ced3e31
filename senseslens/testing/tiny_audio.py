"""Tiny Qwen2-Audio (Whisper-style encoder + Qwen2).

Whisper features with 16 mel bins in a fixed 1-second window (100 frames); the encoder requires
exactly ``2 * max_source_positions`` frames, hence ``max_source_positions=50``. A 0.5 s clip is
``feature_attention_mask.sum() = 50`` frames -> 12 ``<|AUDIO|>`` tokens (formula
``((l - 1) // 2 + 1 - 2) // 2 + 1``). Pass ``feature_attention_mask`` (the processor returns it).
"""

from __future__ import annotations

from transformers import (
    Qwen2AudioConfig,
    Qwen2AudioForConditionalGeneration,
    Qwen2AudioProcessor,
    WhisperFeatureExtractor,
)

from senseslens.testing.tiny_qwen import qwen_chat
from senseslens.testing.tiny_recipe import VOCAB, TinyRecipe, text_sizes
from senseslens.testing.tiny_tokenizer import build_word_tokenizer

MEL_BINS = 16

QWEN2_AUDIO_TOKENS = {
    "<|endoftext|>": VOCAB - 16, "<|im_start|>": VOCAB - 15, "<|im_end|>": VOCAB - 14, "<|AUDIO|>": VOCAB - 9,
    "<|audio_bos|>": VOCAB - 8, "<|audio_eos|>": VOCAB - 7,
}


def whisper_features(chunk_seconds: int = 1) -> WhisperFeatureExtractor:
    """Whisper log-mel extractor with 16 mel bins padding to ``chunk_seconds`` (100 frames / s)."""
    return WhisperFeatureExtractor(
        feature_size=MEL_BINS, sampling_rate=16_000, hop_length=160, chunk_length=chunk_seconds, n_fft=400
    )


def _qwen2_audio_config() -> Qwen2AudioConfig:
    return Qwen2AudioConfig(
        audio_config=dict(
            num_mel_bins=MEL_BINS, encoder_layers=2, encoder_attention_heads=2, encoder_ffn_dim=64, d_model=32,
            max_source_positions=50,
        ),
        text_config=dict(
            model_type="qwen2", bos_token_id=VOCAB - 16, eos_token_id=VOCAB - 14, pad_token_id=VOCAB - 16,
            **text_sizes(),
        ),
        audio_token_index=QWEN2_AUDIO_TOKENS["<|AUDIO|>"],
    )


def _qwen2_audio_processor() -> Qwen2AudioProcessor:
    tokenizer = build_word_tokenizer(
        QWEN2_AUDIO_TOKENS, VOCAB, pad_token="<|endoftext|>", eos_token="<|im_end|>",
        named_tokens={
            "audio_token": "<|AUDIO|>", "audio_bos_token": "<|audio_bos|>", "audio_eos_token": "<|audio_eos|>",
        },
    )
    return Qwen2AudioProcessor(
        feature_extractor=whisper_features(), tokenizer=tokenizer,
        chat_template=qwen_chat({"audio": "Audio 1: <|audio_bos|><|AUDIO|><|audio_eos|>\n"}),
    )


RECIPES: dict[str, TinyRecipe] = {
    "qwen2_audio": TinyRecipe(
        _qwen2_audio_config, Qwen2AudioForConditionalGeneration, _qwen2_audio_processor, ("audio",)
    ),
}
