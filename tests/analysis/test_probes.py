"""Layerwise probes: agreement with scikit-learn, grouped folds, estimators, degenerate inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from senseslens.analysis.probe_fit import fit_mlp, mlp_proba
from senseslens.analysis.probes import LinearProbe, MLPProbe, paper_probes, probe_layers
from senseslens.errors import AnalysisError

torch.set_num_threads(1)


def _data(n_clips=60, n_layers=3, d=40, signal=(0.0, 0.6, 1.5), seed=0):
    rng = np.random.default_rng(seed)
    n = 4 * n_clips
    clip = np.repeat(np.arange(n_clips), 4)
    mod = np.tile(["vision", "vision", "audio", "audio"], n_clips)
    prem = np.tile(["standard", "misleading"], 2 * n_clips)
    y = (prem == "misleading").astype(np.int64)
    X = rng.standard_normal((n, n_layers, d)) + 0.7 * rng.standard_normal((n_clips, 1, d)).repeat(4, 0)
    X[:, :, :3] *= 5.0  # uneven scales: the per-fold scaler matters
    for layer, s in enumerate(signal[:n_layers]):
        X[:, layer, 3] += s * y
    meta = pd.DataFrame({"clip_id": clip, "modality": mod, "premise": prem})
    return X.astype(np.float32), y, clip, meta


def _sklearn_fold_acc(X, y, folds, layer, mask=None):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    accs = []
    for f in range(folds.max() + 1):
        tr, te = (folds >= 0) & (folds != f), folds == f
        sc = StandardScaler().fit(X[tr, layer])
        clf = LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000).fit(sc.transform(X[tr, layer]), y[tr])
        accs.append(clf.score(sc.transform(X[te, layer]), y[te]))
    return float(np.mean(accs))


def test_accuracy_matches_sklearn_per_layer_on_same_folds():
    X, y, clip, _ = _data()
    res = probe_layers(X, y, clip, controls=())
    for r, layer in enumerate(res.layers):
        ours = 100 * res.mean("accuracy")[r]
        ref = 100 * _sklearn_fold_acc(X, y, res.folds, layer)
        assert abs(ours - ref) <= 0.5, (layer, ours, ref)
    assert res.converged.all()


def test_folds_are_sklearn_stratified_group_kfold_and_never_split_a_clip():
    from sklearn.model_selection import StratifiedGroupKFold

    X, y, clip, _ = _data()
    res = probe_layers(X, y, clip, controls=())
    expected = np.empty(len(y), int)
    for f, (_, te) in enumerate(StratifiedGroupKFold(4, shuffle=True, random_state=42).split(X[:, 0], y, clip)):
        expected[te] = f
    np.testing.assert_array_equal(res.folds, expected)
    for c in np.unique(clip):
        assert np.unique(res.folds[clip == c]).size == 1


def test_result_shapes_oof_scores_and_dataframe():
    X, y, clip, _ = _data()
    mask = np.arange(len(y)) % 4 != 3  # drop one item of each clip
    res = probe_layers(X, y, clip, mask=mask, controls=("shuffle", "control_task"))
    assert res.accuracy.shape == (3, 4) and res.oof_score.shape == (3, len(y))
    assert np.isnan(res.oof_score[:, ~mask]).all() and np.isfinite(res.oof_score[:, mask]).all()
    assert res.best_layer == 2
    df = res.to_dataframe()
    assert {"layer", "metric", "value", "series"} <= set(df.columns)
    assert set(df.series) == {"probe", "shuffle", "control_task"}
    assert res.at_layer()["layer"] == 2


def test_paper_probes_masks_majority_and_best_layer():
    X, _, _, meta = _data()
    res = paper_probes(X, meta, controls=())
    assert set(res) == {"global", "vision", "audio"}
    assert res["global"].mask.all() and res["global"].majority == pytest.approx(0.5)
    assert res["vision"].mask.sum() == 3 * len(meta) // 4
    assert res["vision"].majority == pytest.approx(2 / 3)
    assert not res["vision"].mask[(meta.premise == "misleading") & (meta.modality == "audio")].any()
    assert res["global"].best_layer == 2


def test_linear_probe_estimator_api_matches_sklearn_pipeline():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    X, y, _, _ = _data()
    X1 = X[:, 1]
    probe = LinearProbe().fit(X1, y)
    sc = StandardScaler().fit(X1)
    ref = LogisticRegression(C=1.0, max_iter=1000, tol=1e-8).fit(sc.transform(X1), y)
    np.testing.assert_allclose(probe.decision_function(X1), ref.decision_function(sc.transform(X1)), atol=2e-3)
    np.testing.assert_allclose(X1 @ probe.coef_ + probe.intercept_, probe.decision_function(X1), atol=1e-4)
    assert probe.predict_proba(X1).shape == (len(y), 2)
    assert probe.score(X1, y) == pytest.approx(ref.score(sc.transform(X1), y), abs=0.01)


def test_batched_mlp_equals_separate_reference_runs():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((2, 30, 8)).astype(np.float32)
    y = (rng.random((2, 30)) < 0.5).astype(np.float32)
    fit = fit_mlp(torch.from_numpy(X), torch.from_numpy(y), torch.ones(2, 30), hidden=16, epochs=5, seed=42)
    got = mlp_proba(torch.from_numpy(X), fit).numpy()
    for k in range(2):
        mu, sd = X[k].mean(0), X[k].std(0)
        xs = torch.from_numpy((X[k] - mu) / sd)
        torch.manual_seed(42)
        net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        for _ in range(5):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(xs), torch.from_numpy(y[k]).long()).backward()
            opt.step()
        ref = torch.softmax(net(xs), -1)[:, 1].detach().numpy()
        np.testing.assert_allclose(got[k], ref, atol=1e-5)


def test_mlp_probe_estimator_learns_planted_signal():
    X, y, clip, _ = _data(signal=(0.0, 0.0, 4.0))
    tr = clip % 2 == 0
    probe = MLPProbe(epochs=100).fit(X[tr, 2], y[tr])
    assert probe.score(X[~tr, 2], y[~tr]) > 0.7


def test_one_class_raises():
    X, y, clip, _ = _data()
    with pytest.raises(AnalysisError, match="one class"):
        probe_layers(X, np.zeros_like(y), clip)


def test_too_few_clips_for_folds_raises():
    X, y, clip, _ = _data(n_clips=3)
    with pytest.raises(AnalysisError, match="clips for 4 grouped folds"):
        probe_layers(X, y, clip)


def test_nan_activations_raise_with_layer():
    X, y, clip, _ = _data()
    X[5, 1, 0] = np.nan
    with pytest.raises(AnalysisError, match=r"NaN/inf activations at layer\(s\) \[1\]"):
        probe_layers(X, y, clip, controls=())


def test_nan_rows_outside_the_mask_are_ignored():
    X, y, clip, _ = _data()
    X[7, :, :] = np.nan
    mask = np.ones(len(y), bool)
    mask[7] = False
    res = probe_layers(X, y, clip, mask=mask, controls=())
    assert np.isfinite(res.accuracy).all() and np.isnan(res.oof_score[:, 7]).all()


def test_bad_shapes_and_unknown_options_raise():
    X, y, clip, meta = _data()
    with pytest.raises(AnalysisError, match="n_items, n_layers, d"):
        probe_layers(X[:, 0], y, clip)
    with pytest.raises(AnalysisError, match="unknown controls"):
        probe_layers(X, y, clip, controls=("bogus",))
    with pytest.raises(AnalysisError, match="clip_id"):
        paper_probes(X, meta.drop(columns="clip_id"))
    with pytest.raises(AnalysisError, match="one layer"):
        LinearProbe().fit(X, y)
