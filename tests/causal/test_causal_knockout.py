"""Attention knockout: causal no-ops, locality, other families, the mask-free implementation switch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from senseslens.analysis.knockout import knockout
from senseslens.models.sites import Knockout

from .conftest import qwen_prompts


def _logits_all(model, batch, kos=()):
    return model.run(batch, knockouts=kos, logits="all").logits


def test_knocking_out_masked_edges_changes_nothing(qwen):
    batch = qwen.encode(qwen_prompts(2))
    base = _logits_all(qwen, batch)
    later_key = _logits_all(qwen, batch, [Knockout(range(qwen.n_layers), "question", "options"),
                                          Knockout(range(qwen.n_layers), "image", "last")])
    torch.testing.assert_close(later_key, base, rtol=0, atol=0)


def test_question_to_image_changes_only_question_onwards(qwen):
    batch = qwen.encode(qwen_prompts(2, extra=" please"))
    base = _logits_all(qwen, batch)
    cut = _logits_all(qwen, batch, [Knockout([0, 1], "question", "image")])
    diff = (cut - base).abs().amax(-1)
    for r in range(2):
        q0 = int(batch.spans.positions("question", r)[0])
        assert diff[r, :q0].max() == 0
        assert diff[r, q0:].max() > 1e-4
        assert diff[r, batch.spans.last[r]] > 0


@pytest.mark.parametrize("family", ["gemma3", "qwen2_5_omni_thinker"])
def test_knockout_runs_on_other_families(family):
    from tests.models._zoo import omni, prompt

    model = omni(family)
    batch = model.encode([prompt(family, 0), prompt(family, 1, extra_text=" ok")])
    base = _logits_all(model, batch)
    cut = _logits_all(model, batch, [Knockout([0, 1], "question", "image")])
    diff = (cut - base).abs().amax(-1)
    for r in range(2):
        q0 = int(batch.spans.positions("question", r)[0])
        assert diff[r, :q0].max() < 1e-6 and diff[r, q0:].max() > 1e-5
    same = _logits_all(model, batch, [Knockout([0, 1], "image", "question")])
    torch.testing.assert_close(same, base, rtol=0, atol=1e-6)


def test_knockout_positional_mask_module(organism, items):
    res = knockout(organism, items[:4], flows=[("last", "audio"), ("question", "image"), ("image", "question")],
                   window=1, n_boot=20)
    frame = res.to_dataframe()
    assert set(frame["flow"]) == {"audio->last", "image->question", "question->image"}
    assert (frame.loc[frame["flow"] == "question->image", "rel_change"] == 0).all()
    assert frame.loc[frame["flow"] == "audio->last", "rel_change"].abs().max() > 0
    assert res.switched_from is None


def test_mask_free_implementation_is_switched_and_restored(qwen):
    from transformers import AttentionInterface
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    def ignores_mask(module, q, k, v, attention_mask, **kw):
        return sdpa_attention_forward(module, q, k, v, None, **kw)

    AttentionInterface.register("causal_test_nomask", ignores_mask)
    prompts = qwen_prompts(2)
    ref = knockout(qwen, prompts, flows=[("last", "image")], window=1, n_boot=10)
    qwen.hf.set_attn_implementation("causal_test_nomask")
    try:
        with pytest.warns(UserWarning, match="switched"):
            res = knockout(qwen, prompts, flows=[("last", "image")], window=1, n_boot=10)
        assert qwen.hf.config._attn_implementation == "causal_test_nomask"
    finally:
        qwen.hf.set_attn_implementation("sdpa")
    assert res.switched_from == "causal_test_nomask" and res.attn_implementation == "sdpa"
    np.testing.assert_allclose(res.p_knockout, ref.p_knockout, rtol=1e-5)


def test_knockout_leaves_no_state_behind(qwen):
    batch = qwen.encode(qwen_prompts(2))
    before = _logits_all(qwen, batch)
    _logits_all(qwen, batch, [Knockout([0, 1], "last", "image")])
    torch.testing.assert_close(_logits_all(qwen, batch), before, rtol=0, atol=0)
