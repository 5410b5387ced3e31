"""Deterministic small sample media for the tiny zoo.

Images are uint8 ``[H, W, 3]``, videos uint8 ``[frames, H, W, 3]``, audio float32 ``[samples]``
at 16 kHz in [-1, 1] (a random-frequency tone plus noise, never silent).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from senseslens.testing.tiny_recipe import MediaSizes

SAMPLING_RATE = 16_000


def _image(rng: np.random.Generator, hw: tuple[int, int]) -> np.ndarray:
    return rng.integers(0, 256, size=(*hw, 3), dtype=np.uint8)


def _audio(rng: np.random.Generator, seconds: float) -> np.ndarray:
    t = np.arange(int(round(seconds * SAMPLING_RATE)), dtype=np.float32) / SAMPLING_RATE
    tone = 0.5 * np.sin(2 * np.pi * rng.uniform(200, 2000) * t)
    return (tone + 0.1 * rng.standard_normal(t.shape)).astype(np.float32).clip(-1, 1)


def _video(rng: np.random.Generator, frames: int, hw: tuple[int, int]) -> np.ndarray:
    return rng.integers(0, 256, size=(frames, *hw, 3), dtype=np.uint8)


def media_sampler(modalities: tuple[str, ...], sizes: MediaSizes) -> Callable[[int], dict]:
    """Return ``seed -> {medium: array}`` for ``modalities``; the same seed gives the same arrays."""
    makers: dict[str, Callable[[np.random.Generator], np.ndarray]] = {
        "image": lambda rng: _image(rng, sizes.image_hw),
        "video": lambda rng: _video(rng, sizes.video_frames, sizes.video_hw),
        "audio": lambda rng: _audio(rng, sizes.audio_seconds),
    }

    def sample(seed: int) -> dict:
        out = {}
        for i, medium in enumerate(("image", "video", "audio")):
            if medium in modalities:
                out[medium] = makers[medium](np.random.default_rng([seed, i]))
        return out

    return sample
