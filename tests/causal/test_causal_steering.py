"""Steering: alpha = 0 is the identity; controls and metrics behave."""

from __future__ import annotations

import numpy as np
import pytest

from senseslens.analysis.causal_common import chunks
from senseslens.analysis.probe_estimators import LinearProbe
from senseslens.analysis.steering import probe_direction, steer
from senseslens.errors import InputError
from senseslens.models.sites import Site


@pytest.fixture(scope="module")
def fitted(organism, items):
    site = Site("resid", 1, "last")
    X, y = [], []
    for ch in chunks(organism, items):
        X.append(organism.run(ch.batch, capture=[site]).captures[site].numpy())
        y += list(ch.meta["premise"] == "misleading")
    return LinearProbe(C=10.0).fit(np.concatenate(X), np.array(y, int))


def test_alpha_zero_is_identity(organism, items, fitted):
    res = steer(organism, items, fitted, layer=1, alphas=(0.0, 1.0))
    base = res.items["base_pred"].map("ABCDEF".index).to_numpy()
    zero = res.alphas.index(0.0)
    for mi in range(len(res.methods)):
        np.testing.assert_array_equal(res.predictions[mi, zero], base)
    s = res.to_dataframe()
    assert set(s["method"]) == {"probe", "random", "oracle", "constant_bias"}
    assert (s.loc[s["alpha"] == 0, "n_steered"] == 0).all()
    assert list(res.pareto_dataframe().columns) == ["method", "std_acc_pct", "mis_acc_pct", "bal_pct", "config"]


def test_margin_scale_moves_flagged_items_one_margin(organism, items, fitted):
    res = steer(organism, items, fitted, layer=1, alphas=(0.0, 1.0), scale="margin", methods=("probe",))
    assert res.scale == "margin" and res.to_dataframe()["n_steered"].iloc[1] == int(res.items["flagged"].sum())


def test_probe_direction_is_raw_space_gradient(fitted):
    u, norm = probe_direction(fitted)
    assert np.isclose(np.linalg.norm(u), 1.0)
    x = np.zeros((1, u.size)) + 0.1
    step = 0.5
    gain = fitted.decision_function(x + step * u[None]) - fitted.decision_function(x)
    assert np.isclose(gain[0], step * norm, rtol=1e-6)


def test_constant_bias_matches_probe_false_rejection(organism, items, fitted):
    res = steer(organism, items, fitted, layer=1, alphas=(0.0, 4.0), methods=("constant_bias", "probe"))
    items_ = res.items
    for ai in range(len(res.alphas)):
        for mod in ("vision", "audio"):
            std = ((items_["premise"] == "standard") & (items_["modality"] == mod)).to_numpy()
            fr = {m: np.isin(res.predictions[res.methods.index(m), ai][std], [4, 5]).mean() for m in res.methods}
            assert fr["constant_bias"] >= fr["probe"] - 1e-12


def test_steer_needs_items_and_a_linear_probe(organism, items, fitted):
    from senseslens.data.prompts import build_prompt

    with pytest.raises(InputError, match="items"):
        steer(organism, [build_prompt(items[0])], fitted, layer=1)
    with pytest.raises(InputError, match="coef_"):
        steer(organism, items, object(), layer=1)
    with pytest.raises(InputError, match="methods"):
        steer(organism, items, fitted, layer=1, methods=("magic",))
