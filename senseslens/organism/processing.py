"""`SensesOrganismProcessor`: word-level tokenizer + image and audio feature extraction.

Text: a `PreTrainedTokenizerFast` around a `tokenizers` WordLevel model (words and
punctuation split apart, whitespace dropped; offsets available). Each ``<image>`` /
``<audio>`` in the text expands to a run of ``image_tokens`` / ``audio_tokens``
placeholder tokens, matching the features the model consumes.

Image: any ``[H, W, 3]`` uint8 array or PIL image (or video frames ``[N, H, W, 3]``,
averaged over time) is box-downsampled to ``image_size`` and scaled to ``[-0.5, 0.5]``
-> ``pixel_values [N, 3, S, S]``.

Audio: 16 kHz mono float waveform, cropped / zero-padded to ``audio_samples``, cut into
``audio_frames`` Hann-windowed frames of ``hop_length`` samples, log power spectrum,
then standardised per clip (zero mean, unit variance) -> ``input_features [M, bins, frames]``.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np
import torch
from jaxtyping import Float
from transformers import BatchFeature, PreTrainedTokenizerFast, ProcessorMixin

from ..errors import InputError

SPECIAL_TOKENS: tuple[str, ...] = ("<pad>", "<unk>", "<|end|>", "<|user|>", "<image>", "<audio>",
                                   "<|assistant|>", "<|system|>")
IMAGE_TOKEN, AUDIO_TOKEN = "<image>", "<audio>"

CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}"
    "{% for c in message['content'] %}{% if c['type'] in ('image', 'video') %}<image>\n"
    "{% elif c['type'] == 'audio' %}<audio>\n{% endif %}{% endfor %}"
    "{% for c in message['content'] %}{% if c['type'] == 'text' %}{{ c['text'] }}{% endif %}{% endfor %}"
    "{% endif %}<|end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

_WORD_RE = re.compile(r"\w+|[^\w\s]+")


def vocabulary(texts: Sequence[str]) -> dict[str, int]:
    """Special tokens first (fixed ids), then every word / punctuation run of ``texts``, sorted."""
    words = sorted({w for t in texts for w in _WORD_RE.findall(t)} - set(SPECIAL_TOKENS))
    return {w: i for i, w in enumerate((*SPECIAL_TOKENS, *words))}


def build_tokenizer(vocab: dict[str, int]) -> PreTrainedTokenizerFast:
    """A fast WordLevel tokenizer over ``vocab`` with the special tokens registered."""
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>",
                                   eos_token="<|end|>", padding_side="left")


def image_features(images: Sequence[Any], size: int) -> Float[torch.Tensor, "n 3 s s"]:
    """Box-downsample each image (or mean of video frames) to ``size`` and scale to [-0.5, 0.5]."""
    from PIL import Image

    out = []
    for im in images:
        a = np.asarray(im.convert("RGB") if isinstance(im, Image.Image) else im)
        if a.ndim == 4:
            a = a.astype(np.float32).mean(0)
        if a.ndim != 3 or a.shape[-1] != 3:
            raise InputError(f"an image must be [H, W, 3] (or frames [N, H, W, 3]); got shape {a.shape}.")
        h, w = a.shape[:2]
        if h % size == 0 and w % size == 0:
            a = a.astype(np.float32).reshape(size, h // size, size, w // size, 3).mean((1, 3))
        else:
            pil = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))
            a = np.asarray(pil.resize((size, size), Image.Resampling.BOX), dtype=np.float32)
        out.append(a / 255.0 - 0.5)
    return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).contiguous().float()


def audio_features(waves: Sequence[np.ndarray], samples: int, hop: int) -> Float[torch.Tensor, "m bins frames"]:
    """Standardised log power spectrogram ``[M, hop // 2 + 1, samples // hop]``."""
    batch = np.zeros((len(waves), samples), dtype=np.float32)
    for i, w in enumerate(waves):
        w = np.asarray(w, dtype=np.float32).reshape(-1)[:samples]
        batch[i, : len(w)] = w
    frames = batch.reshape(len(waves), samples // hop, hop) * np.hanning(hop).astype(np.float32)
    logp = np.log(np.abs(np.fft.rfft(frames, axis=-1)) ** 2 + 1e-6)
    logp = (logp - logp.mean((1, 2), keepdims=True)) / (logp.std((1, 2), keepdims=True) + 1e-5)
    return torch.from_numpy(logp.transpose(0, 2, 1).astype(np.float32)).contiguous()


class SensesOrganismProcessor(ProcessorMixin):
    """Processor of the organism: ``processor(text=[...], images=[...], audio=[...])``."""

    tokenizer_class = "PreTrainedTokenizerFast"

    def __init__(self, tokenizer=None, chat_template: str | None = None, image_size: int = 16,
                 image_tokens: int = 4, audio_samples: int = 4096, hop_length: int = 256,
                 audio_tokens: int = 4, sampling_rate: int = 16_000, **kwargs) -> None:
        self.image_size = image_size
        self.image_tokens = image_tokens
        self.audio_samples = audio_samples
        self.hop_length = hop_length
        self.audio_tokens = audio_tokens
        self.sampling_rate = sampling_rate
        super().__init__(tokenizer, chat_template=chat_template or CHAT_TEMPLATE)

    @property
    def image_token_id(self) -> int:
        return self.tokenizer.convert_tokens_to_ids(IMAGE_TOKEN)

    @property
    def audio_token_id(self) -> int:
        return self.tokenizer.convert_tokens_to_ids(AUDIO_TOKEN)

    @property
    def model_input_names(self) -> list[str]:
        return ["input_ids", "attention_mask", "pixel_values", "input_features"]

    def expand(self, text: str) -> str:
        """Expand each ``<image>`` / ``<audio>`` into its run of placeholder tokens."""
        return text.replace(IMAGE_TOKEN, IMAGE_TOKEN * self.image_tokens).replace(
            AUDIO_TOKEN, AUDIO_TOKEN * self.audio_tokens)

    def __call__(self, text: str | Sequence[str] | None = None, images: Sequence[Any] | None = None,
                 audio: Sequence[np.ndarray] | None = None, videos: Sequence[Any] | None = None,
                 return_tensors: str | None = "pt", padding: bool | str = True,
                 padding_side: str = "left", sampling_rate: int | None = None, **kwargs) -> BatchFeature:
        """Tokenise ``text`` (placeholders expanded) and extract media features.

        ``images`` and ``videos`` both feed the single vision input (one per ``<image>``,
        in order: images first). ``audio`` (alias ``audios``): one waveform per ``<audio>``.
        """
        if text is None:
            raise InputError("the organism processor needs `text`; render it with apply_chat_template first.")
        texts = [text] if isinstance(text, str) else list(text)
        audio = kwargs.pop("audios", None) if audio is None else audio
        visuals = _as_list(images) + _as_list(videos)
        waves = _as_list(audio)
        if sampling_rate is not None and sampling_rate != self.sampling_rate:
            raise InputError(f"audio must be {self.sampling_rate} Hz mono; got sampling_rate={sampling_rate}. Resample first.")
        for token, media, name in ((IMAGE_TOKEN, visuals, "images/videos"), (AUDIO_TOKEN, waves, "audio")):
            n = sum(t.count(token) for t in texts)
            if n != len(media):
                raise InputError(f"{n} {token} placeholder(s) in the text but {len(media)} {name} given; "
                                 f"pass one medium per placeholder (chat template content items).")
        texts = [self.expand(t) for t in texts]
        data: dict[str, Any] = dict(self.tokenizer(texts, padding=padding, padding_side=padding_side,
                                                   return_tensors=return_tensors, **kwargs))
        if visuals:
            data["pixel_values"] = image_features(visuals, self.image_size)
        if waves:
            data["input_features"] = audio_features(waves, self.audio_samples, self.hop_length)
        return BatchFeature(data=data, tensor_type=return_tensors)


def _as_list(x: Any) -> list:
    if x is None:
        return []
    if isinstance(x, np.ndarray) or isinstance(x, torch.Tensor):
        return [x]
    return list(x)
