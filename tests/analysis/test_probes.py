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


def _blocks(B=2, T=3, n=120, d=30, seed=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((B, n, d)).astype(np.float32) * (1 + 4 * (np.arange(d) < 3))
    X += rng.standard_normal((B, 1, d)).astype(np.float32) * 3.0  # non-zero means: the scaler matters
    Y = (rng.random((1, T, n)) < 0.5).astype(np.float32)
    Y[0, 0] = (X[0, :, 4] + 0.5 * rng.standard_normal(n) > X[0, :, 4].mean()).astype(np.float32)
    M = (rng.random((1, T, n)) < 0.75).astype(np.float32)
    return torch.from_numpy(X), torch.from_numpy(Y), torch.from_numpy(M)


def _objective(X, Y, M, fit, C=1.0):
    from senseslens.analysis.probe_fit import decision_function

    z = decision_function(X, fit).double()
    loss = ((torch.nn.functional.softplus(z) - Y.double() * z) * M.double()).sum(-1)
    return C * loss + 0.5 * fit.coef.double().square().sum(-1)


def test_preconditioners_change_the_path_not_the_optimum():
    from senseslens.analysis.probe_fit import fit_logistic

    X, Y, M = _blocks()
    fits = {k: fit_logistic(X, Y, M, precondition=k, tol=1e-7) for k in (-1, 8, 0)}
    assert all(f.converged.all() for f in fits.values())
    objs = {k: _objective(X, Y, M, f) for k, f in fits.items()}
    for k in (8, 0):
        torch.testing.assert_close(objs[k], objs[-1], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(fits[k].coef, fits[-1].coef, rtol=0, atol=5e-3)


def test_batched_problems_equal_separate_fits_and_are_deterministic():
    """Problems leave the batch as they converge; that must not change any of them."""
    from senseslens.analysis.probe_fit import fit_logistic

    X, Y, M = _blocks()
    fit = fit_logistic(X, Y, M)
    again = fit_logistic(X, Y, M)
    assert torch.equal(fit.coef, again.coef) and torch.equal(fit.intercept, again.intercept)
    assert fit.converged.all() and fit.n_iter.unique().numel() > 1  # they did stop at different times
    for b in range(X.shape[0]):
        for t in range(Y.shape[1]):
            one = fit_logistic(X[b : b + 1], Y[:, t : t + 1], M[:, t : t + 1])
            torch.testing.assert_close(one.coef[0, 0], fit.coef[b, t], rtol=0, atol=2e-3)
            torch.testing.assert_close(one.intercept[0, 0], fit.intercept[b, t], rtol=0, atol=2e-3)


def test_logistic_matches_sklearn_optimum_on_masked_rows():
    """Each problem = StandardScaler on its training rows + LogisticRegression(C=1), to high precision."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from senseslens.analysis.probe_fit import decision_function, fit_logistic

    X, Y, M = _blocks()
    fit = fit_logistic(X, Y, M, tol=1e-8)
    z = decision_function(X, fit).numpy()
    for b in range(X.shape[0]):
        for t in range(Y.shape[1]):
            tr = M[0, t].numpy() > 0
            Xb = X[b].numpy().astype(np.float64)
            sc = StandardScaler().fit(Xb[tr])
            ref = LogisticRegression(C=1.0, tol=1e-10, max_iter=100_000).fit(sc.transform(Xb[tr]), Y[0, t].numpy()[tr])
            np.testing.assert_allclose(z[b, t], ref.decision_function(sc.transform(Xb)), atol=2e-3)


def test_grouped_folds_replay_sklearn_exactly_on_random_designs():
    from sklearn.model_selection import StratifiedGroupKFold

    from senseslens.analysis.probe_folds import grouped_folds

    rng = np.random.default_rng(7)
    checked = 0
    for trial in range(60):
        n_clips, per = int(rng.integers(8, 80)), int(rng.integers(1, 5))
        groups = np.repeat(rng.permutation(3 * n_clips)[:n_clips], per)
        labels = (rng.random(groups.size) < rng.uniform(0.25, 0.75)).astype(np.int64)
        if trial % 3 == 0:  # twins: every clip has both classes, lots of exact ties
            labels = np.tile([0, 1], groups.size)[: groups.size]
        k, seed = int(rng.integers(2, 6)), int(rng.integers(0, 100))
        mask = rng.random(groups.size) < 0.9
        y, g = labels[mask], groups[mask]
        if np.unique(g).size < k or np.bincount(y, minlength=2).min() < k:
            continue
        expected = np.full(groups.size, -1)
        try:
            for f, (tr, te) in enumerate(StratifiedGroupKFold(k, shuffle=True, random_state=seed).split(y, y, g)):
                assert np.unique(y[tr]).size == 2
                expected[np.flatnonzero(mask)[te]] = f
        except AssertionError:
            continue
        np.testing.assert_array_equal(grouped_folds(labels, groups, mask, k, seed), expected)
        checked += 1
    assert checked >= 30


def test_probe_layers_reads_an_activation_store(tmp_path):
    """The public form `probe_layers(store, label=..., groups=...)` equals the array form."""
    import senseslens as sl
    from senseslens.data.synthetic import synthetic_imavb
    from senseslens.testing.tiny import build_tiny

    t = build_tiny("qwen2_5_omni_thinker")
    model = sl.load(t.model, t.processor)
    store = sl.extract(model, synthetic_imavb(n_clips=16, seed=2, image_scale=2), out=tmp_path / "s", progress=False)
    from_store = sl.probe_layers(store, label="premise", groups="clip_id", controls=())
    X = np.asarray(store.layer_matrix("last")[:], dtype=np.float32)
    y = (store.meta.premise == "misleading").to_numpy().astype(int)
    from_arrays = sl.probe_layers(X, y, store.meta.clip_id.to_numpy(), controls=())
    np.testing.assert_array_equal(from_store.accuracy, from_arrays.accuracy)
    with pytest.raises(AnalysisError, match="column"):
        sl.probe_layers(store, label="no_such_column", groups="clip_id")
