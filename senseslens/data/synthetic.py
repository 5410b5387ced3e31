"""Synthetic IMAVB: seeded clips of coloured shapes and synthetic sounds, in the 2x2 design.

A clip is a still image (``IMAGE_SIZE`` x ``IMAGE_SIZE`` RGB, optionally upscaled by an
integer ``image_scale`` so that lossy video coding keeps the shapes) holding 2 of 12
objects (3 colours x 4 shapes) in 2 of 4 quadrants, and a mono waveform (16 kHz,
``AUDIO_SAMPLES`` samples, four equal time slots) holding 2 of 9 sounds (3 pitches x
3 timbres) in 2 of 4 slots. The two objects (sounds) of a clip differ in both attributes,
and a misleading item swaps in an attribute value that nothing in the clip has.

Each clip yields four items, one per cell: ``std_v`` asks where a present object is,
``mis_v`` is its twin with one attribute (colour or shape) swapped so that the named
object is absent; ``std_a`` / ``mis_a`` likewise for sounds (pitch or timbre). The
query part and the options of twins are identical. The named object of a misleading
item is uniformly distributed exactly like that of a standard item, so the question
text alone carries no information about the premise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from jaxtyping import Float32, UInt8

from .benchmark import Benchmark
from .items import CONTENT_LETTERS, REJECT_LETTER, Item

SAMPLE_RATE = 16_000
IMAGE_SIZE = 16
AUDIO_SAMPLES = 4096
N_SLOTS = 4

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 200, 60),
    "blue": (50, 80, 235),
}
SHAPES: tuple[str, ...] = ("square", "circle", "triangle", "cross")
PITCHES: dict[str, float] = {"low": 500.0, "mid": 1000.0, "high": 2000.0}  # Hz
TIMBRES: tuple[str, ...] = ("beep", "buzz", "chirp")

QUADRANTS: tuple[str, ...] = ("top left", "top right", "bottom left", "bottom right")
SLOTS: tuple[str, ...] = ("first", "second", "third", "fourth")

VISION_QUESTION = "Where is the {0} {1}?"
AUDIO_QUESTION = "When does the {0} {1} play?"


def _shape_masks() -> dict[str, np.ndarray]:
    """6x6 boolean masks of the four shapes."""
    yy, xx = np.mgrid[0:6, 0:6]
    square = (yy >= 1) & (yy <= 4) & (xx >= 1) & (xx <= 4)
    circle = (yy - 2.5) ** 2 + (xx - 2.5) ** 2 <= 2.6**2
    triangle = (yy >= 1) & (np.abs(xx - 2.5) <= (yy - 0.5) * 0.55)
    cross = (np.abs(yy - 2.5) <= 0.5) | (np.abs(xx - 2.5) <= 0.5)
    return {"square": square, "circle": circle, "triangle": triangle, "cross": cross}


_MASKS = _shape_masks()


@dataclass(frozen=True)
class Clip:
    """One rendered clip and what it contains.

    ``objects`` maps (colour, shape) -> quadrant index; ``sounds`` maps
    (pitch, timbre) -> slot index.
    """

    clip_id: str
    image: UInt8[np.ndarray, "h w 3"]
    waveform: Float32[np.ndarray, " samples"]
    objects: dict[tuple[str, str], int]
    sounds: dict[tuple[str, str], int]


def render_image(objects: dict[tuple[str, str], int], rng: np.random.Generator,
                 noise: float = 10.0) -> UInt8[np.ndarray, "16 16 3"]:
    """Draw each (colour, shape) in its quadrant with position jitter on a noisy background."""
    img = np.full((IMAGE_SIZE, IMAGE_SIZE, 3), 35.0)
    for (colour, shape), quad in objects.items():
        oy, ox = (quad // 2) * 8 + rng.integers(0, 3), (quad % 2) * 8 + rng.integers(0, 3)
        rgb = np.asarray(COLOURS[colour], dtype=float) * rng.uniform(0.85, 1.0)
        region = img[oy:oy + 6, ox:ox + 6]
        region[_MASKS[shape]] = rgb
    img += rng.normal(0.0, noise, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _sound(pitch: str, timbre: str, n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / SAMPLE_RATE
    f = PITCHES[pitch] * rng.uniform(0.97, 1.03)
    if timbre == "beep":
        x = np.sin(2 * np.pi * f * t)
    elif timbre == "buzz":
        x = sum(np.sin(2 * np.pi * k * f * t) / k for k in (1, 2, 3))
    else:  # chirp: f -> 2f over the slot
        x = np.sin(2 * np.pi * (f * t + f * t**2 / (2 * t[-1])))
    return x * np.hanning(n) * rng.uniform(0.35, 0.6)


def render_audio(sounds: dict[tuple[str, str], int], rng: np.random.Generator,
                 noise: float = 0.02) -> Float32[np.ndarray, " samples"]:
    """Place each (pitch, timbre) in its time slot over low white noise; 16 kHz mono."""
    slot = AUDIO_SAMPLES // N_SLOTS
    wav = rng.normal(0.0, noise, AUDIO_SAMPLES)
    for (pitch, timbre), s in sounds.items():
        wav[s * slot:(s + 1) * slot] += _sound(pitch, timbre, slot, rng)
    return wav.astype(np.float32)


def _pick_two(rng: np.random.Generator, pool: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Two items of ``pool`` that differ in both attributes."""
    first = pool[int(rng.integers(len(pool)))]
    rest = [p for p in pool if p[0] != first[0] and p[1] != first[1]]
    return [first, rest[int(rng.integers(len(rest)))]]


