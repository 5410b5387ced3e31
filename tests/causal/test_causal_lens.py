"""Logit lens: agrees with the model's own logits at the last layer; chunking is exact."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from senseslens.analysis.causal_common import letter_set_logits
from senseslens.analysis.lens import logit_lens
from senseslens.errors import InputError

from .conftest import qwen_prompts


def test_lens_last_layer_equals_model_softmax(qwen):
    prompts = qwen_prompts(2)
    res = logit_lens(qwen, prompts, chunk_size=97, top_k=5, targets=[7, 11])
    logits = qwen.run(qwen.encode(prompts)).logits.float()
    lse = logits.logsumexp(-1)
    want = torch.stack([(letter_set_logits(logits, qwen.letter_ids[l]) - lse).exp() for l in "ABCDEF"], 1)
    np.testing.assert_allclose(res.letter_probs[-1], want.numpy(), rtol=1e-4, atol=1e-7)
    top = logits.softmax(-1).topk(5)
    np.testing.assert_array_equal(res.top_ids[-1], top.indices.numpy())
    np.testing.assert_allclose(res.top_probs[-1], top.values.numpy(), rtol=1e-4, atol=1e-7)
    best = logits[:, [7, 11]].max(-1).values
    np.testing.assert_array_equal(res.target_rank[-1], (logits > best[:, None]).sum(-1).numpy())


def test_lens_chunk_size_does_not_change_results(qwen):
    prompts = qwen_prompts(2)
    a = logit_lens(qwen, prompts, chunk_size=50, span="question")
    b = logit_lens(qwen, prompts, chunk_size=100_000, span="question")
    np.testing.assert_allclose(a.letter_probs, b.letter_probs, rtol=1e-5, atol=1e-8)
    np.testing.assert_array_equal(a.top_ids, b.top_ids)
    assert a.letter_probs.shape[:2] == (qwen.n_layers, len(a.positions))
    assert set(a.to_dataframe().columns) >= {"layer", "letter", "prob", "row", "position"}


def test_lens_curves_per_premise_on_items(organism, items):
    res = logit_lens(organism, items[:8], layers=[0, -1])
    curves = res.curves(n_boot=50)
    assert set(curves["premise"]) == {"standard", "misleading"}
    assert set(curves["series"]) == {"correct", "reject"}
    assert np.isfinite(curves["prob"]).all()
    import matplotlib

    matplotlib.use("Agg")
    res.plot()


def test_lens_missing_span_raises(qwen):
    with pytest.raises(InputError, match="audio"):
        logit_lens(qwen, qwen_prompts(1), span="audio")
