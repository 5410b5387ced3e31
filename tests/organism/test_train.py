"""A short training run lowers the answer loss, is deterministic, and the CLI wires up."""

from __future__ import annotations

import argparse

import torch

from senseslens.cli.organism import add_parser
from senseslens.organism.build import build_organism
from senseslens.organism.train import Recipe, answer_loss, make_pool, stage_targets, train

TINY = dict(steps_micro=0, steps0=0, steps2=0, short1=0.0, n_clips=200, batch_size=32, warmup=1, lr1=3e-3)


def _fixed_batch(processor):
    pool = make_pool(processor, 40, seed=99)
    idx = torch.arange(64)
    clip = pool.clip_index[idx]
    ids, mask = pool.formats["a1"]
    batch = {"input_ids": ids[idx], "attention_mask": mask[idx],
             "pixel_values": pool.pixel_values[clip], "input_features": pool.input_features[clip]}
    return batch, stage_targets(pool, processor, 1)[idx]


def test_short_training_lowers_the_loss():
    model0, processor = build_organism(seed=0)
    batch, target = _fixed_batch(processor)
    with torch.no_grad():
        before = answer_loss(model0, batch, target).item()
    model, _, info = train(Recipe(seed=0, steps1=40, **TINY), progress=False, log=lambda s: None)
    with torch.no_grad():
        after = answer_loss(model, batch, target).item()
    assert after < before - 1.0, (before, after)
    assert info["curve"]["loss"][-1] < info["curve"]["loss"][0]


def test_training_is_deterministic():
    runs = [train(Recipe(seed=1, steps1=3, **TINY), progress=False, log=lambda s: None)[0] for _ in range(2)]
    for (n, a), (_, b) in zip(runs[0].named_parameters(), runs[1].named_parameters()):
        assert torch.equal(a, b), n


def test_cli_parses_and_trains(tmp_path):
    ap = argparse.ArgumentParser()
    add_parser(ap.add_subparsers(dest="command"))
    args = ap.parse_args(["organism", "train", "--seed", "0", "--out", str(tmp_path), "--steps", "6",
                          "--clips", "20", "--no-progress"])
    assert args.func(args) == 0
    for name in ("model.safetensors", "config.json", "tokenizer.json", "training.json", "training_curve.png"):
        assert (tmp_path / name).exists(), name