OBJECTS: tuple[tuple[str, str], ...] = tuple((c, s) for c in COLOURS for s in SHAPES)
SOUNDS: tuple[tuple[str, str], ...] = tuple((p, t) for p in PITCHES for t in TIMBRES)


def render_clip(clip_id: str, rng: np.random.Generator, image_scale: int = 1) -> Clip:
    """Sample contents and render one clip. ``image_scale`` upscales the image (nearest)."""
    objs = _pick_two(rng, OBJECTS)
    quads = rng.choice(4, size=2, replace=False)
    snds = _pick_two(rng, SOUNDS)
    slots = rng.choice(N_SLOTS, size=2, replace=False)
    objects = {o: int(q) for o, q in zip(objs, quads)}
    sounds = {s: int(k) for s, k in zip(snds, slots)}
    image = render_image(objects, rng)
    if image_scale > 1:
        image = np.repeat(np.repeat(image, image_scale, 0), image_scale, 1)
    return Clip(clip_id, image, render_audio(sounds, rng), objects, sounds)


def _swap(target: tuple[str, str], present: Sequence[tuple[str, str]],
          values: tuple[Sequence[str], Sequence[str]], names: tuple[str, str],
          rng: np.random.Generator) -> tuple[tuple[str, str], str]:
    """Swap one attribute of ``target`` to a value that no present object has."""
    options = []
    for k in (0, 1):
        for v in values[k]:
            new = (v, target[1]) if k == 0 else (target[0], v)
            if all(v != p[k] for p in present):
                options.append((new, names[k]))
    return options[int(rng.integers(len(options)))]


def clip_items(clip: Clip, rng: np.random.Generator, shuffle_options: bool = False) -> list[Item]:
    """The four items (std_v, mis_v, std_a, mis_a) of one clip."""
    items: list[Item] = []
    specs = (
        ("vision", clip.objects, (tuple(COLOURS), SHAPES), ("colour", "shape"), QUADRANTS, VISION_QUESTION),
        ("audio", clip.sounds, (tuple(PITCHES), TIMBRES), ("pitch", "timbre"), SLOTS, AUDIO_QUESTION),
    )
    for modality, present, values, names, answers, template in specs:
        keys = list(present)
        target = keys[int(rng.integers(2))]
        swapped, attribute = _swap(target, keys, values, names, rng)
        order = rng.permutation(4) if shuffle_options else np.arange(4)
        options = tuple(answers[i] for i in order)
        gold = CONTENT_LETTERS[int(np.flatnonzero(order == present[target])[0])]
        base = f"{clip.clip_id}-{modality[0]}"
        common = dict(clip_id=clip.clip_id, modality=modality, options=options, subcategory=attribute,
                      image=clip.image, waveform=clip.waveform)
        meta = {"present": [" ".join(k) for k in keys]}
        items.append(Item(item_id=f"{base}-std", premise="standard", question=template.format(*target),
                          gold=gold, twin_id=f"{base}-mis", meta={**meta, "target": " ".join(target)},
                          **common))
        items.append(Item(item_id=f"{base}-mis", premise="misleading", question=template.format(*swapped),
                          gold=REJECT_LETTER[modality], twin_id=f"{base}-std",
                          meta={**meta, "target": " ".join(swapped), "true_target": " ".join(target)},
                          **common))
    return items


def synthetic_clips(n_clips: int, seed: int = 0, image_scale: int = 1,
                    prefix: str = "syn") -> list[Clip]:
    """``n_clips`` rendered clips, deterministic for ``seed``."""
    rng = np.random.default_rng(seed)
    return [render_clip(f"{prefix}{seed}-{i:06d}", rng, image_scale) for i in range(n_clips)]


def synthetic_imavb(n_clips: int = 500, seed: int = 0, image_scale: int = 1,
                    shuffle_options: bool = False, n_frames: int = 0) -> Benchmark:
    """A synthetic IMAVB with ``4 * n_clips`` items (one per cell per clip).

    Args:
        n_clips: number of clips.
        seed: everything (contents, jitter, noise, swaps) is a function of it.
        image_scale: integer nearest-neighbour upscale of the 16x16 image (use 4 before
            writing lossy video; the organism's processor downsamples back).
        shuffle_options: permute the four content options per item (fixed order otherwise).
        n_frames: if > 0, also attach ``frames`` (the still image repeated) for video writers.
    """
    rng = np.random.default_rng([seed, 1])
    items: list[Item] = []
    for clip in synthetic_clips(n_clips, seed, image_scale):
        its = clip_items(clip, rng, shuffle_options)
        if n_frames > 0:
            frames = np.repeat(clip.image[None], n_frames, axis=0)
            its = [_with_frames(it, frames) for it in its]
        items.extend(its)
    return Benchmark(items=tuple(items), source=f"synthetic_imavb(n_clips={n_clips}, seed={seed})")


def _with_frames(item: Item, frames: np.ndarray) -> Item:
    from dataclasses import replace

    return replace(item, frames=frames)
