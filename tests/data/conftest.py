"""Fixtures for the data-layer tests: small items, real media files, an IMAVB-layout folder."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

torch.set_num_threads(1)

from senseslens.data import Benchmark, Item, write_imavb, write_png, write_video, write_wav  # noqa: E402

FPS = 8
SR = 16_000
N_FRAMES = 24  # 3 s at 8 fps


def ramp_frames(n: int = N_FRAMES, h: int = 32, w: int = 48) -> np.ndarray:
    """Frame i is uniformly grey with value 10 * i (so decoded frames reveal their index)."""
    frames = np.zeros((n, h, w, 3), dtype=np.uint8)
    for i in range(n):
        frames[i] = min(10 * i, 255)
    return frames


def tone(seconds: float, hz: float = 440.0, sr: int = SR) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def clip_items(clip: str, gold: str = "B", **media) -> list[Item]:
    """The four items (std_v, mis_v, std_a, mis_a) of one clip."""
    out = []
    for modality in ("vision", "audio"):
        for premise in ("standard", "misleading"):
            cell = ("mis_" if premise == "misleading" else "std_") + modality[0]
            detail = {"vision": ("red", "blue"), "audio": ("soft", "loud")}[modality][premise == "misleading"]
            out.append(Item(
                item_id=f"{clip}:{cell}", clip_id=clip, modality=modality, premise=premise,
                question=f"When the {detail} thing appears in {clip}, what happens next?",
                options=(f"{clip} opt one", f"{clip} opt two", f"{clip} opt three", f"{clip} opt four"),
                gold={"vision": "E", "audio": "F"}[modality] if premise == "misleading" else gold,
                subcategory="object_attribute" if premise == "misleading" else None,
                **media,
            ))
    return out


@pytest.fixture
def make_bench():
    def make(n_clips: int = 3, **media) -> Benchmark:
        items = []
        for k in range(n_clips):
            items += clip_items(f"clip{k:02d}", gold="ABCD"[k % 4], **media)
        return Benchmark(tuple(items))
    return make


@pytest.fixture(scope="session")
def media_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("media")
    frames = ramp_frames()
    wave = tone(N_FRAMES / FPS)
    return {
        "video": write_video(root / "clip.mp4", frames, FPS, audio=wave, sr=SR),
        "silent": write_video(root / "silent.mp4", frames, FPS),
        "wav": write_wav(root / "tone.wav", tone(1.0, sr=22_050), sr=22_050),
        "png": write_png(root / "img.png", frames[5]),
        "frames": frames,
        "root": root,
    }


@pytest.fixture(scope="session")
def imavb_dir(tmp_path_factory, media_files):
    """An IMAVB-layout folder (jsonl splits + videos/) with 3 clips, 12 items."""
    root = tmp_path_factory.mktemp("imavb")
    items = []
    for k in range(3):
        items += [replace(it, video=str(media_files["video"])) for it in clip_items(f"vid{k}", gold="ABC"[k])]
    write_imavb(Benchmark(tuple(items)), root)
    return root
