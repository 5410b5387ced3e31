"""PGLA: the formula by hand, the vectorised grid vs a plain loop, the nested protocol,
and the constant-bias baseline under the same protocol."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from senseslens.analysis.pgla import pgla
from senseslens.analysis.pgla_core import adjusted_predictions, grid_table, pgla_adjust
from senseslens.errors import AnalysisError

CFG = dict(gamma=2.0, power=2.0, alpha=0.3, scale=1.0, boost=5.0)


def test_formula_by_hand_on_three_items():
    L = np.array([
        [2.0, 1.0, 0.0, -1.0, 0.0, -1.0],  # standard vision, gold A, p = 0.2
        [1.0, 3.0, 0.0, 0.0, 0.5, 0.0],  # misleading vision, gold E, p = 0.9
        [0.0, 0.5, 1.5, 0.0, -1.0, 0.0],  # misleading audio, gold F, p = 0.6
    ])
    p = np.array([0.2, 0.9, 0.6])
    beta = 0.4
    # item 1: Delta = 2 - 0 = 2; p^2 = 0.04; gate = sigmoid(2 * (0.04 - 0.3)) = sigmoid(-0.52) = 0.372852
    #   push = 0.372852 * (1 * 2 + 5) = 2.609966; E' = 0 + 2.609966 - 0.2 = 2.409966; F' = -1 + 2.609966 + 0.2
    # item 2: Delta = 3 - 0.5 = 2.5; p^2 = 0.81; gate = sigmoid(1.02) = 0.734973; push = 0.734973 * 7.5 = 5.512294
    # item 3: Delta = 1.5 - 0 = 1.5; p^2 = 0.36; gate = sigmoid(0.12) = 0.529964; push = 0.529964 * 6.5 = 3.444766
    expected_E = [2.409966, 5.812294, 2.244766]
    expected_F = [1.809966, 5.712294, 3.644766]
    adj = pgla_adjust(L, p, beta=beta, **CFG)
    np.testing.assert_allclose(adj[:, 4], expected_E, atol=1e-6)
    np.testing.assert_allclose(adj[:, 5], expected_F, atol=1e-6)
    np.testing.assert_array_equal(adj[:, :4], L[:, :4])
    # predictions: item 1 max(A-D) = 2 < E' -> E (a false rejection); item 2 E' > F' > 3 -> E; item 3 F' -> F
    cfg = pd.DataFrame([CFG])
    np.testing.assert_array_equal(adjusted_predictions(L, p, cfg, beta)[0], [4, 4, 5])
    # the constant-bias form: p replaced by c for every item
    cfg_c = pd.DataFrame([{**CFG, "c": 0.2}])
    np.testing.assert_array_equal(adjusted_predictions(L, None, cfg_c, beta)[0],
                                  pgla_adjust(L, 0.2, beta=beta, **CFG).argmax(1))


def test_grid_sizes_and_vectorised_predictions_match_a_loop():
    g, gc = grid_table(), grid_table(constant=True)
    assert len(g) == 162 and len(gc) == 162 * 11 and g.drop_duplicates().shape[0] == 162
    rng = np.random.default_rng(0)
    L = rng.standard_normal((50, 6)) * 2
    p = rng.random(50)
    vec = adjusted_predictions(L, p, g, 0.3)
    for k in (0, 17, 80, 161):
        cfg = g.iloc[k].to_dict()
        np.testing.assert_array_equal(vec[k], pgla_adjust(L, p, beta=0.3, **cfg).argmax(1))


def _bench(n_clips=150, seed=0, informative=True):
    rng = np.random.default_rng(seed)
    n = 4 * n_clips
    mod = np.tile(["vision", "vision", "audio", "audio"], n_clips)
    prem = np.tile(["standard", "misleading"], 2 * n_clips)
    mis = prem == "misleading"
    gold = np.where(mis, np.where(mod == "vision", "E", "F"), rng.choice(list("ABCD"), n))
    gi = np.array(["ABCDEF".index(g) for g in gold])
    L = rng.standard_normal((n, 6))
    L[np.arange(n), gi] += np.where(mis, 0.4, 2.0)
    L[:, 4:] -= 1.5
    p = np.clip(0.5 + (0.3 * (mis - 0.5) if informative else 0) + 0.15 * rng.standard_normal(n), 0, 1)
    return L, p, pd.DataFrame({"modality": mod, "premise": prem, "gold": gold})


def _paper_loop(L, p, meta, res):
    """The nested protocol written as a plain loop over folds and configs."""
    from sklearn.model_selection import StratifiedKFold

    cells = np.where(meta.premise == "misleading", 2, 0) + np.where(meta.modality == "audio", 1, 0)
    gold = np.array(["ABCDEF".index(g) for g in meta.gold])
    tm = res.train_mask
    std_tr = tm & (cells < 2)
    beta = np.mean(L[std_tr, 4] - L[std_tr, 5])
    ev = np.flatnonzero(~tm)
    y = (cells[ev] >= 2).astype(int)

    def bal(idx, cfg):
        pred = pgla_adjust(L[idx], p[idx], beta=beta, **cfg).argmax(1)
        acc = [np.mean(pred[cells[idx] == c] == gold[idx][cells[idx] == c]) for c in range(4)]
        return 0.5 * (np.mean(acc[:2]) + np.mean(acc[2:]))

    grid = grid_table().to_dict("records")
    out = []
    for tune, test in StratifiedKFold(5, shuffle=True, random_state=42).split(ev, y):
        scores = [bal(ev[tune], c) for c in grid]
        best = grid[int(np.argmax(scores))]
        out.append(bal(ev[test], best))
    return 100 * np.mean(out), beta


def test_nested_protocol_matches_plain_loop():
    L, p, meta = _bench()
    res = pgla(L, p, meta)
    expected, beta = _paper_loop(L, p, meta, res)
    assert res.beta == pytest.approx(beta)
    row = res.summary.query("method == 'pgla' and budget == 'unconstrained'").iloc[0]
    assert row.bal_after_pct == pytest.approx(expected, abs=1e-9)
    assert res.info["n_train"] == 150 and res.info["n_eval"] == 450  # stratified 25 / 75


def test_constant_bias_baseline_shares_protocol_and_contains_constant_probe():
    L, p, meta = _bench()
    res = pgla(L, p, meta)
    s = res.summary.set_index(["method", "budget"])
    assert set(s.index.get_level_values(0)) == {"pgla", "constant_bias"}
    assert set(s.index.get_level_values(1)) == {"unconstrained", "3pt", "1pt"}
    # same held-out folds: identical "before" numbers
    assert s["bal_before_pct"].nunique() == 1
    # budgets hold on the tuning folds for both methods (the held-out fold may drift)
    for budget, limit in (("3pt", 3.0), ("1pt", 1.0)):
        f = res.folds.query("budget == @budget")
        assert len(f) == 10
        assert (f.tune_std_pct >= f.tune_std_before_pct - limit - 1e-9).all()
    # a probe that outputs a constant 0.5 is exactly the constant baseline's c = 0.5 slice
    flat = pgla(L, np.full(len(L), 0.5), meta)
    pg = flat.configs.query("method == 'pgla'").reset_index(drop=True)
    cb = flat.configs.query("method == 'constant_bias' and c == 0.5").reset_index(drop=True)
    np.testing.assert_allclose(pg[["std_acc_pct", "mis_acc_pct", "bal_pct"]], cb[["std_acc_pct", "mis_acc_pct", "bal_pct"]])
    # the constant baseline can only tune as well or better on a constant probe
    fl = flat.summary.set_index(["method", "budget"])
    assert fl.loc[("constant_bias", "unconstrained"), "bal_after_pct"] >= fl.loc[("pgla", "unconstrained"), "bal_after_pct"] - 2.0


def test_informative_probe_beats_constant_bias_and_pareto_flags():
    L, p, meta = _bench(informative=True)
    res = pgla(L, p, meta)
    s = res.summary.set_index(["method", "budget"])
    assert s.loc[("pgla", "unconstrained"), "delta_bal_pct"] > s.loc[("constant_bias", "unconstrained"), "delta_bal_pct"]
    par = res.pareto_dataframe()
    assert {"method", "std_acc_pct", "mis_acc_pct", "bal_pct", "config"} <= set(par.columns)
    assert par.groupby("method")["pareto"].any().all()


def test_probe_from_activations_trains_both_probe_kinds():
    L, _, meta = _bench(n_clips=60)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((len(L), 12)).astype(np.float32)
    X[:, 0] += 2.0 * (meta.premise == "misleading").to_numpy()
    res = pgla(L, X, meta)
    assert set(res.summary.method) == {"pgla", "pgla_linear", "constant_bias"}
    assert res.probe_accuracy["linear"] > 0.75


def test_degenerate_inputs_raise():
    L, p, meta = _bench(n_clips=20)
    with pytest.raises(AnalysisError, match=r"\[n, 6\]"):
        pgla(L[:, :5], p, meta)
    with pytest.raises(AnalysisError, match="gold"):
        pgla(L, p, meta.assign(gold="Z"))
    with pytest.raises(AnalysisError, match="both standard and misleading"):
        pgla(L, p, meta.assign(premise="misleading"))
    bad = L.copy()
    bad[0, 0] = np.nan
    with pytest.raises(AnalysisError, match="NaN"):
        pgla(bad, p, meta)
