"""Activation patching invariants, batching, pair handling and error cases."""

from __future__ import annotations

import numpy as np
import pytest

from senseslens.analysis.pairs import clip_swap_pairs, twin_pairs
from senseslens.analysis.patching import patch
from senseslens.data.prompts import build_prompt
from senseslens.errors import InputError

from .conftest import longer_question, qwen_prompts, without_audio


def test_patching_every_position_reproduces_clean(qwen):
    clean, corrupted = qwen_prompts(2), qwen_prompts(2, offset=5)
    res = patch(qwen, clean, corrupted, spans=("all",), correct="A", foil="B", min_diff=None, layers=[0, 1])
    want = res.pairs["ld_clean"].to_numpy()
    for w in range(2):
        np.testing.assert_allclose(res.ld_patched[w, 0], want, rtol=1e-4, atol=1e-5)
    clean_choice = patch(qwen, clean, clean, spans=("last",), correct="A", foil="B", min_diff=None,
                         layers=[0]).choice_patched[0, 0]
    np.testing.assert_allclose(res.choice_patched[0, 0], clean_choice, rtol=1e-4, atol=1e-5)


def test_patching_own_values_changes_nothing(qwen):
    prompts = qwen_prompts(2)
    res = patch(qwen, prompts, prompts, spans=("image", "question", "last"), correct="A", foil="C",
                min_diff=None, window=3)
    for w in range(res.ld_patched.shape[0]):
        for s in range(res.ld_patched.shape[1]):
            np.testing.assert_allclose(res.ld_patched[w, s], res.pairs["ld_corrupt"], rtol=1e-5, atol=1e-6)


def test_batched_patches_equal_one_forward_per_patch(qwen):
    clean, corrupted = qwen_prompts(3), qwen_prompts(3, offset=4)
    kw = dict(spans=("image", "question", "last"), correct="A", foil="B", min_diff=None, window=2, batch_size=2)
    one = patch(qwen, clean, corrupted, batch_patches=1, **kw)
    many = patch(qwen, clean, corrupted, batch_patches=4, **kw)
    np.testing.assert_allclose(one.ld_patched, many.ld_patched, rtol=1e-4, atol=1e-5)
    for mode in ("noise",):
        r = patch(qwen, clean, corrupted, mode=mode, batch_patches=5, **kw)
        assert np.isfinite(r.ld_patched).all()


def test_last_layer_last_token_is_full_effect_both_modes(organism, items):
    pairs = clip_swap_pairs(items, seed=1)
    for mode in ("denoise", "noise"):
        res = patch(organism, pairs, layers=[-1], spans=("last",), mode=mode, min_diff=1e-6)
        eff = res.effects[0, 0]
        np.testing.assert_allclose(eff[np.isfinite(eff)], 1.0, atol=1e-4)


def test_twin_pairs_and_unequal_span_lengths_are_skipped(organism, items):
    pairs = twin_pairs(items)
    assert len(pairs) == len([i for i in items if i.is_misleading])
    assert set(pairs.correct) <= {"E", "F"}
    longer = [longer_question(i) if i.is_misleading else i for i in items]
    res = patch(organism, twin_pairs(longer), spans=("question", "image"), min_diff=None)
    skipped = res.skipped.set_index(["span", "reason"])["n"]
    assert skipped[("question", "unequal span lengths")] == len(pairs)  # counted once per (pair, span)
    assert np.isnan(res.ld_patched[:, 0]).all() and np.isfinite(res.ld_patched[:, 1]).all()
    frame = res.to_dataframe()
    assert list(frame.columns[:3]) == ["layer", "span", "effect"]


def test_span_missing_in_some_rows_is_counted(organism, items):
    clean = [build_prompt(items[0]), without_audio(items[4])]
    corrupted = [build_prompt(items[8]), without_audio(items[12])]
    res = patch(organism, clean, corrupted, spans=("audio",), correct="A", foil="E", min_diff=None, layers=[0])
    assert res.skipped.loc[0, "reason"] == "span missing" and res.skipped.loc[0, "n"] == 1
    assert np.isfinite(res.ld_patched[0, 0, 0]) and np.isnan(res.ld_patched[0, 0, 1])


def test_small_differences_are_dropped(organism, items):
    pairs = clip_swap_pairs(items, seed=0)
    res = patch(organism, pairs, spans=("last",), layers=[0], min_diff=1e9)
    assert res.n_dropped == len(pairs)
    assert np.isnan(res.effects).all()


def test_patch_errors(qwen):
    p = qwen_prompts(2)
    with pytest.raises(InputError, match="metric"):
        patch(qwen, p, p, correct="A", foil="B", metric="kl")
    with pytest.raises(InputError, match="aligned"):
        patch(qwen, p, p[:1], correct="A", foil="B")
    with pytest.raises(InputError, match="foil"):
        patch(qwen, p, p, correct="A")
    with pytest.raises(InputError, match="mode"):
        patch(qwen, p, p, correct="A", foil="B", mode="both")
