"""A store written by another model, benchmark or setting is refused, naming the differing part."""

from __future__ import annotations

import pytest
import torch
from capture_fakes import FakeModel

from senseslens.capture.extract import extract
from senseslens.capture.manifest import model_fingerprint, weights_hash
from senseslens.data.synthetic import synthetic_imavb
from senseslens.errors import StoreError

torch.set_num_threads(1)
BASE = dict(batch_size=4, shard_size=8, progress=False, limit=8)


class OtherNet(torch.nn.Module):
    """Same tensors as FakeNet, another class name."""


def _renamed(model: FakeModel) -> FakeModel:
    other = OtherNet()
    for name, p in model.hf.named_parameters():
        other.register_parameter(name, p)
    model.hf = other
    return model


def _with_config(model: FakeModel) -> FakeModel:
    from transformers import PretrainedConfig

    model.hf.config = PretrainedConfig(hidden_size=99)
    return model


CASES = {
    "model.class": (lambda: _renamed(FakeModel()), {}),
    "model.config_hash": (lambda: _with_config(FakeModel()), {}),
    "model.weights_hash": (lambda: FakeModel(seed=1), {}),
    "benchmark": (FakeModel, {"benchmark": synthetic_imavb(3, seed=1)}),
    "sites": (FakeModel, {"sites": ["last", "question"]}),
    "layers": (FakeModel, {"layers": [0, 2]}),
    "dtype": (FakeModel, {"dtype": "float32"}),
    "variant": (FakeModel, {"variant": "A2"}),
    "shard_size": (FakeModel, {"shard_size": 4}),
}


@pytest.mark.parametrize("part", list(CASES))
def test_refused_naming_part(tmp_path, part):
    bench = synthetic_imavb(3)
    extract(FakeModel(), bench, out=tmp_path, **BASE)
    make, change = CASES[part]
    kwargs = {**BASE, **change}
    other_bench = kwargs.pop("benchmark", bench)
    with pytest.raises(StoreError) as err:
        extract(make(), other_bench, out=tmp_path, **kwargs)
    msg = str(err.value)
    assert f"({part} differ" in msg, msg
    assert "new `out` directory" in msg and "overwrite=True" in msg
    store = extract(make(), other_bench, out=tmp_path, overwrite=True, **kwargs)
    assert store.complete


def test_same_run_accepted(tmp_path):
    bench = synthetic_imavb(3)
    extract(FakeModel(), bench, out=tmp_path, **BASE)
    extract(FakeModel(), bench, out=tmp_path, **{**BASE, "batch_size": 2})  # batch size is not content


def test_weights_hash_sampled_and_sensitive():
    model = FakeModel()
    h = weights_hash(model.hf)
    assert h == weights_hash(FakeModel().hf)
    with torch.no_grad():
        model.hf.blocks[0, 0, 0] += 1.0  # element 0 is always sampled
    assert weights_hash(model.hf) != h
    fp = model_fingerprint(model)
    assert set(fp) == {"class", "config_hash", "weights_hash"} and fp["class"] == "FakeNet"


def test_overwrite_refused_with_several_workers(tmp_path):
    with pytest.raises(StoreError, match="overwrite=True cannot be combined"):
        extract(FakeModel(), synthetic_imavb(2), out=tmp_path, overwrite=True, shard="0/2", progress=False)
