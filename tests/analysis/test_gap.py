"""Gap report: per-modality threshold-free comparison, runner-up, knows-but-does-not-say,
interference table, and why modalities are never pooled."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch

from senseslens.analysis.gap import gap_report, reject_margin
from senseslens.analysis.metrics import auroc
from senseslens.analysis.probes import paper_probes
from senseslens.errors import AnalysisError

matplotlib.use("Agg")
torch.set_num_threads(1)


def _world(n_clips=100, seed=0):
    rng = np.random.default_rng(seed)
    n = 4 * n_clips
    clip = np.repeat(np.arange(n_clips), 4)
    mod = np.tile(["vision", "vision", "audio", "audio"], n_clips)
    prem = np.tile(["standard", "misleading"], 2 * n_clips)
    mis = prem == "misleading"
    gold = np.where(mis, np.where(mod == "vision", "E", "F"), rng.choice(list("ABCD"), n))
    X = rng.standard_normal((n, 2, 16)).astype(np.float32)
    X[:, 1, 0] += 2.5 * mis
    L = rng.standard_normal((n, 6))
    gi = np.array(["ABCDEF".index(g) for g in gold])
    L[np.arange(n), gi] += np.where(mis, 0.3, 2.5)
    L[:, 4:] -= 2.0
    meta = pd.DataFrame({"clip_id": clip, "modality": mod, "premise": prem, "gold": gold})
    return X, L, meta


def test_per_modality_aurocs_use_the_same_held_out_items():
    X, L, meta = _world()
    pp = paper_probes(X, meta, controls=("shuffle",))
    rep = gap_report(pp, L, meta, n_boot=500)
    assert list(rep.table.modality) == ["vision", "audio"]
    margin = reject_margin(L)
    for m in ("vision", "audio"):
        sel = (meta.modality == m).to_numpy()
        y = (meta.premise[sel] == "misleading").to_numpy().astype(int)
        row = rep.table.set_index("modality").loc[m]
        assert row.margin_auroc == pytest.approx(auroc(y, margin[sel]))
        s = pp[m].oof_score[pp[m]._row(pp["global"].best_layer)]
        assert row.probe_auroc == pytest.approx(auroc(y, s[sel]))
        assert row.auroc_gap == pytest.approx(row.probe_auroc - row.margin_auroc)
        ci = rep.cis[m]["auroc_gap"]
        assert ci.low <= ci.estimate <= ci.high and ci.unit == "clip"
    assert rep.table.layer.nunique() == 1
    assert {"model", "modality", "probe_pct", "behavior_pct", "shuffle_pct", "majority_pct"} <= set(rep.to_dataframe("m").columns)


def test_pooling_would_fake_a_gap_but_the_report_does_not_pool():
    # each modality's own margin separates perfectly, but audio margins sit far lower
    X, L, meta = _world()
    mis = (meta.premise == "misleading").to_numpy()
    aud = (meta.modality == "audio").to_numpy()
    L = np.zeros((len(meta), 6))
    L[:, 0] = 5.0
    L[:, 4] = L[:, 5] = np.where(aud, -6.0, 0.0) + np.where(mis, 2.0, 0.0)
    pp = paper_probes(X, meta, controls=())
    rep = gap_report(pp, L, meta, n_boot=200)
    assert (rep.table.margin_auroc == 1.0).all()
    assert auroc(mis.astype(int), reject_margin(L)) < 0.8  # what pooling would report


def test_behaviour_runner_up_and_knows_not_says_by_hand():
    X, _, meta = _world(n_clips=40)
    n = len(meta)
    mis = (meta.premise == "misleading").to_numpy()
    vis = (meta.modality == "vision").to_numpy()
    L = np.zeros((n, 6))
    L[:, 0] = 3.0  # everyone answers A
    L[:, 4] = np.where(mis & vis, 2.0, -1.0)  # E is runner-up on misleading-vision items
    L[np.flatnonzero(mis & vis)[:4], 4] = 4.0  # ... and the answer on 4 of them
    pp = paper_probes(X, meta, controls=())
    rep = gap_report(pp, L, meta, n_boot=200).table.set_index("modality")
    assert rep.loc["vision", "behavior_pct"] == pytest.approx(100 * 4 / 40)
    assert rep.loc["vision", "runner_up_mis_pct"] == pytest.approx(100 * 36 / 40)
    assert rep.loc["vision", "runner_up_std_pct"] == 0.0
    assert rep.loc["audio", "behavior_pct"] == 0.0
    full = gap_report(pp, L, meta, n_boot=200)
    kns = full.knows_not_says
    assert set(kns.answer) <= {"A"} and not set(np.flatnonzero(mis & vis)[:4]) & set(kns.item)
    assert (kns.probe_score >= full.table.set_index("modality").loc[kns.modality, "threshold"].to_numpy()).all()


def test_interference_table_and_plots():
    X, L, meta = _world()
    pp = paper_probes(X, meta, controls=())
    no_audio = L.copy()
    no_audio[:, 4] += 10.0  # removing audio makes the model reject everything visually
    rep = gap_report(pp, L, meta, ablations={"no_audio": no_audio}, n_boot=200)
    t = rep.interference.set_index(["condition", "cell"])
    assert t.loc[("no_audio", "mis_v"), "acc_pct"] == 100.0
    assert t.loc[("no_audio", "std_v"), "acc_pct"] == 0.0
    assert t.loc[("full", "mis_v"), "delta_vs_full_pct"] == 0.0
    ax = rep.plot()
    assert ax.get_ylabel().startswith("AUROC")
    ax = pp["global"].plot(metric="auroc", own_margin_auroc=float(rep.table.margin_auroc.mean()))
    assert ax.get_xlabel() == "layer"


def test_bad_inputs_raise():
    X, L, meta = _world(n_clips=20)
    pp = paper_probes(X, meta, controls=())
    with pytest.raises(AnalysisError, match=r"\[n, 6\]"):
        gap_report(pp, L[:, :4], meta)
    with pytest.raises(AnalysisError, match="clip_id"):
        gap_report(pp, L, meta.drop(columns="clip_id"))
    with pytest.raises(AnalysisError, match="ablation"):
        gap_report(pp, L, meta, ablations={"no_video": L[:10]}, n_boot=100)
