"""Tiny Qwen2.5-Omni and Qwen3-Omni-MoE (thinkers, and full models holding ``.thinker``).

Audio: Whisper features with 16 mel bins, 1-second padding window (100 frames), ``n_window=50``
(Qwen3-Omni's length formula assumes it). A 0.5 s clip is 50 frames: 12 audio tokens on
Qwen2.5-Omni, 7 on Qwen3-Omni. Image and video as in ``tiny_qwen`` (torch-only video
processor; audio is not read from the video track). The full models are built with
``enable_audio_output=False`` (no talker / vocoder) and have no ``forward``: run ``.thinker``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from transformers import (
    Qwen2_5OmniConfig,
    Qwen2_5OmniForConditionalGeneration,
    Qwen2_5OmniProcessor,
    Qwen2_5OmniThinkerConfig,
    Qwen2_5OmniThinkerForConditionalGeneration,
    Qwen3OmniMoeConfig,
    Qwen3OmniMoeForConditionalGeneration,
    Qwen3OmniMoeProcessor,
    Qwen3OmniMoeThinkerConfig,
    Qwen3OmniMoeThinkerForConditionalGeneration,
)

from senseslens.testing.tiny_audio import MEL_BINS, whisper_features
from senseslens.testing.tiny_qwen import QWEN_VISION, mrope, qwen_chat, qwen_image_processor, qwen_video_processor
from senseslens.testing.tiny_recipe import HIDDEN, VOCAB, TinyRecipe, redraw_fan_in_, text_sizes
from senseslens.testing.tiny_tokenizer import build_word_tokenizer
from senseslens.testing.tiny_video import TorchVideoProcessorCheck

_TOKENS_25: Mapping[str, int] = {
    "<|endoftext|>": VOCAB - 16,
    "<|im_start|>": VOCAB - 15,
    "<|im_end|>": VOCAB - 14,
    "<|vision_bos|>": VOCAB - 13,
    "<|vision_eos|>": VOCAB - 12,
    "<|IMAGE|>": VOCAB - 11,
    "<|VIDEO|>": VOCAB - 10,
    "<|AUDIO|>": VOCAB - 9,
    "<|audio_bos|>": VOCAB - 8,
    "<|audio_eos|>": VOCAB - 7,
}
_TOKENS_3: Mapping[str, int] = {
    "<|endoftext|>": VOCAB - 16,
    "<|im_start|>": VOCAB - 15,
    "<|im_end|>": VOCAB - 14,
    "<|vision_start|>": VOCAB - 13,
    "<|vision_end|>": VOCAB - 12,
    "<|image_pad|>": VOCAB - 11,
    "<|video_pad|>": VOCAB - 10,
    "<|audio_pad|>": VOCAB - 9,
    "<|audio_start|>": VOCAB - 8,
    "<|audio_end|>": VOCAB - 7,
}
#: processor attribute -> token string, per family (tokenizer exposes them as named tokens)
_NAMED_25 = {
    "image_token": "<|IMAGE|>",
    "video_token": "<|VIDEO|>",
    "audio_token": "<|AUDIO|>",
    "vision_bos_token": "<|vision_bos|>",
    "vision_eos_token": "<|vision_eos|>",
    "audio_bos_token": "<|audio_bos|>",
    "audio_eos_token": "<|audio_eos|>",
}
_NAMED_3 = {
    "image_token": "<|image_pad|>",
    "video_token": "<|video_pad|>",
    "audio_token": "<|audio_pad|>",
    "vision_bos_token": "<|vision_start|>",
    "vision_eos_token": "<|vision_end|>",
    "audio_bos_token": "<|audio_start|>",
    "audio_eos_token": "<|audio_end|>",
}


def _media(named: Mapping[str, str]) -> dict[str, str]:
    vision = (named["vision_bos_token"], named["vision_eos_token"])
    return {
        "image": vision[0] + named["image_token"] + vision[1],
        "video": vision[0] + named["video_token"] + vision[1],
        "audio": named["audio_bos_token"] + named["audio_token"] + named["audio_eos_token"],
    }


def _ids(tokens: Mapping[str, int], named: Mapping[str, str]) -> dict[str, int]:
    return {f"{key}_id": tokens[value] for key, value in named.items()}


class Qwen2_5OmniProcessorTorchVideo(TorchVideoProcessorCheck, Qwen2_5OmniProcessor):
    """Qwen2.5-Omni processor holding the torch-only :class:`QwenVideoProcessorTorch`."""


class Qwen3OmniMoeProcessorTorchVideo(TorchVideoProcessorCheck, Qwen3OmniMoeProcessor):
    """Qwen3-Omni-MoE processor holding the torch-only :class:`QwenVideoProcessorTorch`."""


def _processor(cls, tokens: Mapping[str, int], named: Mapping[str, str]):
    def make():
        tokenizer = build_word_tokenizer(
            tokens, VOCAB, named_tokens=named, pad_token="<|endoftext|>", eos_token="<|im_end|>"
        )
        return cls(
            image_processor=qwen_image_processor(),
            video_processor=qwen_video_processor(),
            feature_extractor=whisper_features(chunk_seconds=1),
            tokenizer=tokenizer,
            chat_template=qwen_chat(_media(named)),
        )

    return make


_SPECIAL = dict(bos_token_id=VOCAB - 16, eos_token_id=VOCAB - 14, pad_token_id=VOCAB - 16)
_AUDIO = dict(
    num_mel_bins=MEL_BINS, encoder_layers=2, encoder_attention_heads=2, encoder_ffn_dim=64, d_model=32,
    max_source_positions=100, n_window=50, output_dim=HIDDEN,
)


def _thinker_25() -> Qwen2_5OmniThinkerConfig:
    ids = _ids(_TOKENS_25, _NAMED_25)
    return Qwen2_5OmniThinkerConfig(
        text_config=text_sizes(rope_parameters=mrope(), tie_word_embeddings=False, **_SPECIAL),
        vision_config=dict(
            depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=HIDDEN, window_size=16,
            fullatt_block_indexes=[1], **QWEN_VISION,
        ),
        audio_config=dict(_AUDIO),
        image_token_index=ids["image_token_id"],
        video_token_index=ids["video_token_id"],
        audio_token_index=ids["audio_token_id"],
        audio_start_token_id=ids["audio_bos_token_id"],
        audio_end_token_id=ids["audio_eos_token_id"],
        vision_start_token_id=ids["vision_bos_token_id"],
        vision_end_token_id=ids["vision_eos_token_id"],
        user_token_id=95,
    )


def _thinker_3() -> Qwen3OmniMoeThinkerConfig:
    ids = _ids(_TOKENS_3, _NAMED_3)
    return Qwen3OmniMoeThinkerConfig(
        text_config=text_sizes(
            head_dim=16, rope_parameters=mrope(interleaved=True), num_experts=4, num_experts_per_tok=2,
            moe_intermediate_size=32, **_SPECIAL,
        ),
        vision_config=dict(
            depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=HIDDEN,
            num_position_embeddings=64, deepstack_visual_indexes=[0], **QWEN_VISION,
        ),
        audio_config=dict(_AUDIO, downsample_hidden_size=8, n_window_infer=100, conv_chunksize=50),
        image_token_id=ids["image_token_id"],
        video_token_id=ids["video_token_id"],
        audio_token_id=ids["audio_token_id"],
        audio_start_token_id=ids["audio_bos_token_id"],
        vision_start_token_id=ids["vision_bos_token_id"],
        user_token_id=95,
    )


def _full_25() -> Qwen2_5OmniConfig:
    thinker = _thinker_25()
    # the talker is not built (enable_audio_output=False); its ids only need to be in range
    talker = {
        key: getattr(thinker, key, VOCAB - 1)
        for key in ("image_token_index", "video_token_index", "audio_token_index", "audio_start_token_id",
                    "audio_end_token_id", "vision_start_token_id", "vision_end_token_id")
    }
    talker.update(tts_text_start_token_id=VOCAB - 3, tts_text_end_token_id=VOCAB - 2, tts_text_pad_token_id=VOCAB - 1)
    return Qwen2_5OmniConfig(thinker_config=thinker.to_dict(), talker_config=talker, enable_audio_output=False)


def _full_3() -> Qwen3OmniMoeConfig:
    return Qwen3OmniMoeConfig(thinker_config=_thinker_3().to_dict(), enable_audio_output=False)


def _fix_qwen3_audio(model, generator) -> None:
    """Tiny random convs shrink the mel signal ~1000x below the sinusoidal positions, so every clip
    encodes to nearly the same vectors; re-draw the audio front-end variance-preserving."""
    tower = getattr(model, "thinker", model).model.audio_tower
    for module in (tower.conv2d1, tower.conv2d2, tower.conv2d3, tower.conv_out):
        redraw_fan_in_(module, generator)


def _empty_speakers(path: Path) -> None:
    """``Qwen2_5OmniForConditionalGeneration.from_pretrained`` requires a speaker file."""
    torch.save({}, path / "spk_dict.pt")


_MODALITIES = ("image", "video", "audio")
_FULL_IDS = {m: f"thinker_config.{m}_token_id" for m in _MODALITIES}
_P25 = _processor(Qwen2_5OmniProcessorTorchVideo, _TOKENS_25, _NAMED_25)
_P3 = _processor(Qwen3OmniMoeProcessorTorchVideo, _TOKENS_3, _NAMED_3)
RECIPES: dict[str, TinyRecipe] = {
    "qwen2_5_omni_thinker": TinyRecipe(
        _thinker_25, Qwen2_5OmniThinkerForConditionalGeneration, _P25, _MODALITIES,
    ),
    "qwen2_5_omni": TinyRecipe(
        _full_25, Qwen2_5OmniForConditionalGeneration, _P25, _MODALITIES, token_id_attrs=_FULL_IDS,
        on_save=_empty_speakers,
    ),
    "qwen3_omni_moe_thinker": TinyRecipe(
        _thinker_3, Qwen3OmniMoeThinkerForConditionalGeneration, _P3, _MODALITIES, fix_weights=_fix_qwen3_audio,
    ),
    "qwen3_omni_moe": TinyRecipe(
        _full_3, Qwen3OmniMoeForConditionalGeneration, _P3, _MODALITIES, token_id_attrs=_FULL_IDS,
        fix_weights=_fix_qwen3_audio,
    ),
}
