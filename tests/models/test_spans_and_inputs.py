"""Spans under padding, several media, unequal audio; the full input set; clear errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

import senseslens as sl
from senseslens.errors import InputError, SpecError, UnsupportedArchitectureError
from senseslens.models.inputs import complete_inputs
from senseslens.models.sites import Site
from senseslens.models.spans import media_spans

from ._zoo import omni, prompt, tiny


def test_right_padding_gives_the_same_answers_and_shifted_spans():
    model = omni("qwen2_5_vl")
    prompts = [prompt("qwen2_5_vl", 0), prompt("qwen2_5_vl", 1, extra_text=" with more words")]
    left = model.encode(prompts, padding_side="left")
    right = model.encode(prompts, padding_side="right")
    assert right.spans.last[0] < right.spans.last[1] == right.input_ids.shape[1] - 1
    for r in range(2):
        for name in ("image", "question", "options"):
            ids_l = left.input_ids[r, left.spans.positions(name, r)]
            ids_r = right.input_ids[r, right.spans.positions(name, r)]
            assert torch.equal(ids_l, ids_r), (name, r)
    torch.testing.assert_close(model.run(left).logits, model.run(right).logits, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("family", ["qwen2_5_vl", "llava", "gemma3"])
def test_several_images_in_one_prompt(family):
    model = omni(family)
    media = [tiny(family).sample_media(s)["image"] for s in (0, 1)]
    p = dataclasses.replace(prompt(family, 0, media=()), images=media)
    batch = model.encode([p])
    spans = batch.spans.spans(0, "image")
    assert sorted({s.index for s in spans}) == [0, 1]
    assert torch.equal(batch.spans.mask("image"), batch.input_ids == model.token_ids["image"])


@pytest.mark.parametrize("family", ["qwen2_5_omni_thinker", "qwen3_omni_moe_thinker"])
def test_rows_with_different_audio_lengths(family):
    model = omni(family)
    base = prompt(family, 0)
    short = dataclasses.replace(base, audios=[base.audios[0][: len(base.audios[0]) // 2]])
    batch = model.encode([base, short])
    counts = batch.spans.counts("audio")
    assert counts[0] > counts[1] > 0
    out = model.run(batch, capture=[Site("audio_out", None, None, reduce="none")])
    feats = out.captures[Site("audio_out", None, None, reduce="none")]
    assert [len(f) for f in feats] == counts.tolist(), "audio features per row must match the audio spans"


@pytest.mark.parametrize("family", ["qwen2_5_vl", "qwen2_5_omni_thinker", "llava", "gemma3", "idefics3"])
def test_projected_features_agree_with_span_counts(family):
    model = omni(family)
    batch = model.encode([prompt(family, 0), prompt(family, 1)])
    site = Site("projector_out", None, None, reduce="none")
    feats = model.run(batch, capture=[site]).captures[site]
    kinds = [k for k in ("image", "video") if k in model.token_ids]
    expected = sum(batch.spans.counts(k) for k in kinds).tolist()
    assert [len(f) for f in feats] == expected


def test_derived_inputs_are_added_and_required_ones_enforced():
    model = omni("qwen2_5_vl")
    batch = model.encode([prompt("qwen2_5_vl", 0)])
    tt = batch.inputs["mm_token_type_ids"]
    assert torch.equal(tt == 1, batch.input_ids == model.token_ids["image"])
    gemma = omni("gemma3")
    gb = gemma.encode([prompt("gemma3", 0)])
    assert torch.equal(gb.inputs["token_type_ids"] == 1, gb.input_ids == gemma.token_ids["image"])
    thinker = omni("qwen2_5_omni_thinker")
    tb = thinker.encode([prompt("qwen2_5_omni_thinker", 0)])
    stripped = {k: v for k, v in tb.inputs.items() if k != "feature_attention_mask"}
    with pytest.raises(InputError, match="feature_attention_mask"):
        complete_inputs(thinker.spec, stripped, thinker.token_ids, thinker.accepted)


def test_media_and_placeholders_that_disagree_raise():
    model = omni("qwen2_5_vl")
    batch = model.encode([prompt("qwen2_5_vl", 0)])
    no_pixels = {k: v for k, v in batch.inputs.items() if k != "pixel_values"}
    with pytest.raises(InputError, match="no image features"):
        complete_inputs(model.spec, no_pixels, model.token_ids, model.accepted)
    grids = {"image": [(1, 4, 4)]}  # 16 tokens claimed, 4 placeholders present
    with pytest.raises(InputError, match="disagree"):
        media_spans(batch.input_ids, {"image": model.token_ids["image"]}, grids)
    with pytest.raises(InputError, match="disagree"):
        media_spans(batch.input_ids, {"image": model.token_ids["image"]}, {"image": [(1, 2, 2), (1, 2, 2)]})


def test_media_the_model_cannot_take_is_refused():
    model = omni("llava")
    p = dataclasses.replace(prompt("llava", 0), audios=[np.zeros(1600, dtype=np.float32)])
    with pytest.raises(InputError, match="takes no audio"):
        model.encode([p])


def test_spec_path_missing_from_the_module_tree_names_it():
    t = tiny("llava")
    spec = sl.models.get_spec("LlavaForConditionalGeneration").with_overrides(projector="model.no_such_projector")
    with pytest.raises(SpecError, match="no_such_projector"):
        sl.load(t.model, t.processor, spec=spec)


def test_unknown_architecture_without_a_spec_lists_the_supported_ones():
    class Opaque(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = torch.nn.Linear(4, 4)

    with pytest.raises(UnsupportedArchitectureError, match="register_spec") as err:
        sl.load(Opaque())
    assert "LlavaForConditionalGeneration" in str(err.value)


def test_unregistered_text_model_is_auto_discovered():
    from transformers import Qwen2Config, Qwen2ForCausalLM

    cfg = Qwen2Config(hidden_size=32, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2, vocab_size=128)
    model = sl.load(Qwen2ForCausalLM(cfg))
    assert model.spec.status == "discovered"
    assert (model.spec.layers, model.spec.final_norm, model.spec.lm_head) == ("model.layers", "model.norm", "lm_head")
    assert model.n_layers == 3


def test_register_spec_refuses_silent_overwrite_and_accepts_replace():
    spec = sl.models.get_spec("LlavaForConditionalGeneration")
    with pytest.raises(SpecError, match="replace=True"):
        sl.register_spec(spec)
    assert sl.register_spec(spec, replace=True) is spec


def test_supported_architectures_table():
    table = sl.supported_architectures()
    assert {"architecture", "modalities", "status"} <= set(table.columns)
    archs = set(table.architecture)
    for arch in ("Qwen2_5OmniThinkerForConditionalGeneration", "Qwen3OmniMoeForConditionalGeneration", "Gemma3nForConditionalGeneration",
                 "Phi4MultimodalForCausalLM", "Qwen2AudioForConditionalGeneration", "SensesOrganismForConditionalGeneration"):
        assert arch in archs
    remote = table[table.source == "remote"]
    assert len(remote) >= 6 and set(remote.status) == {"not run here"}


@pytest.mark.parametrize("family", ["qwen2_5_vl", "qwen2_5_omni_thinker", "llava", "phi4_multimodal"])
def test_every_tower_site_in_one_run(family):
    """Towers are visited in execution order (a merger inside the vision tower finishes first)."""
    model = omni(family)
    batch = model.encode([prompt(family, 0)])
    roles = {"vision_out": "vision_tower", "projector_out": "projector", "audio_out": "audio_tower", "audio_projector_out": "audio_projector"}
    sites = [Site(c, None, None, reduce="none") for c, r in roles.items() if getattr(model, r) is not None]
    out = model.run(batch, capture=sites)
    for site in sites:
        alone = model.run(batch, capture=[site]).captures[site]
        both = out.captures[site]
        assert all(torch.equal(a, b) for a, b in zip(alone, both)) if isinstance(alone, list) else torch.equal(alone, both)
