"""Extraction through the real model layer on a tiny random Qwen2.5-Omni thinker."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import senseslens
from senseslens.capture.extract import extract
from senseslens.capture.store import open_store
from senseslens.data.prompts import build_prompt
from senseslens.data.synthetic import synthetic_imavb
from senseslens.errors import StoreError
from senseslens.models.sites import Site

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def model():
    from senseslens.models.loading import load as _load
    from senseslens.testing.tiny import build_tiny

    tiny = build_tiny("qwen2_5_omni_thinker")
    return getattr(senseslens, "load", _load)(tiny.model, processor=tiny.processor, name="tiny-omni")


def test_store_equals_model_run_and_hf(tmp_path, model):
    bench = synthetic_imavb(2)  # 8 items
    store = extract(model, bench, out=tmp_path / "s", batch_size=4, shard_size=4, dtype="float32", progress=False)
    assert store.complete and store.sites == ("last", "image", "audio", "question")
    assert store.n_layers == model.n_layers and store.d_model == model.d_model
    batch = model.encode([build_prompt(it, "A1") for it in bench.items[4:8]])
    sites = [Site("resid", 1, span="last"), Site("resid", 0, span="audio", reduce="mean")]
    run = model.run(batch, capture=sites)
    np.testing.assert_array_equal(store.get("last", 1)[4:8], run.captures[sites[0]].numpy())
    np.testing.assert_array_equal(store.get("audio", 0)[4:8], run.captures[sites[1]].numpy())
    with torch.no_grad():
        hf = model.hf(**batch.inputs, output_hidden_states=True)
    np.testing.assert_allclose(store.get("last", 0)[4:8], hf.hidden_states[1][:, -1].numpy(), rtol=1e-5, atol=1e-5)
    choice = store.choice_logits
    assert choice.shape == (8, 6) and np.isfinite(choice).all()

    victim = tmp_path / "s" / "shards" / "shard-00000004-00000008.safetensors"
    reference = victim.read_bytes()
    victim.unlink()
    extract(model, bench, out=tmp_path / "s", batch_size=4, shard_size=4, dtype="float32", progress=False)
    assert victim.read_bytes() == reference  # resumed shard is byte-identical
    assert open_store(tmp_path / "s").complete


def test_float16_matches_float32(tmp_path, model):
    bench = synthetic_imavb(1)
    a = extract(model, bench, out=tmp_path / "a", dtype="float32", progress=False)
    b = extract(model, bench, out=tmp_path / "b", dtype="float16", progress=False)
    np.testing.assert_array_equal(b.get("question", 1), a.get("question", 1).astype(np.float16))
    with pytest.raises(StoreError, match=r"\(dtype differ"):
        extract(model, bench, out=tmp_path / "a", dtype="float16", progress=False)
