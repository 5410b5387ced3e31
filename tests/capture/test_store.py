"""Round trip, dtype, lazy access and layout of the activation store (fake model, in process)."""

from __future__ import annotations

import numpy as np
import pytest
import safetensors
import torch
from capture_fakes import FakeModel
from capture_helpers import assert_same_store

from senseslens.capture import shards as shards_mod
from senseslens.capture.extract import extract
from senseslens.capture.store import open_store
from senseslens.data.prompts import build_prompt
from senseslens.data.scoring import choice_logits, letter_token_ids
from senseslens.data.synthetic import synthetic_imavb
from senseslens.errors import StoreError
from senseslens.models.sites import Site

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def bench():
    return synthetic_imavb(5)  # 20 items


def _direct(model, items, site, layer):
    """What the store should hold, computed by one model.run per item."""
    out = []
    for it in items:
        batch = model.encode([build_prompt(it, "A1")])
        s = Site("resid", layer, span="last") if site == "last" else Site("resid", layer, span=site, reduce="mean")
        out.append(model.run(batch, capture=[s]).captures[s][0])
    return torch.stack(out).numpy()


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_round_trip_dtype(tmp_path, bench, dtype):
    model = FakeModel()
    store = extract(model, bench, out=tmp_path / "s", batch_size=3, shard_size=7, dtype=dtype, progress=False)
    assert store.complete and len(store) == 20 and store.dtype == np.dtype(dtype)
    assert store.sites == ("last", "image", "audio", "question")
    assert store.layers == (0, 1, 2)
    for site in ("last", "question", "image"):
        want = _direct(model, bench.items, site, 1)
        got = store.get(site, 1)
        assert got.dtype == np.dtype(dtype) and got.shape == (20, model.d_model)
        if dtype == "float32":
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        else:
            np.testing.assert_array_equal(got, want.astype(np.float16))
    m = store.layer_matrix("last")
    assert m.shape == (20, 3, model.d_model)
    np.testing.assert_array_equal(np.asarray(m)[:, 2], store.get("last", 2))
    np.testing.assert_array_equal(m[4, 1], store.get("last", 1)[4])
    np.testing.assert_array_equal(m[:, -1], store.get("last", -1))
    assert store.meta["item_id"].tolist() == [it.item_id for it in bench.items]
    assert store.meta["cell"].tolist() == [it.cell for it in bench.items]
    assert store.items_done == tuple(it.item_id for it in bench.items)
    np.testing.assert_array_equal(store.index, np.arange(20))


def test_choice_logits_match_scoring(tmp_path, bench):
    model = FakeModel()
    store = extract(model, bench, out=tmp_path / "s", batch_size=4, progress=False)
    ids = letter_token_ids(model.tokenizer)
    batch = model.encode([build_prompt(it, "A1") for it in bench.items[:4]])
    want = choice_logits(model.run(batch).logits, ids).numpy()
    assert store.choice_logits.dtype == np.float32 and store.choice_logits.shape == (20, 6)
    np.testing.assert_allclose(store.choice_logits[:4], want, rtol=1e-6)


def test_missing_span_is_nan(tmp_path, bench):
    model = FakeModel()
    text_only = lambda it: build_prompt(it, "A1", media=("audio",))  # noqa: E731
    store = extract(model, bench, out=tmp_path / "s", sites=["image", "audio"], progress=False,
                    prompt_fn=text_only, variant="A1-audio-only", dtype="float32")
    assert np.isnan(store.get("image", 0)).all()
    assert np.isfinite(store.get("audio", 0)).all()


