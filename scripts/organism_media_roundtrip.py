"""Does the organism still perceive clips after writing them as mp4 (H.264 + AAC) and reading back?

    python scripts/organism_media_roundtrip.py [--clips 100] [--model DIR]

Writes a synthetic IMAVB with frames upscaled x4 via ``write_imavb``, reloads it with
``load_imavb`` + ``sample_frames`` + ``load_audio`` and compares behaviour per cell with the
in-memory items. Without ``--model`` the shipped organism is used.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile

import torch

from senseslens.data.imavb import load_imavb, write_imavb
from senseslens.data.media import load_audio, sample_frames
from senseslens.data.synthetic import synthetic_imavb
from senseslens.organism.evaluate import behaviour, readout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=100)
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.model:
        from transformers import AutoModelForImageTextToText, AutoProcessor

        import senseslens.organism  # noqa: F401

        model, proc = AutoModelForImageTextToText.from_pretrained(args.model).eval(), AutoProcessor.from_pretrained(args.model)
    else:
        from senseslens.organism.shipped import load_shipped

        model, proc = load_shipped()
    bench = synthetic_imavb(args.clips, seed=args.seed, image_scale=4, n_frames=4)
    with tempfile.TemporaryDirectory() as d:
        write_imavb(bench, d)
        loaded = load_imavb(d)
        media = {}
        for it in loaded:
            if it.clip_id not in media:
                media[it.clip_id] = (sample_frames(it.video, 4).astype("float32").mean(0), load_audio(it.video))
        reloaded = [dataclasses.replace(it, image=media[it.clip_id][0], waveform=media[it.clip_id][1])
                    for it in (loaded[i.item_id] for i in bench)]
    for name, items in (("in memory", list(bench)), ("mp4 round trip", reloaded)):
        b = behaviour(readout(model, proc, items))
        print(f"{name:15s} " + "  ".join(f"{k}={v:.3f}" for k, v in b.items()))


if __name__ == "__main__":
    main()
