"""Attach an item's media (image, video frames, audio) to a text-only `Prompt`."""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

import numpy as np

from ..errors import DataError
from .items import Item
from .media import load_audio, load_image, sample_frames
from .prompt import Prompt

MEDIA_KINDS: tuple[str, ...] = ("image", "video", "audio")


def _image(item: Item) -> list[np.ndarray]:
    if item.image is not None:
        return [np.asarray(item.image, dtype=np.uint8)]
    if item.image_path is not None:
        return [load_image(item.image_path)]
    return []


def _video(item: Item, n_frames: int, frame_size: int | tuple[int, int] | None) -> list[np.ndarray]:
    if item.frames is not None:
        return [np.asarray(item.frames, dtype=np.uint8)]
    if item.video is not None:
        return [sample_frames(item.video, n_frames, size=frame_size)]
    return []


def _audio(item: Item, sampling_rate: int) -> list[np.ndarray]:
    if item.waveform is not None:
        return [np.asarray(item.waveform, dtype=np.float32).reshape(-1)]
    if item.audio_path is not None:
        return [load_audio(item.audio_path, sr=sampling_rate)]
    if item.video is not None:
        return [load_audio(item.video, sr=sampling_rate)]
    return []


def attach_media(
    prompt: Prompt,
    item: Item,
    *,
    media: Sequence[str] = MEDIA_KINDS,
    n_frames: int = 50,
    frame_size: int | tuple[int, int] | None = None,
    sampling_rate: int = 16_000,
) -> Prompt:
    """``prompt`` with the item's media of the kinds in ``media``.

    In-memory arrays win over paths. In-memory waveforms are assumed to be at
    ``sampling_rate`` Hz already (Item convention: 16 kHz). A missing or unreadable
    file raises `DataError` naming it; a video without an audio track raises too
    (leave ``"audio"`` out of ``media`` for silent clips).
    """
    unknown = [m for m in media if m not in MEDIA_KINDS]
    if unknown:
        raise DataError(f"unknown media kind(s) {unknown}; choose from {MEDIA_KINDS}.")
    images = _image(item) if "image" in media else []
    videos = _video(item, n_frames, frame_size) if "video" in media else []
    audios = _audio(item, sampling_rate) if "audio" in media else []
    return replace(prompt, images=tuple(images), videos=tuple(videos), audios=tuple(audios),
                   sampling_rate=sampling_rate)