def test_lazy_memory_mapped(tmp_path, bench, monkeypatch):
    model = FakeModel()
    extract(model, bench, out=tmp_path / "s", batch_size=4, shard_size=8, progress=False)
    store = open_store(tmp_path / "s")
    requested: list[str] = []
    real = shards_mod.ShardReader.array

    def spy(self, key):
        arr = real(self, key)
        assert isinstance(arr, np.memmap) and not arr.flags.writeable
        requested.append(key)
        return arr

    monkeypatch.setattr(shards_mod.ShardReader, "array", spy)
    _ = store.meta, store.items_done, len(store)
    assert requested == []  # metadata only: headers, no tensor bytes
    store.get("question", 2)
    assert set(requested) == {"question.2"} and len(requested) == 3  # one slice per shard
    requested.clear()
    lazy = store.layer_matrix("audio")
    assert requested == []
    lazy[:, 1:]
    assert set(requested) == {"audio.1", "audio.2"}
    # plain safetensors files: readable by safe_open too
    first = sorted((tmp_path / "s" / "shards").glob("*.safetensors"))[0]
    with safetensors.safe_open(str(first), framework="numpy") as fh:
        np.testing.assert_array_equal(fh.get_tensor("question.2"), store.get("question", 2)[:8])


def test_shard_spec_merge_equals_single(tmp_path, bench):
    model = FakeModel()
    extract(model, bench, out=tmp_path / "one", batch_size=3, shard_size=4, progress=False)
    for i in range(3):
        part = extract(model, bench, out=tmp_path / "many", batch_size=3, shard_size=4, shard=f"{i}/3",
                       progress=False)
        assert len(part) < 20 or i == 2
    assert_same_store(tmp_path / "one", tmp_path / "many")
    assert open_store(tmp_path / "many").complete


def test_limit_extends(tmp_path, bench):
    model = FakeModel()
    extract(model, bench, out=tmp_path / "full", batch_size=2, shard_size=6, progress=False)
    small = extract(model, bench, out=tmp_path / "grow", batch_size=2, shard_size=6, limit=9, progress=False)
    assert len(small) == 9 and small.complete
    grown = extract(model, bench, out=tmp_path / "grow", batch_size=2, shard_size=6, progress=False)
    assert grown.complete and len(grown) == 20
    assert not (tmp_path / "grow" / "shards" / "shard-00000006-00000009.safetensors").exists()  # stale, removed
    assert_same_store(tmp_path / "full", tmp_path / "grow")


def test_resume_skips_done_shards(tmp_path, bench):
    model = FakeModel()
    extract(model, bench, out=tmp_path / "s", batch_size=4, shard_size=8, progress=False)
    victim = tmp_path / "s" / "shards" / "shard-00000008-00000016.safetensors"
    victim.unlink()
    assert open_store(tmp_path / "s").missing == [(8, 16)]
    again = FakeModel()
    store = extract(again, bench, out=tmp_path / "s", batch_size=4, shard_size=8, progress=False)
    assert again.runs == 2 and store.complete  # only the missing shard's two batches


def test_errors_name_the_fix(tmp_path, bench):
    with pytest.raises(StoreError, match="no activation store"):
        open_store(tmp_path / "nowhere")
    with pytest.raises(StoreError, match="bfloat16|float16"):
        extract(FakeModel(), bench, out=tmp_path / "s", dtype="bfloat16", progress=False)
    with pytest.raises(StoreError, match="i/n"):
        extract(FakeModel(), bench, out=tmp_path / "s", shard="2of3", progress=False)
    store = extract(FakeModel(), bench, out=tmp_path / "s", limit=4, progress=False)
    with pytest.raises(StoreError, match="site 'video' is not in this store"):
        store.get("video", 0)
    with pytest.raises(StoreError, match="layer 7"):
        store.get("last", 7)


def test_plain_item_list_and_partial_store(tmp_path, bench):
    model = FakeModel()
    items = list(bench.items[:10])
    store = extract(model, items, out=tmp_path / "s", batch_size=4, shard_size=4, shard="1/2", progress=False)
    assert store.manifest["fingerprint"]["benchmark"] == bench[:10].fingerprint()
    assert not store.complete and store.missing == [(0, 4), (8, 10)]
    assert store.index.tolist() == [4, 5, 6, 7] and store.meta["index"].tolist() == [4, 5, 6, 7]
    assert store.get("last", 0).shape == (4, model.d_model) and store.layer_matrix("last").shape == (4, 3, 16)
    assert store.refresh().items_done == store.items_done
    with pytest.raises(StoreError, match="not in this store"):
        store.get("last", 0, items=["syn0-000000-v-std"])
